"""The DPIA draft as a file the CNIL PIA tool (LINCnil/pia) imports: its export format, a `pia`
object plus `answers` (reference_to: a question id of the tool's structure, data: {text,
gauge, list}), `measures` and `evaluations`. The question ids come from data/cnil_pia.yaml;
the answer texts are zoomai's own, built from the analysis with their citations. The fields
people fill (validation, DPO and data subjects' opinions, evaluations) stay empty.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zoomai.analysis.dpia import ANALYST, NO_USAGE, Dpia, facts_label
from zoomai.analysis.dpia_rules import load_dpia_rules
from zoomai.core.errors import ZoomaiError, display
from zoomai.core.paths import data_file
from zoomai.core.yamlio import load_model, read_json
from zoomai.reporting import formats

TOP_LEVEL = ("pia", "answers", "measures", "evaluations")
ANSWER_KEYS = ("pia_id", "reference_to", "data")
DATA_KEYS = ("text", "gauge", "list")
PIA_ID = 1


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    questions: dict[int, Literal["text", "list", "gauge"]] = Field(default_factory=dict)
    measures: bool = False


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str
    items: dict[int, Item]


class Structure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: dict[str, str]
    gauge_levels: list[int]
    sections: dict[int, Section]
    risk_questions: dict[int, str]
    people_fields: list[str]

    def questions(self) -> dict[int, tuple[str, str]]:
        """Question id -> (the item it belongs to, e.g. '3.2'; its answer type)."""
        return {
            q: (f"{s}.{i}", kind)
            for s, section in self.sections.items()
            for i, item in section.items.items()
            for q, kind in item.questions.items()
        }


@cache
def load_structure(path: Path | None = None) -> Structure:
    """data/cnil_pia.yaml: the tool's sections, items and question ids, validated."""
    return load_model(path or data_file("cnil_pia.yaml"), Structure)


def _ul(lines: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul>"


def _p(*parts: str) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in parts if p)


def _analyst(question: str) -> str:
    return _p(f"{ANALYST} {question}")


def _figure(d: Dpia, name: str) -> str:
    t = d.totals
    low, high = t.get(f"{name}_min", t[name]), t.get(f"{name}_max", t[name])
    return formats.figure_range(name, low, high) if d.provenance != NO_USAGE else "unknown (no usage data)"


def _basis(d: Dpia) -> str:
    return (
        f"Figures: zoomai exposure/compare for tenant {d.tenant_id} under the {d.configuration} "
        f"configuration, usage: {d.provenance}; lower bound = stated flows only, upper bound = every flow. "
        f"Facts: {facts_label(d.facts)} (sections cited)."
    )


