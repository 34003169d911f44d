"""``ExportPanel``: choose formats, export, read each format's report, download its files.

A thin view over ``dlstudio.export``: the panel asks ``source()`` for what to export (the
Studio's trained model and data, or any Trainer's), writes one folder per format under
``folder`` and shows the measured report. Files up to ``DOWNLOAD_LIMIT`` bytes are offered as
download links; larger ones are named by their path.

Example:
    >>> from dlstudio import Trainer, datasets
    >>> from dlstudio.graph import examples
    >>> trainer = Trainer(examples.load("mlp"), datasets.load("digits"))
    >>> panel = ExportPanel.for_trainer(trainer, "exports")
    >>> panel.formats.value
    ('onnx',)
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w

from dlstudio.export import FORMATS, Exportable, ExportError, ExportReport, export, resolve
from dlstudio.export.formats.quantized import MODES

DOWNLOAD_LIMIT = 25_000_000
"""Largest folder (bytes) whose files the page can download; the widget state carries them."""


class ExportPanel(w.VBox):
    """Formats to pick, options, an Export button and one report per format."""

    def __init__(
        self,
        source: Callable[[], Exportable],
        folder: str | os.PathLike[str],
        **kwargs: Any,
    ) -> None:
        self.source, self.folder = source, Path(folder)
        self.formats = w.SelectMultiple(
            options=[(f"{name}: {chosen.description}", name) for name, chosen in FORMATS.items()],
            value=("onnx",),
            rows=len(FORMATS),
            description="Formats",
            layout=w.Layout(width="560px"),
        )
        self.mode = w.Dropdown(options=MODES, value="auto", description="int8 mode")
        self.sparsity = w.FloatSlider(
            value=0.5, min=0.05, max=0.95, step=0.05, description="Sparsity"
        )
        self.fsdp = w.Checkbox(False, description="ddp: shard the model (FSDP)")
        self.button = w.Button(description="Export", button_style="primary")
        self.button.add_class("dls-export")
        self.status = w.HTML()
        self.status.add_class("dls-export-status")
        self.reports = w.HTML()
        self.reports.add_class("dls-export-reports")
        self.results: dict[str, ExportReport | ExportError] = {}
        options = w.HBox([self.mode, self.sparsity, self.fsdp])
        super().__init__([self.formats, options, self.button, self.status, self.reports], **kwargs)
        self.add_class("dls-export-panel")
        self.button.on_click(lambda _: self.run())

    @classmethod
    def for_trainer(cls, trainer: Any, folder: str | os.PathLike[str]) -> ExportPanel:
        """A panel that exports ``trainer``'s model, measured on its data."""
        return cls(lambda: resolve(trainer), folder)

    def run(self) -> dict[str, ExportReport | ExportError]:
        """Export in every chosen format (what the button does); returns each outcome."""
        self.button.disabled = True
        self.status.value = "<i>Exporting...</i>"
        try:
            item = self.source()
            self.results = {name: self._one(item, name) for name in self.formats.value}
        except (ExportError, ValueError) as error:
            self.status.value = f'<span class="dls-error">{html.escape(str(error))}</span>'
            return {}
        finally:
            self.button.disabled = False
        done = sum(isinstance(r, ExportReport) for r in self.results.values())
        self.status.value = f"Exported {done} of {len(self.results)} format(s) into {html.escape(str(self.folder))}."
        self.reports.value = "".join(_section(name, r) for name, r in self.results.items())
        return self.results

    def _one(self, item: Exportable, name: str) -> ExportReport | ExportError:
        options: dict[str, Any] = {
            "quantized": {"mode": self.mode.value},
            "pruned": {"sparsity": round(self.sparsity.value, 2)},
            "ddp": {"fsdp": self.fsdp.value},
        }.get(name, {})
        try:
            return export(item, self.folder / name, name, **options)
        except (ExportError, FileExistsError) as error:
            return error if isinstance(error, ExportError) else ExportError(str(error))


def _section(name: str, result: ExportReport | ExportError) -> str:
    title = f"<h4>{html.escape(name)}</h4>"
    if isinstance(result, ExportError):
        return f'{title}<div class="dls-error">{html.escape(str(result))}</div>'
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(what)}</th><td>{html.escape(value)}</td></tr>"
        for what, value in result.rows()
    )
    return f'{title}<table class="dls-export-report">{rows}</table>{_downloads(result.folder)}'


def _downloads(folder: Path) -> str:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    if sum(p.stat().st_size for p in files) > DOWNLOAD_LIMIT:
        return (
            f"<div>Too large to download here; the files are in {html.escape(str(folder))}.</div>"
        )
    links = []
    for path in files:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        name = html.escape(path.name)
        href = f"data:application/octet-stream;base64,{data}"
        links.append(f'<a class="dls-download" download="{name}" href="{href}">{name}</a>')
    return "<div>Download: " + " · ".join(links) + "</div>"
