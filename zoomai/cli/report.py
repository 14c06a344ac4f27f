"""`zoomai report`: run the report suite."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from zoomai.cli.arguments import comma_list
from zoomai.core.errors import ZoomaiError
from zoomai.reporting.plan import plan
from zoomai.reporting.runner import check_out, check_run_id, default_workers, run_report
from zoomai.reporting.schedule import DEFAULT_SCHEDULE, NOTEBOOKS_DIR, adhoc_schedule, load_schedule

# ----------------------------------------------------------------------------------- the CLI


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def cmd_report(args: argparse.Namespace) -> int:
    if not args.data:
        return _report(args)
    data = Path(args.data)
    if not data.is_dir():
        raise ZoomaiError(f"--data {args.data}: not a folder")
    before = os.environ.get("ZOOMAI_DATA")
    os.environ["ZOOMAI_DATA"] = str(data.resolve())  # read by zoomai here, in workers and kernels
    try:
        return _report(args)
    finally:  # (when called in-process, e.g. by the tests)
        if before is None:
            os.environ.pop("ZOOMAI_DATA", None)
        else:
            os.environ["ZOOMAI_DATA"] = before


def _report(args: argparse.Namespace) -> int:
    schedule_path = Path(args.schedule) if args.schedule else DEFAULT_SCHEDULE
    adhoc = args.notebooks or args.tenants or args.configurations
    base = None
    if args.schedule or not adhoc:
        base, source = load_schedule(schedule_path)
        schedule = base
    if adhoc:
        schedule, source = adhoc_schedule(args.notebooks, args.tenants, args.configurations, base)
    notebooks_dir = Path(args.notebooks_dir) if args.notebooks_dir else NOTEBOOKS_DIR
    if args.run_id is not None:  # before the pre-flight: a taken id fails at once
        check_run_id(Path(args.out), args.run_id)
    else:
        check_out(Path(args.out))
    runs = plan(schedule, source, notebooks_dir)
    if not runs:
        raise ZoomaiError("nothing to run: the schedule expands to no runs")
    workers = args.workers or schedule.workers or default_workers()
    label = "command line" if adhoc else _display(schedule_path)
    print(f"zoomai report: {len(runs)} runs, {workers} workers", file=sys.stderr)
    try:
        report = run_report(
            runs,
            out=args.out,
            workers=workers,
            run_id=args.run_id,
            cell_timeout=schedule.cell_timeout_seconds,
            fresh_kernels=args.fresh_kernels,
            schedule_name=label,
        )
    except KeyboardInterrupt:
        print("zoomai report: interrupted; no report written", file=sys.stderr)
        return 130
    if report.failed:
        print(f"{len(report.failed)} of {len(report.results)} runs failed:", file=sys.stderr)
        for r in report.failed:
            print(
                f"  {r['notebook']}  tenant={r['tenant'] or '-'}  configuration={r['configuration'] or '-'}"
                f"  {r['error']}",
                file=sys.stderr,
            )
    print(_display(report.index))
    return 0 if report.ok else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="run the notebooks into offline HTML reports (papermill)",
        description="Run the notebooks of a schedule (default: schedules/default.yaml) with papermill, "
        "one run per notebook x tenant x configuration, into reports/<run-id>/ with index.html. "
        "--notebooks/--tenants/--configurations run one ad-hoc job instead of the schedule's jobs.",
    )
    p.add_argument("--schedule", help="schedule YAML file (default: schedules/default.yaml)")
    p.add_argument("--notebooks", type=comma_list, help='comma-separated notebook names (default "all")')
    p.add_argument("--tenants", type=comma_list, help='comma-separated tenant ids or folders (default "all")')
    p.add_argument(
        "--configurations",
        type=comma_list,
        help="comma-separated presets or YAML files (default: the notebooks')",
    )
    p.add_argument("--out", default="reports", help="reports folder (default: reports)")
    p.add_argument(
        "--workers", type=_positive, help="parallel runs (default: the schedule's, else min(4, CPUs))"
    )
    p.add_argument("--run-id", help="name of the run's folder (default: UTC time and a random suffix)")
    p.add_argument("--data", help="data folder to use instead of the bundled data/ (sets ZOOMAI_DATA)")
    p.add_argument("--notebooks-dir", help="folder of the notebooks (default: notebooks/)")
    p.add_argument("--fresh-kernels", action="store_true", help="start a new kernel for every run (slower)")
    p.set_defaults(func=cmd_report)
