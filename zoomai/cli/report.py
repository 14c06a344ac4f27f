"""`zoomai report`: run the report suite."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from zoomai.cli.conventions import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_cluster,
    add_config,
    comma_list,
    epilog,
    positive,
)
from zoomai.core.cluster import LOCAL, default_workers
from zoomai.core.errors import ZoomaiError
from zoomai.facts.sources import FACT_SETS
from zoomai.reporting.pdf import find_chromium
from zoomai.reporting.plan import plan
from zoomai.reporting.runner import check_out, check_run_id, run_report
from zoomai.reporting.schedule import DEFAULT_SCHEDULE, NOTEBOOKS_DIR, adhoc_schedule, load_schedule

# ----------------------------------------------------------------------------------- the CLI


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
    if args.pdf:
        find_chromium()  # a missing chromium is said first, before the schedule is read
    schedule_path = Path(args.schedule) if args.schedule else DEFAULT_SCHEDULE
    adhoc = args.notebooks or args.tenants or args.config
    base = None
    if args.schedule or not adhoc:
        base, source = load_schedule(schedule_path)
        schedule = base
    if adhoc:
        schedule, source = adhoc_schedule(args.notebooks, args.tenants, args.config, base)
    if args.facts:
        schedule = schedule.with_facts(args.facts)
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
    where = {None: f"{workers} workers", LOCAL: f"{workers} workers of a Dask LocalCluster"}.get(
        args.cluster, f"the workers of the Dask cluster at {args.cluster}"
    )
    print(f"zoomai report: {len(runs)} runs, {where}", file=sys.stderr)
    try:
        report = run_report(
            runs,
            out=args.out,
            workers=workers,
            run_id=args.run_id,
            cell_timeout=schedule.cell_timeout_seconds,
            fresh_kernels=args.fresh_kernels,
            schedule_name=label,
            self_contained=args.self_contained,
            pdf=args.pdf,
            keep=args.keep,
            cluster=args.cluster,
        )
    except KeyboardInterrupt:
        print("zoomai report: interrupted; no report written", file=sys.stderr)
        return EXIT_INTERRUPTED
    if report.failed:
        print(f"{len(report.failed)} of {len(report.results)} runs failed:", file=sys.stderr)
        for r in report.failed:
            print(
                f"  {r['notebook']}  tenant={r['tenant'] or '-'}  configuration={r['configuration'] or '-'}"
                f"  {r['error']}",
                file=sys.stderr,
            )
    print(_display(report.index))
    return EXIT_OK if report.ok else EXIT_FAILED


REPORT_STATUS = """\
exit status:
  0  every report was written
  1  a notebook failed: the other reports are written, the failed ones listed on stderr
  2  wrong input (schedule, option, parameter, chromium missing for --pdf, a --cluster
     scheduler that does not answer): one message, nothing runs
  130  interrupted (Ctrl-C): no report written"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="run the notebooks into offline HTML reports (papermill)",
        description="Run the notebooks of a schedule (default: schedules/default.yaml) with papermill, "
        "one run per notebook x tenant x configuration, into reports/<run-id>/ with index.html. "
        "--notebooks/--tenants/--config run one ad-hoc job instead of the schedule's jobs.",
        epilog=epilog(
            "zoomai report",
            "zoomai report --notebooks retention,settings_audit --tenants eu_company_zmo \\\n"
            "                --config default,hardened",
            "zoomai report --schedule my_schedule.yaml --out /srv/reports --keep 8 --pdf",
            "zoomai report --notebooks tenant_risk_report --tenants eu_company_zmo --self-contained",
            "zoomai report --cluster local --workers 2",
            "zoomai report --cluster tcp://10.0.0.5:8786 --out /shared/reports",
            status=REPORT_STATUS,
        ),
    )
    p.add_argument("--schedule", help="schedule YAML file (default: schedules/default.yaml)")
    p.add_argument(
        "--facts",
        choices=FACT_SETS,
        help="fact set of every report: v5.0 (the July 2024 whitepaper) or current (Zoom's later "
        "pages); default: the schedule's, else the notebooks' (v5.0)",
    )
    p.add_argument("--notebooks", type=comma_list, help='comma-separated notebook names (default "all")')
    p.add_argument("--tenants", type=comma_list, help='comma-separated tenant ids or folders (default "all")')
    add_config(
        p,
        several=True,
        default=None,
        help="comma-separated presets or YAML files (default: the notebooks')",
        aliases=("--configurations",),
    )
    p.add_argument(
        "--out",
        default="reports",
        metavar="FOLDER",
        help="a folder: the reports folder that receives <run-id>/ and latest (default: reports)",
    )
    p.add_argument(
        "--workers",
        type=positive,
        help="parallel runs (default: the schedule's, else min(4, CPUs)); with --cluster local the "
        "LocalCluster's worker processes; an existing cluster's own workers decide",
    )
    add_cluster(p)
    p.add_argument("--run-id", help="name of the run's folder (default: UTC time and a random suffix)")
    p.add_argument("--data", help="data folder to use instead of the bundled data/ (sets ZOOMAI_DATA)")
    p.add_argument("--notebooks-dir", help="folder of the notebooks (default: notebooks/)")
    p.add_argument("--fresh-kernels", action="store_true", help="start a new kernel for every run (slower)")
    p.add_argument(
        "--self-contained",
        action="store_true",
        help="embed plotly.js and the stylesheet in every HTML file (one file to e-mail) "
        "instead of the run's shared assets/",
    )
    p.add_argument(
        "--pdf", action="store_true", help="also print each report as PDF with Debian's headless chromium"
    )
    p.add_argument(
        "--keep",
        type=positive,
        metavar="N",
        help="after a successful run, remove all but the newest N runs in --out (never the one "
        "`latest` points at, nothing zoomai did not write)",
    )
    p.set_defaults(func=cmd_report)
