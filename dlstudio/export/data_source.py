"""The data part of an exported script: loading, the train/validation split and the
standardisation written out, so the script needs torch and the data's own libraries only.

Each source kind of a ``DataSpec`` becomes a ``def load_data()`` that returns the training and
validation sets, built exactly as dlstudio's data bundles build them (same seeded split, same
statistics from the training split, same augmentation), so a script trains on the very
samples the Studio trained on. dlstudio's own rules (the split, the standardisation, the
generated toy sets, CSV encoding, image decoding) are copied from their source
(``copy_source``): there is one copy of each to maintain.

- scikit-learn's sets (iris, wine, breast_cancer, diabetes) and the generated ones (moons,
  circles, spirals, xor, blobs, sine): features in a ``TensorDataset``, standardised per feature.
- digits and the torchvision sets (mnist, fashion_mnist, cifar10, downloaded into
  ``$DLSTUDIO_DATA`` or ``~/.dlstudio/data`` as the Studio does): raw pixels kept in memory,
  augmented, then standardised per channel on access.
- a CSV file: read with pandas, numeric columns imputed and standardised, text columns one-hot.
- an image folder: files decoded on access in ``NUM_WORKERS`` processes, as the Trainer does.

Every source can be written out; none needs dlstudio.

Example:
    >>> from dlstudio.session.data import DataSpec
    >>> source = data_source(DataSpec("builtin", "iris"), (4,), data_dir=None)
    >>> "from sklearn.datasets import load_iris" in source.imports, source.workers
    (True, False)
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from textwrap import indent, wrap
from typing import Any

from dlstudio.datasets import builtin, csvfile, folder, generated, images, memory
from dlstudio.datasets.torchvision_sets import _FILES as TORCHVISION_FILES
from dlstudio.export.copy_source import function_source, functions_source
from dlstudio.session.data import DataSpec

SKLEARN_SETS = ("iris", "wine", "breast_cancer", "diabetes")
GENERATED_SETS = ("moons", "circles", "spirals", "xor", "blobs", "sine")

_AUGMENT_CALLS = {
    "flip": "v2.RandomHorizontalFlip()",
    "vflip": "v2.RandomVerticalFlip()",
    "crop": 'v2.RandomCrop({size}, padding={padding}, padding_mode="reflect")',
    "rotation": "v2.RandomRotation(15)",
    "color": "v2.ColorJitter({jitter})",
    "noise": "v2.GaussianNoise(sigma=0.05, clip=True)",
}


@dataclass(frozen=True)
class DataSource:
    """The pieces a script needs for its data: import lines, module constants, and the code
    that ends with ``def load_data()`` (returning the training and validation sets)."""

    imports: frozenset[str]
    constants: tuple[str, ...]
    code: str
    workers: bool = False
    """Whether batches are read by ``NUM_WORKERS`` worker processes (image files)."""


def augment_source(names: Sequence[str], input_shape: Sequence[int]) -> str:
    """The expression of the torchvision v2 transform dlstudio builds for ``names``.

    Example:
        >>> augment_source(["flip", "crop"], (3, 32, 32))
        'v2.Compose([v2.RandomHorizontalFlip(), v2.RandomCrop((32, 32), padding=4, padding_mode="reflect")])'
    """
    return f"v2.Compose([{', '.join(augment_steps(names, input_shape))}])"


def augment_steps(names: Sequence[str], input_shape: Sequence[int]) -> list[str]:
    """The torchvision v2 transforms for ``names``, one expression each."""
    channels, height, width = input_shape
    jitter = "brightness=0.3, contrast=0.3"
    if channels == 3:  # saturation and hue exist for RGB images only
        jitter += ", saturation=0.3, hue=0.05"
    values = {"size": f"({height}, {width})", "padding": max(1, min(height, width) // 8)}
    return [_AUGMENT_CALLS[name].format(jitter=jitter, **values) for name in names]


def _assignment(name: str, steps: list[str]) -> str:
    """``name = v2.Compose([...])`` laid out as ruff formats it."""
    line = f"{name} = v2.Compose([{', '.join(steps)}])"
    inner = f"    [{', '.join(steps)}]"
    if len(line) <= 100:
        return line
    if len(inner) <= 100:
        return f"{name} = v2.Compose(\n{inner}\n)"
    items = "".join(f"        {step},\n" for step in steps)
    return f"{name} = v2.Compose(\n    [\n{items}    ]\n)"


def data_source(
    spec: DataSpec,
    input_shape: Sequence[int],
    data_dir: str | os.PathLike[str] | None,
    task: str = "classification",
) -> DataSource:
    """The data part of a script for ``spec`` (``input_shape`` without the batch axis, for the
    augmentations; ``data_dir`` is where files live, the script's own folder when None;
    ``task`` of the data, for CSV files)."""
    constants = [f"DATA_SEED = {spec.seed}", f"VAL_FRACTION = {spec.val_fraction!r}"]
    imports = {"import numpy as np", "import torch"}
    if spec.augment:
        imports.add("from torchvision.transforms import v2")
        constants += [
            "# Random augmentation of the raw training images, before standardisation.",
            _assignment("AUGMENT", augment_steps(spec.augment, input_shape)),
        ]
    if spec.source == "csv":
        source = _csv(spec, task, data_dir)
    elif spec.source == "folder":
        source = _folder(spec)
    elif spec.name in SKLEARN_SETS:
        source = _sklearn(spec.name)
    elif spec.name in GENERATED_SETS:
        source = _generated(spec.name)
    elif spec.name == "digits":
        source = _digits(spec)
    else:
        source = _torchvision(spec)
    if spec.source != "builtin":
        where = f"Path({_quote(Path(data_dir).resolve().as_posix())})" if data_dir else None
        constants.insert(0, f"DATA_DIR = {where or 'Path(__file__).resolve().parent'}")
        imports.add("from pathlib import Path")
    return DataSource(
        frozenset(imports | source.imports),
        (*constants, *source.constants),
        source.code,
        source.workers,
    )


def _quote(text: str) -> str:
    return json.dumps(text)


def _docstring(text: str) -> str:
    """A function's docstring, wrapped within 100 columns."""
    return "\n".join(
        wrap(f'"""{text}"""', width=100, initial_indent="    ", subsequent_indent="    ")
    )


