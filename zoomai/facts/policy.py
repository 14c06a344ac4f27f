"""Policy facts from the whitepaper and the other seeds, each with value, unit and citation.

`load_policy()` reads data/policy.yaml into a `Policy`: validated DataFrames of facts,
documents, locations and whitepaper versions, with small accessors for the analysis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zoomai.core.errors import DataError, Problem
from zoomai.core.paths import data_file
from zoomai.core.versions import is_version
from zoomai.core.yamlio import load_model

FactKind = Literal[
    "retention",
    "option",
    "regional",
    "encryption",
    "control",
    "client_version",
    "training",
    "access",
    "security_control",
    "scope",
    "changelog",
]
# How certain a fact or flow is: stated (the source says it), possible (the source says it may
# be so), inferred (the project's reading of an ambiguous passage), assumed (an analysis choice).
Certainty = Literal["stated", "possible", "inferred", "assumed"]
PartyKind = Literal[
    "zoom",
    "model_provider",
    "subprocessor",
    "customer_storage",
    "email_provider",
    "calendar_provider",
    "external_recipient",
    "public",
    "user_device",
]
# Retention windows: a number of days, or one of these words. Unknown is never zero.
UNBOUNDED, UNKNOWN = "unbounded", "unknown"
# Locations a retention fact may name besides the location ids of the policy file.
SPECIAL_LOCATIONS = {"processing_location", "unknown", "none"}

_Id = Field(pattern=r"^[a-z][a-z0-9_]*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(Strict):
    document: str
    section: str = Field(min_length=1)


class Document(Strict):
    id: str = _Id
    title: str
    cited_as: str  # how citations name it ('whitepaper', 'Ars Technica news item', ...)
    version: str | None = None
    published: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    file: str


class WhitepaperVersion(Strict):
    version: str
    published: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")

    @model_validator(mode="after")
    def _version(self) -> WhitepaperVersion:
        if not is_version(self.version):
            raise ValueError(f"expected a version such as 4.0, got {self.version!r}")
        return self


class CitedList(Strict):
    values: list[str] = Field(min_length=1)
    source: Source
    note: str | None = None  # e.g. that the list is open ("such as")


class Location(Strict):
    id: str
    label: str
    resolves_to: Literal["hosting_region", "device", "unknown", "US"]


class ContentRef(Strict):
    product: str
    feature: str
    content_item: str


class Fact(Strict):
    id: str = _Id
    kind: FactKind
    value: bool | int | float | str | list[str]
    unit: str
    statement: str = Field(min_length=1)
    source: Source
    party_kind: PartyKind | None = None
    party: str | None = None
    location: str | None = None
    min_days: int = Field(default=0, ge=0)
    customer_control: str | None = None
    condition: Literal["if_shared"] | None = None  # held only if the output is posted/sent/published
    applies_to: list[ContentRef] | None = None
    # Retention: when the source allows longer than `value` ("unless the law requires longer").
    longer_if: str | None = None
    certainty: Certainty = "stated"
    reading: str | None = None  # required for inferred and assumed facts: the reading written down

    @model_validator(mode="after")
    def _retention(self) -> Fact:
        if self.certainty in ("inferred", "assumed") and not self.reading:
            raise ValueError(
                f"a fact of certainty {self.certainty} needs `reading`: the reading written down"
            )
        if self.kind == "retention":
            if self.party_kind is None or self.location is None:
                raise ValueError("a retention fact needs party_kind and location")
            if self.unit != "days":
                raise ValueError(f"a retention fact's unit must be days, got {self.unit!r}")
            ok_number = isinstance(self.value, int) and not isinstance(self.value, bool)
            if not (ok_number and self.value >= self.min_days) and self.value not in (UNBOUNDED, UNKNOWN):
                raise ValueError(
                    "a retention value must be a number of days >= min_days, "
                    f"'{UNBOUNDED}' or '{UNKNOWN}', got {self.value!r}"
                )
        if self.kind == "client_version" and not (isinstance(self.value, str) and is_version(self.value)):
            raise ValueError(f"a client_version fact needs a version such as 5.15.12, got {self.value!r}")
        return self


class PolicyFile(Strict):
    documents: list[Document]
    whitepaper_versions: list[WhitepaperVersion]
    products: CitedList
    model_providers: CitedList
    locations: list[Location]
    facts: list[Fact]


class Facts(pa.DataFrameModel):
    """One row per policy fact."""

    id: Series[str] = pa.Field(unique=True, description="Stable identifier, referenced by data files.")
    kind: Series[pd.CategoricalDtype] = pa.Field(description="retention, option, regional, control, ...")
    value: Series[object] = pa.Field(description="The value as in the file: number, text, bool or list.")
    unit: Series[str] = pa.Field(description="Unit of value (days, boolean, version, products, ...).")
    statement: Series[str] = pa.Field(description="The fact in words.")
    party_kind: Series[pd.StringDtype] = pa.Field(nullable=True, description="Retention: kind of holder.")
    party: Series[pd.StringDtype] = pa.Field(nullable=True, description="Retention: named holder, if one.")
    location: Series[pd.StringDtype] = pa.Field(nullable=True, description="Retention: where it is held.")
    min_days: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="Retention: shortest window.")
    max_days: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=0, description="Retention: longest window in days; empty if unbounded or unknown."
    )
    max_kind: Series[pd.StringDtype] = pa.Field(
        nullable=True,
        isin=["bounded", UNBOUNDED, UNKNOWN],
        description="Retention: bounded, unbounded or unknown.",
    )
    customer_control: Series[pd.StringDtype] = pa.Field(
        nullable=True, description="Setting that can shorten it."
    )
    condition: Series[pd.StringDtype] = pa.Field(
        nullable=True, description="Retention: if_shared = held only once the output is posted or sent."
    )
    longer_if: Series[pd.StringDtype] = pa.Field(
        nullable=True, description="Retention: when the source allows longer than the maximum."
    )
    certainty: Series[str] = pa.Field(
        isin=["stated", "possible", "inferred", "assumed"], description="How certain the fact is."
    )
    reading: Series[pd.StringDtype] = pa.Field(nullable=True, description="The reading, if inferred/assumed.")
    document: Series[str] = pa.Field(description="Source document id.")
    section: Series[str] = pa.Field(description="Section of the source document.")

    class Config:
        strict = True


@dataclass(frozen=True)
class Policy:
    """The policy data: facts plus the vocabularies other data files are checked against."""

    facts: pd.DataFrame
    documents: pd.DataFrame
    locations: pd.DataFrame
    whitepaper_versions: pd.DataFrame
    products: tuple[str, ...]
    model_providers: tuple[str, ...]
    zdr_items: frozenset[tuple[str, str, str]]
    path: Path
    # A later fact set: the v5.0 fact ids its facts replace -> the replacing ids (fact() follows
    # them), and the deployment options offered outside the US (None: the v5.0 fact says).
    replaced_by: Mapping[str, str] = field(default_factory=dict)
    non_us_options: tuple[str, ...] | None = None

    @cached_property
    def _rows(self) -> dict[str, pd.Series]:
        return {row["id"]: row for _, row in self.facts.iterrows()}

    @cached_property
    def records(self) -> dict[str, dict[str, Any]]:
        """Each fact's row as a plain dict, by id (no replacement followed): cheap to read in the
        loops of the flows engine."""
        return {row["id"]: row for row in self.facts.to_dict("records")}

    def _resolved(self, fact_id: str) -> str:
        fact_id = self.replaced_by.get(fact_id, fact_id)
        if fact_id not in self.records:
            raise KeyError(f"no policy fact {fact_id!r} in {self.path}")
        return fact_id

    def fact(self, fact_id: str) -> pd.Series:
        """The row of one fact (or of the fact that replaces it); KeyError names a missing id."""
        return self._rows[self._resolved(fact_id)]

    def fact_record(self, fact_id: str) -> dict[str, Any]:
        """`fact` as a plain dict."""
        return self.records[self._resolved(fact_id)]

    def options_outside_us(self) -> tuple[str, ...]:
        """Deployment options offered to customers hosted outside the US: v5.0, ZMO only
        (fact non_us_hosting_zmo_only); a later fact set gives its own list."""
        if self.non_us_options is not None:
            return self.non_us_options
        return ("zmo",) if bool(self.value("non_us_hosting_zmo_only")) else ("federated", "zmo")

    def value(self, fact_id: str):
        return self.fact(fact_id)["value"]

    def retention_ids(self) -> set[str]:
        return set(self.facts.loc[self.facts["kind"] == "retention", "id"])

    def cite(self, fact_id: str) -> str:
        """'whitepaper v5.0, <section>' for a fact."""
        row = self.fact(fact_id)
        return self.cite_source(Source(document=row["document"], section=row["section"]))

    def cite_source(self, source: Source) -> str:
        """'whitepaper v5.0, <section>' for a document id (of `documents`) and a section; a
        later source (data/sources.yaml, e.g. of a fact replacing a v5.0 one) by its title."""
        docs = self.documents.set_index("id")
        if source.document not in docs.index:
            from zoomai.facts.sources import load_sources  # sources.py: beneath policy in the stage

            return f"{load_sources().set_index('id').loc[source.document, 'title']}, {source.section}"
        doc = docs.loc[source.document]
        version = f" v{doc['version']}" if pd.notna(doc["version"]) else ""
        return f"{doc['cited_as']}{version}, {source.section}"


def load_policy(path: Path | None = None) -> Policy:
    """Read and validate data/policy.yaml (or `path`)."""
    return _load(Path(path) if path else data_file("policy.yaml"))


def fact_row(f: Any) -> dict[str, object]:
    """One row of the policy table for a fact (of the v5.0 policy file or of a later fact set):
    a retention window's value split into min/max days and the kind of its maximum; fields a
    fact does not have are empty."""
    retention = f.kind == "retention"
    bounded = retention and not isinstance(f.value, str)
    return {
        "id": f.id,
        "kind": f.kind,
        "value": f.value,
        "unit": f.unit,
        "statement": f.statement,
        "party_kind": f.party_kind,
        "party": f.party,
        "location": f.location,
        "min_days": f.min_days if retention else None,
        "max_days": f.value if bounded else None,
        "max_kind": ("bounded" if bounded else f.value) if retention else None,
        "customer_control": getattr(f, "customer_control", None),
        "condition": f.condition,
        "longer_if": getattr(f, "longer_if", None),
        "certainty": f.certainty,
        "reading": getattr(f, "reading", None),
        "document": f.source.document,
        "section": f.source.section,
    }


@cache
def _load(path: Path) -> Policy:
    spec = load_model(path, PolicyFile)
    _cross_check(path, spec)
    rows = [fact_row(f) for f in spec.facts]
    facts = pd.DataFrame(rows)
    facts["kind"] = pd.Categorical(facts["kind"], categories=list(FactKind.__args__))
    for col in (
        "party_kind",
        "party",
        "location",
        "max_kind",
        "customer_control",
        "condition",
        "longer_if",
        "reading",
    ):
        facts[col] = facts[col].astype("string")
    for col in ("min_days", "max_days"):
        facts[col] = facts[col].astype("Int64")
    zdr = next((f for f in spec.facts if f.id == "zdr_scope_zoom_only"), None)
    return Policy(
        facts=Facts.validate(facts),
        documents=pd.DataFrame([d.model_dump() for d in spec.documents]),
        locations=pd.DataFrame([loc.model_dump() for loc in spec.locations]),
        whitepaper_versions=pd.DataFrame([v.model_dump() for v in spec.whitepaper_versions]),
        products=tuple(spec.products.values),
        model_providers=tuple(spec.model_providers.values),
        zdr_items=frozenset((r.product, r.feature, r.content_item) for r in (zdr.applies_to or []))
        if zdr
        else frozenset(),
        path=path,
    )


def _cross_check(path: Path, spec: PolicyFile) -> None:
    problems = []
    docs = {d.id for d in spec.documents}
    locations = {loc.id for loc in spec.locations} | SPECIAL_LOCATIONS
    seen: set[str] = set()
    for i, f in enumerate(spec.facts):
        if f.id in seen:
            problems.append(Problem(None, f"facts[{i}].id", f"duplicate fact id {f.id!r}"))
        seen.add(f.id)
        if f.source.document not in docs:
            problems.append(
                Problem(
                    None,
                    f"facts[{i}].source.document",
                    f"unknown document {f.source.document!r}; expected one of {sorted(docs)}",
                )
            )
        if f.kind == "retention" and f.location not in locations:
            problems.append(
                Problem(
                    None,
                    f"facts[{i}].location",
                    f"unknown location {f.location!r}; expected one of {sorted(locations)}",
                )
            )
    for name in ("products", "model_providers"):
        if getattr(spec, name).source.document not in docs:
            problems.append(Problem(None, f"{name}.source.document", "unknown document"))
    if "zdr_scope_zoom_only" not in seen:
        problems.append(Problem(None, "facts", "the fact zdr_scope_zoom_only is required"))
    if problems:
        raise DataError(path, problems)
