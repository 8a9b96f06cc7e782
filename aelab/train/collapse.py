"""Posterior collapse, said while a VAE trains: the check the Train page makes on each epoch's record.

A VAE whose KL term wins ignores its code: q(z|x) equals the prior for every image, the decoder draws one average
image, and the rate (KL, nats per image) is ~0 (Bowman et al. 2016; Alemi et al. 2018, "Fixing a Broken ELBO").
The per-epoch history already holds the KL and the count of active units (aelab.train.losses' tracker), so the check
reads one record and needs no model.
"""
from __future__ import annotations

from typing import Any

COLLAPSE_KL = 0.1  # nats per image: under this the code carries almost nothing about the image


def collapse_warning(record: dict[str, Any]) -> str | None:
    """One epoch's history record (aelab.train.history's schema) -> a warning when the VAE's code has collapsed:
    no active unit, or a KL under COLLAPSE_KL nats per image, on the test images (the training batches' means when
    there are none). None for a model without a KL term, or one whose code is in use."""
    terms = record.get("val") or record.get("train") or {}
    kl, active = terms.get("kl"), terms.get("active_units")
    if kl is None:
        return None
    # The active count is a mean over batches of whole counts: under 0.5, most batches had none.
    no_unit = active is not None and active < 0.5
    if not no_unit and kl >= COLLAPSE_KL:
        return None
    said = [f"its KL is {kl:.3f} nats per image"]
    if active is not None:
        said.append(f"{'no' if no_unit else f'{active:.1f}'} latent unit{'s are' if no_unit or active != 1 else ' is'}"
                    " active")
    return (f"Posterior collapse after epoch {record.get('epoch', '?')}: {' and '.join(said)}. The code carries "
            "(almost) nothing about the image, so the decoder draws the same average picture for every input. "
            "Lower beta (the KL weight), or train on: early epochs can dip and recover.")
