"""TensorInspector: click a layer, see its statistics, histograms, feature maps and diagnoses.

Plain ipywidgets and small PNG images (no plotting library), so it loads fast in JupyterLab and
Voila alike. The numbers come from :mod:`dlstudio.inspect`.
"""

from __future__ import annotations

import contextlib
import html
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import numpy as np
import torch
from torch import Tensor, nn

from dlstudio.inspect import (
    Diagnosis,
    InspectionCallback,
    LayerReport,
    Report,
    attention_weights,
    capture_batch,
    diagnose,
    feature_maps,
    tensor_stats,
)
from dlstudio.inspect.features import CONVS
from dlstudio.inspect.images import bars, grid, heatmap_png, to_png
from dlstudio.ui._panels import BADGES, message_list, samples, show_png, stats_table

KINDS = [("output", "output"), ("gradient", "grad"), ("weights", "weight"),
         ("weight gradient", "weight_grad")]  # fmt: skip
RANK = {"ok": 0, "warn": 1, "bad": 2}
BATCH_FROM_DATA = 64


def _split(batch: Any) -> tuple[Tensor, Tensor | None]:
    if isinstance(batch, Tensor):
        return batch, None
    if isinstance(batch, list | tuple):
        target = torch.as_tensor(batch[1]) if len(batch) > 1 else None
        return torch.as_tensor(batch[0]), target
    return samples(batch, BATCH_FROM_DATA)  # a DataBundle or dataset: validation samples


def _classed(widget: widgets.Widget, name: str) -> widgets.Widget:
    widget.add_class(name)
    return widget


