"""The DPIA draft for people: its parts in order (shared by the `dpia` notebook and the
Markdown file), the record of processing as CSV and XLSX, the headline figures, and the folder
of outputs `zoomai dpia` writes (Markdown, CNIL PIA JSON, ROPA CSV/XLSX, risk register CSV)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from zoomai.analysis.dpia import ANALYST, NO_USAGE, Dpia, facts_label
from zoomai.analysis.dpia_rules import load_dpia_rules
from zoomai.analysis.scope import scope_statement
from zoomai.core.output import write_table
from zoomai.facts.factset import load_facts
from zoomai.reporting import formats, labels
from zoomai.reporting.cnil import cnil_json, load_structure

MARKDOWN, CNIL, ROPA_CSV, ROPA_XLSX, RISKS_CSV = (
    "dpia.md",
    "cnil_pia.json",
    "ropa.csv",
    "ropa.xlsx",
    "risk_register.csv",
)
# Art. 35(7) GDPR: the four parts a DPIA contains at least (paraphrased).
ART35 = {
    "a": "Art. 35(7)(a) Systematic description of the processing",
    "b": "Art. 35(7)(b) Necessity and proportionality",
    "c": "Art. 35(7)(c) Risks to the rights and freedoms of data subjects",
    "d": "Art. 35(7)(d) Measures envisaged to address the risks",
}
SCOPE = "Scope of the facts"
SCOPE_INTRO = "What the facts behind this draft cover and what they do not."


@dataclass(frozen=True)
class Part:
    """One section of the draft: title, an introduction (what it rests on), and its tables
    (caption, table, the sentence shown when it is empty)."""

    title: str
    intro: str
    tables: list[tuple[str, pd.DataFrame, str]]


def _basis(d: Dpia) -> str:
    usage = (
        "no usage data: usage figures unknown, potential exposure instead"
        if d.provenance == NO_USAGE
        else f"usage: {d.provenance}"
    )
    return (
        f"Figures from `zoomai exposure` and `zoomai compare` --facts {d.facts} ({usage}); a range gives "
        "the lower bound "
        "(flows the sources state) and the upper bound (every flow, including those the sources say may "
        "happen and the project's written-down readings)."
    )


def subject(d: Dpia, now: str) -> pd.DataFrame:
    """What the draft is about, as rows (item, detail)."""
    rows = [
        (
            "Tenant",
            f"{d.tenant_name} ({d.tenant_id}), hosting region {d.region}, {formats.counted(d.users, 'user')}",
        ),
        ("Configuration in force", labels.configuration(d.configuration)),
        ("Measures planned", labels.configuration(d.planned)),
        (
            "Usage",
            "none (settings only): people figures unknown; the description, screening and risk rules "
            "rest on potential exposure (what the settings allow, and how many users have each feature)"
            if d.provenance == NO_USAGE
            else f"{d.provenance} of the records (observed: from Zoom's APIs, estimated: a usage model, "
            "simulated: a bundled tenant)",
        ),
        (
            "Facts",
            f"{facts_label(d.facts)}; flows, figures and measures rest on it (sources: Scope of the facts)",
        ),
        (
            "Status",
            f"DRAFT generated {now}: for review by the DPO; fields marked {ANALYST} are for people to fill",
        ),
    ]
    return pd.DataFrame(rows, columns=["item", "detail"])


def figures(d: Dpia) -> dict[str, object]:
    """The draft's headline figures (checked by nbval): verdict, criteria, risk levels, and the
    exposure totals they rest on (unknown without usage, never 0) with the usage split."""
    t = d.totals if d.provenance != NO_USAGE else {k: "unknown" for k in d.totals}
    return {
        "dpia_required": d.verdict["required"],
        "criteria_met": len(d.verdict["met"]),
        "criteria_possibly_met": len(d.verdict["possibly_met"]),
        "criteria_open": len(d.verdict["open"]),
        "risks_significant_or_worse": int(
            ((d.risks["severity_max"] >= 3) & (d.risks["likelihood_max"] >= 3)).sum()
        ),
        "risks_significant_residual": int(
            ((d.risks["residual_severity_max"] >= 3) & (d.risks["residual_likelihood_max"] >= 3)).sum()
        ),
        "features_in_force": len(d.description),
        "purposes": len(d.ropa),
        "records_min": t["records_min"],
        "records_max": t["records_max"],
        "people_external_max": t["people_external_max"],
        "people_without_notice_max": t["people_without_notice_max"],
        "usage": d.provenance,
    }


def usage_table(d: Dpia) -> pd.DataFrame:
    """What the figures rest on: uses and records (upper bound) per usage source, with shares."""
    u = d.usage
    return pd.DataFrame(
        {
            "source": u["source"],
            "uses": u["uses"],
            "share of uses": [formats.percent(v) for v in u["uses_share"]],
            "records": u["records"],
            "share of records": [formats.percent(v) for v in u["records_share"]],
        }
    )


def parts(d: Dpia) -> list[Part]:
    """The draft's sections in order: screening, the four parts of Art. 35(7), the record of
    processing, newer sources and the fields left to people (the scope of the facts follows:
    SCOPE, shown in notebooks by notebook.scope())."""
    v = d.verdict
    rules = load_dpia_rules()
    scale = ", ".join(f"{k} {w}" for k, w in rules.levels.items())
    exposure = d.exposure.drop(columns=["tenant_id", "party_kind"])
    people = "unknown (no usage data)" if d.provenance == NO_USAGE else "from usage"
    screening = screening_table(d.screening)
    security = d.ropa["security_measures"].iloc[0] if len(d.ropa) else "none (no purpose)"
    # each flow's certainty is in the wording of its recipient and retention: not a column of its own
    description = d.description.assign(
        data_categories=d.description["data_categories"].map(labels.category)
    ).drop(columns="certainty")
    ropa = d.ropa.drop(columns="security_measures")
    ropa["data_categories"] = ropa["data_categories"].map(labels.category)
    residual = d.risks[["title", *(c for c in d.risks.columns if c.startswith("residual_")), "measures"]]
    rest_on = (
        "No usage data: the figures that count usage are unknown, never zero. The draft describes "
        "and screens what the settings allow (potential exposure: per feature in force, how many users "
        "can send which content where)."
        if d.provenance == NO_USAGE
        else f"Usage: {d.provenance} of the records. Every figure below rests on it: uses and records "
        "(upper bound) per usage source, as `zoomai exposure --view totals` gives them."
    )
    return [
        Part(
            "What the figures rest on",
            f"Facts: {facts_label(d.facts)}. {rest_on}",
            [("Uses and records per usage source", usage_table(d), "No usage.")],
        ),
        Part(
            "Screening: is a DPIA required? (WP248 criteria)",
            f"DPIA required: {v['required']}. {v['reason']}. Source: {v['source']}. Criteria the data cannot "
            f"answer are questions for the analyst ({ANALYST}). {_basis(d)}",
            [("WP248 criteria", screening, "No criteria.")],
        ),
        Part(
            ART35["a"],
            "Per feature in force: its purpose, the content it uses and makes, whose it is, who holds it "
            "where, and for how long; 'potential': what its users can send where, whatever the usage "
            "(potential exposure). Verbs follow the certainty of each flow: 'receives' (stated), 'may "
            f"receive' (the source allows it), 'inferred', 'assumed'. People are {people}. {_basis(d)}",
            [
                ("Processing per feature in force", description, "No AI Companion feature is in force."),
                (
                    "Who holds what (zoomai exposure, per party and data category)",
                    exposure,
                    "No records: no usage data, or no feature in use.",
                ),
            ],
        ),
        Part(
            ART35["b"],
            "The configuration in force beside the presets data/dpia_rules.yaml names: a less "
            "intrusive one has a lower exposure score at the upper bound; 'loses' lists the features in "
            f"force it makes unavailable. The legal basis of each purpose is for the analyst ({ANALYST}). "
            f"{_basis(d)}",
            [("Configurations compared (zoomai compare)", d.necessity, "No configuration to compare.")],
        ),
        Part(
            ART35["c"],
            f"The CNIL method's feared events and the generative-AI risks. Levels: {scale} "
            f"({rules.levels_source}). Each level is derived from the flows by the rules of "
            "data/dpia_rules.yaml at the lower and the upper bound; the reasons say which rule applied. "
            "The DPO may change any level: edit the rules or the exported draft.",
            [
                (
                    "Risk register",
                    d.risks.drop(
                        columns=["risk", *(c for c in d.risks.columns if c.startswith("residual_"))]
                    ),
                    "No risks.",
                )
            ],
        ),
        Part(
            ART35["d"],
            f"The options of the planned configuration ({labels.configuration(d.planned)}): what each "
            "guarantees and what still flows, checked on that configuration's flows (holds), and the risks "
            "it reduces; then the residual risk, the same rules applied to the planned configuration.",
            [
                (
                    "Measures (options of the planned configuration)",
                    d.measures.drop(columns="option"),
                    "The planned configuration activates no option.",
                ),
                ("Residual risk under the planned configuration", residual, "No risks."),
            ],
        ),
        Part(
            "Record of processing activities (Art. 30)",
            f"One row per purpose. Controller, contacts, legal basis and transfer safeguards are for the "
            f"analyst ({ANALYST}). Security measures, the same for every purpose: "
            f"{security}. Also written as ropa.csv and ropa.xlsx (with that column).",
            [
                (
                    "Record of processing",
                    ropa,
                    "No purpose: no feature in force.",
                )
            ],
        ),
        Part(
            "Where sources disagree",
            f"The figures above rest on {facts_label(d.facts)}. Where its sources disagree, both statements "
            "are kept, with their sources, for the DPO to weigh.",
            [
                (
                    "Conflicts between sources",
                    conflicts_table(d),
                    "Fact set v5.0 has one source: no conflicts (zoomai dpia --facts current adds Zoom's "
                    "later pages and lists where they disagree).",
                )
            ],
        ),
        Part(
            "Fields for the analyst and the DPO",
            "Everything the data cannot answer, left for people: the draft does not fill it.",
            [("Open fields", analyst_fields(d), "None.")],
        ),
    ]


def conflicts_table(d: Dpia) -> pd.DataFrame:
    """Where the sources disagree, for people: topic, the source (its title linked to its page)
    and section, what it says, and how zoomai handles it; ids of conflicts and facts left out."""
    titles = load_facts(d.facts).sources.set_index("id")["title"]
    c = d.newer_sources
    return pd.DataFrame(
        {
            "topic": c["topic"],
            "source": [
                labels.source_document(titles[doc], where)
                for doc, where in zip(c["document"], c["source_location"], strict=True)
            ],
            "section": c["section"],
            "says": c["says"],
            "handling": c["handling"],
        }
    )


def screening_table(screening: pd.DataFrame) -> pd.DataFrame:
    """The WP248 screening for people: each criterion's answer, the figure it rests on in words
    with its threshold and basis, its value (a range as formats.figure_range gives it: people
    without notice as an estimate; blank where the analyst answers, the evidence then carries
    the ANALYST marker), the analyst's question and the reason."""
    evidence = [
        (f"{labels.figure(s)} above {formats.value(t)} ({b})" if s else b)
        + (f"; {ANALYST}" if a == "analyst" and ANALYST not in b else "")
        for s, t, b, a in zip(
            screening["signal"], screening["threshold"], screening["basis"], screening["answer"], strict=True
        )
    ]
    value = [
        "" if a == "analyst" else formats.figure_range(s, lo, hi)
        for a, s, lo, hi in zip(
            screening["answer"],
            screening["signal"],
            screening["value_min"],
            screening["value_max"],
            strict=True,
        )
    ]
    reason = [
        r + (" (threshold: this project's choice)" if a else "")
        for r, a in zip(screening["reason"], screening["assumed"], strict=True)
    ]
    return pd.DataFrame(
        {
            "criterion": screening["title"],
            "answer": screening["answer"],
            "evidence": evidence,
            "value": value,
            "question": screening["question"],
            "reason": reason,
        }
    )


