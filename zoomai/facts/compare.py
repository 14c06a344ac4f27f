"""What one fact set adds, changes and removes relative to another (`zoomai matrix --changes
v5.0 current`): features, content items, matrix cells, model providers, deployment options
and facts, each with the citation of the side that holds it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from zoomai.core.errors import ZoomaiError
from zoomai.facts.factset import FactSet, load_facts
from zoomai.facts.matrix import changes, load_feature_matrix
from zoomai.facts.policy import UNKNOWN
from zoomai.facts.sources import FACT_SETS, load_sources

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
CHANGE_COLUMNS = ["change", "what", "subject", "field", "before", "after", "document", "section"]


def changes_table(since: str, until: str, matrix_path: Path | str | None = None) -> pd.DataFrame:
    """Two fact sets ('v5.0' 'current'): what the second adds, changes and removes. Two
    whitepaper versions ('4.0' '5.0'): the features the changelog added (matrix.changes) in the
    v5.0 matrix, or the one at `matrix_path`. Mixing the two is a user error."""
    named = [text in FACT_SETS for text in (since, until)]
    if all(named):
        return compare(load_facts(since), load_facts(until))
    if any(named):
        raise ZoomaiError("expected two whitepaper versions (4.0 5.0) or two fact sets (v5.0 current)")
    try:
        return changes(load_feature_matrix(matrix_path), since, until)
    except ValueError as exc:
        raise ZoomaiError(str(exc)) from None


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


def value_text(value: object) -> str:
    """A cell or fact value as compared and printed: lists joined, missing as 'unknown'."""
    if isinstance(value, list):
        return "; ".join(map(str, value))
    if isinstance(value, bool | np.bool_):
        return str(value).lower()
    return UNKNOWN if value is None or pd.isna(value) else str(value)


def fact_subject(value: object, unit: str) -> str:
    """A fact's value and unit in words, as a change names it: '30 days', '1 day', 'yes' (a
    boolean), the text itself (unit text)."""
    text = value_text(value)
    if unit == "boolean":
        return {"true": "yes", "false": "no"}.get(text, text)
    if unit == "text":
        return text
    return f"{text} {unit.removesuffix('s') if unit == 'days' and text == '1' else unit}".strip()


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
            before, after = value_text(o.loc[k, col]), value_text(n.loc[k, col])
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
        return {
            "change": change,
            "what": f"fact ({f['kind']})",
            "subject": fact_subject(f["value"], f["unit"]),
            "field": field,
            "before": before,
            "after": after,
            "document": f["document"],
            "section": f["section"],
        }

    for fid, f in new_by_id.iterrows():
        if fid in old_by_id.index:
            before = old_by_id.loc[fid]
            if (value_text(before["value"]), before["statement"]) != (value_text(f["value"]), f["statement"]):
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


# What the feature-matrix report shows of the changes between fact sets, in this order.
OVERVIEW_KINDS = (
    "added feature",
    "added content item",
    "new model provider",
    "new deployment option",
    "ZDR scope",
)
OVERVIEW_COLUMNS = ["kind", "subject", "detail", "source"]


def change_overview(since: str = "v5.0", until: str = "current") -> pd.DataFrame:
    """The headline changes from fact set `since` to `until`: features and content items added,
    new model providers and deployment options, and the Zero Data Retention facts that changed
    (their ids name zdr); columns OVERVIEW_COLUMNS, kinds in OVERVIEW_KINDS order. detail: a
    feature's content items, a fact's statement, else empty; source: the document's title and
    section (in words, as a report shows them)."""
    table = changes_table(since, until)
    titles = load_sources().set_index("id")["title"]
    table["source"] = table["document"].map(titles) + ", " + table["section"]
    added = table["change"] == "added"
    picks = [
        ("added feature", added & (table["what"] == "feature"), "after"),
        ("added content item", added & (table["what"] == "content item"), None),
        ("new model provider", added & (table["what"] == "model provider"), None),
        ("new deployment option", added & (table["what"] == "deployment option"), None),
        ("ZDR scope", table["what"].str.startswith("fact") & table["field"].str.contains("zdr"), "after"),
    ]
    frames = [
        table[mask].assign(kind=kind, detail=table.loc[mask, column] if column else "")[OVERVIEW_COLUMNS]
        for kind, mask, column in picks
    ]
    return pd.concat(frames, ignore_index=True)
