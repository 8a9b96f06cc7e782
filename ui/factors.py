"""The Factors page's view: the factors shown one at a time, the factor x dimension information heatmap, each
dimension's traversal labelled with the factor it captures, the scores of every model side by side, and the beta
sweep with one more point trained on demand.

MIG takes a second and is computed for any model; DCI's gradient boosting takes minutes, so the shipped models' scores
are read from their cache/factor_scores.json and any other model is scored as a background job (ui.lessons.common's
tasks: a progress bar and a Stop button, the result kept in that module's process-wide store).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from aelab.analysis import factor_scores as fs
from aelab.analysis.disentanglement import best_factor
from aelab.analysis.latent import decode, latent_name
from aelab.analysis.paths import dimension_ranges, traversal_grid
from aelab.train.evaluation import evaluate
from aelab.views.pages import AppView, FactorsView
from ui.common import cache, present
from ui.common.pickers import codes_for
from ui.common.selection import bundled_or_cached_dataset, load_model_key, select_model
from ui.common.session import session
from ui.common.view_state import Bound
from ui.common.widgets import show_rows
from ui.factor_figures import heatmap_figure, scores_figure, sweep_figure
from ui.lessons.common import show_task, start_task, stored, task_button, task_failed, task_running

SHAPES = "shapes"
SHOWCASE_MODEL = "shapes-beta-vae-16"  # the strongest beta shipped: the one to look at first
CAPTURED = 0.1  # a dimension holding less than this share of any factor's entropy is said to capture none
SWEEP_SLOT, SCORE_SLOT = "factors_sweep", "factors_score"


def page_view() -> Bound[FactorsView]:
    """The page's view (pages/factors.py opens it first in every run)."""
    return Bound(FactorsView)


def _use_shapes() -> None:
    Bound(AppView).set(data=SHAPES)
    select_model(f"pretrained/{SHOWCASE_MODEL}")


def _use_showcase() -> None:
    select_model(f"pretrained/{SHOWCASE_MODEL}")


def shapes_here(sidebar_dataset):
    """(dataset, record) for a sidebar dataset without factors: the bundled shapes and the showcase model, on this
    page only, said in one line (with a button that makes them every page's)."""
    text, button = st.columns([5, 1], vertical_alignment="center")
    text.caption(f"{sidebar_dataset.name} has no known factors (nobody knows what caused each image), so this page "
                 f"shows the bundled **{SHAPES}** dataset and **{SHOWCASE_MODEL}**; the other pages keep "
                 f"{sidebar_dataset.name}.")
    button.button(f"Use {SHAPES} everywhere", key="factors_use_shapes", on_click=_use_shapes,
                  icon=":material/category:",
                  help=f"Make {SHAPES} and {SHOWCASE_MODEL} the sidebar's dataset and model, on every page.")
    return bundled_or_cached_dataset(SHAPES), load_model_key(f"pretrained/{SHOWCASE_MODEL}")


@st.cache_data(show_spinner=False)
def _example_rows() -> dict[str, np.ndarray]:
    """Each factor's row, from a mid-sized triangle near the centre (aelab.data.shapes.EXAMPLE)."""
    from aelab.data import shapes

    return {name: images.astype(np.float32) / 255 for name, images in shapes.one_factor_at_a_time().items()}


def factor_examples(dataset) -> None:
    """One row per factor, sweeping its grid with the others fixed (for the shapes source, which can draw any)."""
    factors = dataset.factors
    # Presenting, folded: the heatmap below is the main picture (the strips would fill the screen)
    with st.expander(f"The {len(factors.names)} factors of {dataset.name}, one at a time",
                     expanded=not present.presenting()):
        if dataset.name == SHAPES:
            show_rows(_example_rows(), scale=3 if present.presenting() else 2)
        st.markdown("\n".join(f"- **{name}** ({size} values): {text}" for name, size, text in
                              zip(factors.names, factors.sizes, factors.descriptions or [""] * len(factors.names))))


