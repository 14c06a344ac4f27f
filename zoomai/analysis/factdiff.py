"""How the flows change from one fact set to another (v5.0 -> current) under a configuration,
and which listed change (`zoomai matrix --changes`, zoomai.facts.compare) accounts for each.

A flow is keyed by (feature_id, content_item, party, party_kind, condition); it is added,
removed, or changed in location, retention or certainty. A difference is explained by the
change rows that name its feature or content item (added, removed, changed matrix cells), its
party (a model provider added), a fact its retention rests on (`basis` names the fact id), or
the deployment-option facts its certainty rests on (ZM+ added; the regional fact replaced).
"""

from __future__ import annotations

import pandas as pd

from zoomai.analysis.configurations import Configuration
from zoomai.analysis.flows import flows
from zoomai.facts.certainty import load_flow_rules
from zoomai.facts.compare import changes_table
from zoomai.facts.policy import load_policy

KEY = ["feature_id", "content_item", "party", "party_kind", "condition"]
COMPARED = ["location", "retention_min_days", "retention_max_days", "retention_note", "certainty"]
DIFF_COLUMNS = ["difference", *KEY, "product", "feature", "before", "after", "explained_by"]
# Flow rules that rest on a deployment option the later fact set adds or changes.
_ROUTING_RULES = ("provider_routing_unknown", "availability_unknown")


def flow_differences(
    configuration: str | Configuration = "default",
    region: str = "US",
    old: str = "v5.0",
    new: str = "current",
) -> pd.DataFrame:
    """One row per flow that differs between fact sets `old` and `new`; columns DIFF_COLUMNS.
    difference: added, removed or changed; before/after: 'location; retention; certainty';
    explained_by: the listed changes that account for it ('what: subject [field]', joined by
    ' | '), empty when none does (a test asserts that never happens)."""
    a, b = flows(configuration, region, old), flows(configuration, region, new)
    listed = changes_table(old, new)
    outside_us = region.upper() != load_policy().value("us_hosting_region")
    rules = load_flow_rules().set_index("rule")
    readings = tuple(str(rules.loc[r, "reading"]) for r in _ROUTING_RULES)
    merged = a.drop_duplicates(KEY).merge(
        b.drop_duplicates(KEY), on=KEY, how="outer", suffixes=("_old", "_new"), indicator=True
    )
    rows = []
    for _, row in merged.iterrows():
        side = {"left_only": "removed", "right_only": "added", "both": "changed"}[row["_merge"]]
        before, after = _described(row, "_old"), _described(row, "_new")
        if side == "changed" and before == after:
            continue
        kept = "_old" if side == "removed" else "_new"
        rows.append(
            {
                "difference": side,
                **{k: row[k] for k in KEY},
                "product": str(row[f"product{kept}"]),
                "feature": row[f"feature{kept}"],
                "before": before if side != "added" else "",
                "after": after if side != "removed" else "",
                "explained_by": " | ".join(_explanations(row, kept, listed, outside_us, readings)),
            }
        )
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


def _described(row: pd.Series, side: str) -> str:
    values = [row[f"{c}{side}"] for c in COMPARED]
    return "; ".join("" if pd.isna(v) else str(v) for v in values)


def _explanations(
    row: pd.Series, side: str, listed: pd.DataFrame, outside_us: bool, readings: tuple[str, ...]
) -> list[str]:
    feature_subject = f"{row[f'product{side}']} / {row[f'feature{side}']}"
    item_subject = f"{feature_subject} / {row['content_item']}"
    basis = "; ".join(str(row[f"basis{s}"]) for s in ("_old", "_new") if not pd.isna(row[f"basis{s}"]))
    basis_ids = {b.strip() for b in basis.split(";")}
    texts = " ".join(str(row[f"reading{s}"]) for s in ("_old", "_new") if not pd.isna(row[f"reading{s}"]))
    on_routing = any(r in texts for r in readings)
    out = []
    for _, change in listed.iterrows():
        what, subject, field = str(change["what"]), str(change["subject"]), str(change["field"])
        ids = {f.strip() for f in field.split("->")}
        hit = (
            subject in (feature_subject, item_subject)
            or (what == "model provider" and subject == row["party"])
            or (what.startswith("fact") and bool(ids & basis_ids))
            or (what == "deployment option" and on_routing)
            or (
                outside_us
                and field.startswith("non_us_hosting_zmo_only")
                and (on_routing or row["party_kind"] == "model_provider")
            )
        )
        if hit:
            out.append(f"{what}: {subject}" + (f" [{field}]" if field else ""))
    return out
