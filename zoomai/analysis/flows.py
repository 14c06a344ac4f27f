"""Data flows: which party holds each content item, where, and for how long, under a
configuration and a fact set (`facts`: 'v5.0', the whitepaper, or 'current', Zoom's later pages).
Every rule reads the fact set's feature matrix and policy facts:

- Zoom processes every item of an available feature and keeps it up to its support window;
  with ZDR, the ZDR-eligible items only up to the ZDR window (Zoom's retention only);
- model routing (deployment option: federated, zm_plus, zmo) does what
  data/deployment_options.yaml says: third-party models possibly receive content (federated),
  receive nothing (zmo) or unknown (zm_plus: kept as possible); features not ZMO eligible stay
  available, become unavailable (zmo, an inferred reading: no flows, listed as lost) or are
  unknown (their flows become possible). Hosting outside the US offers only some options
  (v5.0: ZMO; current: ZMO or ZM+);
- the customer's copy follows the item's retention rule, shortened by auto-delete settings;
  rules marked `if_shared` hold content only once the output is posted, sent or published;
- summary emails: SendGrid and the email provider hold the summary text with full-text
  emails, a link and the recipients' addresses with link-only ones; external recipients only
  when summaries are shared with all invitees and external sharing is not restricted;
- unknown stays unknown: retention (empty max, noted), never zero; a flag the sources leave
  open (ZMO/ZDR eligibility) widens the window or makes the flow possible, never False;
  providers or storage the sources do not name give one flow to an unnamed party, possible.

Every flow carries the certainty and citation of the rule that makes it (data/flow_rules.yaml),
weakened where the matrix row or an unknown flag is weaker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from zoomai.analysis.configurations import Configuration, get_configuration
from zoomai.core.csvio import split_list
from zoomai.core.errors import ZoomaiError
from zoomai.core.paths import data_dir
from zoomai.facts.certainty import STRENGTH, load_flow_rules
from zoomai.facts.factset import DEFAULT_FACTS, flow_inputs, flow_policy, routing_effects
from zoomai.facts.policy import UNBOUNDED, UNKNOWN, Policy, load_policy
from zoomai.facts.registry import (
    RETENTION_EXTRA_PERIODS,
    RETENTION_LIMITS,
    SETTINGS,
    SPECS,
    parse_value,
    period_days,
)
from zoomai.reporting import formats
from zoomai.tenants.tables import ROUTINGS

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
# The party of a flow to a model provider the sources do not name (current fact set).
UNNAMED_PROVIDER = "Unnamed model provider"
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
    absent is not fixed, and the flows show what it can allow (the widest case). `routing` is
    the deployment option chosen (federated, zm_plus, zmo); left None it follows `zmo` (which
    is kept equal to routing == 'zmo'). `facts` names the fact set the flows rest on."""

    zmo: bool = False
    zdr: bool = False
    region: str = "US"
    settings: dict[str, object] = field(default_factory=dict)
    facts: str = DEFAULT_FACTS
    routing: str | None = None

    def __post_init__(self) -> None:
        routing = self.routing or ("zmo" if self.zmo else "federated")
        if routing not in ROUTINGS:
            raise ZoomaiError(f"unknown model routing {routing!r}; expected one of {', '.join(ROUTINGS)}")
        if self.zmo and routing != "zmo":
            raise ZoomaiError(f"contradictory model routing: zmo is true but routing is {routing!r}")
        if routing not in routing_effects(self.facts).index:
            raise ZoomaiError(
                f"model routing {routing!r} is documented only in a later fact set than {self.facts}; "
                "choose --facts current (or the facts parameter current)"
            )
        object.__setattr__(self, "routing", routing)
        object.__setattr__(self, "zmo", routing == "zmo")

    def routings_in_force(self, policy: Policy) -> tuple[str, ...]:
        """The deployment options that may be in force: the one chosen, unless hosting outside
        the US does not offer it; then those offered there (v5.0: ZMO only; current: ZMO or ZM+,
        and which one is not known)."""
        if self.region == policy.value("us_hosting_region"):
            return (str(self.routing),)
        offered = policy.options_outside_us()
        return (str(self.routing),) if self.routing in offered else offered

    def zmo_effective(self, policy: Policy) -> bool:
        """ZMO in force for certain: chosen, or the only option offered where the tenant is hosted."""
        return self.routings_in_force(policy) == ("zmo",)


def options_for(config: Configuration, region: str = "US", facts: str = DEFAULT_FACTS) -> FlowOptions:
    """FlowOptions from a configuration alone (no tenant): unset routing means federated,
    unset ZDR off."""
    typed = {k: parse_value(SPECS[k], v) for k, v in config.settings.items()}
    return FlowOptions(
        zdr=bool(config.zdr),
        region=region.upper(),
        settings=typed,
        facts=facts,
        routing=config.routing_chosen or "federated",
    )


