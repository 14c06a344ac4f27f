"""Data flows: which party holds each content item, where, and for how long, under a
configuration. Every rule reads the feature matrix and the policy facts:

- Zoom processes every item of an available feature and keeps it up to its support window;
  with ZDR, the ZDR-eligible items only up to the ZDR window (Zoom's retention only);
- model providers only without ZMO, as a possibility (the whitepaper: third-party models "may"
  be used); ZMO (or hosting outside the US) makes features that are not ZMO eligible
  unavailable (an inferred reading): no flows, listed as lost;
- the customer's copy follows the item's retention rule, shortened by auto-delete settings;
  rules marked `if_shared` hold content only once the output is posted, sent or published;
- summary emails: SendGrid and the email provider hold the summary text with full-text
  emails, a link and the recipients' addresses with link-only ones; external recipients only
  when summaries are shared with all invitees and external sharing is not restricted;
- unknown retention stays unknown (empty max, noted), never zero.

Every flow carries the certainty and citation of the rule that makes it (data/flow_rules.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from zoomai.analysis.configurations import Configuration, get_configuration
from zoomai.core.csvio import split_list
from zoomai.core.paths import data_dir
from zoomai.facts.certainty import load_flow_rules
from zoomai.facts.matrix import load_feature_matrix
from zoomai.facts.policy import UNBOUNDED, UNKNOWN, Policy, load_policy
from zoomai.facts.registry import (
    RETENTION_EXTRA_PERIODS,
    RETENTION_LIMITS,
    SETTINGS,
    SPECS,
    parse_value,
    period_days,
)

FLOW_COLUMNS = [
    "feature_id",
    "product",
    "feature",
    "content_item",
    "direction",
    "data_category",
    "party",
    "party_kind",
    "location",
    "retention_min_days",
    "retention_max_days",
    "retention_note",
    "condition",
    "basis",
    "source_section",
    "certainty",
    "certainty_basis",
    "reading",
]
ITEM_COLUMNS = [
    c
    for c in FLOW_COLUMNS
    if c
    in ("feature_id", "product", "feature", "content_item", "direction", "data_category", "source_section")
]
PARTY_NAMES = {
    "zoom": "Zoom",
    "customer_storage": "Customer storage",
    "email_provider": "Email provider",
    "calendar_provider": "Calendar provider",
    "external_recipient": "External recipients",
    "public": "Public",
    "user_device": "User device",
}
SUMMARY_FEATURE = "meetings.meeting_summary"
RECIPIENTS_KEY = "in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary"
ALL_INVITEES = "4"  # registry enum: all invitees including those outside the organisation
EMAIL_KEY = "zoomai.meetings.summary_email"
RESTRICT_KEY = "zoomai.meetings.summary_restrict_external_sharing"
# The settings that shape flows beyond switching features on and off.
SHAPING_KEYS = frozenset(
    {
        EMAIL_KEY,
        RECIPIENTS_KEY,
        RESTRICT_KEY,
        *(k for p in RETENTION_LIMITS.values() for k in p),
        *(k for keys in RETENTION_EXTRA_PERIODS.values() for k in keys),
    }
)
CERTAINTY_COLUMNS = ["certainty", "certainty_basis", "reading"]


@dataclass(frozen=True)
class FlowOptions:
    """What shapes the flows. `settings` holds typed values of registry keys; a key that is
    absent is not fixed, and the flows show what it can allow (the widest case)."""

    zmo: bool = False
    zdr: bool = False
    region: str = "US"
    settings: dict[str, object] = field(default_factory=dict)

    def zmo_effective(self, policy: Policy) -> bool:
        """ZMO chosen, or hosting outside the US (policy fact non_us_hosting_zmo_only)."""
        outside_us = self.region != policy.value("us_hosting_region")
        return self.zmo or (outside_us and bool(policy.value("non_us_hosting_zmo_only")))


def options_for(config: Configuration, region: str = "US") -> FlowOptions:
    """FlowOptions from a configuration alone (no tenant): unset ZMO/ZDR mean off."""
    typed = {k: parse_value(SPECS[k], v) for k, v in config.settings.items()}
    return FlowOptions(zmo=bool(config.zmo), zdr=bool(config.zdr), region=region.upper(), settings=typed)


def switched_off(settings: dict[str, object]) -> set[str]:
    """Feature ids whose every switch is set to false."""
    by_feature: dict[str, list[object]] = {}
    for spec in SETTINGS:
        if spec.feature_id:
            by_feature.setdefault(spec.feature_id, []).append(settings.get(spec.key))
    return {f for f, values in by_feature.items() if all(v is False for v in values)}


def availability(
    options: FlowOptions, matrix: pd.DataFrame | None = None, policy: Policy | None = None
) -> pd.DataFrame:
    """One row per feature: feature_id, product, feature, available, reason (why it is lost),
    and for lost features the certainty, certainty_basis and reading of the rule that makes
    them lost (switched off: stated; not ZMO eligible: inferred)."""
    policy = policy or load_policy()
    off = frozenset(switched_off(options.settings))
    zmo = options.zmo_effective(policy)
    if matrix is None and policy is load_policy():  # bundled data: memoised
        return _bundled_availability(off, zmo, bool(options.zmo), data_dir()).copy()
    return _availability(off, zmo, bool(options.zmo), matrix if matrix is not None else load_feature_matrix())


@lru_cache(maxsize=1024)
def _bundled_availability(off: frozenset[str], zmo: bool, zmo_chosen: bool, folder: Path) -> pd.DataFrame:
    return _availability(off, zmo, zmo_chosen, load_feature_matrix())


def _availability(off: frozenset[str], zmo: bool, zmo_chosen: bool, matrix: pd.DataFrame) -> pd.DataFrame:
    feats = matrix.drop_duplicates("feature_id")[["feature_id", "product", "feature", "zmo_eligible"]]
    reason = pd.Series("", index=feats.index, dtype=object)
    reason[feats["feature_id"].isin(off)] = "switched off"
    not_eligible = zmo & ~feats["zmo_eligible"]
    why_zmo = "not ZMO eligible (hosted outside the US)" if not zmo_chosen else "not ZMO eligible"
    zmo_lost = not_eligible & (reason == "")
    reason[zmo_lost] = why_zmo
    out = feats.drop(columns="zmo_eligible").assign(available=reason == "", reason=reason)
    rules = load_flow_rules().set_index("rule")
    rule = pd.Series("", index=feats.index, dtype=object)
    rule[zmo_lost] = "zmo_unavailable"
    rule[reason == "switched off"] = "switched_off"
    for column in CERTAINTY_COLUMNS:
        out[column] = rule.map(rules[column]).fillna("")
    return out.reset_index(drop=True)


def lost_features(
    options: FlowOptions, matrix: pd.DataFrame | None = None, policy: Policy | None = None
) -> pd.DataFrame:
    """The features `options` make unavailable: availability() rows with available false."""
    table = availability(options, matrix, policy)
    return table[~table["available"]].reset_index(drop=True)


Window = tuple[int, "int | None", str, str, str]  # min, max, kind, basis, longer_if


def _window(policy: Policy, fact_id: str) -> Window:
    """(min days, max days or None, kind, basis, longer_if) of a retention fact; longer_if says
    when the source allows a longer window than its maximum (e.g. when the law requires it)."""
    fact = policy.fact(fact_id)
    max_days = None if pd.isna(fact["max_days"]) else int(fact["max_days"])
    longer_if = "" if pd.isna(fact["longer_if"]) else str(fact["longer_if"])
    return int(fact["min_days"]), max_days, str(fact["max_kind"]), fact_id, longer_if


def _note(max_days: int | None, kind: str, longer_if: str = "") -> str:
    if kind == UNBOUNDED:
        return "unbounded: kept until deleted"
    if kind == UNKNOWN:
        return "unknown: the sources do not say"
    note = f"up to {max_days} day{'' if max_days == 1 else 's'}"
    return f"{note}; longer {longer_if}" if longer_if else note


def window_kind(flows: pd.DataFrame) -> pd.Series:
    """bounded, unbounded or unknown for each flow row (from retention_max_days and the note)."""
    kind = np.where(flows["retention_note"].str.startswith(UNBOUNDED), UNBOUNDED, UNKNOWN)
    return pd.Series(
        np.where(flows["retention_max_days"].notna(), "bounded", kind), index=flows.index, dtype=object
    )


def _limit(policy: Policy, fact_id: str, options: FlowOptions) -> Window:
    """A customer retention window, shortened by the auto-delete setting that controls it (the
    longest of its periods where several bound the same content, e.g. Team Chat channels)."""
    lo, hi, kind, basis, longer_if = _window(policy, fact_id)
    if fact_id in RETENTION_LIMITS:
        switch, days_key = RETENTION_LIMITS[fact_id]
        keys = (days_key, *RETENTION_EXTRA_PERIODS.get(fact_id, ()))
        values = [options.settings.get(k) for k in keys]
        periods = [period_days(str(v)) if v is not None else None for v in values]
        days = max(periods) if None not in periods else None  # an unset period: not limited
        if options.settings.get(switch) is True and days is not None and (hi is None or days < hi):
            given = "; ".join(f"{k}={p} days" for k, p in zip(keys, periods, strict=True))
            hi, kind, basis = days, "bounded", f"{fact_id}; {given}"
    return lo, hi, kind, basis, longer_if


def _combine(windows: list[Window]) -> Window:
    """The widest of several windows: unbounded beats unknown beats the longest bounded."""
    lo = min(w[0] for w in windows)
    kinds = [w[2] for w in windows]
    basis = "; ".join(w[3] for w in windows)
    longer_if = "; ".join(dict.fromkeys(w[4] for w in windows if w[4]))
    if UNBOUNDED in kinds:
        return lo, None, UNBOUNDED, basis, longer_if
    if UNKNOWN in kinds:
        return lo, None, UNKNOWN, basis, longer_if
    return lo, max(w[1] for w in windows), "bounded", basis, longer_if


def flows_for(
    options: FlowOptions, matrix: pd.DataFrame | None = None, policy: Policy | None = None
) -> pd.DataFrame:
    """All flows under `options`; columns FLOW_COLUMNS (retention_max_days empty when unbounded
    or unknown, and retention_note says which)."""
    avail = availability(options, matrix, policy)
    available = avail.loc[avail["available"], "feature_id"]
    if matrix is None and (policy is None or policy is load_policy()):  # bundled data: memoised
        shaping = tuple(sorted((k, v) for k, v in options.settings.items() if k in SHAPING_KEYS))
        table = _bundled_flows(options.zmo, options.zdr, options.region, shaping, data_dir())
    else:
        table = _all_flows(
            options, load_feature_matrix() if matrix is None else matrix, policy or load_policy()
        )
    return table[table["feature_id"].isin(available)].reset_index(drop=True)


@lru_cache(maxsize=1024)
def _bundled_flows(
    zmo: bool, zdr: bool, region: str, shaping: tuple[tuple[str, object], ...], folder: Path
) -> pd.DataFrame:
    """_all_flows of the bundled data in `folder`, memoised: what-if analyses ask again and again."""
    return _all_flows(FlowOptions(zmo, zdr, region, dict(shaping)), load_feature_matrix(), load_policy())


def _all_flows(options: FlowOptions, matrix: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """The flows of every feature as if available (flows_for keeps the available ones)."""
    zmo = options.zmo_effective(policy)
    locations = policy.locations.set_index("id")["resolves_to"]
    facts = policy.facts.set_index("id")
    table = load_flow_rules().set_index("rule")
    rules = table.to_dict("index")
    provider_rules = _provider_rules(table)

    def where(location_id: str, processing: str | None = None) -> str:
        if location_id == "processing_location" and processing:
            return where(processing)
        resolved = locations.get(location_id, location_id)
        return {"hosting_region": options.region, "device": "device"}.get(resolved, resolved)

    shaping = Shaping(options.settings)
    rows: list[dict] = []
    for item in matrix.itertuples(index=False):
        base = {c: getattr(item, c) for c in ITEM_COLUMNS}
        processing = str(item.zoom_processing_location)

        def add(
            party: str, kind: str, location: str, window: Window, rule: str, condition: str = "", base=base
        ):
            lo, hi, max_kind, basis, longer_if = window
            cert = rules[rule]
            row = {
                **base,
                "party": party,
                "party_kind": kind,
                "location": location,
                "retention_min_days": lo,
                "retention_max_days": hi,
                "retention_note": _note(hi, max_kind, longer_if),
                "condition": condition,
                "basis": basis,
                **{c: cert[c] for c in CERTAINTY_COLUMNS},
            }
            for column in ("content_item", "data_category"):
                if cert[column]:
                    row[column] = cert[column]
            rows.append(row)

        zoom_fact = (
            "zdr_summary_transcript_retention"
            if options.zdr and item.zdr_eligible
            else "zoom_support_retention"
        )
        add("Zoom", "zoom", where(processing), _window(policy, zoom_fact), "zoom")
        if not zmo:
            for provider in split_list(item.model_providers):
                fact = "provider_trust_safety_retention"
                rule = provider_rules.get((item.feature_id, provider), "model_provider")
                add(
                    provider,
                    "model_provider",
                    where(facts.loc[fact, "location"]),
                    _window(policy, fact),
                    rule,
                )
        _storage_flows(item, options, policy, facts, where, add, shaping)
        for name in split_list(item.subprocessors):
            fact = facts[(facts["party_kind"] == "subprocessor") & (facts["party"] == name)].index[0]
            emailed = item.feature_id == SUMMARY_FEATURE
            add(
                name,
                "subprocessor",
                where(facts.loc[fact, "location"], processing),
                _window(policy, fact),
                shaping.email_rule if emailed else "subprocessor",
                "if emailed" if emailed else "",
            )
    return pd.DataFrame(rows, columns=FLOW_COLUMNS).astype(
        {"retention_min_days": "Int64", "retention_max_days": "Int64"}
    )


@dataclass(frozen=True)
class Shaping:
    """How the summary settings shape the email and recipient flows, and by which rule: the
    widest choice, as an assumption (rule widest_setting), where the settings leave it open."""

    settings: dict[str, object]

    @property
    def full_text(self) -> bool:
        return self.settings.get(EMAIL_KEY, "full_text") == "full_text"

    @property
    def email_rule(self) -> str:
        if EMAIL_KEY not in self.settings:
            return "widest_setting"
        return "email_full_text" if self.full_text else "email_link"

    @property
    def external(self) -> bool:
        return (
            self.settings.get(RECIPIENTS_KEY, ALL_INVITEES) == ALL_INVITEES
            and self.settings.get(RESTRICT_KEY) is not True
        )

    @property
    def external_rule(self) -> str:
        fixed = RECIPIENTS_KEY in self.settings and RESTRICT_KEY in self.settings
        return "external_recipient" if fixed else "widest_setting"


def _provider_rules(rules: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(feature_id, provider) -> the rule that replaces model_provider there (e.g. Anthropic on
    image features); other model-provider flows follow model_provider."""
    special = rules[rules["replaces"] == "model_provider"]
    return {
        (feature, provider): str(rule)
        for rule, features, providers in zip(
            special.index, special["features"], special["providers"], strict=True
        )
        for feature in features
        for provider in providers
    }


