"""Flows under each preset, against figures worked out by hand from the whitepaper v5.0 matrix
and policy (the fact set `current` over it: tests/test_facts_flows.py, tests/test_current_facts.py)."""

from __future__ import annotations

import csv
import io
from functools import partial

import pandas as pd
import pytest
from conftest import run_cli

from zoomai.analysis import flows as engine
from zoomai.analysis.configurations import load_configurations
from zoomai.analysis.flows import FLOW_COLUMNS, availability
from zoomai.core.errors import DataError
from zoomai.core.paths import data_dir

flows = partial(engine.flows, facts="v5.0")
options_for = partial(engine.options_for, facts="v5.0")
V5 = ("--facts", "v5.0")
PRESETS = ["default", "zmo", "zdr", "zmo_zdr", "hardened", "ai_off"]
REGIONS = ["US", "EU", "UK", "CA", "AU", "JP", "IN"]


def test_presets_exist():
    assert list(load_configurations()) == PRESETS


def test_default_us_flows():
    f = flows("default", "US")
    assert list(f.columns) == FLOW_COLUMNS
    # 50 content items: each held by Zoom, OpenAI and Anthropic
    counts = f["party"].value_counts().to_dict()
    assert counts["Zoom"] == counts["OpenAI"] == counts["Anthropic"] == 50
    # one SendGrid, email-provider and external-recipient flow (the meeting summary), one
    # Rekognition (generated backgrounds), three public (Events email, smart compose, image)
    assert (counts["Twilio SendGrid"], counts["Email provider"], counts["External recipients"]) == (1, 1, 1)
    assert (counts["Amazon Rekognition"], counts["Public"], counts["User device"]) == (1, 3, 1)
    assert set(f.loc[f["party"].isin(["OpenAI", "Anthropic"]), "location"]) == {"US"}
    assert set(f.loc[f["party"] == "Zoom", "retention_max_days"]) == {30}


def test_unknown_stays_unknown():
    f = flows("default").set_index(["feature", "content_item", "party"])
    rek = f.loc[("Virtual background generation", "Virtual background image", "Amazon Rekognition")]
    assert pd.isna(rek["retention_max_days"]) and rek["retention_note"].startswith("unknown")
    assert rek["location"] == "US"
    device = f.loc[("Virtual background generation", "Virtual background image", "User device")]
    assert pd.isna(device["retention_max_days"]) and device["retention_note"].startswith("unbounded")
    public = f.loc[("Smart compose", "Event content", "Public")]
    assert public["retention_max_days"] == 730


@pytest.mark.parametrize("config", ["zmo", "zmo_zdr", "hardened"])
def test_zmo_has_no_third_party_models(config):
    f = flows(config)
    assert not f["party_kind"].eq("model_provider").any()
    lost = availability(options_for(load_configurations()[config])).query("not available")
    assert len(lost) >= 12  # 20 features, 8 ZMO eligible


def test_zmo_keeps_eight_features():
    f = flows("zmo")
    assert f["feature_id"].nunique() == 8
    assert len(f[f["party"] == "Zoom"]) == 22  # content items of the 8 ZMO-eligible features


def test_zdr_only_shortens_zoom_transcript_window():
    base, zdr = flows("default"), flows("zdr")
    key = ["feature_id", "content_item", "party"]
    merged = base.merge(zdr, on=key, suffixes=("", "_zdr"))
    assert len(merged) == len(base) == len(zdr)
    changed = merged[
        merged["retention_max_days"].astype("Float64").fillna(-1)
        != merged["retention_max_days_zdr"].astype("Float64").fillna(-1)
    ]
    assert changed[key].values.tolist() == [["meetings.meeting_summary", "Audio transcript", "Zoom"]]
    assert changed[["retention_min_days_zdr", "retention_max_days_zdr"]].values.tolist() == [[0, 1]]
    providers = zdr[(zdr["content_item"] == "Audio transcript") & (zdr["party_kind"] == "model_provider")]
    assert set(providers["retention_max_days"]) == {30}  # ZDR changes nothing at the providers


