"""Export: a model's decoder and encoder as ONNX files (what the browser's live decoder and other tools run)."""
from aelab._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    ".onnx": "ExportError decoder_onnx encoder_onnx sidecar export_model export_files export_zip",
})
__all__ = __dir__()
