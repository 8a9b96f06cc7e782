"""Models: frozen configs, the variants registry, the nets, one Autoencoder class and the classic baselines (PCA,
k-means) behind the same interface."""
from aelab._lazy import lazy_exports

_EXPORTS = {
    "ModelConfig": ".config",
    "TrainConfig": ".config",
    "VARIANTS": ".variants",
    "Variant": ".variants",
    "get_variant": ".variants",
    "make_configs": ".variants",
    "Autoencoder": ".autoencoder",
    "build_model": ".autoencoder",
    "create_model": ".autoencoder",
    "resolve_device": ".autoencoder",
    "Output": ".output",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
