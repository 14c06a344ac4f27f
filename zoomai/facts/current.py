"""The formats of data/current/ (facts.yaml, conflicts.yaml) and data/deployment_options.yaml.

Pydantic models with the checks a file cannot express alone: every source id known and, for a
current fact, a web page with a URL; fact ids unique and `replaces` naming a v5.0 fact;
conflicts naming known sources and facts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zoomai.core.errors import DataError, Problem
from zoomai.core.paths import data_file
from zoomai.core.prose import Prose
from zoomai.core.yamlio import load_model
from zoomai.facts.policy import UNBOUNDED, UNKNOWN, Policy
from zoomai.facts.sources import FACT_SETS, FactSetName, url_problems

Certainty = Literal["stated", "possible", "inferred"]
_Id = Field(pattern=r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Cite(_Strict):
    document: str
    section: str = Field(min_length=1)


class CitedValues(_Strict):
    values: list[str] = Field(min_length=1)
    source: Cite


class CitedChoice(_Strict):
    value: str
    source: Cite


class ThirdPartyModels(CitedChoice):
    value: Literal["possible", "none", "unknown"]


class NotZmoEligible(CitedChoice):
    value: Literal["available", "unavailable", "unknown"]


class DeploymentOption(_Strict):
    """One deployment option and what it changes in the flows, each with its citation."""

    id: str = _Id
    label: Prose
    first_documented: FactSetName
    source: Cite
    third_party_models: ThirdPartyModels
    not_zmo_eligible: NotZmoEligible


class DeploymentOptionsFile(_Strict):
    options: list[DeploymentOption] = Field(min_length=1)


class CurrentFact(_Strict):
    """A fact of a page after v5.0; like a v5.0 policy fact, plus certainty and `replaces`."""

    id: str = _Id
    kind: Literal[
        "retention",
        "option",
        "regional",
        "control",
        "training",
        "access",
        "deployment",
        "provider",
        "data_source",
        "limit",
        "scope",
        "client_version",
    ]
    value: bool | int | float | str | list[str]
    unit: str = Field(min_length=1)
    statement: Prose
    certainty: Certainty | None = None
    source: Cite
    option: str | list[str] | None = None
    party_kind: str | None = None
    party: str | None = None
    location: str | None = None
    min_days: int = Field(default=0, ge=0)
    condition: Literal["if_shared", "if_legal_hold"] | None = None
    replaces: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CurrentFact:
        if (self.value == UNKNOWN) != (self.certainty is None):
            raise ValueError("give a certainty (stated, possible, inferred) unless the value is unknown")
        if self.kind == "retention":
            if self.party_kind is None or self.location is None:
                raise ValueError("a retention fact needs party_kind and location")
            if self.unit != "days":
                raise ValueError(f"a retention fact's unit must be days, got {self.unit!r}")
            number = isinstance(self.value, int) and not isinstance(self.value, bool)
            if not (number and self.value >= self.min_days) and self.value not in (UNBOUNDED, UNKNOWN):
                raise ValueError(
                    f"expected a number of days, '{UNBOUNDED}' or '{UNKNOWN}', got {self.value!r}"
                )
        return self


class CurrentFile(_Strict):
    products: CitedValues
    model_providers: CitedValues
    facts: list[CurrentFact] = Field(min_length=1)


class Statement(_Strict):
    document: str
    section: str = Field(min_length=1)
    says: Prose
    fact: str | None = None


class Conflict(_Strict):
    id: str = _Id
    topic: Prose
    statements: list[Statement] = Field(min_length=2)
    handling: Prose  # what zoomai does, in words; the facts it rests on in `handling_facts`
    handling_facts: list[str] = []


class ConflictsFile(_Strict):
    conflicts: list[Conflict]


def deployment_options(facts: str, sources: pd.DataFrame) -> pd.DataFrame:
    """The deployment options the fact set knows (data/deployment_options.yaml), cited."""
    path = data_file("deployment_options.yaml")
    spec = load_model(path, DeploymentOptionsFile)
    known = set(sources["id"])
    problems = [
        Problem(None, f"options[{i}].{name}", f"unknown source {cite.document!r}")
        for i, o in enumerate(spec.options)
        for name, cite in (
            ("source.document", o.source),
            ("third_party_models.source.document", o.third_party_models.source),
            ("not_zmo_eligible.source.document", o.not_zmo_eligible.source),
        )
        if cite.document not in known
    ]
    if problems:
        raise DataError(path, problems)
    wanted = FACT_SETS[: FACT_SETS.index(facts) + 1]
    rows = [
        {
            "id": o.id,
            "label": o.label,
            "first_documented": o.first_documented,
            **o.source.model_dump(),
            "third_party_models": o.third_party_models.value,
            "third_party_models_source": _cited(o.third_party_models.source),
            "not_zmo_eligible": o.not_zmo_eligible.value,
            "not_zmo_eligible_source": _cited(o.not_zmo_eligible.source),
        }
        for o in spec.options
        if o.first_documented in wanted
    ]
    return pd.DataFrame(rows, columns=DEPLOYMENT_COLUMNS)


DEPLOYMENT_COLUMNS = [
    "id",
    "label",
    "first_documented",
    "document",
    "section",
    "third_party_models",
    "third_party_models_source",
    "not_zmo_eligible",
    "not_zmo_eligible_source",
]


def _cited(cite: Cite) -> str:
    return f"{cite.document}, {cite.section}"


def check_facts(path: Path, spec: CurrentFile, policy: Policy, sources: pd.DataFrame) -> None:
    problems: list[Problem] = []
    options = set(deployment_options("current", sources)["id"])
    v5_ids = set(policy.facts["id"])
    seen: set[str] = set()
    for name in ("products", "model_providers"):
        problems += url_problems(getattr(spec, name).source.document, f"{name}.source.document", sources)
    for i, f in enumerate(spec.facts):
        where = f"facts[{i}]"
        problems += url_problems(f.source.document, f"{where}.source.document", sources)
        if f.id in seen or f.id in v5_ids:
            problems.append(Problem(None, f"{where}.id", f"fact id {f.id!r} is already used"))
        seen.add(f.id)
        if f.replaces is not None and f.replaces not in v5_ids:
            problems.append(Problem(None, f"{where}.replaces", f"no v5.0 fact {f.replaces!r} to replace"))
        for option in [f.option] if isinstance(f.option, str) else f.option or []:
            if option not in options:
                problems.append(
                    Problem(None, f"{where}.option", f"unknown option {option!r}; expected {sorted(options)}")
                )
    if problems:
        raise DataError(path, problems)


def check_conflicts(
    path: Path, spec: ConflictsFile, current: CurrentFile, policy: Policy, sources: pd.DataFrame
) -> None:
    problems: list[Problem] = []
    known_sources = set(sources["id"])
    facts = set(policy.facts["id"]) | {f.id for f in current.facts}
    for i, conflict in enumerate(spec.conflicts):
        for j, fact in enumerate(conflict.handling_facts):
            if fact not in facts:
                problems.append(
                    Problem(None, f"conflicts[{i}].handling_facts[{j}]", f"unknown fact {fact!r}")
                )
        for j, st in enumerate(conflict.statements):
            where = f"conflicts[{i}].statements[{j}]"
            if st.document not in known_sources:
                problems.append(Problem(None, f"{where}.document", f"unknown source {st.document!r}"))
            if st.fact is not None and st.fact not in facts:
                problems.append(Problem(None, f"{where}.fact", f"unknown fact {st.fact!r}"))
    if problems:
        raise DataError(path, problems)


def conflict_frame(conflicts: list[Conflict], sources: pd.DataFrame) -> pd.DataFrame:
    urls = sources.set_index("id")["location"]
    rows = [
        {
            "conflict": c.id,
            "topic": c.topic,
            "document": st.document,
            "section": st.section,
            "source_location": urls[st.document],
            "fact": st.fact or "",
            "says": st.says,
            "handling": c.handling,
        }
        for c in conflicts
        for st in c.statements
    ]
    columns = ["conflict", "topic", "document", "section", "source_location", "fact", "says", "handling"]
    return pd.DataFrame(rows, columns=columns)
