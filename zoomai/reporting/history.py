"""Earlier runs in a reports folder: their summaries (for the index's trends) and pruning.

A run folder counts as one of ours only when it holds a summary.json whose `run_id` is the
folder's name (what runner.write_summary writes): anything else in the reports folder, made
by hand or by another program, is never read as a run nor removed.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

SUMMARY_FILE = "summary.json"


def latest_run(out: Path) -> str | None:
    """The run id `out/latest` points at (a symlink, or a file holding the id), if any."""
    latest = out / "latest"
    try:
        if latest.is_symlink():
            return Path(os.readlink(latest)).name
        if latest.is_file():
            return latest.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
    return None


def _summary(folder: Path) -> dict[str, Any] | None:
    """The run summary of `folder`, or None when the folder is not a run of ours."""
    if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
        return None
    try:
        data = json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and data.get("run_id") == folder.name and isinstance(data.get("runs"), list)
    return data if ok else None


def runs_in(out: Path) -> list[dict[str, Any]]:
    """Summaries of the runs in `out`, oldest first (by start time, then run id)."""
    if not out.is_dir():
        return []
    found = [s for s in map(_summary, out.iterdir()) if s is not None]
    return sorted(found, key=lambda s: (str(s.get("started", "")), s["run_id"]))


def prune_runs(out: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` runs of `out`, never the run `latest` points at nor
    anything that is not a run of ours (see the module docstring); return what was removed."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    protected = latest_run(out)
    runs = [s["run_id"] for s in runs_in(out)]
    removed = []
    for run_id in runs[:-keep]:
        if run_id != protected:
            shutil.rmtree(out / run_id)
            removed.append(out / run_id)
    return removed
