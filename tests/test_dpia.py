"""The DPIA draft (`zoomai dpia`, zoomai.analysis.dpia, zoomai.reporting.dpia/cnil): complete for
two bundled tenants and the imported sample tenant, every figure equal to `zoomai exposure` /
`zoomai compare`, screening and risk levels as the rule files give them, the CNIL PIA export
valid against the tool's question ids and read back, the record of processing as XLSX."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import test_usage
from conftest import run_cli
from test_importer import FIXTURES, PHONE_USERS, SAMPLES, SITE, USERS

from zoomai.analysis.dpia import ANALYST, NO_USAGE, ROPA_COLUMNS, dpia, level
from zoomai.analysis.dpia_rules import Scale, load_dpia_rules
from zoomai.core.errors import DataError, ZoomaiError
from zoomai.reporting import formats
from zoomai.reporting.cnil import check_cnil, cnil_export, read_cnil
from zoomai.reporting.dpia import ART35, conflicts_table, figures, markdown, ropa_xlsx, screening_table
from zoomai.tenants.tables import USAGE_SOURCES, load_tenant
from zoomai.tenants.usage import load_record, model_name

NOW = "2026-01-01T00:00:00+00:00"
# The question ids of the CNIL PIA tool's structure (LINCnil/pia, src/assets/files/
# pia_architecture.json at 0641570): sections 1 (context), 2 (fundamental principles), 3 (risks).
CNIL_QUESTION_IDS = {
    111, 112, 113, 121, 122, 123,
    211, 212, 213, 214, 215, 221, 222, 223, 224, 225, 226, 227,
    321, 322, 323, 324, 325, 326, 331, 332, 333, 334, 335, 336, 341, 342, 343, 344, 345, 346,
}  # fmt: skip
CNIL_LIST_QUESTIONS = {q for q in CNIL_QUESTION_IDS if q > 300 and q % 10 <= 4}
CNIL_GAUGE_QUESTIONS = {q for q in CNIL_QUESTION_IDS if q > 300 and q % 10 >= 5}
CNIL_ANALYST_ONLY = {113, 212, 222, 223, 224, 225}  # nothing in the flows answers these
BUNDLED = ("us_enterprise_defaults", "startup_everything_on")
# the hand-worked tenant of tests/test_usage.py (observed and estimated usage), as a fixture here
imported_with_usage = test_usage.imported


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    """The sample responses of shared/zoom-api/examples imported as a tenant (settings only)."""
    root = tmp_path_factory.mktemp("export") / "acme-corp"
    files = {rel: (FIXTURES / name).read_text() for rel, name in SAMPLES.items()}
    files |= {"users.json": USERS, "phone/users.json": PHONE_USERS, "phone/sites/s1.json": SITE}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(data if isinstance(data, str) else json.dumps(data))
    out = root.parent / "tenant"
    assert run_cli("import-settings", root, "--out", out, "--region", "US")[0] == 0
    return out


@pytest.fixture(scope="module")
def drafts(imported: Path) -> dict[str, tuple[str, object]]:
    """tenant spec -> (spec, draft under the tenant's own settings, hardened planned)."""
    specs = [*BUNDLED, str(imported)]
    return {s: dpia(load_tenant(s), "default", "hardened") for s in specs}


def cli_json(*args: str) -> pd.DataFrame:
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    return pd.DataFrame(json.loads(out))


@pytest.fixture(params=[*BUNDLED, "imported"])
def case(request, drafts, imported):
    spec = str(imported) if request.param == "imported" else request.param
    return spec, drafts[spec]


# ----------------------------------------------------------------- figures equal the CLI's


def test_totals_and_exposure_equal_zoomai_exposure(case) -> None:
    spec, d = case
    totals = cli_json("exposure", spec, "--view", "totals").iloc[0].to_dict()
    assert set(totals) == set(d.totals)
    for name, value in totals.items():
        assert d.totals[name] == (value if isinstance(value, str) else pytest.approx(value)), name
    exposure = cli_json("exposure", spec)
    mine = d.exposure.reset_index(drop=True)
    assert len(mine) == len(exposure)
    for col in exposure.columns:
        if mine[col].dtype.kind in "if":
            assert mine[col].tolist() == pytest.approx(exposure[col].tolist()), col
        else:
            assert mine[col].astype(str).tolist() == exposure[col].astype(str).tolist(), col


def test_description_figures_equal_the_features_view(case) -> None:
    spec, d = case
    features = cli_json("exposure", spec, "--view", "features")
    in_force = features[features["status"] != "lost"].set_index(["product", "feature"])
    assert sorted(zip(d.description["product"], d.description["feature"], strict=True)) == sorted(
        in_force.index
    )
    for row in d.description.itertuples():
        ref = in_force.loc[(row.product, row.feature)]
        # without usage data, uses are unknown (not the 0 of an empty usage table)
        # and so are those of a feature the usage does not cover (under current: those added later)
        uses = "unknown" if d.provenance == "none" or pd.isna(ref["uses"]) else ref["uses"]
        assert (row.users_available, row.uses) == (ref["users_available"], uses)


def test_necessity_figures_equal_zoomai_compare(case) -> None:
    spec, d = case
    configs = ["default", *load_dpia_rules().compare_with]
    table = cli_json("compare", spec, "--config", ",".join(configs)).set_index("configuration")
    assert d.necessity["configuration"].tolist() == configs
    if d.provenance == "none":  # usage figures unknown, never the 0 of an empty usage table
        assert d.necessity[["exposure_score_max", "records_min"]].isna().all().all()
        assert d.necessity["features_available"].tolist() == table["features_available"].tolist()
        assert "unknown" in markdown(d, NOW)
        return
    for row in d.necessity.itertuples():
        ref = table.loc[row.configuration]
        for col in (
            "exposure_score_min",
            "exposure_score_max",
            "records_min",
            "records_max",
            "third_party_records_min",
            "third_party_records_max",
            "features_available",
        ):
            assert getattr(row, col) == ref[col], (row.configuration, col)
        # less intrusive: a lower upper-bound score than the configuration in force
        assert row.less_intrusive == (ref["exposure_score_max"] < table.loc["default", "exposure_score_max"])
        assert row.features_lost == table.loc["default", "features_available"] - ref["features_available"]
    # the Markdown shows each score range as the report formats it
    text = markdown(d, NOW)
    for row in d.necessity.itertuples():
        assert formats.figure_range("exposure_score", row.exposure_score_min, row.exposure_score_max) in text


def test_figures_equal_zoomai_exposure_and_compare_under_the_current_facts() -> None:
    """With --facts current the draft rests on the current fact set: its totals are those of
    `zoomai exposure --facts current`, its necessity figures those of `zoomai compare --facts
    current`, and the draft says which fact set it rests on. Current adds features (the AI
    Companion panel, ...): more features in force and more records than under v5.0."""
    spec = "us_enterprise_defaults"
    d = dpia(load_tenant(spec), "default", "hardened", "current")
    totals = cli_json("exposure", spec, "--view", "totals", "--facts", "current").iloc[0].to_dict()
    for name, value in totals.items():
        assert d.totals[name] == (value if isinstance(value, str) else pytest.approx(value)), name
    v5 = cli_json("exposure", spec, "--view", "totals", "--facts", "v5.0").iloc[0]
    assert (
        d.totals["records_max"] > v5["records_max"]
        and d.totals["features_available"] > v5["features_available"]
    )
    configs = ["default", *load_dpia_rules().compare_with]
    table = cli_json("compare", spec, "--config", ",".join(configs), "--facts", "current")
    table = table.set_index("configuration")
    for row in d.necessity.itertuples():
        for col in (
            "exposure_score_min",
            "exposure_score_max",
            "records_min",
            "records_max",
            "features_available",
        ):
            assert getattr(row, col) == table.loc[row.configuration, col], (row.configuration, col)
    features = cli_json("exposure", spec, "--view", "features", "--facts", "current")
    assert len(d.description) == (features["status"] != "lost").sum()
    text = markdown(d, NOW)
    assert "fact set current" in text and "--facts current" in text
    assert "AI Companion panel" in text  # a product only the current fact set has
    assert len(d.newer_sources) > 0  # where the sources disagree stays listed
    # ... each source by its title, linked to its page (Markdown: a link), no ids or bare URLs
    conflicts = conflicts_table(d)
    assert list(conflicts.columns) == ["topic", "source", "section", "says", "handling"]
    assert "| https://" not in text and "| seeds/" not in text  # no address as a cell's text
    assert (
        "[Data Residency, Storage, and Model Architecture (AI bluepaper: Security and Compliance)](<https://"
        in text
    )
    assert "(bundled copy)" in set(conflicts["source"].map(str).str[-14:])  # the whitepaper's statements


# ------------------------------------------------------------------------ usage provenance


def test_provenance_shares_equal_the_totals_per_source(case) -> None:
    """The usage table is the totals' uses_<source>/records_<source> with their shares. The
    bundled tenants are simulated: 100% of uses and records, as the draft says everywhere."""
    spec, d = case
    u = d.usage.set_index("source")
    assert list(u.index) == USAGE_SOURCES
    for s in USAGE_SOURCES:
        assert u.loc[s, "uses"] == d.totals[f"uses_{s}"] and u.loc[s, "records"] == d.totals[f"records_{s}"]
    if d.provenance == NO_USAGE:  # settings only: no share, never a 0% of nothing
        assert u["uses"].sum() == 0 and u["records_share"].isna().all()
        return
    assert u["records_share"].sum() == pytest.approx(1) and u["uses_share"].sum() == pytest.approx(1)
    assert u.loc["simulated", "records_share"] == 1 and u.loc["simulated", "uses_share"] == 1
    assert d.provenance == "100% simulated"
    text = markdown(d, NOW)
    assert text.count("usage: 100% simulated") >= len(d.description) + len(d.ropa)  # every source cell
    assert figures(d)["usage"] == "100% simulated"


def test_provenance_of_observed_and_estimated_usage(imported_with_usage) -> None:
    """The hand-worked tenant of tests/test_usage.py: 7 observed uses (6 meeting summaries, 1
    call summary) and 12 estimated (meeting questions, 3 users x 4 weeks): uses shares 7/19 and
    12/19. Records: those the totals give per source, all observed or estimated, and the draft
    names the usage model behind the estimate."""
    spec = imported_with_usage / "acme"
    d = dpia(load_tenant(spec), usage_model=model_name(load_record(spec)))
    u = d.usage.set_index("source")
    assert u["uses"].tolist() == [7, 12, 0]
    assert u.loc["observed", "uses_share"] == pytest.approx(7 / 19)
    assert u.loc["estimated", "uses_share"] == pytest.approx(12 / 19)
    totals = cli_json("exposure", str(spec), "--view", "totals").iloc[0]
    records = totals["records_observed"] + totals["records_estimated"]
    assert records == totals["records"] and totals["records_simulated"] == 0
    for s in ("observed", "estimated"):
        assert u.loc[s, "records"] == totals[f"records_{s}"]
        assert u.loc[s, "records_share"] == pytest.approx(totals[f"records_{s}"] / records)
    share = round(100 * totals["records_observed"] / records)
    assert d.provenance.startswith(f"{share}% observed, {100 - share}% estimated (usage model ")
    assert model_name(load_record(spec)) and model_name(load_record(spec)) in d.provenance
    assert f"usage: {d.provenance}" in markdown(d, NOW)


def test_without_usage_the_draft_rests_on_potential_exposure(drafts, imported) -> None:
    """The imported sample tenant has settings and no usage: each feature in force is described
    by what its users can send where (potential.statements), the risk rules count one record
    per user who can send a content item somewhere, never zero, and headline figures that
    count usage are unknown."""
    d = drafts[str(imported)]
    assert d.provenance == NO_USAGE
    assert (d.description["potential"].str.contains(" can send ")).all()
    assert (d.description["uses"] == "unknown").all()
    # potential exposure: one record per user and flow of a feature in force
    assert d.signals["max"]["records"] == d.potential["users"].sum() > 0
    assert figures(d)["records_max"] == "unknown" and figures(d)["people_without_notice_max"] == "unknown"


# ---------------------------------------------------------------------------- completeness


def test_every_section_present_and_analyst_fields_marked(case) -> None:
    _, d = case
    text = markdown(d, NOW)
    for title in [
        *ART35.values(),
        "Screening: is a DPIA required?",
        "Record of processing activities (Art. 30)",
    ]:
        assert f"## {title}" in text, title
    for col in ("controller", "controller_contact", "dpo_contact", "legal_basis"):
        assert (d.ropa[col] == ANALYST).all()
    assert list(d.ropa.columns) == ROPA_COLUMNS and len(d.ropa) > 0
    open_ = d.screening[d.screening["answer"] == "analyst"]
    assert (open_["question"] != "").all() and len(open_) >= 5  # the five criteria no data answers
    doc = cnil_export(d, NOW)
    answers = {a["reference_to"]: a["data"] for a in doc["answers"]}
    for q in CNIL_ANALYST_ONLY:
        assert ANALYST in answers[q]["text"], q
    for field in (
        "validator_name",
        "evaluator_name",
        "dpo_opinion",
        "dpos_names",
        "concerned_people_opinion",
    ):
        assert doc["pia"][field] == ""
    assert doc["evaluations"] == []


def test_screening_of_a_bundled_tenant_from_its_figures(drafts) -> None:
    """us_enterprise_defaults: people without notice 25,225.6 (> 0), people reached 94,576 +
    8,731 = 103,307 (> 5,000), internal people 94,576 (> 0) and 10 features in force (> 0), at
    both bounds (tests/notebook_outputs/tenant_risk_report.txt): four criteria met, a DPIA is
    required (two or more, WP248)."""
    d = drafts["us_enterprise_defaults"]
    answers = d.screening.set_index("criterion")["answer"]
    met = {"systematic_monitoring", "large_scale", "vulnerable_subjects", "innovative_technology"}
    assert set(answers[answers == "met"].index) == met
    assert d.screening.set_index("criterion").loc["large_scale", "value_min"] == 94576 + 8731
    assert d.verdict["required"] == "yes"


def test_screening_without_usage_leaves_people_criteria_to_the_analyst(drafts, imported) -> None:
    """The imported tenant has settings only: people are unknown. 'Innovative technology' is met
    (features in force, from the settings); the users who have its features in force make
    'vulnerable subjects' (staff) only possibly met (the fallback: users_in_force > 0, potential
    exposure): under v5.0 one user (the features view: users_available 1 each), under the
    default current facts all 3, because no setting zoomai reads switches the five features
    the later pages add (assumed available). 3 users are not above 5,000 and monitoring has no
    fallback: both are questions. One met, one possible: 'likely'."""
    d = drafts[str(imported)]
    answers = d.screening.set_index("criterion")["answer"]
    assert answers["innovative_technology"] == "met"
    assert answers["vulnerable_subjects"] == "possibly met"
    assert (answers[["systematic_monitoring", "large_scale"]] == "analyst").all()
    assert d.verdict["required"] == "likely" and d.provenance == "none"
    assert d.signals["max"]["people_without_notice"] is None  # unknown, never zero
    assert d.signals["max"]["users_in_force"] == d.description["users_available"].max() == 3
    assert d.screening.set_index("criterion").loc["vulnerable_subjects", "value_max"] == 3
    v5 = d.description[d.description["product"] != "AI Companion panel"]
    assert v5.loc[v5["feature"] == "Meeting summary", "users_available"].tolist() == [1]


def test_screening_table_shows_estimates_and_blank_analyst_values(drafts) -> None:
    """us_enterprise_defaults: people without notice 25,225.6 is an estimate, shown as 'about
    25,000' (two significant figures, formats.estimate); people reached 94,576 + 8,731 =
    103,307 as a count; criteria left to the analyst have a blank value and the marker."""
    table = screening_table(drafts["us_enterprise_defaults"].screening).set_index("criterion")
    assert table.loc["Systematic monitoring, including of people who may not be aware of it", "value"] == (
        "about 25,000"
    )
    assert table.loc["Data processed on a large scale", "value"] == "103,307"
    open_ = table[table["answer"] == "analyst"]
    assert len(open_) == 5 and (open_["value"] == "").all()
    assert open_["evidence"].str.contains(ANALYST, regex=False).all()
    assert "unknown" not in " ".join(open_["value"])


# ------------------------------------------------------------------------------ risk rules


def test_level_applies_steps_and_caps() -> None:
    scale = Scale.model_validate(
        {
            "base": 2,
            "reason": "base",
            "raise": [
                {"when": {"signal": "external_records", "above": 0}, "by": 2, "reason": "external"},
                {"when": {"signal": "people_external", "above": 0}, "by": 1, "reason": "people"},
            ],
        }
    )
    # 2 + 2 + 1 = 5, capped at 4
    assert level(scale, {"external_records": 3.0, "people_external": 1.0}) == (
        4, ["base", "+2: external", "+1: people"]
    )  # fmt: skip
    # unknown people: the step is not applied and the reason says so
    got, reasons = level(scale, {"external_records": 0.0, "people_external": None})
    assert got == 2 and reasons[-1].startswith("not known without usage data")


def test_confabulation_likelihood_follows_external_summaries(case) -> None:
    """data/dpia_rules.yaml: likelihood 1, +2 when summaries reach external recipients. The
    bounds follow `zoomai exposure`: records_min / records_max at External recipients."""
    spec, d = case
    risk = d.risks.set_index("risk").loc["genai_confabulation_external"]
    if d.provenance == "none":  # no usage: the flows the settings allow count (potential exposure)
        recipients = " ".join(d.description["recipients"])
        lo, hi = "External recipients (unknown) receives" in recipients, "External recipients" in recipients
    else:
        exposure = cli_json("exposure", spec)
        ext = exposure[exposure["party_kind"] == "external_recipient"]
        lo, hi = ext["records_min"].sum() > 0, ext["records_max"].sum() > 0
    assert (risk["likelihood_min"], risk["likelihood_max"]) == (1 + 2 * lo, 1 + 2 * hi)
    # the hardened plan keeps summaries inside the organisation: residual likelihood 1
    assert risk["residual_likelihood_max"] == 1


def test_bad_rules_file_names_line_and_field(tmp_path) -> None:
    from zoomai.analysis.dpia_rules import load_dpia_rules as load

    text = (Path(__file__).parents[1] / "data" / "dpia_rules.yaml").read_text()
    bad = tmp_path / "rules.yaml"
    bad.write_text(text.replace("reduced_by: [restrict_external_sharing]", "reduced_by: [no_such_option]"))
    with pytest.raises(
        DataError, match=r"rules.yaml, line \d+, field risks\[5\].reduced_by\[0\]: unknown option"
    ):
        load(bad)


# ---------------------------------------------------------------------------- CNIL PIA JSON


def test_cnil_export_uses_the_tools_question_ids_and_shapes(drafts) -> None:
    doc = cnil_export(drafts["startup_everything_on"], NOW)
    assert list(doc) == ["pia", "answers", "measures", "evaluations"]
    refs = [a["reference_to"] for a in doc["answers"]]
    assert set(refs) == CNIL_QUESTION_IDS and len(refs) == len(set(refs))
    assert doc["pia"]["numberOfQuestions"] == len(CNIL_QUESTION_IDS)
    for a in doc["answers"]:
        assert set(a) >= {"pia_id", "reference_to", "data"} and set(a["data"]) == {"text", "gauge", "list"}
        q, data = a["reference_to"], a["data"]
        if q in CNIL_GAUGE_QUESTIONS:
            assert data["gauge"] in (1, 2, 3, 4) and data["text"]
        elif q in CNIL_LIST_QUESTIONS:
            assert isinstance(data["list"], list) and data["text"] is None
        else:
            assert isinstance(data["text"], str) and data["text"]
    assert all({"title", "content", "pia_id"} <= set(m) for m in doc["measures"]) and doc["measures"]


def test_cnil_gauge_is_the_highest_upper_bound_of_the_risks_in_the_item(drafts) -> None:
    d = drafts["us_enterprise_defaults"]
    answers = {a["reference_to"]: a["data"] for a in cnil_export(d, NOW)["answers"]}
    # item 3.2 holds illegitimate access, prompt/output privacy and value chain
    in_item = d.risks[d.risks["cnil_item"] == "3.2"]
    assert answers[325]["gauge"] == in_item["severity_max"].max()
    assert answers[326]["gauge"] == in_item["likelihood_max"].max()


def test_cnil_file_round_trips(drafts, tmp_path) -> None:
    doc = cnil_export(drafts["us_enterprise_defaults"], NOW)
    path = tmp_path / "cnil_pia.json"
    path.write_text(json.dumps(doc))
    assert read_cnil(path) == doc


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda doc: doc.pop("measures"), "expected an object with keys"),
        (lambda doc: doc["answers"][0].update(reference_to=999), "999 is not a question id"),
        (lambda doc: doc["answers"][-1]["data"].update(gauge=7), "expects a gauge answer"),
        (lambda doc: doc["answers"][0].pop("data"), "expected keys"),
    ],
)
def test_cnil_reader_refuses_bad_files(drafts, change, message) -> None:
    doc = cnil_export(drafts["us_enterprise_defaults"], NOW)
    change(doc)
    with pytest.raises(ZoomaiError, match=message):
        check_cnil(doc)


