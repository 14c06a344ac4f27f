"""The report run: runs executed in worker processes into an atomic run folder, summary.json, `latest`."""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import multiprocessing.util
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zoomai.core.errors import ZoomaiError
from zoomai.reporting.engine import Task, error_line, execute
from zoomai.reporting.export import exporter, plotly_js, write_assets
from zoomai.reporting.history import prune_runs
from zoomai.reporting.index import write_index
from zoomai.reporting.pdf import find_chromium
from zoomai.reporting.plan import Run
from zoomai.reporting.schedule import DEFAULT_CELL_TIMEOUT, NAME

# --------------------------------------------------------------------------------- the report


@dataclass
class Report:
    run_id: str
    folder: Path
    results: list[dict[str, Any]]
    started: datetime
    duration: float
    schedule: str = ""

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def index(self) -> Path:
        return self.folder / "index.html"


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def check_run_id(out: Path, run_id: str) -> Path:
    """The run's folder; a ZoomaiError if the id is not a plain name or the folder exists."""
    if not re.match(NAME, run_id):
        raise ZoomaiError(f"run id {run_id!r}: use letters, digits, '.', '_' and '-'")
    final = out / run_id
    if final.exists() or final.is_symlink():
        raise ZoomaiError(f"{final} already exists; choose another --run-id")
    return final


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _pool_context():
    """fork where there is one: the workers inherit the warmed-up exporter (see _warm_up)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _warm_up() -> None:
    """Build the HTML exporter and compile its templates once, in the parent, before the
    workers fork (about 2 s of CPU that each worker would otherwise spend)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("warm-up"), nbformat.v4.new_code_cell("1")]
    exporter().from_notebook_node(nb, resources={"metadata": {"name": "warm-up"}, "plotly_js": ""})
    plotly_js()


def run_report(
    runs: list[Run],
    out: Path | str = "reports",
    workers: int | None = None,
    run_id: str | None = None,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    fresh_kernels: bool = False,
    progress: bool | None = None,
    schedule_name: str = "",
    self_contained: bool = False,
    pdf: bool = False,
    keep: int | None = None,
) -> Report:
    """Execute the runs into `out/<run-id>/` (via `out/.<run-id>.partial`), write index.html
    and summary.json, and point `out/latest` at it when every run succeeded.

    plotly.js and the notebook stylesheet are written once to `assets/` and loaded by relative
    path, or embedded in every HTML file with `self_contained`; `pdf` prints each report with
    chromium too (checked before anything runs); `keep` prunes all but the newest `keep` runs
    after a successful one."""
    from tqdm import tqdm

    out = Path(out)
    chromium = find_chromium() if pdf else None
    run_id = run_id or new_run_id()
    final = check_run_id(out, run_id)
    partial = out / f".{run_id}.partial"
    workers = max(1, workers or default_workers())
    started = datetime.now(UTC)
    clock = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    results: list[dict[str, Any]] = []
    try:
        if not self_contained:
            write_assets(partial)
        root = str(partial.resolve())
        tasks = [Task(run, root, cell_timeout, fresh_kernels, self_contained, chromium) for run in runs]
        context = _pool_context()
        if context.get_start_method() == "fork":
            _warm_up()
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=min(workers, max(1, len(tasks))), mp_context=context
        ) as pool:
            futures = {pool.submit(execute, task): task for task in tasks}
            disable = None if progress is None else not progress  # None: only on a terminal
            with tqdm(total=len(tasks), unit="run", disable=disable) as bar:
                for future in concurrent.futures.as_completed(futures):
                    try:
                        results.append(future.result())
                    except Exception as exc:  # a worker died: report, go on
                        results.append(_crashed(futures[future].run, partial, exc))
                    bar.update()
        order = {run.output: i for i, run in enumerate(runs)}
        results.sort(key=lambda r: order.get(_output_of(r), 0))
        report = Report(run_id, final, results, started, time.perf_counter() - clock, schedule_name)
        write_summary(report, partial, workers)
        write_index(report, partial, out, self_contained)
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if report.ok:
        _point_latest(out, run_id)
        if keep is not None:
            prune_runs(out, keep)
    return report


def _output_of(result: dict[str, Any]) -> str:
    return result["files"]["json"].removesuffix(".json")


def _crashed(run: Run, partial: Path, exc: BaseException) -> dict[str, Any]:
    meta = {
        "notebook": run.notebook,
        "job": run.job,
        "tenant": run.tenant,
        "configuration": run.configuration,
        "parameters": run.parameters,
        "status": "failed",
        "error": error_line(exc),
        "started": None,
        "duration_seconds": None,
        "files": {"json": f"{run.output}.json"},
        "summary": None,
    }
    target = partial / f"{run.output}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
    return meta


def _point_latest(out: Path, run_id: str) -> None:
    """`out/latest` -> run_id, replaced atomically (a symlink; a small file where symlinks
    are not possible)."""
    latest = out / "latest"
    tmp = out / f".latest.{secrets.token_hex(4)}"
    try:
        os.symlink(run_id, tmp, target_is_directory=True)
    except OSError:
        tmp.write_text(run_id + "\n", encoding="utf-8")
    try:
        os.replace(tmp, latest)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def write_summary(report: Report, folder: Path, workers: int) -> None:
    data = {
        "run_id": report.run_id,
        "started": report.started.isoformat(timespec="seconds"),
        "duration_seconds": round(report.duration, 3),
        "schedule": report.schedule,
        "workers": workers,
        "status": "ok" if report.ok else "failed",
        "runs_total": len(report.results),
        "runs_failed": len(report.failed),
        "runs": report.results,
    }
    (folder / "summary.json").write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
