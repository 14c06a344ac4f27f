"""zoomai.reporting.formats, labels and palette: numbers for people, words for keys, one colour
per party and data category."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from zoomai.analysis.configurations import get_configuration
from zoomai.core.errors import DataError
from zoomai.reporting import formats, labels, palette


def test_counts_have_separators_and_unknown_is_not_zero():
    assert formats.count(260465) == "260,465"
    assert formats.count(np.int64(-2275410)) == "-2,275,410"
    assert formats.count(2.5) == "3" and formats.count(-2.5) == "-3"  # half away from zero
    assert formats.count(None) == formats.count(math.nan) == formats.count(pd.NA) == "unknown"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5915.7, "about 5,900"),  # the "5,915.7 people": two significant figures
        (47.3, "about 47"),
        (2673.3, "about 2,700"),
        (150, "about 150"),
        (0, "0"),
        (math.nan, "unknown"),
    ],
)
def test_estimates_are_rounded_and_marked(value, text):
    assert formats.estimate(value) == text


def test_percentages_and_days():
    assert formats.percent(152199, 260465) == "58%"  # 0.5843...
    assert formats.percent(0.001) == "<1%" and formats.percent(0.999) == ">99%"
    assert formats.percent(0) == "0%" and formats.percent(1, 0) == "unknown"
    assert formats.days(30) == "30 days" and formats.days(1) == "1 day" and formats.days(None) == "unknown"


def test_a_count_and_its_unit_agree_in_number():
    assert formats.counted(1, "record-day") == "1 record-day"
    assert formats.counted(2, "record-day") == "2 record-days"
    assert formats.counted(0, "user") == "0 users" and formats.counted(1234, "user") == "1,234 users"
    assert formats.counted(1, "person") == "1 person" and formats.counted(3, "person") == "3 people"
    assert formats.counted(1.2, "user") == "1 user"  # written as the count "1"
    # figures already written: an estimate of one, a range
    assert formats.counted("about 1", "person") == "about 1 person"
    assert formats.counted("8 to 12", "content record") == "8 to 12 content records"
    assert formats.counted(None, "user") == "unknown users"


def test_value_never_writes_scientific_notation():
    assert formats.value(3.255e04) == "32,550" and formats.value(1e21) == f"{10**21:,}"
    assert formats.value(0.25) == "0.2" or formats.value(0.25) == "0.3"
    assert formats.value(True) == "yes" and formats.value(np.bool_(False)) == "no"
    assert formats.value(pd.NA) == "" and formats.value("x") == "x"


def test_setting_labels_come_from_the_registry_or_the_labels_file():
    assert labels.setting("recording.auto_delete_cmr") == "Auto-delete cloud recordings"  # registry
    assert labels.setting("zoomai.meetings.virtual_background_generation.enable") == (
        "Virtual background generation"  # the registry's "(no API field)" note dropped
    )
    key = "in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary"
    assert labels.setting(key) == "Who receives meeting summaries"
    assert labels.setting("no.such.key") == "no.such.key"


def test_enum_codes_and_values_in_words():
    key = "in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary"
    assert labels.setting_value(key, "4") == "All invitees, including external"
    assert labels.setting_value("recording.auto_delete_cmr", "false") == "off"
    assert labels.setting_value("zoomai.meetings.summary_auto_delete.days", "30") == "30 days"
    period = "chat.set_retention_period_in_cloud.retention_period_of_channels"
    assert labels.setting_value(period, "3m") == "3 months" and labels.setting_value(period, "1y") == "1 year"
    assert labels.setting_value(key, None) == "not set"


def test_changes_read_as_actions():
    assert labels.change("zmo", "true") == "Turn on Zoom-hosted Models Only (ZMO) (through Zoom support)"
    assert labels.change("in_meeting.meeting_summary_with_ai_companion.enable", "false") == (
        "Switch off Meeting summary (Meetings)"
    )
    assert (
        labels.change("zoomai.meetings.summary_email", "link") == 'Set "Meeting summary emails" to Link only'
    )
    assert labels.change("recording.auto_delete_cmr", "true") == 'Turn on "Auto-delete cloud recordings"'


def test_configuration_in_words():
    assert labels.configuration("zmo_zdr") == "ZMO and ZDR" and labels.configuration("mine") == "mine"
    changes = labels.configuration_changes(get_configuration("hardened"))
    assert changes[:2] == ["Zoom-hosted Models Only (ZMO): on", "Zero Data Retention (ZDR): on"]
    assert "Who receives meeting summaries: Host and invitees in the organisation" in changes
    assert labels.configuration_changes(get_configuration("default")) == []


def test_tables_in_words_keep_the_fideslang_key_beside_the_name():
    frame = pd.DataFrame(
        {
            "key": ["in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary"],
            "account_value": ["3"],
            "value": ["4"],
            "data_category": ["user.content.transcript;user.name"],
            "status": ["tenant_off"],
            "records": [3],
        }
    )
    out = labels.words(frame)
    assert list(out.columns) == [
        "key",
        "account_value",
        "value",
        "data_category",
        "fides_key",
        "status",
        "records",
    ]
    row = out.iloc[0]
    assert (
        row["key"] == "Who receives meeting summaries" and row["value"] == "All invitees, including external"
    )
    assert row["account_value"] == "Host and invitees in the organisation"
    assert (
        row["data_category"] == "Transcript, Name" and row["fides_key"] == "user.content.transcript;user.name"
    )
    assert row["status"] == "unavailable under the tenant's own settings" and row["records"] == 3
    assert list(labels.humanise(frame).columns)[:2] == ["Setting", "Account's value"]
    assert labels.column("some_new_column") == "Some new column"


def test_labels_file_is_validated(tmp_path):
    bad = tmp_path / "labels.yaml"
    bad.write_text(
        "settings:\n  no.such.key: X\n"
        "choices:\n  zoomai.meetings.summary_email: {full_text: Full}\n"
        "configurations:\n  nope: Nope\n"
    )
    with pytest.raises(DataError) as err:
        labels.load_labels(bad)
    text = str(err.value)
    assert "line 1, field settings" in text and "no.such.key" in text
    assert "zoomai.meetings.summary_email: expected words for exactly the values" in text
    assert "line 5, field configurations" in text and "nope" in text


def test_palette_gives_every_known_party_and_category_its_own_fixed_colour():
    parties, categories = palette.parties(), palette.categories()
    assert parties[:3] == ("Zoom", "Anthropic", "OpenAI")  # by kind, then name
    assert len({palette.party_colour(p) for p in parties}) == len(parties)
    assert len({palette.category_colour(c) for c in categories}) == len(categories)
    assert palette.party_colour("Some new party") == palette.party_colour("Some new party")
    assert palette.rgba("#0072B2", 0.3) == "rgba(0,114,178,0.3)"


def test_every_headline_figure_of_every_notebook_has_words():
    """Each name of the notebooks' reference headline outputs (tests/notebook_outputs, the
    figures their summaries and the index show) has words in data/labels.yaml."""
    from conftest import NOTEBOOK_OUTPUTS, REPO

    names = {
        line.split(":", 1)[0]
        for notebook in (REPO / "notebooks").glob("*.ipynb")
        for line in (NOTEBOOK_OUTPUTS / f"{notebook.stem}.txt").read_text().splitlines()
        if ":" in line
    }
    assert {"dpia_required", "criteria_met", "records_observed", "uses_simulated"} <= names
    assert sorted(n for n in names if not labels.has_figure(n)) == []


def test_figure_words_for_bounds_usage_sources_and_mapping_keys():
    assert labels.figure("dpia_required") == "DPIA required"
    assert labels.figure("records_min") == "Records held by any party, lower bound"
    assert labels.figure("people_external_max") == "People touched (external, per activity), upper bound"
    assert labels.figure("records_observed") == "Records held by any party, observed usage"
    assert labels.is_estimate("people_without_notice_max") and not labels.is_estimate("records_max")
    assert not labels.has_figure("no_such_figure") and labels.figure("no_such_figure") == "No such figure"
    assert not labels.has_figure("records_sideways")  # an unknown suffix gets no words of its base
    assert labels.figure_key("flows_by_location", "device") == "user's device"
    assert labels.figure_key("exposure_score", "ai_off") == "AI Companion off"
    assert labels.figure_text("zmo=true") == "Turn on Zoom-hosted Models Only (ZMO) (through Zoom support)"
    assert labels.figure_text("100% simulated") == "100% simulated"
    # table headers: a labelled column's bounds and usage sources, the same words
    assert labels.column("third_party_records_min") == "Records at third parties, lower bound"
    assert labels.column("records_removed_observed") == "Records removed, observed usage"
    assert labels.column("records_sideways") == "Records sideways"
    assert labels.words(pd.DataFrame({"bound": ["max"]}))["bound"].tolist() == ["upper bound (every flow)"]


def test_a_link_shows_its_text_and_keeps_the_address_as_its_target():
    link = formats.Link("Privacy <and> Access", "https://example.com/a?id=zm_kb&x=1")
    assert str(link) == "Privacy <and> Access"
    assert link.html() == '<a href="https://example.com/a?id=zm_kb&amp;x=1">Privacy &lt;and&gt; Access</a>'
    assert link.markdown() == "[Privacy <and> Access](<https://example.com/a?id=zm_kb&x=1>)"
    assert formats.Link("Evil", "javascript:alert(1)").html() == "Evil"  # only web addresses link
    assert labels.source_document("Seed", "seeds/000.txt") == "Seed (bundled copy)"


def test_item_names_inside_a_sentence_keep_their_proper_names():
    assert formats.in_sentence("Meeting summary") == "meeting summary"
    assert formats.in_sentence("Screen-shared content read by OCR") == "screen-shared content read by OCR"
    assert formats.in_sentence("Team Chat messages") == "Team Chat messages"  # a product's name
    assert formats.in_sentence("Microsoft or Google emails") == "Microsoft or Google emails"
    assert formats.in_sentence("OCR text") == "OCR text"
