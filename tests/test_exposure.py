"""Exposure, retention inventory, comparison and what-if on the hand-worked tiny tenant
(tests/conftest.py: tiny_tenant). Every expected figure is worked out below from the flows
(`zoomai flows --config ...`), i.e. from the whitepaper facts in data/."""

from __future__ import annotations

from functools import partial

import pandas as pd
import pytest
from conftest import run_cli, tiny_tenant

from zoomai.analysis import exposure as engine
from zoomai.analysis import retention
from zoomai.analysis.exposure import EXPOSURE_COLUMNS, pareto
from zoomai.tenants.tables import concat, load_tenant

# The figures below are worked out from the whitepaper v5.0 facts, so every call names them.
V5 = ("--facts", "v5.0")
compare, exposure, feature_status, totals, what_if = (
    partial(f, facts="v5.0")
    for f in (engine.compare, engine.exposure, engine.feature_status, engine.totals, engine.what_if)
)
residency = partial(retention.residency, facts="v5.0")
retention_inventory = partial(retention.retention_inventory, facts="v5.0")

# Usage of the tiny tenant (users u1: client 6.0.0, summaries to all invitees; u2: 5.14.0,
# summaries to internal invitees only):
#   a1 u1 meeting summary, 3 internal + 2 external, emailed/shared
#   a2 u2 meeting summary, 2 + 1, not shared
#   a3 u1 chat compose,    2 + 0, draft posted (shared)
#   a4 u1 call summary,    1 + 1, not shared
#
# Default (US, no ZMO/ZDR), records per use (upper bound: every flow):
#   a1: transcript at Zoom, OpenAI, Anthropic (3) + summary at Zoom, OpenAI, Anthropic,
#       email provider, customer storage, external recipients, SendGrid (7)          = 10
#   a2: transcript (3) + summary at Zoom, OpenAI, Anthropic, customer storage (4)   =  7
#   a3: 4 items x (Zoom, OpenAI, Anthropic) + draft in customer storage (shared)     = 13
#   a4: transcript (3) + call summary at Zoom, OpenAI, Anthropic, customer storage   =  7
#   total 37; third party (model providers 4+4+8+4, SendGrid 1) = 21
#   record-days: 30-day windows (6+6+12+6) x 30 + SendGrid 7 = 907
#   unbounded: customer storage 4; unknown: email provider + external recipients (a1) = 2
#   score: 907 + (4 + 2) x 365 = 3097
#   people: 3+2+2+1 = 8 internal, 2+1+0+1 = 4 external
#   without notice: meetings: share of users below 5.15.12 = 1/2 (u2):
#       a1 0.5 x 5 + a2 0.5 x 3 = 4.0; call summary without start prompt: 1 caller -> 5.0;
#       chat compose takes the thread's messages and names, and the only participant notice
#       the whitepaper describes is the meetings one: a3's 2 people -> 7.0
# Lower bound (stated flows only): OpenAI and Anthropic are only possible ("may be used for
# certain AI Companion features"; "Zoom-hosted and/or third-party" models), so they drop out:
#   records 37 - 20 = 17 (a1 6, a2 3, a3 5, a4 3); third party: SendGrid 1
#   record-days 907 - 20 x 30 = 307; score 3097 - 600 = 2497
#   people: every activity still reaches Zoom (stated): 8, 4 and 7.0 at both bounds
DEFAULT = dict(
    records=37,
    record_days=907,
    records_unbounded=4,
    records_unknown=2,
    cross_border_records=0,
    third_party_records=21,
    people_internal=8,
    people_external=4,
    people_without_notice=7.0,
    exposure_score=3097,
    features_available=4,  # meeting summary, chat compose, call summary, Events smart compose
    features_in_use=3,
    uses=4,
    uses_lost=0,
)


@pytest.fixture(scope="module")
def tenant():
    return tiny_tenant()


