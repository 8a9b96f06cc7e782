"""What a trained model is asked: codes, projections, traversals, interpolations, samples, restoration and its scores,
anomalies, and pictures of it all."""
from aelab._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    ".latent": "encode_dataset decode reconstruct project_2d",
    ".metrics": "mse psnr ssim",
    ".inverse": "fit_inverse MapInverse",
})
__all__ = __dir__()
