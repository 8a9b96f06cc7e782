"""The Playground's views, one at a time: what each shows, its formula in a sentence, and its figure. Each is drawn
from the model of a ToyRun (the caller holds its lock); the arrays come from aelab.analysis.toy."""
from __future__ import annotations

import numpy as np
import streamlit as st

from aelab.analysis import toy as views
from aelab.data.toy import ToyData
from aelab.lessons.playground import ToyRun
from ui.common import present
from ui.playground import figures
from ui.playground.controls import page_view

VIEWS = {"recon": "Reconstructions", "manifold": "Learned manifold", "field": "Vector field",
         "contraction": "Contraction", "vae": "VAE posteriors"}
N_PATHS, N_STEPS, N_POSTERIORS = 40, 8, 5


def _available(run: ToyRun) -> list[str]:
    names = ["recon", "manifold", "field"]
    if run.data.has_manifold and run.data.tangents.shape[2] < run.data.dim:
        names.append("contraction")
    if run.model_config.variational:
        names.append("vae")
    return names


def view_picker(run: ToyRun) -> str:
    names = _available(run)
    return page_view().segmented_control(
        "shown", "View", names, key="pg_view", format_func=VIEWS.get, label_visibility="collapsed",
        default="field" if run.train_config.noise == "gaussian" and "field" in names else names[0])


def _explained(text: str):
    """A view's explanation above its picture, or below it while presenting; returns where the picture goes."""
    picture, words = present.picture_first()
    words.markdown(text)
    return picture


def _chart(figure, key: str) -> None:
    """A view's main chart (the page's main picture), short enough to fit a 1280x720 screen while presenting."""
    figure.update_layout(height=present.chart_height(figures.HEIGHT, 460))
    with present.main_picture():
        st.plotly_chart(figure, key=key)


def draw_data_only(data: ToyData) -> None:
    _chart(figures.data_figure(data.points, title=f"{data.name}: {len(data.points)} points, standardised"),
           "pg_data")
    st.info("Press **Train** to fit the model in the background, or **Step** to train one epoch at a time. "
            "Coordinates are standardised (centred, one scale for every axis, so shapes keep their angles), as the "
            "model sees them.",
            icon=":material/school:")


def draw(view: str, run: ToyRun) -> None:
    {"recon": _recon, "manifold": _manifold, "field": _field, "contraction": _contraction, "vae": _vae}[view](run)


def _recon(run: ToyRun) -> None:
    points = run.data.points
    recon, codes = views.reconstruct(run.model, points), views.encode(run.model, points)
    picture = _explained(r"Each point $x$ is encoded to a code $z = f(x)$ and decoded to $\hat x = g(z)$; the grey "
                         r"line joins them, and training shrinks the mean of $\|x - g(f(x))\|^2$. The colour is each "
                         "point's code $z_1$: a 1-D code that runs smoothly from one end of the curve to the other has "
                         "*stretched the curve to a line*.")
    with picture:
        _chart(figures.data_figure(points, recon, codes, f"Points and reconstructions, epoch {run.epoch}: squared "
                                   f"error {run.recon_error():.4f} per point"), "pg_recon")
    if run.data.has_manifold and run.data.tangents.shape[2] == 1:
        position = run.data.position_on_clean(run.data.clean_points)
        st.plotly_chart(figures.codes_along_figure(position, codes, "Code z1 against the position along the curve"),
                        key="pg_codes")


def _manifold(run: ToyRun) -> None:
    points = run.data.points
    codes = views.encode(run.model, points)
    learned = views.manifold(run.model, codes)
    ends = views.pca_line(points)[0] if points.shape[1] in (2, 3) else None
    kind = {1: "the curve $g(z)$ as $z$ runs over the codes' range", 2: "the sheet $g(z_1, z_2)$ over a grid of "
            "codes"}.get(codes.shape[1], "no single picture for a code of more than 2 numbers")
    picture = _explained(f"The decoder's image of the code space is the model's manifold: {kind}. PCA's first "
                         r"component (dashed) is the best straight line, $\min_w \sum \|x - w w^\top x\|^2$: it "
                         "cannot bend, a nonlinear autoencoder can.")
    with picture:
        _chart(figures.manifold_figure(points, learned, ends, run.data.clean, f"Learned manifold, epoch {run.epoch}"),
               "pg_manifold")


