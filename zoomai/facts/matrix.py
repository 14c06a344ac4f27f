"""The feature matrix: one row per (product, feature, content item) of the whitepaper's tables.

`load_feature_matrix()` reads data/feature_matrix.csv, checks every cell's format (pandera,
lazily, so all problems are reported at once), cross-checks it against the policy data and
the data-category taxonomy, and returns a typed DataFrame (model `FeatureMatrix`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from zoomai.core.csvio import BOOL_TEXT, read_csv_text, schema_problems, split_list, text_check
from zoomai.core.errors import DataError, Problem
from zoomai.core.paths import data_file
from zoomai.core.versions import VERSION_PATTERN, parse_version
from zoomai.facts.policy import Policy, load_policy
from zoomai.facts.taxonomy import load_data_categories

_BOOL = "true|false"
_VERSION = VERSION_PATTERN.strip("^$")
_KEY = r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*"
_LIST = r"[^;]+(;[^;]+)*"
_CODE = r"[A-Za-z][A-Za-z0-9_]*"


class FeatureMatrixText(pa.DataFrameModel):
    """The CSV as text: the format every cell must have before it is converted."""

    product: Series[str] = pa.Field(str_length={"min_value": 1})
    feature: Series[str] = pa.Field(str_length={"min_value": 1})
    content_item: Series[str] = pa.Field(str_length={"min_value": 1})
    direction: Series[str] = pa.Field(isin=["input", "output"])
    data_category: Series[str]
    zmo_eligible: Series[str]
    zdr_eligible: Series[str]
    min_client_version: Series[str]
    mobile_only: Series[str]
    zoom_processing_location: Series[str]
    model_providers: Series[str]
    model_provider_region: Series[str]
    customer_storage_location: Series[str]
    retention_rule: Series[str]
    additional_retention_rules: Series[str]
    subprocessors: Series[str]
    added_in_version: Series[str]
    added_in_source: Series[str] = pa.Field(isin=["changelog", "earliest_documented"])
    source_section: Series[str] = pa.Field(str_length={"min_value": 1})
    notes: Series[str]

    class Config:
        strict = True


_TEXT_CHECKS: dict[str, pa.Check] = {
    "data_category": text_check(f"{_KEY}(;{_KEY})*", "one or more taxonomy keys separated by ';'"),
    "zmo_eligible": text_check(_BOOL, "true or false"),
    "zdr_eligible": text_check(_BOOL, "true or false"),
    "mobile_only": text_check(_BOOL, "true or false"),
    "min_client_version": text_check(_VERSION, "a version such as 5.16.5, or empty for N/A", nullable=True),
    "added_in_version": text_check(_VERSION, "a whitepaper version such as 4.0"),
    "zoom_processing_location": text_check(_CODE, "a location id"),
    "model_provider_region": text_check(_CODE, "a region such as US", nullable=True),
    "customer_storage_location": text_check(_CODE, "a location id, or empty", nullable=True),
    "model_providers": text_check(_LIST, "provider names separated by ';'", nullable=True),
    "retention_rule": text_check(_CODE, "a retention fact id"),
    "additional_retention_rules": text_check(
        f"{_CODE}(;{_CODE})*", "fact ids separated by ';'", nullable=True
    ),
    "subprocessors": text_check(_LIST, "names separated by ';'", nullable=True),
}
# Attach the text checks to the model's schema once.
FeatureMatrixTextSchema = FeatureMatrixText.to_schema()
for _name, _check in _TEXT_CHECKS.items():
    FeatureMatrixTextSchema.columns[_name].checks.append(_check)
COLUMNS = list(FeatureMatrixTextSchema.columns)


class FeatureMatrix(pa.DataFrameModel):
    """The validated feature matrix (what `load_feature_matrix` returns)."""

    feature_id: Series[str] = pa.Field(description="'product.feature' slug, e.g. meetings.meeting_summary.")
    product: Series[pd.CategoricalDtype] = pa.Field(description="Zoom product as in the whitepaper tables.")
    feature: Series[str] = pa.Field(description="AI Companion feature name.")
    content_item: Series[str] = pa.Field(description="Content used or generated, named as in the whitepaper.")
    direction: Series[pd.CategoricalDtype] = pa.Field(description="input (used) or output (generated).")
    data_category: Series[str] = pa.Field(description="fideslang key(s), ';'-separated where several.")
    zmo_eligible: Series[bool] = pa.Field(description="Feature available under Zoom-hosted Models Only.")
    zdr_eligible: Series[bool] = pa.Field(description="Content item covered by Zero Data Retention.")
    min_client_version: Series[pd.StringDtype] = pa.Field(nullable=True, description="Empty where N/A.")
    mobile_only: Series[bool] = pa.Field(description="Feature only on mobile clients.")
    zoom_processing_location: Series[pd.CategoricalDtype] = pa.Field(description="Location id (policy).")
    model_providers: Series[str] = pa.Field(description="Third-party providers, ';'-separated.")
    model_provider_region: Series[pd.StringDtype] = pa.Field(
        nullable=True, description="Where providers process."
    )
    customer_storage_location: Series[pd.StringDtype] = pa.Field(
        nullable=True, description="Location id or empty."
    )
    retention_rule: Series[str] = pa.Field(description="Id of the retention fact for customer storage.")
    additional_retention_rules: Series[str] = pa.Field(description="Further retention fact ids (sharing).")
    subprocessors: Series[str] = pa.Field(description="Subprocessors touching the item, ';'-separated.")
    added_in_version: Series[str] = pa.Field(description="Whitepaper version that added the feature.")
    added_in_source: Series[pd.CategoricalDtype] = pa.Field(
        description="changelog, or earliest_documented where the changelog is silent."
    )
    source_section: Series[str] = pa.Field(description="Whitepaper section of the table row.")
    notes: Series[str] = pa.Field(description="How an ambiguous cell was read.")

    class Config:
        strict = True
        unique = ["product", "feature", "content_item"]


def feature_slug(product: str, feature: str) -> str:
    """('Team Chat', 'Chat compose') -> 'team_chat.chat_compose'."""

    def slug(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")

    return f"{slug(product)}.{slug(feature)}"


def load_feature_matrix(path: Path | str | None = None, policy: Policy | None = None) -> pd.DataFrame:
    """Read, validate and type the feature matrix; raise DataError naming file, line and column.
    Read once per file and policy (and file change); each call returns its own copy."""
    path = Path(path) if path else data_file("feature_matrix.csv")
    policy = policy or load_policy()
    stamp = path.stat().st_mtime_ns if path.exists() else None
    return _load_matrix(path, stamp, policy.path).copy()


@cache
def _load_matrix(path: Path, stamp: int | None, policy_path: Path) -> pd.DataFrame:
    policy = load_policy(policy_path)
    text = read_csv_text(path, COLUMNS)
    problems = schema_problems(FeatureMatrixTextSchema, text)
    if not problems:
        problems = _cross_problems(text, policy)
    if problems:
        raise DataError(path, problems)
    return _typed(text, policy)


def _cross_problems(text: pd.DataFrame, policy: Policy) -> list[Problem]:
    problems: list[Problem] = []
    categories = set(load_data_categories()["fides_key"])
    retention = policy.retention_ids()
    locations = set(policy.locations["id"])
    versions = set(policy.whitepaper_versions["version"])
    subprocessors = set(policy.facts.loc[policy.facts["party_kind"] == "subprocessor", "party"].dropna())

    def check(line: int, column: str, ok: bool, message: str) -> None:
        if not ok:
            problems.append(Problem(line, column, message))

    for line, row in text.iterrows():
        check(
            line,
            "product",
            row["product"] in policy.products,
            f"unknown product {row['product']!r}; expected one of {list(policy.products)}",
        )
        for key in split_list(row.data_category):
            check(
                line,
                "data_category",
                key in categories,
                f"unknown data category {key!r}; expected a fideslang key or a project "
                "extension from data/data_categories.yaml",
            )
        for col in ("retention_rule", "additional_retention_rules"):
            for rule in split_list(row[col]):
                check(
                    line,
                    col,
                    rule in retention,
                    f"unknown retention rule {rule!r}; expected a retention fact id of the policy "
                    f"({', '.join(sorted(retention))})",
                )
        for col in ("zoom_processing_location", "customer_storage_location", "model_provider_region"):
            check(
                line,
                col,
                not row[col] or row[col] in locations,
                f"unknown location {row[col]!r}; expected one of {sorted(locations)}",
            )
        for name in split_list(row.model_providers):
            check(
                line,
                "model_providers",
                name in policy.model_providers,
                f"unknown model provider {name!r}; expected {list(policy.model_providers)}",
            )
        for name in split_list(row.subprocessors):
            check(
                line,
                "subprocessors",
                name in subprocessors,
                f"unknown subprocessor {name!r}; expected one of {sorted(subprocessors)}",
            )
        check(
            line,
            "added_in_version",
            row.added_in_version in versions,
            f"version {row.added_in_version!r} is not a whitepaper version ({sorted(versions)})",
        )
        granted = (row["product"], row.feature, row.content_item) in policy.zdr_items
        check(
            line,
            "zdr_eligible",
            (row.zdr_eligible == "true") == granted,
            f"expected {str(granted).lower()}: the whitepaper grants ZDR only to {sorted(policy.zdr_items)}",
        )
    dup = text.duplicated(["product", "feature", "content_item"], keep="first")
    for line in text.index[dup]:
        problems.append(Problem(line, "content_item", "duplicate (product, feature, content_item) row"))
    for col in ("zmo_eligible", "min_client_version", "mobile_only", "added_in_version"):
        per_feature = text.groupby(["product", "feature"])[col].transform("nunique")
        for line in text.index[per_feature > 1]:
            problems.append(Problem(line, col, "expected the same value on every row of the feature"))
    return problems


def _typed(text: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    df = text.reset_index(drop=True).copy()
    df.insert(
        0, "feature_id", [feature_slug(p, f) for p, f in zip(df["product"], df["feature"], strict=True)]
    )
    for col in ("zmo_eligible", "zdr_eligible", "mobile_only"):
        df[col] = df[col].map(BOOL_TEXT).astype(bool)
    for col in ("min_client_version", "model_provider_region", "customer_storage_location"):
        df[col] = df[col].replace("", pd.NA).astype("string")
    df["product"] = pd.Categorical(df["product"], categories=list(policy.products))
    df["direction"] = pd.Categorical(df["direction"], categories=["input", "output"])
    df["zoom_processing_location"] = pd.Categorical(
        df["zoom_processing_location"], categories=list(policy.locations["id"])
    )
    df["added_in_source"] = pd.Categorical(
        df["added_in_source"], categories=["changelog", "earliest_documented"]
    )
    for col in (
        "feature_id",
        "feature",
        "content_item",
        "data_category",
        "model_providers",
        "retention_rule",
        "additional_retention_rules",
        "subprocessors",
        "added_in_version",
        "source_section",
        "notes",
    ):
        df[col] = df[col].astype(str)
    return FeatureMatrix.validate(df)


def features(matrix: pd.DataFrame) -> pd.DataFrame:
    """One row per feature: feature_id, product, feature, flags, versions, content items.

    Columns: feature_id, product, feature, zmo_eligible, zdr_items (count of ZDR-eligible
    content items), min_client_version, mobile_only, added_in_version, added_in_source,
    inputs, outputs (content item names, '; '-joined), attributes_documented_in (the whitepaper
    version that first documented the ZMO/ZDR flags and minimum version: the later of
    added_in_version and policy fact attributes_documented_from).
    """
    grouped = matrix.groupby("feature_id", sort=False, observed=True)
    out = grouped.agg(
        product=("product", "first"),
        feature=("feature", "first"),
        zmo_eligible=("zmo_eligible", "first"),
        zdr_items=("zdr_eligible", "sum"),
        min_client_version=("min_client_version", "first"),
        mobile_only=("mobile_only", "first"),
        added_in_version=("added_in_version", "first"),
        added_in_source=("added_in_source", "first"),
    )
    for direction in ("input", "output"):
        items = matrix[matrix["direction"] == direction].groupby("feature_id", sort=False)["content_item"]
        out[f"{direction}s"] = items.agg("; ".join)
    documented = str(load_policy().value("attributes_documented_from"))
    out["attributes_documented_in"] = [
        max(v, documented, key=parse_version) for v in out["added_in_version"].astype(str)
    ]
    return out.reset_index()


def summary(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per product: features, content items, ZMO-eligible features, ZDR-eligible items."""
    feats = features(matrix)
    out = feats.groupby("product", observed=True).agg(
        features=("feature_id", "count"), zmo_eligible_features=("zmo_eligible", "sum")
    )
    items = matrix.groupby("product", observed=True).agg(
        content_items=("content_item", "count"), zdr_eligible_items=("zdr_eligible", "sum")
    )
    out = out.join(items)[["features", "content_items", "zmo_eligible_features", "zdr_eligible_items"]]
    out.loc["Total"] = out.sum()
    return out.reset_index().rename(columns={"index": "product"})