def test_hardened_summary_flows():
    f = flows("hardened")
    summary = f[f["feature_id"] == "meetings.meeting_summary"].set_index(["content_item", "party"])
    # link-only emails: no summary text with the email provider or in SendGrid's samples, but
    # the email itself (a link, the recipients' addresses) still passes through both (whitepaper,
    # Meetings - Continued footnote: SendGrid delivers "the meeting summary or link");
    # shared only internally: no external recipients
    link = "Summary email with a link and the recipients' addresses"
    assert set(summary.index) == {
        ("Audio transcript", "Zoom"),
        ("Meeting summary", "Zoom"),
        ("Meeting summary", "Customer storage"),
        (link, "Twilio SendGrid"),
        (link, "Email provider"),
    }
    assert set(summary.loc[link, "data_category"]) == {"user.contact.email"}
    assert set(summary.loc[link, "certainty"]) == {"stated"}
    assert summary.loc[(link, "Twilio SendGrid"), "retention_max_days"] == 7
    assert summary.loc[("Audio transcript", "Zoom"), "retention_max_days"] == 1
    # web portal 30 days, Team Chat copy 3 months: the widest is 90 days
    assert summary.loc[("Meeting summary", "Customer storage"), "retention_max_days"] == 90
    recordings = f[(f["feature_id"] == "meetings.smart_recordings") & (f["party"] == "Customer storage")]
    assert set(recordings["retention_max_days"]) == {30}


def test_ai_off_has_no_flows():
    assert flows("ai_off").empty
    assert not availability(options_for(load_configurations()["ai_off"]))["available"].any()


@pytest.mark.parametrize("region", REGIONS[1:])
def test_non_us_hosting_is_zmo(region):
    key = ["feature_id", "content_item", "party", "retention_min_days", "retention_max_days"]
    abroad = flows("default", region)
    zmo = flows("zmo", "US")
    assert abroad[key].equals(zmo[key])
    assert set(abroad.loc[abroad["party"] == "Zoom", "location"]) == {region}


@pytest.mark.parametrize("config", PRESETS)
@pytest.mark.parametrize("region", ["US", "EU", "JP"])
def test_cli_flows_every_preset_and_region(config, region):
    code, out, err = run_cli("flows", "--config", config, "--region", region, "--format", "csv", *V5)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(flows(config, region))
    assert (not rows) or list(rows[0]) == FLOW_COLUMNS


def test_custom_configuration_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "configurations:\n  no_recordings:\n    description: x\n    settings:\n"
        "      recording.smart_recording.create_recording_highlights: false\n"
        "      recording.smart_recording.create_smart_chapters: false\n"
        "      recording.smart_recording.create_next_steps: false\n"
    )
    f = flows(load_configurations(path)["no_recordings"])
    assert "meetings.smart_recordings" not in set(f["feature_id"])
    code, out, _ = run_cli("flows", "--config", path, "--lost", "--format", "csv")
    assert code == 0 and "meetings.smart_recordings" in out


def test_bad_configuration_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "configurations:\n  mine:\n    zmo: perhaps\n    settings:\n"
        "      recording.auto_delete_cmr_days: 45\n      no.such.key: true\n"
    )
    with pytest.raises(DataError) as info:
        load_configurations(path)
    message = str(info.value)
    assert "line 3, field configurations.mine.zmo" in message
    assert (
        "line 5, field configurations.mine.settings.recording.auto_delete_cmr_days: expected one of "
        "['30', '60', '90', '120'], got '45'" in message
    )
    assert "line 6, field configurations.mine.settings.no.such.key: unknown setting key" in message
    code, _, err = run_cli("flows", "--config", path)
    assert code == 2 and "bad.yaml" in err and "Traceback" not in err


@pytest.mark.parametrize("region", ["Europe", "ZZ"])
def test_bad_region(region):
    """Only the codes of data/hosting_regions.yaml are regions (ZZ was accepted before)."""
    code, _, err = run_cli("flows", "--region", region)
    assert code == 2 and "expected a hosting region, one of US, AU, BR, CA, CN, DE, EU," in err
    assert f"got '{region}'" in err


def test_model_providers_are_possible_not_stated():
    # "Zoom-hosted and/or third-party" models; third-party models "may be used for certain AI
    # Companion features" (whitepaper, Data Flow; Third-Party Subprocessors)
    f = flows("default")
    providers = f[f["party_kind"] == "model_provider"]
    assert set(providers["certainty"]) == {"possible"}
    assert providers["certainty_basis"].str.contains("such as").all()  # the list is open
    assert set(f.loc[f["party"] == "Zoom", "certainty"]) == {"stated"}


