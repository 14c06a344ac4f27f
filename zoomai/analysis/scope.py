"""The scope statement of every report: what the facts cover and what they do not
(data/scope.yaml), each item with the statements and sources of the policy facts it cites."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from zoomai.core.errors import DataError, Problem
from zoomai.core.paths import data_file
from zoomai.core.yamlio import line_of, load_model, read_yaml
from zoomai.facts.policy import load_policy

SCOPE_COLUMNS = ["topic", "status", "statement", "facts", "source"]


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    topic: str = Field(min_length=1)
    status: Literal["covered", "not_covered", "caveat"]
    statement: str = Field(min_length=1)
    facts: list[str] = Field(min_length=1)


class ScopeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    items: list[Item] = Field(min_length=1)


def scope_statement(path: Path | str | None = None) -> pd.DataFrame:
    """One row per scope item, covered first, then not covered, then caveats; columns
    SCOPE_COLUMNS (facts: '; '-joined fact ids; source: their citations, ' | '-joined)."""
    return _load(Path(path) if path else data_file("scope.yaml")).copy()


@cache
def _load(path: Path) -> pd.DataFrame:
    parsed = load_model(path, ScopeFile)
    _, lines = read_yaml(path)
    policy = load_policy()
    known = set(policy.facts["id"])
    problems = [
        Problem(
            line_of(lines, ("items", i, "facts", j)), f"items[{i}].facts[{j}]", f"unknown policy fact {f!r}"
        )
        for i, item in enumerate(parsed.items)
        for j, f in enumerate(item.facts)
        if f not in known
    ]
    if problems:
        raise DataError(path, problems)
    rows = [
        {
            "topic": item.topic,
            "status": item.status,
            "statement": item.statement,
            "facts": "; ".join(item.facts),
            "source": " | ".join(dict.fromkeys(policy.cite(f) for f in item.facts)),
        }
        for item in parsed.items
    ]
    order = {"covered": 0, "not_covered": 1, "caveat": 2}
    table = pd.DataFrame(rows, columns=SCOPE_COLUMNS)
    return table.sort_values("status", key=lambda s: s.map(order), kind="stable", ignore_index=True)