def changes(matrix: pd.DataFrame, since: str, until: str) -> pd.DataFrame:
    """Features the whitepaper changelog added after version `since`, up to and including `until`.

    Only rows whose added_in_source is 'changelog' count: a feature the changelog never
    mentions was not 'added' by any listed version. ZMO eligibility and minimum version are
    empty where the whitepaper documented them only after `until` (attributes_documented_in).
    """
    lo, hi = parse_version(since), parse_version(until)
    if lo >= hi:
        raise ValueError(f"expected an earlier version before a later one, got {since} {until}")
    feats = features(matrix)
    version = feats["added_in_version"].map(parse_version)
    mask = (feats["added_in_source"] == "changelog") & (version > lo) & (version <= hi)
    columns = ["added_in_version", "product", "feature", "zmo_eligible", "min_client_version"]
    out = feats.loc[mask, [*columns, "attributes_documented_in", "inputs", "outputs"]]
    out = out.astype({"zmo_eligible": "boolean", "min_client_version": object})
    later = out["attributes_documented_in"].map(parse_version) > hi
    out.loc[later, ["zmo_eligible", "min_client_version"]] = pd.NA
    return out.reset_index(drop=True)


def version_history(matrix: pd.DataFrame) -> pd.DataFrame:
    """Every feature with the whitepaper version that added it, oldest first.

    Columns: added_in_version, added_in_source (changelog, or earliest_documented: already in
    the earliest version the changelog covers), product, feature, zmo_eligible,
    min_client_version, inputs, outputs.
    """
    feats = features(matrix)
    version = feats["added_in_version"].map(parse_version)
    changelog = (feats["added_in_source"] == "changelog").astype(int)  # earliest_documented first
    feats = feats.assign(_v=version, _c=changelog).sort_values(["_v", "_c"], kind="stable")
    columns = [
        "added_in_version",
        "added_in_source",
        "product",
        "feature",
        "zmo_eligible",
        "min_client_version",
        "inputs",
        "outputs",
    ]
    return feats[columns].reset_index(drop=True)
