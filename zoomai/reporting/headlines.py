"""Headline figures of each notebook, grouped by notebook: small dicts of JSON scalars that the
notebook prints in its nbval-checked cell and saves as the run's summary (notebook.save_summary).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from zoomai.analysis.configurations import Configuration
from zoomai.reporting.findings import lost_in_use

THIRD_PARTY_KINDS = ("model_provider", "subprocessor")


def _items(flows: pd.DataFrame) -> int:
    """Distinct (feature, content item) pairs of a flows table."""
    return int(len(flows.drop_duplicates(["feature_id", "content_item"])))


# --- feature_matrix notebook -------------------------------------------------------------------


def feature_matrix(counts: pd.DataFrame, history: pd.DataFrame, flows: pd.DataFrame) -> dict[str, object]:
    """Features, content items, ZMO/ZDR eligibility (and, in a later fact set, the features and
    items whose flag is unknown), features per whitepaper version that added them (changelog
    only), and what the default configuration sends to third parties.

    `counts`: zoomai.facts.factset.matrix_table(facts, summarised=True); `history`:
    zoomai.matrix.version_history; `flows`: zoomai.analysis.flows.flows("default").
    """
    total = counts.set_index("product").loc["Total"]
    added = history[history["added_in_source"] == "changelog"].groupby("added_in_version").size()
    third = flows[flows["party_kind"].isin(THIRD_PARTY_KINDS)]
    unknown = [c for c in ("zmo_unknown_features", "zdr_unknown_items") if c in total.index]
    return {
        **{
            c: int(total[c])
            for c in ("features", "content_items", "zmo_eligible_features", "zdr_eligible_items")
        },
        **{c: int(total[c]) for c in unknown},
        "features_added_by_version": {str(v): int(n) for v, n in added.items()},
        "parties_default": int(flows["party"].nunique()),
        "items_to_third_parties_default": _items(third),
    }


# --- data_flows notebook -----------------------------------------------------------------------


def data_flows(flows: pd.DataFrame, lost: pd.DataFrame) -> dict[str, object]:
    """Flows, content items and parties under a configuration, flows to third parties, flows
    with an unknown or unbounded window, flows per location, and the features it loses.

    `flows`: zoomai.flows.flows_for; `lost`: zoomai.flows.lost_features.
    """
    note = flows["retention_note"].astype(str)
    return {
        "flows": int(len(flows)),
        "content_items": _items(flows),
        "parties": int(flows["party"].nunique()),
        "third_party_flows": int(flows["party_kind"].isin(THIRD_PARTY_KINDS).sum()),
        "unknown_retention_flows": int(note.str.startswith("unknown").sum()),
        "unbounded_retention_flows": int(note.str.startswith("unbounded").sum()),
        "flows_by_location": {
            str(k): int(v) for k, v in flows["location"].value_counts().sort_index().items()
        },
        "lost_features": int(len(lost)),
    }


# --- settings_audit notebook -------------------------------------------------------------------


def settings_audit(
    locks: pd.DataFrame, overrides: pd.DataFrame, bands: pd.DataFrame, posture: pd.DataFrame
) -> dict[str, object]:
    """Users, locked keys, widening overrides and the (user, key) pairs they widen, users per
    notice status, and groups flagged for external summaries next to open meetings.

    Arguments: the tables of zoomai.audit.locks, widening_overrides, version_bands, meeting_security.
    """
    notice = bands["participant_notice"]
    return {
        "users": int(bands["users"].sum()),
        "locked_keys": int(len(locks)),
        "widening_overrides": int(len(overrides)),
        "user_settings_widened": int(overrides["users"].sum()),
        "users_without_participant_notice": int(bands.loc[notice.eq(False).fillna(False), "users"].sum()),
        "users_with_unknown_version": int(bands.loc[notice.isna(), "users"].sum()),
        "groups_flagged": int(posture["flagged"].sum()),
    }


# --- configuration_comparison notebook ---------------------------------------------------------


def configuration_comparison(table: pd.DataFrame, changes: pd.DataFrame) -> dict[str, object]:
    """Per configuration its exposure score and features available, the Pareto-efficient
    configurations, and the best single setting change.

    `table`: zoomai.exposure.compare for one tenant; `changes`: zoomai.exposure.what_if.
    """
    best = changes.sort_values(["score_removed", "change"], ascending=[False, True]).head(1)
    return {
        "exposure_score": {
            str(c): int(v) for c, v in zip(table["configuration"], table["exposure_score"], strict=True)
        },
        "features_available": {
            str(c): int(v) for c, v in zip(table["configuration"], table["features_available"], strict=True)
        },
        "pareto": sorted(str(c) for c in table.loc[table["pareto"], "configuration"]),
        "changes_tried": int(len(changes)),
        "best_change": str(best["change"].iloc[0]) if len(best) else "",
        "best_change_score_removed": int(best["score_removed"].iloc[0]) if len(best) else 0,
    }


# --- retention notebook ------------------------------------------------------------------------


def retention(inventory: pd.DataFrame, residency: pd.DataFrame) -> dict[str, object]:
    """Peak records held per party, and how many data categories are held at worst without
    limit (unbounded) or for an unknown time.

    `inventory`: zoomai.retention.retention_inventory; `residency`: zoomai.retention.residency.
    """
    held = inventory.groupby(["party", "date"], observed=True)["records_held"].sum()  # all usage sources
    peak = held.groupby(level="party").max() if len(inventory) else pd.Series(dtype=int)
    worst = residency["worst_window"].value_counts()
    return {
        "peak_records_held": {str(p): int(v) for p, v in peak.sort_index().items()},
        "categories": int(len(residency)),
        "categories_unbounded": int(worst.get("unbounded", 0)),
        "categories_unknown": int(worst.get("unknown", 0)),
    }


# --- tenant_risk_report notebook ---------------------------------------------------------------


def tenant_risk(
    totals: Mapping[str, object],
    features: pd.DataFrame,
    guarantees: pd.DataFrame,
    configuration: str | Configuration = "default",
) -> dict[str, object]:
    """The exposure totals of one tenant and configuration, features in use that the
    configuration makes unavailable (not those the tenant switched off itself), and guarantees
    that do not hold.

    `totals`: zoomai.analysis.exposure.analysis(...).totals (or a row of totals); `features`: its
    features; `guarantees`: zoomai.guarantees.option_guarantees.
    """
    figures = {k: v for k, v in totals.items() if k not in ("tenant_id", "bound")}
    lost = lost_in_use(features, configuration)
    unmet = guarantees[(guarantees["kind"] == "guarantees") & ~guarantees["holds"].astype(bool)]
    return {
        **{k: (float(v) if k.startswith("people_without_notice") else int(v)) for k, v in figures.items()},
        "features_lost_in_use": int(len(lost)),
        "guarantees_not_met": int(len(unmet)),
    }
