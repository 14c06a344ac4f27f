"""Flows under each preset, against figures worked out by hand from the matrix and policy."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from conftest import run_cli

from zoomai.analysis.configurations import load_configurations
from zoomai.analysis.flows import FLOW_COLUMNS, availability, flows, options_for
from zoomai.core.errors import DataError

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
    # link-only emails: no summary text with the email provider or in SendGrid's samples;
    # shared only internally: no external recipients
    assert set(summary.index) == {
        ("Audio transcript", "Zoom"),
        ("Meeting summary", "Zoom"),
        ("Meeting summary", "Customer storage"),
    }
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
    code, out, err = run_cli("flows", "--config", config, "--region", region, "--format", "csv")
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
