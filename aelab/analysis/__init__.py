"""What a trained model is asked: codes, projections, traversals, interpolations, samples, restoration and its scores,
anomalies, and pictures of it all."""
from aelab._lazy import lazy_exports

_EXPORTS = {
    "encode_dataset": ".latent",
    "decode": ".latent",
    "reconstruct": ".latent",
    "project_2d": ".latent",
    "mse": ".metrics",
    "psnr": ".metrics",
    "ssim": ".metrics",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
