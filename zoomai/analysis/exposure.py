"""Exposure: the flows of a configuration weighted by a tenant's usage and each user's
effective settings.

How a tenant is analysed under a configuration:

1. the configuration is applied (locked account-level settings, ZMO/ZDR) and each user's
   effective settings computed; users with the same flow-relevant values form a setting group;
2. each group gets its own flows (`flows_for`): what is available to it, who holds each
   content item, where and for how long; hosting outside the US gives ZMO semantics;
3. every use (usage row) of an available feature puts one record of each content item at
   each party of the feature's flows; flows conditioned "if shared"/"if emailed" count only
   for uses whose output was shared. Uses of features unavailable to the user are lost.

People are participants of an activity (meeting, call, thread, ...), counted once per
activity and setting group for each party and data category (a person in two meetings counts
twice). People without AI notice follow data/notice.yaml.

Every figure comes as bounds: the lower bound (`*_min`) counts stated flows only, the upper
bound (`*_max`) every flow (stated, possible, inferred; and assumed ones, which only arise
where settings are left open). The unsuffixed figures (`records`, `people_internal`, ...) are
the upper bound; totals, compare, what-if and the Pareto front take `bound="min"` for the lower.

Every figure says what usage it rests on: the exposure table has one row per party, data category
and usage `source` (observed, estimated, simulated; see zoomai.tenants.tables.USAGE_SOURCES), and
the totals give uses and records per source (`uses_observed`, `records_observed`, ...). The
source is the extra grouping column of the usage key (`UsageKeys.source`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from zoomai.analysis.configurations import (
    Configuration,
    apply_configuration,
    get_configuration,
    load_configurations,
)
from zoomai.analysis.flows import (
    EMAIL_KEY,
    FLOW_COLUMNS,
    RECIPIENTS_KEY,
    RESTRICT_KEY,
    FlowOptions,
    all_flows,
    availability,
    flows_key,
    switched_off,
    window_kind,
)
from zoomai.analysis.usage_summary import (
    Summariser,
    Units,
    UsageSummary,
    key_code,
    key_size,
    participants,
    summary_from_rows,
    user_positions,
)
from zoomai.core.csvio import split_list
from zoomai.core.errors import ZoomaiError
from zoomai.facts.certainty import LOWER_BOUND
from zoomai.facts.factset import DEFAULT_FACTS, flow_inputs
from zoomai.facts.notice import load_notice_rules, share_below
from zoomai.facts.policy import Policy, load_policy
from zoomai.facts.registry import RETENTION_EXTRA_PERIODS, RETENTION_LIMITS, SETTINGS, SPECS, parse_value
from zoomai.tenants.effective import effective_values
from zoomai.tenants.tables import USAGE_SOURCES, Tenant, tenant_routing
from zoomai.tenants.usage import covered_features

# Worst-case horizon of the exposure score: an unbounded or unknown window counts as this many
# days, a longer bounded one is capped at it. An analysis choice, not a whitepaper fact.
SCORE_HORIZON_DAYS = 365
THIRD_PARTY_KINDS = ("model_provider", "subprocessor")
NO_BORDER = ("device", "unknown")  # locations that are not a hosting region
NO_USERS = "no users in the tenant"  # the reason a feature reaches nobody when there is nobody

BOUNDS = ("min", "max")
# Figures given as bounds: FIGURE_min (stated flows only) and FIGURE_max (every flow).
BOUNDED_FIGURES = ["records", "record_days", "people_internal", "people_external", "people_without_notice"]
EXPOSURE_COLUMNS = [
    "tenant_id",
    "party",
    "party_kind",
    "data_category",
    "records",
    "people_internal",
    "people_external",
    "people_without_notice",
    "record_days",
    "records_unbounded",
    "records_unknown",
    "cross_border_records",
    "records_location_unknown",
    *(f"{figure}_{b}" for figure in BOUNDED_FIGURES for b in BOUNDS),
    "source",
]
# Totals per usage source: uses, and records at the bound asked.
SOURCE_FIGURES = [f"{figure}_{source}" for figure in ("uses", "records") for source in USAGE_SOURCES]
FIGURES = [
    "records",
    "record_days",
    "records_unbounded",
    "records_unknown",
    "cross_border_records",
    "third_party_records",
    "people_internal",
    "people_external",
    "people_without_notice",
    "exposure_score",
]
# Totals give every figure at the bound asked for, and the main ones at both bounds.
TOTAL_BOUNDED = [*BOUNDED_FIGURES, "third_party_records", "exposure_score"]
TOTAL_COLUMNS = [
    "tenant_id",
    *FIGURES,
    "features_available",
    "features_in_use",
    "uses",
    "uses_lost",
    "bound",
    *(f"{figure}_{b}" for figure in TOTAL_BOUNDED for b in BOUNDS),
    *SOURCE_FIGURES,
]
FEATURE_COLUMNS = [
    "tenant_id",
    "feature_id",
    "product",
    "feature",
    "users",
    "users_available",
    "uses",
    "uses_lost",
    "usage_data",
    "status",
    "reason",
    "certainty",
]


def flow_keys() -> tuple[str, ...]:
    """Registry keys that change flows or notice: feature switches, summary sharing and email,
    the auto-delete settings, and the settings notice rules read."""
    keys = {s.key for s in SETTINGS if s.feature_id}
    keys |= {RECIPIENTS_KEY, EMAIL_KEY, RESTRICT_KEY}
    keys |= {k for pair in RETENTION_LIMITS.values() for k in pair}
    keys |= {k for extra in RETENTION_EXTRA_PERIODS.values() for k in extra}
    keys |= set(load_notice_rules()["setting"].dropna())
    return tuple(sorted(keys))


@dataclass
class Scenario:
    """One tenant under one configuration, ready to weigh usage.

    `flows`: FLOW_COLUMNS plus `group` (setting group), `f` (feature code), `window`
    (bounded, unbounded, unknown) and `k1`/`k0` (usage keys counted: shared / not shared; k0 is
    -1 where the flow holds content only if shared). `available`: the availability columns
    (feature_id, available, reason, ...) plus `f` and `group`. `user_group`: the group of each
    row of `users`. `names`: product and feature name of each feature_id of the fact set (also
    for features no setting group names).
    """

    tenant_id: str
    region: str
    tenant: Tenant
    groups: list[FlowOptions]
    user_group: np.ndarray
    flows: pd.DataFrame
    available: pd.DataFrame
    features: list[str]
    names: pd.DataFrame


def tenant_ids(tenant: Tenant) -> list[str]:
    return tenant.tenants["tenant_id"].tolist()


def one_tenant(tenant: Tenant, tenant_id: str) -> Tenant:
    """The tables of one tenant of a (possibly concatenated) Tenant."""
    if len(tenant.tenants) == 1:
        return tenant
    return Tenant(**{name: df[df["tenant_id"] == tenant_id] for name, df in vars(tenant).items()})


def _configuration(configuration: str | Configuration) -> Configuration:
    return get_configuration(configuration) if isinstance(configuration, str) else configuration


def scenario(
    tenant: Tenant,
    configuration: str | Configuration = "default",
    matrix: pd.DataFrame | None = None,
    policy: Policy | None = None,
    facts: str = DEFAULT_FACTS,
) -> Scenario:
    """Apply the configuration to a single tenant and build the flows of each setting group."""
    applied = apply_configuration(tenant, _configuration(configuration))
    return scenario_from(applied, user_settings(applied), matrix, policy, facts=facts)


def flow_settings(applied: Tenant) -> pd.DataFrame:
    """Each user's effective values of the flow keys: one row per user (in `users` order),
    one column per flow key, canonical text or "" where unset."""
    return effective_values(applied, list(flow_keys()))


@dataclass
class UserSettings:
    """Users' flow settings (`flow_settings`) kept once per distinct row: `keys` (the flow
    keys), `rows` (the distinct rows of values, in order of first appearance) and `row` (each
    user's row, users table order). A what-if change rewrites a value of the few rows, not
    every user's."""

    keys: list[str]
    rows: list[tuple[str, ...]]
    row: np.ndarray

    def changed(self, key: str, value: str) -> UserSettings:
        """The settings with `key` set to `value` for every user."""
        i = self.keys.index(key)
        return replace(self, rows=[(*r[:i], value, *r[i + 1 :]) for r in self.rows])

    def everywhere(self, key: str, value: str) -> bool:
        """Whether every user has `key` set to `value`."""
        i = self.keys.index(key)
        return all(r[i] == value for r in self.rows)


def user_settings(applied: Tenant) -> UserSettings:
    """The flow settings of the users of a tenant with its configuration applied."""
    wide = flow_settings(applied)
    row, rows = _factorize_rows(wide)
    return UserSettings(keys=list(wide.columns), rows=rows, row=row)


def scenario_from(
    applied: Tenant,
    settings: UserSettings,
    matrix: pd.DataFrame | None = None,
    policy: Policy | None = None,
    memo: dict | None = None,
    facts: str = DEFAULT_FACTS,
) -> Scenario:
    """The scenario of a tenant with its configuration applied, given its users' flow settings
    (`user_settings`), under the fact set `facts`. `memo` keeps the flows of setting groups
    across calls with the same matrix, policy and fact set (what-if), per `flows_key`."""
    default_matrix, default_policy = flow_inputs(facts)
    policy = policy or default_policy
    in_use = default_matrix if matrix is None else matrix
    features = list(dict.fromkeys(in_use["feature_id"]))
    info = applied.info
    memo = {} if memo is None else memo
    # users with equal rows form a group; rows a change made equal merge their groups, which
    # keep the order of their users' first appearance (that of their rows)
    index: dict[tuple[str, ...], int] = {}
    row_group = np.array([index.setdefault(r, len(index)) for r in settings.rows], dtype=np.int64)
    groups, parts = [], []
    for values in index:
        options = FlowOptions(
            routing=tenant_routing(info),
            zdr=bool(info["zdr_enabled"]),
            region=str(info["hosting_region"]),
            settings={k: parse_value(SPECS[k], v) for k, v in zip(settings.keys, values, strict=True) if v},
            facts=facts,
        )
        groups.append(options)
        parts.append(_group_flows(options, matrix, policy, features, memo))
    if not parts:  # no users: no setting group; the tables, without rows
        table, _, avail = _group_flows(FlowOptions(facts=facts), matrix, policy, features, memo)
        parts = [(table, np.zeros(0, dtype=np.int64), avail.head(0))]
    # each group's flows are rows of a table of every feature's flows (one per flows_key)
    tables = list({id(table): table for table, _, _ in parts}.values())
    offset = dict(zip(map(id, tables), np.cumsum([0, *map(len, tables)]), strict=False))
    stacked = tables[0] if len(tables) == 1 else pd.concat(tables, ignore_index=True)
    flows = stacked.take(np.concatenate([offset[id(table)] + rows for table, rows, _ in parts]))
    flows = flows.reset_index(drop=True)
    flows.insert(len(FLOW_COLUMNS), "group", _group_column([rows for _, rows, _ in parts]))
    flows["k1"] = (flows["group"].to_numpy() * len(features) + flows["f"].to_numpy()) * 2 + 1
    flows["k0"] = np.where(flows["condition"] == "", flows["k1"] - 1, -1)
    available = pd.concat([avail for _, _, avail in parts], ignore_index=True)
    available["group"] = _group_column([avail for _, _, avail in parts])
    return Scenario(
        tenant_id=str(info["tenant_id"]),
        region=str(info["hosting_region"]),
        tenant=applied,
        groups=groups,
        user_group=row_group[settings.row],
        flows=flows,
        available=available,
        features=features,
        names=in_use[["feature_id", "product", "feature"]]
        .drop_duplicates("feature_id")
        .set_index("feature_id"),
    )


def _group_flows(
    options: FlowOptions, matrix: pd.DataFrame | None, policy: Policy, features: list[str], memo: dict
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """A setting group's flows as (table, rows, availability): the flows of every feature
    (all_flows, with `f`, the feature code, and `window`, window_kind), the rows of it of the
    features available to the group (flows_for), and the group's availability (with `f`). Memoised in
    `memo` per what they depend on: many groups and what-if changes share them."""
    key = flows_key(options)
    if ("flows", key) not in memo:
        table = all_flows(options, matrix, policy)
        table["f"] = pd.Index(features).get_indexer(table["feature_id"])
        table["window"] = window_kind(table)
        memo["flows", key] = table
    table = memo["flows", key]
    avail_key = ("available", key, frozenset(switched_off(options.settings)))
    if avail_key not in memo:
        avail = availability(options, matrix, policy)
        avail["f"] = pd.Index(features).get_indexer(avail["feature_id"])
        on = np.zeros(len(features), dtype=bool)
        on[avail.loc[avail["available"], "f"].to_numpy()] = True
        memo[avail_key] = (np.flatnonzero(on[table["f"].to_numpy()]), avail)
    return table, *memo[avail_key]


def _group_column(parts: Sequence) -> np.ndarray:
    """The setting group of each row of the groups' parts put one under the other."""
    return np.repeat(np.arange(len(parts), dtype=np.int64), [len(p) for p in parts])


def _factorize_rows(frame: pd.DataFrame) -> tuple[np.ndarray, list[tuple]]:
    """Codes of the distinct rows of `frame` (in order of appearance) and those rows as tuples:
    each column factorised on its own, the codes combined column by column (much cheaper than
    hashing whole rows or a MultiIndex), tuples built only for one row of each code."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns:
        column_codes, values = pd.factorize(frame[column], use_na_sentinel=False)
        codes, _ = pd.factorize(codes * len(values) + column_codes)
    first = pd.Series(codes).drop_duplicates().index.to_numpy()  # codes are in order of appearance
    return codes, list(frame.iloc[first].itertuples(index=False, name=None))


@dataclass
class UsageKeys:
    """Usage of one tenant as arrays: the usage key of each row (setting group, then
    usage_summary.KEY_COLUMNS: feature, shared), its setting group, and its usage source (index
    into USAGE_SOURCES): the extra column every figure is split by."""

    key: np.ndarray
    group: np.ndarray
    source: np.ndarray


def usage_keys(sc: Scenario) -> UsageKeys:
    usage = sc.tenant.usage
    group = sc.user_group[user_positions(usage, sc.tenant.users["user_id"], sc.tenant_id)]
    code = key_code(usage, sc.features, sc.tenant_id)
    source = pd.Categorical(usage["source"], categories=USAGE_SOURCES).codes.astype(np.int64)
    return UsageKeys(key=group * key_size(sc.features) + code, group=group, source=source)


def only_source(sc: Scenario, source: str) -> Scenario:
    """The scenario with only the usage of one source."""
    usage = sc.tenant.usage
    return replace(sc, tenant=Tenant(**{**vars(sc.tenant), "usage": usage[usage["source"] == source]}))


def _row_units(sc: Scenario, rows: UsageKeys) -> Units:
    """Every usage row as a unit entry: people count once per activity and setting group."""
    internal, external = participants(sc.tenant.usage)
    unit = sc.tenant.usage["activity_id"].to_numpy() * len(sc.groups) + rows.group
    return Units(unit=unit, key=rows.key, internal=internal, external=external)


def _without_notice_coefficients(sc: Scenario, policy: Policy) -> tuple[np.ndarray, np.ndarray, int]:
    """Per usage key: people without notice = (a * internal + b * external participants) / d.
    Whole numbers a, b over the number of users d (a share of clients is a count over d), so
    sums are exact, whatever their order (rows or summarised activities)."""
    n_keys = len(sc.groups) * key_size(sc.features)
    a, b = np.zeros(n_keys, dtype=np.int64), np.zeros(n_keys, dtype=np.int64)
    versions = sc.tenant.users["client_version"]
    d = max(len(versions), 1)
    below_of: dict[str, int] = {}  # users whose client is below each minimum version
    for rule in load_notice_rules().itertuples(index=False):
        f = sc.features.index(rule.feature_id)
        client = rule.mechanism == "client_version"
        if client and (version := str(policy.value(rule.fact))) not in below_of:
            below_of[version] = round(share_below(versions, version) * len(versions))
        below = below_of[version] if client else 0
        for g, options in enumerate(sc.groups):
            if client:
                coef = (below if rule.people == "all" else 0, below)
            elif rule.mechanism == "setting":
                coef = (0, 0 if options.settings.get(rule.setting) is True else d)
            else:
                coef = (d if rule.people == "all" else 0, d)
            k = (g * len(sc.features) + f) * 2
            a[k : k + 2], b[k : k + 2] = coef
    return a, b, d


@dataclass
class Result:
    """Exposure of one tenant under one configuration: `exposure` (EXPOSURE_COLUMNS),
    `totals` (one TOTAL_COLUMNS row as a dict), `features` (FEATURE_COLUMNS) and `items` (the
    scenario's flows, one row per setting group, content item and party, with
    RECORD_FIGURES)."""

    exposure: pd.DataFrame
    totals: dict[str, object]
    features: pd.DataFrame
    items: pd.DataFrame


def _check_bound(bound: str) -> None:
    if bound not in BOUNDS:
        raise ZoomaiError(f"unknown bound {bound!r}; expected one of {list(BOUNDS)}")


def analyse(sc: Scenario, policy: Policy | None = None, bound: str = "max") -> Result:
    """Weigh a scenario's flows by its tenant's usage rows. `bound`: which bound the unsuffixed
    totals (and so the exposure score) give: max (every flow) or min (stated flows only).
    The reference for analyse_summary (which gives the same Result from a usage summary).
    Usage of several sources gives one exposure table per source (people are counted per
    activity, never across sources)."""
    _check_bound(bound)
    policy = policy or load_policy()
    rows = usage_keys(sc)
    n_keys = len(sc.groups) * key_size(sc.features)
    counts = np.bincount(rows.key, minlength=n_keys)
    by_source = {
        s: np.bincount(rows.key[rows.source == i], minlength=n_keys)
        for i, s in enumerate(USAGE_SOURCES)
        if (rows.source == i).any()
    }
    result = weigh(sc, counts, _row_units(sc, rows), policy, bound, by_source)
    if len(by_source) > 1:
        parts = [analyse(only_source(sc, s), policy, bound).exposure for s in by_source]
        result.exposure = pd.concat(parts, ignore_index=True).sort_values(
            [*PAIR_COLUMNS, "source"], ignore_index=True
        )
    return result


def analyse_summary(
    sc: Scenario, summary: UsageSummary, policy: Policy | None = None, bound: str = "max"
) -> Result:
    """The Result of `analyse`, from the tenant's usage summary instead of its usage rows (the
    scenario's setting groups must be unions of the summary's user classes; the usage of one
    source: see `_weigher`)."""
    _check_bound(bound)
    if summary.features != sc.features:
        raise ZoomaiError("the usage summary was made for another feature matrix")
    if len(summary.sources) > 1:
        raise ZoomaiError("usage of several sources is weighed from its rows (analyse)")
    counts, units = summary.project(sc.user_group, len(sc.groups))
    return weigh(sc, counts, units, policy or load_policy(), bound, dict.fromkeys(summary.sources, counts))


PAIR_COLUMNS = ["party", "party_kind", "data_category"]


def weigh(
    sc: Scenario,
    counts: np.ndarray,
    units: Units,
    policy: Policy,
    bound: str,
    by_source: dict[str, np.ndarray],
) -> Result:
    """The Result of a scenario given its uses per usage key (`counts`; `by_source`: the same
    per usage source present) and its people units. The exposure rows name the source when
    there is one (analyse splits them when there are several)."""
    items = _item_figures(sc.flows, counts, sc.region)
    # one row per (flow, data category): a content item of several categories counts in each
    flows = items[[*PAIR_COLUMNS, *PAIR_FIGURES, "lower", "k1", "k0"]]
    flows = flows.assign(data_category=flows["data_category"].map(split_list)).explode(
        "data_category", ignore_index=True
    )
    pair, pairs = _factorize_rows(flows[PAIR_COLUMNS])
    flows["pair"] = pair
    people = _people(sc, flows, units, policy)
    table = flows.groupby("pair")[PAIR_FIGURES].sum()
    table = table.join(people["pairs"])
    labels = pd.DataFrame(list(pairs), columns=PAIR_COLUMNS)
    exposure = labels.join(table, how="inner")
    exposure = exposure.assign(
        tenant_id=sc.tenant_id,
        **{f"{figure}_max": exposure[figure] for figure in BOUNDED_FIGURES},
        source=next(iter(by_source), USAGE_SOURCES[-1]),
    )
    exposure = exposure.loc[exposure["records"] > 0, EXPOSURE_COLUMNS].sort_values(
        [*PAIR_COLUMNS, "source"], ignore_index=True
    )
    exposure["source"] = pd.Categorical(exposure["source"], categories=USAGE_SOURCES)

    features = _features(sc, counts, covered_features(by_source))
    at = {b: {**_total_figures(items, b), **people["totals"][b]} for b in BOUNDS}
    totals = {
        "tenant_id": sc.tenant_id,
        **{figure: at[bound][figure] for figure in FIGURES},
        "features_available": int((features["status"] != "lost").sum()),
        "features_in_use": int((features["uses"] > features["uses_lost"]).sum()),
        "uses": int(counts.sum()),
        "uses_lost": int(features["uses_lost"].sum()),
        "bound": bound,
        **{f"{figure}_{b}": at[b][figure] for figure in TOTAL_BOUNDED for b in BOUNDS},
        **_source_totals(sc, by_source, bound, at[bound]["records"]),
    }
    return Result(exposure=exposure, totals=totals, features=features, items=items)


def _source_totals(
    sc: Scenario, by_source: dict[str, np.ndarray], bound: str, records: int
) -> dict[str, int]:
    """Uses and records (at `bound`; `records`: the tenant's, all sources) per usage source."""
    out: dict[str, int] = {}
    for source in USAGE_SOURCES:
        counts = by_source.get(source)
        out[f"uses_{source}"] = 0 if counts is None else int(counts.sum())
        if counts is None:
            out[f"records_{source}"] = 0
        elif len(by_source) == 1:  # the only source
            out[f"records_{source}"] = records
        else:
            items = _item_figures(sc.flows, counts, sc.region)
            out[f"records_{source}"] = int(
                (items if bound == "max" else items[items["lower"]])["records"].sum()
            )
    return {figure: out[figure] for figure in SOURCE_FIGURES}


RECORD_FIGURES = [
    "records",
    "record_days",
    "records_unbounded",
    "records_unknown",
    "cross_border_records",
    "records_location_unknown",
]
PAIR_FIGURES = [*RECORD_FIGURES, "records_min", "record_days_min"]  # summed per (party, category)


def _total_figures(items: pd.DataFrame, bound: str) -> dict[str, int]:
    """The record figures of the totals over every flow (max) or the stated flows only (min)."""
    counted = items["lower"].to_numpy() if bound == "min" else np.ones(len(items), dtype=bool)
    third_party = counted & items["party_kind"].isin(THIRD_PARTY_KINDS).to_numpy()
    return {
        **{
            c: int(items[c].to_numpy()[counted].sum())
            for c in RECORD_FIGURES
            if c != "records_location_unknown"
        },
        "third_party_records": int(items["records"].to_numpy()[third_party].sum()),
        "exposure_score": int(items["score"].to_numpy()[counted].sum()),
    }


def _item_figures(flows: pd.DataFrame, counts: np.ndarray, region: str) -> pd.DataFrame:
    """The flows (one row per content item and party) with RECORD_FIGURES, `score`, `lower`
    (counted in the lower bound: a stated flow), records_min and record_days_min."""
    k0 = flows["k0"].to_numpy(dtype=np.int64)
    records = counts[flows["k1"].to_numpy(dtype=np.int64)] + np.where(k0 >= 0, counts[np.maximum(k0, 0)], 0)
    window = flows["window"].to_numpy()
    bounded = window == "bounded"
    days = flows["retention_max_days"].fillna(0).to_numpy(dtype=np.int64)
    location = flows["location"].to_numpy()
    outside = ~np.isin(location, [region, *NO_BORDER])
    lower = flows["certainty"].isin(LOWER_BOUND).to_numpy()
    record_days = np.where(bounded, records * days, 0)
    figures = dict(
        records=records,
        record_days=record_days,
        records_unbounded=np.where(window == "unbounded", records, 0),
        records_unknown=np.where(window == "unknown", records, 0),
        cross_border_records=np.where(outside, records, 0),
        records_location_unknown=np.where(location == "unknown", records, 0),
        score=records * np.where(bounded, np.minimum(days, SCORE_HORIZON_DAYS), SCORE_HORIZON_DAYS),
        lower=lower,
        records_min=np.where(lower, records, 0),
        record_days_min=np.where(lower, record_days, 0),
    )
    return pd.concat([flows, pd.DataFrame(figures, index=flows.index)], axis=1)


def _people(sc: Scenario, flows: pd.DataFrame, units: Units, policy: Policy) -> dict:
    """People per (party, category) pair, once per unit (activity and setting group), and in
    total, at both bounds: bit p of a unit's mask marks pair p reached by any flow, bit
    p + n_pairs pair p reached by a stated flow (the lower bound)."""
    n_keys = len(sc.groups) * key_size(sc.features)
    n_pairs = int(flows["pair"].max()) + 1 if len(flows) else 0
    bits = np.r_[flows["pair"].to_numpy(), flows.loc[flows["lower"], "pair"].to_numpy() + n_pairs]
    key_cols = [flows[k].to_numpy() for k in ("k1", "k0")]
    keys_of = [np.r_[k, k[flows["lower"].to_numpy()]] for k in key_cols]
    words = max(1, -(-2 * n_pairs // 64))
    mask = np.zeros((n_keys, words), dtype=np.uint64)
    bit = np.left_shift(np.uint64(1), (bits % 64).astype(np.uint64))
    word = bits // 64
    for keys in keys_of:
        ok = keys >= 0
        np.bitwise_or.at(mask, (keys[ok], word[ok]), bit[ok])
    a, b, d = _without_notice_coefficients(sc, policy)
    row_mask = mask[units.key]
    touched = row_mask.any(axis=1)
    internal, external, unit = units.internal[touched], units.external[touched], units.unit[touched]
    weight = None if units.weight is None else units.weight[touched]
    row_mask = row_mask[touched]
    no_notice = a[units.key[touched]] * internal + b[units.key[touched]] * external
    if len(unit) and not (np.diff(unit) >= 0).all():
        order = np.argsort(unit, kind="stable")
        unit, row_mask, internal, external, no_notice = (
            x[order] for x in (unit, row_mask, internal, external, no_notice)
        )
        weight = None if weight is None else weight[order]
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]]) if len(unit) else np.array([], int)
    empty = len(starts) == 0
    unit_mask = np.bitwise_or.reduceat(row_mask, starts, axis=0) if not empty else row_mask
    figures = {
        "people_internal": np.maximum.reduceat(internal, starts) if not empty else internal,
        "people_external": np.maximum.reduceat(external, starts) if not empty else external,
        "people_without_notice": np.maximum.reduceat(no_notice, starts) if not empty else no_notice,
    }
    if weight is not None:  # a summarised unit stands for `weight` activities
        figures = {c: v * weight[starts] for c, v in figures.items()}
    combos, inverse = _distinct_rows(unit_mask)
    combo_sums = {c: np.bincount(inverse, weights=v, minlength=len(combos)) for c, v in figures.items()}
    per_bit = {c: np.zeros(2 * n_pairs) for c in figures}
    for p in range(2 * n_pairs):
        has = (combos[:, p // 64] >> np.uint64(p % 64)) & np.uint64(1) == 1
        for c in figures:
            per_bit[c][p] = combo_sums[c][has].sum()
    # people without notice are whole numbers over d; the counts are whole numbers
    per_bit = {
        c: (v / d).round(1) if c == "people_without_notice" else v.astype(np.int64)
        for c, v in per_bit.items()
    }
    pairs = pd.DataFrame(
        {
            **{c: v[:n_pairs] for c, v in per_bit.items()},
            **{f"{c}_min": v[n_pairs:] for c, v in per_bit.items()},
        }
    )
    lower_words = np.zeros(words, dtype=np.uint64)
    for p in range(n_pairs, 2 * n_pairs):
        lower_words[p // 64] |= np.uint64(1) << np.uint64(p % 64)
    reached_lower = (unit_mask & lower_words).any(axis=1)
    totals = {
        "max": {c: float(v.sum()) for c, v in figures.items()},
        "min": {c: float(v[reached_lower].sum()) for c, v in figures.items()},
    }
    totals = {
        b: {c: (round(v / d, 1) if c == "people_without_notice" else int(v)) for c, v in t.items()}
        for b, t in totals.items()
    }
    return {"pairs": pairs, "totals": totals}


def _distinct_rows(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a 2-D bit-mask array and each row's index into them (hashing,
    word by word: far faster than np.unique(axis=0), which sorts)."""
    codes = np.zeros(len(masks), dtype=np.int64)
    for w in range(masks.shape[1]):
        word_codes, word_values = pd.factorize(masks[:, w])
        codes, _ = pd.factorize(codes * len(word_values) + word_codes)
    first = np.full(int(codes.max(initial=-1)) + 1, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    return masks[first], codes


def _features(sc: Scenario, counts: np.ndarray, covered: frozenset[str]) -> pd.DataFrame:
    """Per feature: users it is available to, uses, uses lost (feature unavailable to the user);
    where it is lost, the reason and certainty of most groups it is lost to (of equally many,
    the first in sorted order), else why its availability is in doubt (the first group's word).
    Uses are <NA> (unknown) for a feature the usage does not cover (`covered`: see
    zoomai.tenants.usage.covered_features); `usage_data` says which."""
    n_f = len(sc.features)
    size = np.bincount(sc.user_group, minlength=len(sc.groups))
    group = sc.available["group"].to_numpy()
    f = sc.available["f"].to_numpy()
    on = sc.available["available"].to_numpy(dtype=bool)
    users_available = np.bincount(f[on], weights=size[group[on]], minlength=n_f).astype(np.int64)
    lost_key = np.zeros(len(sc.groups) * n_f, dtype=bool)
    lost_key[group[~on] * n_f + f[~on]] = True
    per_key = key_size(sc.features) // n_f
    per_group = counts.reshape(len(sc.groups), n_f, per_key).sum(axis=2)  # uses per group and feature
    users = int(size.sum())
    names = sc.names.reindex(sc.features)
    out = {
        "tenant_id": [sc.tenant_id] * n_f,
        "feature_id": sc.features,
        "product": names["product"].array,
        "feature": names["feature"].array,
        "users": np.full(n_f, users, dtype=np.int64),
        "users_available": users_available,
        "uses": pd.array(per_group.sum(axis=0), dtype="Int64"),
        "uses_lost": pd.array((per_group * lost_key.reshape(len(sc.groups), n_f)).sum(axis=0), dtype="Int64"),
        "usage_data": np.isin(np.array(sc.features, dtype=object), list(covered)),
        "status": np.select([users_available == 0, users_available < users], ["lost", "partly"], "available"),
    }
    out["uses"][~out["usage_data"]] = pd.NA
    out["uses_lost"][~out["usage_data"]] = pd.NA
    lost_f = f[~on].tolist()
    doubt: dict[int, str] = {}
    for i, said in zip(f[on].tolist(), sc.available["reason"].to_numpy()[on].tolist(), strict=True):
        if said:
            doubt.setdefault(i, said)
    reasons, certainties = (
        _most_common(lost_f, sc.available[column].to_numpy()[~on].tolist())
        for column in ("reason", "certainty")
    )
    nobody = NO_USERS if users == 0 else ""
    out["reason"] = [reasons.get(i, doubt.get(i, nobody)) for i in range(n_f)]
    out["certainty"] = [certainties.get(i, "") for i in range(n_f)]
    return pd.DataFrame(out, columns=FEATURE_COLUMNS)


def _most_common(keys: list, values: list) -> dict:
    """Per key, its most common value (of equally common ones the least, as Series.mode)."""
    best: dict = {}
    for (key, value), n in Counter(zip(keys, values, strict=True)).items():
        best[key] = min(best.get(key, (0, value)), (-n, value))
    return {key: value for key, (_, value) in best.items()}


def analysis(
    tenant: Tenant,
    configuration: str | Configuration = "default",
    bound: str = "max",
    facts: str = DEFAULT_FACTS,
) -> Result:
    """The whole analysis of a single tenant under a configuration and fact set, in one pass:
    totals (at `bound`), exposure, features and the flows with their records (see Result)."""
    policy = flow_inputs(facts)[1]
    return analyse(scenario(tenant, configuration, policy=policy, facts=facts), policy, bound=bound)


def each_tenant(
    tenant: Tenant,
    configuration: str | Configuration,
    matrix: pd.DataFrame | None = None,
    bound: str = "max",
    facts: str = DEFAULT_FACTS,
) -> Iterable[Result]:
    """The analysis of every tenant of `tenant` (one or several concatenated)."""
    _check_bound(bound)
    policy = flow_inputs(facts)[1]
    for tid in tenant_ids(tenant):
        sc = scenario(one_tenant(tenant, tid), configuration, matrix, policy, facts)
        yield analyse(sc, policy, bound)


def exposure(
    tenant: Tenant,
    configuration: str | Configuration = "default",
    matrix: pd.DataFrame | None = None,
    facts: str = DEFAULT_FACTS,
) -> pd.DataFrame:
    """Exposure per tenant, party and data category; columns EXPOSURE_COLUMNS.

    records: content-item records the party holds (a record of several data categories counts
    in each); people_internal/external: participants of the activities concerned;
    people_without_notice: those of them without AI notice (an estimate for meetings, see
    data/notice.yaml); record_days: records x the window's maximum days, for bounded windows
    only - records_unbounded and records_unknown count the others apart, never as zero;
    cross_border_records: held at a location other than the tenant's hosting region (the
    public counts as outside); records_location_unknown: held where the sources do not say.
    records_min/_max, record_days_min/_max, people_*_min/_max: the bounds (min: stated flows
    only; max: every flow, equal to the unsuffixed figure).
    """
    frames = [r.exposure for r in each_tenant(tenant, configuration, matrix, facts=facts)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=EXPOSURE_COLUMNS)


def feature_status(
    tenant: Tenant,
    configuration: str | Configuration = "default",
    matrix: pd.DataFrame | None = None,
    facts: str = DEFAULT_FACTS,
) -> pd.DataFrame:
    """Features available and lost per tenant; columns FEATURE_COLUMNS. status: available (to
    every user), partly, or lost (to none); reason: why it is unavailable where it is;
    certainty: how certain that is (switched off: stated; not ZMO eligible: inferred)."""
    frames = [r.features for r in each_tenant(tenant, configuration, matrix, facts=facts)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FEATURE_COLUMNS)


def totals(
    tenant: Tenant,
    configuration: str | Configuration = "default",
    matrix: pd.DataFrame | None = None,
    bound: str = "max",
    facts: str = DEFAULT_FACTS,
) -> pd.DataFrame:
    """One row per tenant; columns TOTAL_COLUMNS. Records count each content item once; people
    once per activity; exposure_score = records x min(window, SCORE_HORIZON_DAYS) with unbounded
    and unknown windows counted as the horizon (a worst case for ranking, not a fact). FIGURES
    are at `bound` (max: every flow; min: stated flows only), the *_min/*_max columns at both."""
    results = each_tenant(tenant, configuration, matrix, bound, facts)
    return pd.DataFrame([r.totals for r in results], columns=TOTAL_COLUMNS)


def pareto(frame: pd.DataFrame, cost: str = "exposure_score", value: str = "features_available") -> pd.Series:
    """True where no other row has lower-or-equal cost and higher-or-equal value, one strictly."""
    c, v = frame[cost].to_numpy(), frame[value].to_numpy()
    dominated = [
        bool(((c <= ci) & (v >= vi) & ((c < ci) | (v > vi))).any()) for ci, vi in zip(c, v, strict=True)
    ]
    return pd.Series(~np.array(dominated, dtype=bool), index=frame.index, name="pareto")


# How compare and what_if weigh each configuration: from a usage summary made once per tenant
# (summary), or from the usage rows again for each (rows: the reference they are tested against).
METHODS = ("summary", "rows")


def user_classes(scenarios: Sequence[Scenario]) -> np.ndarray:
    """Each user's class: users alike in the setting groups of every scenario (of one tenant)."""
    return _factorize_rows(pd.DataFrame({i: sc.user_group for i, sc in enumerate(scenarios)}))[0]


def _weigher(
    tenant: Tenant,
    scenarios: list[Scenario],
    policy: Policy,
    bound: str,
    method: str,
    summariser: Summariser | None,
) -> Callable[[Scenario], Result]:
    """A function scenario -> Result for scenarios of one tenant whose setting groups are
    unions of the classes of users alike in every one of `scenarios`."""
    if method not in METHODS:
        raise ZoomaiError(f"unknown method {method!r}; expected one of {list(METHODS)}")
    if method == "rows" and summariser is not None:
        raise ZoomaiError("method 'rows' reads tenant.usage; a summariser needs method 'summary'")
    if method == "rows" or (summariser is None and tenant.usage["source"].nunique() > 1):
        # usage of several sources (an imported tenant: observed and estimated) is split per
        # source activity by activity, from its rows
        return lambda sc: analyse(sc, policy, bound)
    summary = (summariser or summary_from_rows)(tenant, user_classes(scenarios), scenarios[0].features)
    return lambda sc: analyse_summary(sc, summary, policy, bound)


def compare(
    tenant: Tenant,
    configurations: Sequence[str | Configuration] = ("default", "zmo", "zdr"),
    bound: str = "max",
    facts: str = DEFAULT_FACTS,
    method: str = "summary",
    summariser: Summariser | None = None,
) -> pd.DataFrame:
    """Totals side by side: one row per (tenant, configuration), TOTAL_COLUMNS plus
    `configuration` and `pareto` (efficient among the configurations compared, per tenant:
    exposure score at `bound` against features available). `method`: see METHODS;
    `summariser`: makes the usage summary (default: from tenant.usage; see
    zoomai.analysis.partitioned for usage read partition by partition)."""
    _check_bound(bound)
    configs = [_configuration(c) for c in configurations]
    policy = flow_inputs(facts)[1]
    results: list[list[dict]] = [[] for _ in configs]
    for tid in tenant_ids(tenant):
        one = one_tenant(tenant, tid)
        scenarios = [scenario(one, c, policy=policy, facts=facts) for c in configs]
        weigh_one = _weigher(one, scenarios, policy, bound, method, summariser) if scenarios else None
        for i, sc in enumerate(scenarios):
            results[i].append(weigh_one(sc).totals)
    frames = [
        pd.DataFrame(rows, columns=TOTAL_COLUMNS).assign(configuration=c.name)
        for c, rows in zip(configs, results, strict=True)
    ]
    table = pd.concat(frames, ignore_index=True)
    table["pareto"] = pd.concat([pareto(part) for _, part in table.groupby("tenant_id", sort=False)])
    return table[["tenant_id", "configuration", *TOTAL_COLUMNS[1:], "pareto"]]


WHAT_IF_COLUMNS = [
    "tenant_id",
    "change",
    "key",
    "value",
    "exposure_score",
    "score_removed",
    "records_removed",
    "third_party_records_removed",
    "people_without_notice_removed",
    *(f"records_removed_{source}" for source in USAGE_SOURCES),
    "features_available",
    "features_lost",
    "uses_lost",
    "pareto",
    "rank",
]


def candidate_changes(base: Configuration) -> list[tuple[str, str, str]]:
    """Single changes to try on `base`: (label, key, value). Feature switches only off; other
    flow keys every value (enum choices, booleans, and day values the presets use); ZMO and ZDR
    on. Values the base already locks are skipped."""
    preset_values: dict[str, set[str]] = {}
    for config in load_configurations().values():
        for k, v in config.settings.items():
            preset_values.setdefault(k, set()).add(v)
    out = []
    for option in ("zmo", "zdr"):
        if not getattr(base, option):
            out.append((f"{option}=true", option, "true"))
    for key in flow_keys():
        spec = SPECS[key]
        if spec.feature_id:
            values = ["false"]
        elif spec.type == "bool":
            values = ["true", "false"]
        elif spec.type == "enum":
            values = list(spec.choices)
        else:
            values = sorted(preset_values.get(key, set()))
        out += [(f"{key}={v}", key, v) for v in values if base.settings.get(key) != v]
    return out


def changed_configuration(base: Configuration, key: str, value: str) -> Configuration:
    """The configuration a what-if change stands for: `base` with ZMO/ZDR on or `key` locked."""
    if key in ("zmo", "zdr"):
        return base.model_copy(update={key: True})
    return base.model_copy(update={"settings": {**base.settings, key: value}})


def with_change(applied: Tenant, settings: UserSettings, key: str, value: str) -> tuple[Tenant, UserSettings]:
    """The applied tenant and flow settings after one change: ZMO/ZDR on, or `key` locked to
    `value` at the account level, which puts it in force for every user (whitepaper: a lock
    stops every lower level). Equal to re-applying the changed configuration (tested)."""
    if key in ("zmo", "zdr"):
        tenants = applied.tenants.assign(**{f"{key}_enabled": True})
        if key == "zmo" and "routing" in tenants:
            tenants["routing"] = "zmo"
        return Tenant(**{**vars(applied), "tenants": tenants}), settings
    return applied, settings.changed(key, value)


def _in_force(applied: Tenant, settings: UserSettings, key: str, value: str) -> bool:
    if key in ("zmo", "zdr"):
        return bool(applied.info[f"{key}_enabled"])
    return settings.everywhere(key, value)


def what_if(
    tenant: Tenant,
    base: str | Configuration = "default",
    bound: str = "max",
    facts: str = DEFAULT_FACTS,
    method: str = "summary",
    summariser: Summariser | None = None,
) -> pd.DataFrame:
    """Single setting changes on `base` ranked by exposure removed against features lost;
    columns WHAT_IF_COLUMNS, figures at `bound` (max: every flow; min: stated flows only).
    Changes that alter no figure are left out. `pareto` marks changes no other change (or the
    base) beats on both exposure score and features available; rank orders Pareto-efficient
    changes first, then by score removed, then fewer features lost. `method`, `summariser`: see
    compare (every change only merges setting groups of the base: one summary serves all)."""
    _check_bound(bound)
    base_config = _configuration(base)
    policy = flow_inputs(facts)[1]
    frames = []
    for tid in tenant_ids(tenant):
        applied = apply_configuration(one_tenant(tenant, tid), base_config)
        settings = user_settings(applied)
        memo: dict = {}
        base_sc = scenario_from(applied, settings, policy=policy, memo=memo, facts=facts)
        weigh_one = _weigher(applied, [base_sc], policy, bound, method, summariser)
        ref = weigh_one(base_sc).totals
        rows = [{"change": "(base)", "key": "", "value": "", **ref}]
        for label, key, value in candidate_changes(base_config):
            if _in_force(applied, settings, key, value):
                continue  # already so for every user: nothing would change
            changed = scenario_from(
                *with_change(applied, settings, key, value), policy=policy, memo=memo, facts=facts
            )
            t = weigh_one(changed).totals
            if any(t[c] != ref[c] for c in (*FIGURES, "features_available", "uses_lost")):
                rows.append({"change": label, "key": key, "value": value, **t})
        table = pd.DataFrame(rows)
        table["pareto"] = pareto(table)
        table = table.assign(
            score_removed=ref["exposure_score"] - table["exposure_score"],
            records_removed=ref["records"] - table["records"],
            third_party_records_removed=ref["third_party_records"] - table["third_party_records"],
            people_without_notice_removed=(
                ref["people_without_notice"] - table["people_without_notice"]
            ).round(1),
            **{f"records_removed_{s}": ref[f"records_{s}"] - table[f"records_{s}"] for s in USAGE_SOURCES},
            features_lost=ref["features_available"] - table["features_available"],
            uses_lost=table["uses_lost"] - ref["uses_lost"],
        )
        table = table[table["change"] != "(base)"].sort_values(
            ["pareto", "score_removed", "features_lost", "change"], ascending=[False, False, True, True]
        )
        frames.append(table.assign(rank=np.arange(1, len(table) + 1)))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=WHAT_IF_COLUMNS)
    return out[WHAT_IF_COLUMNS]
