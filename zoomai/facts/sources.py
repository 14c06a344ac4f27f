"""The documents facts rest on: data/sources.yaml, one entry per document with its citation.

`load_sources()` validates the file (pydantic, with line numbers) and returns one row per
source (model `SourcesTable`); `citation()` turns a source id and section into the words and
address a report prints.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Literal

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from zoomai.core.errors import DataError, Problem
from zoomai.core.paths import data_file
from zoomai.core.yamlio import load_model, read_yaml

FactSetName = Literal["v5.0", "current"]
FACT_SETS: tuple[str, ...] = FactSetName.__args__


class Source(BaseModel):
    """One document: what it is, who published it, when, where to find it, when it was read."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    date: dt.date | None = None
    as_of: str | None = Field(default=None, min_length=1)
    url: HttpUrl | None = None
    file: str | None = Field(default=None, pattern=r"^(seeds|zoom-api)/[^/]+$")
    read: dt.date
    language: str = Field(pattern=r"^[a-z]{2}$")
    fact_set: FactSetName
    scope: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_date_one_address(self) -> Source:
        if (self.date is None) == (self.as_of is None):
            raise ValueError("expected exactly one of date (YYYY-MM-DD) or as_of (the date in words)")
        if (self.url is None) == (self.file is None):
            raise ValueError("expected exactly one of url (a web address) or file (a seed file)")
        if self.date is not None and self.date > self.read:
            raise ValueError(f"date {self.date} is after the date read {self.read}")
        return self


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[Source] = Field(min_length=1)


class SourcesTable(pa.DataFrameModel):
    """One row per source document."""

    id: Series[str] = pa.Field(unique=True, description="Source id, cited by facts and matrix rows.")
    title: Series[str] = pa.Field(description="The document's own title.")
    publisher: Series[str] = pa.Field(description="Who published it.")
    date: Series[str] = pa.Field(description="Publication date (YYYY-MM-DD), or its as_of words.")
    location: Series[str] = pa.Field(description="URL, or seed file name for bundled copies.")
    read: Series[str] = pa.Field(description="Date a developer read it (YYYY-MM-DD).")
    language: Series[str] = pa.Field(description="ISO 639-1 language of the text read.")
    fact_set: Series[str] = pa.Field(isin=list(FACT_SETS), description="v5.0 or current.")
    scope: Series[str] = pa.Field(description="What the project takes from it; empty for all.")

    class Config:
        strict = True


def load_sources(path: Path | str | None = None) -> pd.DataFrame:
    """Read and validate data/sources.yaml (or `path`); raise DataError naming line and field."""
    return _load(Path(path) if path else data_file("sources.yaml")).copy()


@cache
def _load(path: Path) -> pd.DataFrame:
    spec = load_model(path, SourcesFile)
    seen: dict[str, int] = {}
    problems = []
    _, lines = read_yaml(path)
    for i, src in enumerate(spec.sources):
        if src.id in seen:
            line = lines.get(("sources", i, "id"))
            problems.append(Problem(line, f"sources[{i}].id", f"duplicate source id {src.id!r}"))
        seen[src.id] = i
    if problems:
        raise DataError(path, problems)
    rows = [
        {
            "id": s.id,
            "title": s.title,
            "publisher": s.publisher,
            "date": s.date.isoformat() if s.date else f"as of: {s.as_of}",
            "location": str(s.url) if s.url else s.file,
            "read": s.read.isoformat(),
            "language": s.language,
            "fact_set": s.fact_set,
            "scope": s.scope or "",
        }
        for s in spec.sources
    ]
    return SourcesTable.validate(pd.DataFrame(rows))


def citation(sources: pd.DataFrame, source_id: str, section: str) -> str:
    """'<title> (<publisher>, <date>), section <section>: <url or file>'; KeyError if unknown."""
    table = sources.set_index("id")
    if source_id not in table.index:
        raise KeyError(f"no source {source_id!r}; expected one of {sorted(table.index)}")
    row = table.loc[source_id]
    return f"{row['title']} ({row['publisher']}, {row['date']}), section {section}: {row['location']}"


def url_problems(document: str, field: str, sources: pd.DataFrame, line: int | None = None) -> list[Problem]:
    """A fact of the current set must cite a known source that is a web page (has a URL)."""
    table = sources.set_index("id")
    if document not in table.index:
        return [Problem(line, field, f"unknown source {document!r}; expected an id of data/sources.yaml")]
    if not table.loc[document, "location"].startswith("https://"):
        return [Problem(line, field, f"source {document!r} has no URL; a current fact needs one")]
    return []