def test_anthropic_on_image_features_is_flagged():
    # the only image model the whitepaper names is OpenAI's DALL-E 3 (Model Usage and Processing)
    f = flows("default").set_index(["feature", "content_item", "party"])
    anthropic = f.loc[("Image generation", "Image", "Anthropic")]
    assert anthropic["certainty"] == "possible" and "DALL-E 3" in anthropic["certainty_basis"]
    assert "DALL-E 3" not in f.loc[("Image generation", "Image", "OpenAI"), "certainty_basis"]


def test_widest_settings_without_a_tenant_are_assumed():
    # `flows` with no tenant shows summaries to external invitees and full-text emails: the
    # project's assumption, labelled as such, not a whitepaper fact
    f = flows("default").set_index(["feature_id", "party"])
    for party in ("External recipients", "Email provider", "Twilio SendGrid"):
        row = f.loc[("meetings.meeting_summary", party)]
        assert row["certainty"] == "assumed" and row["reading"].startswith("Where the configuration")
    # hardened fixes the settings: the same kind of flows are stated
    h = flows("hardened")
    assert set(h.loc[h["party"] == "Twilio SendGrid", "certainty"]) == {"stated"}


def test_zmo_unavailability_is_an_inferred_reading():
    # ZMO: data "will not be sent to third-party models"; outside the US AI Companion "is
    # available with Zoom-hosted Models Only"; the whitepaper does not say other features are off
    lost = availability(options_for(load_configurations()["zmo"])).query("not available")
    assert set(lost["certainty"]) == {"inferred"}
    assert lost["reading"].str.contains("does not say").all()
    off = availability(options_for(load_configurations()["ai_off"]))
    assert set(off["certainty"]) == {"stated"}


def test_provider_and_zoom_windows_may_be_longer_by_law():
    # "unless a longer retention period is required by applicable law, including for trust and
    # safety purposes": 30 days is the stated maximum, not a hard one
    f = flows("default")
    zoom = f[f["party"] == "Zoom"]["retention_note"]
    assert zoom.str.endswith(
        "longer where applicable law requires it, including for trust and safety purposes"
    ).all()
    openai = f[f["party"] == "OpenAI"]["retention_note"]
    assert (openai == "up to 30 days; longer where applicable law requires it").all()


def test_events_public_bound_is_not_the_stored_copy():
    # "publicly available ... for up to two years": the public copy; the customer's stored copy
    # has no retention in the whitepaper (unknown, never 730 days)
    f = flows("default").set_index(["feature", "content_item", "party"])
    assert f.loc[("Smart compose", "Event content", "Public"), "retention_max_days"] == 730
    stored = f.loc[("Smart compose", "Event content", "Customer storage")]
    assert pd.isna(stored["retention_max_days"]) and stored["retention_note"].startswith("unknown")


def test_flow_rule_without_certainty_or_source_fails(tmp_path):
    from zoomai.facts.certainty import load_flow_rules

    path = tmp_path / "flow_rules.yaml"
    text = (data_dir() / "flow_rules.yaml").read_text()
    text = text.replace("  zoom:\n    certainty: stated\n", "  zoom:\n", 1)
    text = text.replace(
        "    reading: >-\n      A feature the tables", "    note: >-\n      A feature the tables", 1
    )
    path.write_text(text)
    with pytest.raises(DataError) as info:
        load_flow_rules(path)
    message = str(info.value)
    assert "field rules.zoom.certainty: required field is missing" in message
    assert "rules.zmo_unavailable" in message
    missing = tmp_path / "few.yaml"
    missing.write_text("rules: {}\n")
    with pytest.raises(DataError, match="rule 'zoom' is required"):
        load_flow_rules(missing)


def test_flow_rule_with_unknown_category_or_document_fails(tmp_path):
    from zoomai.facts.certainty import load_flow_rules

    path = tmp_path / "flow_rules.yaml"
    text = (data_dir() / "flow_rules.yaml").read_text()
    text = text.replace("data_category: user.contact.email", "data_category: user.contact.pigeon", 1)
    text = text.replace(
        'source: {document: whitepaper, section: "AI Companion Features > Events"}',
        'source: {document: blog, section: "AI Companion Features > Events"}',
        1,
    )
    path.write_text(text)
    with pytest.raises(DataError) as info:
        load_flow_rules(path)
    message = str(info.value)
    assert "rules.email_link.data_category: unknown data category 'user.contact.pigeon'" in message
    assert "rules.public.source.document: unknown document 'blog'" in message
