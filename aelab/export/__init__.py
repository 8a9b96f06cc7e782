"""Export: a model's decoder and encoder as ONNX files (what the browser's live decoder and other tools run)."""
from aelab._lazy import lazy_exports

_EXPORTS = {
    "ExportError": ".onnx",
    "decoder_onnx": ".onnx",
    "encoder_onnx": ".onnx",
    "sidecar": ".onnx",
    "export_model": ".onnx",
    "export_files": ".onnx",
    "export_zip": ".onnx",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
