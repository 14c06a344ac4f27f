"""The `zoomai facts` subcommand: a fact set's facts, its sources, or its conflicts."""

from __future__ import annotations

import argparse

from zoomai.cli.conventions import add_facts, add_format, epilog
from zoomai.core.output import write_table
from zoomai.facts.compare import value_text
from zoomai.facts.factset import load_facts


def cmd_facts(args: argparse.Namespace) -> int:
    fact_set = load_facts(args.facts)
    if args.sources:
        table = fact_set.sources
    elif args.conflicts:
        table = fact_set.conflicts
    else:
        table = fact_set.facts.assign(value=fact_set.facts["value"].map(value_text))
    write_table(table, args.format)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "facts",
        help="facts of a fact set, with their sources and conflicts",
        description="Print the facts of a fact set with the source and section each rests on, "
        "the source documents (--sources), or where sources disagree (--conflicts).",
        epilog=epilog(
            "zoomai facts",
            "zoomai facts --conflicts --format csv",
            "zoomai facts --sources --facts v5.0",
        ),
    )
    add_facts(p, default="current")
    add_format(p)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--sources", action="store_true", help="the documents the fact set rests on")
    group.add_argument(
        "--conflicts", action="store_true", help="statements of different sources that disagree, each cited"
    )
    p.set_defaults(func=cmd_facts)