DEFAULT_BOUNDS = dict(
    records_min=17,
    records_max=37,
    record_days_min=307,
    record_days_max=907,
    third_party_records_min=1,
    third_party_records_max=21,
    exposure_score_min=2497,
    exposure_score_max=3097,
    people_internal_min=8,
    people_internal_max=8,
    people_external_min=4,
    people_external_max=4,
    people_without_notice_min=7.0,
    people_without_notice_max=7.0,
)


def test_default_totals_worked_by_hand(tenant):
    row = totals(tenant, "default").iloc[0]
    assert row["tenant_id"] == "t1" and row["bound"] == "max"
    assert {k: row[k] for k in DEFAULT} == DEFAULT
    assert {k: row[k] for k in DEFAULT_BOUNDS} == DEFAULT_BOUNDS


def test_default_lower_bound(tenant):
    # bound="min": every figure over stated flows only (derivation above)
    row = totals(tenant, "default", bound="min").iloc[0]
    assert row["bound"] == "min"
    assert (row["records"], row["record_days"], row["third_party_records"], row["exposure_score"]) == (
        17,
        307,
        1,
        2497,
    )
    assert (row["records_unbounded"], row["records_unknown"]) == (4, 2)  # all stated flows
    e = exposure(tenant).set_index(["party", "data_category"])
    openai = e.loc[("OpenAI", "user.content.transcript")]  # a1, a2, a4: possible only
    assert (openai["records_min"], openai["records_max"], openai["records"]) == (0, 3, 3)
    assert (openai["people_internal_min"], openai["people_internal_max"]) == (0, 6)
    assert (openai["record_days_min"], openai["record_days_max"]) == (0, 90)
    zoom = e.loc[("Zoom", "user.content.transcript")]  # stated: both bounds equal
    assert (zoom["records_min"], zoom["records_max"], zoom["people_without_notice_min"]) == (3, 3, 5.0)


def test_unknown_bound_is_a_clean_error(tenant):
    from zoomai.core.errors import ZoomaiError

    with pytest.raises(ZoomaiError, match="unknown bound 'median'"):
        totals(tenant, "default", bound="median")


def test_zmo_removes_model_provider_records(tenant):
    # the three features are ZMO eligible: only the 20 OpenAI/Anthropic records go, 20 x 30 days;
    # what is left is all stated, so the lower and upper bounds meet at the default's lower bound
    row = totals(tenant, "zmo").iloc[0]
    assert (row["records"], row["record_days"], row["third_party_records"]) == (17, 307, 1)
    assert (row["records_min"], row["records_max"]) == (17, 17)
    assert (row["record_days_min"], row["record_days_max"]) == (307, 307)
    assert row["exposure_score"] == 3097 - 20 * 30 == row["exposure_score_min"]
    assert row["features_available"] == 3  # Events smart compose is not ZMO eligible


def test_hardened_worked_by_hand(tenant):
    # ZMO + ZDR, summaries to internal invitees by link, auto-delete 30 days, Team Chat 3 months
    # for direct messages and channels:
    #   a1, a2: transcript at Zoom up to 1 day (ZDR) + summary at Zoom 30 + customer storage,
    #           the widest of the summary's own 30 days and its Team Chat copy's 90 days = 121 each
    #   a1 was emailed: the link-only email still passes SendGrid (7 days) and sits with the
    #           email provider (unknown) -> +7 record-days, 2 records (whitepaper footnote:
    #           SendGrid delivers "the meeting summary or link")
    #   a3: 4 items at Zoom x 30 + draft in Team Chat 90 = 210
    #   a4: 2 items at Zoom x 30 = 60 + call summary in customer storage, unbounded
    #   records: a1 5 + a2 3 + a3 5 + a4 3 = 16; every flow stated: lower bound = upper bound
    row = totals(tenant, "hardened").iloc[0]
    assert (row["records"], row["record_days"], row["records_unbounded"], row["records_unknown"]) == (
        16,
        121 + 7 + 121 + 210 + 60,
        1,
        1,
    )
    assert row["exposure_score"] == 519 + 2 * 365
    assert row["third_party_records"] == 1  # SendGrid
    assert (row["records_min"], row["records_max"], row["record_days_min"]) == (16, 16, 519)
    assert row["people_without_notice"] == 7.0  # as under default: same activities, same notice