def _texts(d: Dpia) -> dict[int, str]:
    """The text answers, by question id (each cites its source and figures)."""
    desc = d.description
    people = (
        f"{_figure(d, 'people_internal')} internal and {_figure(d, 'people_external')} external "
        f"participations, {_figure(d, 'people_without_notice')} without AI notice"
    )
    parties = sorted({p.split(" (")[0] for r in desc["recipients"] for p in r.split("; ")})
    # without usage data whether a preset is less intrusive is unknown: every preset is listed
    lost = (
        d.necessity.iloc[1:]
        if d.provenance == NO_USAGE
        else d.necessity[d.necessity["less_intrusive"].eq(True)]
    )
    return {
        111: _p(
            f"AI Companion (Zoom's generative AI assistant) for {d.tenant_name}, "
            f"{formats.counted(len(desc), 'feature')} "
            f"in force under the {d.configuration} configuration, hosting region {d.region}; "
            f"{formats.counted(d.users, 'user')}; {people}.",
            _basis(d),
        )
        + _ul([f"{r.product} - {r.feature}: {r.purpose}" for r in desc.itertuples()]),
        112: _p(
            f"Controller: {ANALYST}. Zoom acts as processor; the other parties holding content are "
            + ", ".join(parties)
            + " (whitepaper v5.0, Data Flow and Transmission to Third Parties).",
        ),
        113: _analyst("Codes of conduct, certifications and internal policies that apply."),
        121: _ul([f"{r.feature}: {r.data_categories}; recipients: {r.recipients}" for r in desc.itertuples()])
        + _p(_basis(d)),
        122: _ul([f"{r.feature}: {r.content_items} -> {r.recipients}" for r in desc.itertuples()]),
        123: _p("Parties and locations holding content: " + ", ".join(parties) + "."),
        211: _ul([f"{r.purpose} (source: {r.source})" for r in desc.itertuples()]),
        212: _analyst("Legal basis of each purpose (Art. 6 GDPR)."),
        213: _p(
            "Presets compared by zoomai compare (without usage data their exposure is unknown), "
            "and what each loses:"
            if d.provenance == NO_USAGE
            else "Less intrusive configurations found by zoomai compare, and what each loses:"
        )
        + _ul(
            [
                f"{r.configuration}: exposure score "
                f"{formats.count_range(r.exposure_score_min, r.exposure_score_max)}, "
                f"loses {r.loses}"
                for r in lost.itertuples()
            ]
        ),
        214: _p(
            "AI output is generated text and may differ from what was said "
            "(risk register: Unwanted modification; Confabulation)."
        )
        + _analyst("How users check AI output before relying on it or sending it."),
        215: _ul([f"{r.feature}: {r.retention}" for r in desc.itertuples()]),
        221: _p(
            f"People without AI notice: {_figure(d, 'people_without_notice')} (rules in data/notice.yaml, "
            "whitepaper v5.0, User and In-Meeting Controls)."
        )
        + _analyst("How staff, guests and callers are informed."),
        222: _analyst("Consent, where it is the legal basis, and how it is obtained."),
        223: _analyst("How people obtain access to and a copy of AI output about them."),
        224: _analyst("How people have AI output corrected or deleted."),
        225: _analyst("How people object to or restrict AI Companion processing."),
        226: _p(
            "Subprocessors and model providers: "
            + (
                ", ".join(
                    sorted(
                        set(
                            d.exposure.loc[
                                d.exposure["party_kind"].isin(["model_provider", "subprocessor"]), "party"
                            ]
                        )
                    )
                )
                or "none with records"
            )
            + " (whitepaper v5.0, Third-Party Subprocessors)."
        )
        + _analyst("Contract references (Art. 28)."),
        227: _ul([f"{r.purpose}: {r.transfers}" for r in d.ropa.itertuples()])
        + _analyst("Transfer safeguards (Art. 46)."),
    }


def _risk_answers(d: Dpia, structure: Structure) -> dict[int, dict[str, Any]]:
    """List and gauge answers of the risk items: each item gathers the risks reported in it
    (rules' cnil_item); gauges take the highest upper-bound level, the text gives the range."""
    rules = {r.id: r for r in load_dpia_rules().risks}
    out: dict[int, dict[str, Any]] = {}
    for s, section in structure.sections.items():
        for i, item in section.items.items():
            ref = f"{s}.{i}"
            rows = d.risks[d.risks["cnil_item"] == ref]
            if not item.questions or rows.empty:
                continue
            for q in item.questions:
                what = structure.risk_questions[q % 10]
                if what in ("impacts", "threats", "risk_sources"):
                    items = [x for r in rows["risk"] for x in getattr(rules[r], what)]
                    out[q] = {"text": None, "gauge": None, "list": list(dict.fromkeys(items))}
                elif what == "measures":
                    names = [m for v in rows["measures"] for m in v.split("; ") if m != "none active"]
                    out[q] = {"text": None, "gauge": None, "list": list(dict.fromkeys(names))}
                else:
                    gauge = int(rows[f"{what}_max"].max())
                    text = _ul(
                        [
                            f"{r.title}: {what} {r[f'{what}_min']} to {r[f'{what}_max']} "
                            f"(residual under {d.planned}: {r[f'residual_{what}_min']} to "
                            f"{r[f'residual_{what}_max']}); {r[f'{what}_reasons']}"
                            for _, r in rows.iterrows()
                        ]
                    ) + _p(f"Rules: data/dpia_rules.yaml. {_basis(d)}")
                    out[q] = {"text": text, "gauge": gauge, "list": []}
    return out


