"""The `zoomai` command line. User errors print one message and exit 2, with no traceback."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from zoomai.core.errors import ZoomaiError
from zoomai.core.output import FORMATS, write_table
from zoomai.core.versions import is_version
from zoomai.facts.matrix import changes, load_feature_matrix, summary

EXIT_USER_ERROR = 2
# Modules that add their subcommands with `register(subparsers)`, one per stage.
COMMAND_MODULES = (
    "zoomai.cli.tenants",
    "zoomai.cli.analysis",
    "zoomai.cli.report",
    "zoomai.cli.pull",
)


def _version_arg(text: str) -> str:
    if not is_version(text):
        raise argparse.ArgumentTypeError(f"expected a whitepaper version such as 4.0, got {text!r}")
    return text


def cmd_matrix(args: argparse.Namespace) -> int:
    matrix = load_feature_matrix(args.path)
    if args.changes:
        since, until = args.changes
        try:
            table = changes(matrix, since, until)
        except ValueError as exc:
            raise ZoomaiError(str(exc)) from None
    elif args.summary:
        table = summary(matrix)
    else:
        table = matrix
    write_table(table, args.format)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoomai", description="Risk analysis of Zoom AI Companion data flows and retention."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "matrix",
        help="print the whitepaper feature matrix",
        description="Print the feature matrix: one row per (product, feature, content item).",
    )
    p.add_argument("--path", help="feature matrix CSV (default: the bundled data/feature_matrix.csv)")
    p.add_argument("--format", choices=FORMATS, default="markdown")
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--changes",
        nargs=2,
        metavar=("FROM", "TO"),
        type=_version_arg,
        help="features the whitepaper changelog added after FROM up to TO (e.g. 4.0 5.0)",
    )
    group.add_argument("--summary", action="store_true", help="counts per product")
    p.set_defaults(func=cmd_matrix)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ZoomaiError as exc:
        print(f"zoomai: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        return 0
