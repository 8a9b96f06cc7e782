"""The Applications page's memorisation section: a deep MLP with a 1-D code that has learnt its training images by
heart; the images on the code line, and the line decoded between them."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from aelab.analysis.images import grid
from aelab.analysis.latent import decode
from aelab.lessons import applications as apps
from aelab.lessons.memorisation import (
    LINE_STEPS_LIMITS,
    MEMORISE_MODEL,
    decode_at,
    decode_line,
    halfway_codes,
    line_range,
    memorised_images,
)
from ui.applications.common import cached, dataset, page_view, records
from ui.common import cache, present
from ui.common.view_store import fragment
from ui.common.widgets import show_grid, show_rows

QUOTE = ("\"An autoencoder with a one-dimensional code and a very powerful nonlinear encoder can learn to map x(i) "
         "to code i\" (course deck): it needs no digit shapes at all, only an index into what it has seen.")


def memorisation_section() -> None:
    present.intro(f"**Memorisation with a 1-D code.** {QUOTE}")
    found = records([MEMORISE_MODEL])
    if found is None:
        return
    record, mnist = found[0], dataset(apps.TRAINED_ON)
    model = record.model
    report = cached(cache.identity(record, mnist), "apps/memorisation", (),
                    lambda progress: apps.memorisation(mnist, model), "Measuring...")
    hidden = "-".join(map(str, record.model_config.hidden))
    x_train = memorised_images(mnist.x_train, report.n_train)
    line, numbers = present.picture_first()  # the numbers, then the line of images; presenting, the line first
    with line, present.main_picture():
        st.plotly_chart(line_figure(report.codes.numpy(), x_train), key="apps_memo_line")
    _numbers(report, record, mnist, hidden, numbers)
    _strip(model, report, x_train)


def _numbers(report, record, mnist, hidden: str, where) -> None:
    with where:
        a, b, c = st.columns(3)
        a.metric(f"MSE on its {report.n_train} training images", f"{report.train_mse:.4f}")
        b.metric(f"MSE on {report.n_test} test images", f"{report.test_mse:.4f}")
        c.metric("ratio", f"{report.ratio:.2f}")
        st.caption(f"An MLP 784-{hidden}-1 and back, trained for {record.train_config.epochs} epochs on the first "
                   f"{report.n_train} images of {mnist.name}'s train split only. Near-zero error on those, a test "
                   "error like a blurry average's elsewhere: it memorised, it did not learn digits.")


def _strip(model, report, x_train) -> None:
    """The line between the training images' codes, decoded: halfway between neighbours or evenly spaced."""
    low, high = line_range(report.codes)
    st.markdown("**The line between them, decoded.**")
    view = page_view()
    strip = view.radio("strip", "Strip", ["halfway between neighbours", "evenly along the line"], key="apps_memo_strip",
                       horizontal=True)
    if strip == "evenly along the line":
        steps = int(view.number_input("line_steps", "Steps along the code", *LINE_STEPS_LIMITS, key="apps_memo_steps",
                                      step=1))
        _, images = decode_line(model, low, high, steps)
        show_grid(images, ncol=min(steps, 16), scale=2)
        st.caption(f"Codes from {low:.3f} to {high:.3f}, evenly spaced. The codes are far from evenly spread, so "
                   "most of the line is the stretch between a few outlying images.")
    else:
        order, midpoints = halfway_codes(report.codes)
        show_rows({"training images, in code order": x_train[order],
                   "decoded halfway to the next": decode(model, midpoints.view(-1, 1))}, scale=2)
        st.caption("Each lower image is decoded from the code halfway between the training image above it and the "
                   "next one along the line: the decoder jumps or blends, it does not pass through other digits.")
    _scrub(model, low, high)


@fragment
def _scrub(model, low: float, high: float) -> None:
    code = page_view().slider("code", "Code", float(low), float(high), key="apps_memo_code",
                              default=float((low + high) / 2), step=(high - low) / 200, format="%.3f")
    show_grid(decode_at(model, code), scale=6)


def line_figure(codes: np.ndarray, x_train) -> go.Figure:
    """The codes as points on a horizontal line, and the training images in code order in two rows above and below,
    evenly spaced (the codes crowd together), each joined to its point by a line."""
    fig = go.Figure()
    fig.add_scatter(x=codes, y=np.zeros_like(codes), mode="markers", marker={"size": 8, "color": "#332288"},
                    text=[f"training image {i}" for i in range(len(codes))], hovertemplate="%{text}: z = %{x:.4f}",
                    name="codes")
    order = np.argsort(codes)
    low, high = float(codes.min()), float(codes.max())
    slots = np.linspace(low, high, len(codes))
    width = 1.8 * (high - low) / max(len(codes) - 1, 1)  # two rows: each thumbnail may span two slots
    for rank, i in enumerate(order):
        y = 1.6 if rank % 2 == 0 else -1.6
        fig.add_layout_image(source=_data_url(x_train[i]), x=float(slots[rank]), y=y, xref="x", yref="y",
                             sizex=width, sizey=1.4, xanchor="center", yanchor="middle", layer="above")
        fig.add_shape(type="line", x0=float(codes[i]), x1=float(slots[rank]), y0=0, y1=0.9 * np.sign(y),
                      line={"width": 0.6, "color": "#999"})
    fig.update_layout(height=present.chart_height(380, 420), showlegend=False, xaxis={"title": "code z (1-D)"},
                      yaxis={"visible": False, "range": [-2.5, 2.5]}, margin={"t": 20, "b": 40})
    return fig


def _data_url(image) -> str:
    import base64

    from aelab.analysis.images import png_bytes

    return "data:image/png;base64," + base64.b64encode(png_bytes(grid(image[None], padding=0))).decode()