def analyst_fields(d: Dpia) -> pd.DataFrame:
    """Every field left for people: screening questions, the record's controller fields, the
    CNIL tool's questions answered only by the analyst, and its validation fields."""
    rows = [("Screening", r.title, r.question) for r in d.screening.itertuples() if r.answer == "analyst"]
    rows += [
        ("Record of processing", labels.column(c), ANALYST)
        for c in ("controller", "controller_contact", "dpo_contact", "legal_basis", "transfer_safeguards")
    ]
    rows += [
        ("CNIL PIA validation", labels.column(f), "left empty in the CNIL PIA file")
        for f in load_structure().people_fields
    ]
    rows += [("CNIL PIA evaluations", "evaluations", "left empty: the evaluator's judgement")]
    return pd.DataFrame(rows, columns=["where", "field", "to do"])


def _cells(df: pd.DataFrame) -> pd.DataFrame:
    df, _ = formats.with_ranges(df)
    out = labels.words(df, keep_keys=False)
    out = out.apply(
        lambda col: [
            v if isinstance(v, str) else v.markdown() if isinstance(v, formats.Link) else formats.value(v)
            for v in col
        ]
    )
    return out.rename(columns=labels.column)


def markdown(d: Dpia, now: str) -> str:
    """The whole draft as Markdown: subject, then every part with its tables."""
    lines = [f"# DPIA draft: Zoom AI Companion for {d.tenant_name}", ""]
    lines += [f"- **{i}**: {t}" for i, t in subject(d, now).itertuples(index=False)] + [""]
    scope = Part(SCOPE, SCOPE_INTRO, [(SCOPE, scope_statement(facts=d.facts).drop(columns="facts"), "None.")])
    for part in [*parts(d), scope]:
        lines += [f"## {part.title}", "", part.intro, ""]
        for caption, table, empty in part.tables:
            lines += [f"**{caption}**", ""]
            if table.empty:
                lines += [f"_{empty}_", ""]
                continue
            out = io.StringIO()
            write_table(_cells(table).replace("|", "\\|", regex=False), "markdown", out)
            lines += [out.getvalue(), ""]
    return "\n".join(lines)


