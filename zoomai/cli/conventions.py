"""What every subcommand shares: the help epilog (examples, exit status), `--format`,
`--config` (one or several configurations) and the formatter that keeps examples as written."""

from __future__ import annotations

import argparse

from zoomai.core.cluster import CLUSTER_HELP, check_cluster
from zoomai.core.errors import ZoomaiError
from zoomai.core.output import FORMATS
from zoomai.facts.factset import DEFAULT_FACTS
from zoomai.facts.sources import FACT_SETS

EXIT_OK, EXIT_FAILED, EXIT_USER_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_STATUS = """\
exit status:
  0  success
  2  wrong input (option, file or value): one message on stderr naming it, nothing written"""


class Parser(argparse.ArgumentParser):
    """Every zoomai parser: the epilog's examples and exit codes kept line by line."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)


def epilog(*examples: str, status: str = EXIT_STATUS) -> str:
    """The end of a subcommand's --help: examples, then its exit codes."""
    return "examples:\n" + "\n".join(f"  {e}" for e in examples) + "\n\n" + status


def add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, default="markdown", help="table format (default: markdown)")


def comma_list(text: str) -> list[str]:
    """`A,B`: the names, in order; an empty list is a usage error."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of names, got {text!r}")
    return items


def non_negative(text: str) -> int:
    """A whole number >= 0 command-line argument (a seed)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0; got {text!r}")
    return value


def positive(text: str) -> int:
    """A whole number of at least 1 (workers, runs to keep, concurrency, tries)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def add_config(
    p: argparse.ArgumentParser,
    several: bool,
    default: str | None,
    help: str = "",
    aliases: tuple[str, ...] = (),
) -> None:
    """`--config`: one configuration (a preset name or YAML file) or, where the command takes
    several, a comma-separated list (parsed into a list); the older spellings in `aliases` are
    accepted but not shown."""
    what = "comma-separated presets or YAML files" if several else "a preset name or a YAML file"
    text = help or (f"{what} (default: {default})" if default else what)
    kind = comma_list if several else str
    value = kind(default) if default else None
    p.add_argument("--config", type=kind, default=value, metavar="A,B" if several else "NAME", help=text)
    for alias in aliases:
        p.add_argument(alias, dest="config", type=kind, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _cluster(text: str) -> str:
    try:
        return check_cluster(text)
    except ZoomaiError:
        raise argparse.ArgumentTypeError(
            f"expected {CLUSTER_HELP}, e.g. local or tcp://10.0.0.5:8786, got {text!r}"
        ) from None


def add_cluster(p: argparse.ArgumentParser) -> None:
    """`--cluster`: run the work on a Dask cluster instead of the built-in process pool."""
    p.add_argument(
        "--cluster",
        type=_cluster,
        metavar="local|tcp://HOST:PORT",
        help=f"run on a Dask cluster: {CLUSTER_HELP} (default: the built-in process pool)",
    )


def add_facts(p: argparse.ArgumentParser, default: str | None = DEFAULT_FACTS, said: str = "") -> None:
    """`--facts`: the fact set the command rests on (v5.0 or current); `said`: the help's words
    for the default where the command chooses it (`default` None)."""
    p.add_argument(
        "--facts",
        choices=FACT_SETS,
        default=default,
        help="fact set: v5.0 (the July 2024 whitepaper) or current (Zoom's pages up to 2026); "
        f"default {said or default}",
    )
