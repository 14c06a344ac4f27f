"""Subcommands of the tenants stage: parsing and printing; the work is in zoomai.tenants."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zoomai.analysis.drift import import_snapshot, since_previous_line
from zoomai.cli.conventions import add_format, epilog, positive
from zoomai.cli.pull import add_pseudonymise_arg, add_usage_args, pseudonym_key, usage_options
from zoomai.core.errors import ZoomaiError
from zoomai.core.output import write_table
from zoomai.tenants.effective import effective_settings
from zoomai.tenants.importer import summary_text
from zoomai.tenants.simulate import DEFAULT_PROFILE, simulate_bundled, simulate_portfolio, write_simulated
from zoomai.tenants.tables import load_tenant, region_arg


def cmd_settings(args: argparse.Namespace) -> int:
    tenant = load_tenant(args.tenant)
    eff = effective_settings(tenant)
    if args.user:
        eff = eff[eff["user_id"].isin(args.user)]
    if args.key:
        eff = eff[eff["key"].astype(str).str.startswith(args.key)]
    if eff.empty:  # like grep: say so and exit 1
        filters = [f"--user {u}" for u in args.user or []] + ([f"--key {args.key}"] if args.key else [])
        print(f"zoomai: no settings match {' '.join(filters) or 'this tenant'}", file=sys.stderr)
        return 1
    write_table(eff, args.format)
    return 0


def _register_effective(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "settings",
        help="effective settings per user of a tenant",
        description="Print the settings in force for each user after the account, group, site and "
        "user levels and their locks.",
        epilog=epilog(
            "zoomai settings us_enterprise_defaults --key chat.",
            "zoomai settings ~/zoom/acme/tenant --user u0001 --format json",
        ),
    )
    p.add_argument("tenant", metavar="TENANT", help="a bundled tenant id or a tenant folder")
    add_format(p)
    p.add_argument("--user", action="append", help="only this user id (repeatable)")
    p.add_argument("--key", help="only keys starting with this prefix, e.g. chat.")
    p.set_defaults(func=cmd_settings)


def cmd_simulate(args: argparse.Namespace) -> int:
    if args.bundled or args.portfolio is not None:
        extra = [
            f"--{n.replace('_', '-')}"
            for n in ("profile", "users", "months", "tenant_id")
            if getattr(args, n) is not None
        ]
        if args.bundled and args.portfolio is not None:
            raise ZoomaiError("--bundled and --portfolio: choose one")
        what = (
            "--bundled simulates every profile at its own size"
            if args.bundled
            else ("--portfolio simulates small tenants of every profile in turn")
        )
        if extra:
            raise ZoomaiError(f"{what}; drop {', '.join(extra)}")
        if args.bundled:
            paths = simulate_bundled(args.out, args.seed)
        else:
            paths = simulate_portfolio(args.out, args.portfolio, args.seed, args.start)
        for path in paths:
            print(path)
        return 0
    print(
        write_simulated(
            args.out,
            args.profile or DEFAULT_PROFILE,
            args.seed,
            args.users,
            args.months,
            args.start,
            args.tenant_id,
        )
    )
    return 0


def _register_simulate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate tenants (users, settings, AI usage) from data/profiles.yaml",
        description="Write a simulated tenant folder (one Parquet file per table). Same seed, same files.",
        epilog=epilog(
            "zoomai simulate --seed 7 --out /tmp/acme",
            "zoomai simulate --seed 7 --out /tmp/big --users 100000 --profile startup_everything_on",
            "zoomai simulate --bundled --seed 7 --out data/tenants",
            "zoomai simulate --portfolio 60 --seed 7 --out /tmp/portfolio",
        ),
    )
    p.add_argument("--seed", type=int, required=True, help="random seed (whole number >= 0)")
    p.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FOLDER",
        help="a folder: the tenant folder to write; with --bundled or --portfolio, the folder that "
        "receives one tenant folder each",
    )
    p.add_argument("--bundled", action="store_true", help="simulate every profile at its own size")
    p.add_argument(
        "--portfolio",
        type=positive,
        metavar="N",
        help="simulate N small contrasting tenants (the profiles in turn) into --out, with portfolio.json",
    )
    p.add_argument("--profile", help=f"profile id (default {DEFAULT_PROFILE})")
    p.add_argument("--users", type=int, help="number of users (default: the profile's)")
    p.add_argument("--months", type=int, help="months of usage (default: the profile's)")
    p.add_argument(
        "--start", default="2026-01-01", help="first day of usage, YYYY-MM-DD (default 2026-01-01)"
    )
    p.add_argument("--tenant-id", help="tenant id (default: the profile id)")
    p.set_defaults(func=cmd_simulate)


def cmd_import(args: argparse.Namespace) -> int:
    _, report, since = import_snapshot(
        args.dir,
        args.out,
        tenant_id=args.tenant_id,
        region=args.region,
        zmo=args.zmo,
        zdr=args.zdr,
        name=args.name,
        vertical=args.vertical,
        pseudonym_key=pseudonym_key(args),
        **usage_options(args),
    )
    print(summary_text(report, args.out))
    if since is not None:
        print(f"  {since_previous_line(since)}")
    return 0


def _register_importer(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import-settings",
        help="a tenant folder from saved Zoom REST API settings responses",
        description="Read saved Zoom API responses (account/group/user settings and lock settings, users, "
        "Phone sites) from DIR, in the layout `zoomai pull` writes or under the names of Zoom's API samples "
        "(accounts-<accountId>-settings_GET.json, ...), and write a tenant folder with import_report.json. "
        "When DIR is a dated snapshot, the changes since the snapshot before it are kept too "
        "(the settings audit shows them first). Keep tenant folders outside the repository.",
        epilog=epilog(
            "zoomai import-settings ~/zoom/acme/export --out ~/zoom/acme/tenant --region EU --zmo",
            "zoomai import-settings ../shared/zoom-api/examples --out /tmp/samples --region US",
        ),
    )
    p.add_argument("dir", metavar="DIR", type=Path, help="folder of saved API responses")
    p.add_argument(
        "--out", metavar="FOLDER", type=Path, required=True, help="a folder: the tenant folder to write"
    )
    p.add_argument("--tenant-id", help="tenant id (default: DIR's folder name)")
    p.add_argument(
        "--region",
        type=region_arg,
        required=True,
        help="hosting region code, e.g. US or DE (required: Zoom's API does not give it)",
    )
    p.add_argument(
        "--zmo", action="store_true", help="Zoom-hosted Models Only is enabled (set by Zoom support)"
    )
    p.add_argument("--zdr", action="store_true", help="Zero Data Retention is enabled (set by Zoom support)")
    p.add_argument("--name", help="display name (default: the tenant id)")
    p.add_argument("--vertical", default="unknown", help="industry, e.g. healthcare")
    add_pseudonymise_arg(p)
    add_usage_args(p)
    p.set_defaults(func=cmd_import)


def register(sub: argparse._SubParsersAction) -> None:
    _register_effective(sub)
    _register_simulate(sub)
    _register_importer(sub)
