"""Data: every source (bundled, downloadable, a user's files) as a Dataset of images in [0, 1], IDX files, corruptions,
and drawings made into model inputs."""
from aelab._lazy import lazy_exports

_EXPORTS = {
    "Dataset": ".sources",
    "SourceInfo": ".sources",
    "list_sources": ".sources",
    "load_dataset": ".sources",
    "load_user_data": ".sources",
    "BUNDLED_SOURCES": ".sources",
    "data_dir": ".download",
    "apply_corruption": ".corruption",
    "CORRUPTIONS": ".corruption",
    "CORRUPTION_INFO": ".corruption_kinds",
    "strength_range": ".corruption_kinds",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
