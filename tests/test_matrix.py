"""The feature matrix against the whitepaper (seeds/000), checked by hand from its tables."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from conftest import run_cli

from zoomai.facts.matrix import changes, features, summary

# Features per product as listed in the whitepaper's feature tables (v5.0).
FEATURES = {
    "Meetings": ["Smart recordings", "Meeting summary", "Meeting questions", "Virtual background generation"],
    "Email and Calendar": ["Email compose"],
    "Team Chat": ["Chat compose", "Thread summary", "Quick scheduling", "Sentence completion", "Quick reply"],
    "Whiteboard": ["Content generation"],
    "Phone": ["Call summary", "Voicemail tasks", "Voicemail prioritization", "SMS thread summary"],
    "Clips": ["Title and description generation"],
    "Events": ["Chat compose", "Email compose", "Smart compose", "Image generation"],
}
# Content items (inputs + outputs) per product, counted from the tables.
ITEMS = {
    "Meetings": 10,
    "Email and Calendar": 2,
    "Team Chat": 13,
    "Whiteboard": 3,
    "Phone": 10,
    "Clips": 2,
    "Events": 10,
}
# Features marked "Zoom-hosted Models Only (ZMO) Eligible" (or "... Only Eligible").
ZMO = {
    ("Meetings", "Smart recordings"),
    ("Meetings", "Meeting summary"),
    ("Meetings", "Meeting questions"),
    ("Team Chat", "Chat compose"),
    ("Team Chat", "Thread summary"),
    ("Phone", "Call summary"),
    ("Phone", "Voicemail tasks"),
    ("Phone", "SMS thread summary"),
}
# "Minimum Recommended Client Version" per feature; None where the table says N/A.
VERSIONS = {
    ("Meetings", "Smart recordings"): "5.16.5",
    ("Meetings", "Meeting summary"): "5.14.2",
    ("Meetings", "Meeting questions"): "5.15.12",
    ("Meetings", "Virtual background generation"): "6.0.0",
    ("Email and Calendar", "Email compose"): "5.15.0",
    ("Team Chat", "Chat compose"): "5.14.10",
    ("Team Chat", "Thread summary"): "5.16.0",
    ("Team Chat", "Quick scheduling"): "5.16.10",
    ("Team Chat", "Sentence completion"): "5.17.0",
    ("Team Chat", "Quick reply"): "6.0.0",
    ("Whiteboard", "Content generation"): "5.16.0",
    ("Phone", "Call summary"): "5.17.0",
    ("Phone", "Voicemail tasks"): "5.17.0",
    ("Phone", "Voicemail prioritization"): "5.17.5",
    ("Phone", "SMS thread summary"): "5.16.5",
    ("Clips", "Title and description generation"): None,
    ("Events", "Chat compose"): None,
    ("Events", "Email compose"): None,
    ("Events", "Smart compose"): None,
    ("Events", "Image generation"): None,
}


def test_features_per_product(matrix):
    feats = features(matrix)
    for product, names in FEATURES.items():
        assert list(feats.loc[feats["product"] == product, "feature"]) == names


def test_content_items_per_product(matrix):
    counts = matrix.groupby("product", observed=True).size().to_dict()
    assert counts == ITEMS
    totals = summary(matrix).set_index("product").loc["Total"]
    assert (totals["features"], totals["content_items"]) == (20, 50)


def test_zmo_flags(matrix):
    feats = features(matrix)
    flagged = {
        (p, f) for p, f, z in feats[["product", "feature", "zmo_eligible"]].itertuples(index=False) if z
    }
    assert flagged == ZMO


def test_zdr_only_on_meeting_summary_transcript(matrix):
    zdr = matrix[matrix["zdr_eligible"]]
    assert list(
        zdr[["product", "feature", "content_item", "direction"]].itertuples(index=False, name=None)
    ) == [("Meetings", "Meeting summary", "Audio transcript", "input")]


def test_min_client_versions(matrix):
    feats = features(matrix).set_index(["product", "feature"])
    for key, version in VERSIONS.items():
        got = feats.loc[key, "min_client_version"]
        assert (None if pd.isna(got) else got) == version, key


def test_mobile_only_is_quick_reply(matrix):
    assert set(matrix.loc[matrix["mobile_only"], "feature"]) == {"Quick reply"}


def test_same_feature_name_in_two_products(matrix):
    chat = matrix[matrix["feature"] == "Chat compose"]
    assert set(chat["product"]) == {"Team Chat", "Events"}
    assert chat["feature_id"].nunique() == 2
    # Events' chat drafts are only accessible while the event is live; Team Chat's follow retention.
    outputs = chat[chat["direction"] == "output"].set_index("product")["retention_rule"]
    assert outputs.to_dict() == {"Team Chat": "team_chat_retention", "Events": "event_chat_live_only"}


def test_retention_and_storage_cells(matrix):
    row = matrix.set_index(["feature", "content_item"])
    assert row.loc[("Call summary", "Call summary"), "retention_rule"] == "stored_until_deleted"
    assert row.loc[("Voicemail tasks", "Voicemail task"), "retention_rule"] == "voicemail_retention"
    assert (
        row.loc[("Virtual background generation", "Virtual background image"), "customer_storage_location"]
        == "user_device"
    )
    assert (
        row.loc[("Virtual background generation", "Virtual background image"), "subprocessors"]
        == "Amazon Rekognition"
    )
    assert row.loc[("Meeting summary", "Meeting summary"), "subprocessors"] == "Twilio SendGrid"
    assert (
        row.loc[("Meeting summary", "Audio transcript"), "zoom_processing_location"]
        == "host_live_transcript_location"
    )
    assert (
        row.loc[("Quick scheduling", "Schedule suggestion"), "retention_rule"]
        == "calendar_provider_retention"
    )
    # "publicly available ... for up to two years" bounds the public copy; the copy in the
    # customer's provisioned data center has no retention in the whitepaper (Events table)
    events_public = matrix[
        (matrix["product"] == "Events") & (matrix["additional_retention_rules"] == "event_content_public")
    ]
    assert set(events_public["feature"]) == {"Email compose", "Smart compose", "Image generation"}
    assert set(events_public["retention_rule"]) == {"event_content_customer_storage"}
    assert set(matrix["model_providers"]) == {"OpenAI;Anthropic"}


def test_changelog_4_to_5(matrix):
    added = changes(matrix, "4.0", "5.0")
    assert set(zip(added["product"], added["feature"], strict=True)) == {
        ("Meetings", "Virtual background generation"),
        ("Team Chat", "Quick reply"),
        ("Clips", "Title and description generation"),
    }


def test_changelog_3_to_4(matrix):
    added = changes(matrix, "3.0", "4.0")
    assert set(zip(added["product"], added["feature"], strict=True)) == {
        ("Team Chat", "Sentence completion"),
        ("Phone", "Call summary"),
        ("Phone", "Voicemail tasks"),
        ("Phone", "Voicemail prioritization"),
        ("Phone", "SMS thread summary"),
    }


def test_changes_do_not_backdate_zmo_and_versions(matrix):
    # the v4.0 changelog "added information around minimum versions, ZMO and ZDR": the features
    # v3.0 added (Quick scheduling, Events Smart compose) had neither documented in v3.0
    added = changes(matrix, "2.0", "3.0").set_index("feature")
    assert set(added.index) == {"Quick scheduling", "Smart compose"}
    assert added[["zmo_eligible", "min_client_version"]].isna().all().all()
    assert set(added["attributes_documented_in"]) == {"4.0"}
    # as of v4.0 they are documented: Quick scheduling not ZMO eligible, 5.16.10
    as_of_4 = changes(matrix, "2.0", "4.0").set_index("feature").loc["Quick scheduling"]
    assert (bool(as_of_4["zmo_eligible"]), as_of_4["min_client_version"]) == (False, "5.16.10")


def test_changes_rejects_reversed_range(matrix):
    with pytest.raises(ValueError, match="earlier version"):
        changes(matrix, "5.0", "4.0")


def test_cli_matrix_csv_lists_every_feature():
    code, out, err = run_cli("matrix", "--format", "csv", "--facts", "v5.0")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 50
    listed = {(r["product"], r["feature"]) for r in rows}
    assert listed == {(p, f) for p, names in FEATURES.items() for f in names}
    summary_row = next(r for r in rows if r["feature"] == "Meeting summary" and r["direction"] == "input")
    assert (summary_row["zmo_eligible"], summary_row["zdr_eligible"], summary_row["min_client_version"]) == (
        "true",
        "true",
        "5.14.2",
    )


def test_cli_changes_and_markdown():
    code, out, _ = run_cli("matrix", "--changes", "4.0", "5.0")
    assert code == 0
    assert out.startswith("| added_in_version")
    assert "Virtual background generation" in out and "Call summary" not in out
    code, _, err = run_cli("matrix", "--changes", "four", "5.0")
    assert code == 2 and "expected a whitepaper version" in err


def test_cli_matrix_defaults_to_the_current_facts():
    # the current set: the 50 whitepaper rows plus the 23 rows data/current/feature_changes.csv adds
    code, out, err = run_cli("matrix", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 73
    web = next(r for r in rows if r["feature"] == "Web search" and r["direction"] == "input")
    assert (web["model_providers"], web["zmo_eligible"]) == ("Perplexity", "unknown")
