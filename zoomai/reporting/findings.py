"""The tenant risk report's words: executive-summary findings and the citations behind them.

Findings are plain sentences built from the exposure figures (zoomai.analysis.exposure), the features
a configuration loses, its option guarantees (zoomai.analysis.guarantees) and the best single setting
changes (zoomai.exposure.what_if); each names the whitepaper section it rests on.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from zoomai.facts.certainty import load_flow_rules
from zoomai.facts.policy import Policy, load_policy

FINDING_COLUMNS = ["finding", "source"]
CITATION_COLUMNS = ["fact", "statement", "source"]


def citations(flows: pd.DataFrame, policy: Policy | None = None) -> pd.DataFrame:
    """The policy facts the flows rest on (their `basis`), with statement and source section;
    columns CITATION_COLUMNS, sorted by fact id."""
    policy = policy or load_policy()
    known = set(policy.facts["id"])
    ids = {part.strip() for basis in flows["basis"].dropna() for part in str(basis).split(";")}
    rows = [
        {"fact": i, "statement": policy.fact(i)["statement"], "source": policy.cite(i)}
        for i in sorted(ids & known)
    ]
    return pd.DataFrame(rows, columns=CITATION_COLUMNS)


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _range(low: float, high: float) -> str:
    return _n(high) if low == high else f"between {_n(low)} and {_n(high)}"


def records_range(totals: Mapping[str, object]) -> str:
    """The records sentence in bounds: lower (stated flows) to upper (every flow)."""
    third = _range(totals["third_party_records_min"], totals["third_party_records_max"])
    return (
        f"{_range(totals['records_min'], totals['records_max']).capitalize()} content records are held "
        f"by some party, {third} of them by third parties (model providers and subprocessors); the "
        "lower figure counts only what the sources state happens, the upper also what they say may."
    )


def provider_ranges(items: pd.DataFrame) -> pd.DataFrame:
    """One finding per model provider in `items` (exposure.Result.items): the range of content
    records that may reach it; columns FINDING_COLUMNS."""
    providers = items[items["party_kind"] == "model_provider"]
    source = load_flow_rules().set_index("rule").loc["model_provider", "source"]
    rows = [
        (
            f"{_range(part['records_min'].sum(), part['records'].sum()).capitalize()} content records "
            f"may reach {party}; the whitepaper says third-party models such as {party}'s may be used "
            "for certain features, not which features use which provider.",
            source,
        )
        for party, part in providers.groupby("party", sort=True)
        if part["records"].sum() > 0
    ]
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def executive_summary(
    totals: Mapping[str, object],
    features: pd.DataFrame,
    guarantees: pd.DataFrame,
    changes: pd.DataFrame,
    policy: Policy | None = None,
) -> pd.DataFrame:
    """Findings, most important first; columns FINDING_COLUMNS.

    totals: exposure.analysis(...).totals (or a row of totals); features: its features; guarantees:
    option_guarantees of the configuration; changes: what_if on the configuration.
    """
    policy = policy or load_policy()
    rows: list[tuple[str, str]] = []
    if int(totals["records"]) == 0:
        rows.append(("No AI Companion content is processed under this configuration.", ""))
    else:
        rows.append((records_range(totals), policy.cite("provider_trust_safety_retention")))
    unknown, unbounded = int(totals["records_unknown"]), int(totals["records_unbounded"])
    if unknown:
        rows.append(
            (
                f"{_n(unknown)} records sit where the sources give no retention window "
                "(email and calendar providers, external recipients): unknown, not zero.",
                policy.cite("email_provider_retention"),
            )
        )
    if unbounded:
        rows.append(
            (
                f"{_n(unbounded)} records are kept until deleted in the customer's storage or "
                "published; auto-delete settings bound them.",
                policy.cite("stored_until_deleted"),
            )
        )
    if int(totals["cross_border_records"]):
        rows.append(
            (
                f"{_n(totals['cross_border_records'])} records are held outside the hosting region.",
                policy.cite("us_hosting_region"),
            )
        )
    people = int(totals["people_internal"]) + int(totals["people_external"])
    if people:
        rows.append(
            (
                f"{_n(totals['people_without_notice'])} of {_n(people)} people touched (counted per "
                f"activity; {_n(totals['people_external'])} external) had no AI notice (estimate).",
                policy.cite("participant_notice_min_version"),
            )
        )
    lost = features[(features["status"] == "lost") & (features["uses"] > 0)]
    if len(lost):
        names = ", ".join(f"{p} {f}" for p, f in zip(lost["product"], lost["feature"], strict=True))
        rows.append(
            (
                f"{len(lost)} feature(s) in use become unavailable ({names}): "
                f"{_n(lost['uses'].sum())} uses lost.",
                policy.cite("zmo_no_third_party_models"),
            )
        )
    broken = guarantees[(guarantees["kind"] == "guarantees") & ~guarantees["holds"].astype(bool)]
    for row in broken.itertuples(index=False):
        rows.append((f"Guarantee not met: {row.statement}", str(row.source_section)))
    still = guarantees[(guarantees["kind"] == "still_flows") & guarantees["holds"].astype(bool)]
    for row in still.itertuples(index=False):
        rows.append((f"Still flows: {row.statement}", str(row.source_section)))
    best = changes[(changes["score_removed"] > 0)].head(3)
    for row in best.itertuples(index=False):
        cost = f"loses {row.features_lost} feature(s)" if row.features_lost > 0 else "loses no feature"
        share = row.score_removed / max(int(totals["exposure_score"]), 1)
        rows.append(
            (
                f"Setting change {row.change}: removes {share:.0%} of the exposure score, {cost}.",
                "zoomai what-if (exposure score: record-days, unbounded and unknown at the horizon)",
            )
        )
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)