def test_ai_off_loses_every_use(tenant):
    row = totals(tenant, "ai_off").iloc[0]
    assert (row["records"], row["features_available"], row["uses_lost"]) == (0, 0, 4)
    status = feature_status(tenant, "ai_off")
    summary = status.set_index("feature_id").loc["meetings.meeting_summary"]
    assert (summary["status"], summary["reason"], summary["uses_lost"]) == ("lost", "switched off", 2)
    assert summary["certainty"] == "stated"
    # under ZMO, Events smart compose (not ZMO eligible) is read as lost: an inferred reading
    smart = feature_status(tenant, "zmo").set_index("feature_id").loc["events.smart_compose"]
    assert (smart["status"], smart["certainty"]) == ("lost", "inferred")
    assert (
        feature_status(tenant, "default").set_index("feature_id").loc["events.smart_compose", "certainty"]
        == ""
    )


def test_per_party_and_category(tenant):
    e = exposure(tenant).set_index(["party", "data_category"])
    assert list(exposure(tenant).columns) == EXPOSURE_COLUMNS
    zoom = e.loc[("Zoom", "user.content.transcript")]  # a1, a2, a4
    assert (zoom["records"], zoom["people_internal"], zoom["people_external"]) == (3, 6, 4)
    assert (zoom["people_without_notice"], zoom["record_days"]) == (5.0, 90)
    external = e.loc[("External recipients", "user.content.ai_generated.summary")]  # a1 only
    assert (external["records"], external["records_unknown"], external["record_days"]) == (1, 1, 0)
    assert (external["people_internal"], external["people_external"]) == (3, 2)
    assert external["records_location_unknown"] == 1
    sendgrid = e.loc[("Twilio SendGrid", "user.content.ai_generated.summary")]
    assert (sendgrid["records"], sendgrid["record_days"]) == (1, 7)
    storage = e.loc[("Customer storage", "user.content.ai_generated.summary")]  # a1, a2, a4
    assert (storage["records"], storage["records_unbounded"], storage["record_days"]) == (3, 3, 0)
    assert (e["records"] > 0).all()


def test_people_counted_once_per_activity():
    # one meeting using summary and questions: two transcript records at Zoom, 3 people once
    t = tiny_tenant(
        usage=[
            (1, "u1", "meetings.meeting_summary", 3, 0, False),
            (1, "u1", "meetings.meeting_questions", 3, 0, False),
        ]
    )
    t.settings.loc[len(t.settings)] = [
        "t1",
        "account",
        "t1",
        "in_meeting.ai_companion_questions.enable",
        "true",
        False,
    ]
    zoom = exposure(t).set_index(["party", "data_category"]).loc[("Zoom", "user.content.transcript")]
    assert (zoom["records"], zoom["people_internal"]) == (2, 3)
    assert (zoom["records_min"], zoom["people_internal_min"]) == (2, 3)
    assert totals(t).iloc[0]["people_internal"] == 3


def test_public_event_content_is_cross_border():
    # Events smart compose, shared once: the event content is public (and kept 730 days)
    t = tiny_tenant(usage=[(1, "u1", "events.smart_compose", 1, 0, True)])
    e = exposure(t).set_index("party")
    assert e.loc["Public", "cross_border_records"] == 1
    assert e.loc["Public", "record_days"] == 730
    assert totals(t).iloc[0]["cross_border_records"] == 1


def test_non_us_hosting_has_zmo_semantics():
    eu = totals(tiny_tenant(region="EU"), "default").iloc[0]
    us_zmo = totals(tiny_tenant(), "zmo").iloc[0]
    figures = ["records", "record_days", "records_unbounded", "records_unknown", "third_party_records"]
    assert [eu[c] for c in figures] == [us_zmo[c] for c in figures]


