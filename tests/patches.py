"""Monkeypatches several test modules share: a training step made to diverge, and the factor scores made quick."""
from __future__ import annotations

import functools
import math

from aelab.train import loop as training


def diverge_at_step(monkeypatch, step: int) -> None:
    """Make the training loop's step `step` (1-based, counted from now) return an infinite total loss. No learning
    rate makes Adam diverge reliably here (its normalised steps kept every variant finite at lr=10, the largest
    valid), so tests of divergence inject it."""
    real, calls = training.compute_losses, []

    def diverging(*args, **kwargs):
        terms = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == step:
            terms["total"] = terms["total"] * math.inf
        return terms

    monkeypatch.setattr(training, "compute_losses", diverging)


def quick_factor_scores(monkeypatch) -> None:
    """The same scoring code on 600 + 300 points with 5 boosting stages instead of 100 (10,000 + 5,000 points and 100
    stages take minutes): for tests of the plumbing, not of the scores."""
    import sklearn.ensemble

    from aelab.analysis import factor_scores

    monkeypatch.setattr(factor_scores, "score_model",
                        functools.partial(factor_scores.score_model, n_train=600, n_test=300))
    monkeypatch.setattr(sklearn.ensemble, "GradientBoostingClassifier",
                        functools.partial(sklearn.ensemble.GradientBoostingClassifier, n_estimators=5))
