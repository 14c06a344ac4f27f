"""The DPIA's rule files, validated on load: the risk register rules (data/dpia_rules.yaml) and
the WP248 screening criteria (data/wp248_criteria.yaml). Cross-references (signals, options of
data/guarantees.yaml, products, configurations) are checked and named with their line."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zoomai.analysis.configurations import load_configurations
from zoomai.analysis.guarantees import load_guarantees
from zoomai.core.errors import DataError, Problem
from zoomai.core.paths import data_file
from zoomai.core.yamlio import line_of, load_model, read_yaml
from zoomai.facts.factset import flow_inputs
from zoomai.facts.policy import Certainty
from zoomai.facts.sources import FACT_SETS

# The figures a rule or criterion may test (zoomai.analysis.dpia.signals computes them).
SIGNALS = (
    "records",
    "people_internal",
    "people_external",
    "people_reached",
    "people_without_notice",
    "third_party_records",
    "model_provider_records",
    "subprocessor_records",
    "external_records",
    "public_records",
    "records_unknown",
    "records_unbounded",
    "cross_border_records",
    "features_available",
    "users",
    "users_in_force",
)
Level = Literal[1, 2, 3, 4]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class When(Strict):
    signal: Literal[SIGNALS]  # type: ignore[valid-type]
    above: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _one(self) -> When:
        if (self.above is None) == (self.at_most is None):
            raise ValueError("expected exactly one of above, at_most")
        return self

    def holds(self, value: float) -> bool:
        return value > self.above if self.above is not None else value <= self.at_most


class Step(Strict):
    when: When
    by: int = Field(ge=1, le=3)
    reason: str = Field(min_length=1)


class Scale(Strict):
    base: Level
    reason: str = Field(min_length=1)
    raise_: list[Step] = Field(default_factory=list, alias="raise")
    lower: list[Step] = Field(default_factory=list)


class Risk(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    kind: Literal["feared_event", "generative_ai"]
    cnil_item: Literal["3.2", "3.3", "3.4"]
    source: str = Field(min_length=1)
    impacts: list[str] = Field(min_length=1)
    threats: list[str] = Field(min_length=1)
    risk_sources: list[str] = Field(min_length=1)
    severity: Scale
    likelihood: Scale
    reduced_by: list[str]


class RulesFile(Strict):
    levels: dict[Level, str]
    levels_source: str = Field(min_length=1)
    subjects: dict[str, list[str]]
    subjects_source: str = Field(min_length=1)
    certainty_words: dict[str, str]
    compare_with: list[str] = Field(min_length=1)
    compare_source: str = Field(min_length=1)
    risks: list[Risk] = Field(min_length=1)


class Criterion(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    answer: Literal["analyst", "signal"]
    reason: str = Field(min_length=1)
    question: str | None = None
    signal: Literal[SIGNALS] | None = None  # type: ignore[valid-type]
    above: float | None = None
    fallback: Literal[SIGNALS] | None = None  # type: ignore[valid-type]
    assumed: bool = False

    @model_validator(mode="after")
    def _shape(self) -> Criterion:
        if self.answer == "analyst" and not self.question:
            raise ValueError("an analyst criterion needs a question")
        if self.answer == "signal" and (self.signal is None or self.above is None):
            raise ValueError("a signal criterion needs signal and above")
        return self


class CriteriaFile(Strict):
    source: dict[str, str]
    threshold: int = Field(ge=1, le=9)
    threshold_source: str = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=9, max_length=9)


def load_dpia_rules(path: Path | str | None = None) -> RulesFile:
    """data/dpia_rules.yaml (or `path`), validated; DataError names file, line and field."""
    return _load_rules(Path(path) if path else data_file("dpia_rules.yaml"))


def load_criteria(path: Path | str | None = None) -> CriteriaFile:
    """data/wp248_criteria.yaml (or `path`), validated; DataError names file, line and field."""
    return load_model(Path(path) if path else data_file("wp248_criteria.yaml"), CriteriaFile)


@cache
def _load_rules(path: Path) -> RulesFile:
    rules = load_model(path, RulesFile)
    _, lines = read_yaml(path)
    options = set(load_guarantees())
    # every product of every fact set has its data subjects
    products = list(dict.fromkeys(p for f in FACT_SETS for p in flow_inputs(f)[1].products))
    presets = set(load_configurations())
    problems = [
        Problem(
            line_of(lines, ("risks", i, "reduced_by", j)),
            f"risks[{i}].reduced_by[{j}]",
            f"unknown option {o!r}; expected one of data/guarantees.yaml: {sorted(options)}",
        )
        for i, risk in enumerate(rules.risks)
        for j, o in enumerate(risk.reduced_by)
        if o not in options
    ]
    problems += [
        Problem(line_of(lines, ("compare_with", i)), f"compare_with[{i}]", f"unknown preset {c!r}")
        for i, c in enumerate(rules.compare_with)
        if c not in presets
    ]
    if sorted(rules.subjects) != sorted(products):
        problems.append(
            Problem(line_of(lines, ("subjects",)), "subjects", f"expected one entry per product {products}")
        )
    if sorted(rules.certainty_words) != sorted(Certainty.__args__):
        problems.append(
            Problem(
                line_of(lines, ("certainty_words",)),
                "certainty_words",
                f"expected one entry per certainty {list(Certainty.__args__)}",
            )
        )
    ids = [r.id for r in rules.risks]
    if len(set(ids)) != len(ids):
        problems.append(Problem(line_of(lines, ("risks",)), "risks", "risk ids must be unique"))
    if problems:
        raise DataError(path, problems)
    return rules
