"""Numbers for people: every figure a report shows goes through these, so counts carry
thousands separators, shares are percentages, estimates are rounded and say so, missing values
read "unknown" (never 0), and nothing is ever in scientific notation.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

UNKNOWN = "unknown"
ESTIMATE_PREFIX = "about "


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def count(value: object) -> str:
    """A whole number with thousands separators: 260465 -> '260,465'; missing -> 'unknown'.
    A fractional value is rounded half away from zero (counts of things are whole)."""
    if _missing(value):
        return UNKNOWN
    number = float(value)  # type: ignore[arg-type]
    return f"{int(math.copysign(math.floor(abs(number) + 0.5), number)):,}"


def decimal(value: object, places: int = 1) -> str:
    """A number with thousands separators and at most `places` decimals ('1,234.5', '3')."""
    if _missing(value):
        return UNKNOWN
    text = f"{float(value):,.{places}f}"  # type: ignore[arg-type]
    return text.rstrip("0").rstrip(".") if "." in text else text


def count_range(low: object, high: object) -> str:
    """Lower and upper bound of a count: '8,532 to 157,622', or one number when they agree."""
    return count(high) if count(low) == count(high) else f"{count(low)} to {count(high)}"


def with_ranges(df: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """`df` with every column X that has `X_min` and `X_max` beside it shown as one range
    ('17 to 37', estimates rounded and marked) and the `_min`/`_max` columns dropped; also the
    names of the range columns (numbers as text, to align right)."""
    ranged = tuple(c for c in df.columns if f"{c}_min" in df.columns and f"{c}_max" in df.columns)
    out = df.drop(columns=[f"{c}_{b}" for c in ranged for b in ("min", "max")])
    for c in ranged:
        out[c] = [figure_range(c, lo, hi) for lo, hi in zip(df[f"{c}_min"], df[f"{c}_max"], strict=True)]
    return out, ranged


def figure_range(name: str, low: object, high: object) -> str:
    """A figure's lower and upper bound as text: people without notice (an estimate) rounded
    and marked, every other figure as a count range."""
    if not name.startswith("people_without_notice"):
        return count_range(low, high)
    return estimate(high) if estimate(low) == estimate(high) else f"{estimate(low)} to {estimate(high)}"


def estimate(value: object) -> str:
    """An estimated count, rounded to two significant figures from 100 up and marked:
    5915.7 -> 'about 5,900', 47.3 -> 'about 47', 0 -> '0' (nothing to estimate)."""
    if _missing(value):
        return UNKNOWN
    number = float(value)  # type: ignore[arg-type]
    if number == 0:
        return "0"
    magnitude = int(math.floor(math.log10(abs(number))))
    step = 10 ** max(magnitude - 1, 0)
    return ESTIMATE_PREFIX + count(round(number / step) * step)


def percent(part: object, whole: object | None = None) -> str:
    """A share as a percentage: percent(0.584) or percent(152199, 260465) -> '58%'. A share that
    is not zero but rounds to 0 or 100 says '<1%' or '>99%'; whole 0 -> 'unknown'."""
    if _missing(part) or (whole is not None and (_missing(whole) or float(whole) == 0)):  # type: ignore[arg-type]
        return UNKNOWN
    share = float(part) / float(whole) if whole is not None else float(part)  # type: ignore[arg-type]
    rounded = round(share * 100)
    if rounded == 0 and share > 0:
        return "<1%"
    if rounded == 100 and share < 1:
        return ">99%"
    return f"{rounded}%"


PLURALS = {"person": "people"}  # units whose plural is not the unit and "s"


def counted(number: object, unit: str) -> str:
    """A count and its unit agreeing in number: (1, 'user') -> '1 user', (2, 'record-day') ->
    '2 record-days', (3, 'person') -> '3 people'. `number` is a number (written by `count`) or a
    figure already written ('about 1', '8 to 12'); missing -> 'unknown users'."""
    text = number if isinstance(number, str) else count(number)
    one = text.removeprefix(ESTIMATE_PREFIX) == "1"
    return f"{text} {unit if one else PLURALS.get(unit, unit + 's')}"


BRANDS = ("Zoom", "Microsoft", "Google")  # names that keep their capital inside a sentence


def in_sentence(name: str) -> str:
    """A content item's name as it reads inside a sentence: 'Meeting summary' -> 'meeting summary',
    'Screen-shared content read by OCR' -> 'screen-shared content read by OCR'; a name that starts
    with a proper name keeps it ('Team Chat messages', 'Microsoft or Google emails', 'OCR ...')."""
    words = name.split(" ")
    first = words[0]
    proper = first.isupper() or first in BRANDS or (len(words) > 1 and words[1][:1].isupper())
    return name if proper or not first else first[0].lower() + name[1:]


def days(value: object) -> str:
    """A retention window: 30 -> '30 days', 1 -> '1 day'; missing -> 'unknown'."""
    return UNKNOWN if _missing(value) else counted(value, "day")


def value(item: object) -> str:
    """Any table or figure value as text: booleans as yes/no, integers with separators, other
    numbers with at most one decimal, missing as empty text (a blank cell)."""
    if _missing(item):
        return ""
    if isinstance(item, bool | np.bool_):
        return "yes" if item else "no"
    if isinstance(item, int | np.integer):
        return count(item)
    if isinstance(item, float | np.floating):
        return count(item) if float(item).is_integer() else decimal(item)
    return str(item)


@dataclass(frozen=True)
class Link:
    """A table cell that names a web page: its `text` is what people read (a source's title),
    `href` only the link target. Plain text and CSV show the text; an HTML report a link; a
    Markdown table a Markdown link. Only http(s) targets are linked."""

    text: str
    href: str

    def __str__(self) -> str:
        return self.text

    def _linked(self) -> bool:
        return self.href.startswith(("https://", "http://"))

    def html(self) -> str:
        text = html.escape(self.text)
        return f'<a href="{html.escape(self.href)}">{text}</a>' if self._linked() else text

    def markdown(self) -> str:
        text = self.text.replace("[", "\\[").replace("]", "\\]")
        return f"[{text}](<{self.href}>)" if self._linked() else text
