"""Execution of one run: papermill in a kernel kept per worker process, the executed notebook and its JSON."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import multiprocessing.util
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zoomai.core.paths import use_data_dir
from zoomai.reporting import labels
from zoomai.reporting.export import export_html
from zoomai.reporting.pdf import print_pdf
from zoomai.reporting.plan import Run
from zoomai.reporting.schedule import KERNEL, KERNEL_ARGS, RUN_ID, START_TIMEOUT, SUMMARY, notebook_title

# ------------------------------------------------------------------------------ execution


@dataclass(frozen=True)
class Task:
    """What a worker process needs for one run (picklable)."""

    run: Run
    root: str  # the report folder being written
    cell_timeout: int
    fresh_kernel: bool
    self_contained: bool = False  # plotly.js in every HTML file instead of the run's assets/
    chromium: str | None = None  # print a PDF too, with this chromium
    run_id: str = ""  # the report run's id, passed to notebooks that show it
    data: str | None = None  # $ZOOMAI_DATA of the report process (a cluster's workers lack it)


# Per worker thread: the kernel manager ("km") and whether it was just started ("fresh"). A
# pool worker runs one task at a time in one thread; a Dask worker may run several threads.
_KERNELS: dict[int, dict[str, Any]] = {}
_FINALIZER: list[multiprocessing.util.Finalize] = []


def _state() -> dict[str, Any]:
    return _KERNELS.setdefault(threading.get_ident(), {})


def _engine() -> str:
    """Register (once per process) a papermill engine that runs in a kernel manager owned by
    the caller and closes its client's channels after each run."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    name = "zoomai"
    if name not in papermill_engines._engines:

        class ReusedKernelEngine(NBClientEngine):
            @classmethod
            def execute_managed_notebook(
                cls,
                nb_man,
                kernel_name,
                log_output=False,
                stdout_file=None,
                stderr_file=None,
                start_timeout=60,
                execution_timeout=None,
                **kwargs,
            ):
                kwargs.pop("input_path", None)
                client = PapermillNotebookClient(
                    nb_man,
                    timeout=execution_timeout,
                    startup_timeout=start_timeout,
                    kernel_name=kernel_name,
                    log=logger,
                    log_output=log_output,
                    stdout_file=stdout_file,
                    stderr_file=stderr_file,
                    **kwargs,
                )
                try:
                    return client.execute()
                finally:
                    if client.kc is not None:
                        client.kc.stop_channels()

        papermill_engines.register(name, ReusedKernelEngine)
    return name


def _kernel_manager(cwd: Path):
    """This worker's kernel: started on first use, shut down when the worker exits."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    state = _state()
    km = state.get("km")
    if km is None:
        km = AsyncKernelManager(kernel_name=KERNEL)
        # as nbclient starts its kernels: no IPython history file shared by parallel kernels
        args = [*KERNEL_ARGS, "--HistoryManager.hist_file=:memory:"]
        run_sync(km.start_kernel)(extra_arguments=args, cwd=str(cwd))
        state["km"] = km
        state["fresh"] = True
        if not _FINALIZER:
            _FINALIZER.append(multiprocessing.util.Finalize(None, discard_kernels, exitpriority=10))
    return km


def _shutdown(km) -> None:
    from jupyter_core.utils import run_sync

    with contextlib.suppress(Exception):  # already dead
        run_sync(km.shutdown_kernel)(now=True)


def _discard_kernel() -> None:
    """Shut down this thread's kernel (the next run starts a new one)."""
    km = _state().pop("km", None)
    if km is not None:
        _shutdown(km)


def discard_kernels() -> None:
    """Shut down every kernel this process started (at exit, or when a Dask cluster is left)."""
    for state in list(_KERNELS.values()):
        km = state.pop("km", None)
        if km is not None:
            _shutdown(km)


def _use_data(data: str | None) -> None:
    """Make $ZOOMAI_DATA the report process's, for this process and the kernels it starts: a
    kernel started under another value is replaced (a Dask worker outlives report runs)."""
    if use_data_dir(data):
        discard_kernels()


RESET_CODE = """\
get_ipython().reset(new_session=True)
import os as _zoomai_os
_zoomai_os.chdir({cwd!r})
del _zoomai_os
"""


