"""Notice rules (data/notice.yaml): who is told that AI Companion processes their content.

Exposure uses them for "people without AI notice": meeting participants on clients below the
notification version, phone callers when no start prompt plays, SMS counterparts and callers
whom the sources describe no notice for.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, model_validator

from zoomai.core.errors import DataError, Problem
from zoomai.core.paths import data_file
from zoomai.core.versions import parse_version
from zoomai.core.yamlio import line_of, load_model, read_yaml
from zoomai.facts.matrix import load_feature_matrix
from zoomai.facts.policy import Source, load_policy
from zoomai.facts.registry import SPECS

# source: the cited basis, 'document [version], section'.
RULE_COLUMNS = ["feature_id", "people", "mechanism", "fact", "setting", "source"]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    features: list[str]
    people: Literal["all", "external"]
    mechanism: Literal["client_version", "setting", "none"]
    fact: str | None = None
    setting: str | None = None
    source: Source

    @model_validator(mode="after")
    def _needs(self) -> Rule:
        if self.mechanism == "client_version" and not self.fact:
            raise ValueError("mechanism client_version needs `fact` (a client_version policy fact id)")
        if self.mechanism == "setting" and not self.setting:
            raise ValueError("mechanism setting needs `setting` (a registry key)")
        return self


class NoticeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rules: list[Rule]


def load_notice_rules(path: Path | str | None = None) -> pd.DataFrame:
    """One row per feature with a notice rule; columns RULE_COLUMNS. Features, facts and
    setting keys are checked against the matrix, the policy and the registry."""
    return _load(Path(path) if path else data_file("notice.yaml")).copy()


@cache
def _load(path: Path) -> pd.DataFrame:
    parsed = load_model(path, NoticeFile)
    _, lines = read_yaml(path)
    known = set(load_feature_matrix()["feature_id"])
    policy = load_policy()
    facts = set(policy.facts["id"])
    docs = policy.documents.set_index("id")
    problems, rows, seen = [], [], set()
    for i, rule in enumerate(parsed.rules):
        cite = policy.cite_source(rule.source)
        if rule.source.document not in docs.index:
            where = line_of(lines, ("rules", i, "source", "document"))
            expected = sorted(docs.index)
            problems.append(
                Problem(where, f"rules.{i}.source.document", f"unknown document; expected one of {expected}")
            )
        for j, feature in enumerate(rule.features):
            where = line_of(lines, ("rules", i, "features", j))
            if feature not in known:
                problems.append(Problem(where, f"rules.{i}.features", f"unknown feature_id {feature!r}"))
            elif feature in seen:
                problems.append(Problem(where, f"rules.{i}.features", f"{feature!r} has two rules"))
            seen.add(feature)
            rows.append({"feature_id": feature, **rule.model_dump(exclude={"features"}), "source": cite})
        if rule.fact and rule.fact not in facts:
            where = line_of(lines, ("rules", i, "fact"))
            problems.append(Problem(where, f"rules.{i}.fact", f"unknown policy fact {rule.fact!r}"))
        if rule.setting and rule.setting not in SPECS:
            where = line_of(lines, ("rules", i, "setting"))
            problems.append(Problem(where, f"rules.{i}.setting", f"unknown registry key {rule.setting!r}"))
    if problems:
        raise DataError(path, problems)
    return pd.DataFrame(rows, columns=RULE_COLUMNS)


def share_below(client_versions: pd.Series, min_version: str) -> float:
    """Share of clients below `min_version`; unknown versions count as below (no notice)."""
    if len(client_versions) == 0:
        return 0.0
    floor = parse_version(min_version)
    counts = client_versions.value_counts(dropna=False)  # each distinct version parsed once
    below = [pd.isna(v) or parse_version(str(v)) < floor for v in counts.index]
    return float(counts[np.array(below, dtype=bool)].sum() / len(client_versions))