_SPLIT = functions_source(
    [memory.split_indices, memory._strata, memory._allocate], drop=["check_val_fraction"]
)
_TENSOR_SPLITS = '''
def tensor_splits(x, y, labels=None):
    """Training and validation sets, features standardised with the training split's mean and
    std (per feature: over samples, and over time steps for sequences)."""
    train_idx, val_idx = split_indices(len(x), VAL_FRACTION, DATA_SEED, labels)
    mean, std = fit_scale(x[train_idx], dims=tuple(range(x.ndim - 1)))
    return (
        TensorDataset((x[train_idx] - mean) / std, y[train_idx]),
        TensorDataset((x[val_idx] - mean) / std, y[val_idx]),
    )
'''
_IMAGES = '''
class Images(Dataset):
    """Images (uint8, or floats in [0, 1]) augmented by ``transform`` as raw pixels, then
    standardised per channel."""

    def __init__(self, images, targets, mean, std, transform=None):
        self.images, self.targets, self.transform = images, targets, transform
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def __len__(self):
        return len(self.targets)

    def raw(self, index):
        image = self.images[index]
        return image.float() / 255 if image.dtype == torch.uint8 else image.float()

    def __getitem__(self, index):
        image = self.raw(index)
        if self.transform is not None:
            image = self.transform(image)
        return (image - self.mean) / self.std, self.targets[index]
'''
_IMAGE_SPLITS = '''
def image_splits(images, targets):
    """Training and validation images, standardised with the training split's channel stats."""
    split = split_indices(len(images), VAL_FRACTION, DATA_SEED, targets.numpy())
    train_idx, val_idx = map(torch.from_numpy, split)
    mean, std = image_stats(images[train_idx])
    return (
        Images(images[train_idx], targets[train_idx], mean, std{augment}),
        Images(images[val_idx], targets[val_idx], mean, std),
    )
'''


def _tabular(imports: set[str], load: str) -> DataSource:
    code = "\n\n\n".join(
        [_SPLIT, function_source(memory.fit_scale), _TENSOR_SPLITS.strip(), load.strip()]
    )
    return DataSource(frozenset(imports | {"from torch.utils.data import TensorDataset"}), (), code)


def _targets(expression: str, task: str) -> str:
    """``y = ...`` as dlstudio's ``as_targets`` makes it from the numbers in ``expression``."""
    if task == "classification":
        return f"y = torch.tensor({expression}).long()"
    return f"y = torch.tensor({expression}).float().reshape(len({expression}), -1)"


def _entry(name: str) -> dict[str, Any]:
    return next(entry for entry in builtin.catalog() if entry["name"] == name)


def _sklearn(name: str) -> DataSource:
    task = _entry(name)["task"]
    labels = "y.numpy()" if task == "classification" else "None"
    load = f"""
def load_data():
{_docstring(builtin.names()[name] + " From scikit-learn, split and standardised.")}
    raw = load_{name}()
    x = torch.from_numpy(np.asarray(raw.data, dtype=np.float32))
    {_targets("raw.target", task)}
    return tensor_splits(x, y, {labels})
"""
    return _tabular({f"from sklearn.datasets import load_{name}"}, load)


