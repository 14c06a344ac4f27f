"""`zoomai pull` and `zoomai diff`: parsing and printing; the work is in zoomai.tenants.pull and
zoomai.analysis.drift."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from pathlib import Path

from zoomai.analysis.drift import (
    drift,
    import_snapshot,
    load_side,
    shorten_people,
    since_previous_line,
    widens_exposure,
)
from zoomai.cli.conventions import EXIT_INTERRUPTED, add_format, epilog, non_negative, positive
from zoomai.core.errors import ZoomaiError
from zoomai.core.output import write_table
from zoomai.tenants.estimate import load_usage_model
from zoomai.tenants.importer import summary_text as import_summary
from zoomai.tenants.pseudonymise import load_key
from zoomai.tenants.pull import PullOptions, pull_snapshot, summary_text
from zoomai.tenants.tables import region_arg
from zoomai.tenants.zoomapi import DEFAULT_API_BASE, ENV_NAMES, load_credentials

EXIT_WIDENED = 1  # `zoomai diff`: for cron and CI alerts


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def add_pseudonymise_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pseudonymise",
        metavar="KEY_FILE",
        type=Path,
        help="replace e-mail addresses by stable keyed pseudonyms; KEY_FILE (chmod 600, at least "
        "16 characters) is the key and stays with you",
    )


def domain_arg(text: str) -> str:
    """An e-mail domain command-line argument, e.g. example.com (a leading @ is allowed)."""
    domain = text.lower().removeprefix("@")
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain):
        raise argparse.ArgumentTypeError(f"expected an e-mail domain such as example.com; got {text!r}")
    return domain


def add_usage_args(p: argparse.ArgumentParser) -> None:
    """Options of the usage an import adds: domains, the estimate model and its seed."""
    p.add_argument(
        "--internal-domain",
        dest="domains",
        action="append",
        type=domain_arg,
        default=[],
        metavar="DOMAIN",
        help="an e-mail domain of the organisation (repeatable; the users' domains always count): "
        "meeting participants with other addresses are external",
    )
    p.add_argument(
        "--usage-model",
        metavar="MODEL",
        help="estimate usage of the features without observed usage: a model of "
        "data/usage_models.yaml (e.g. light_adoption) or a YAML file of the same shape",
    )
    p.add_argument(
        "--usage-seed", type=non_negative, default=0, help="seed of the estimated usage (default 0)"
    )


def usage_options(args: argparse.Namespace) -> dict[str, object]:
    """read_export's usage keywords from the parsed options (the model validated here)."""
    model = load_usage_model(args.usage_model) if args.usage_model else None
    return {"domains": tuple(args.domains), "usage_model": model, "usage_seed": args.usage_seed}


def pseudonym_key(args: argparse.Namespace) -> bytes | None:
    return load_key(args.pseudonymise) if args.pseudonymise is not None else None


