"""The `zoomai` command line. User errors print one message and exit 2, with no traceback."""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Callable, Sequence

from zoomai.cli.conventions import EXIT_OK, EXIT_USER_ERROR, Parser, add_facts, add_format, epilog
from zoomai.core.atomic import os_error_text
from zoomai.core.errors import ZoomaiError, ZoomaiWarning
from zoomai.core.output import write_table
from zoomai.core.versions import is_version
from zoomai.facts.compare import changes_table
from zoomai.facts.factset import DEFAULT_FACTS, matrix_table
from zoomai.facts.sources import FACT_SETS

# Modules that add their subcommands with `register(subparsers)`, one per stage.
COMMAND_MODULES = (
    "zoomai.cli.facts",
    "zoomai.cli.tenants",
    "zoomai.cli.analysis",
    "zoomai.cli.portfolio",
    "zoomai.cli.report",
    "zoomai.cli.dpia",
    "zoomai.cli.pull",
)


def _version_arg(text: str) -> str:
    if not (is_version(text) or text in FACT_SETS):
        raise argparse.ArgumentTypeError(
            f"expected a whitepaper version such as 4.0 or a fact set ({', '.join(FACT_SETS)}), got {text!r}"
        )
    return text


def cmd_matrix(args: argparse.Namespace) -> int:
    if args.changes:
        table = changes_table(*args.changes, matrix_path=args.path)
    else:
        facts = args.facts or ("v5.0" if args.path else DEFAULT_FACTS)  # --path: a whitepaper matrix
        table = matrix_table(facts, matrix_path=args.path, summarised=args.summary)
    write_table(table, args.format)
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("zoomai")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


MAIN_EPILOG = """\
Run `zoomai COMMAND --help` for a command's options, examples and exit codes.
Bare `zoomai` prints this help and exits 0.

exit status:
  0  success
  1  zoomai report: a notebook failed (the other reports are still written)
  2  wrong input (option, file or value): one message on stderr naming it, nothing written
  130  interrupted (Ctrl-C): no report written"""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="zoomai",
        description="Risk analysis of Zoom AI Companion data flows and retention.",
        epilog=MAIN_EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser(
        "matrix",
        help="print the feature matrix of a fact set",
        description="Print the feature matrix: one row per (product, feature, content item).",
        epilog=epilog(
            "zoomai matrix --summary",
            "zoomai matrix --changes 4.0 5.0 --format json",
            "zoomai matrix --path my_matrix.csv --format csv",
        ),
    )
    p.add_argument(
        "--path", help="a whitepaper (v5.0) feature matrix CSV (default: the bundled data/feature_matrix.csv)"
    )
    add_format(p)
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--changes",
        nargs=2,
        metavar=("FROM", "TO"),
        type=_version_arg,
        help="features the whitepaper changelog added after FROM up to TO (e.g. 4.0 5.0), or "
        "what fact set TO adds, changes and removes against FROM (v5.0 current)",
    )
    group.add_argument("--summary", action="store_true", help="counts per product")
    add_facts(p, default=None, said=f"{DEFAULT_FACTS}, or v5.0 with --path")
    p.set_defaults(func=cmd_matrix)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """zoomai's own warnings as one line each; others as Python shows them."""
    if issubclass(category, ZoomaiWarning):
        print(f"zoomai: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `zoomai`: the help, exit 0
        parser.print_help()
        return EXIT_OK
    func: Callable[[argparse.Namespace], int] = args.func
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        warnings.simplefilter("always", ZoomaiWarning)
        try:
            return func(args)
        except ZoomaiError as exc:
            print(f"zoomai: error: {exc}", file=sys.stderr)
            return EXIT_USER_ERROR
        except BrokenPipeError:
            return 0
        except OSError as exc:  # the file system said no (disk full, permissions, ...): one line
            print(f"zoomai: error: {os_error_text(exc)}", file=sys.stderr)
            return EXIT_USER_ERROR