def _generated(name: str) -> DataSource:
    entry = _entry(name)
    options = {k: v for k, v in entry["options"].items() if k not in ("val_fraction", "seed")}
    arguments = "".join(f", {k}={v!r}" for k, v in options.items() if v is not None)
    task = entry["task"]
    labels = "y.numpy()" if task == "classification" else "None"
    load = f"""
def load_data():
{_docstring(entry["description"] + " Split and standardised.")}
    x, y = {name}(seed=DATA_SEED{arguments})
    x = torch.from_numpy(np.asarray(x, dtype=np.float32))
    {_targets("y", task)}
    return tensor_splits(x, y, {labels})
"""
    maker = function_source(getattr(generated, name), drop=["_check"])
    source = _tabular(set(), f"{maker}\n\n\n{load.strip()}")
    return source


def _in_memory_images(spec: DataSpec, imports: set[str], load: str) -> DataSource:
    augment = ", AUGMENT" if spec.augment else ""
    code = "\n\n\n".join(
        [
            _SPLIT,
            functions_source([memory.image_stats, memory.stats_from_sums]),
            _IMAGES.strip(),
            _IMAGE_SPLITS.strip().format(augment=augment),
            load.strip(),
        ]
    )
    return DataSource(frozenset(imports | {"from torch.utils.data import Dataset"}), (), code)


def _digits(spec: DataSpec) -> DataSource:
    load = '''
def load_data():
    """scikit-learn's 1,797 handwritten digits as 1x8x8 images, 10 classes."""
    raw = load_digits()
    images = torch.from_numpy(raw.images).float().unsqueeze(1) / 16  # pixels are 0..16
    return image_splits(images, torch.tensor(raw.target).long())
'''
    return _in_memory_images(spec, {"from sklearn.datasets import load_digits"}, load)


def _torchvision(spec: DataSpec) -> DataSource:
    class_name = TORCHVISION_FILES[spec.name][0]
    layout = (
        "images.unsqueeze(1)  # (N, H, W) -> (N, 1, H, W)"
        if spec.name != "cifar10"
        else "images.permute(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)"
    )
    load = f"""
def load_data():
{_docstring(builtin.names()[spec.name] + " Read by torchvision, kept in memory as uint8.")}
    train_set = datasets.{class_name}(DATA_ROOT, train=True, download=True)
    images = torch.as_tensor(np.asarray(train_set.data))
    images = {layout}
    targets = torch.as_tensor(np.asarray(train_set.targets), dtype=torch.long)
    return image_splits(images.contiguous(), targets)
"""
    source = _in_memory_images(spec, {"import os", "from torchvision import datasets"}, load)
    root = 'Path(os.environ.get("DLSTUDIO_DATA", "~/.dlstudio/data")).expanduser()'
    return DataSource(
        source.imports | {"from pathlib import Path"},
        ("# Where the Studio keeps its downloads.", f"DATA_ROOT = {root}"),
        source.code,
    )


def _csv(spec: DataSpec, task: str, data_dir: str | os.PathLike[str] | None) -> DataSource:
    sep, encoding = _csv_format(Path(data_dir or ".") / spec.path)
    if task == "classification":
        targets = [
            "numeric = is_numeric_dtype(target) and not is_bool_dtype(target)",
            "values = target.to_numpy(dtype=float) if numeric else target.to_numpy().astype(str)",
            "y = torch.from_numpy(np.unique(values, return_inverse=True)[1].reshape(-1)).long()",
            "train_idx, val_idx = split_indices(len(frame), VAL_FRACTION, DATA_SEED, y.numpy())",
        ]
        kind = "class"
    else:
        targets = [
            "y = torch.from_numpy(target.to_numpy(dtype=np.float32)).reshape(-1, 1)",
            "train_idx, val_idx = split_indices(len(frame), VAL_FRACTION, DATA_SEED)",
        ]
        kind = "value"
    load = f'''
def load_data():
    """{spec.path}: predict the {kind} in column TARGET from the other columns. Numeric columns
    are imputed with the training median and standardised, text columns one-hot encoded."""
    frame = pd.read_csv(
        DATA_DIR / {_quote(spec.path)},
        sep={_quote(sep)},
        skipinitialspace=True,
        encoding={_quote(encoding)},
    )
    frame[TARGET] = maybe_numeric(frame[TARGET])
    frame = frame.dropna(subset=[TARGET]).reset_index(drop=True)  # rows without a target
    target = frame[TARGET]
{indent(chr(10).join(targets), "    ")}
    x, _, notes = encode(frame.drop(columns=[TARGET]), train_idx, max_categories=50)
    for note in notes:
        print(note)
    return TensorDataset(x[train_idx], y[train_idx]), TensorDataset(x[val_idx], y[val_idx])
'''
    code = "\n\n\n".join(
        [
            _SPLIT,
            function_source(memory.fit_scale),
            functions_source([csvfile._maybe_numeric, csvfile._encode]),
            load.strip(),
        ]
    )
    imports = {"import pandas as pd", "from torch.utils.data import TensorDataset"}
    if task == "classification":
        imports.add("from pandas.api.types import is_bool_dtype, is_numeric_dtype")
    return DataSource(frozenset(imports), (f"TARGET = {_quote(spec.target)}",), code)