def ropa_csv(d: Dpia) -> str:
    out = io.StringIO()
    write_table(d.ropa, "csv", out)
    return out.getvalue()


def ropa_xlsx(d: Dpia) -> bytes:
    """The record of processing as an Excel workbook: one sheet, one row per purpose, headers
    in words, the sheet's title the tenant."""
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        d.ropa.rename(columns=labels.column).to_excel(writer, index=False, sheet_name="Record of processing")
        sheet = writer.sheets["Record of processing"]
        for col in sheet.columns:
            sheet.column_dimensions[col[0].column_letter].width = 40
    return out.getvalue()


def write_files(d: Dpia, folder: Path, now: str) -> list[str]:
    """Write the draft's files into `folder` (a new, temporary folder: the caller renames it
    into place): Markdown, the CNIL PIA JSON, ROPA CSV and XLSX, the risk register CSV."""
    risks = io.StringIO()
    write_table(d.risks, "csv", risks)
    files = {
        MARKDOWN: markdown(d, now),
        CNIL: cnil_json(d, now),
        ROPA_CSV: ropa_csv(d),
        ROPA_XLSX: ropa_xlsx(d),
        RISKS_CSV: risks.getvalue(),
    }
    for name, content in files.items():
        target = folder / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return list(files)


def show(d: Dpia, now: str) -> None:
    """Display the draft in a notebook: its subject, then every part as a section (a heading,
    its introduction and its tables), through the report helpers of zoomai.reporting.notebook."""
    from zoomai.reporting import notebook

    notebook.table(subject(d, now).rename(columns={"item": "Draft of", "detail": ""}), human=False)
    for part in parts(d):
        notebook.md("## {title}\n\n{intro}", title=part.title, intro=part.intro)
        for caption, table, empty in part.tables:
            notebook.table(table, caption=caption, empty=empty)
