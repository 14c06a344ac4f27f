"""The "current" fact set: every fact cited (URL + section), facts checked by hand against
Zoom's pages, unknowns kept unknown, conflicts listed, and v5.0 -> current changes."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import run_cli

from zoomai.core.errors import DataError, ZoomaiError
from zoomai.core.paths import data_file
from zoomai.facts.compare import compare
from zoomai.facts.factset import load_facts
from zoomai.facts.matrix import load_feature_matrix
from zoomai.facts.overlay import summary_with_unknown
from zoomai.facts.policy import load_policy

NEW_FEATURES = {
    ("Meetings", "Meeting summary in third-party meetings (Microsoft Teams and Google Meet)"),
    ("AI Companion panel", "Web search"),
    ("AI Companion panel", "Answers from Zoom data sources"),
    ("AI Companion panel", "Answers from third-party data sources"),
    ("Custom AI Companion", "Knowledge bases"),
}


@pytest.fixture(scope="module")
def v5():
    return load_facts("v5.0")


@pytest.fixture(scope="module")
def current():
    return load_facts("current")


def fact(fact_set, fact_id) -> pd.Series:
    return fact_set.facts.set_index("id").loc[fact_id]


def row(fact_set, product, feature, item) -> pd.Series:
    m = fact_set.matrix
    hit = m[(m["product"] == product) & (m["feature"] == feature) & (m["content_item"] == item)]
    assert len(hit) == 1, (product, feature, item)
    return hit.iloc[0]


# --- Every fact cited ------------------------------------------------------------------------
def test_every_current_fact_has_a_url_and_a_section(current):
    new = current.facts[current.facts["origin"] == "current"]
    assert len(new) >= 30
    for _, f in new.iterrows():
        assert f["source_location"].startswith("https://"), f["id"]
        assert f["section"].strip(), f["id"]


def test_every_current_matrix_row_has_a_url_and_a_section(current):
    rows = current.matrix[current.matrix["origin"] == "current"]
    assert len(rows) == 23
    assert rows["source_location"].str.startswith("https://").all()
    assert (rows["source_section"].str.strip() != "").all()
    assert rows["certainty"].isin(["stated", "possible", "inferred"]).all()


def test_carried_over_facts_cite_the_v5_sources(current):
    carried = current.facts[current.facts["origin"] == "v5.0"]
    v5_sources = current.sources[current.sources["fact_set"] == "v5.0"]
    assert set(carried["document"]) <= set(v5_sources["id"])
    assert "seeds/000_32e3ce4243c18348.txt" in set(carried["source_location"])
    assert not carried["source_location"].str.startswith("https://").any()
    assert (current.matrix.loc[current.matrix["origin"] == "v5.0", "source"] == "whitepaper").all()


@pytest.fixture
def folder(tmp_path):
    """A copy of data/current/ to break."""
    shutil.copytree(data_file("current"), tmp_path / "current")
    return tmp_path / "current"


def test_a_row_without_section_fails(folder):
    path = folder / "feature_changes.csv"
    lines = path.read_text().splitlines()
    lines[5] = lines[5].replace(",Model Usage and Processing,", ",,", 1)  # the Web search question
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="line 6, column source_section: expected a value"):
        load_facts("current", folder)


def test_a_fact_citing_a_source_without_url_fails(folder):
    path = folder / "facts.yaml"
    text = path.read_text().replace("document: bluepaper_residency", "document: whitepaper", 1)
    path.write_text(text)
    with pytest.raises(DataError, match="source 'whitepaper' has no URL; a current fact needs one"):
        load_facts("current", folder)


def test_a_fact_without_section_fails(folder):
    path = folder / "facts.yaml"
    text = path.read_text().replace('section: "Zoom-Datenquellen"', 'section: ""', 1)
    path.write_text(text)
    with pytest.raises(DataError, match=r"source\.section: String should have at least 1 character"):
        load_facts("current", folder)


def test_unknown_value_without_certainty_and_known_value_with_it(folder):
    path = folder / "facts.yaml"
    text = path.read_text().replace("    value: 100\n", "    value: unknown\n", 1)
    path.write_text(text)
    with pytest.raises(DataError, match="give a certainty .* unless the value is unknown"):
        load_facts("current", folder)


def test_unknown_fact_set_is_a_user_error():
    with pytest.raises(ZoomaiError, match="unknown fact set 'v6'; expected one of v5.0, current"):
        load_facts("v6")


# --- Facts checked by hand against the pages ------------------------------------------------
def test_hand_checked_deployment_options(current):
    # zoom.com/en/blog/ai-companion-data-residency-options (16 Oct 2025), introduction:
    # three deployment options, chosen by contacting Zoom support.
    assert fact(current, "deployment_options")["value"] == ["federated", "zm_plus", "zmo"]
    assert fact(current, "deployment_chosen_via_support")["value"] == "Zoom support"
    assert list(current.deployment_options["id"]) == ["federated", "zmo", "zm_plus"]
    # Same post, "Keeping it close with ZMO: A fully Zoom-managed approach": Zoom-hosted models
    # only, on infrastructure Zoom manages.
    assert fact(current, "zmo_zoom_models_only")["value"] is True
    # library.zoom.com ... data-residency-storage-and-model-architecture, "Data is processed
    # regionally when using ZMO or ZM+": both localise processing to the selected region, and
    # this replaces v5.0's "outside the US only ZMO".
    regional = fact(current, "regional_processing_zmo_zm_plus")
    assert (regional["option"], regional["replaces"]) == (["zmo", "zm_plus"], "non_us_hosting_zmo_only")
    # ZM+ provider routing is not given in what was read: unknown, with no certainty.
    zm_plus = fact(current, "zm_plus_third_party_models")
    assert zm_plus["value"] == "unknown" and pd.isna(zm_plus["certainty"])


def test_hand_checked_zdr_scope_and_window(current):
    # library.zoom.com ... privacy-retention-and-access-controls, "Zoom offers a zero data
    # retention setting for live transcripts": temporary transcript, OCR'd screen share and
    # in-meeting chat used for a Meeting Summary; deleted once the summary exists, kept up to
    # 24 hours when it fails.
    scope = fact(current, "zdr_scope_summary_inputs")
    assert scope["value"] == [
        "temporary transcript",
        "screen-shared content read by OCR",
        "in-meeting chat messages",
    ]
    assert scope["replaces"] == "zdr_scope_zoom_only"
    assert fact(current, "zdr_summary_inputs_retention")["value"] == 1  # 24 hours, in days
    zdr = current.matrix[current.matrix["zdr_eligible"].fillna(False)]
    assert set(zdr["content_item"]) == {
        "Audio transcript",
        "Screen-shared content read by OCR",
        "In-meeting chat messages",
    }
    assert set(zdr["feature"]) == {"Meeting summary"}


def test_hand_checked_providers(current):
    # library.zoom.com ... security-and-compliance/zoom-ai-companion, "Model Usage and
    # Processing": Perplexity gives the panel's web search results; ElevenLabs is listed too.
    assert list(current.model_providers["name"]) == ["OpenAI", "Anthropic", "Perplexity", "ElevenLabs"]
    results = row(current, "AI Companion panel", "Web search", "Web search results")
    assert (results["model_providers"], results["certainty"]) == ("Perplexity", "stated")
    # The question reaching Perplexity is our reading, not the page's words.
    assert row(current, "AI Companion panel", "Web search", "User question")["certainty"] == "inferred"
    # The stored copy breaks off before naming ElevenLabs' feature: unknown.
    assert fact(current, "elevenlabs_feature")["value"] == "unknown"
    # ... data-residency-storage-and-model-architecture, "Third-party models may store or
    # process data in the U.S.": a 'may', so possible.
    us = fact(current, "third_party_models_may_use_us")
    assert (us["value"], us["certainty"]) == ("US", "possible")


def test_hand_checked_panel_data_sources(current):
    # zoom.com/de/lp/zoom-ai-whitepaper, "Zoom-Datenquellen": the side panel searches Zoom
    # data of the last 90 days, from Meetings, Team Chat, Docs, Mail, Calendar and Contacts.
    assert fact(current, "panel_zoom_search_window")["value"] == 90
    assert "Zoom Mail" in fact(current, "panel_zoom_sources_whitepaper")["value"]
    # Same page, "Datenquellen von Drittanbietern": third-party content of the last 30 days;
    # library.zoom.com ... preface-understanding-ai-companions-data-sources, "Preface": 90 days.
    assert fact(current, "third_party_index_window_whitepaper")["value"] == 30
    assert fact(current, "third_party_index_window_bluepaper")["value"] == 90
    # How long the stored index is kept: neither page says.
    assert fact(current, "third_party_index_retention")["value"] == "unknown"
    emails = row(
        current, "AI Companion panel", "Answers from third-party data sources", "Microsoft or Google emails"
    )
    assert emails["retention_rule"] == "third_party_index_retention"


def test_hand_checked_custom_ai_companion_limits(current):
    # library.zoom.com ... custom-ai-companion-explainer/admin-experience, "Knowledge Bases:
    # Things to Know": 100 knowledge bases, 2,500 sources each, 20,000 per account, 50 MB files.
    values = {
        i: fact(current, i)["value"]
        for i in (
            "knowledge_bases_per_account",
            "knowledge_base_sources_per_base",
            "knowledge_base_sources_per_account",
            "knowledge_base_file_size",
        )
    }
    assert values == {
        "knowledge_bases_per_account": 100,
        "knowledge_base_sources_per_base": 2500,
        "knowledge_base_sources_per_account": 20000,
        "knowledge_base_file_size": 50,
    }


def test_hand_checked_transcription_and_on_demand_content(current):
    # library.zoom.com ... algorithms/algorithm-features, "Local Live Transcription": on-device
    # transcription from Workplace app 6.5.3; "Live Transcription": ASR, no LLM.
    assert fact(current, "local_live_transcription_version")["value"] == "6.5.3"
    assert fact(current, "live_transcription_without_llm")["value"] is True
    # ... ai-companion/ai-companion-diagrams-and-dataflows, "Core AI Companion Features":
    # on-demand artifacts are not stored, which sits against v5.0's 30-day support retention.
    assert fact(current, "on_demand_artifacts_retention")["value"] == 0
    assert fact(current, "zoom_support_retention")["value"] == 30  # carried over from v5.0
    pair = current.conflicts[current.conflicts["conflict"] == "on_demand_retention"]
    assert list(pair["fact"]) == ["on_demand_artifacts_retention", "zoom_support_retention"]


def test_hand_checked_legal_hold_and_third_party_meetings(current):
    # library.zoom.com ... privacy-retention-and-access-controls, "AI Companion data is
    # subject to legal holds": kept even if the host deletes it, for as long as the hold lasts.
    assert fact(current, "legal_hold_ai_content")["value"] == "unbounded"
    # support.zoom.com KB0080357: the admin setting that lets AI Companion join Teams and Meet.
    setting = fact(current, "third_party_meetings_setting")
    assert setting["value"] == "Allow AI Companion to join third-party meetings"
    assert setting["source_location"].endswith("KB0080357")


# --- Unknown stays unknown --------------------------------------------------------------------
def test_new_features_leave_unstated_cells_unknown(current):
    rows = current.matrix[current.matrix["origin"] == "current"]
    new = rows[[(p, f) in NEW_FEATURES for p, f in zip(rows["product"], rows["feature"], strict=True)]]
    assert new["zmo_eligible"].isna().all()
    assert new["min_client_version"].isna().all() and new["mobile_only"].isna().all()
    assert (new["zoom_processing_location"] == "unknown").all()
    assert (new["subprocessors"] == "unknown").all()
    # Nothing is left empty: a cell is a value or 'unknown'.
    for col in ("model_providers", "customer_storage_location", "retention_rule"):
        assert (rows[col].astype(str).str.len() > 0).all(), col


def test_new_meeting_summary_items_take_the_feature_flags(current):
    # A new content item of an existing feature keeps that feature's ZMO flag and version.
    item = row(current, "Meetings", "Meeting summary", "In-meeting chat messages")
    transcript = row(current, "Meetings", "Meeting summary", "Audio transcript")
    assert item["zmo_eligible"] == transcript["zmo_eligible"]
    assert item["min_client_version"] == transcript["min_client_version"] == "5.14.2"
    assert (item["model_providers"], item["retention_rule"]) == ("unknown", "unknown")


def test_summary_counts_unknown_apart(current):
    table = summary_with_unknown(current.matrix).set_index("product")
    assert table.loc["AI Companion panel", "zmo_unknown_features"] == 3
    assert table.loc["AI Companion panel", "zmo_eligible_features"] == 0
    assert table.loc["Meetings", "zdr_eligible_items"] == 3
    assert table.loc["Total", "features"] == 25


# --- Conflicts ----------------------------------------------------------------------------
def test_conflicts_keep_both_citations(current):
    conflicts = current.conflicts
    assert set(conflicts["conflict"]) == {
        "third_party_index_window",
        "zdr_scope",
        "panel_zoom_sources",
        "non_us_deployment",
        "zm_plus_third_party_processing",
        "on_demand_retention",
    }
    assert (conflicts.groupby("conflict").size() >= 2).all()
    assert (conflicts["section"].str.len() > 0).all()
    window = conflicts[conflicts["conflict"] == "third_party_index_window"]
    assert set(window["document"]) == {"whitepaper_web_de", "bluepaper_data_sources"}
    assert set(window["says"]) == {
        "content viewed or edited in the last 30 days",
        "content viewed or edited in the last 90 days",
    }


def test_conflict_naming_an_unknown_fact_fails(folder):
    path = folder / "conflicts.yaml"
    path.write_text(path.read_text().replace("fact: zdr_scope_summary_inputs", "fact: zdr_nope", 1))
    with pytest.raises(DataError, match="unknown fact 'zdr_nope'"):
        load_facts("current", folder)


def test_text_shown_to_readers_names_no_fact_id(current, folder):
    # reports show topic, what each source says and the handling as they are: words only
    for column in ("topic", "says", "handling"):
        assert not current.conflicts[column].str.contains(r"\b[a-z0-9]+_[a-z0-9_]+\b").any(), column
    path = folder / "conflicts.yaml"
    text = path.read_text()
    first = "handling: >-\n      Both windows are kept."
    assert first in text
    line = text[: text.index(first)].count("\n") + 1
    path.write_text(text.replace(first, "handling: >-\n      Both kept (third_party_index_retention).", 1))
    with pytest.raises(
        DataError, match=rf"line {line}, field conflicts\[0\]\.handling.*third_party_index_retention"
    ):
        load_facts("current", folder)
    path.write_text(
        text.replace("handling_facts: [third_party_index_retention]", "handling_facts: [nope_fact]")
    )
    with pytest.raises(DataError, match=r"conflicts\[0\]\.handling_facts\[0\].*unknown fact 'nope_fact'"):
        load_facts("current", folder)


# --- v5.0 unchanged, and what current changes -----------------------------------------------
def test_v5_fact_set_is_todays_data(v5):
    pd.testing.assert_frame_equal(v5.matrix, load_feature_matrix())
    assert list(v5.facts["id"]) == list(load_policy().facts["id"])
    assert v5.conflicts.empty
    assert list(v5.deployment_options["id"]) == ["federated", "zmo"]


def test_changes_v5_to_current(v5, current):
    diff = compare(v5, current)
    assert set(diff["change"]) == {"added", "changed"}  # nothing the newer pages retire
    added = diff[(diff["change"] == "added") & (diff["what"] == "feature")]
    assert set(added["subject"]) == {f"{p} / {f}" for p, f in NEW_FEATURES}
    items = diff[diff["what"] == "content item"]
    assert set(items["after"]) == {"Screen-shared content read by OCR", "In-meeting chat messages"}
    assert set(diff.loc[diff["what"] == "model provider", "subject"]) == {"Perplexity", "ElevenLabs"}
    assert list(diff.loc[diff["what"] == "deployment option", "subject"]) == ["Zoom-hosted Models Plus (ZM+)"]
    changed = diff[diff["change"] == "changed"]
    assert set(changed["field"]) == {
        "non_us_hosting_zmo_only -> regional_processing_zmo_zm_plus",
        "zdr_scope_zoom_only -> zdr_scope_summary_inputs",
        "zdr_summary_transcript_retention -> zdr_summary_inputs_retention",
    }
    assert (diff["document"] != "whitepaper").all()  # every change rests on a newer page


def test_changes_current_to_v5_mirror(v5, current):
    forward, backward = compare(v5, current), compare(current, v5)
    assert (backward["change"] == "removed").sum() == (forward["change"] == "added").sum()
    assert (backward["change"] == "changed").sum() == (forward["change"] == "changed").sum() == 3
    assert compare(current, current).empty


def test_overlay_change_and_remove(folder):
    path = folder / "feature_changes.csv"
    with path.open("a") as out:
        out.write(
            "change,Meetings,Meeting questions,Audio transcript,,,,,,Anthropic,,,,stated,"
            "bluepaper_ai_companion,Model Usage and Processing,made-up change for the test\n"
            "remove,Clips,Title and description generation,Audio transcript,,,,,,,,,,stated,"
            "bluepaper_ai_companion,Model Usage and Processing,made-up removal for the test\n"
        )
    diff = compare(load_facts("v5.0"), load_facts("current", folder))
    cell = diff[(diff["what"] == "matrix cell")].iloc[0]
    assert (cell["subject"], cell["field"]) == (
        "Meetings / Meeting questions / Audio transcript",
        "model_providers",
    )
    assert (cell["before"], cell["after"]) == ("OpenAI;Anthropic", "Anthropic")
    removed = diff[diff["change"] == "removed"]
    assert list(removed["subject"]) == ["Clips / Title and description generation / Audio transcript"]


def test_overlay_rejects_unknown_provider_and_existing_row(folder):
    path = folder / "feature_changes.csv"
    text = path.read_text().replace(",Perplexity,US,", ",Mistral,US,", 1)
    text += (
        "add,Meetings,Meeting summary,Audio transcript,input,user.content.transcript,,true,unknown,"
        "unknown,unknown,unknown,unknown,stated,bluepaper_privacy,x,\n"
    )
    path.write_text(text)
    with pytest.raises(DataError) as exc:
        load_facts("current", folder)
    message = str(exc.value)
    assert "line 6, column model_providers: unknown model provider 'Mistral'" in message
    assert (
        "line 25, column content_item: the v5.0 matrix already has this row; use change, not add" in message
    )


# --- Command line -------------------------------------------------------------------------
def test_cli_matrix_changes_between_fact_sets():
    code, out, _ = run_cli("matrix", "--changes", "v5.0", "current", "--format", "csv")
    assert code == 0
    assert "added,model provider,Perplexity" in out
    assert "zdr_scope_zoom_only -> zdr_scope_summary_inputs" in out


def test_cli_whitepaper_changelog_still_works():
    code, out, _ = run_cli("matrix", "--changes", "4.0", "5.0", "--format", "csv")
    assert code == 0 and "Virtual background generation" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("matrix", "--changes", "4.0", "current"),
            "expected two whitepaper versions (4.0 5.0) or two fact sets",
        ),
        (("matrix", "--facts", "current", "--path", "x.csv"), "cannot be combined with --facts current"),
        (("matrix", "--changes", "v6", "current"), "expected a whitepaper version such as 4.0 or a fact set"),
    ],
)
def test_cli_rejects_mixed_arguments(args, message):
    code, _, err = run_cli(*args)
    assert code == 2 and message in err and "Traceback" not in err


def test_cli_matrix_current_and_facts_commands():
    code, out, _ = run_cli("matrix", "--facts", "current", "--format", "csv")
    assert (
        code == 0
        and "AI Companion panel,Web search,User question,input,user.content.prompt,unknown,false" in out
    )
    code, out, _ = run_cli("facts", "--format", "csv")
    assert code == 0 and "zdr_scope_summary_inputs,option,temporary transcript; screen-shared content" in out
    code, out, _ = run_cli("facts", "--conflicts", "--format", "csv")
    assert code == 0 and out.count("third_party_index_window,") == 2
    code, out, _ = run_cli("facts", "--sources", "--format", "csv")
    assert code == 0 and "blog_deployment_options" in out and "seeds/000_32e3ce4243c18348.txt" in out
    code, out, _ = run_cli("facts", "--facts", "v5.0", "--conflicts", "--format", "csv")
    assert code == 0 and out.strip() == "conflict,topic,document,section,source_location,fact,says,handling"


def test_cli_facts_help_gives_examples_and_exit_codes():
    code, out, _ = run_cli("facts", "--help")
    assert code == 0
    assert "  zoomai facts --conflicts --format csv" in out
    assert "  2  wrong input" in out
