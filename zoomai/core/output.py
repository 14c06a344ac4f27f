"""Print DataFrames for the command line as CSV or Markdown."""

from __future__ import annotations

import sys
from typing import Literal, TextIO

import pandas as pd

Format = Literal["csv", "markdown"]
FORMATS = ("csv", "markdown")


def write_table(frame: pd.DataFrame, fmt: Format, out: TextIO | None = None) -> None:
    """Write `frame` without its index: CSV (RFC 4180) or a GitHub Markdown table."""
    out = out or sys.stdout
    frame = frame.copy()
    for col in frame.select_dtypes(bool).columns:
        frame[col] = frame[col].map({True: "true", False: "false"})
    if fmt == "csv":
        frame.to_csv(out, index=False, lineterminator="\n")
    else:
        text = frame.astype(object).where(frame.notna(), "")
        out.write(text.to_markdown(index=False, disable_numparse=True) + "\n")
