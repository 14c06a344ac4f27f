"""Matrix rows Zoom's later pages add, change or remove: data/current/feature_changes.csv.

The file uses the matrix's own columns plus certainty, source and source_section; a flag or
location the pages do not give is 'unknown'. `apply_overlay()` validates it (pandera, then
cross-checks naming line and column) and applies it to the v5.0 matrix; in the result unknown
flags are <NA> (pandas 'boolean'), unknown text 'unknown'.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from zoomai.core.csvio import read_csv_text, schema_problems, split_list, text_check
from zoomai.core.errors import DataError, Problem
from zoomai.facts.current import Certainty
from zoomai.facts.matrix import feature_slug
from zoomai.facts.policy import UNKNOWN, Policy
from zoomai.facts.sources import url_problems
from zoomai.facts.taxonomy import load_data_categories

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


def apply_overlay(
    path: Path,
    base: pd.DataFrame,
    policy: Policy,
    products: tuple[str, ...],
    sources: pd.DataFrame,
    providers: tuple[str, ...],
    retention_ids: set[str],
) -> pd.DataFrame:
    """Validate the overlay at `path` against the v5.0 `base` matrix and the vocabularies
    (products, providers, retention fact ids); return base with the overlay applied."""
    text = read_csv_text(path, OVERLAY_COLUMNS)
    problems = schema_problems(OverlaySchema, text)
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
        problems += url_problems(row["source"], "source", sources, line)
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
    """Per product (and Total): features, content items, features known to be ZMO eligible and
    those whose ZMO flag is unknown, items known to be ZDR eligible and those unknown. Unknown
    is never counted as no. (matrix.summary needs whitepaper versions, which new features lack.)"""
    zmo = matrix.groupby("feature_id", sort=False)["zmo_eligible"].first()  # one flag per feature
    per_feature = matrix.drop_duplicates("feature_id").set_index("feature_id")["product"]
    by_product = pd.DataFrame({"product": per_feature, "zmo": zmo.reindex(per_feature.index)})
    out = by_product.groupby("product", observed=True).agg(
        features=("zmo", "size"),
        zmo_eligible_features=("zmo", lambda s: int(s.eq(True).sum())),
        zmo_unknown_features=("zmo", lambda s: int(s.isna().sum())),
    )
    items = matrix.groupby("product", observed=True)["zdr_eligible"].agg(
        content_items="size",
        zdr_eligible_items=lambda s: int(s.eq(True).sum()),
        zdr_unknown_items=lambda s: int(s.isna().sum()),
    )
    out = out.join(items)
    out.loc["Total"] = out.sum()
    columns = ["features", "content_items", "zmo_eligible_features", "zdr_eligible_items"]
    out = out[[*columns, "zmo_unknown_features", "zdr_unknown_items"]].astype(int)
    return out.reset_index().rename(columns={"index": "product"})
