"""Option guarantees against what the whitepaper says each option does and does not do.

The expected `holds` values are worked out by hand from the whitepaper and the presets
(data/configurations.yaml):

- ZMO: nothing reaches OpenAI/Anthropic; Zoom's 30-day support window remains; summary emails
  still go through Twilio SendGrid (7-day samples) and the email provider. Under `hardened`
  (link-only emails) those two ZMO caveats hold too: a link-only email still carries a link and
  the recipients' addresses (whitepaper, Meetings - Continued footnote: SendGrid delivers "the
  meeting summary or link"), though no summary text.
- ZDR: Zoom keeps the meeting-summary transcript at most a day; OpenAI/Anthropic may still keep
  it 30 days (not with ZMO as well); Zoom still keeps the summary and the meeting-questions
  transcript 30 days.
- Hosting outside the US: ZMO semantics, Zoom and customer storage in the region, SendGrid's
  samples at an unknown location.
- `hardened`: summary auto-delete (30 days) does not bound summaries in customer storage,
  because copies shared in the continuous meeting chat follow Team Chat retention (3 months).
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import pytest

from zoomai.analysis import guarantees
from zoomai.analysis.configurations import load_configurations
from zoomai.analysis.guarantees import COLUMNS, load_guarantees
from zoomai.core.errors import DataError

option_guarantees = partial(guarantees.option_guarantees, facts="v5.0")  # worked out from v5.0

G, S = "guarantees", "still_flows"
ZMO = [("zmo", G, True), ("zmo", S, True), ("zmo", S, True), ("zmo", S, True)]
ZDR = [("zdr", G, True), ("zdr", S, True), ("zdr", S, True), ("zdr", S, True)]
NON_US = [("non_us_hosting", G, True), ("non_us_hosting", G, True), ("non_us_hosting", S, True)]
EXPECTED = {
    ("default", "US"): [],
    ("zmo", "US"): ZMO,
    ("zdr", "US"): ZDR,
    # with ZMO there is no model provider left to keep the transcript
    ("zmo_zdr", "US"): ZMO + [("zdr", G, True), ("zdr", S, False), ("zdr", S, True), ("zdr", S, True)],
    ("default", "EU"): NON_US,
    ("zmo", "EU"): ZMO + NON_US,
    ("hardened", "US"): [
        ("zmo", G, True),
        ("zmo", S, True),  # Zoom's 30-day support window
        ("zmo", S, True),  # SendGrid samples: link-only emails still pass SendGrid
        ("zmo", S, True),  # email provider: link-only emails still sit there
        ("zdr", G, True),
        ("zdr", S, False),  # providers keep the transcript: ZMO removes them
        ("zdr", S, True),
        ("zdr", S, True),
        ("summary_email_link", G, True),
        ("summary_email_link", G, True),
        ("summary_email_link", S, True),  # the portal keeps the summary
        ("summary_email_link", S, True),  # link and addresses through SendGrid
        ("restrict_external_sharing", G, True),
        ("restrict_external_sharing", S, True),  # internal emails (a link) at the email provider
        ("summary_auto_delete", G, False),  # Team Chat copies: 90 days > 30
        ("summary_auto_delete", S, True),
        ("summary_auto_delete", S, True),
        ("cloud_recording_auto_delete", G, True),
        ("cloud_recording_auto_delete", S, True),
        ("team_chat_retention", G, True),
        ("team_chat_retention", S, False),  # quick scheduling is not ZMO eligible
        ("feature_switched_off", G, True),  # virtual background generation
        ("feature_switched_off", S, True),
    ],
    ("ai_off", "US"): [("feature_switched_off", G, True), ("feature_switched_off", S, False)],
}
REQUIRED_OPTIONS = {
    "zmo",
    "zdr",
    "non_us_hosting",
    "summary_email_link",
    "restrict_external_sharing",
    "summary_auto_delete",
    "cloud_recording_auto_delete",
    "team_chat_retention",
    "feature_switched_off",
}


def rows(config, region="US"):
    return list(
        option_guarantees(config, region)[["option", "kind", "holds"]].itertuples(index=False, name=None)
    )


def statement(frame: pd.DataFrame, option: str, text: str) -> pd.Series:
    found = frame[(frame["option"] == option) & frame["statement"].str.contains(text, regex=False)]
    assert len(found) == 1, (option, text)
    return found.iloc[0]


def test_bundled_options():
    options = load_guarantees()
    assert set(options) >= REQUIRED_OPTIONS
    for spec in options.values():
        assert {st.kind for st in spec.statements} == {G, S}


@pytest.mark.parametrize(("config", "region"), list(EXPECTED))
def test_expected_options_and_holds(config, region):
    assert rows(config, region) == EXPECTED[(config, region)]


def test_columns_and_citations(policy):
    frame = option_guarantees("zdr")
    assert list(frame.columns) == COLUMNS
    assert set(frame["configuration"]) == {"zdr"} and set(frame["region"]) == {"US"}
    row = statement(frame, "zdr", "OpenAI and Anthropic may still keep")
    assert row["facts"] == "zdr_scope_zoom_only; provider_trust_safety_retention"
    assert row["source_section"] == (
        policy.cite("zdr_scope_zoom_only") + " | " + policy.cite("provider_trust_safety_retention")
    )
    assert row["holds"] and row["detail"].startswith("OpenAI (meetings.meeting_summary, Audio transcript)")
    assert (
        row["check"].startswith("max_days_at_least:")
        and "days=provider_trust_safety_retention" in row["check"]
    )


def test_zdr_provider_caveat_holds_only_without_zmo():
    for config, holds in (("zdr", True), ("zmo_zdr", False), ("hardened", False)):
        row = statement(option_guarantees(config), "zdr", "OpenAI and Anthropic may still keep")
        assert row["kind"] == S and bool(row["holds"]) is holds


def test_zmo_sendgrid_samples_still_flow_with_full_text_emails():
    row = statement(option_guarantees("zmo"), "zmo", "Twilio SendGrid")
    assert row["kind"] == S and row["holds"] and row["detail"] == "1 matching flow at Twilio SendGrid"
    # link-only: SendGrid still delivers (a link and the recipients' addresses), no summary text
    hardened = statement(option_guarantees("hardened"), "zmo", "Twilio SendGrid")
    assert hardened["holds"] and hardened["detail"] == "1 matching flow at Twilio SendGrid"
    link = statement(option_guarantees("hardened"), "summary_email_link", "SendGrid's 7-day")
    assert link["kind"] == G and link["holds"]
    still = statement(option_guarantees("hardened"), "summary_email_link", "recipients' addresses through")
    assert still["kind"] == S and still["holds"]


def test_hardened_auto_delete_finding():
    row = statement(option_guarantees("hardened"), "summary_auto_delete", "deleted after")
    assert not row["holds"]
    assert "up to 90 days (> 30 days" in row["detail"] and "team_chat_retention" in row["detail"]


def test_non_us_hosting_region():
    frame = option_guarantees("default", "eu")
    assert set(frame["option"]) == {"non_us_hosting"} and set(frame["region"]) == {"EU"}
    # the statement says what the check shows (the tables' customer locations, read as the
    # region) and what the whitepaper does not promise ("to align with the data residency
    # preferences"; customers "may choose" the storage location for some outputs)
    row = statement(frame, "non_us_hosting", "read here as the hosting region")
    assert row["holds"] and row["detail"].endswith("all in EU")
    assert "does not promise" in row["statement"]


def custom(tmp_path, settings: str):
    path = tmp_path / "mine.yaml"
    path.write_text("configurations:\n  mine:\n    settings:\n" + settings)
    return load_configurations(path)["mine"]


def test_auto_delete_holds_when_chat_retention_is_shorter(tmp_path):
    config = custom(
        tmp_path,
        "      zoomai.meetings.summary_auto_delete.enable: true\n"
        "      zoomai.meetings.summary_auto_delete.days: 60\n"
        "      chat.set_retention_period_in_cloud.enable: true\n"
        "      chat.set_retention_period_in_cloud."
        "retention_period_of_direct_messages_and_group_conversation: 30d\n"
        "      chat.set_retention_period_in_cloud.retention_period_of_channels: 30d\n",
    )
    frame = option_guarantees(config)
    assert rows(config) == [
        ("summary_auto_delete", G, True),
        ("summary_auto_delete", S, True),
        ("summary_auto_delete", S, True),
        ("team_chat_retention", G, True),
        ("team_chat_retention", S, True),  # quick scheduling is available without ZMO
    ]
    assert statement(frame, "summary_auto_delete", "deleted after")["detail"].endswith("longest 60 days")


def test_days_setting_left_unset_does_not_hold(tmp_path):
    config = custom(tmp_path, "      recording.auto_delete_cmr: true\n")
    row = statement(option_guarantees(config), "cloud_recording_auto_delete", "deleted after")
    assert (
        not row["holds"]
        and row["detail"] == "the configuration sets no value for recording.auto_delete_cmr_days"
    )


GOOD = """options:
  mine:
    label: Mine
    active_when: {hosted_outside_us: true}
    statements:
      - kind: still_flows
        statement: Contact emails reach a party.
        facts: [calendar_provider_retention]
        check:
          present: {data_category: user.contact.email}
      - kind: guarantees
        statement: SendGrid is in the region.
        facts: [sendgrid_email_sampling]
        check:
          located_in_hosting_region: {party: Twilio SendGrid}
