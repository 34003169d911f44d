"""``from_folder``: images sorted into one sub-folder per class (torchvision's ImageFolder layout).

Every image is decoded once while loading: that is the only sure way to find the unreadable
ones (a truncated file can have a valid header), and it yields the pixel statistics. Training
then decodes files again on demand, in DataLoader worker processes.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from dlstudio.datasets.augment import AugmentSpec
from dlstudio.datasets.bundle import DataBundle
from dlstudio.datasets.images import ImageFiles, decode
from dlstudio.datasets.memory import split_indices, stats_from_sums

_EXTENSIONS = {".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", ".gif"}


def from_folder(
    root: str | os.PathLike[str],
    image_size: int | tuple[int, int] = 64,
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
    grayscale: bool = False,
    augment: AugmentSpec = None,
) -> DataBundle:
    """Images in ``root/<class>/<image file>``, resized to ``image_size``, one class per folder.

    Images that cannot be read are left out and listed in ``bundle.skipped`` as (path, reason),
    and so are links (class folders or images) that lead out of ``root``.
    ``grayscale=True`` gives 1-channel images, otherwise 3 (RGB). A root already split into
    ``train/<class>/`` and ``val/<class>/`` (or ``valid``, ``validation``, ``test``) keeps that
    split, and ``val_fraction`` does not apply.

    Example:
        >>> from dlstudio import datasets
        >>> bundle = datasets.from_folder("photos", image_size=32)  # doctest: +SKIP
        >>> bundle.classes, bundle.input_shape, bundle.skipped  # doctest: +SKIP
        (['cat', 'dog'], (3, 32, 32), [('photos/dog/broken.png', 'cannot identify image file')])
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"No folder at {root}. from_folder needs root/<class>/<images>.")
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"image_size must be a positive int or (height, width): {image_size!r}.")
    channels = 1 if grayscale else 3
    base = root.resolve()  # links inside the folder may not lead out of it
    presplit = _presplit(root)
    if presplit:
        train_files, skipped = _scan(presplit[0], base)
        val_files, skipped_val = _scan(presplit[1], base)
        candidates = [(*c, True) for c in train_files] + [(*c, False) for c in val_files]
        skipped += skipped_val
    else:
        found, skipped = _scan(root, base)
        candidates = [(*c, True) for c in found]
    # Decoding releases the GIL, so threads check many files at once.
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 2) * 2)) as pool:
        results = list(pool.map(lambda item: _check(item[0], size, channels), candidates))
    readable = []
    for (path, label, is_train), result in zip(candidates, results, strict=True):
        if isinstance(result, str):
            skipped.append((path, result))
        else:
            readable.append((path, label, is_train, result))
    classes = sorted({label for _, label, is_train, _ in readable if is_train})
    for label in sorted({label for _, label, is_train in candidates if is_train} - set(classes)):
        train_root = presplit[0] if presplit else root
        skipped.append((str(train_root / label), "no readable images in this class folder"))
    if len(classes) < 2:
        raise ValueError(
            f"{root} needs at least two class folders with readable images; found "
            f"{classes or 'none'}. Put each class's images in its own sub-folder."
        )
    index = {label: i for i, label in enumerate(classes)}
    for path, label, _, _ in readable:
        if label not in index:
            skipped.append((path, f"class {label!r} has no images in the training folder"))
    files = [(p, index[label], t, stats) for p, label, t, stats in readable if label in index]
    paths = [path for path, _, _, _ in files]
    targets = torch.tensor([i for _, i, _, _ in files], dtype=torch.long)
    if presplit:
        train_idx = np.array([i for i, f in enumerate(files) if f[2]], dtype=np.int64)
        val_idx = np.array([i for i, f in enumerate(files) if not f[2]], dtype=np.int64)
        if len(val_idx) == 0:
            raise ValueError(f"{presplit[1]} holds no readable images of the training classes.")
    else:
        train_idx, val_idx = split_indices(len(files), val_fraction, seed, targets.numpy())
    sums = torch.from_numpy(np.stack([files[i][3] for i in train_idx]).sum(axis=0))
    mean, std = stats_from_sums(sums[0], sums[1], len(train_idx) * size[0] * size[1])

    def split(indices: np.ndarray) -> ImageFiles:
        return ImageFiles(
            [paths[i] for i in indices],
            targets[torch.from_numpy(indices)],
            size,
            channels,
            mean,
            std,
            root=base,
        )

    bundle = DataBundle(
        name=root.name,
        train=split(train_idx),
        val=split(val_idx),
        input_shape=(channels, *size),
        task="classification",
        num_classes=len(classes),
        classes=classes,
        description=f"{len(files)} images from {root}, {len(classes)} classes"
        + (f"; {len(skipped)} files skipped (see .skipped)." if skipped else "."),
        output_size=len(classes),
        image=True,
        mean=tuple(mean),
        std=tuple(std),
        skipped=skipped,
    )
    return bundle.with_augmentation(augment) if augment else bundle


def _presplit(root: Path) -> tuple[Path, Path] | None:
    """(train, validation) folders when ``root`` is already split into train/ and val/."""
    base = root.resolve()
    folders = {
        p.name.lower(): p
        for p in root.iterdir()
        if p.is_dir() and base in p.resolve().parents  # not a link out of the folder
    }
    val = next((folders[n] for n in ("val", "valid", "validation", "test") if n in folders), None)
    return (folders["train"], val) if "train" in folders and val is not None else None


def _scan(
    root: Path, base: Path | None = None
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(path, class) for image files under each class folder, and the files left out: not
    images, or links (class folders, files) that lead out of ``base`` (default ``root``)."""
    base = (base or root).resolve()
    outside = "a link to outside the data folder"
    candidates, skipped = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if base not in folder.resolve().parents:
            skipped.append((str(folder), outside))  # not listed: it may be a link to /
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if path.name.startswith("."):
                continue  # .DS_Store and friends
            if base not in path.resolve().parents:
                skipped.append((str(path), outside))
            elif path.suffix.lower() in _EXTENSIONS:
                candidates.append((str(path), folder.name))
            else:
                skipped.append((str(path), f"not an image file ({path.suffix or 'no extension'})"))
    return candidates, skipped


def _check(path: str, size: tuple[int, int], channels: int) -> np.ndarray | str:
    """Per-channel (sum, sum of squares) of the decoded image, or why it cannot be read."""
    try:
        image = decode(path, size, channels).double()
    except Exception as error:  # noqa: BLE001 -- PIL raises many kinds for broken files
        return f"unreadable image ({type(error).__name__}: {error})"
    return np.stack([image.sum(dim=(1, 2)).numpy(), (image**2).sum(dim=(1, 2)).numpy()])
