"""Policy facts against the whitepaper's text."""

from __future__ import annotations

import pandas as pd
from conftest import REPO

from zoomai import load_data_categories


def test_retention_windows(policy):
    f = policy.facts.set_index("id")
    assert f.loc["zoom_support_retention", "max_days"] == 30
    assert (
        f.loc["provider_trust_safety_retention", "max_days"],
        f.loc["provider_trust_safety_retention", "location"],
    ) == (30, "US")
    assert f.loc["zdr_summary_transcript_retention", ["min_days", "max_days"]].tolist() == [0, 1]
    assert f.loc["sendgrid_email_sampling", ["party", "max_days"]].tolist() == ["Twilio SendGrid", 7]
    assert f.loc["event_content_public", "max_days"] == 730


def test_unknown_is_never_zero(policy):
    f = policy.facts.set_index("id")
    for fact in (
        "rekognition_moderation",
        "email_provider_retention",
        "calendar_provider_retention",
        "event_chat_live_only",
    ):
        assert f.loc[fact, "max_kind"] == "unknown"
        assert pd.isna(f.loc[fact, "max_days"])
    assert f.loc["stored_until_deleted", "max_kind"] == "unbounded"
    assert pd.isna(f.loc["stored_until_deleted", "max_days"])


def test_control_hierarchy(policy):
    assert policy.value("group_level_products") == [
        "Meetings",
        "Team Chat",
        "Whiteboard",
        "Email and Calendar",
    ]
    assert policy.value("user_level_products") == ["Meetings", "Whiteboard"]
    assert policy.value("site_level_products") == ["Phone"]
    assert policy.value("control_levels") == ["account", "group", "site", "user"]
    assert policy.value("site_policy_skipped_for_group_phone_policy") is True


def test_client_versions_and_options(policy):
    assert policy.value("participant_notice_min_version") == "5.15.12"
    assert policy.value("host_one_click_off_min_version") == "6.0.0"
    assert policy.value("zmo_no_third_party_models") is True
    assert policy.zdr_items == {("Meetings", "Meeting summary", "Audio transcript")}
    assert policy.value("non_us_hosting_zmo_only") is True


def test_every_fact_is_cited(policy):
    documents = set(policy.documents["id"])
    assert policy.facts["document"].isin(documents).all()
    assert (policy.facts["section"].str.len() > 0).all()
    assert policy.cite("zoom_support_retention").startswith("whitepaper v5.0, Data Processing")
    assert policy.fact("terms_training_clarification")["document"] == "terms_news"


def test_data_categories(matrix):
    cats = load_data_categories().set_index("fides_key")
    used = {k for cell in matrix["data_category"] for k in cell.split(";")}
    assert used <= set(cats.index)
    ext = cats[cats["extension"]]
    assert set(ext["parent_key"]) <= set(cats.index)
    # audio content is not filed as a biometric voice print
    assert not any(k.startswith("user.biometric") for k in used)
    transcripts = matrix[matrix["content_item"].str.lower() == "audio transcript"]
    assert set(transcripts["data_category"]) == {"user.content.transcript"}


def test_news_item_is_stated_as_it_reads(policy):
    # the seed news item (seeds/001: its excerpt on communications-like content, and a related
    # AP headline "... But other data is fair game") says nothing of telemetry: the fact says
    # only what it says
    statement = policy.fact("terms_training_clarification")["statement"]
    assert "telemetry" not in statement.lower()
    assert "fair game" in statement and "communications-like" in statement


def test_thirty_day_windows_are_not_hard(policy):
    # "unless a longer retention period is required by applicable law, including for trust and
    # safety purposes" (whitepaper, Model Provider Data Storage and Retention)
    f = policy.facts.set_index("id")
    assert "law" in f.loc["zoom_support_retention", "longer_if"]
    assert "law" in f.loc["provider_trust_safety_retention", "longer_if"]
    assert pd.isna(f.loc["sendgrid_email_sampling", "longer_if"])  # the footnote names no exception


def test_provider_list_is_open(policy):
    assert "such as" in load_policy_file()["model_providers"]["note"]


def load_policy_file() -> dict:
    import yaml

    return yaml.safe_load((REPO / "data" / "policy.yaml").read_text(encoding="utf-8"))
