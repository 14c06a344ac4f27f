"""Dated snapshots of one account (`zoomai pull`): how they are named, and which came before.

A snapshots folder holds one folder per pull, named by its UTC time (`2026-12-02T060000Z`, and
`-2`, `-3`, ... when two pulls share a second), each in the layout `import-settings` reads. The
earlier snapshot is what `zoomai import-settings` / `pull --import` compare a new one with.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from zoomai.tenants.layout import has_account_settings

STAMP = "%Y-%m-%dT%H%M%SZ"
NAME = re.compile(r"^(?P<time>\d{4}-\d{2}-\d{2}T\d{6}Z)(?:-(?P<n>\d+))?$")


def new_snapshot_path(snapshots: Path, now: datetime) -> Path:
    """SNAPSHOTS_DIR/<UTC time>, with -2, -3, ... if that name is taken."""
    stem = now.strftime(STAMP)
    target, n = snapshots / stem, 1
    while target.exists():
        n += 1
        target = snapshots / f"{stem}-{n}"
    return target


def _order(name: str) -> tuple[str, int] | None:
    match = NAME.match(name)
    return (match["time"], int(match["n"] or 1)) if match else None


def is_snapshot(path: Path) -> bool:
    """A folder named by its UTC time holding an account's settings (not a symbolic link)."""
    return (
        _order(path.name) is not None
        and path.is_dir()
        and not path.is_symlink()
        and has_account_settings(path)
    )


def previous_snapshot(snapshot: Path) -> Path | None:
    """The latest snapshot beside `snapshot` taken before it; None if it is the first (or not a
    snapshot at all)."""
    own = _order(snapshot.name)
    if own is None or not is_snapshot(snapshot):
        return None
    earlier = [
        (order, p)
        for p in snapshot.parent.iterdir()
        if (order := _order(p.name)) and order < own and is_snapshot(p)
    ]
    return max(earlier)[1] if earlier else None