class TensorInspector(widgets.VBox):
    """Per-layer statistics of ``model`` on ``batch`` (``x``, ``(x, y)``, or a DataBundle: the
    first 64 validation samples), one layer at a time.

    Pick a layer in the list (or call ``select(layer_or_node_id)``) to see its output, gradient
    and weight statistics, a histogram, its diagnoses, and for convolution or attention layers
    the feature maps or attention weights of the chosen sample. With ``graph`` the layers carry
    their node ids; with ``callback`` (an :class:`InspectionCallback` in a running Trainer) it
    follows training and shows histograms over steps. ``lock`` (e.g. the trainer's) is held
    while the inspector runs the model itself.

    Example:
        >>> inspector = TensorInspector(model, (x[:64], y[:64]))  # doctest: +SKIP
        >>> inspector.select("conv1")  # doctest: +SKIP
        >>> inspector  # doctest: +SKIP
    """

    def __init__(
        self,
        model: nn.Module,
        batch: Any,
        *,
        graph: Any = None,
        loss_fn: Callable[[Tensor, Tensor | None], Tensor] | None = None,
        callback: InspectionCallback | None = None,
        lock: Any = None,
    ):
        self.model = model
        self.inputs, self.target = _split(batch)
        self.loss_fn = loss_fn
        self.callback = callback
        self._lock = lock if lock is not None else contextlib.nullcontext()
        self._update_lock = threading.RLock()
        node_names = {} if graph is None else dict(graph.module_names())
        self.node_of_layer: dict[str, str] = {layer: node for node, layer in node_names.items()}
        self.report: Report | None = None
        self.diagnoses: list[Diagnosis] = []
        self._listeners: list[Callable[[str], None]] = []

        self.layer_list = _classed(
            widgets.Select(options=[], rows=14, layout=widgets.Layout(width="270px")),
            "dls-inspector-layers",
        )
        self.kind = _classed(
            widgets.ToggleButtons(options=KINDS, value="output", style={"button_width": "auto"}),
            "dls-inspector-kind",
        )
        self.summary = _classed(widgets.HTML(), "dls-inspector-summary")
        self.stats = _classed(widgets.HTML(), "dls-inspector-stats")
        self.histogram = _classed(widgets.Image(format="png"), "dls-inspector-histogram")
        self.histogram_caption = _classed(widgets.HTML(), "dls-inspector-histogram-caption")
        self.over_steps = _classed(widgets.Image(format="png"), "dls-inspector-over-steps")
        self.pictures_title = widgets.HTML()
        self.pictures = _classed(widgets.Image(format="png"), "dls-inspector-pictures")
        self.diagnosis_box = _classed(widgets.HTML(), "dls-inspector-diagnoses")
        self.sample = widgets.BoundedIntText(
            value=0, min=0, max=max(0, len(self.inputs) - 1), description="sample",
            layout=widgets.Layout(width="160px"),
        )  # fmt: skip
        self.capture_button = _classed(
            widgets.Button(description="Capture again", icon="refresh"), "dls-inspector-capture"
        )
        self.layer_list.observe(lambda _: self._show_layer(), "value")
        self.kind.observe(lambda _: self._show_pictures_and_histogram(), "value")
        self.sample.observe(lambda _: self._show_pictures_and_histogram(), "value")
        self.capture_button.on_click(lambda _: self.capture())

        details = widgets.VBox([
            self.stats, self.kind, widgets.HBox([self.histogram, self.over_steps]),
            self.histogram_caption,
            widgets.HBox([self.sample]), self.pictures_title, self.pictures,
        ])  # fmt: skip
        super().__init__(
            [
                widgets.HBox([self.summary, self.capture_button]),
                widgets.HBox(
                    [
                        widgets.VBox(
                            [self.layer_list, self.diagnosis_box],
                            layout=widgets.Layout(width="300px"),
                        ),
                        details,
                    ]
                ),
            ]  # fmt: skip
        )
        self.add_class("dls-inspector")
        self._callback = callback
        if callback is not None:
            callback.on_capture(self.show_report)
        if callback is not None and callback.last_report is not None:
            self.show_report(callback.last_report)
        else:
            self.capture()

    # ---- public ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the widget and stop following the training's captures."""
        if self._callback is not None:
            self._callback.off_capture(self.show_report)
        super().close()

    def capture(self, batch: Any = None) -> Report:
        """Inspect ``batch`` (default: the one given before) now and show the result."""
        if batch is not None:
            self.inputs, self.target = _split(batch)
            self.sample.max = max(0, len(self.inputs) - 1)
        device = next((p.device for p in self.model.parameters()), torch.device("cpu"))
        with self._lock:
            report = capture_batch(
                self.model, self.inputs.to(device),
                None if self.target is None else self.target.to(device), self.loss_fn,
            )  # fmt: skip
        self.show_report(report)
        return report

    def show_report(self, report: Report) -> None:
        """Show ``report`` (thread-safe: InspectionCallback calls it from the training loop)."""
        with self._update_lock:
            self.report = report
            self.diagnoses = diagnose(report, self.node_of_layer)
            worst: dict[str, str] = {}
            for d in self.diagnoses:
                if RANK[d.severity] > RANK[worst.get(d.layer, "ok")]:
                    worst[d.layer] = d.severity
            options = [
                (f"{BADGES[worst.get(name, 'ok')]} {self._title(name)} · {layer.type}", name)
                for name, layer in report.layers.items()
            ]
            keep = self.layer_list.value
            with self.hold_sync():
                self.layer_list.options = options
                names = [value for _, value in options]
                self.layer_list.value = keep if keep in names else (names[0] if names else None)
                step = f"step {report.step}" if report.step is not None else "one batch"
                loss = f", loss {report.loss:.4g}" if report.loss is not None else ""
                self.summary.value = (
                    f"<b>{len(report.layers)} layers</b> · {step}{loss} · "
                    f"{len(self.diagnoses)} problem(s)"
                )
            self._show_layer()

    def select(self, layer: str) -> None:
        """Show ``layer``: a module name (``"features.0"``) or, with a graph, a node id."""
        if self.report is None:
            return
        by_node = {node: name for name, node in self.node_of_layer.items()}
        name = by_node.get(layer, layer)
        if name not in self.report.layers:
            inside = [n for n in self.report.layers if n.startswith(name + ".")]
            if not inside:
                raise KeyError(
                    f"No inspected layer {layer!r}; choose one of: "
                    f"{', '.join(self._title(n) for n in self.report.layers)}."
                )
            name = inside[0]
        self.layer_list.value = name

    def on_select(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(layer_name)`` whenever the shown layer changes."""
        self._listeners.append(listener)

    @property
    def selected(self) -> str | None:
        return self.layer_list.value

    # ---- drawing -----------------------------------------------------------------------

    def _title(self, name: str) -> str:
        node = self.node_of_layer.get(name)
        return f"{node} ({name})" if node and node != name else name

    def _layer(self) -> LayerReport | None:
        if self.report is None or self.layer_list.value is None:
            return None
        return self.report.layers.get(self.layer_list.value)

    def _show_layer(self) -> None:
        layer = self._layer()
        if layer is None:
            return
        self.stats.value = stats_table(layer, self._title(layer.name))
        mine = [(d.severity, d.message) for d in self.diagnoses if d.layer == layer.name]
        self.diagnosis_box.value = message_list(mine)
        self._show_pictures_and_histogram()
        for listener in list(self._listeners):
            listener(layer.name)

    def _param(self, layer: LayerReport) -> str:
        return "weight" if "weight" in layer.params else next(iter(layer.params), "weight")

    def _show_pictures_and_histogram(self) -> None:
        layer = self._layer()
        if layer is None or self.report is None:
            return
        param = self._param(layer)
        stats = tensor_stats(self.report, layer.name, self.kind.value, param)
        show_png(self.histogram, to_png(bars(stats.histogram.counts)) if stats else None)
        caption = ""
        if stats is not None:
            what = dict((v, k) for k, v in KINDS)[self.kind.value]
            caption = f"Histogram of the {what}: {stats.min:.3g} (left) to {stats.max:.3g} (right)."
        callback = self.callback
        if callback is not None and len(callback.reports) > 1:
            heat = callback.heatmap(layer.name, self.kind.value, param)
            values = heat.normalised().T[::-1]  # bins (bottom: low) × steps
            # A few captures would otherwise be enlarged into a sliver thousands of pixels tall.
            widen = -(-values.shape[0] // max(1, values.shape[1]))
            show_png(self.over_steps, heatmap_png(np.repeat(values, widen, axis=1), min_size=72))
            if heat.steps:
                caption += (
                    f" Over time: steps {heat.steps[0]} to {heat.steps[-1]} (left to right), "
                    f"values {heat.edges[0]:.3g} (bottom) to {heat.edges[-1]:.3g} (top)."
                )
        else:
            self.over_steps.layout.display = "none"
        self.histogram_caption.value = f"<small>{html.escape(caption)}</small>"
        self._show_pictures(layer.name)

    def _show_pictures(self, name: str) -> None:
        module = dict(self.model.named_modules()).get(name)
        x = self.inputs[self.sample.value : self.sample.value + 1]
        device = next((p.device for p in self.model.parameters()), torch.device("cpu"))
        picture, title = None, ""
        with self._lock:
            if isinstance(module, CONVS):
                maps = feature_maps(self.model, x.to(device), module).numpy()
                picture = grid(maps)
                title = f"Feature maps of sample {self.sample.value} ({len(maps)} channels)"
            elif isinstance(module, nn.MultiheadAttention):
                weights = attention_weights(self.model, x.to(device)).get(name)
                if weights is not None:
                    heads = weights.numpy()
                    picture = grid(heads, columns=len(heads))
                    title = f"Attention weights of sample {self.sample.value}, one per head"
        show_png(self.pictures, to_png(picture, min_size=200) if picture is not None else None)
        self.pictures_title.value = f"<b>{title}</b>" if title else ""
