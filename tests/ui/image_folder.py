"""A small image folder (``<name>/<class>/<i>.png``) that a model can tell apart: dark and light."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_image_folder(root: Path, name: str = "shapes", per_class: int = 6) -> Path:
    """Write 12x12 RGB images of the classes ``dark`` and ``light`` under ``root/name``."""
    rng = np.random.default_rng(0)
    for label, base in (("dark", 40), ("light", 200)):
        folder = root / name / label
        folder.mkdir(parents=True)
        for i in range(per_class):
            pixels = (base + rng.integers(0, 30, (12, 12, 3))).astype(np.uint8)
            Image.fromarray(pixels).save(folder / f"{i}.png")
    return root / name