"""


def test_custom_guarantees_file(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(GOOD)
    mine = load_guarantees(path)
    assert option_guarantees("default", "US", mine).empty  # not active in the US
    frame = option_guarantees("default", "EU", mine)
    # quick scheduling ('user.content.private;user.name;user.contact.email') is lost under ZMO
    assert frame["holds"].tolist() == [False, False]
    assert (
        frame["detail"].tolist()[1]
        == "Twilio SendGrid (meetings.meeting_summary, Meeting summary) in unknown"
    )


BROKEN = """options:
  zmo:
    label: ZMO
    active_when: {zmo: true, zdr: true}
    statements:
      - kind: guarantee
        statement: x
        facts: [zoom_support_retention, no_such_fact]
        check:
          absent: {party_kind: model_providers}
      - kind: still_flows
        statement: y
        facts: [zoom_support_retention]
        check:
          max_days_at_most: {party: Zoom, days: email_provider_retention}
      - kind: still_flows
        statement: z
        facts: [zoom_support_retention]
        check:
          present: {feature_id: meetings.nope, colour: red}
  link:
    label: L
    active_when:
      setting: {key: zoomai.meetings.summary_email, equals: pdf}
    statements:
      - kind: guarantees
        statement: q
        facts: [zoom_support_retention]
        check:
          max_days_at_least: {party: Zoom}
      - kind: guarantees
        statement: r
        facts: [zoom_support_retention]
        check:
          absent: {party: Zoom}
          present: {party: Zoom}
      - kind: guarantees
        statement: s
        facts: [zoom_support_retention]
        check:
          max_days_at_most: {party: Zoom, days_setting: recording.auto_delete_cmr}
