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


def use_data_dir(data: str | None) -> bool:
    """Set $ZOOMAI_DATA to `data` (None: unset, the bundled data) in this process, e.g. in a
    cluster worker for the value of the process that sent the work. True if it changed."""
    if os.environ.get("ZOOMAI_DATA") == data:
        return False
    if data is None:
        os.environ.pop("ZOOMAI_DATA", None)
    else:
        os.environ["ZOOMAI_DATA"] = data
    return True
