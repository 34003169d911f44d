"""``ExportReport``: what an export wrote and how the file compares with the eager model.

Example:
    >>> report = ExportReport("onnx", Path("out"), Path("out/model.onnx"), 1234)
    >>> report.latency_ms[1], report.eager_latency_ms[1] = 2.0, 4.0
    >>> report.latency_ratio(1)
    0.5
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPORT_FILE = "export.json"
"""The report inside every export folder; written last, so a folder with it is complete."""


@dataclass
class ExportReport:
    """One export: its files, its size and its measured agreement with the eager model.

    ``max_abs_diff`` is the largest absolute difference from the eager (float) model on the
    validation batch; ``accuracy_before``/``accuracy_after`` are the validation accuracies of the
    eager model and of the file (classification data only); ``latency_ms[b]`` and
    ``eager_latency_ms[b]`` are median milliseconds per batch of ``b``.
    """

    format: str
    folder: Path
    file: Path
    size_bytes: int
    max_abs_diff: float | None = None
    accuracy_before: float | None = None
    accuracy_after: float | None = None
    latency_ms: dict[int, float] = field(default_factory=dict)
    eager_latency_ms: dict[int, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    def latency_ratio(self, batch: int) -> float | None:
        """File latency over eager latency at ``batch`` (below 1: the file is faster)."""
        if batch not in self.latency_ms or not self.eager_latency_ms.get(batch):
            return None
        return self.latency_ms[batch] / self.eager_latency_ms[batch]

    def rows(self) -> list[tuple[str, str]]:
        """(what, value) lines for a report table."""
        rows = [("format", self.format), ("file", self.file.name), ("size", _size(self.size_bytes))]
        if self.max_abs_diff is not None:
            rows.append(("largest difference from the model", f"{self.max_abs_diff:.3g}"))
        if self.accuracy_before is not None and self.accuracy_after is not None:
            rows.append(
                ("validation accuracy", f"{self.accuracy_before:.1%} -> {self.accuracy_after:.1%}")
            )
        for batch in sorted(self.latency_ms):
            ratio = self.latency_ratio(batch)
            tail = f" ({ratio:.2f}x the model's)" if ratio is not None else ""
            rows.append((f"latency, batch of {batch}", f"{self.latency_ms[batch]:.2f} ms{tail}"))
        rows += [(key.replace("_", " "), str(value)) for key, value in self.details.items()]
        rows += [("note", note) for note in self.notes]
        return rows

    def __str__(self) -> str:
        width = max(len(what) for what, _ in self.rows())
        return "\n".join(f"{what:<{width}}  {value}" for what, value in self.rows())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["folder"], data["file"] = str(self.folder), self.file.name
        return data

    def save(self, folder: Path) -> None:
        (folder / REPORT_FILE).write_text(json.dumps(self.to_dict(), indent=1), "utf-8")


def _size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    return f"{size / 1e3:.1f} kB" if size < 1e6 else f"{size / 1e6:.1f} MB"
