"""The DPIA draft (GDPR Art. 35) and record of processing (Art. 30) of a tenant under a
configuration, derived from the flows and exposure the rest of zoomai computes:

- (a) description: per feature in force, its purpose, content items, data categories, data
  subjects, recipients with their location, retention windows with their certainty;
- (b) necessity: the less intrusive presets of the comparison and what each loses;
- (c) risks: the CNIL method's feared events and the generative-AI risks, severity and
  likelihood from data/dpia_rules.yaml at the lower and the upper bound of the figures;
- (d) measures: the options of the planned configuration, what they guarantee and what still
  flows, mapped to the risks they reduce, with the residual risk under that configuration;
- screening against the nine WP248 criteria (data/wp248_criteria.yaml);
- the record of processing: one row per purpose.

Every figure is taken from `zoomai.analysis.exposure` (analysis, compare, feature_status) under
the fact set asked for, not derived again, and says what share of it rests on observed, estimated
and simulated usage (the totals' uses_<source>/records_<source>). A tenant with settings but no
usage is described and screened by its potential exposure (zoomai.analysis.potential): what the
settings allow and how many users have each feature, never zero. Fields only people can fill are
ANALYST.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from zoomai.analysis.configurations import Configuration, get_configuration
from zoomai.analysis.datamap import load_datamap_spec
from zoomai.analysis.dpia_rules import RulesFile, Scale, load_criteria, load_dpia_rules
from zoomai.analysis.exposure import (
    NO_BORDER,
    THIRD_PARTY_KINDS,
    Result,
    analysis,
    compare,
    feature_status,
)
from zoomai.analysis.guarantees import option_guarantees
from zoomai.analysis.potential import features_in_force, potential_exposure, statements
from zoomai.core.csvio import split_list
from zoomai.facts.certainty import LOWER_BOUND
from zoomai.facts.factset import DEFAULT_FACTS, flow_inputs, load_facts
from zoomai.tenants.tables import USAGE_SOURCES, Tenant

ANALYST = "[analyst to complete]"
ENCRYPTION_FACTS = ("encryption_in_transit", "encryption_at_rest", "employee_access_requires_authorization")
UPPER_ONLY = "upper bound only: flows the sources say may happen, or readings"
SETTINGS_SIGNALS = ("features_available", "users", "users_in_force")  # from the settings, not usage
NO_USAGE = "none"  # the provenance of a tenant without usage: usage figures are unknown
PROVENANCE_COLUMNS = ["source", "uses", "uses_share", "records", "records_share"]

DESCRIPTION_COLUMNS = [
    "product",
    "feature",
    "purpose",
    "content_items",
    "data_categories",
    "data_subjects",
    "recipients",
    "retention",
    "potential",
    "users_available",
    "uses",
    "certainty",
    "source",
]
NECESSITY_COLUMNS = [
    "configuration",
    "exposure_score",
    "exposure_score_min",
    "exposure_score_max",
    "records",
    "records_min",
    "records_max",
    "third_party_records",
    "third_party_records_min",
    "third_party_records_max",
    "features_available",
    "features_lost",
    "loses",
    "less_intrusive",
    "pareto",
]
# signal: the figure a criterion tests (dpia_rules.SIGNALS), threshold: met above it, basis: what
# the figure rests on; value_min/_max: the figure at the lower and the upper bound.
SCREENING_COLUMNS = [
    "criterion",
    "title",
    "answer",
    "signal",
    "threshold",
    "basis",
    "value_min",
    "value_max",
    "question",
    "reason",
    "assumed",
]
RISK_COLUMNS = [
    "risk",
    "title",
    "kind",
    "cnil_item",
    "severity_min",
    "severity_max",
    "likelihood_min",
    "likelihood_max",
    "severity_reasons",
    "likelihood_reasons",
    "residual_severity_min",
    "residual_severity_max",
    "residual_likelihood_min",
    "residual_likelihood_max",
    "measures",
    "source",
]
MEASURE_COLUMNS = ["option", "label", "kind", "statement", "holds", "reduces", "source_section"]
ROPA_COLUMNS = [
    "purpose",
    "controller",
    "controller_contact",
    "dpo_contact",
    "legal_basis",
    "data_subjects",
    "data_categories",
    "recipients",
    "transfers",
    "transfer_safeguards",
    "retention",
    "security_measures",
    "source",
]


@dataclass(frozen=True)
class Dpia:
    """A DPIA draft. Tables have the *_COLUMNS of this module; `totals` is the exposure totals
    row (`zoomai exposure --view totals`) of the configuration in force, `exposure` its table
    per party and data category, `features` its features (`--view features`); `usage` the
    totals' uses and records per usage source with their shares (PROVENANCE_COLUMNS) and
    `provenance` the same in words ('100% simulated'; NO_USAGE without usage); `potential`
    the potential exposure of the configuration in force (potential.POTENTIAL_COLUMNS)."""

    tenant_id: str
    tenant_name: str
    configuration: str
    planned: str
    region: str
    facts: str
    provenance: str
    usage_model: str
    users: int
    usage: pd.DataFrame
    potential: pd.DataFrame
    totals: dict[str, object]
    exposure: pd.DataFrame
    features: pd.DataFrame
    description: pd.DataFrame
    necessity: pd.DataFrame
    screening: pd.DataFrame
    verdict: dict[str, object]
    risks: pd.DataFrame
    measures: pd.DataFrame
    ropa: pd.DataFrame
    newer_sources: pd.DataFrame
    signals: dict[str, dict[str, float | None]] = field(default_factory=dict)


def usage_provenance(totals: pd.Series | dict) -> pd.DataFrame:
    """What the figures rest on: per usage source (USAGE_SOURCES), the totals' uses and records
    (uses_<source>, records_<source>: at the totals' bound) and each one's share of all uses
    and records (None where there are none); columns PROVENANCE_COLUMNS."""
    uses = {s: int(totals[f"uses_{s}"]) for s in USAGE_SOURCES}
    records = {s: int(totals[f"records_{s}"]) for s in USAGE_SOURCES}
    all_uses, all_records = sum(uses.values()), sum(records.values())
    return pd.DataFrame(
        [
            {
                "source": s,
                "uses": uses[s],
                "uses_share": uses[s] / all_uses if all_uses else None,
                "records": records[s],
                "records_share": records[s] / all_records if all_records else None,
            }
            for s in USAGE_SOURCES
        ],
        columns=PROVENANCE_COLUMNS,
    )


def provenance_text(usage: pd.DataFrame, usage_model: str = "") -> str:
    """The usage split in words, by share of records (of uses when no use leaves a record):
    '100% simulated', '62% observed, 38% estimated (usage model m)'; NO_USAGE without uses."""
    if usage["uses"].sum() == 0:
        return NO_USAGE
    share = "records_share" if usage["records"].sum() else "uses_share"
    parts = [
        f"{min(max(round(value * 100), 1), 99) if value < 1 else 100}% {source}"  # 1% to 99% unless whole
        for source, value in zip(usage["source"], usage[share], strict=True)
        if value
    ]
    text = ", ".join(parts) + ("" if share == "records_share" else " of uses")
    return text + (f" (usage model {usage_model})" if usage_model else "")


def _name(configuration: str | Configuration) -> Configuration:
    return get_configuration(configuration) if isinstance(configuration, str) else configuration


# ----------------------------------------------------------------------------------- signals


def signals(result: Result, tenant: Tenant, bound: str, potential: pd.DataFrame) -> dict[str, float | None]:
    """The figures rules and criteria test (dpia_rules.SIGNALS) at one bound: `min` counts
    stated flows only, `max` every flow (as exposure's *_min/*_max). Without usage, party
    records are those of the potential exposure (`potential`: potential_exposure of the same
    configuration): one record per user who can send the content there; people are then
    unknown (None), never zero. users_in_force: the users of the feature in force that most
    users have (potential exposure)."""
    no_usage = tenant.usage.empty
    items = potential if no_usage else result.items
    items = items if bound == "max" else items[items["certainty"].isin(LOWER_BOUND)]
    region = tenant.info["hosting_region"]
    weight = items["users" if no_usage else "records"]
    kinds = items["party_kind"]
    t = result.totals
    out: dict[str, float | None] = {
        "records": float(weight.sum()),
        "third_party_records": float(weight[kinds.isin(THIRD_PARTY_KINDS)].sum()),
        "model_provider_records": float(weight[kinds == "model_provider"].sum()),
        "subprocessor_records": float(weight[kinds == "subprocessor"].sum()),
        "external_records": float(weight[kinds == "external_recipient"].sum()),
        "public_records": float(weight[kinds == "public"].sum()),
        "records_unknown": float(weight[items["window"] == "unknown"].sum()),
        "records_unbounded": float(weight[items["window"] == "unbounded"].sum()),
        "cross_border_records": float(weight[~items["location"].isin([region, *NO_BORDER])].sum()),
        "features_available": float(t["features_available"]),
        "users": float(len(tenant.users)),
        "users_in_force": float(features_in_force(potential)["users"].max()) if len(potential) else 0.0,
    }
    for name in ("people_internal", "people_external", "people_without_notice"):
        out[name] = None if no_usage else float(t[f"{name}_{bound}"])
    out["people_reached"] = (
        None if no_usage else float(t[f"people_internal_{bound}"]) + float(t[f"people_external_{bound}"])
    )
    return out


def level(scale: Scale, values: dict[str, float | None]) -> tuple[int, list[str]]:
    """A rule's level (1-4) for the signal values, and its reasons: the base, then every step
    that applies; a step on an unknown signal is not applied and says so."""
    value, reasons = int(scale.base), [scale.reason]
    for step, sign in [(s, 1) for s in scale.raise_] + [(s, -1) for s in scale.lower]:
        got = values[step.when.signal]
        if got is None:
            reasons.append(f"not known without usage data: {step.reason}")
        elif step.when.holds(got):
            value += sign * step.by
            reasons.append(f"{'+' if sign > 0 else '-'}{step.by}: {step.reason}")
    return max(1, min(4, value)), reasons


# ------------------------------------------------------------------------------------ parts


def _recipients(rows: pd.DataFrame, words: dict[str, str]) -> str:
    seen = rows.drop_duplicates(["party", "location", "certainty"])
    return "; ".join(f"{r.party} ({r.location}) {words[r.certainty]}" for r in seen.itertuples())


def _retention(rows: pd.DataFrame) -> str:
    """Each window once, with the parties that hold content for it and its certainty."""
    seen = rows.drop_duplicates(["party", "retention_note", "certainty"])
    windows = seen.groupby(["retention_note", "certainty"], sort=False)["party"].agg(", ".join)
    return " | ".join(f"{parties}: {note} [{certainty}]" for (note, certainty), parties in windows.items())


def _categories(rows: pd.DataFrame) -> str:
    return "; ".join(sorted({c for v in rows["data_category"] for c in split_list(v)}))


def facts_label(facts: str) -> str:
    """The fact set the flows rest on, as a source column cites it."""
    if facts == "v5.0":
        return "fact set v5.0 (whitepaper v5.0, July 2024)"
    return f"fact set {facts} (whitepaper v5.0 and Zoom's later pages)"


def describe(
    result: Result, rules: RulesFile, provenance: str, potential: pd.DataFrame, facts: str = DEFAULT_FACTS
) -> pd.DataFrame:
    """(a) One row per feature in force (available to some user): DESCRIPTION_COLUMNS.
    users_available and uses are those of `zoomai exposure --view features`; potential: what
    the settings let its users send where (potential.statements of `potential`), whatever the
    usage; uses are unknown where the usage does not cover the feature (e.g. without usage, or a
    feature of a later fact set), never the 0 of no usage."""
    spec = load_datamap_spec()
    said = statements(potential).groupby(["product", "feature"], sort=False)["statement"].agg(" ".join)
    features = result.features[result.features["status"] != "lost"]
    rows = []
    for f in features.itertuples():
        items = result.items[result.items["feature_id"] == f.feature_id]
        kept_for = [
            spec.retention_uses[b].label for b in dict.fromkeys(items["basis"]) if b in spec.retention_uses
        ]
        purpose = f"Provide {f.feature} ({f.product}) to the users who invoke it"
        if kept_for:
            purpose += "; kept afterwards for " + ", ".join(dict.fromkeys(kept_for))
        rows.append(
            {
                "product": f.product,
                "feature": f.feature,
                "purpose": purpose,
                "content_items": "; ".join(dict.fromkeys(items["content_item"])),
                "data_categories": _categories(items),
                "data_subjects": ", ".join(rules.subjects[f.product]),
                "recipients": _recipients(items, rules.certainty_words),
                "retention": _retention(items),
                "potential": said.get((f.product, f.feature), ""),
                "users_available": int(f.users_available),
                "uses": "unknown" if pd.isna(f.uses) else int(f.uses),
                "certainty": ", ".join(sorted(set(items["certainty"]))),
                "source": f"{facts_label(facts)}, "
                + "; ".join(dict.fromkeys(items["source_section"]))
                + f"; figures: zoomai exposure --view features (usage: {provenance})",
            }
        )
    return pd.DataFrame(rows, columns=DESCRIPTION_COLUMNS)


def necessity(
    tenant: Tenant,
    config: Configuration,
    features: pd.DataFrame,
    rules: RulesFile,
    facts: str = DEFAULT_FACTS,
) -> pd.DataFrame:
    """(b) The configuration in force beside the presets of rules.compare_with (figures of
    `zoomai compare --facts facts`): less_intrusive where its upper-bound exposure score is
    lower; loses: the features in force (`features`: those of `config`) it makes unavailable
    (`zoomai exposure --view features`)."""
    names = [config, *(c for c in rules.compare_with if c != config.name)]
    table = compare(tenant, names, facts=facts)
    base = table.iloc[0]
    label = {r.feature_id: f"{r.feature} ({r.product})" for r in features.itertuples()}
    in_force = set(features.loc[features["status"] != "lost", "feature_id"])
    loses = [""]
    for name in names[1:]:
        st = feature_status(tenant, name, facts=facts)
        lost = sorted(label[f] for f in in_force & set(st.loc[st["status"] == "lost", "feature_id"]))
        loses.append(", ".join(lost) or "nothing")
    return table.assign(
        features_lost=base["features_available"] - table["features_available"],
        loses=loses,
        less_intrusive=table["exposure_score_max"] < base["exposure_score_max"],
    )[NECESSITY_COLUMNS]


USAGE_FIGURES = [c for c in NECESSITY_COLUMNS if c.startswith(("exposure_score", "records", "third_party"))]


def without_usage(necessity: pd.DataFrame) -> pd.DataFrame:
    """For a tenant without usage data, the figures that count usage are unknown, not zero:
    records and exposure scores, and the comparisons made on them (less intrusive,
    Pareto-efficient). Features available and lost come from the settings and stay."""
    necessity = necessity.astype({c: "object" for c in [*USAGE_FIGURES, "less_intrusive", "pareto"]})
    necessity.loc[:, USAGE_FIGURES] = pd.NA
    necessity.loc[:, ["less_intrusive", "pareto"]] = "unknown"
    return necessity


def screening(lo: dict, hi: dict, provenance: str) -> tuple[pd.DataFrame, dict[str, object]]:
    """WP248 screening: each criterion met (at the lower bound), possibly met (at the upper
    bound only), not met, or a question for the analyst (the data cannot answer; or usage is
    unknown); and the verdict: a DPIA is required when `threshold` criteria are met."""
    spec = load_criteria()
    rows = []
    for c in spec.criteria:
        row = {"criterion": c.id, "title": c.title, "question": c.question or "", "reason": c.reason}
        row |= {"assumed": c.assumed, "signal": "", "threshold": c.above, "basis": ""}
        if c.answer == "analyst":
            row |= {"answer": "analyst", "basis": ANALYST}
        elif lo[c.signal] is None and c.fallback and hi[c.fallback] > c.above:
            row |= {
                "answer": "possibly met",
                "signal": c.fallback,
                "basis": "tenant settings; no usage data: potential exposure",
                "value_min": lo[c.fallback],
                "value_max": hi[c.fallback],
            }
        elif lo[c.signal] is None:
            row |= {
                "answer": "analyst",
                "signal": c.signal,
                "basis": "unknown: no usage data",
                "question": f"Without usage data: {c.title[0].lower()}{c.title[1:]}?",
            }
        else:
            met_lo, met_hi = lo[c.signal] > c.above, hi[c.signal] > c.above
            row |= {
                "answer": "met" if met_lo else "possibly met" if met_hi else "not met",
                "signal": c.signal,
                "basis": "tenant settings" if c.signal in SETTINGS_SIGNALS else f"usage: {provenance}",
                "value_min": lo[c.signal],
                "value_max": hi[c.signal],
            }
        rows.append(row)
    table = pd.DataFrame(rows, columns=SCREENING_COLUMNS)
    title = dict(zip(table["criterion"], table["title"], strict=True))
    met = table.loc[table["answer"] == "met", "criterion"].tolist()
    possible = table.loc[table["answer"] == "possibly met", "criterion"].tolist()
    open_ = table.loc[table["answer"] == "analyst", "criterion"].tolist()
    n = spec.threshold

    def named(ids: list[str]) -> str:
        return "; ".join(title[i] for i in ids)

    if len(met) >= n:
        required, why = "yes", f"{len(met)} criteria are met ({named(met)}); {n} or more require a DPIA"
    elif len(met) + len(possible) >= n:
        required = "likely"
        why = (
            f"{len(met)} met and {len(possible)} possibly met ({named(met + possible)}): "
            "confirm the possible ones"
        )
    else:
        required = "open"
        why = f"{len(met)} met from the data; the analyst's answers decide ({named(open_)})"
    verdict = {
        "required": required,
        "reason": why,
        "met": met,
        "possibly_met": possible,
        "open": open_,
        "threshold": n,
        "source": f"{spec.source['document']}, {spec.source['section']}; {spec.threshold_source}",
    }
    return table, verdict


def risks(
    rules: RulesFile,
    now: tuple[dict, dict],
    planned: tuple[dict, dict],
    active: set[str],
    labels: dict[str, str],
) -> pd.DataFrame:
    """(c) The risk register: RISK_COLUMNS, each level at the lower and the upper bound under the
    configuration in force and (residual_*) under the planned one; measures: the options of
    the planned configuration that reduce the risk (rules' reduced_by)."""
    rows = []
    for r in rules.risks:
        row = {"risk": r.id, "title": r.title, "kind": r.kind, "cnil_item": r.cnil_item, "source": r.source}
        for prefix, (lo, hi) in (("", now), ("residual_", planned)):
            for scale in ("severity", "likelihood"):
                row[f"{prefix}{scale}_min"], low = level(getattr(r, scale), lo)
                row[f"{prefix}{scale}_max"], high = level(getattr(r, scale), hi)
                if not prefix:  # a step only the upper bound takes rests on flows the sources only allow
                    marked = [x if x in low else f"{x} ({UPPER_ONLY})" for x in high]
                    row[f"{scale}_reasons"] = "; ".join(marked)
        row["measures"] = "; ".join(labels[o] for o in r.reduced_by if o in active) or "none active"
        rows.append(row)
    return pd.DataFrame(rows, columns=RISK_COLUMNS)


def measures(guarantees: pd.DataFrame, rules: RulesFile) -> pd.DataFrame:
    """(d) The planned configuration's options (option_guarantees): what each guarantees and
    what still flows (holds: checked on the planned flows), and the risks it reduces."""
    reduces = {
        o: ", ".join(r.title for r in rules.risks if o in r.reduced_by) for o in guarantees["option"].unique()
    }
    return guarantees.assign(reduces=guarantees["option"].map(reduces).replace("", "none in the register"))[
        MEASURE_COLUMNS
    ].reset_index(drop=True)


def ropa(
    result: Result, rules: RulesFile, region: str, security: str, provenance: str, facts: str = DEFAULT_FACTS
) -> pd.DataFrame:
    """The record of processing (Art. 30): one row per purpose - the AI Companion features of
    each product in force, and each retention purpose of another party (data/datamap.yaml
    retention_uses) - with the controller's fields left to the analyst."""
    spec = load_datamap_spec()
    items = result.items[
        result.items["feature_id"].isin(
            result.features.loc[result.features["status"] != "lost", "feature_id"]
        )
    ]
    groups: list[tuple[str, pd.DataFrame, list[str]]] = []
    for product, part in items.groupby("product", sort=False):
        names = ", ".join(dict.fromkeys(part["feature"]))
        groups.append((f"AI Companion in {product}: {names}", part, rules.subjects[product]))
    for basis, use in spec.retention_uses.items():
        part = items[items["basis"] == basis]
        if len(part):
            subjects = sorted({s for p in part["product"].unique() for s in rules.subjects[p]})
            groups.append((f"{', '.join(dict.fromkeys(part['party']))}: {use.label}", part, subjects))
    rows = []
    for purpose, part, subjects in groups:
        outside = part[~part["location"].isin([region, "device"])]
        transfers = "; ".join(
            f"{r.party}: {'location not given by the sources' if r.location == 'unknown' else r.location}"
            f" [{r.certainty}]"
            for r in outside.drop_duplicates(["party", "location", "certainty"]).itertuples()
        )
        rows.append(
            {
                "purpose": purpose,
                "controller": ANALYST,
                "controller_contact": ANALYST,
                "dpo_contact": ANALYST,
                "legal_basis": ANALYST,
                "data_subjects": ", ".join(subjects),
                "data_categories": _categories(part),
                "recipients": _recipients(part, rules.certainty_words),
                "transfers": transfers or f"none outside {region}",
                "transfer_safeguards": ANALYST if transfers else "",
                "retention": _retention(part),
                "security_measures": security,
                "source": f"{facts_label(facts)}, "
                + "; ".join(dict.fromkeys(part["source_section"]))
                + f" (usage: {provenance})",
            }
        )
    return pd.DataFrame(rows, columns=ROPA_COLUMNS)


def _security(config: Configuration, guarantees: pd.DataFrame, facts: str) -> str:
    policy = flow_inputs(facts)[1]
    facts = policy.facts.set_index("id")
    parts = [f"{facts.loc[f, 'statement']} ({policy.cite(f)})" for f in ENCRYPTION_FACTS]
    active = list(dict.fromkeys(guarantees["label"]))
    if active:
        parts.append(f"options of the {config.name} configuration: " + ", ".join(active))
    return " ".join(parts)


def dpia(
    tenant: Tenant,
    configuration: str | Configuration = "default",
    planned: str | Configuration = "hardened",
    facts: str = DEFAULT_FACTS,
    usage_model: str = "",
) -> Dpia:
    """The DPIA draft of `tenant` under `configuration` (in force), with the measures of
    `planned` and the residual risk under it, every analysis under the fact set `facts` (where
    its sources disagree is listed too). `usage_model`: the id of the usage model behind
    estimated usage (zoomai.tenants.usage.model_name), named where the draft gives the usage."""
    config, plan = _name(configuration), _name(planned)
    rules = load_dpia_rules()
    region = str(tenant.info["hosting_region"])
    result = analysis(tenant, config, facts=facts)
    planned_result = analysis(tenant, plan, facts=facts)
    potential = potential_exposure(tenant, config, facts)
    planned_potential = potential_exposure(tenant, plan, facts)
    usage = usage_provenance(result.totals)
    provenance = provenance_text(usage, usage_model)
    now = (signals(result, tenant, "min", potential), signals(result, tenant, "max", potential))
    after = (
        signals(planned_result, tenant, "min", planned_potential),
        signals(planned_result, tenant, "max", planned_potential),
    )
    planned_guarantees = option_guarantees(plan, region, facts=facts)
    labels = dict(zip(planned_guarantees["option"], planned_guarantees["label"], strict=False))
    table, verdict = screening(*now, provenance)
    guarantees_now = option_guarantees(config, region, facts=facts)
    compared = necessity(tenant, config, result.features, rules, facts)
    if provenance == NO_USAGE:
        compared = without_usage(compared)
    return Dpia(
        tenant_id=str(tenant.info["tenant_id"]),
        tenant_name=str(tenant.info["name"]),
        configuration=config.name,
        planned=plan.name,
        region=region,
        facts=facts,
        provenance=provenance,
        usage_model=usage_model,
        users=len(tenant.users),
        usage=usage,
        potential=potential,
        totals=dict(result.totals),
        exposure=result.exposure,
        features=result.features,
        description=describe(result, rules, provenance, potential, facts),
        necessity=compared,
        screening=table,
        verdict=verdict,
        risks=risks(rules, now, after, set(labels), labels),
        measures=measures(planned_guarantees, rules),
        ropa=ropa(result, rules, region, _security(config, guarantees_now, facts), provenance, facts),
        newer_sources=load_facts(facts).conflicts,
        signals={"min": now[0], "max": now[1], "planned_min": after[0], "planned_max": after[1]},
    )
