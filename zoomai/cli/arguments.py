"""Argument types shared by the subcommands: each rejects a bad value with argparse's usage error."""

from __future__ import annotations

import argparse


def comma_list(text: str) -> list[str]:
    """'a, b,,c' -> ['a', 'b', 'c']; an empty list is an error."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of names, got {text!r}")
    return items
