"""The Latent Space page's sections that show images: the selected points, a clicked spot of the latent plane, the
drawn digit, and the VAE's KL per dimension. Each takes what it shows as arguments (see ui/latent/view.py for the
cached arrays)."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from aelab.analysis.images import enlarge, to_uint8
from aelab.analysis.latent import active_units, decode, latent_name, neighbours
from aelab.library.store import ModelRecord
from ui.common.selection import variational_keys
from ui.common.widgets import class_name, show_grid
from ui.latent.view import PlaneView

KL_ACTIVE_THRESHOLD = 0.01  # nats, as aelab.analysis.latent.active_units
MAX_SHOWN = 48  # selected images drawn at once


def crisp(image: torch.Tensor, pixels: int) -> np.ndarray:
    """One (H, W) image in [0, 1] enlarged by whole pixels to about pixels wide (a browser would blur it)."""
    return enlarge(to_uint8(image), max(1, round(pixels / image.shape[-1])))


def selection_from(event, grid_curve: int | None) -> tuple[list[int], tuple[float, float] | None]:
    """The dataset indices of the selected data points (in selection order, no repeats) and, if the click hit the
    invisible plane grid and no data point, the (x, y) clicked. Data points carry their index as customdata."""
    indices, plane_click = [], None
    for point in (event.selection.points if event is not None else []):
        custom = point.get("customdata")
        if custom is not None:
            index = int(custom[0] if isinstance(custom, (list, tuple)) else custom)
            if index not in indices:
                indices.append(index)
        elif point.get("curve_number") == grid_curve and grid_curve is not None:
            plane_click = (float(point["x"]), float(point["y"]))
    return indices, (plane_click if not indices else None)


def show_selection(indices: list[int], z: np.ndarray, dataset, record: ModelRecord, k: int = 8) -> None:
    """Selected originals over their reconstructions; for a single point, its k nearest codes with distances."""
    labels = dataset.y_test.numpy()
    if len(indices) == 1:
        index = indices[0]
        st.markdown(f"**Point #{index}** (label {class_name(dataset.class_names, int(labels[index]))})")
        x = dataset.x_test[index:index + 1]
        recon = decode(record.model, torch.from_numpy(z[index:index + 1]))
        st.image([crisp(x[0, 0], 112), crisp(recon[0, 0], 112)], caption=["original", "reconstruction"])
        near, dist = neighbours(torch.from_numpy(z), torch.from_numpy(z[index:index + 1]), k=k, exclude_self=True)
        near, dist = near[0].tolist(), dist[0].tolist()
        st.markdown(f"Its {len(near)} nearest codes (Euclidean distance in the {z.shape[1]}-D latent space):")
        st.image([crisp(dataset.x_test[j, 0], 56) for j in near],
                 caption=[f"#{j} ({class_name(dataset.class_names, int(labels[j]))}) d={d:.2f}"
                          for j, d in zip(near, dist)])
        return
    shown = indices[:MAX_SHOWN]
    counts = np.bincount(labels[indices].clip(min=0), minlength=1)
    summary = ", ".join(f"{class_name(dataset.class_names, c)}: {n}" for c, n in enumerate(counts) if n)
    st.markdown(f"**{len(indices)} points selected** ({summary})" +
                (f"; the first {MAX_SHOWN} are shown." if len(indices) > MAX_SHOWN else "."))
    originals = dataset.x_test[shown]
    recons = decode(record.model, torch.from_numpy(z[shown]))
    left, right = st.columns(2)
    with left:
        show_grid(originals, ncol=8, scale=2, caption="originals")
    with right:
        show_grid(recons, ncol=8, scale=2, caption="reconstructions")


def show_plane_click(record: ModelRecord, xy: tuple[float, float], plane: PlaneView) -> None:
    code = plane.codes([xy[0]], [xy[1]])
    image = decode(record.model, code)
    shown = code[0, list(plane.dims)].tolist()
    st.markdown(f"**Decoded from {latent_name(plane.dims[0])} = {shown[0]:.2f}, {latent_name(plane.dims[1])} = "
                f"{shown[1]:.2f}**, a point "
                "of the plane with no image of its own:")
    st.image(crisp(image[0, 0], 140), caption="decoded at the clicked point")


def vae_diagnostics(kl: np.ndarray | None, record: ModelRecord) -> None:
    st.subheader("VAE diagnostics")
    if kl is None:
        size = tuple(record.model_config.image_size)
        vaes = [key.partition("/")[2] for key in variational_keys(size, trained_on=record.dataset)]
        where = (f"Choose a VAE ({', '.join(vaes)}) in the sidebar" if vaes else
                 f"Train a VAE for {size[0]}x{size[1]} images on the Train page")
        st.info(f"{record.name} is a deterministic autoencoder: its encoder gives each image one code, not a "
                f"distribution, so there is no KL to the prior to measure. {where} to see which latent dimensions "
                "it uses.")
        return
    from ui.latent.figures import kl_figure

    active = active_units(torch.from_numpy(kl), KL_ACTIVE_THRESHOLD)
    st.metric("Active units", f"{active} of {len(kl)}", help=f"dimensions whose average KL exceeds "
              f"{KL_ACTIVE_THRESHOLD} nats")
    st.plotly_chart(kl_figure(kl, KL_ACTIVE_THRESHOLD), key="kl_chart")
    st.markdown(
        "Each bar is how far that dimension's posterior q(z_j|x), averaged over the test images, is from the prior "
        "N(0, 1). A **collapsed** dimension (KL near 0) has the same posterior for every image: it carries no "
        "information, the decoder learns to ignore it, and moving along it changes nothing, so every point "
        "decodes to the same image along that axis. The KL term pushes unneeded dimensions there; the active ones "
        "are the model's real code size.")


def show_drawn(x_in: torch.Tensor, z_in: np.ndarray, z: np.ndarray, errors: np.ndarray, dataset,
               record: ModelRecord, placement: str | None, k: int = 6) -> None:
    """The drawing as the model sees it, its reconstruction, how unusual its error is, and its nearest codes."""
    recon = decode(record.model, torch.from_numpy(z_in))
    error = float((recon - x_in).pow(2).mean())
    percentile = float((errors < error).mean() * 100)
    st.image([crisp(x_in[0, 0], 112), crisp(recon[0, 0], 112)], caption=["what the model sees", "its reconstruction"])
    verdict = ("typical for this model" if percentile < 75 else "unusual for this model" if percentile < 95
               else "very unusual: the model has seen little like it")
    st.markdown(f"**Reconstruction error {error:.4f}**: higher than **{percentile:.0f}%** of the {len(errors):,} "
                f"test images ({verdict}).")
    if placement:
        st.caption(placement)
    labels = dataset.y_test.numpy()
    near, dist = neighbours(torch.from_numpy(z), torch.from_numpy(z_in), k=k)
    st.markdown("Nearest test images in the latent space:")
    st.image([crisp(dataset.x_test[j, 0], 56) for j in near[0].tolist()],
             caption=[f"{class_name(dataset.class_names, int(labels[j]))} d={d:.2f}"
                      for j, d in zip(near[0].tolist(), dist[0].tolist())])
