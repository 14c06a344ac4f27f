"""The tenant risk report's words: executive-summary findings with severity, and the citations
behind them.

Findings are built from the exposure figures (zoomai.analysis.exposure), the features a
configuration loses, its option guarantees (zoomai.analysis.guarantees) and the best single
setting changes (zoomai.analysis.exposure.what_if). What each finding says, its section (risk,
caveat, recommended change), its severity and why live in data/finding_rules.yaml; this module
computes each rule's measure and the values its sentence uses.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator, model_validator

from zoomai.analysis.configurations import Configuration, get_configuration
from zoomai.analysis.flows import switched_off
from zoomai.core.errors import DataError
from zoomai.core.paths import data_file
from zoomai.core.yamlio import problems_from, read_yaml
from zoomai.facts.certainty import load_flow_rules
from zoomai.facts.factset import DEFAULT_FACTS, flow_inputs
from zoomai.facts.policy import Policy, load_policy
from zoomai.facts.registry import SPECS, parse_value
from zoomai.reporting import formats, labels
from zoomai.tenants.tables import USAGE_SOURCES

FINDING_COLUMNS = ["group", "severity", "finding", "why", "source"]
CITATION_COLUMNS = ["fact", "statement", "source"]
# The values each rule's sentence may use (computed below), by rule id.
RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "provenance": ("records", "observed", "estimated", "simulated", "model", "observed_share"),
    "no_usage": (),
    "usage_gap": ("features", "users", "names"),
    "potential_only": ("features", "users", "names"),
    "no_content": (),
    "third_party_share": ("third", "records", "share"),
    "provider_range": ("range", "party"),
    "cross_border": ("cross", "share"),
    "unknown_retention": ("unknown", "share"),
    "unbounded_retention": ("unbounded", "share"),
    "people_without_notice": ("without", "people", "external", "share"),
    "guarantee_not_met": ("option", "statement"),
    "features_lost": ("features", "names", "uses"),
    "still_flows": ("option", "statement"),
    "change": ("action", "share", "cost", "support"),
}
SUPPORT_NOTE = " Zoom support must make this change."
NOT_ZMO_ELIGIBLE = "not ZMO eligible"  # zoomai.analysis.flows.availability's reason when ZMO is chosen
# Recommended changes shown: the best that lose no feature, then the best that lose some.
CHANGES_LOSING_NOTHING, CHANGES_LOSING_FEATURES = 3, 2


class Level(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: str
    at_least: float | None = None
    reason: str


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group: str
    text: str
    fact: str | None = None
    source: str | None = None
    severity: list[Level]

    @field_validator("fact")
    @classmethod
    def _known_fact(cls, value: str | None, info: ValidationInfo) -> str | None:
        facts = (info.context or {}).get("facts")
        if value is not None and facts is not None and value not in facts:
            raise ValueError("not a policy fact id of data/policy.yaml")
        return value

    @field_validator("severity")
    @classmethod
    def _thresholds(cls, value: list[Level]) -> list[Level]:
        if not value:
            raise ValueError("expected at least one level")
        if value[-1].at_least is not None:
            raise ValueError("the last level must have no at_least (it catches the rest)")
        bounds = [lv.at_least for lv in value[:-1]]
        if any(b is None for b in bounds) or bounds != sorted(bounds, reverse=True):  # type: ignore[type-var]
            raise ValueError("every level but the last needs at_least, from the highest down")
        return value


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    empty: str


class RulesFile(BaseModel):
    """data/finding_rules.yaml (see its header)."""

    model_config = ConfigDict(extra="forbid")
    groups: dict[str, Group]
    severities: list[str]
    support_options: dict[str, str]
    rules: dict[str, Rule]

    @model_validator(mode="after")
    def _consistent(self) -> RulesFile:
        missing, unknown = (
            sorted(set(RULE_FIELDS) - set(self.rules)),
            sorted(set(self.rules) - set(RULE_FIELDS)),
        )
        if missing or unknown:
            raise ValueError(
                f"rules: expected exactly {', '.join(RULE_FIELDS)}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(unknown)}" if unknown else "")
            )
        for rid, rule in self.rules.items():
            if rule.group not in self.groups:
                raise ValueError(
                    f"rules.{rid}.group: expected one of {', '.join(self.groups)}, got {rule.group!r}"
                )
            for lv in rule.severity:
                if lv.level not in self.severities:
                    expected = ", ".join(self.severities)
                    raise ValueError(f"rules.{rid}.severity: expected one of {expected}, got {lv.level!r}")
            used = {f for _, f, _, _ in string.Formatter().parse(rule.text) if f}
            if used - set(RULE_FIELDS[rid]):
                raise ValueError(
                    f"rules.{rid}.text: unknown field(s) {', '.join(sorted(used - set(RULE_FIELDS[rid])))}; "
                    f"this rule has {', '.join(RULE_FIELDS[rid]) or 'none'}"
                )
        if set(self.support_options) - set(labels.SUPPORT_OPTIONS):
            raise ValueError(f"support_options: expected among {', '.join(labels.SUPPORT_OPTIONS)}")
        return self

    @field_validator("support_options")
    @classmethod
    def _support_facts(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        facts = (info.context or {}).get("facts")
        bad = sorted(f for f in value.values() if facts is not None and f not in facts)
        if bad:
            raise ValueError(f"not a policy fact id of data/policy.yaml: {', '.join(bad)}")
        return value


def load_rules(path: Path | str | None = None) -> RulesFile:
    """The finding rules (default data/finding_rules.yaml), validated against the policy facts;
    DataError naming the file, line and field."""
    return _load(Path(path) if path else data_file("finding_rules.yaml"))


@cache
def _load(path: Path) -> RulesFile:
    data, lines = read_yaml(path)
    facts = set(load_policy().facts["id"])
    try:
        return RulesFile.model_validate(data or {}, context={"facts": facts})
    except ValidationError as exc:
        raise DataError(path, problems_from(exc, lines)) from None


def sections(rules: RulesFile | None = None) -> dict[str, str]:
    """The executive summary's sections in order (Risks, Caveats, Recommended changes): title ->
    the sentence shown when the section has no finding."""
    return {g.title: g.empty for g in (rules or load_rules()).groups.values()}


def citations(flows: pd.DataFrame, policy: Policy | None = None, facts: str = DEFAULT_FACTS) -> pd.DataFrame:
    """The policy facts the flows rest on (their `basis`), with statement and source section;
    columns CITATION_COLUMNS, sorted by fact id."""
    policy = policy or flow_inputs(facts)[1]
    known = set(policy.facts["id"])
    ids = {part.strip() for basis in flows["basis"].dropna() for part in str(basis).split(";")}
    rows = [
        {"fact": i, "statement": policy.fact(i)["statement"], "source": policy.cite(i)}
        for i in sorted(ids & known)
    ]
    return pd.DataFrame(rows, columns=CITATION_COLUMNS)


def _config(configuration: str | Configuration) -> Configuration:
    return configuration if isinstance(configuration, Configuration) else get_configuration(configuration)


def switched_off_by(configuration: str | Configuration) -> set[str]:
    """Feature ids the configuration itself switches off (its locked settings)."""
    config = _config(configuration)
    return switched_off({k: parse_value(SPECS[k], v) for k, v in config.settings.items()})


def feature_states(
    features: pd.DataFrame, configuration: str | Configuration = "default", tenant_zmo: bool = False
) -> pd.DataFrame:
    """`features` (zoomai.analysis.exposure.analysis(...).features) with `status` telling a
    feature the tenant's own settings make unavailable (`tenant_off`: switched off by the
    tenant, or not ZMO eligible where the tenant has ZMO or hosts outside the US) from one the
    configuration makes unavailable (`lost`: it switches the feature off, or turns ZMO on for a
    tenant without it). Under `default` nothing is lost that the tenant did not have."""
    config = _config(configuration)
    reason = features["reason"].astype(str)
    by_config = (reason == "switched off") & features["feature_id"].isin(switched_off_by(config))
    if config.routing_chosen == "zmo" and not tenant_zmo:
        by_config |= reason == NOT_ZMO_ELIGIBLE  # not "(hosted outside the US)": unavailable anyway
    tenant_off = (features["status"] == "lost") & ~by_config
    return features.assign(status=features["status"].where(~tenant_off, "tenant_off"))


def _in_force_fields(features: pd.DataFrame) -> dict[str, str]:
    """The fields of a finding about features in force: how many, for up to how many users, and
    their names with their products."""
    return {
        "features": formats.counted(len(features), "AI Companion feature"),
        "users": formats.counted(int(features["users_available"].max()), "user"),
        "names": ", ".join(
            f"{f} ({p})" for p, f in zip(features["product"], features["feature"], strict=True)
        ),
    }


def lost_in_use(features: pd.DataFrame, configuration: str | Configuration = "default") -> pd.DataFrame:
    """Features in use (uses > 0) that the configuration makes unavailable."""
    states = feature_states(features, configuration)
    return states[(states["status"] == "lost") & (states["uses"].fillna(0) > 0)]


def provider_bounds(items: pd.DataFrame) -> list[tuple[str, int, int]]:
    """(model provider, records_min, records) of `items` (exposure.Result.items), for every
    provider that may receive content, by name."""
    providers = items[items["party_kind"] == "model_provider"]
    sums = providers.groupby("party", sort=True)[["records_min", "records"]].sum()
    return [(str(p), int(r.records_min), int(r.records)) for p, r in sums.iterrows() if r.records > 0]


def _level(rule: Rule, measure: float) -> Level:
    return next(lv for lv in rule.severity if lv.at_least is None or measure >= lv.at_least)


def executive_summary(
    totals: Mapping[str, object],
    features: pd.DataFrame,
    guarantees: pd.DataFrame,
    changes: pd.DataFrame,
    items: pd.DataFrame,
    configuration: str | Configuration = "default",
    policy: Policy | None = None,
    rules: RulesFile | None = None,
    usage_model: str = "",
) -> pd.DataFrame:
    """Findings in the order a reader acts on them; columns FINDING_COLUMNS (group and severity
    as words of data/finding_rules.yaml). Risks, then caveats, then recommended changes; within
    a section by severity; changes that lose no feature before those that do.

    totals: exposure.analysis(...).totals (or a row of totals, with the `_min` bounds); features:
    its features; guarantees: option_guarantees of the configuration; changes: what_if on the
    configuration; items: its items (per party: records_min, records), for the model providers.
    Counts are ranges: the lower bound counts the flows the sources state, the upper also those
    they only allow. What the figures rest on comes first: records per usage source (naming
    `usage_model`, if any), or, without usage, that usage is unknown; a tenant without usage but
    with features in force gets the potential-exposure finding, never "no content is processed".
    """
    policy = policy or load_policy()
    rules = rules or load_rules()
    provider_source = load_flow_rules().set_index("rule").loc["model_provider", "source"]
    found: list[tuple] = []  # (rule id, measure, fields of its sentence, source, order found)

    def add(rid: str, measure: float, source: str | None = None, **fields: str) -> None:
        found.append((rid, measure, fields, source, len(found)))

    records, third = int(totals["records"]), int(totals["third_party_records"])  # upper bounds
    in_force = features[features["status"] != "lost"]
    gap = in_force[~in_force["usage_data"].astype(bool)]
    no_usage = records == 0 and int(totals["uses"]) == 0
    if no_usage:
        add("no_usage", 1.0)
    elif records:
        by_source = {s: int(totals[f"records_{s}"]) for s in USAGE_SOURCES}
        add(
            "provenance",
            by_source["estimated"] / records,
            records=formats.counted(records, "content record"),
            **{s: formats.count(n) for s, n in by_source.items()},
            model=f" (usage model {usage_model})" if usage_model else "",
            observed_share=formats.percent(by_source["observed"], records),
        )
    if len(gap) and not no_usage:  # without usage, no_usage says it of every feature
        add("usage_gap", len(gap) / len(in_force), **_in_force_fields(gap))
    if records == 0 and len(in_force):
        add("potential_only", 1.0, **_in_force_fields(in_force))
    elif records == 0:
        add("no_content", 1.0)
    else:
        add(
            "third_party_share",
            third / records,
            third=formats.count_range(totals["third_party_records_min"], third),
            records=formats.counted(formats.count_range(totals["records_min"], records), "content record"),
            share=formats.percent(third, records),
        )
    for party, low, high in provider_bounds(items):
        add(
            "provider_range",
            high / max(records, 1),
            provider_source,
            range=formats.counted(formats.count_range(low, high), "content record"),
            party=party,
        )
    cross = int(totals["cross_border_records"])
    if cross:
        add(
            "cross_border",
            cross / records,
            cross=formats.counted(cross, "record"),
            share=formats.percent(cross, records),
        )
    for rid, column in (
        ("unknown_retention", "records_unknown"),
        ("unbounded_retention", "records_unbounded"),
    ):
        n = int(totals[column])
        if n:
            add(
                rid,
                n / records,
                **{rid.split("_")[0]: formats.counted(n, "record")},
                share=formats.percent(n, records),
            )
    people = int(totals["people_internal"]) + int(totals["people_external"])
    without = float(totals["people_without_notice"])  # type: ignore[arg-type]
    if people and without > 0:
        add(
            "people_without_notice",
            without / people,
            without=formats.estimate(without),
            people=formats.counted(people, "person"),
            external=formats.count(totals["people_external"]),
            share=formats.percent(without, people),
        )
    broken = guarantees[(guarantees["kind"] == "guarantees") & ~guarantees["holds"].astype(bool)]
    for row in broken.itertuples(index=False):
        add(
            "guarantee_not_met",
            1.0,
            str(row.source_section),
            option=str(row.label),
            statement=str(row.statement),
        )
    lost = lost_in_use(features, configuration)
    if len(lost):
        names = ", ".join(labels.feature(f) for f in lost["feature_id"])
        add(
            "features_lost",
            1.0,
            features=formats.counted(len(lost), "feature"),
            names=names,
            uses=formats.counted(lost["uses"].sum(), "use"),
        )
    still = guarantees[(guarantees["kind"] == "still_flows") & guarantees["holds"].astype(bool)]
    for row in still.itertuples(index=False):
        add("still_flows", 1.0, str(row.source_section), option=str(row.label), statement=str(row.statement))
    score = max(int(totals["exposure_score"]), 1)
    # Among values of one setting that remove the same, the last in the registry's order (for
    # the summary recipients: the widest audience that still removes it) is the mildest change.
    helpful = changes[changes["score_removed"] > 0].sort_values(
        ["score_removed", "change"], ascending=[False, False]
    )
    helpful = helpful.drop_duplicates(["key", "score_removed", "features_lost"])
    best = pd.concat(
        [
            helpful[helpful["features_lost"] <= 0].head(CHANGES_LOSING_NOTHING),
            helpful[helpful["features_lost"] > 0].head(CHANGES_LOSING_FEATURES),
        ]
    )
    for row in best.itertuples(index=False):
        lost_n = int(row.features_lost)
        support = SUPPORT_NOTE if row.key in rules.support_options else ""
        add(
            "change",
            row.score_removed / score,
            action=labels.change(row.key, row.value),
            share=formats.percent(row.score_removed, score),
            cost="loses no feature" if lost_n <= 0 else f"loses {formats.counted(lost_n, 'feature')}",
            support=support,
        )

    groups, severities = list(rules.groups), rules.severities
    rows = []
    for rid, measure, fields, source, order in found:
        rule = rules.rules[rid]
        level = _level(rule, measure)
        cite = policy.cite(rule.fact) if rule.fact else rule.source or source or ""
        key = (
            groups.index(rule.group),
            0 if rule.group == "change" else severities.index(level.level),
            order,
        )
        rows.append(
            (key, rules.groups[rule.group].title, level.level, rule.text.format(**fields), level.reason, cite)
        )
    rows.sort(key=lambda r: r[0])
    return pd.DataFrame([r[1:] for r in rows], columns=FINDING_COLUMNS)
