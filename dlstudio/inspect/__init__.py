"""See inside a model: per-layer statistics, histograms over time, diagnoses, feature maps.

Pure Python (no Jupyter). ``capture_batch`` inspects one batch; ``InspectionCallback`` does it
every N steps of a Trainer run; ``diagnose`` turns a Report into findings in plain words, and
``node_health`` into a badge per graph node.

Example:
    >>> from dlstudio import inspect
    >>> report = inspect.capture_batch(model, x, y)  # doctest: +SKIP
    >>> [d.message for d in inspect.diagnose(report)]  # doctest: +SKIP
"""

from __future__ import annotations

from dlstudio.inspect.callback import InspectionCallback
from dlstudio.inspect.capture import Capture, capture_batch, default_loss, tracked_layers
from dlstudio.inspect.diagnose import Diagnosis, diagnose
from dlstudio.inspect.features import (
    attention_layers,
    attention_weights,
    conv_layers,
    feature_maps,
)
from dlstudio.inspect.history import HeatmapOverSteps, heatmap_over_steps, tensor_stats
from dlstudio.inspect.nodes import diagnoses_by_node, layer_of, node_health, node_of
from dlstudio.inspect.report import LayerReport, ParamReport, Report
from dlstudio.inspect.stats import Histogram, TensorStats

__all__ = [
    "Capture",
    "Diagnosis",
    "HeatmapOverSteps",
    "Histogram",
    "InspectionCallback",
    "LayerReport",
    "ParamReport",
    "Report",
    "TensorStats",
    "attention_layers",
    "attention_weights",
    "capture_batch",
    "conv_layers",
    "default_loss",
    "diagnose",
    "diagnoses_by_node",
    "feature_maps",
    "heatmap_over_steps",
    "layer_of",
    "node_health",
    "node_of",
    "tensor_stats",
    "tracked_layers",
]
