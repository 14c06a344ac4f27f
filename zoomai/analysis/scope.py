"""The scope statement of every report: what the facts cover and what they do not
(data/scope.yaml; for the current fact set also data/current/scope.yaml), each item with the
statements and sources of the facts it cites."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from zoomai.core.errors import DataError, Problem
from zoomai.core.paths import data_file
from zoomai.core.prose import Prose
from zoomai.core.yamlio import line_of, load_model, read_yaml
from zoomai.facts.factset import DEFAULT_FACTS, check_facts_name, flow_inputs
from zoomai.facts.policy import Policy

SCOPE_COLUMNS = ["topic", "status", "statement", "facts", "source"]


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    topic: Prose
    status: Literal["covered", "not_covered", "caveat"]
    statement: Prose
    facts: list[str] = Field(min_length=1)
    replaces: bool = False  # data/current/scope.yaml: stands in for the item of the same topic


class ScopeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    items: list[Item] = Field(min_length=1)


def scope_statement(path: Path | str | None = None, facts: str = DEFAULT_FACTS) -> pd.DataFrame:
    """One row per scope item, covered first, then not covered, then caveats; columns
    SCOPE_COLUMNS (facts: '; '-joined fact ids; source: their citations, ' | '-joined). The
    current fact set adds (or replaces by topic) the items of data/current/scope.yaml."""
    base = _load(Path(path) if path else data_file("scope.yaml"), "v5.0")
    if check_facts_name(facts) == "v5.0":
        return base.copy()
    later = _load(data_file("current") / "scope.yaml", facts)
    replaced = set(later.loc[later["replaces"], "topic"])
    table = pd.concat([base[~base["topic"].isin(replaced)], later], ignore_index=True)
    order = {"covered": 0, "not_covered": 1, "caveat": 2}
    table = table.sort_values("status", key=lambda s: s.map(order), kind="stable", ignore_index=True)
    return table[SCOPE_COLUMNS].copy()


@cache
def _load(path: Path, facts: str) -> pd.DataFrame:
    parsed = load_model(path, ScopeFile)
    _, lines = read_yaml(path)
    policy: Policy = flow_inputs(facts)[1]
    known = set(policy.facts["id"]) | set(policy.replaced_by)
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
            "replaces": item.replaces,
        }
        for item in parsed.items
    ]
    order = {"covered": 0, "not_covered": 1, "caveat": 2}
    table = pd.DataFrame(rows, columns=[*SCOPE_COLUMNS, "replaces"])
    if facts == "v5.0":
        table = table.drop(columns="replaces")
    return table.sort_values("status", key=lambda s: s.map(order), kind="stable", ignore_index=True)