def check_model(record, dataset) -> None:
    if record.dataset != dataset.name:
        st.warning(f"{record.name} was trained on {record.dataset}, not on {dataset.name}: its code was never asked "
                   f"to describe these images, so expect low scores. The shipped models were trained on {SHAPES}.")
        if dataset.name == SHAPES:
            st.button(f"Use {SHOWCASE_MODEL}", key="factors_use_showcase", on_click=_use_showcase,
                      icon=":material/swap_horiz:")


# ------------------------------------------------------------------------------------------------ information
@st.cache_data(show_spinner="Measuring what each dimension tells about each factor...", max_entries=32)
def _information(identity: str, _model, _dataset) -> dict:
    scores = fs.score_model(_model, _dataset, which=("mig",))
    return {"mig": scores.mig.score, "per_factor": scores.mig.per_factor, "mutual_info": scores.mig.mutual_info,
            "entropy": scores.mig.entropy, "seconds": scores.seconds}


def information_section(record, dataset) -> None:
    names = dataset.factors.names
    info = _information(cache.key(record, dataset), record.model, dataset)
    st.subheader("What each dimension tells about each factor")
    present.intro("Each cell is the **mutual information** between one latent dimension (binned into 20 bins) and "
                  "one factor, as a share of that factor's entropy: 1 means the dimension alone pins the factor "
                  "down. A disentangled code has one bright cell per row, each in its own column.")
    with present.main_picture():
        st.plotly_chart(heatmap_figure(info["mutual_info"], info["entropy"], names,
                                       row_px=present.chart_height(45, 62)), key="factors_heatmap")
    gaps = ", ".join(f"{name} {gap:.2f}" for name, gap in zip(names, info["per_factor"]))
    st.caption(f"MIG of {record.name} = **{info['mig']:.3f}**: for each factor, the best dimension's share minus the "
               f"second best's ({gaps}), averaged. 10,000 images, {info['seconds'].get('mig', 0):.1f} s.")
    _traversals(record, dataset, info)


def _traversals(record, dataset, info: dict) -> None:
    st.subheader("Each dimension's traversal, named by the factor it captures")
    codes = codes_for(record, dataset)
    index = int(page_view().number_input("start", f"Start from test image (0-{len(codes) - 1})", 0, len(codes) - 1,
                                         key="factors_start", step=1))
    best, share = best_factor(info["mutual_info"], info["entropy"])
    order = [int(d) for d in np.argsort(-share, kind="stable")]
    low, high = dimension_ranges(codes, "std", 3.0)
    steps = 9
    images = decode(record.model, traversal_grid(codes[index], order, low, high, steps)).reshape(
        len(order), steps, 1, *dataset.image_size)
    names = dataset.factors.names
    rows = {}
    for row, d in enumerate(order):
        name = names[best[d]]
        label = (f"{latent_name(d)}: {name} ({share[d]:.0%})" if share[d] >= CAPTURED
                 else f"{latent_name(d)}: none (best {name}, {share[d]:.0%})")
        rows[label] = images[row]
    st.caption("Each row sweeps one dimension from its mean - 3 std to its mean + 3 std over the test codes, the "
               "others fixed at the start image's code; the label is the factor it shares most information with "
               f"and how much of that factor's entropy. Under {CAPTURED:.0%}: it captures none.")
    show_rows(rows, scale=2)


# ------------------------------------------------------------------------------------------------ scores
@st.cache_data(show_spinner=False, ttl=60)
def _shipped(dataset_name: str) -> list[dict]:
    return fs.shipped_results(dataset_name)


def _score_key(record) -> tuple:
    """(what, params) of a model's scores in the result store: keyed by the weights' digest, so a model replaced under
    its name is scored again (the dataset's identity is the store's own key)."""
    return "factors-scores", (record.weights_digest,)


def _table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"model": row["name"], "beta": row["beta"], "seed": row["seed"], "test MSE": row["mse"],
                          "MIG": row["mig"], "DCI disentanglement": row["dci"][0], "DCI completeness": row["dci"][1],
                          "DCI informativeness": row["dci"][2], "SAP": row["sap"]} for row in rows])


