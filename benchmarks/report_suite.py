"""Report-suite benchmark: the default schedule end to end, against the floor of papermill itself.

    .venv/bin/python benchmarks/report_suite.py [--schedule schedules/default.yaml] [--workers N]
                                                [--fresh-kernels-too]

Times `zoomai report` (the same code path: zoomai.cli.main) on the schedule into a temporary
folder, then, in the same process, the floor: an empty notebook (one `parameters` cell and
nothing else) run through `papermill.execute_notebook` as many times as the suite has runs,
with the same number of worker processes, each run in a new kernel as papermill does by
default. Prints both times and their ratio (suite / floor), and how much of the suite is the
notebooks' own execution (per notebook). With --fresh-kernels-too it also times the suite with
one kernel per run (`zoomai report --fresh-kernels`).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from zoomai.cli import main as zoomai_main
from zoomai.core.cluster import default_workers
from zoomai.reporting.plan import plan
from zoomai.reporting.schedule import DEFAULT_SCHEDULE, KERNEL, load_schedule


def empty_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": KERNEL, "display_name": "Python 3", "language": "python"}}
    )
    cell = nbformat.v4.new_code_cell('tenant = "x"')
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = folder / "empty.ipynb"
    nbformat.write(nb, path)
    return path


def _run_empty(args: tuple[str, str]) -> None:
    import papermill as pm

    source, target = args
    pm.execute_notebook(
        source,
        target,
        parameters={"tenant": "y"},
        kernel_name=KERNEL,
        language="python",
        progress_bar=False,
        log_output=False,
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )


def floor(runs: int, workers: int, folder: Path) -> float:
    source = empty_notebook(folder)
    jobs = [(str(source), str(folder / f"out{i}.ipynb")) for i in range(runs)]
    start = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(workers, runs)) as pool:
        list(pool.map(_run_empty, jobs))
    return time.perf_counter() - start


def suite(schedule: Path, workers: int, out: Path, run_id: str, fresh: bool) -> tuple[float, dict]:
    """Seconds for `zoomai report`, and its summary.json."""
    args = ["report", "--schedule", str(schedule), "--out", str(out), "--workers", str(workers)]
    args += ["--run-id", run_id] + (["--fresh-kernels"] if fresh else [])
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = zoomai_main(args)
    elapsed = time.perf_counter() - start
    if code != 0:
        sys.exit(f"zoomai report exited {code}")
    return elapsed, json.loads((out / run_id / "summary.json").read_text())


def cell_seconds(summary: dict) -> dict[str, float]:
    """Seconds spent executing each notebook (all its runs; papermill's per-run time)."""
    out: dict[str, float] = {}
    for run in summary["runs"]:
        out[run["notebook"]] = out.get(run["notebook"], 0.0) + run["duration_seconds"]
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedule", type=Path, default=DEFAULT_SCHEDULE)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--fresh-kernels-too", action="store_true", help="also time --fresh-kernels")
    args = parser.parse_args(argv)

    runs = len(plan(*load_schedule(args.schedule)))
    print(f"schedule {args.schedule}: {runs} runs, {args.workers} workers")
    with tempfile.TemporaryDirectory(prefix="zoomai-bench-") as tmp:
        tmp = Path(tmp)
        t_suite, summary = suite(args.schedule, args.workers, tmp / "reports", "bench", fresh=False)
        print(f"zoomai report (kernel per worker):  {t_suite:7.1f} s  ({t_suite / runs:.2f} s/run)")
        per_notebook = cell_seconds(summary)
        busy = sum(per_notebook.values())
        print(
            f"  of which executing notebooks: {busy:.1f} s of worker time "
            f"({busy / args.workers:.1f} s wall at {args.workers} workers, "
            f"{busy / args.workers / t_suite:.0%} of the suite)"
        )
        for name, seconds in per_notebook.items():
            print(f"    {name:28s} {seconds:7.1f} s")
        if args.fresh_kernels_too:
            t_fresh, _ = suite(args.schedule, args.workers, tmp / "reports", "fresh", fresh=True)
            print(f"zoomai report --fresh-kernels:      {t_fresh:7.1f} s  ({t_fresh / runs:.2f} s/run)")
        (tmp / "floor").mkdir()
        t_floor = floor(runs, args.workers, tmp / "floor")
        print(f"floor: empty notebook x {runs} (papermill): {t_floor:7.1f} s  ({t_floor / runs:.2f} s/run)")
    print(f"ratio suite / floor: {t_suite / t_floor:.2f}")
    if args.fresh_kernels_too:
        print(f"ratio --fresh-kernels / floor: {t_fresh / t_floor:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
