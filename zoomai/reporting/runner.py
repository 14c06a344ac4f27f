"""The report run: runs executed in worker processes into an atomic run folder, summary.json, `latest`."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import re
import secrets
import shutil
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zoomai.core.atomic import os_error_text
from zoomai.core.cluster import Workers, default_workers, open_workers
from zoomai.core.errors import ZoomaiError, ZoomaiWarning, display
from zoomai.core.processes import FileLock
from zoomai.reporting.engine import Task, discard_kernels, error_line, execute
from zoomai.reporting.export import exporter, plotly_js, write_assets
from zoomai.reporting.history import prune_runs
from zoomai.reporting.index import write_index
from zoomai.reporting.pdf import find_chromium
from zoomai.reporting.plan import Run
from zoomai.reporting.schedule import DEFAULT_CELL_TIMEOUT, NAME, notebook_title

LATEST = "latest"
# Names a run id may not take: the reports folder's own entries.
RESERVED_RUN_IDS = frozenset({LATEST, "index", "index.html", "summary.json"})
MAX_RUN_ID = 64  # characters; with the ".<id>.partial" and ".<id>.lock" names well under 255 bytes
PARTIAL = ".partial"
LOCK = ".lock"

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
    """The run's folder; a ZoomaiError if the id is not a plain name of at most MAX_RUN_ID
    characters, is reserved, is in use by a live run, or its folder exists, or if `out` is
    not a folder."""
    out = Path(out)
    if not run_id:
        raise ZoomaiError("--run-id: empty; expected a name of letters, digits, '.', '_' and '-'")
    if len(run_id) > MAX_RUN_ID:
        raise ZoomaiError(f"--run-id: {len(run_id)} characters; expected at most {MAX_RUN_ID}")
    if not re.match(NAME, run_id):
        raise ZoomaiError(
            f"--run-id {run_id!r}: expected letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    if run_id.lower() in RESERVED_RUN_IDS:
        raise ZoomaiError(f"--run-id {run_id!r}: reserved for the reports folder itself; choose another")
    check_out(out)
    if _lock(out, run_id).held_elsewhere():
        raise _in_use(run_id)
    final = out / run_id
    if final.exists() or final.is_symlink():
        raise ZoomaiError(f"{final} already exists; choose another --run-id")
    return final


def _in_use(run_id: str) -> ZoomaiError:
    return ZoomaiError(f"--run-id {run_id!r}: another zoomai report is running with this id; choose another")


def check_out(out: Path) -> None:
    """ZoomaiError if the reports folder `out` exists and is not a folder."""
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise ZoomaiError(f"--out {display(out)}: not a folder")


def _lock(out: Path, run_id: str) -> FileLock:
    """The lock a run holds while it runs: out/.<run-id>.lock."""
    return FileLock(out / f".{run_id}{LOCK}")


def remove_stale_partials(out: Path) -> list[str]:
    """Remove what runs that died without cleaning up left in `out`: their partial folders
    (out/.<run-id>.partial) and lock files, when no live process holds the run id's lock.
    Returns those run ids."""
    removed = []
    names = {p.name[1 : -len(PARTIAL)] for p in out.glob(f".*{PARTIAL}")}
    names |= {p.name[1 : -len(LOCK)] for p in out.glob(f".*{LOCK}")}
    for run_id in sorted(names):
        partial, lock = out / f".{run_id}{PARTIAL}", _lock(out, run_id)
        if partial.is_symlink() or not lock.acquire():
            continue
        try:
            shutil.rmtree(partial, ignore_errors=True)
            removed.append(run_id)
        finally:
            lock.release()
    return removed


def _warm_up() -> None:
    """Build the HTML exporter and compile its templates once, in the parent, before the
    pool's workers fork (about 2 s of CPU that each worker would otherwise spend)."""
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
    cluster: str | None = None,
) -> Report:
    """Execute the runs into `out/<run-id>/` (via `out/.<run-id>.partial`), write index.html
    and summary.json, and point `out/latest` at it when every run succeeded. The run id is
    locked while the run lasts (a second run with the same id: ZoomaiError).

    The runs go to `workers` processes of the built-in pool, or with `cluster` to a Dask
    cluster (`local`: a LocalCluster of `workers` processes; `tcp://HOST:PORT`: an existing
    scheduler, whose workers must see `out`, the notebooks and the data at the same paths;
    see zoomai.core.cluster). The cluster is reached before anything is written.

    plotly.js and the notebook stylesheet are written once to `assets/` and loaded by relative
    path, or embedded in every HTML file with `self_contained`; `pdf` prints each report with
    chromium too (checked before anything runs); `keep` prunes all but the newest `keep` runs
    after a successful one."""
    out = Path(out)
    chromium = find_chromium() if pdf else None
    run_id = new_run_id() if run_id is None else run_id
    workers = min(max(1, workers or default_workers()), max(1, len(runs)))
    with (
        open_workers(cluster, workers, warm_up=_warm_up, teardown=discard_kernels) as backend,
        _claim(out, run_id) as final,
    ):
        report = _execute_runs(
            runs,
            out,
            final,
            backend,
            cell_timeout,
            fresh_kernels,
            progress,
            schedule_name,
            self_contained,
            chromium,
        )
    if report.ok and keep is not None:
        prune_runs(out, keep)
    return report


