"""Data: every source (bundled, downloadable, a user's files) as a Dataset of images in [0, 1], IDX files, corruptions,
and drawings made into model inputs."""
from aelab._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    ".sources": "Dataset SourceInfo list_sources load_dataset load_user_data BUNDLED_SOURCES",
    ".download": "data_dir",
    ".corruption": "apply_corruption CORRUPTIONS",
    ".corruption_kinds": "CORRUPTION_INFO strength_range",
})
__all__ = __dir__()
