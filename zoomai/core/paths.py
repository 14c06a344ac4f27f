"""Where the bundled data lives: the repository's data/ folder, or $ZOOMAI_DATA."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The data folder: $ZOOMAI_DATA if set, else data/ beside the package."""
    return Path(os.environ.get("ZOOMAI_DATA", REPO_ROOT / "data"))


def data_file(name: str) -> Path:
    return data_dir() / name
