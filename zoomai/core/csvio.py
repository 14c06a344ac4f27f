"""Read CSV files as text with their line numbers, and turn pandera failures into Problems."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from zoomai.core.atomic import os_error_text
from zoomai.core.errors import DataError, Problem

BOOL_TEXT = {"true": True, "false": False}


def read_csv_text(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read a CSV file as strings ("" for empty), indexed by the line each row starts on.

    The header must hold exactly `columns` (any order); a row with the wrong number of
    fields is an error. Raises DataError listing every such problem.
    """
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8")
    except FileNotFoundError:
        raise DataError(path, [Problem(None, None, "file not found")]) from None
    except IsADirectoryError:
        raise DataError(path, [Problem(None, None, "is a folder; expected a CSV file")]) from None
    except OSError as exc:
        raise DataError(path, [Problem(None, None, f"cannot read the file: {os_error_text(exc)}")]) from None
    problems: list[Problem] = []
    rows: list[list[str]] = []
    index: list[int] = []
    with handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise DataError(path, [Problem(1, None, "the file is empty; expected a header line")])
            missing = [c for c in columns if c not in header]
            extra = [c for c in header if c not in columns]
            problems += [Problem(1, c, "required column is missing") for c in missing]
            problems += [Problem(1, c, "unknown column") for c in extra]
            if len(set(header)) != len(header):
                problems.append(Problem(1, None, "a column name is repeated in the header"))
            start = reader.line_num + 1
            for row in reader:
                if row:
                    if len(row) != len(header):
                        problems.append(
                            Problem(
                                start,
                                None,
                                f"expected {len(header)} fields as in the header, found {len(row)}",
                            )
                        )
                    else:
                        rows.append(row)
                        index.append(start)
                start = reader.line_num + 1
        except csv.Error as exc:
            problems.append(Problem(reader.line_num, None, f"not valid CSV: {exc}"))
        except UnicodeDecodeError as exc:
            problems.append(Problem(None, None, f"not UTF-8 text: {exc}"))
    if not problems and not rows:
        problems.append(Problem(2, None, "no rows: the file has a header but no data"))
    if problems:
        raise DataError(path, problems)
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(index, name="line"), dtype=object)
    return frame[columns]


def schema_problems(
    schema: pa.DataFrameSchema | type[pa.DataFrameModel], frame: pd.DataFrame
) -> list[Problem]:
    """Validate lazily; return one Problem per failing cell (index = line number)."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return [
            Problem(
                int(row["index"]) if pd.notna(row["index"]) else None,
                str(row["column"]) if pd.notna(row["column"]) else None,
                f"{row['check']}, got {row['failure_case']!r}",
            )
            for _, row in exc.failure_cases.iterrows()
        ]
    return []


def text_check(pattern: str, expected: str, nullable: bool = False) -> pa.Check:
    """A check that text cells match `pattern` (or are empty, if nullable)."""
    full = f"^(?:{pattern})?$" if nullable else f"^(?:{pattern})$"
    return pa.Check.str_matches(full, error=f"expected {expected}")


def split_list(cell: str) -> list[str]:
    """'OpenAI;Anthropic' -> ['OpenAI', 'Anthropic']; '' -> []."""
    return [part.strip() for part in cell.split(";") if part.strip()] if cell else []
