"""The Data panel: pick a built-in set, a CSV file or an image folder; see samples, sizes and
classes; choose augmentations and preview them.

Files can only be picked from lists of what lies inside the allowed data folder, and every
choice is checked again by ``DataSpec`` before anything is read.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import ipywidgets as w
import traitlets

from dlstudio.paths import inside
from dlstudio.session.data import IMAGE_SIZE, DataSpec
from dlstudio.train.settings import choices
from dlstudio.ui.studio.gallery import image_gallery, label_text, row_table

_MAX_FILES = 200
_MAX_SCANNED = 5000
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
_SAMPLES = 16
_PREVIEW = 8
_SOURCES = [("Built-in", "builtin"), ("CSV file", "csv"), ("Image folder", "folder")]


def list_files(root: Path) -> tuple[list[str], list[str]]:
    """CSV files (up to three levels down) and image folders (``folder/<class>/<images>``,
    the folder one level down) under ``root``, as paths relative to it.

    The walk stops after ``_MAX_SCANNED`` entries, so a big data folder (a home directory)
    cannot stall the Studio's start.
    """
    csvs: list[str] = []
    folders: list[str] = []
    scanned = 0
    level = [root] if root.is_dir() else []
    for depth in range(3):
        below: list[Path] = []
        for folder in level:
            try:
                entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
            except OSError:
                continue
            has_image = False
            for entry in entries:
                scanned += 1
                if scanned > _MAX_SCANNED:
                    return sorted(csvs), sorted(folders)
                if entry.name.startswith("."):
                    continue
                suffix = os.path.splitext(entry.name)[1].lower()
                if entry.is_dir(follow_symlinks=False):
                    below.append(Path(entry.path))
                elif suffix == ".csv" and len(csvs) < _MAX_FILES:
                    csvs.append(Path(entry.path).relative_to(root).as_posix())
                elif suffix in _IMAGE_SUFFIXES:
                    has_image = True
            # A folder of class folders holding images: its parent is what from_folder takes.
            parent = folder.parent.relative_to(root).as_posix() if depth >= 2 else None
            if has_image and parent and parent not in folders and len(folders) < _MAX_FILES:
                folders.append(parent)
        level = below
    return sorted(csvs), sorted(folders)


def csv_columns(path: Path) -> list[str]:
    """Column names of a CSV file: only its header row is read, only from a regular file
    (``datasets.csvfile.columns``); ValueError or OSError in one sentence otherwise."""
    from dlstudio.datasets.csvfile import columns

    return columns(path)


def _offer(dropdown: w.Dropdown, path: str) -> None:
    """Add ``path`` (checked inside the data folder already) to a file list that lacks it."""
    if path not in dropdown.options:
        dropdown.options = sorted([*dropdown.options, path])


class DataPanel(w.VBox):
    """Choose the data; ``bundle`` (a DataBundle) and ``spec`` change together when it loads.

    Example:
        >>> panel = DataPanel(Path("."), DataSpec("builtin", "iris"))
        >>> panel.bundle.num_classes
        3
    """

    spec = traitlets.Instance(DataSpec, allow_none=True)
    bundle = traitlets.Any(None)

    def __init__(self, root: Path, spec: DataSpec | None = None, **kwargs: Any) -> None:
        from dlstudio import datasets

        self.root = Path(root).expanduser().resolve()
        self._syncing = False  # True while Python sets the controls: their observers stay quiet
        offline = [e for e in datasets.catalog() if e["offline"]]
        self._descriptions = {e["name"]: e["description"] for e in offline}
        self._images = {e["name"] for e in offline if e["image"]}
        self.source = w.ToggleButtons(options=_SOURCES, value="builtin", description="Source")
        self.builtin = w.Dropdown(options=list(self._descriptions), description="Data set")
        self.csv_file = w.Dropdown(options=[], description="CSV file")
        self.csv_target = w.Dropdown(options=[], description="Predict")
        self.folder = w.Dropdown(options=[], description="Folder")
        low, high = IMAGE_SIZE
        self.image_size = w.BoundedIntText(28, min=low, max=high, description="Image size")
        self.grayscale = w.Checkbox(False, description="Grayscale")
        self.use = w.Button(description="Use this data", button_style="primary")
        names = choices()["augmentation"]
        self.augment = w.SelectMultiple(options=names, rows=len(names), description="Augment")
        self.message = w.HTML()
        self.info = w.HTML()
        self.samples = w.HTML()
        self.preview = w.HTML()
        self.source_box = w.VBox()
        for widget, name in ((self.info, "info"), (self.samples, "samples"),
                             (self.preview, "preview"), (self.message, "message")):  # fmt: skip
            widget.add_class(f"dls-data-{name}")
        aug_help = w.HTML(
            "<small>" + "<br>".join(
                f"<b>{n}</b>: {html.escape(d)}" for n, d in datasets.augmentations().items()
            ) + "</small>"
        )  # fmt: skip
        super().__init__(
            [
                self.source,
                self.source_box,
                self.message,
                self.info,
                w.HTML("<b>Samples</b>"),
                self.samples,
                w.HBox([self.augment, aug_help]),
                self.preview,
            ],
            **kwargs,
        )
        self.add_class("dls-data-panel")
        self._refresh_files()
        self.source.observe(self._show_source, "value")
        self.builtin.observe(self._builtin_changed, "value")
        self.csv_file.observe(self._csv_changed, "value")
        self.use.on_click(lambda _: self._use())
        self.augment.observe(self._augment_changed, "value")
        self.select(spec or DataSpec())

    # -- choosing ----------------------------------------------------------------------------

    def select(self, spec: DataSpec, bundle: Any = None) -> None:
        """Show ``spec`` in the controls and load it (what a session load calls); ``bundle``
        is its data when the caller has loaded it already."""
        self._choose(spec, sync_controls=True, bundle=bundle)

    def offer_csv(self, path: str) -> None:
        """Show the CSV file ``path`` (inside the data folder) chosen, its columns offered under
        "Predict", and ask for the column to predict; "Use this data" loads it.

        Example:
            >>> panel.offer_csv("houses.csv")  # doctest: +SKIP
        """
        name = inside(self.root, path).relative_to(self.root).as_posix()
        self.source.value = "csv"
        _offer(self.csv_file, name)
        self.csv_file.value = name
        self._show_source()
        if self.csv_target.options:
            self.message.value = (
                f"<b>{html.escape(name)}</b>: choose the column to predict under "
                "<b>Predict</b>, then press <b>Use this data</b>."
            )

    def _built_in_spec(self) -> DataSpec:
        name = self.builtin.value
        augment = tuple(self.augment.value) if name in self._images else ()
        return DataSpec("builtin", name, augment=augment)

    def _file_spec(self) -> DataSpec:
        if self.source.value == "csv":
            return DataSpec(
                "csv", path=self.csv_file.value or "", target=self.csv_target.value or ""
            )
        return DataSpec(
            "folder",
            path=self.folder.value or "",
            image_size=int(self.image_size.value),
            grayscale=bool(self.grayscale.value),
            augment=tuple(self.augment.value),
        )

    def _use(self) -> None:
        """The "Use this data" button: every field the page sent is checked here (the page can
        change a field's own min and max), and a refusal is said in the panel."""
        try:
            spec = self._file_spec()
        except (ValueError, TypeError) as error:  # SettingsError, PathError
            self._say_error(f"Could not use this data: {error}")
            return
        self._choose(spec)

    def _say_error(self, text: str) -> None:
        self.message.value = f'<span style="color:#b00020">{html.escape(text)}</span>'

    def _builtin_changed(self, _change: Any) -> None:
        if not self._syncing:
            self._choose(self._built_in_spec())

    def _augment_changed(self, _change: Any) -> None:
        if self._syncing or self.spec is None or tuple(self.augment.value) == self.spec.augment:
            return
        values = {**self.spec.to_dict(), "augment": list(self.augment.value)}
        try:
            spec = DataSpec.from_dict(values)
        except (ValueError, TypeError) as error:
            self._say_error(f"Could not use these augmentations: {error}")
            return
        self._choose(spec)

    def _choose(self, spec: DataSpec, sync_controls: bool = False, bundle: Any = None) -> None:
        self.message.value = f"<i>Loading {html.escape(spec.describe())}…</i>"
        try:
            bundle = spec.load(self.root) if bundle is None else bundle
        except (ValueError, TypeError, OSError, KeyError) as error:
            self._say_error(f"Could not load this data: {error}")
            return
        self.message.value = ""
        if sync_controls:
            self._sync_controls(spec)
        self._show(bundle)
        with self.hold_trait_notifications():
            self.bundle = bundle
            self.spec = spec

    def _sync_controls(self, spec: DataSpec) -> None:
        self._syncing = True
        try:
            self._set_controls(spec)
        finally:
            self._syncing = False

    def _set_controls(self, spec: DataSpec) -> None:
        with self.hold_sync():
            self.source.value = spec.source
            if spec.source == "builtin":
                self.builtin.value = spec.name
            elif spec.source == "csv":
                _offer(self.csv_file, spec.path)  # a file added since the list was made
                self.csv_file.value = spec.path
                self.csv_target.value = spec.target
            else:
                _offer(self.folder, spec.path)
                self.folder.value = spec.path
                self.image_size.min, self.image_size.max = IMAGE_SIZE  # whatever the page set
                self.image_size.value = spec.image_size
                self.grayscale.value = spec.grayscale
            self.augment.value = spec.augment

    # -- the controls for each source ---------------------------------------------------------

    def _refresh_files(self) -> None:
        csvs, folders = list_files(self.root)
        self.csv_file.options = csvs
        self.folder.options = folders
        self._show_source()

    def _show_source(self, _change: Any = None) -> None:
        source = self.source.value
        empty = w.HTML(
            f"<i>No {'CSV files' if source == 'csv' else 'image folders'} in the data folder "
            f"{html.escape(str(self.root))}. Put them there and restart the app.</i>"
        )
        if source == "builtin":
            children = [self.builtin]
        elif source == "csv":
            children = (
                [self.csv_file, self.csv_target, self.use] if self.csv_file.options else [empty]
            )
        else:
            children = (
                [self.folder, w.HBox([self.image_size, self.grayscale]), self.use]
                if self.folder.options
                else [empty]
            )
        self.source_box.children = children
        self.augment.disabled = source == "csv"

    def _csv_changed(self, _change: Any) -> None:
        name = self.csv_file.value
        if not name:
            self.csv_target.options = []
            return
        try:
            columns = csv_columns(inside(self.root, name))
        except (OSError, ValueError) as error:
            self.csv_target.options = []  # the previous file's columns must not stay
            self._say_error(str(error))
            return
        self.message.value = ""
        self.csv_target.options = columns
        if columns:
            self.csv_target.value = columns[-1]  # the target is most often the last column

    # -- showing the data ---------------------------------------------------------------------

    def _show(self, bundle: Any) -> None:
        kind = (
            f"{bundle.num_classes} classes: {', '.join(bundle.classes[:20])}"
            if bundle.task == "classification"
            else f"regression, {bundle.output_size} target(s)"
        )
        skipped = (
            f"<br>Left out: {len(bundle.skipped)} unreadable file(s)." if bundle.skipped else ""
        )
        self.info.value = (
            f"<b>{html.escape(bundle.name)}</b>: {html.escape(bundle.description)}<br>"
            f"{len(bundle.train):,} training / {len(bundle.val):,} validation samples; "
            f"each input {tuple(bundle.input_shape)}; {html.escape(kind)}.{skipped}"
        )
        self.augment.disabled = not bundle.image
        plain = bundle.with_augmentation([]) if bundle.augment else bundle
        xs, ys = plain.preview(_SAMPLES)
        labels = [label_text(bundle, y) for y in ys]
        if bundle.image:
            self.samples.value = image_gallery(xs, labels)
        else:
            self.samples.value = row_table(xs[:8], labels[:8], bundle.feature_names)
        if bundle.augment:
            augmented, _ = bundle.preview(_PREVIEW)  # same samples as the first ones above
            self.preview.value = "<b>With augmentation</b>" + image_gallery(
                augmented, labels[:_PREVIEW], "dls-gallery dls-augmented"
            )
        else:
            self.preview.value = ""
