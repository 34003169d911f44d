"""AttributionPanel: pick a sample, a class and a method; see why the model decided.

Attribution runs in a background thread (never on the widget message loop) and can be
cancelled; the numbers come from :func:`dlstudio.explain.explain`.
"""

from __future__ import annotations

import contextlib
import html
import threading
from typing import Any

import ipywidgets as widgets
import numpy as np
import torch
from torch import Tensor, nn

from dlstudio.explain import METHODS, ExplainCancelled, Explanation, explain
from dlstudio.inspect.features import CONVS
from dlstudio.inspect.images import as_rgb, heatmap_png, overlay, to_png
from dlstudio.ui._panels import (
    probability_bars,
    samples,
    show_png,
    signed_bars,
    token_colours,
)

PREDICTION = -1


def _classed(widget: widgets.Widget, name: str) -> widgets.Widget:
    widget.add_class(name)
    return widget


class AttributionPanel(widgets.VBox):
    """Explain ``model``'s decisions on ``data`` (a DataBundle, its validation split is used;
    or ``(x, y)`` tensors): the input, the attribution heatmap over it (images), signed bars
    per feature (tables) or coloured tokens (sequences), the probabilities, and for Integrated
    Gradients the completeness check in words.

    ``graph`` lets Grad-CAM name convolution nodes by id; ``vocab`` (list or dict) shows token
    ids as words; ``lock`` (e.g. the trainer's) is held while the model runs.

    Example:
        >>> panel = AttributionPanel(model, datasets.load("digits"))  # doctest: +SKIP
        >>> panel  # pick a sample and a method, press Explain  # doctest: +SKIP
        >>> panel.run(); panel.wait().attributions.shape  # doctest: +SKIP
    """

    def __init__(
        self,
        model: nn.Module,
        data: Any,
        *,
        graph: Any = None,
        classes: list[str] | None = None,
        feature_names: list[str] | None = None,
        vocab: Any = None,
        max_samples: int = 512,
        lock: Any = None,
    ):
        self.model, self.graph, self.vocab = model, graph, vocab
        self._lock = lock if lock is not None else contextlib.nullcontext()
        self.inputs, self.labels = samples(data, max_samples)
        self.feature_names = feature_names or getattr(data, "feature_names", None)
        self.is_image = bool(getattr(data, "image", False)) or self.inputs.ndim == 4
        self.device = next((p.device for p in model.parameters()), torch.device("cpu"))
        self.outputs = self._predict()
        n_out = self.outputs.shape[1] if self.outputs.ndim == 2 else 1
        self.classes = list(classes or getattr(data, "classes", None) or [])
        if len(self.classes) != n_out:
            self.classes = [str(i) for i in range(n_out)]
        self.predictions = self.outputs.argmax(dim=1) if n_out > 1 else None
        self.result: Explanation | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._build_controls(n_out)
        super().__init__(
            [
                widgets.HBox([self.sample, self.misclassified]),
                widgets.HBox([self.target, self.method, self.layer, self.noise]),
                widgets.HBox([self.run_button, self.cancel_button, self.status]),
                widgets.HBox([self.input_image, self.heatmap, self.features, self.probs]),
                self.completeness,
            ]
        )
        self.add_class("dls-attribution")

    # ---- set-up ------------------------------------------------------------------------

    def _predict(self) -> Tensor:
        was_training = self.model.training
        outputs = []
        with self._lock, torch.no_grad():
            self.model.eval()
            try:
                for chunk in self.inputs.split(256):
                    outputs.append(self.model(chunk.to(self.device)).float().cpu())
            finally:
                self.model.train(was_training)
        out = torch.cat(outputs)
        return out.reshape(len(out), -1)

    def _sample_options(self, wrong_only: bool) -> list[tuple[str, int]]:
        options = []
        for i in range(len(self.inputs)):
            label = "" if self.labels is None else self._name(self.labels[i])
            if self.predictions is None:  # regression: the true value and the model's
                truth = (
                    "" if self.labels is None else f" · {float(self.labels[i].reshape(-1)[0]):.3g}"
                )
                options.append((f"#{i}{truth} → {float(self.outputs[i, 0]):.3g}", i))
                continue
            guess = self.classes[int(self.predictions[i])]
            wrong = self.labels is not None and label != guess
            if wrong_only and not wrong:
                continue
            mark = " ✗" if wrong else ""
            options.append((f"#{i} · {label} → {guess}{mark}" if label else f"#{i} → {guess}", i))
        return options

    def _name(self, label: Tensor) -> str:
        if label.numel() != 1 or label.is_floating_point():
            return ""
        index = int(label)
        return self.classes[index] if 0 <= index < len(self.classes) else str(index)

    def _build_controls(self, n_out: int) -> None:
        self.sample = _classed(
            widgets.Dropdown(options=self._sample_options(False), description="sample"),
            "dls-explain-sample",
        )
        wrong = len(self._sample_options(True)) if self.predictions is not None else 0
        self.misclassified = widgets.Checkbox(
            description=f"misclassified only ({wrong})", value=False, disabled=wrong == 0
        )
        self.misclassified.observe(self._filter_samples, "value")
        targets = [("prediction", PREDICTION)]
        if n_out > 1:
            targets += [(name, i) for i, name in enumerate(self.classes)]
        self.target = _classed(
            widgets.Dropdown(options=targets, description="class"), "dls-explain-target"
        )
        tokens = not self.inputs.is_floating_point()
        names = [(m.title, m.name) for m in METHODS.values() if m.token_inputs or not tokens]
        if not self.is_image:
            names = [n for n in names if n[1] != "grad_cam"]
        self.method = _classed(
            widgets.Dropdown(options=names, description="method"), "dls-explain-method"
        )
        self.layer = widgets.Dropdown(options=self._conv_options(), description="layer")
        self.layer.layout.display = "none"
        self.method.observe(self._method_changed, "value")
        self.noise = widgets.Checkbox(description="smooth (noise tunnel)", value=False)
        self.run_button = _classed(
            widgets.Button(description="Explain", button_style="primary"), "dls-explain-run"
        )
        self.cancel_button = _classed(
            widgets.Button(description="Cancel", disabled=True), "dls-explain-cancel"
        )
        self.run_button.on_click(lambda _: self.run())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.status = _classed(
            widgets.HTML("Pick a sample and press Explain."), "dls-explain-status"
        )
        self.input_image = _classed(widgets.Image(format="png"), "dls-explain-input")
        self.heatmap = _classed(widgets.Image(format="png"), "dls-explain-heatmap")
        self.features = _classed(widgets.HTML(), "dls-explain-features")
        self.probs = _classed(widgets.HTML(), "dls-explain-probs")
        self.completeness = _classed(widgets.HTML(), "dls-explain-completeness")
        for picture in (self.input_image, self.heatmap):
            picture.layout.display = "none"

    def _conv_options(self) -> list[tuple[str, str]]:
        names = dict(self.graph.module_names()) if self.graph is not None else {}
        node_of = {module: node for node, module in names.items()}
        convs = [n for n, m in self.model.named_modules() if isinstance(m, CONVS)]
        return [(node_of.get(n, n), n) for n in reversed(convs)]  # the last one first

    def _filter_samples(self, change: dict[str, Any]) -> None:
        self.sample.options = self._sample_options(bool(change["new"]))

    def _method_changed(self, change: dict[str, Any]) -> None:
        self.layer.layout.display = None if change["new"] == "grad_cam" else "none"

    # ---- running -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        """Explain the chosen sample in a background thread (does nothing if one is running)."""
        if self.running or self.sample.value is None:
            return
        self._cancel = threading.Event()
        index, method = int(self.sample.value), self.method.value
        target = None if self.target.value == PREDICTION else int(self.target.value)
        options: dict[str, Any] = {"noise_tunnel": bool(self.noise.value), "cancel": self._cancel}
        if method == "grad_cam":
            options["layer"] = self.layer.value
        self.run_button.disabled, self.cancel_button.disabled = True, False
        self.status.value = f"Explaining sample #{index} with {METHODS[method].title}…"
        self._thread = threading.Thread(
            target=self._work, args=(index, target, method, options), daemon=True,
            name="dlstudio-explain",
        )  # fmt: skip
        self._thread.start()

    def cancel(self) -> None:
        """Ask the running explanation to stop at its next forward pass."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> Explanation | None:
        """Block until the running explanation ends; return its result (None if none)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.result

    def _work(self, index: int, target: int | None, method: str, options: dict) -> None:
        x = self.inputs[index : index + 1].to(self.device)
        try:
            with self._lock:
                result = explain(self.model, x, target, method, **options)
            self.result, self.error = result, None
            self._show(index, result)
            self.status.value = f"Sample #{index}: {METHODS[method].title} done."
        except ExplainCancelled:
            self.status.value = "Cancelled."
        except Exception as exc:  # noqa: BLE001 - shown to the learner instead of lost in a thread
            self.error = exc
            self.status.value = f"<span style='color:#c62828'>{html.escape(str(exc))}</span>"
        finally:
            self.run_button.disabled, self.cancel_button.disabled = False, True

    # ---- drawing -----------------------------------------------------------------------

    def _show(self, index: int, result: Explanation) -> None:
        x = self.inputs[index].float().numpy()
        attr = result.attributions[0].detach().float().cpu().numpy()
        target = None if result.target is None else int(result.target[0])
        with self.hold_sync():
            picture, heat_png, features = None, None, ""
            if self.is_image and attr.ndim == 3:
                picture = to_png(as_rgb(x), min_size=192)
                heat_png = to_png(overlay(x, attr.sum(axis=0)), min_size=192)
            elif not self.inputs.is_floating_point():
                tokens = [self._token(int(t)) for t in self.inputs[index]]
                features = token_colours(tokens, attr.reshape(-1).tolist())
            elif attr.ndim == 1:
                names = self.feature_names or [f"x{i}" for i in range(len(attr))]
                features = signed_bars(names, attr.tolist())
            else:  # other shapes (e.g. channels × time): the attributions as a heatmap
                heat_png = heatmap_png(np.atleast_2d(attr.reshape(attr.shape[0], -1)), "diverging")
            show_png(self.input_image, picture)
            show_png(self.heatmap, heat_png)
            self.features.value = features
            probs = result.probabilities[0].cpu().tolist()
            if len(probs) == len(self.classes) and len(probs) > 1:
                self.probs.value = probability_bars(self.classes, probs, target)
            else:
                value = float(self.outputs[index].reshape(-1)[0])
                self.probs.value = f"<div>model output: <b>{value:.4g}</b></div>"
            text = result.completeness_text
            self.completeness.value = f"<div>{html.escape(text)}</div>" if text else ""

    def _token(self, token: int) -> str:
        if self.vocab is None:
            return str(token)
        try:
            return str(self.vocab[token])
        except (KeyError, IndexError):
            return str(token)
