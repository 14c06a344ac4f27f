"""Print DataFrames for the command line as CSV, Markdown or JSON."""

from __future__ import annotations

import sys
from typing import Literal, TextIO

import pandas as pd

Format = Literal["csv", "markdown", "json"]
FORMATS = ("csv", "markdown", "json")


def write_table(frame: pd.DataFrame, fmt: Format, out: TextIO | None = None) -> None:
    """Write `frame` without its index: CSV (RFC 4180), a GitHub Markdown table, or JSON (an
    array of one object per row, column -> value; missing values as null, dates in ISO 8601)."""
    out = out or sys.stdout
    if fmt == "json":
        out.write(frame.to_json(orient="records", indent=2, date_format="iso", force_ascii=False) + "\n")
        return
    frame = frame.copy()
    for col in frame.select_dtypes(bool).columns:
        frame[col] = frame[col].map({True: "true", False: "false"})
    if fmt == "csv":
        frame.to_csv(out, index=False, lineterminator="\n")
    else:
        text = frame.astype(object).where(frame.notna(), "")
        out.write(text.to_markdown(index=False, disable_numparse=True) + "\n")
