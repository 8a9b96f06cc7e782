"""The Applications page's compression section: rate-distortion of quantised autoencoder codes against JPEG and WebP,
thumbnails at equal bytes, and the same models on data they were never trained on."""
from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st

from aelab.analysis.compression import (
    DEFAULT_BITS,
    DEFAULT_QUALITIES,
    Quantiser,
    best_advantage,
    check_bits,
    check_qualities,
    equal_bytes_examples,
)
from aelab.analysis.latent import encode_dataset
from aelab.errors import ConfigError
from aelab.lessons import applications as apps
from ui.applications.common import cached, dataset, page_view, parse_list, records
from ui.common import cache, present
from ui.common.widgets import PALETTE, show_rows

COLOURS = {"JPEG": PALETTE[6], "WebP": PALETTE[4]}
COLUMNS = {"payload": "payload_bytes", "whole file": "file_bytes"}
CAVEAT = ("The autoencoder's bytes are its quantised code only (d numbers of b bits: d x b / 8 bytes, no header). "
          "**The decoder's own size is not counted**: the network's weights (hundreds of KB) and the quantiser's "
          "ranges live with the receiver. JPEG's and WebP's decoders are not counted either, but they work on any "
          "picture; this one only knows digits.")


def compression_section() -> None:
    present.intro("**Autoencoders are data-specific and lossy.** Each image's code is quantised to *b* bits per "
                  "number (a uniform quantiser over each number's range on the training split) and decoded; JPEG and "
                  "WebP (Pillow) compress the same test images at a range of qualities.")
    with present.secondary("Bits, qualities and test images"):
        choice = _controls()
    if choice is None:
        return
    bits, qualities, n, column = choice
    names = list(apps.COMPRESSION_MODELS.values())
    found = records(names)
    if found is None:
        return
    mnist, other = dataset(apps.TRAINED_ON), dataset(apps.OTHER_DATA)
    models = {label: record.model for label, record in zip(apps.COMPRESSION_MODELS, found)}
    result = cached(cache.identity_of(found, mnist), "apps/compression", (bits, qualities, n, other.identity),
                    lambda progress: apps.compression({mnist.name: mnist, other.name: other}, models,
                                                      mnist.x_train, n, bits, qualities, progress),
                    "Compressing test images...")
    rows = result.rows[mnist.name]
    with present.main_picture():
        st.plotly_chart(rd_figure(rows, column, f"{mnist.name} test images (the AEs' own kind of data)"),
                        key="apps_rd_chart")
    _advantage_caption(mnist.name, column, rows)
    st.caption(CAVEAT)
    _thumbnails(found, models, mnist)
    st.markdown(f"**On data they were never trained on** ({other.name}: rendered shapes). The same models and "
                "quantisers, the same codecs:")
    st.plotly_chart(rd_figure(result.rows[other.name], column, f"{other.name} test images (never seen)"),
                    key="apps_rd_other_chart")
    _advantage_caption(other.name, column, result.rows[other.name])


def _controls() -> tuple | None:
    view = page_view()
    left, middle, right = st.columns(3)
    bits_text = view.text_input("bits", "Bits per code number (1-16)", where=left, key="apps_bits",
                                default=", ".join(map(str, DEFAULT_BITS)))
    quality_text = view.text_input("qualities", "JPEG/WebP qualities (1-100)", where=middle, key="apps_qualities",
                                   default=", ".join(map(str, DEFAULT_QUALITIES)))
    n = int(view.number_input("compression_n", "Test images", 20, 1000, where=right, key="apps_compression_n",
                              step=20))
    column = view.radio("bytes", "Bytes counted", list(COLUMNS), key="apps_bytes", horizontal=True,
                      help="Payload: JPEG's entropy-coded data from its start-of-scan header to the end-of-image "
                           "marker; WebP's VP8/VP8L chunk. Whole file: every byte, headers and tables included.")
    bits, qualities = parse_list(bits_text, "Bits"), parse_list(quality_text, "Qualities")
    if bits is None or qualities is None:
        return None
    try:
        return check_bits(bits), check_qualities(qualities), n, COLUMNS[column]
    except ConfigError as err:
        st.error(str(err), icon=":material/error:")
        return None


def rd_figure(rows: list[dict], column: str, title: str) -> go.Figure:
    fig = go.Figure()
    for i, method in enumerate(dict.fromkeys(r["method"] for r in rows)):
        points = sorted((r for r in rows if r["method"] == method), key=lambda r: r[column])
        colour = COLOURS.get(method, PALETTE[i % 4])
        fig.add_scatter(x=[r[column] for r in points], y=[r["PSNR (dB)"] for r in points], name=method,
                        mode="lines+markers", line={"color": colour, "dash": "solid" if method in COLOURS else "dot"},
                        text=[r["setting"] for r in points], hovertemplate="%{text}: %{x:.1f} bytes, %{y:.2f} dB")
    label = "payload bytes per image" if column == "payload_bytes" else "file bytes per image"
    fig.update_layout(title=title, xaxis={"title": label, "type": "log"}, yaxis={"title": "PSNR (dB)"},
                      height=present.chart_height(380, 420), margin={"t": 40, "b": 40})
    return fig


def _advantage_caption(name: str, column: str, rows: list[dict]) -> None:
    best = best_advantage(rows, "JPEG", column)
    kind = "payload" if column == "payload_bytes" else "whole-file"
    if math.isnan(best):
        st.caption(f"No AE point falls within JPEG's range of {kind} bytes on {name}, so there is no equal-bytes "
                   "comparison (JPEG's headers alone are ~330 bytes: count payload to compare).")
    else:
        verdict = "better" if best > 0 else "worse"
        st.caption(f"On {name}, the best AE point is **{abs(best):.2f} dB {verdict}** than JPEG at the same "
                   f"{kind} bytes (JPEG's PSNR interpolated along its curve).")


def _thumbnails(found: list, models: dict, mnist) -> None:
    st.markdown("**Thumbnails at equal bytes**: each codec at the quality whose mean payload is nearest the AE's.")
    left, right = st.columns(2)
    view = page_view()
    label = view.selectbox("thumb_model", "Autoencoder", list(models), where=left, key="apps_thumb_model",
                           default=list(models)[-1])
    bits = int(view.select_slider("thumb_bits", "Bits per number", [2, 3, 4, 5, 6, 8], where=right,
                                  key="apps_thumb_bits"))
    record = found[list(models).index(label)]
    x = mnist.x_test[:8]

    def compute(progress):
        progress(0.0, "Encoding the training split for the quantiser")
        quantiser = Quantiser.fit(encode_dataset(record.model, mnist.x_train))
        return equal_bytes_examples(record.model, quantiser, x, bits)

    examples = cached(cache.identity(record, mnist), "apps/thumbnails", bits, compute, "Matching bytes...")
    show_rows({f"{name} ({size:.0f} B)" if not math.isnan(size) else name: examples["images"][name]
               for name, size in examples["bytes"].items()})