def cnil_export(d: Dpia, now: str) -> dict[str, Any]:
    """The CNIL PIA tool's import file for the draft; `now` is the ISO time stamped on it."""
    structure = load_structure()
    texts = _texts(d)
    data: dict[int, dict[str, Any]] = {
        q: {"text": texts[q], "gauge": 0, "list": []}
        for q, (_, kind) in structure.questions().items()
        if kind == "text"
    }
    data |= _risk_answers(d, structure)
    answers = [
        {"pia_id": PIA_ID, "reference_to": q, "data": data[q], "created_at": now, "updated_at": now}
        for q in sorted(data)
    ]
    measures = [
        {
            "pia_id": PIA_ID,
            "title": label,
            "content": _ul(
                [
                    f"{r.kind.replace('_', ' ')}: {r.statement} (holds: {'yes' if r.holds else 'no'}; "
                    f"{r.source_section})"
                    for r in part.itertuples()
                ]
            ),
            "placeholder": "measures.default_placeholder",
            "created_at": now,
            "updated_at": now,
        }
        for label, part in d.measures.groupby("label", sort=False)
    ]
    pia = {
        "id": PIA_ID,
        "name": f"Zoom AI Companion - {d.tenant_name} ({d.configuration})",
        "status": 0,
        "dpo_status": 0,
        "concerned_people_status": 0,
        "concerned_people_searched_opinion": False,
        "category": "",
        "numberOfQuestions": len(structure.questions()),
        "created_at": now,
        "updated_at": now,
        **{f: "" for f in structure.people_fields},
    }
    return {"pia": pia, "answers": answers, "measures": measures, "evaluations": []}


def check_cnil(doc: object, where: str = "CNIL PIA file") -> dict[str, Any]:
    """Validate a CNIL PIA import file: top-level keys, each answer's shape, its reference_to a
    question id of the tool's structure and its data fitting the question's answer type;
    ZoomaiError naming the first problem."""
    structure = load_structure()
    questions = structure.questions()
    if not isinstance(doc, dict) or any(k not in doc for k in TOP_LEVEL):
        raise ZoomaiError(f"{where}: expected an object with keys {list(TOP_LEVEL)}")
    if not isinstance(doc["pia"], dict) or not isinstance(doc["pia"].get("name"), str):
        raise ZoomaiError(f"{where}: pia: expected an object with a name")
    for key in ("answers", "measures", "evaluations"):
        if not isinstance(doc[key], list):
            raise ZoomaiError(f"{where}: {key}: expected a list")
    for n, answer in enumerate(doc["answers"]):
        at = f"{where}: answers[{n}]"
        if not isinstance(answer, dict) or any(k not in answer for k in ANSWER_KEYS):
            raise ZoomaiError(f"{at}: expected keys {list(ANSWER_KEYS)}")
        ref, data = answer["reference_to"], answer["data"]
        if ref not in questions:
            raise ZoomaiError(f"{at}: reference_to {ref!r} is not a question id of the tool's structure")
        if not isinstance(data, dict) or any(k not in data for k in DATA_KEYS):
            raise ZoomaiError(f"{at}: data: expected keys {list(DATA_KEYS)}")
        kind = questions[ref][1]
        ok = {
            "text": isinstance(data["text"], str),
            "list": isinstance(data["list"], list) and all(isinstance(x, str) for x in data["list"]),
            "gauge": data["gauge"] in structure.gauge_levels,
        }[kind]
        if not ok:
            raise ZoomaiError(f"{at}: question {ref} expects a {kind} answer")
    for n, measure in enumerate(doc["measures"]):
        if not isinstance(measure, dict) or not all(
            isinstance(measure.get(k), str) for k in ("title", "content")
        ):
            raise ZoomaiError(f"{where}: measures[{n}]: expected a title and content")
    return doc


def read_cnil(path: Path | str) -> dict[str, Any]:
    """Read and validate a CNIL PIA import file (JSON read with zoomai's limits)."""
    return check_cnil(read_json(Path(path)), display(path))


def cnil_json(d: Dpia, now: str) -> str:
    """The import file as JSON text (checked before it is returned)."""
    return json.dumps(check_cnil(cnil_export(d, now)), ensure_ascii=False, indent=2) + "\n"