@dataclass(frozen=True)
class Effects:
    """What the deployment options in force change (data/deployment_options.yaml): whether
    third-party models get content (possible, none, unknown), what becomes of features not ZMO
    eligible (available, unavailable, unknown), and the words for why a feature is affected."""

    third_party: str
    not_eligible: str
    labels: str
    moved: bool  # the option chosen is not offered where the tenant is hosted

    @classmethod
    def of(cls, options: FlowOptions, policy: Policy) -> Effects:
        return _effects(options.routings_in_force(policy), str(options.routing), options.facts, data_dir())

    @property
    def where(self) -> str:
        return " (hosted outside the US)" if self.moved else ""


NO_SWITCH = "no setting zoomai reads switches it: assumed available"


@lru_cache(maxsize=1)
def _switchable() -> frozenset[str]:
    """The features some setting of the registry switches."""
    return frozenset(spec.feature_id for spec in SETTINGS if spec.feature_id)


@lru_cache(maxsize=64)
def _effects(routings: tuple[str, ...], chosen: str, facts: str, folder: Path) -> Effects:
    """Effects.of, memoised per data folder (asked once per setting group)."""
    table = routing_effects(facts)
    third = {str(table.loc[r, "third_party_models"]) for r in routings}
    lost = {str(table.loc[r, "not_zmo_eligible"]) for r in routings}
    return Effects(
        third_party=third.pop() if len(third) == 1 else UNKNOWN,
        not_eligible=lost.pop() if len(lost) == 1 else UNKNOWN,
        labels=" or ".join(str(table.loc[r, "label"]) for r in routings),
        moved=routings != (chosen,),
    )


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
    default_policy = flow_policy(options.facts)
    policy = policy or default_policy
    off = frozenset(switched_off(options.settings))
    effects = Effects.of(options, policy)
    if matrix is None and policy is default_policy:  # bundled data: memoised
        return _bundled_availability(off, effects, options.facts, data_dir()).copy()
    return _availability(off, effects, matrix if matrix is not None else flow_inputs(options.facts)[0])


@lru_cache(maxsize=1024)
def _bundled_availability(off: frozenset[str], effects: Effects, facts: str, folder: Path) -> pd.DataFrame:
    return _availability(off, effects, flow_inputs(facts)[0])


def _doubtful(feats: pd.DataFrame, effects: Effects) -> tuple[pd.Series, pd.Series]:
    """(lost, doubtful) masks of the features: lost where the options make features not ZMO
    eligible unavailable (and eligibility is known to be false); doubtful where availability
    is unknown (the option says unknown, or eligibility is unknown under ZMO)."""
    eligible = feats["zmo_eligible"].astype("boolean")
    if effects.not_eligible == "available":
        none = pd.Series(False, index=feats.index)
        return none, none
    not_eligible = ~eligible.fillna(True)
    if effects.not_eligible == "unavailable":
        return not_eligible, eligible.isna()
    return pd.Series(False, index=feats.index), not_eligible | eligible.isna()


def _availability(off: frozenset[str], effects: Effects, matrix: pd.DataFrame) -> pd.DataFrame:
    feats = matrix[["feature_id", "product", "feature", "zmo_eligible"]].drop_duplicates("feature_id")
    lost, doubtful = _doubtful(feats, effects)
    switched = feats["feature_id"].isin(off).to_numpy()
    zmo_lost = lost.to_numpy(dtype=bool) & ~switched
    unsure = doubtful.to_numpy(dtype=bool) & ~switched & ~zmo_lost  # available, but not for certain
    # e.g. a feature only a later fact set names: no configuration can switch it off here
    unswitched = ~feats["feature_id"].isin(_switchable()).to_numpy()
    cases = [switched, zmo_lost, unsure]
    out = feats.drop(columns="zmo_eligible").assign(available=~(switched | zmo_lost))
    reasons = [
        "switched off",
        f"not ZMO eligible{effects.where}",
        f"availability under {effects.labels} unknown{effects.where}",
    ]
    said = np.select([*cases, unswitched], [*reasons, NO_SWITCH], "")
    out["reason"] = pd.Series(said, index=feats.index, dtype=object)
    rules = _flow_rules(data_dir())[1]
    rule = np.select(cases, ["switched_off", "zmo_unavailable", "availability_unknown"], "").tolist()
    for column in CERTAINTY_COLUMNS:
        out[column] = [rules[r][column] if r else "" for r in rule]
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
    fact = policy.fact_record(fact_id)
    max_days = None if pd.isna(fact["max_days"]) else int(fact["max_days"])
    longer_if = "" if pd.isna(fact["longer_if"]) else str(fact["longer_if"])
    return int(fact["min_days"]), max_days, str(fact["max_kind"]), str(fact["id"]), longer_if


