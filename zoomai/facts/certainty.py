"""How certain each flow is (data/flow_rules.yaml): the rule that makes a flow, its certainty
(stated, possible, inferred, assumed) and the passage it rests on.

Exposure bounds build on it: the lower bound counts stated flows only, the upper bound every
flow (see zoomai.analysis.exposure).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zoomai.core.errors import DataError, Problem
from zoomai.core.paths import data_file
from zoomai.core.yamlio import line_of, load_model, read_yaml
from zoomai.facts.policy import Certainty, Source, load_policy
from zoomai.facts.sources import load_sources
from zoomai.facts.taxonomy import load_data_categories

# Counted in the lower bound of a figure; every certainty counts in the upper bound.
LOWER_BOUND = ("stated",)
# The rules zoomai.analysis.flows applies; each must be in the file.
REQUIRED = (
    "zoom",
    "model_provider",
    "customer_storage",
    "subprocessor",
    "email_full_text",
    "email_link",
    "external_recipient",
    "public",
    "calendar_provider",
    "user_device",
    "widest_setting",
    "zmo_unavailable",
    "switched_off",
    "provider_routing_unknown",
    "availability_unknown",
    "zdr_scope_unknown",
    "storage_unknown",
    "provider_unknown",
)
# Certainties from the strongest to the weakest: a flow resting on two takes the weaker.
STRENGTH = ("stated", "possible", "inferred", "assumed")
RULE_COLUMNS = [
    "rule",
    "certainty",
    "source",
    "certainty_basis",
    "reading",
    "replaces",
    "features",
    "providers",
    "content_item",
    "data_category",
]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    certainty: Certainty
    source: Source
    statement: str = Field(min_length=1)
    reading: str | None = None
    replaces: str | None = None
    features: list[str] | None = None
    providers: list[str] | None = None
    content_item: str | None = None
    data_category: str | None = None

    @model_validator(mode="after")
    def _reading(self) -> Rule:
        if self.certainty in ("inferred", "assumed") and not self.reading:
            raise ValueError(
                f"a rule of certainty {self.certainty} needs `reading`: the reading written down"
            )
        return self


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rules: dict[str, Rule]


def load_flow_rules(path: Path | str | None = None) -> pd.DataFrame:
    """One row per rule; columns RULE_COLUMNS. source cites the passage ('whitepaper v5.0,
    <section>'), certainty_basis adds the statement ('<source>: <statement>'); reading is the
    written-down reading (inferred, assumed) or empty. Documents are checked against
    data/policy.yaml."""
    return _load(Path(path) if path else data_file("flow_rules.yaml")).copy()


@cache
def _load(path: Path) -> pd.DataFrame:
    parsed = load_model(path, RulesFile)
    _, lines = read_yaml(path)
    policy = load_policy()
    docs = policy.documents.set_index("id")
    later = load_sources().set_index("id")  # rules on the current fact set cite its pages
    categories = set(load_data_categories()["fides_key"])
    problems = [
        Problem(
            line_of(lines, ("rules",)), "rules", f"rule {name!r} is required (zoomai.analysis.flows uses it)"
        )
        for name in REQUIRED
        if name not in parsed.rules
    ]
    rows = []
    for name, rule in parsed.rules.items():
        if rule.source.document not in docs.index and rule.source.document not in later.index:
            problems.append(
                Problem(
                    line_of(lines, ("rules", name, "source", "document")),
                    f"rules.{name}.source.document",
                    f"unknown document {rule.source.document!r}; expected one of {sorted(later.index)}",
                )
            )
            continue
        if rule.data_category and rule.data_category not in categories:
            problems.append(
                Problem(
                    line_of(lines, ("rules", name, "data_category")),
                    f"rules.{name}.data_category",
                    f"unknown data category {rule.data_category!r}; expected a fideslang key or extension",
                )
            )
        if rule.replaces is not None and rule.replaces not in parsed.rules:
            problems.append(
                Problem(line_of(lines, ("rules", name, "replaces")), f"rules.{name}.replaces", "unknown rule")
            )
        cite = (
            policy.cite_source(rule.source)
            if rule.source.document in docs.index
            else f"{later.loc[rule.source.document, 'title']}, {rule.source.section}"
        )
        rows.append(
            {
                "rule": name,
                "certainty": rule.certainty,
                "source": cite,
                "certainty_basis": f"{cite}: {rule.statement}",
                "reading": rule.reading or "",
                "replaces": rule.replaces or "",
                "features": tuple(rule.features or ()),
                "providers": tuple(rule.providers or ()),
                "content_item": rule.content_item or "",
                "data_category": rule.data_category or "",
            }
        )
    if problems:
        raise DataError(path, problems)
    return pd.DataFrame(rows, columns=RULE_COLUMNS)