def _csv_format(path: Path) -> tuple[str, str]:
    """The separator and encoding dlstudio reads ``path`` with (its defaults when the file
    cannot be read now)."""
    default = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        with open(path, "rb") as file:
            text, encoding = csvfile._decode(file.read(65536))
    except OSError:
        return default, "utf-8-sig"
    if text is None:
        return default, "utf-8-sig"
    return ("\t" if path.suffix.lower() == ".tsv" else csvfile._sniff(text)), encoding


def _folder(spec: DataSpec) -> DataSource:
    augment = ", AUGMENT" if spec.augment else ""
    load = f'''
def load_data():
    """Images in {spec.path}/<class>/ resized to IMAGE_SIZE, one class per folder; a folder
    already split into train/ and val/ keeps its split. Unreadable images are left out."""
    root = DATA_DIR / {_quote(spec.path)}
    folders = presplit(root)
    if folders:
        train_files, val_files = scan(folders[0])[0], scan(folders[1])[0]
        candidates = [(*c, True) for c in train_files] + [(*c, False) for c in val_files]
    else:
        candidates = [(*c, True) for c in scan(root)[0]]
    with ThreadPoolExecutor(max_workers=8) as pool:  # decoding releases the GIL
        sums = list(pool.map(lambda c: check(c[0], IMAGE_SIZE, CHANNELS), candidates))
    readable = [(*c, s) for c, s in zip(candidates, sums, strict=True) if not isinstance(s, str)]
    classes = sorted({{label for _, label, is_train, _ in readable if is_train}})
    files = [(p, classes.index(c), t, s) for p, c, t, s in readable if c in classes]
    paths = [file[0] for file in files]
    targets = torch.tensor([file[1] for file in files], dtype=torch.long)
    if folders:
        train_idx = np.array([i for i, file in enumerate(files) if file[2]], dtype=np.int64)
        val_idx = np.array([i for i, file in enumerate(files) if not file[2]], dtype=np.int64)
    else:
        train_idx, val_idx = split_indices(len(files), VAL_FRACTION, DATA_SEED, targets.numpy())
    sums = torch.from_numpy(np.stack([files[i][3] for i in train_idx]).sum(axis=0))
    pixels = len(train_idx) * IMAGE_SIZE[0] * IMAGE_SIZE[1]
    mean, std = stats_from_sums(sums[0], sums[1], pixels)
    train_paths, val_paths = [paths[i] for i in train_idx], [paths[i] for i in val_idx]
    return (
        ImageFiles(train_paths, targets[torch.from_numpy(train_idx)], mean, std{augment}),
        ImageFiles(val_paths, targets[torch.from_numpy(val_idx)], mean, std),
    )
'''
    image_files = '''
class ImageFiles(Images):
    """Image files decoded on access, resized to IMAGE_SIZE with CHANNELS channels."""

    def raw(self, index):
        return decode(self.images[index], IMAGE_SIZE, CHANNELS)
'''
    code = "\n\n\n".join(
        [
            _SPLIT,
            functions_source([memory.stats_from_sums, images.decode]),
            functions_source([folder._presplit, folder._scan, folder._check]),
            _IMAGES.strip(),
            image_files.strip(),
            load.strip(),
        ]
    )
    size = spec.image_size
    extensions = ", ".join(_quote(e) for e in sorted(folder._EXTENSIONS))
    constants = (
        f"IMAGE_SIZE = ({size}, {size})",
        f"CHANNELS = {1 if spec.grayscale else 3}",
        f"EXTENSIONS = {{{extensions}}}",
        "NUM_WORKERS = max(1, min(4, (os.cpu_count() or 2) - 1))  # processes decoding images",
    )
    imports = {
        "import os",
        "from concurrent.futures import ThreadPoolExecutor",
        "from PIL import Image",
        "from torch.utils.data import Dataset",
    }
    return DataSource(frozenset(imports), constants, code, workers=True)
