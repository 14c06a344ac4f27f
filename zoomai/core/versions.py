"""Dotted version numbers (Zoom client versions such as 5.16.5, whitepaper versions such as 4.0)."""

from __future__ import annotations

import re

VERSION_PATTERN = r"^\d+(\.\d+){1,3}$"
_VERSION_RE = re.compile(VERSION_PATTERN)


def is_version(text: str) -> bool:
    return bool(_VERSION_RE.match(text))


def parse_version(text: str) -> tuple[int, ...]:
    """'5.16.5' -> (5, 16, 5); '4.0' -> (4, 0, 0). Raises ValueError on anything else."""
    if not isinstance(text, str) or not is_version(text):
        raise ValueError(f"expected a version such as 5.16.5, got {text!r}")
    parts = tuple(int(p) for p in text.split("."))
    return parts + (0,) * (3 - len(parts)) if len(parts) < 3 else parts


def version_lt(a: str, b: str) -> bool:
    return parse_version(a) < parse_version(b)