@contextlib.contextmanager
def _claim(out: Path, run_id: str) -> Iterator[Path]:
    """Hold the run id's lock for the block and yield the run's final folder; first remove
    the partial folders that killed runs left behind. ZoomaiError if the id is taken."""
    check_run_id(out, run_id)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ZoomaiError(f"--out: {os_error_text(exc)}") from None
    lock = _lock(out, run_id)
    if not lock.acquire():
        raise _in_use(run_id)
    try:
        final = out / run_id
        if final.exists() or final.is_symlink():  # a run with this id finished meanwhile
            raise ZoomaiError(f"{final} already exists; choose another --run-id")
        remove_stale_partials(out)
        own = out / f".{run_id}{PARTIAL}"  # left by a killed run with this id: we hold the lock
        if own.is_symlink():
            own.unlink()
        shutil.rmtree(own, ignore_errors=True)
        yield final
    finally:
        lock.release()


def _execute_runs(
    runs: list[Run],
    out: Path,
    final: Path,
    backend: Workers,
    cell_timeout: int,
    fresh_kernels: bool,
    progress: bool | None,
    schedule_name: str,
    self_contained: bool,
    chromium: str | None,
) -> Report:
    from tqdm import tqdm

    run_id = final.name
    partial = out / f".{run_id}{PARTIAL}"
    started = datetime.now(UTC)
    clock = time.perf_counter()
    partial.mkdir()
    results: list[dict[str, Any]] = []
    try:
        if not self_contained:
            write_assets(partial)
        root = str(partial.resolve())
        data = os.environ.get("ZOOMAI_DATA")
        tasks = [
            Task(run, root, cell_timeout, fresh_kernels, self_contained, chromium, run_id, data)
            for run in runs
        ]
        futures = {backend.executor.submit(execute, task): task for task in tasks}
        disable = None if progress is None else not progress  # None: only on a terminal
        try:
            with tqdm(total=len(tasks), unit="run", disable=disable) as bar:
                for future in concurrent.futures.as_completed(futures):
                    try:
                        results.append(future.result())
                    except Exception as exc:  # a worker died: report, go on
                        results.append(_crashed(futures[future].run, partial, exc))
                    bar.update()
        except BaseException:
            _abandon(futures)
            raise
        order = {run.output: i for i, run in enumerate(runs)}
        results.sort(key=lambda r: order.get(_output_of(r), 0))
        report = Report(run_id, final, results, started, time.perf_counter() - clock, schedule_name)
        write_summary(report, partial, backend.count, backend.cluster)
        write_index(report, partial, out, self_contained)
        os.rename(partial, final)
    except OSError as exc:  # disk full, ...: one line, nothing left behind
        shutil.rmtree(partial, ignore_errors=True)
        raise ZoomaiError(os_error_text(exc)) from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if report.ok:
        _point_latest(out, run_id)
    return report


def _abandon(futures) -> None:
    """Cancel the runs not started yet and wait for the running ones (the pool's; a Dask
    cluster's finish on their own, and write nothing once the partial folder is gone)."""
    for future in futures:
        future.cancel()
    concurrent.futures.wait(futures)


def _output_of(result: dict[str, Any]) -> str:
    return result["files"]["json"].removesuffix(".json")


def _crashed(run: Run, partial: Path, exc: BaseException) -> dict[str, Any]:
    meta = {
        "notebook": run.notebook,
        "title": notebook_title(run.source),
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


def _owns_latest(latest: Path) -> bool:
    """`latest` is absent or a symlink zoomai made: a relative link to a run folder's name."""
    if not latest.is_symlink():
        return not latest.exists()
    target = os.readlink(latest)
    return "/" not in target and bool(re.match(NAME, target))


def _point_latest(out: Path, run_id: str) -> None:
    """`out/latest` -> run_id: a new symlink renamed over the old one (atomic). Anything at
    `latest` that zoomai did not make is left alone, with a warning."""
    latest = out / LATEST
    if not _owns_latest(latest):
        warnings.warn(
            f"{display(latest)} is not a symlink zoomai made; left as it is (latest run: {run_id})",
            ZoomaiWarning,
            stacklevel=2,
        )
        return
    tmp = out / f".{LATEST}.{secrets.token_hex(4)}"
    try:
        os.symlink(run_id, tmp, target_is_directory=True)
        os.replace(tmp, latest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        warnings.warn(f"{display(latest)} not updated: {os_error_text(exc)}", ZoomaiWarning, stacklevel=2)


def write_summary(report: Report, folder: Path, workers: int, cluster: str | None = None) -> None:
    """summary.json: the run, its backend (`cluster`: null for the built-in pool) and every run's meta."""
    data = {
        "run_id": report.run_id,
        "started": report.started.isoformat(timespec="seconds"),
        "duration_seconds": round(report.duration, 3),
        "schedule": report.schedule,
        "workers": workers,
        "cluster": cluster,
        "status": "ok" if report.ok else "failed",
        "runs_total": len(report.results),
        "runs_failed": len(report.failed),
        "runs": report.results,
    }
    (folder / "summary.json").write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
