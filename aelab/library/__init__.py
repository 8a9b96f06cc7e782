"""The model library: folders of safetensors weights and a JSON config, the shipped pretrained models and how they are
rebuilt."""
from aelab._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    ".store": "ModelRecord ModelInfo save_model load_model list_models library_root validate_name",
})
__all__ = __dir__()
