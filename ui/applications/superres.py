"""The Applications page's super-resolution and watermark-removal sections: a shipped autoencoder against bicubic and
Lanczos upscaling, and against OpenCV inpainting given the true mask of the stamp."""
from __future__ import annotations

import streamlit as st
import torch

from aelab.analysis.metrics import psnr, ssim
from aelab.analysis.restoration import REFERENCE
from aelab.analysis.superres import check_upscaling, superres_outputs, watermark_methods
from aelab.data.corruption import apply_corruption, strength_range
from aelab.errors import ConfigError
from aelab.lessons import applications as apps
from ui.applications.common import cached, dataset, page_view, records
from ui.common import cache, present
from ui.common.widgets import show_grid

N_SHOWN = 6


def superres_section() -> None:
    present.intro("**Super-resolution**: test images area-averaged down, then brought back to 28x28. Bicubic and "
                  "Lanczos interpolate between the known pixels; the autoencoder (trained on the `lowres` "
                  f"corruption at factor {apps.SUPERRES_FACTOR}, so the Restore page can use it too) has learnt what "
                  "digits look like at full size.")
    with present.secondary("Factor and test images"):
        left, right = st.columns(2)
        view = page_view()
        factor = view.number_input("factor", "Downscaling factor", 2, 14, where=left, key="apps_factor", step=1,
                                   help="28 / factor pixels a side: 2 gives 14x14, 4 gives 7x7. It must divide 28.")
        n = int(view.number_input("superres_n", "Test images scored", 20, 1000, where=right, key="apps_superres_n",
                                  step=20))
    found = records([apps.SUPERRES_MODEL])
    if found is None:
        return
    mnist = dataset(apps.TRAINED_ON)
    try:
        factor = check_upscaling(factor, mnist.image_size)
    except ConfigError as err:
        st.error(str(err), icon=":material/error:")
        return
    if factor != apps.SUPERRES_FACTOR:
        st.caption(f"The model was trained at factor {apps.SUPERRES_FACTOR}; at {factor} it sees blurrier inputs "
                   "than it learnt from.")
    record = found[0]
    rows = cached(cache.identity(record, mnist), "apps/superres", (factor, n),
                  lambda progress: apps.superres(mnist, record.model, factor, n, progress), "Upscaling...")
    import pandas as pd  # (~0.3 s: imported when a table is drawn, not with the page)

    side = mnist.image_size[0] // factor
    x = mnist.x_test[:N_SHOWN]
    outputs = superres_outputs(record.model, x, factor)
    rows_shown = {f"low-res ({side}x{side})": outputs["low-res"], **{k: outputs[k] for k in
                                                                     ("bicubic", "Lanczos", "autoencoder")},
                  "original": x}
    images_box, table_box = present.picture_first()  # presenting, the images before the table
    with table_box:
        st.table(pd.DataFrame(rows).set_index("method").style.format(precision=4))
        st.caption(f"Means over {n} test images at {side}x{side} -> {mnist.image_size[0]}x{mnist.image_size[1]}: "
                   "PSNR the mean of each image's 10 log10(1 / MSE); SSIM scikit-image's.")
    with images_box:
        _image_table(rows_shown, x)


UNSCORED = ("original", "stamp mask")


def _image_table(rows: dict[str, torch.Tensor], x: torch.Tensor) -> None:
    """One column per method: the images stacked, and their mean PSNR and SSIM against x below (the section's main
    picture)."""
    with present.main_picture():
        _image_columns(rows, x)


def _image_columns(rows: dict[str, torch.Tensor], x: torch.Tensor) -> None:
    columns = st.columns(len(rows))
    for column, (name, images) in zip(columns, rows.items()):
        with column:
            st.markdown(f"**{name}**")
            show_grid(images, ncol=1, scale=3 if not present.presenting() else 2)
            if name not in UNSCORED:
                st.caption(f"PSNR {float(psnr(images, x).mean()):.2f} dB  \nSSIM {float(ssim(images, x).mean()):.3f}")


def watermark_section() -> None:
    present.intro("**Watermark removal**: a semi-transparent 'AE' stamped at a random place. The autoencoder trained "
                  "on stamps is **not told where the stamp is**; OpenCV's inpainting is **given the true mask**, more "
                  "than a real remover would know. Scored over the whole image and inside the stamp.")
    s = strength_range("watermark")
    with present.secondary("Opacity, test images and seed"):
        left, middle, right = st.columns(3)
        view = page_view()
        opacity = view.slider("opacity", "Stamp opacity", float(s.low), float(s.high), where=left,
                              key="apps_opacity", step=float(s.step))
        n = int(view.number_input("watermark_n", "Test images scored", 20, 1000, where=middle,
                                  key="apps_watermark_n", step=20))
        seed = int(view.number_input("watermark_seed", "Seed (stamp places)", 0, 10_000, where=right,
                                     key="apps_watermark_seed"))
    found = records([apps.WATERMARK_MODEL, apps.PLAIN_MODEL])
    if found is None:
        return
    mnist = dataset(apps.TRAINED_ON)
    trained, plain = (record.model for record in found)
    rows = cached(cache.identity_of(found, mnist), "apps/watermark", (opacity, n, seed),
                  lambda progress: apps.watermark(mnist, trained, plain, opacity, n, seed, progress),
                  "Removing stamps...")
    columns = ["PSNR (dB)", "PSNR in mask (dB)", "SSIM", "SSIM in mask"]
    import pandas as pd  # (~0.3 s: imported when a table is drawn, not with the page)

    frame = pd.DataFrame(rows).set_index("method")[columns].rename(columns=lambda c: c.replace("mask", "stamp"))
    best = max((r for r in rows if r["method"] != REFERENCE), key=lambda r: r["PSNR in mask (dB)"])
    images_box, table_box = present.picture_first()  # presenting, the images before the table
    with table_box:
        st.table(frame.style.format(precision=3))
        st.caption(f"Inside the stamp, **{best['method']}** restores best ({best['PSNR in mask (dB)']:.2f} dB). "
                   f"Means over {rows[0]['images']} test images; the first row is the stamped input itself.")
    x = mnist.x_test[:N_SHOWN]
    stamped, mask = apply_corruption("watermark", x, opacity, torch.Generator().manual_seed(seed))
    methods = watermark_methods(trained, plain)
    shown = {"stamped": stamped, "stamp mask": mask.float()}
    shown.update({m.name: m.restore(stamped, mask if m.needs_mask else None) for m in methods.values()})
    shown["original"] = x
    with images_box:
        _image_table(shown, x)
