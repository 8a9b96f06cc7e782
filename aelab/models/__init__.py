"""Models: frozen configs, the variants registry, the nets, one Autoencoder class and the classic baselines (PCA,
k-means) behind the same interface."""
from aelab._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    ".config": "ModelConfig TrainConfig",
    ".variants": "VARIANTS Variant get_variant make_configs",
    ".autoencoder": "Autoencoder build_model create_model resolve_device",
    ".output": "Output",
    ".protocol": "Model",
})
__all__ = __dir__()
