"""Fact sets: the whitepaper v5.0 facts, or the "current" facts of Zoom's later pages.

`load_facts("v5.0")` is today's data unchanged (data/feature_matrix.csv, data/policy.yaml).
`load_facts("current")` carries the v5.0 facts over and applies data/current/: added or
changed matrix rows (feature_changes.csv), new facts and facts that replace v5.0 ones
(facts.yaml), and the disagreements between sources (conflicts.yaml). Every current fact
cites a source of data/sources.yaml with a URL and the page's section. `compare()` lists
what differs between two fact sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import pandera.pandas as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zoomai.core.csvio import read_csv_text, schema_problems, split_list, text_check
from zoomai.core.errors import DataError, Problem, ZoomaiError
from zoomai.core.paths import data_file
from zoomai.core.yamlio import load_model, read_yaml
from zoomai.facts.matrix import feature_slug, features, load_feature_matrix, summary
from zoomai.facts.policy import UNBOUNDED, UNKNOWN, Policy, load_policy
from zoomai.facts.sources import FACT_SETS, FactSetName, load_sources
from zoomai.facts.taxonomy import load_data_categories

Certainty = Literal["stated", "possible", "inferred"]
DEFAULT_FACTS = "v5.0"  # flows and exposure still read v5.0 only; see README "Facts and sources"
_Id = Field(pattern=r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Cite(_Strict):
    document: str
    section: str = Field(min_length=1)


class CitedValues(_Strict):
    values: list[str] = Field(min_length=1)
    source: Cite


class DeploymentOption(_Strict):
    id: str = _Id
    label: str = Field(min_length=1)
    first_documented: FactSetName
    source: Cite


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
    ]
    value: bool | int | float | str | list[str]
    unit: str = Field(min_length=1)
    statement: str = Field(min_length=1)
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
    says: str = Field(min_length=1)
    fact: str | None = None


class Conflict(_Strict):
    id: str = _Id
    topic: str = Field(min_length=1)
    statements: list[Statement] = Field(min_length=2)
    handling: str = Field(min_length=1)


class ConflictsFile(_Strict):
    conflicts: list[Conflict]


# --- The matrix overlay (data/current/feature_changes.csv) ---------------------------------
_FLAG = "true|false|unknown"
_CODE = r"[A-Za-z][A-Za-z0-9_]*"
OVERLAY_COLUMNS = [
    "change",
    "product",
    "feature",
    "content_item",
    "direction",
    "data_category",
    "zmo_eligible",
    "zdr_eligible",
    "zoom_processing_location",
    "model_providers",
    "model_provider_region",
    "customer_storage_location",
    "retention_rule",
    "certainty",
    "source",
    "source_section",
    "notes",
]
_NONEMPTY = pa.Check.str_length(min_value=1, error="expected a value")
OverlaySchema = pa.DataFrameSchema(
    {
        "change": pa.Column(str, pa.Check.isin(["add", "change", "remove"])),
        "product": pa.Column(str, _NONEMPTY),
        "feature": pa.Column(str, _NONEMPTY),
        "content_item": pa.Column(str, _NONEMPTY),
        "direction": pa.Column(str, text_check("input|output", "input or output", nullable=True)),
        "data_category": pa.Column(str),
        "zmo_eligible": pa.Column(str, text_check(_FLAG, "true, false or unknown", nullable=True)),
        "zdr_eligible": pa.Column(str, text_check(_FLAG, "true, false or unknown", nullable=True)),
        "zoom_processing_location": pa.Column(
            str, text_check(_CODE, "a location id or unknown", nullable=True)
        ),
        "model_providers": pa.Column(str),
        "model_provider_region": pa.Column(str, text_check(_CODE, "a location id or unknown", nullable=True)),
        "customer_storage_location": pa.Column(
            str, text_check(_CODE, "a location id or unknown", nullable=True)
        ),
        "retention_rule": pa.Column(str, text_check(_CODE, "a retention fact id or unknown", nullable=True)),
        "certainty": pa.Column(str, pa.Check.isin(list(Certainty.__args__))),
        "source": pa.Column(str, _NONEMPTY),
        "source_section": pa.Column(str, _NONEMPTY),
        "notes": pa.Column(str),
    },
    strict=True,
)
# Matrix columns an added row must give; the feature-level ones may be left empty on a row of
# a feature the matrix already has (the row then takes the feature's values).
_ITEM_LEVEL = [
    "direction",
    "data_category",
    "zdr_eligible",
    "zoom_processing_location",
    "model_providers",
    "model_provider_region",
    "customer_storage_location",
    "retention_rule",
]
_FEATURE_LEVEL = ["zmo_eligible", "min_client_version", "mobile_only", "added_in_version", "added_in_source"]
_BOOLS = ["zmo_eligible", "zdr_eligible", "mobile_only"]
# Columns compared between fact sets (everything a flow depends on).
COMPARED = [
    "direction",
    "data_category",
    "zmo_eligible",
    "zdr_eligible",
    "min_client_version",
    "mobile_only",
    "zoom_processing_location",
    "model_providers",
    "model_provider_region",
    "customer_storage_location",
    "retention_rule",
    "additional_retention_rules",
    "subprocessors",
]


@dataclass(frozen=True)
class FactSet:
    """One fact set: its matrix, facts, providers, deployment options, conflicts and sources.

    matrix: the feature matrix columns plus source, source_location, certainty and origin (v5.0 or
    current); in `current`, flags unknown to the sources are <NA> and text cells 'unknown'.
    facts: id, kind, value, unit, statement, certainty, option, document, section, source_location,
    replaces, origin. conflicts: one row per statement of each conflict, with its citation.
    """

    name: str
    matrix: pd.DataFrame
    facts: pd.DataFrame
    model_providers: pd.DataFrame
    deployment_options: pd.DataFrame
    conflicts: pd.DataFrame
    sources: pd.DataFrame


def load_facts(facts: str = DEFAULT_FACTS, folder: Path | str | None = None) -> FactSet:
    """The fact set `facts` ('v5.0' or 'current'); `folder` replaces data/current/ (tests)."""
    if facts not in FACT_SETS:
        raise ZoomaiError(f"unknown fact set {facts!r}; expected one of {', '.join(FACT_SETS)}")
    if facts == "v5.0":
        return _v5()
    return _current(Path(folder) if folder else data_file("current"))


def _v5() -> FactSet:
    policy = load_policy()
    sources = load_sources()
    urls = sources.set_index("id")["location"]
    matrix = load_feature_matrix()
    facts = policy.facts.assign(
        certainty=pd.NA, option=pd.NA, source_location=policy.facts["document"].map(urls), replaces=pd.NA
    )
    return FactSet(
        name="v5.0",
        matrix=matrix,
        facts=_fact_columns(facts.assign(origin="v5.0")),
        model_providers=_providers(policy.model_providers, _v5_provider_source(policy)),
        deployment_options=_deployment_options("v5.0", sources),
        conflicts=_conflict_frame([], sources),
        sources=sources[sources["fact_set"] == "v5.0"].reset_index(drop=True),
    )


def _v5_provider_source(policy: Policy) -> Cite:
    """The citation data/policy.yaml gives for its list of model providers."""
    data, _ = read_yaml(policy.path)
    return Cite.model_validate(data["model_providers"]["source"])


def _providers(names: Sequence[str], source: Cite) -> pd.DataFrame:
    return pd.DataFrame(
        [{"name": n, **source.model_dump()} for n in names], columns=["name", "document", "section"]
    )


def _fact_columns(frame: pd.DataFrame) -> pd.DataFrame:
    columns = ["id", "kind", "value", "unit", "statement", "certainty", "option", "document", "section"]
    return (
        frame[[*columns, "source_location", "replaces", "origin"]]
        .astype({"kind": str})
        .reset_index(drop=True)
    )


def _deployment_options(facts: str, sources: pd.DataFrame) -> pd.DataFrame:
    """The deployment options the fact set knows (data/deployment_options.yaml), cited."""
    path = data_file("deployment_options.yaml")
    spec = load_model(path, DeploymentOptionsFile)
    known = set(sources["id"])
    problems = [
        Problem(None, f"options[{i}].source.document", f"unknown source {o.source.document!r}")
        for i, o in enumerate(spec.options)
        if o.source.document not in known
    ]
    if problems:
        raise DataError(path, problems)
    wanted = FACT_SETS[: FACT_SETS.index(facts) + 1]
    rows = [
        {"id": o.id, "label": o.label, "first_documented": o.first_documented, **o.source.model_dump()}
        for o in spec.options
        if o.first_documented in wanted
    ]
    return pd.DataFrame(rows, columns=["id", "label", "first_documented", "document", "section"])


def _current(folder: Path) -> FactSet:
    policy = load_policy()
    sources = load_sources()
    spec = load_model(folder / "facts.yaml", CurrentFile)
    conflicts = load_model(folder / "conflicts.yaml", ConflictsFile)
    _check_facts(folder / "facts.yaml", spec, policy, sources)
    _check_conflicts(folder / "conflicts.yaml", conflicts, spec, policy, sources)
    v5 = _v5()
    providers = (*policy.model_providers, *spec.model_providers.values)
    cited = pd.concat(
        [v5.model_providers, _providers(spec.model_providers.values, spec.model_providers.source)],
        ignore_index=True,
    )
    urls = sources.set_index("id")["location"]
    new = pd.DataFrame(
        [
            {
                "id": f.id,
                "kind": f.kind,
                "value": f.value,
                "unit": f.unit,
                "statement": " ".join(f.statement.split()),
                "certainty": f.certainty or pd.NA,
                "option": f.option if f.option is not None else pd.NA,
                "document": f.source.document,
                "section": f.source.section,
                "source_location": urls[f.source.document],
                "replaces": f.replaces or pd.NA,
                "origin": "current",
            }
            for f in spec.facts
        ]
    )
    kept = v5.facts[~v5.facts["id"].isin(new["replaces"].dropna())]
    retention_ids = policy.retention_ids() | {f.id for f in spec.facts if f.kind == "retention"}
    matrix = _apply_overlay(
        folder / "feature_changes.csv", v5.matrix, policy, spec, sources, providers, retention_ids
    )
    return FactSet(
        name="current",
        matrix=matrix,
        facts=pd.concat([kept, new], ignore_index=True),
        model_providers=cited,
        deployment_options=_deployment_options("current", sources),
        conflicts=_conflict_frame(conflicts.conflicts, sources),
        sources=sources,
    )


def _current_source_problems(
    document: str, field: str, sources: pd.DataFrame, line: int | None = None
) -> list[Problem]:
    """A current fact must cite a current source that has a URL."""
    table = sources.set_index("id")
    if document not in table.index:
        return [Problem(line, field, f"unknown source {document!r}; expected an id of data/sources.yaml")]
    if not table.loc[document, "location"].startswith("https://"):
        return [Problem(line, field, f"source {document!r} has no URL; a current fact needs one")]
    return []


def _check_facts(path: Path, spec: CurrentFile, policy: Policy, sources: pd.DataFrame) -> None:
    problems: list[Problem] = []
    options = set(_deployment_options("current", sources)["id"])
    v5_ids = set(policy.facts["id"])
    seen: set[str] = set()
    for name in ("products", "model_providers"):
        problems += _current_source_problems(
            getattr(spec, name).source.document, f"{name}.source.document", sources
        )
    for i, f in enumerate(spec.facts):
        where = f"facts[{i}]"
        problems += _current_source_problems(f.source.document, f"{where}.source.document", sources)
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


def _check_conflicts(
    path: Path, spec: ConflictsFile, current: CurrentFile, policy: Policy, sources: pd.DataFrame
) -> None:
    problems: list[Problem] = []
    known_sources = set(sources["id"])
    facts = set(policy.facts["id"]) | {f.id for f in current.facts}
    for i, conflict in enumerate(spec.conflicts):
        for j, st in enumerate(conflict.statements):
            where = f"conflicts[{i}].statements[{j}]"
            if st.document not in known_sources:
                problems.append(Problem(None, f"{where}.document", f"unknown source {st.document!r}"))
            if st.fact is not None and st.fact not in facts:
                problems.append(Problem(None, f"{where}.fact", f"unknown fact {st.fact!r}"))
    if problems:
        raise DataError(path, problems)


def _conflict_frame(conflicts: list[Conflict], sources: pd.DataFrame) -> pd.DataFrame:
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


def _apply_overlay(
    path: Path,
    base: pd.DataFrame,
    policy: Policy,
    spec: CurrentFile,
    sources: pd.DataFrame,
    providers: tuple[str, ...],
    retention_ids: set[str],
) -> pd.DataFrame:
    text = read_csv_text(path, OVERLAY_COLUMNS)
    problems = schema_problems(OverlaySchema, text)
    products = (*policy.products, *spec.products.values)
    if not problems:
        problems = _overlay_problems(text, base, policy, sources, products, providers, retention_ids)
    if problems:
        raise DataError(path, problems)
    urls = sources.set_index("id")["location"]
    matrix = base.assign(
        source="whitepaper",
        source_location=urls["whitepaper"],
        certainty=pd.NA,
        origin="v5.0",
    )
    for col in _BOOLS:
        matrix[col] = matrix[col].astype("boolean")
    matrix = matrix.astype({"product": str, "zoom_processing_location": str, "added_in_source": str})
    key = matrix["feature_id"] + "\x00" + matrix["content_item"]
    for _, row in text.iterrows():
        fid = feature_slug(row["product"], row["feature"])
        at = key == fid + "\x00" + row["content_item"]
        if row["change"] == "remove":
            matrix, key = matrix[~at], key[~at]
            continue
        values = _row_values(row, urls)
        if row["change"] == "change":
            for col, value in values.items():
                if value is not None:
                    matrix.loc[at, col] = value
            continue
        same = matrix[matrix["feature_id"] == fid]
        for col in _FEATURE_LEVEL:
            if values.get(col) is None:
                values[col] = same[col].iloc[0] if len(same) else _NEW_FEATURE[col]
        new = {"feature_id": fid, "product": row["product"], "feature": row["feature"], **values}
        new.update({"content_item": row["content_item"], "additional_retention_rules": UNKNOWN})
        new.update({"subprocessors": UNKNOWN, "origin": "current"})
        matrix = pd.concat([matrix, pd.DataFrame([new])], ignore_index=True)
        key = matrix["feature_id"] + "\x00" + matrix["content_item"]
    for col in _BOOLS:
        matrix[col] = matrix[col].astype("boolean")
    matrix["product"] = pd.Categorical(matrix["product"], categories=list(products))
    return matrix.reset_index(drop=True)


# Feature-level values of a feature no v5.0 row has: the newer pages give none of them.
_NEW_FEATURE = {
    "zmo_eligible": pd.NA,
    "min_client_version": pd.NA,
    "mobile_only": pd.NA,
    "added_in_version": "",
    "added_in_source": "newer_source",
}


def _row_values(row: pd.Series, urls: pd.Series) -> dict[str, object]:
    """The matrix cells an overlay row sets (None where it leaves a cell to its feature/base)."""
    flag = {"true": True, "false": False, UNKNOWN: pd.NA, "": None}
    values: dict[str, object] = {col: row[col] or None for col in _ITEM_LEVEL if col not in _BOOLS}
    values.update({col: flag[row[col]] for col in ("zmo_eligible", "zdr_eligible")})
    values.update(
        {
            "source": row["source"],
            "source_section": row["source_section"],
            "source_location": urls[row["source"]],
            "certainty": row["certainty"],
            "notes": row["notes"],
        }
    )
    return values


def _overlay_problems(
    text: pd.DataFrame,
    base: pd.DataFrame,
    policy: Policy,
    sources: pd.DataFrame,
    products: tuple[str, ...],
    providers: tuple[str, ...],
    retention_ids: set[str],
) -> list[Problem]:
    problems: list[Problem] = []
    categories = set(load_data_categories()["fides_key"])
    locations = set(policy.locations["id"]) | {UNKNOWN}
    existing = set(zip(base["feature_id"], base["content_item"], strict=True))
    features = set(base["feature_id"])

    def check(line: int, column: str, ok: bool, message: str) -> None:
        if not ok:
            problems.append(Problem(line, column, message))

    for line, row in text.iterrows():
        problems += _current_source_problems(row["source"], "source", sources, line)
        check(
            line,
            "product",
            row["product"] in products,
            f"unknown product {row['product']!r}; expected {list(products)}",
        )
        fid = feature_slug(row["product"], row["feature"])
        here = (fid, row["content_item"]) in existing
        if row["change"] == "add":
            check(line, "content_item", not here, "the v5.0 matrix already has this row; use change, not add")
            for col in _ITEM_LEVEL:
                check(line, col, bool(row[col]), "expected a value (or unknown) on an added row")
            check(
                line,
                "zmo_eligible",
                bool(row["zmo_eligible"]) or fid in features,
                "expected true, false or unknown for a new feature",
            )
        else:
            check(
                line,
                "content_item",
                here,
                f"no v5.0 row for ({row['product']}, {row['feature']}, {row['content_item']})",
            )
        for key in split_list(row["data_category"]):
            check(line, "data_category", key in categories, f"unknown data category {key!r}")
        for col in ("zoom_processing_location", "model_provider_region", "customer_storage_location"):
            check(
                line,
                col,
                not row[col] or row[col] in locations,
                f"unknown location {row[col]!r}; expected {sorted(locations)}",
            )
        if row["model_providers"] != UNKNOWN:
            for name in split_list(row["model_providers"]):
                check(
                    line,
                    "model_providers",
                    name in providers,
                    f"unknown model provider {name!r}; expected {list(providers)} or unknown",
                )
        rule = row["retention_rule"]
        check(
            line,
            "retention_rule",
            not rule or rule == UNKNOWN or rule in retention_ids,
            f"unknown retention rule {rule!r}",
        )
    dup = text.duplicated(["product", "feature", "content_item"], keep="first")
    for line in text.index[dup]:
        problems.append(Problem(line, "content_item", "duplicate (product, feature, content_item) row"))
    return problems


def unknown_shown(matrix: pd.DataFrame) -> pd.DataFrame:
    """The matrix for printing: cells the sources leave open read 'unknown', not blank."""
    shown = matrix.copy()
    for col in _BOOLS:
        shown[col] = shown[col].map({True: "true", False: "false"}, na_action="ignore").fillna(UNKNOWN)
    shown["min_client_version"] = shown["min_client_version"].astype(object).fillna(UNKNOWN)
    return shown


def summary_with_unknown(matrix: pd.DataFrame) -> pd.DataFrame:
    """`matrix.summary` plus how many features' ZMO flag and items' ZDR flag are unknown: the
    eligible counts are of those known to be eligible, never unknown counted as no."""
    feats = features(matrix)
    unknown = pd.DataFrame(
        {
            "zmo_unknown_features": feats["zmo_eligible"]
            .isna()
            .groupby(feats["product"], observed=True)
            .sum(),
            "zdr_unknown_items": matrix["zdr_eligible"]
            .isna()
            .groupby(matrix["product"], observed=True)
            .sum(),
        }
    )
    unknown.loc["Total"] = unknown.sum()
    out = summary(matrix).join(unknown, on="product")
    return out.astype({c: int for c in unknown.columns})


# --- Comparing two fact sets ---------------------------------------------------------------
CHANGE_COLUMNS = ["change", "what", "subject", "field", "before", "after", "document", "section"]


def compare(old: FactSet, new: FactSet) -> pd.DataFrame:
    """What `new` adds, changes and removes relative to `old`: features, content items,
    matrix cells, model providers, deployment options and facts, each with the citation of
    the side that holds it (the new side for added and changed, the old for removed)."""
    rows: list[dict[str, object]] = []
    rows += _feature_changes(old.matrix, new.matrix)
    rows += _named_changes("model provider", old.model_providers, new.model_providers)
    labels = {"label": "name"}
    rows += _named_changes(
        "deployment option",
        old.deployment_options.rename(columns=labels),
        new.deployment_options.rename(columns=labels),
    )
    rows += _fact_changes(old.facts, new.facts)
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def _text(value: object) -> str:
    """A cell or fact value as compared and printed: lists joined, missing as 'unknown'."""
    if isinstance(value, list):
        return "; ".join(map(str, value))
    if isinstance(value, bool):
        return str(value).lower()
    return UNKNOWN if value is None or pd.isna(value) else str(value)


def _cite(row: pd.Series) -> tuple[str, str]:
    return (row.get("source", "whitepaper"), row["source_section"])


def _feature_changes(old: pd.DataFrame, new: pd.DataFrame) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    old_f, new_f = set(old["feature_id"]), set(new["feature_id"])
    for change, frame, ids in (("added", new, new_f - old_f), ("removed", old, old_f - new_f)):
        for _, items in frame[frame["feature_id"].isin(ids)].groupby("feature_id", sort=False):
            first = items.iloc[0]
            document, section = _cite(first)
            rows.append(
                {
                    "change": change,
                    "what": "feature",
                    "subject": f"{first['product']} / {first['feature']}",
                    "field": "content items",
                    "before": "; ".join(items["content_item"]) if change == "removed" else "",
                    "after": "; ".join(items["content_item"]) if change == "added" else "",
                    "document": document,
                    "section": section,
                }
            )
    both = old_f & new_f
    o = old[old["feature_id"].isin(both)].set_index(["feature_id", "content_item"])
    n = new[new["feature_id"].isin(both)].set_index(["feature_id", "content_item"])
    for change, frame, keys in (
        ("added", n, n.index.difference(o.index)),
        ("removed", o, o.index.difference(n.index)),
    ):
        for k in keys:
            row = frame.loc[k]
            document, section = _cite(row)
            rows.append(
                {
                    "change": change,
                    "what": "content item",
                    "subject": f"{row['product']} / {row['feature']} / {k[1]}",
                    "field": "",
                    "before": k[1] if change == "removed" else "",
                    "after": k[1] if change == "added" else "",
                    "document": document,
                    "section": section,
                }
            )
    for k in o.index.intersection(n.index):
        for col in COMPARED:
            before, after = _text(o.loc[k, col]), _text(n.loc[k, col])
            if before != after:
                document, section = _cite(n.loc[k])
                rows.append(
                    {
                        "change": "changed",
                        "what": "matrix cell",
                        "subject": f"{n.loc[k, 'product']} / {n.loc[k, 'feature']} / {k[1]}",
                        "field": col,
                        "before": before,
                        "after": after,
                        "document": document,
                        "section": section,
                    }
                )
    return rows


def _named_changes(what: str, old: pd.DataFrame, new: pd.DataFrame) -> list[dict[str, object]]:
    """Names (column `name`) in one table and not the other, cited from the side holding them."""

    def row(change: str, named: pd.Series) -> dict[str, object]:
        name = named["name"]
        before, after = (name, "") if change == "removed" else ("", name)
        return {
            "change": change,
            "what": what,
            "subject": name,
            "field": "",
            "before": before,
            "after": after,
            "document": named["document"],
            "section": named["section"],
        }

    added = new[~new["name"].isin(old["name"])]
    removed = old[~old["name"].isin(new["name"])]
    return [row("added", r) for _, r in added.iterrows()] + [row("removed", r) for _, r in removed.iterrows()]


def _fact_changes(old: pd.DataFrame, new: pd.DataFrame) -> list[dict[str, object]]:
    """Facts added, changed (same id with another value or statement, or one fact replacing
    another, in either direction) and removed."""
    old_by_id, new_by_id = old.set_index("id"), new.set_index("id")
    # new id -> old id it corresponds to, where one side's fact replaces the other's
    pairs = {i: r for i, r in new_by_id["replaces"].dropna().items() if r in old_by_id.index}
    pairs |= {r: i for i, r in old_by_id["replaces"].dropna().items() if r in new_by_id.index}
    rows: list[dict[str, object]] = []

    def row(change: str, f: pd.Series, field: str, before: str, after: str) -> dict[str, object]:
        subject = f"{_text(f['value'])} {f['unit']}".strip()
        return {
            "change": change,
            "what": f"fact ({f['kind']})",
            "subject": subject,
            "field": field,
            "before": before,
            "after": after,
            "document": f["document"],
            "section": f["section"],
        }

    for fid, f in new_by_id.iterrows():
        if fid in old_by_id.index:
            before = old_by_id.loc[fid]
            if (_text(before["value"]), before["statement"]) != (_text(f["value"]), f["statement"]):
                rows.append(row("changed", f, fid, before["statement"], f["statement"]))
        elif fid in pairs:
            rows.append(
                row(
                    "changed",
                    f,
                    f"{pairs[fid]} -> {fid}",
                    old_by_id.loc[pairs[fid], "statement"],
                    f["statement"],
                )
            )
        else:
            rows.append(row("added", f, fid, "", f["statement"]))
    matched = set(pairs.values())
    for fid, f in old_by_id.iterrows():
        if fid not in new_by_id.index and fid not in matched:
            rows.append(row("removed", f, fid, f["statement"], ""))
    return rows
