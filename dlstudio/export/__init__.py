"""What leaves dlstudio: model files in every deployment format, checked against the model, and
training scripts that need only torch.

Example:
    >>> from dlstudio.export import FORMATS
    >>> sorted(FORMATS)[:3]
    ['ddp', 'executorch', 'onnx']
"""

from dlstudio.export.exporter import FORMATS, export, verify
from dlstudio.export.report import ExportReport
from dlstudio.export.source import Exportable, ExportError, resolve, with_data

__all__ = [
    "FORMATS", "ExportError", "ExportReport", "Exportable", "export", "resolve", "verify", "with_data",
]  # fmt: skip
