"""The Anomalies page's data and figures: per-image reconstruction errors of the test split and of OOD sets
(cached per model, dataset and chosen sets), their overlaid histograms, ROC curves and the AUC table."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from aelab.analysis.anomaly import (
    OTHER_PREFIX,
    SYNTHETIC_OOD,
    anomaly_report,
    available_other_datasets,
    least_and_most_typical,
    other_dataset_ood,
    roc_curve,
    synthetic_ood,
)
from aelab.analysis.latent import reconstruct
from ui.common import cache
from ui.common.widgets import PALETTE

if TYPE_CHECKING:  # pandas costs ~0.3 s to import: only the functions that build tables import it
    import pandas as pd

TEST = "test"
N_EXAMPLES = 8


def ood_options(dataset) -> list[str]:
    """Every OOD set that can be built here: the synthetic ones, and each other dataset on this machine."""
    return list(SYNTHETIC_OOD) + [OTHER_PREFIX + name for name in available_other_datasets(dataset.name)]


def describe(name: str) -> str:
    if name in SYNTHETIC_OOD:
        return SYNTHETIC_OOD[name][0]
    return f"images of {name[len(OTHER_PREFIX):]}, fitted to this dataset's image size"


@st.cache_data(show_spinner="Reconstructing the test split and the OOD sets...", max_entries=16)
def _report(identity: str, names: tuple[str, ...], _model, _dataset) -> dict:
    """errors (set -> (N,) numpy), auc (set -> float), examples (set -> (k, 1, H, W) images and reconstructions)."""
    x_test = _dataset.x_test
    synthetic = [n for n in names if n in SYNTHETIC_OOD]
    others = [n[len(OTHER_PREFIX):] for n in names if n.startswith(OTHER_PREFIX)]
    ood = {**synthetic_ood(x_test, synthetic),
           **other_dataset_ood(_dataset.name, _dataset.image_size, others, len(x_test))}
    ood = {n: ood[n] for n in names}  # the user's order
    report = anomaly_report(_model, x_test, ood)
    examples = {n: (images[:N_EXAMPLES], reconstruct(_model, images[:N_EXAMPLES])) for n, images in ood.items()}
    return {"errors": {n: e.numpy() for n, e in report.errors.items()}, "auc": report.auc, "examples": examples}


def report_for(record, dataset, names: list[str]) -> dict:
    return _report(cache.key(record, dataset), tuple(names), record.model, dataset)


def colour(i: int) -> str:
    """The test split always in the palette's first colour, OOD sets in the following ones."""
    return PALETTE[i % len(PALETTE)]


def histogram_figure(errors: dict[str, np.ndarray], log_scale: bool = True, height: int = 380) -> go.Figure:
    """Overlaid histograms of per-image error, each normalised to a fraction of its set so sizes compare."""
    fig = go.Figure()
    floor = 1e-6
    values = {n: np.log10(np.maximum(e, floor)) if log_scale else e for n, e in errors.items()}
    low = min(v.min() for v in values.values())
    high = max(v.max() for v in values.values())
    size = (high - low) / 60 if high > low else 1.0
    for i, (name, v) in enumerate(values.items()):
        fig.add_histogram(x=v, name=name if name != TEST else "test split (in distribution)", opacity=0.6,
                          histnorm="probability", marker_color=colour(i),
                          xbins={"start": low, "end": high + size, "size": size})
    axis = {"title": "reconstruction error (MSE per pixel)"}
    if log_scale:
        ticks = np.arange(np.floor(low), np.ceil(high) + 1)
        axis.update(tickvals=ticks, ticktext=[f"{10 ** t:g}" for t in ticks])
    fig.update_layout(barmode="overlay", height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis=axis,
                      yaxis_title="fraction of the set", legend={"orientation": "h", "y": -0.25})
    return fig


def roc_figure(errors: dict[str, np.ndarray], auc: dict[str, float]) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": "#BBBBBB", "dash": "dot"}, name="chance",
                    hoverinfo="skip")
    for i, name in enumerate(errors):
        if name == TEST:
            continue
        fpr, tpr = roc_curve(errors[TEST], errors[name])
        fig.add_scatter(x=fpr, y=tpr, mode="lines", line={"color": colour(i)}, name=f"{name} (AUC {auc[name]:.3f})")
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis_title="test images flagged (false positive rate)",
                      yaxis_title="OOD images flagged (true positive rate)", legend={"orientation": "h", "y": -0.3})
    return fig


def auc_table(errors: dict[str, np.ndarray], auc: dict[str, float], percentile: float) -> pd.DataFrame:
    """One row per OOD set: AUC, median error, and the share flagged by a threshold at the test split's percentile."""
    import pandas as pd

    threshold = float(np.percentile(errors[TEST], percentile))
    rows = [{"set": TEST, "images": len(errors[TEST]), "ROC AUC": None, "median error": float(np.median(errors[TEST])),
             "flagged": float((errors[TEST] > threshold).mean())}]
    for name, e in errors.items():
        if name != TEST:
            rows.append({"set": name, "images": len(e), "ROC AUC": auc[name], "median error": float(np.median(e)),
                         "flagged": float((e > threshold).mean())})
    return pd.DataFrame(rows).set_index("set")


def typical_rows(errors: np.ndarray, x_test: torch.Tensor, model, k: int) -> dict[str, dict[str, torch.Tensor]]:
    """{"least": {...}, "most": {...}} of the k test images with the smallest / largest error and their
    reconstructions, with their errors."""
    least, most = least_and_most_typical(errors, k)
    picks = {"least": least, "most": most}
    out = {}
    for which, idx in picks.items():
        images = x_test[torch.as_tensor(idx.copy())]
        out[which] = {"images": images, "reconstructions": reconstruct(model, images),
                      "errors": torch.as_tensor(errors[idx])}
    return out