def cmd_pull(args: argparse.Namespace) -> int:
    if args.import_to is not None and args.region is None:
        raise ZoomaiError("--import needs --region (the account's hosting region, e.g. US or DE)")
    if args.pseudonymise is not None and args.import_to is None:
        raise ZoomaiError("--pseudonymise applies to --import (the snapshot keeps Zoom's answers as given)")
    key = pseudonym_key(args)
    usage = usage_options(args)  # a wrong model is refused before anything is asked
    credentials = load_credentials(args.credentials)
    options = PullOptions(
        args.api_base,
        args.token_url,
        args.concurrency,
        args.timeout,
        args.retries,
        usage_since=args.usage_since,
    )
    try:
        result = pull_snapshot(credentials, args.out, options, resume=args.resume)
    except KeyboardInterrupt:
        print(
            f"zoomai: interrupted; no snapshot written; continue with --resume --out {args.out}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    print(summary_text(result))
    if args.import_to is not None:
        _, report, since = import_snapshot(
            result.snapshot,
            args.import_to,
            key,
            region=args.region,
            tenant_id=args.tenant_id,
            **usage,
        )
        print(import_summary(report, args.import_to))
        if since is not None:
            print(f"  {since_previous_line(since)}")
    return 0


PULL_STATUS = """\
exit status:
  0    success: a snapshot written (and imported, with --import)
  2    wrong input, missing credentials, or a required endpoint failed: nothing written
  130  interrupted: answers so far kept for --resume"""
DIFF_STATUS = """\
exit status:
  0  nothing widens exposure
  1  something widens exposure (for cron and CI alerts)
  2  wrong input (option, file or value): one message on stderr naming it"""


def _register_pull(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "pull",
        help="pull a tenant's settings from the Zoom REST API into a dated snapshot",
        description="Read account, group and user settings with locks, users, groups, Phone sites and "
        "users, and meeting usage from the Zoom REST API (Server-to-Server OAuth) into "
        f"OUT/<UTC timestamp>/. Credentials: {', '.join(ENV_NAMES)} from the environment or --credentials.",
        epilog=epilog(
            "zoomai pull --out ~/zoom/acme/snapshots --import ~/zoom/acme/tenant --region DE",
            "zoomai pull --out ~/zoom/acme/snapshots --resume",
            "zoomai pull --api-base http://127.0.0.1:8765/v2 --out /tmp/fake/snapshots",
            status=PULL_STATUS,
        ),
    )
    p.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FOLDER",
        help="a folder: the snapshots folder (one subfolder per pull)",
    )
    p.add_argument(
        "--credentials", type=Path, help="file of NAME=VALUE lines (chmod 600) instead of the environment"
    )
    p.add_argument("--api-base", default=DEFAULT_API_BASE, help=f"API base URL (default {DEFAULT_API_BASE})")
    p.add_argument(
        "--token-url",
        help="OAuth token URL (default: Zoom's for Zoom's API, else /oauth/token on the API's host)",
    )
    p.add_argument("--concurrency", type=positive, default=4, help="requests at once (default 4)")
    p.add_argument("--timeout", type=_seconds, default=30.0, help="seconds per request (default 30)")
    p.add_argument("--retries", type=positive, default=6, help="tries per request (default 6)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted pull in OUT")
    p.add_argument(
        "--usage-since",
        type=_date,
        metavar="DATE",
        help="first day of usage evidence, YYYY-MM-DD (default: 30 days ago; asked 30 days at a time)",
    )
    p.add_argument("--import", dest="import_to", type=Path, metavar="TENANT_DIR", help="also import it there")
    p.add_argument("--region", type=region_arg, help="hosting region code, needed with --import")
    p.add_argument("--tenant-id", help="tenant id for --import (default: the snapshot folder's name)")
    add_usage_args(p)
    add_pseudonymise_arg(p)
    p.set_defaults(func=cmd_pull)


def cmd_diff(args: argparse.Namespace) -> int:
    changes = drift(load_side(args.old, args.region), load_side(args.new, args.region))
    widens = widens_exposure(changes)
    if args.format == "json":
        print(json.dumps({"widens_exposure": widens, "changes": changes.to_dict("records")}, indent=2))
    elif args.format == "csv":
        write_table(changes, "csv")
    else:
        print(f"{len(changes)} changes; exposure {'WIDENED' if widens else 'not widened'}\n")
        if len(changes):
            shown = changes.assign(affected=changes["affected"].map(shorten_people))
            write_table(shown, "markdown")
    return EXIT_WIDENED if widens else 0


def _register_diff(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diff",
        help="what changed between two snapshots or tenant folders, and whether it widened exposure",
        description="List settings added, removed and changed per level and scope, locks added and "
        "removed, users and groups added and removed, and the features, parties and external summary "
        "sharing newly reaching users present in both.",
        epilog=epilog(
            "zoomai diff snapshots/20261125T060000Z snapshots/20261202T060000Z --region DE",
            "zoomai diff old_tenant/ new_tenant/ --format json",
            status=DIFF_STATUS,
        ),
    )
    p.add_argument("old", metavar="OLD", type=Path, help="earlier snapshot or tenant folder")
    p.add_argument("new", metavar="NEW", type=Path, help="later snapshot or tenant folder")
    add_format(p)
    p.add_argument(
        "--region", type=region_arg, help="hosting region of snapshots (tenant folders carry theirs)"
    )
    p.set_defaults(func=cmd_diff)


def register(sub: argparse._SubParsersAction) -> None:
    _register_pull(sub)
    _register_diff(sub)
