"""Training: the loop (a generator of progress), the losses citing their formulas, the trainer with its callbacks, and a
training run packaged as a background job."""
from aelab._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    ".loop": "Progress train",
    ".trainer": "Trainer EVENTS TrainResult fit",
    ".evaluation": "evaluate",
    ".losses": "compute_losses",
})
__all__ = __dir__()