def _field(run: ToyRun) -> None:
    points = run.data.points
    field = views.vector_field(run.model, points, corruption=run.corruption, seed=run.train_config.seed)
    picture, words = present.picture_first()  # the arrows first while presenting
    iterate = page_view().toggle("iterate", "Iterate the map on a few corrupted points", where=words,
                                 key="pg_iterate",
                                 help=f"Applies r = g o f {N_STEPS} times to {N_PATHS} points moved off the data by "
                                      "its corruption noise: a denoising AE's iterates flow onto the curve.")
    paths = views.iterate(run.model, run.corrupted()[:N_PATHS], N_STEPS) if iterate else None
    where = "on a grid around the data" if points.shape[1] == 2 else "at 300 points moved off the data (a 3-D grid " \
                                                                     "of arrows cannot be read)"
    words.markdown(rf"Each arrow goes from $x$ to $r(x) = g(f(x))$, {where}, coloured by its length $\|r(x) - x\|$ "
                   "(an arrow longer than the grid's spacing is drawn cut to it). "
                   r"A denoising AE learns $r(x) - x \approx \sigma^2 \nabla_x \log p(x)$ (Alain & Bengio 2014): "
                   "arrows point back to the data, and the farther a point is, the farther it travels.")
    with picture:
        _chart(figures.field_figure(points, field, paths, f"Vector field r(x) - x, epoch {run.epoch}",
                                    run.data.clean), "pg_field")
    if paths is not None and run.data.has_manifold:
        distances = [run.data.distance_to_clean(x).mean() for x in paths]
        st.caption(f"Mean distance to the true curve: {distances[0]:.3f} corrupted, {distances[1]:.3f} after one "
                   f"step, {distances[-1]:.3f} after {N_STEPS}.")


def _contraction(run: ToyRun) -> None:
    gains = {run.variant.replace("_", " "): views.jacobian_gains(run.model, run.data.clean, run.data.tangents)}
    twin = run.reference
    if twin is not None:
        with twin.lock:
            gains["plain twin"] = views.jacobian_gains(twin.model, run.data.clean, run.data.tangents)
    picture = _explained(r"How far the code moves when the input moves one unit, at points of the true manifold: "
                         r"*along* it (the largest singular value of $J_f T$, $T$ its tangent) and *off* it ($J_f N$, "
                         r"$N$ its normal). The contractive AE adds $\lambda \|J_f(x)\|_F^2$ to its loss (Rifai et al. "
                         "2011), so only moves along the data, which it needs to reconstruct, keep their gain. The "
                         "ratio off/along cannot be faked by shrinking the code.")
    with picture:
        _chart(figures.gains_figure(gains, f"Encoder gains along the manifold, epoch {run.epoch}"), "pg_gains")
    parts = [f"{name}: median off/along {g.median_ratio:.2f}" for name, g in gains.items()]
    if twin is not None:
        parts.append(f"squared error {run.recon_error():.4f} against the twin's {twin.recon_error():.4f}")
    st.caption("; ".join(parts) + ". The plain twin is the same net trained without the penalty, in step.")


def _vae(run: ToyRun) -> None:
    points = run.data.points
    chosen = points[np.linspace(0, len(points) - 1, N_POSTERIORS).astype(int)]
    post = views.posteriors(run.model, chosen)
    prior = views.prior_samples(run.model, seed=run.train_config.seed)
    picture = _explained(r"A VAE encodes each point to a Gaussian $q(z|x) = N(\mu(x), \mathrm{diag}\,\sigma^2(x))$ "
                         r"and is trained on $E_q\|x - g(z)\|^2 + \beta\, KL(q(z|x)\,\|\,N(0, I))$. Left: the "
                         r"2-sigma ellipse of $q$ for a few points. Right: codes drawn from the prior $N(0, I)$, "
                         "decoded; they should land on the data.")
    code_fig, plane_fig = figures.posterior_figures(post, prior, points)
    with picture, present.main_picture():
        codes_col, plane_col = st.columns(2)
        codes_col.plotly_chart(code_fig, key="pg_vae_codes")
        plane_col.plotly_chart(plane_fig, key="pg_vae_plane")
