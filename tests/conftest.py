"""Shared pytest set-up: this checkout's dlstudio is imported first, and the `browser` marker.

Browser tests (everything under tests/ui/) carry the marker, so `pytest -m "not browser"`
gives a quick run without servers or Chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Debian's Chromium against real JupyterLab/Voila servers"
    )