def _reset_kernel(km, cwd: Path) -> None:
    """A clean namespace (modules stay imported) and the run's folder as working directory."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(RESET_CODE.format(cwd=str(cwd)))]
    client = NotebookClient(nb, km=km, kernel_name=KERNEL, timeout=60, allow_errors=False)
    try:
        client.execute()
    finally:
        if client.kc is not None:
            client.kc.stop_channels()


def error_line(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        text = f"{exc.ename}: {exc.evalue}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def execute(task: Task) -> dict[str, Any]:
    """Run one notebook (in a worker process): executed .ipynb, .html and .json."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    _use_data(task.data)
    run = task.run
    root = Path(task.root)
    ipynb = root / f"{run.output}.ipynb"
    folder = ipynb.parent
    if not root.is_dir():  # the report run was abandoned and its partial folder removed
        raise RuntimeError(f"{root}: the report run's folder is gone (run abandoned)")
    folder.mkdir(parents=True, exist_ok=True)
    summary_file = folder / f".{ipynb.stem}.summary.json"
    params = dict(run.parameters)
    if run.writes_summary:
        params[SUMMARY] = summary_file.name  # relative to the kernel's working directory
    if run.takes_run_id:
        params[RUN_ID] = task.run_id
    started = datetime.now(UTC)
    clock = time.perf_counter()
    error = None
    options: dict[str, Any] = dict(
        parameters=params,
        kernel_name=KERNEL,
        language="python",
        cwd=str(folder),
        execution_timeout=task.cell_timeout,
        start_timeout=START_TIMEOUT,
        progress_bar=False,
        log_output=False,
        extra_arguments=KERNEL_ARGS,
    )
    try:
        if task.fresh_kernel:
            pm.execute_notebook(str(run.source), str(ipynb), **options)
        else:
            km = _kernel_manager(folder)
            if not _state().pop("fresh", False):
                try:
                    _reset_kernel(km, folder)
                except Exception:  # the kernel died since the last run: a new one
                    _discard_kernel()
                    km = _kernel_manager(folder)
                    _state().pop("fresh", None)
            pm.execute_notebook(str(run.source), str(ipynb), engine_name=_engine(), km=km, **options)
    except PapermillExecutionError as exc:  # the notebook raised: the kernel is fine
        error = error_line(exc)
    except Exception as exc:  # timeout, dead kernel, ...: start a new kernel next time
        error = error_line(exc)
        if not task.fresh_kernel:
            _discard_kernel()
    duration = time.perf_counter() - clock

    summary = None
    if summary_file.exists():
        try:
            summary = json.loads(summary_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            error = error or f"the summary the notebook wrote is not valid JSON: {exc}"
        summary_file.unlink()
    elif run.writes_summary and error is None:
        error = f"the notebook did not write its summary ({SUMMARY})"

    files = {"ipynb": f"{run.output}.ipynb", "json": f"{run.output}.json"}
    if ipynb.exists():
        html = root / f"{run.output}.html"
        try:
            export_html(ipynb, html, title=_title(run), root=root, self_contained=task.self_contained)
            files["html"] = f"{run.output}.html"
        except Exception as exc:  # keep the executed notebook and say why
            error = error or f"HTML export failed: {error_line(exc)}"
        if task.chromium and "html" in files:
            try:
                print_pdf(html, root / f"{run.output}.pdf", task.chromium)
                files["pdf"] = f"{run.output}.pdf"
            except Exception as exc:
                error = error or f"PDF printing failed: {error_line(exc)}"
    else:
        del files["ipynb"]
    meta = {
        "notebook": run.notebook,
        "title": notebook_title(run.source),
        "job": run.job,
        "tenant": run.tenant,
        "configuration": run.configuration,
        "parameters": run.parameters,
        "status": "failed" if error else "ok",
        "error": error,
        "started": started.isoformat(timespec="seconds"),
        "duration_seconds": round(duration, 3),
        "files": files,
        "summary": summary,
    }
    (root / files["json"]).write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
    return meta


def _title(run: Run) -> str:
    """The HTML report's title: the notebook's title, tenant and configuration."""
    parts = [notebook_title(run.source)]
    if run.tenant:
        parts.append(run.tenant)
    if run.configuration:
        parts.append(labels.configuration(run.configuration))
    return " - ".join(parts)