"""


def test_broken_guarantees_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    with pytest.raises(DataError) as info:
        load_guarantees(path)
    message = str(info.value)
    assert "broken.yaml: 11 problems" in message
    for expected in (
        "line 4, field options.zmo.active_when: expected exactly one of zmo, zdr,",
        "line 6, field options.zmo.statements[0].kind: Input should be 'guarantees' or 'still_flows', "
        "got 'guarantee'",
        "line 8, field options.zmo.statements[0].facts[1]: unknown policy fact; expected a fact id of "
        "data/policy.yaml, got 'no_such_fact'",
        "line 10, field options.zmo.statements[0].check.absent.party_kind: Input should be 'zoom', "
        "'model_provider',",
        "line 15, field options.zmo.statements[1].check.max_days_at_most.days: expected the id of a "
        "retention fact with a number of days, got 'email_provider_retention'",
        "line 20, field options.zmo.statements[2].check.present.colour: unknown field",
        "line 20, field options.zmo.statements[2].check.present.feature_id: unknown feature_id; "
        "expected one of",
        "line 24, field options.link.active_when.setting: equals: expected one of ['full_text', 'link'], "
        "got 'pdf'",
        "line 30, field options.link.statements[0].check.max_days_at_least: expected exactly one of days",
        "line 34, field options.link.statements[1].check: expected exactly one check of absent, present,",
        "line 41, field options.link.statements[2].check.max_days_at_most.days_setting: expected one of [",
    ):
        assert expected in message, expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- just a list\n", "line 1, field options: expected a mapping with the key options"),
        ("options:\n  zmo: [unclosed\n", "not valid YAML"),
        ("options: {}\n", "field options: Dictionary should have at least 1 item"),
        (
            "options:\n  Bad-Name:\n    label: x\n    active_when: {zmo: true}\n    statements: []\n",
            "line 2, field options.Bad-Name: String should match pattern '^[a-z][a-z0-9_]*$', got 'Bad-Name'",
        ),
        (
            "options:\n  mine:\n    label: x\n    active_when: {zmo: true}\n    statements: []\n",
            "line 5, field options.mine.statements: List should have at least 1 item",
        ),
    ],
)
def test_broken_guarantees_shapes(tmp_path, text, expected):
    path = tmp_path / "g.yaml"
    path.write_text(text)
    with pytest.raises(DataError) as info:
        load_guarantees(path)
    assert expected in str(info.value)


def test_team_chat_channel_period_bounds_posted_content(tmp_path):
    # A draft posted to Team Chat may go to a channel (whitepaper, Team Chat: posted output follows
    # the Team Chat retention settings, which have a period for direct messages and group chats
    # and one for channels): the window is the longer of the two, 365 days here, so the summary
    # auto-delete (60 days) does not bound the summary's Team Chat copy.
    config = custom(
        tmp_path,
        "      zoomai.meetings.summary_auto_delete.enable: true\n"
        "      zoomai.meetings.summary_auto_delete.days: 60\n"
        "      chat.set_retention_period_in_cloud.enable: true\n"
        "      chat.set_retention_period_in_cloud."
        "retention_period_of_direct_messages_and_group_conversation: 30d\n"
        "      chat.set_retention_period_in_cloud.retention_period_of_channels: 1y\n",
    )
    frame = option_guarantees(config)
    assert not statement(frame, "summary_auto_delete", "deleted after")["holds"]
    posted = statement(frame, "team_chat_retention", "kept no longer")
    assert not posted["holds"] and "up to 365 days (> 30 days" in posted["detail"]
