"""Small HTML views of a data set: an image gallery and a table of rows (no JavaScript)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

_CELL = 56  # pixels per shown image: small sets (8x8 digits) are scaled up, crisp


def png_data_url(image: Any) -> str:
    """A ``data:image/png`` URL for one image tensor (C, H, W) in [0, 1]."""
    from PIL import Image

    array = np.asarray(image.detach().cpu().numpy() if hasattr(image, "detach") else image)
    array = (np.clip(array, 0.0, 1.0) * 255).round().astype(np.uint8)
    channels = array.shape[0]
    picture = Image.fromarray(array[0] if channels == 1 else np.moveaxis(array[:3], 0, -1))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_gallery(images: Any, labels: Sequence[str], css_class: str = "dls-gallery") -> str:
    """HTML for a row of images with their labels underneath."""
    cells = []
    for image, label in zip(images, labels, strict=False):
        cells.append(
            f'<figure style="margin:2px;text-align:center">'
            f'<img src="{png_data_url(image)}" width="{_CELL}" height="{_CELL}" '
            f'style="image-rendering:pixelated;border:1px solid #ccc" alt="{html.escape(label)}">'
            f'<figcaption style="font-size:11px">{html.escape(label)}</figcaption></figure>'
        )
    return f'<div class="{css_class}" style="display:flex;flex-wrap:wrap">{"".join(cells)}</div>'


def row_table(
    rows: Any, labels: Sequence[str], columns: Sequence[str] | None, max_columns: int = 8
) -> str:
    """HTML table of the first rows of tabular or sequence data (standardised values)."""
    values = np.asarray(rows.detach().cpu().numpy() if hasattr(rows, "detach") else rows)
    values = values.reshape(len(values), -1)
    width = values.shape[1]
    names = list(columns or [f"x{i}" for i in range(width)])[:max_columns]
    more = width > max_columns
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    head += "<th>…</th>" if more else ""
    body = []
    for row, label in zip(values, labels, strict=False):
        cells = "".join(f"<td>{v:.2f}</td>" for v in row[:max_columns])
        cells += "<td>…</td>" if more else ""
        body.append(f"<tr>{cells}<td><b>{html.escape(label)}</b></td></tr>")
    return (
        '<table class="dls-rows" style="font-size:12px;border-collapse:collapse">'
        f"<tr>{head}<th>target</th></tr>{''.join(body)}</table>"
        '<div style="font-size:11px;color:#666">Values after standardisation '
        "(mean 0, std 1 on the training split).</div>"
    )


def label_text(bundle: Any, y: Any) -> str:
    """A target as the learner reads it: the class name, or the number(s) for regression."""
    if bundle.task == "classification":
        index = int(y)
        return bundle.classes[index] if index < len(bundle.classes) else str(index)
    flat = np.asarray(y).reshape(-1)
    return ", ".join(f"{v:.3g}" for v in flat[:3])
