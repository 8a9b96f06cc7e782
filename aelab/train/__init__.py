"""Training: the loop (a generator of progress), the losses citing their formulas, the trainer with its callbacks, and a
training run packaged as a background job."""
from aelab._lazy import lazy_exports

_EXPORTS = {
    "Progress": ".loop",
    "TrainResult": ".loop",
    "train": ".loop",
    "fit": ".loop",
    "Trainer": ".trainer",
    "EVENTS": ".trainer",
    "evaluate": ".loop",
    "compute_losses": ".losses",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
