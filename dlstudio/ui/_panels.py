"""Small HTML pieces shared by the inspector and attribution widgets (escaped, no scripts)."""

from __future__ import annotations

import html
import math
import struct
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from dlstudio.inspect.report import LayerReport
from dlstudio.inspect.stats import TensorStats

BADGES = {"ok": "●", "warn": "▲", "bad": "✖"}
BADGE_COLOURS = {"ok": "#2e7d32", "warn": "#ef6c00", "bad": "#c62828"}
STYLE = (
    "<style>.dls-table{border-collapse:collapse;font:12px monospace}"
    ".dls-table td,.dls-table th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
    ".dls-table th:first-child,.dls-table td:first-child{text-align:left}"
    ".dls-bar{display:inline-block;height:10px;vertical-align:middle}</style>"
)


def number(value: float | int | None) -> str:
    """A short, readable number (``—`` for missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, int) or float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


def shape(dims: Sequence[int]) -> str:
    return "×".join(str(d) for d in dims)


def _row(label: str, s: TensorStats | None, extra: str = "") -> str:
    if s is None:
        return ""
    cells = [shape(s.shape), number(s.mean), number(s.std), number(s.min), number(s.max),
             f"{s.zeros:.1%}", number(s.nans), number(s.infs), number(s.norm), extra]  # fmt: skip
    tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
    return f"<tr><td>{html.escape(label)}</td>{tds}</tr>"


def stats_table(layer: LayerReport, title: str) -> str:
    """The layer's output, gradient and parameter statistics as one HTML table."""
    head = [
        "",
        "shape",
        "mean",
        "std",
        "min",
        "max",
        "zeros",
        "NaN",
        "Inf",
        "norm",
        "update/weight",
    ]
    rows = [_row("output", layer.output), _row("output gradient", layer.grad)]
    for name, p in layer.params.items():
        rows.append(_row(name, p.weight, number(p.update_ratio)))
        rows.append(_row(f"{name} gradient", p.grad))
    notes = []
    if layer.dead_fraction is not None:
        notes.append(f"dead units (never fired on this batch): {layer.dead_fraction:.0%}")
    if layer.saturation is not None:
        notes.append(f"saturated outputs: {layer.saturation:.0%}")
    ths = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    note = "".join(f"<div class='dls-note'>{html.escape(n)}</div>" for n in notes)
    return (
        f"{STYLE}<div class='dls-layer-title'><b>{html.escape(title)}</b> "
        f"({html.escape(layer.type)})</div><table class='dls-table'><tr>{ths}</tr>"
        f"{''.join(rows)}</table>{note}"
    )


def signed_bars(names: Sequence[str], values: Sequence[float], limit: int = 30) -> str:
    """Horizontal bars, red for positive and blue for negative, largest magnitudes first."""
    pairs = sorted(zip(names, values, strict=True), key=lambda p: -abs(p[1]))[:limit]
    top = max((abs(v) for _, v in pairs), default=0.0) or 1.0
    rows = []
    for name, value in pairs:
        colour = "#b2182b" if value >= 0 else "#2166ac"
        width = int(120 * abs(value) / top)
        rows.append(
            f"<tr><td>{html.escape(str(name))}</td><td>{number(value)}</td><td style='text-align:left'>"
            f"<span class='dls-bar' style='width:{width}px;background:{colour}'></span></td></tr>"
        )
    return f"{STYLE}<table class='dls-table'>{''.join(rows)}</table>"


def token_colours(tokens: Sequence[str], values: Sequence[float]) -> str:
    """Each token on a background from blue (against) through white to red (for the class)."""
    top = max((abs(v) for v in values), default=0.0) or 1.0
    spans = []
    for token, value in zip(tokens, values, strict=True):
        strength = min(1.0, abs(value) / top)
        rgb = "178,24,43" if value >= 0 else "33,102,172"
        spans.append(
            f"<span title='{number(value)}' style='background:rgba({rgb},{strength:.2f});"
            f"padding:1px 3px;margin:1px;border-radius:3px'>{html.escape(str(token))}</span>"
        )
    return f"<div class='dls-tokens' style='line-height:1.9'>{''.join(spans)}</div>"


def probability_bars(classes: Sequence[str], probs: Sequence[float], highlight: int | None) -> str:
    """The model's probabilities per class, the explained class in bold."""
    rows = []
    for index, (name, p) in enumerate(zip(classes, probs, strict=True)):
        label = html.escape(str(name))
        label = f"<b>{label}</b>" if index == highlight else label
        rows.append(
            f"<tr><td>{label}</td><td>{p:.1%}</td><td style='text-align:left'><span class='dls-bar' "
            f"style='width:{int(100 * p)}px;background:#3b518b'></span></td></tr>"
        )
    return f"{STYLE}<table class='dls-table'>{''.join(rows)}</table>"


def message_list(items: Sequence[tuple[str, str]]) -> str:
    """``(severity, text)`` pairs as a list with coloured markers."""
    if not items:
        return "<div class='dls-note'>No problems found.</div>"
    lines = "".join(
        f"<li style='color:{BADGE_COLOURS.get(sev, '#333')}'><span style='color:#222'>"
        f"{html.escape(text)}</span></li>"
        for sev, text in items
    )
    return f"<ul class='dls-diagnoses'>{lines}</ul>"


def show_png(image: Any, png: bytes | None, max_width: int = 640) -> None:
    """Put ``png`` in an ``ipywidgets.Image`` at its own pixel size, or shrunk to
    ``max_width`` (hidden when None).

    A flex container would otherwise stretch the picture to its width, blurring the pixels.
    """
    if not png:
        image.layout.display = "none"
        return
    width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR chunk
    if width > max_width:
        width, height = max_width, max(1, round(height * max_width / width))
    with image.hold_sync():
        image.value = png
        image.width, image.height = str(width), str(height)
    image.layout.display = None
    image.layout.width, image.layout.height = f"{width}px", f"{height}px"
    image.layout.flex = "0 0 auto"


def samples(data: Any, limit: int) -> tuple[Tensor, Tensor | None]:
    """Up to ``limit`` samples ``(x, y)`` as the model sees them: from ``(x, y)`` tensors, a
    DataBundle's validation split, or any dataset of ``(x, y)`` pairs.

    Example:
        >>> x, y = samples((torch.zeros(5, 2), torch.ones(5)), 3)
        >>> x.shape
        torch.Size([3, 2])
    """
    if isinstance(data, Tensor):
        return data[:limit], None
    if isinstance(data, list | tuple) and data and isinstance(data[0], Tensor):
        labels = torch.as_tensor(data[1])[:limit] if len(data) > 1 else None
        return data[0][:limit], labels
    dataset = getattr(data, "val", data)
    items = [dataset[i] for i in range(min(limit, len(dataset)))]
    if not items:
        raise ValueError("The data has no samples to show: its validation split is empty.")
    xs = torch.stack([torch.as_tensor(item[0]) for item in items])
    ys = torch.stack([torch.as_tensor(item[1]) for item in items])
    return xs, ys
