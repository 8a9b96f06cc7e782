"""A training's card on the class wall: what the teacher reads on its tile, written into the job's state when it is
submitted (ui.train.stepping.submit_training), so the wall needs no access to the student's request or session.

It says the variant, the knobs that differ from the variant's defaults (the latent size and epochs always), the data
(its name when it is a named source everyone has, else only "their own images": an upload's file name can say more
than a student means to share), and whether the tile may show pictures of the data (only of a named source).
Nothing here imports Streamlit.
"""
from __future__ import annotations

from typing import Any

from aelab.models.knobs import KNOBS, knob_text
from aelab.models.variants import get_variant, make_configs
from aelab.runtime.identity import is_named_source
from aelab.train.job import TrainingRequest

CARD_KEY = "class_card"  # the job state's entry
ALWAYS = ("latent_dim", "epochs")
SHORT = {"latent_dim": "latent", "batch_size": "batch", "recon_loss": "loss", "noise_level": "noise level",
         "commitment_weight": "commitment", "sparsity_weight": "L1", "contractive_weight": "contractive",
         "codebook_size": "codes"}


def job_card(request: TrainingRequest) -> dict[str, Any]:
    """The card of request's training (plain values: the job's state is copied for every reader)."""
    shared = is_named_source(request.data_identity)
    return {"variant": request.variant, "knobs": knob_summary(request),
            "data": request.dataset if shared else "their own images", "shared": shared}


def knob_summary(request: TrainingRequest) -> str:
    """"latent 2, epochs 5, beta 4": the knobs of the variant set to other than its defaults, latent and epochs
    always."""
    variant = get_variant(request.variant)
    defaults = make_configs(request.variant, tuple(request.model_config.image_size))
    parts = []
    for knob in KNOBS:
        if not knob.applies(variant):
            continue
        config, default = ((request.model_config, defaults[0]) if knob.target == "model"
                           else (request.train_config, defaults[1]))
        value = getattr(config, knob.field)
        if knob.field in ALWAYS or value != getattr(default, knob.field):
            parts.append(f"{SHORT.get(knob.field, knob.field)} {knob_text(value)}")
    return ", ".join(parts)