def _storage_flows(item, options, policy, facts, where, add, shaping: Shaping) -> None:
    """The customer's copy, and where its output is shared (email, recipients, public, ...)."""
    rules = [
        r
        for r in [item.retention_rule, *split_list(item.additional_retention_rules)]
        if r != "no_customer_storage"
    ]
    shared_only = {r: facts.loc[r, "condition"] == "if_shared" for r in rules}
    shared_only = {r: bool(v) if not pd.isna(v) else False for r, v in shared_only.items()}
    stored: list[Window] = []
    for rule in rules:
        kind = facts.loc[rule, "party_kind"]
        condition = "if shared" if shared_only[rule] else ""
        window = _limit(policy, rule, options)
        if kind == "customer_storage":
            stored.append(window)
        elif kind == "email_provider":
            add(
                PARTY_NAMES[kind],
                kind,
                where(facts.loc[rule, "location"]),
                window,
                shaping.email_rule,
                "if emailed",
            )
        elif kind == "public":
            add(PARTY_NAMES[kind], kind, "public", window, "public", condition)
        else:
            location = (
                item.customer_storage_location
                if not pd.isna(item.customer_storage_location)
                else facts.loc[rule, "location"]
            )
            add(PARTY_NAMES[kind], kind, where(location), window, kind, condition)
    if stored:
        location = (
            item.customer_storage_location
            if not pd.isna(item.customer_storage_location)
            else facts.loc[rules[0], "location"]
        )
        condition = "if shared" if all(shared_only.values()) else ""
        add(
            PARTY_NAMES["customer_storage"],
            "customer_storage",
            where(location),
            _combine(stored),
            "customer_storage",
            condition,
        )
        if item.feature_id == SUMMARY_FEATURE and item.direction == "output" and shaping.external:
            window = (
                _combine(stored)
                if not shaping.full_text
                else (0, None, UNKNOWN, f"{RECIPIENTS_KEY}={ALL_INVITEES}", "")
            )
            add(
                PARTY_NAMES["external_recipient"],
                "external_recipient",
                "unknown",
                window,
                shaping.external_rule,
                "if shared",
            )


def flows(configuration: str | Configuration = "default", region: str = "US") -> pd.DataFrame:
    """Flows of a named (or given) configuration for a hosting region, tenant-independent."""
    config = get_configuration(configuration) if isinstance(configuration, str) else configuration
    return flows_for(options_for(config, region))