def test_exposure_adds_up_across_tenants():
    a, b = tiny_tenant("ta"), tiny_tenant("tb", usage=[(9, "u2", "meetings.meeting_summary", 4, 4, True)])
    both = totals(concat([a, b])).set_index("tenant_id")
    assert both.loc["ta", "records"] == 37
    assert both.loc["tb", "records"] == totals(b).iloc[0]["records"]


def test_retention_inventory_curves(tenant):
    inv = retention_inventory(tenant, "default", days_after=40)
    zoom = inv[(inv["party"] == "Zoom")].set_index("date")["records_held"]
    day = pd.Timestamp
    # Zoom holds a1 (2 items, from Jan 6), a2 (2, Jan 7), a3 (4, Jan 8), a4 (2, Jan 9), 30 days each
    assert zoom[day("2026-01-09", tz="UTC")] == 10
    assert zoom[day("2026-02-04", tz="UTC")] == 10  # a1's last day
    assert zoom[day("2026-02-05", tz="UTC")] == 8
    assert zoom[day("2026-02-08", tz="UTC")] == 0
    storage = inv[(inv["party"] == "Customer storage") & (inv["window"] == "unbounded")]
    assert storage.set_index("date")["records_held"].iloc[-1] == 4  # unbounded: never released
    assert set(inv.loc[inv["party"] == "Email provider", "window"]) == {"unknown"}
    zdr = retention_inventory(tenant, "zdr", days_after=40)
    zoom_zdr = zdr[zdr["party"] == "Zoom"].set_index("date")["records_held"]
    # with ZDR the meeting-summary transcript is held for its day only (up to 1 day)
    assert zoom_zdr[day("2026-01-06", tz="UTC")] == 2
    assert zoom_zdr[day("2026-01-07", tz="UTC")] == 1 + 2


def test_residency_worst_case(tenant):
    r = residency(tenant, "default").set_index("data_category")
    transcript = r.loc["user.content.transcript"]  # a1, a2, a4 at Zoom, OpenAI, Anthropic
    assert (transcript["records"], transcript["worst_window"], transcript["worst_max_days"]) == (
        9,
        "bounded",
        30,
    )
    assert transcript["worst_parties"] == "Anthropic; OpenAI; Zoom"
    summary = r.loc["user.content.ai_generated.summary"]  # customer storage keeps it until deleted
    assert (summary["worst_window"], summary["worst_parties"]) == ("unbounded", "Customer storage")
    assert pd.isna(summary["worst_max_days"])
    assert summary["locations"] == "US; unknown"
    hardened = residency(tenant, "hardened").set_index("data_category")
    assert hardened.loc["user.content.transcript", "worst_max_days"] == 30  # a4's call transcript at Zoom


def test_compare_marks_pareto(tenant):
    table = compare(tenant, ["default", "zmo", "zdr", "hardened", "ai_off"]).set_index("configuration")
    assert table.loc["default", "records"] == 37
    assert table.loc["zmo", "exposure_score"] == 2497
    # ai_off (0 exposure) and default/zdr (4 features) are efficient; zmo is beaten by hardened
    assert not table.loc["zmo", "pareto"]
    assert table.loc["hardened", "pareto"] and table.loc["ai_off", "pareto"]


def test_pareto_by_hand():
    frame = pd.DataFrame({"exposure_score": [10, 5, 5, 1], "features_available": [3, 3, 2, 0]})
    assert pareto(frame).tolist() == [False, True, False, True]