def _score_row(record, dataset, on_progress, should_stop) -> dict | None:
    """Runs in a job thread: never st.* here."""
    # one core, as before DCI could use more: a server keeps the others for its pages
    scores = fs.score_model(record.model, dataset, on_progress=on_progress, should_stop=should_stop, n_jobs=1)
    if scores is None:
        return None
    variational = record.model_config.variational
    return {"name": record.name, "variant": record.variant, "beta": record.train_config.beta if variational else 0.0,
            "seed": record.train_config.seed, "mse": evaluate(record.model, dataset.x_test)["mse"],
            **scores.to_json()}


def scores_section(record, dataset) -> None:
    st.subheader("Scores, model by model")
    rows = list(_shipped(dataset.name))
    shipped = record.pretrained and record.name in {row["name"] for row in rows}
    computed = stored(dataset, *_score_key(record))
    if computed is not None and not shipped:
        rows.append({**computed, "name": f"{record.name} (scored here)"})
    if rows:
        st.dataframe(_table(rows).style.format(precision=3), hide_index=True, width="stretch", key="factors_table")
        st.plotly_chart(scores_figure(rows), key="factors_scores_chart")
    st.caption("MIG: the gap in mutual information between a factor's two best dimensions. DCI: gradient boosting "
               "predicts each factor from the code; disentanglement = each dimension serves one factor, completeness "
               "= each factor lives in one dimension, informativeness = its test accuracy. SAP: the gap in accuracy "
               "of a linear classifier on each dimension alone. 10,000 training and 5,000 test images, as in "
               "disentanglement_lib.")
    if not shipped and computed is None:
        st.markdown(f"**{record.name}** has no shipped scores. DCI trains a gradient-boosted classifier per factor: "
                    "a few minutes on a CPU, in the background.")
        task_button(SCORE_SLOT, f"Score {record.name}", f"scores of {record.name}", dataset, _score_key(record),
                    lambda on_progress, should_stop: _score_row(record, dataset, on_progress, should_stop),
                    icon=":material/calculate:")


# ------------------------------------------------------------------------------------------------ beta sweep
def _beta_point(dataset, beta: float, seed: int, epochs: int, on_progress, should_stop) -> dict | None:
    """Runs in a job thread: never st.* here. The row without the model, so the store keeps numbers only."""
    row = fs.train_beta_point(dataset, beta, seed, epochs, on_progress=on_progress, should_stop=should_stop)
    if row is not None:
        row.pop("model")
        row["epochs"] = epochs
    return row


def sweep_section(dataset) -> None:
    st.subheader("The beta sweep: disentanglement against reconstruction")
    st.markdown("A beta-VAE weighs the KL term by beta: a stronger pull towards independent, standard-normal "
                "dimensions. Disentanglement is said to rise with beta while reconstructions blur; seeds differ "
                "as much as betas do (Locatello et al. 2019), which the two seeds shipped at the largest beta show.")
    points = session.beta_points
    added = [row for row in (stored(dataset, *key) for key in points) if row is not None]
    shipped = _shipped(dataset.name)
    if shipped or added:
        st.plotly_chart(sweep_figure(shipped, added), key="factors_sweep_chart")
    beta_col, seed_col, epochs_col = st.columns(3)
    view = page_view()
    beta = view.number_input("beta", "beta", 0.1, 200.0, where=beta_col, key="factors_beta", step=0.5)
    seed = int(view.number_input("seed", "seed", 0, 999, where=seed_col, key="factors_seed", step=1))
    epochs = int(view.number_input("epochs", "epochs", 1, 100, where=epochs_col, key="factors_epochs",
                                   default=fs.BETA_POINT_EPOCHS, step=1,
                                   help=f"The shipped models had {fs.BETA_POINT_EPOCHS}."))
    key = ("factors-point", (float(beta), seed, epochs))
    running = task_running(SWEEP_SLOT)
    if st.button("Train a beta-VAE and add the point", key="factors_add_point", disabled=running,
                 icon=":material/add_chart:",
                 help="Trains in the background (a few minutes for 20 epochs), then measures its MIG and test MSE."):
        start_task(SWEEP_SLOT, f"beta-VAE, beta {beta:g}", dataset, key,
                   lambda on_progress, should_stop: _beta_point(dataset, float(beta), seed, epochs, on_progress,
                                                                 should_stop))
        if key not in points:
            points.append(key)
        running = True
    if running or task_failed(SWEEP_SLOT):
        show_task(SWEEP_SLOT)