# ---------------------------------------------------------------------- record of processing


def test_ropa_xlsx_has_one_row_per_purpose(drafts, tmp_path) -> None:
    d = drafts["startup_everything_on"]
    path = tmp_path / "ropa.xlsx"
    path.write_bytes(ropa_xlsx(d))
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + len(d.ropa)
    purposes = [r[0] for r in rows[1:]]
    assert purposes == d.ropa["purpose"].tolist() and len(set(purposes)) == len(purposes)
    # one purpose per product in force, plus one per retention purpose of another party
    products = d.description["product"].nunique()
    assert len(purposes) > products and all(p.startswith("AI Companion in ") for p in purposes[:products])


# ------------------------------------------------------------------------------ the command


@pytest.mark.skipif(
    shutil.which("chromium") is None or shutil.which("pdftotext") is None,
    reason="needs chromium and pdftotext (make browser)",
)
def test_dpia_command_writes_every_output(tmp_path) -> None:
    out = tmp_path / "draft"
    code, stdout, err = run_cli("dpia", "us_enterprise_defaults", "--out", out)
    assert code == 0, err
    names = {
        "dpia.html",
        "dpia.pdf",
        "dpia.md",
        "dpia.ipynb",
        "cnil_pia.json",
        "ropa.csv",
        "ropa.xlsx",
        "risk_register.csv",
    }
    assert {p.name for p in out.iterdir()} == names
    assert "DPIA required: yes" in stdout
    text = subprocess.run(["pdftotext", out / "dpia.pdf", "-"], capture_output=True, text=True).stdout
    for title in ART35.values():
        assert title in " ".join(text.split()), title
    read_cnil(out / "cnil_pia.json")
    assert (
        len(pd.read_csv(out / "ropa.csv")) == len(openpyxl.load_workbook(out / "ropa.xlsx").active["A"]) - 1
    )
    # a second draft replaces the folder zoomai dpia wrote
    assert run_cli("dpia", "us_enterprise_defaults", "--no-pdf", "--out", out)[0] == 0
    assert not (out / "dpia.pdf").exists()
