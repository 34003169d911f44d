"""``from_csv``: a CSV file as a DataBundle, with imputation and one-hot encoding.

Everything learnt from the data (medians, means, categories) comes from the training rows only,
so the validation split measures what the model would do on rows it has never seen.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import stat
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import torch

from dlstudio.datasets.bundle import DataBundle, Task
from dlstudio.datasets.memory import as_targets, fit_scale, split_indices, tensor_bundle

_NOT_CSV = {
    ".xlsx": "an Excel workbook",
    ".xls": "an Excel workbook",
    ".json": "a JSON file",
    ".parquet": "a Parquet file",
    ".feather": "a Feather file",
    ".npy": "a NumPy array",
    ".npz": "a NumPy archive",
    ".pkl": "a pickle",
    ".png": "an image",
    ".jpg": "an image",
    ".jpeg": "an image",
    ".zip": "a zip archive",
    ".pt": "a PyTorch file",
}
MAX_HEADER_BYTES = 1 << 20  # the header row: a million bytes is thousands of column names
_MAX_CLASSES = 20  # integer targets with more distinct values than this are treated as numbers


def from_csv(
    path: str | os.PathLike[str],
    target: str | list[str],
    task: Task | None = None,
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
    sep: str | None = None,
    max_categories: int = 50,
) -> DataBundle:
    """Load a CSV file: predict column(s) ``target`` from the other columns.

    Numeric columns are imputed with the training median and standardised; text columns are
    one-hot encoded (missing values take the most frequent category) and named like
    ``"color=red"``; text columns with more than ``max_categories`` values (ids, free text) are
    left out and said so in the description. ``task`` defaults to classification for text,
    yes/no or small-integer targets and regression otherwise. Rows without a target are dropped.

    Example:
        >>> from dlstudio import datasets
        >>> bundle = datasets.from_csv("houses.csv", target="price")  # doctest: +SKIP
        >>> bundle.task, bundle.feature_names[:2]  # doctest: +SKIP
        ('regression', ['area', 'city=Lyon'])
    """
    path = Path(path).expanduser()
    frame = _read(path, sep)
    targets = [target] if isinstance(target, str) else list(target)
    for column in targets:
        if column not in frame.columns:
            close = difflib.get_close_matches(str(column), [str(c) for c in frame.columns], n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Column {column!r} is not in {path.name}.{hint} "
                f"The columns are: {', '.join(map(str, frame.columns))}."
            )
    notes = []
    if task != "classification":
        # A numeric target with a few "?" or "n/a" cells: those rows lack a target.
        for column in targets:
            frame[column] = _maybe_numeric(frame[column])
    missing_target = frame[targets].isna().any(axis=1)
    if missing_target.all():
        raise ValueError(f"Every row of {path.name} lacks a value in {', '.join(targets)}.")
    if missing_target.any():
        notes.append(f"dropped {int(missing_target.sum())} rows with no target")
        frame = frame.loc[~missing_target].reset_index(drop=True)
    features = frame.drop(columns=targets)
    if features.shape[1] == 0:
        raise ValueError(f"{path.name} has no columns besides the target to learn from.")

    task, y, classes = _targets(frame[targets], task)
    labels = y.numpy() if task == "classification" else None
    train_idx, val_idx = split_indices(len(frame), val_fraction, seed, labels)
    x, names, column_notes = _encode(features, train_idx, max_categories)
    notes += column_notes
    if x.shape[1] == 0:
        raise ValueError(f"No usable feature columns in {path.name}: {'; '.join(notes)}.")
    n_features = features.shape[1]
    description = (
        f"{path.name}: {len(frame)} rows, {n_features} columns -> {x.shape[1]} inputs; "
        f"predict {', '.join(targets)} ({task})."
    )
    if notes:
        description += " Note: " + "; ".join(notes) + "."
    return tensor_bundle(
        path.stem,
        x,
        y,
        task,
        val_fraction=val_fraction,
        seed=seed,
        classes=classes,
        standardize=False,
        split=(train_idx, val_idx),
        description=description,
        feature_names=names,
    )


def _read(path: Path, sep: str | None) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"No file at {path}. Check the path (relative to {Path.cwd()}).")
    if path.is_dir():
        raise ValueError(f"{path} is a folder; from_csv needs a .csv file.")
    kind = _NOT_CSV.get(path.suffix.lower())
    if kind:
        raise ValueError(
            f"{path.name} looks like {kind}, not a CSV file. Save it as CSV first "
            "(e.g. pandas' to_csv), or use from_tensors / from_folder."
        )
    with _open_regular(path) as file:
        head = file.read(65536)
        if not head.strip():
            raise ValueError(f"{path.name} is empty: a CSV file needs a header row and data rows.")
        text, encoding = _decode(head)
        if text is None:
            raise ValueError(
                f"{path.name} is not a CSV file: it holds binary data, not lines of text."
            )
        if sep is None:
            sep = "\t" if path.suffix.lower() == ".tsv" else _sniff(text)
        file.seek(0)
        try:
            frame = pd.read_csv(file, sep=sep, skipinitialspace=True, encoding=encoding)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise ValueError(f"{path.name} could not be read as CSV: {error}") from error
    if frame.empty:
        raise ValueError(f"{path.name} has a header but no data rows.")
    if frame.shape[1] < 2:
        raise ValueError(
            f"{path.name} has a single column ({frame.columns[0]!r}); a CSV file for training "
            f"needs a target column and feature columns separated by {sep!r}. "
            "If it uses another separator, pass sep=..."
        )
    return frame


def columns(path: str | os.PathLike[str], max_header: int = MAX_HEADER_BYTES) -> list[str]:
    """The column names ``from_csv`` would see, reading only the header row (at most
    ``max_header`` bytes) of a regular file; ValueError in one sentence otherwise.

    Example:
        >>> columns("houses.csv")  # doctest: +SKIP
        ['area', 'city', 'price']
    """
    path = Path(path).expanduser()
    with _open_regular(path) as file:
        head = file.read(max_header + 1)
    if not head.strip():
        raise ValueError(f"{path.name} is empty: a CSV file needs a header row and data rows.")
    line_end = min((i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0), default=-1)
    if line_end < 0 and len(head) > max_header:
        raise ValueError(
            f"{path.name} has no header row in its first {max_header:,} bytes; a CSV file starts "
            "with one line of column names."
        )
    # The header row and the lines after it up to from_csv's sample: enough to find the
    # separator the same way.
    text, _ = _decode(head[: max(line_end + 1, 65536)] if line_end >= 0 else head[:max_header])
    if text is None:
        raise ValueError(f"{path.name} is not a CSV file: it holds binary data, not lines of text.")
    sep = "\t" if path.suffix.lower() == ".tsv" else _sniff(text)
    header = text.splitlines()[0] if line_end >= 0 else text
    try:
        frame = pd.read_csv(io.StringIO(header), sep=sep, skipinitialspace=True, nrows=0)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as error:
        raise ValueError(f"{path.name} could not be read as CSV: {error}") from None
    return [str(c) for c in frame.columns]


def _open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file: a named pipe would block forever
    and a device never ends, so both are refused without waiting on them."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"No file at {path}.") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError(f"{path.name} is not a regular file (a pipe, device or folder).")
    return os.fdopen(fd, "rb")


def _decode(head: bytes) -> tuple[str | None, str]:
    """The start of the file as text and its encoding, or None when it is binary."""
    if b"\x00" in head:
        return None, ""
    try:
        # utf-8-sig also drops the byte-order mark Excel writes, which would rename column 1.
        return head.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 4:  # a multi-byte character cut off by the sample
            return head[: error.start].decode("utf-8-sig"), "utf-8-sig"
    # Not UTF-8: a Windows/Latin-1 export is text, unless control bytes say otherwise.
    controls = sum(b < 32 and b not in b"\t\r\n" for b in head)
    if controls >= len(head) / 100:
        return None, ""
    return head.decode("cp1252", errors="replace"), "cp1252"


def _sniff(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _targets(
    columns: pd.DataFrame, task: Task | None
) -> tuple[Task, torch.Tensor, list[str] | None]:
    if task not in (None, "classification", "regression"):
        raise ValueError(f"task must be 'classification', 'regression' or None; got {task!r}.")
    if columns.shape[1] > 1:
        if task == "classification":
            raise ValueError("Classification predicts one target column; give one name.")
        task = "regression"
    series = columns.iloc[:, 0]
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if task is None:
        integral = numeric and np.all(np.mod(series.to_numpy(dtype=float), 1) == 0)
        few = series.nunique() <= _MAX_CLASSES
        task = "classification" if not numeric or (integral and few) else "regression"
    if task == "regression":
        values = columns.apply(pd.to_numeric, errors="coerce")
        text_columns = [str(c) for c in values.columns if values[c].isna().any()]
        if text_columns:
            raise ValueError(
                f"Column {text_columns[0]!r} holds text, so it cannot be a regression target. "
                "Use task='classification' or clean the column."
            )
        return "regression", as_targets(values.to_numpy(dtype=np.float32), "regression"), None
    values = series.to_numpy()
    if numeric:
        values = values.astype(float)
        values = np.where(np.mod(values, 1) == 0, values.astype(np.int64), values)
    names, codes = np.unique(values.astype(str) if not numeric else values, return_inverse=True)
    classes = [_label(n) for n in names]
    return "classification", as_targets(codes, "classification"), classes


def _label(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _encode(
    features: pd.DataFrame, train_idx: np.ndarray, max_categories: int
) -> tuple[torch.Tensor, list[str], list[str]]:
    """Numeric and one-hot columns (float32), their names, and notes on ignored columns."""
    blocks, names, notes, numeric = [], [], [], []
    for column in features.columns:
        series = _maybe_numeric(features[column])
        train = series.iloc[train_idx]
        if train.isna().all():
            notes.append(f"ignored column {column!r} (empty in the training rows)")
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            values = series.to_numpy(dtype=np.float64)
            values = np.where(np.isnan(values), float(np.nanmedian(values[train_idx])), values)
            blocks.append(torch.from_numpy(values).float().unsqueeze(1))
            names.append(str(column))
            numeric.append(True)
        else:
            text = series.astype("string").str.strip()
            categories = sorted(text.iloc[train_idx].dropna().unique())
            if len(categories) > max_categories:
                notes.append(
                    f"ignored column {column!r} ({len(categories)} distinct text values, "
                    f"more than max_categories={max_categories})"
                )
                continue
            text = text.fillna(text.iloc[train_idx].mode().iloc[0])
            onehot = np.stack([(text == c).to_numpy(dtype=np.float32) for c in categories], 1)
            blocks.append(torch.from_numpy(onehot))
            names += [f"{column}={c}" for c in categories]
            numeric += [False] * len(categories)
    if not blocks:
        return torch.zeros(len(features), 0), names, notes
    x = torch.cat(blocks, dim=1)
    scaled = torch.tensor(numeric)
    if scaled.any():
        # Standardise numeric columns only: one-hot columns stay readable 0/1 indicators.
        mean, std = fit_scale(x[torch.from_numpy(train_idx)][:, scaled], dims=(0,))
        x[:, scaled] = (x[:, scaled] - mean) / std
    return x, names, notes


def _maybe_numeric(series: pd.Series) -> pd.Series:
    """Text columns whose values are nearly all numbers ("?" marking gaps) become numeric."""
    if not pd.api.types.is_object_dtype(series) and not pd.api.types.is_string_dtype(series):
        return series
    present = series.dropna()
    if present.empty:
        return series
    parsed = pd.to_numeric(present, errors="coerce")
    if parsed.notna().mean() >= 0.95:
        return pd.to_numeric(series, errors="coerce")
    return series