def test_what_if_ranks_single_changes(tenant):
    table = what_if(tenant, "default").set_index("change")
    zmo = table.loc["zmo=true"]
    assert (zmo["score_removed"], zmo["records_removed"], zmo["features_lost"]) == (600, 20, 1)
    # link-only emails: a1's email still passes SendGrid (7 days) and sits with the email
    # provider (unknown), now a link and addresses instead of summary text (see
    # test_link_only_email_carries_addresses_not_summaries): nothing removed; the external
    # recipients' copy is then the portal's (unbounded) instead of an email (unknown)
    link = table.loc["zoomai.meetings.summary_email=link"]
    assert (link["records_removed"], link["score_removed"], link["features_lost"]) == (0, 0, 0)
    prompt = table.loc["phone.call_summary.call_summary_start_prompt.enable=true"]
    assert (prompt["people_without_notice_removed"], prompt["score_removed"]) == (1.0, 0)
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    assert table["pareto"].iloc[0]
    assert "(base)" not in table.index


def test_link_only_email_carries_addresses_not_summaries(tenant, tmp_path):
    from zoomai.analysis.configurations import load_configurations

    path = tmp_path / "link.yaml"
    path.write_text("configurations:\n  link:\n    settings:\n      zoomai.meetings.summary_email: link\n")
    e = exposure(tenant, load_configurations(path)["link"]).set_index(["party", "data_category"])
    assert ("Twilio SendGrid", "user.content.ai_generated.summary") not in e.index
    assert e.loc[("Twilio SendGrid", "user.contact.email"), "records"] == 1  # a1's email
    assert e.loc[("Email provider", "user.contact.email"), "records_unknown"] == 1


def test_compare_and_what_if_take_the_lower_bound(tenant):
    # lower bound: no model-provider flow counts, so ZMO removes nothing and default equals zmo
    # on score (2497) while keeping a feature more: zmo is not Pareto-efficient
    table = compare(tenant, ["default", "zmo", "ai_off"], bound="min").set_index("configuration")
    assert table.loc["default", "exposure_score"] == table.loc["zmo", "exposure_score"] == 2497
    assert table.loc["default", "pareto"] and not table.loc["zmo", "pareto"]
    low = what_if(tenant, "default", bound="min").set_index("change")
    assert low.loc["zmo=true", "score_removed"] == 0 and low.loc["zmo=true", "features_lost"] == 1


def test_cli_compare_every_preset_and_region():
    for tenant_id in ("us_enterprise_defaults", "eu_company_zmo"):
        code, out, err = run_cli(
            "compare",
            tenant_id,
            "--configs",
            "default,zmo,zdr,zmo_zdr,hardened,ai_off",
            "--format",
            "csv",
            *V5,
        )
        assert code == 0, err
        table = pd.read_csv(__import__("io").StringIO(out))
        assert table["configuration"].tolist() == ["default", "zmo", "zdr", "zmo_zdr", "hardened", "ai_off"]
        assert (table.loc[table["configuration"] == "ai_off", "records"] == 0).all()
        if tenant_id == "eu_company_zmo":  # hosted in the EU: ZMO semantics, never a model provider
            t = load_tenant(tenant_id)
            assert (exposure(t, "default")["party_kind"] != "model_provider").all()


def test_cli_errors_are_clean():
    code, _, err = run_cli("compare", "us_enterprise_defaults", "--configs", "default,nope")
    assert code == 2 and "unknown configuration 'nope'" in err and "Traceback" not in err
    code, _, err = run_cli("exposure", "no_such_tenant")
    assert code == 2 and "no_such_tenant" in err


def test_what_if_shortcut_equals_reapplying_the_configuration(tenant):
    # what_if changes the users' flow settings in place of re-applying each configuration
    from zoomai.analysis.configurations import apply_configuration, get_configuration
    from zoomai.analysis.exposure import (
        analyse,
        candidate_changes,
        changed_configuration,
        scenario_from,
        user_settings,
        with_change,
    )

    base = get_configuration("default")
    applied = apply_configuration(tenant, base)
    settings = user_settings(applied)
    for _, key, value in candidate_changes(base):
        fast = analyse(scenario_from(*with_change(applied, settings, key, value), facts="v5.0")).totals
        slow = totals(tenant, changed_configuration(base, key, value)).iloc[0].to_dict()
        assert fast == slow, key
