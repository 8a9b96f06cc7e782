"""The model library: folders of safetensors weights and a JSON config, the shipped pretrained models and how they are
rebuilt."""
from aelab._lazy import lazy_exports

_EXPORTS = {
    "ModelRecord": ".store",
    "ModelInfo": ".store",
    "save_model": ".store",
    "load_model": ".store",
    "list_models": ".store",
    "library_root": ".store",
    "validate_name": ".store",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