def _note(max_days: int | None, kind: str, longer_if: str = "") -> str:
    if kind == UNBOUNDED:
        return "unbounded: kept until deleted"
    if kind == UNKNOWN:
        return "unknown: the sources do not say"
    note = f"up to {formats.days(max_days)}"
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
    or unknown, and retention_note says which). `matrix` and `policy` replace those of the fact
    set `options.facts`."""
    avail = availability(options, matrix, policy)
    available = avail.loc[avail["available"], "feature_id"]
    table = all_flows(options, matrix, policy)
    return table[table["feature_id"].isin(available)].reset_index(drop=True)


def all_flows(
    options: FlowOptions, matrix: pd.DataFrame | None = None, policy: Policy | None = None
) -> pd.DataFrame:
    """The flows of every feature as if available (flows_for keeps those of the available
    ones); they depend on `flows_key(options)` only."""
    if matrix is None and (policy is None or policy is flow_policy(options.facts)):  # bundled data: memoised
        return _bundled_flows(*flows_key(options), data_dir()).copy()
    default_matrix, default_policy = flow_inputs(options.facts)
    return _all_flows(options, default_matrix if matrix is None else matrix, policy or default_policy)


def flows_key(options: FlowOptions) -> tuple:
    """What all_flows reads of `options` (routing, ZDR, region, fact set and the settings in
    SHAPING_KEYS); which features are available is not in it."""
    shaping = tuple(sorted((k, v) for k, v in options.settings.items() if k in SHAPING_KEYS))
    return (options.routing, options.zdr, options.region, options.facts, shaping)


@lru_cache(maxsize=1024)
def _bundled_flows(
    routing: str,
    zdr: bool,
    region: str,
    facts: str,
    shaping: tuple[tuple[str, object], ...],
    folder: Path,
) -> pd.DataFrame:
    """_all_flows of the bundled data in `folder`, memoised: what-if analyses ask again and again."""
    options = FlowOptions(zdr=zdr, region=region, settings=dict(shaping), facts=facts, routing=routing)
    return _all_flows(options, *flow_inputs(facts))


@lru_cache(maxsize=8)
def _flow_rules(folder: Path) -> tuple[pd.DataFrame, dict[str, dict], dict[tuple[str, str], str]]:
    """The flow rules of the data folder, read-only: indexed by rule, as dicts by rule, and the
    model-provider rules (`_provider_rules`); memoised (asked once per setting group)."""
    table = load_flow_rules().set_index("rule")
    return table, table.to_dict("index"), _provider_rules(table)


def weaker(a: str, b: str) -> str:
    """The weaker of two certainties (stated > possible > inferred > assumed); '' counts as none."""
    known = [c for c in (a, b) if c]
    return max(known, key=STRENGTH.index) if known else ""


def _all_flows(options: FlowOptions, matrix: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """The flows of every feature as if available (flows_for keeps the available ones)."""
    effects = Effects.of(options, policy)
    # plain dicts: the rules below look facts up a few thousand times
    locations = policy.locations.set_index("id")["resolves_to"].to_dict()
    facts = policy.records
    subprocessor_fact: dict[str, str] = {}
    for fact_id, fact in facts.items():
        if fact["party_kind"] == "subprocessor":
            subprocessor_fact.setdefault(fact["party"], fact_id)
    _, rules, provider_rules = _flow_rules(data_dir())
    feats = matrix.drop_duplicates("feature_id")
    _, doubtful = _doubtful(feats, effects)
    doubtful_features = set(feats.loc[doubtful.to_numpy(dtype=bool), "feature_id"])
    whitepaper_providers = set(load_policy().model_providers)
    row_certainty = "certainty" in matrix.columns  # a later fact set: each row's own certainty

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
        doubts = ["availability_unknown"] if item.feature_id in doubtful_features else []

        def add(
            party: str,
            kind: str,
            location: str,
            window: Window,
            rule: str,
            condition: str = "",
            extra: tuple[str, ...] = (),
            row_certainty: str = "",
            base=base,
            doubts=doubts,
            item=item,
        ):
            lo, hi, max_kind, basis, longer_if = window
            cert = {c: rules[rule][c] for c in CERTAINTY_COLUMNS}
            for doubt in (*doubts, *extra):  # a weaker rule the flow also rests on
                cert["certainty"] = weaker(cert["certainty"], rules[doubt]["certainty"])
                cert["certainty_basis"] += "; " + rules[doubt]["certainty_basis"]
                cert["reading"] = "; ".join(r for r in (cert["reading"], rules[doubt]["reading"]) if r)
            if weaker(cert["certainty"], row_certainty) != cert["certainty"]:  # the row itself is weaker
                cert["certainty"] = row_certainty
                cert["reading"] = "; ".join(
                    r
                    for r in (
                        cert["reading"],
                        f"matrix row ({item.source}, {item.source_section}): {item.notes}",
                    )
                    if r
                )
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
                **cert,
            }
            for column in ("content_item", "data_category"):
                if rules[rule][column]:
                    row[column] = rules[rule][column]
            rows.append(row)

        zdr_eligible = item.zdr_eligible
        if options.zdr and pd.isna(zdr_eligible):  # the sources do not say: both windows
            window = _combine(
                [
                    _window(policy, "zdr_summary_transcript_retention"),
                    _window(policy, "zoom_support_retention"),
                ]
            )
            add("Zoom", "zoom", where(processing), window, "zoom", extra=("zdr_scope_unknown",))
        else:
            zoom_fact = (
                "zdr_summary_transcript_retention"
                if options.zdr and zdr_eligible
                else "zoom_support_retention"
            )
            add("Zoom", "zoom", where(processing), _window(policy, zoom_fact), "zoom")
        if effects.third_party != "none":
            row_doubt = str(item.certainty) if row_certainty and not pd.isna(item.certainty) else ""
            for provider in split_list(item.model_providers):
                _provider_flow(
                    item,
                    provider,
                    effects,
                    policy,
                    facts,
                    where,
                    add,
                    provider_rules,
                    row_doubt,
                    whitepaper_providers,
                )
        _storage_flows(item, options, policy, facts, where, add, shaping)
        for name in split_list(item.subprocessors):
            if name == UNKNOWN:  # subprocessors of later features: not given (data/scope.yaml)
                continue
            fact = subprocessor_fact[name]
            emailed = item.feature_id == SUMMARY_FEATURE
            add(
                name,
                "subprocessor",
                where(facts[fact]["location"], processing),
                _window(policy, fact),
                shaping.email_rule if emailed else "subprocessor",
                "if emailed" if emailed else "",
            )
    return pd.DataFrame(rows, columns=FLOW_COLUMNS).astype(
        {"retention_min_days": "Int64", "retention_max_days": "Int64"}
    )


def _provider_flow(
    item, provider, effects, policy, facts, where, add, provider_rules, row_doubt, whitepaper_providers
) -> None:
    """One model-provider flow: the whitepaper's providers keep content up to its trust and
    safety window in the US; later providers and unnamed ones as their facts say (unknown).
    Under an option whose third-party routing is unknown (ZM+), the flow is possible."""
    if provider == UNKNOWN:
        party, fact, location = UNNAMED_PROVIDER, "later_provider_retention", UNKNOWN
        rule = "provider_unknown"
    else:
        known = provider in whitepaper_providers
        party = provider
        fact = "provider_trust_safety_retention" if known else "later_provider_retention"
        region = item.model_provider_region
        location = facts[fact]["location"] if known or pd.isna(region) else region
        rule = provider_rules.get((item.feature_id, provider), "model_provider")
    extra = ("provider_routing_unknown",) if effects.third_party == UNKNOWN else ()
    add(
        party,
        "model_provider",
        where(location),
        _window(policy, fact),
        rule,
        extra=extra,
        row_certainty=row_doubt,
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
    unknown = UNKNOWN in rules  # a later fact set: the sources do not give the retention rule
    rules = [r for r in rules if r != UNKNOWN]
    shared_only = {r: facts[r]["condition"] == "if_shared" for r in rules}
    shared_only = {r: bool(v) if not pd.isna(v) else False for r, v in shared_only.items()}
    stored: list[Window] = []
    for rule in rules:
        kind = facts[rule]["party_kind"]
        condition = "if shared" if shared_only[rule] else ""
        window = _limit(policy, rule, options)
        if kind == "customer_storage":
            stored.append(window)
        elif kind == "email_provider":
            add(
                PARTY_NAMES[kind],
                kind,
                where(facts[rule]["location"]),
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
                else facts[rule]["location"]
            )
            add(PARTY_NAMES[kind], kind, where(location), window, kind, condition)
    unknown_window: Window = (0, None, UNKNOWN, "retention rule unknown", "")
    if unknown and stored:
        stored.append(unknown_window)
    elif unknown:
        location = item.customer_storage_location
        add(
            PARTY_NAMES["customer_storage"],
            "customer_storage",
            where(UNKNOWN if pd.isna(location) else location),
            unknown_window,
            "storage_unknown",
        )
    if stored:
        location = (
            item.customer_storage_location
            if not pd.isna(item.customer_storage_location)
            else facts[rules[0]]["location"]
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


def flows(
    configuration: str | Configuration = "default", region: str = "US", facts: str = DEFAULT_FACTS
) -> pd.DataFrame:
    """Flows of a named (or given) configuration for a hosting region and fact set,
    tenant-independent."""
    config = get_configuration(configuration) if isinstance(configuration, str) else configuration
    return flows_for(options_for(config, region, facts))
