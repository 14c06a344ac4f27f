"""Settings audit on a tiny hand-built tenant; every expected row is worked out by hand below."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from zoomai.analysis import audit
from zoomai.facts.registry import SETTINGS
from zoomai.tenants.effective import effective_settings
from zoomai.tenants.tables import build

T = "t1"
RECIPIENTS = "in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary"
PASSCODE = "schedule_meeting.require_password_for_scheduling_new_meetings"
GROUP_A = "Sales <script>alert(1)</script>"


def _s(level, scope, key, value, locked=False):
    return dict(tenant_id=T, level=level, scope_id=scope, key=key, value=value, locked=locked)


def _u(user, group, site, version):
    return dict(
        tenant_id=T,
        user_id=user,
        email=None,
        group_id=group,
        site_id=site,
        client_version=version,
        platform="desktop",
        role="member",
    )


@pytest.fixture(scope="module")
def tenant():
    return build(
        tenants=[
            dict(
                tenant_id=T,
                name="Tiny & Co",
                hosting_region="US",
                vertical="test",
                zmo_enabled=False,
                zdr_enabled=False,
                customer_managed_key=False,
                source="simulated",
            )
        ],
        groups=[
            dict(tenant_id=T, group_id="ga", name=GROUP_A, phone_policy_active=False),
            dict(tenant_id=T, group_id="gb", name="Board", phone_policy_active=False),
        ],
        sites=[dict(tenant_id=T, site_id="s1", name="HQ", country="US")],
        users=[
            _u("u1", "ga", "s1", "5.15.11"),  # below the participant notice version
            _u("u2", "ga", None, "5.15.12"),  # notice, no one-click off
            _u("u3", "gb", None, "6.0.0"),  # both
            _u("u4", None, None, None),  # unknown version
        ],
        settings=[
            _s("account", T, "in_meeting.meeting_summary_with_ai_companion.enable", "true"),
            _s("account", T, RECIPIENTS, "3"),
            _s("account", T, "in_meeting.waiting_room", "false"),
            _s("account", T, "chat.ai_compose.enable", "false"),
            _s("account", T, "zoomai.meetings.summary_email", "link", locked=True),
            _s("account", T, "recording.auto_delete_cmr", "true"),
            _s("account", T, "recording.auto_delete_cmr_days", "30"),
            # group ga: wider recipients (u2 narrows it again), chat compose on, longer auto-delete;
            # full-text emails are stopped by the account lock
            _s("group", "ga", RECIPIENTS, "4"),
            _s("group", "ga", "chat.ai_compose.enable", "true"),
            _s("group", "ga", "recording.auto_delete_cmr_days", "90"),
            _s("group", "ga", "zoomai.meetings.summary_email", "full_text"),
            # group gb: only narrower values, and a lock on the chat.ai_compose object
            _s("group", "gb", RECIPIENTS, "2"),
            _s("group", "gb", "in_meeting.waiting_room", "true"),
            _s("group", "gb", "chat.ai_compose", None, locked=True),
            # site s1 switches call summary on (default off); only u1 is on the site
            _s("site", "s1", "phone.call_summary.enable", "true"),
            # users: u2 narrows recipients; u4 drops the passcode; u1's Team Chat value never counts
            _s("user", "u2", RECIPIENTS, "1"),
            _s("user", "u4", PASSCODE, "false"),
            _s("user", "u1", "chat.ai_compose.enable", "false"),
        ],
    )


@pytest.fixture(scope="module")
def eff(tenant):
    return effective_settings(tenant)


def test_every_registry_key_has_a_widening_order():
    assert {s.key for s in SETTINGS} == set(audit.WIDENING)


def test_rank():
    assert audit.rank(RECIPIENTS, "4") > audit.rank(RECIPIENTS, "3")
    assert audit.rank("in_meeting.waiting_room", "false") > audit.rank("in_meeting.waiting_room", "true")
    # days: longer is wider, '2m' is 60 days, unset (kept until deleted) is widest
    key = "chat.set_retention_period_in_cloud.retention_period_of_channels"
    assert audit.rank(key, "2m") == 60 and audit.rank(key, None) == math.inf
    assert math.isnan(audit.rank(RECIPIENTS, "9"))  # not on the scale: never counted as wider


def test_tenant_overview(tenant):
    row = audit.tenant_overview(tenant).iloc[0]
    assert (row["name"], row["users"], row["groups"], row["sites"]) == ("Tiny & Co", 4, 2, 1)


def test_locks(eff):
    got = audit.locks(eff)
    assert got.to_dict("records") == [
        # account lock: all four users, at account level
        dict(
            key="zoomai.meetings.summary_email",
            product="Meetings",
            account=4,
            group=0,
            site=0,
            user=0,
            locked=4,
            users=4,
            share_locked=1.0,
        ),
        # the object lock of group gb covers chat.ai_compose.enable for its one user
        dict(
            key="chat.ai_compose.enable",
            product="Team Chat",
            account=0,
            group=1,
            site=0,
            user=0,
            locked=1,
            users=4,
            share_locked=0.25,
        ),
    ]


def test_widening_overrides(tenant, eff):
    got = audit.widening_overrides(tenant, eff)
    rows = [tuple(r) for r in got.itertuples(index=False)]
    assert list(got.columns) == [
        "level",
        "scope_id",
        "scope_name",
        "key",
        "product",
        "account_value",
        "value",
        "users",
    ]
    assert rows == [
        # ga's '4' is in force for u1 only: u2 set '1' herself
        ("group", "ga", GROUP_A, RECIPIENTS, "Meetings", "3", "4", 1),
        ("group", "ga", GROUP_A, "recording.auto_delete_cmr_days", "Meetings", "30", "90", 2),
        ("user", "u4", "u4", PASSCODE, "Meetings", "true", "false", 1),
        ("group", "ga", GROUP_A, "chat.ai_compose.enable", "Team Chat", "false", "true", 2),
        ("site", "s1", "HQ", "phone.call_summary.enable", "Phone", "false", "true", 1),
    ]
    # not reported: ga's full_text (account lock), gb's narrower values, u2's narrower '1'
    assert "zoomai.meetings.summary_email" not in set(got["key"])


def test_no_overrides_below_the_account_is_an_empty_table(tenant):
    """Only account-level settings: no override can widen anything, so no row, and the same
    columns (a tenant of a simulated portfolio, 12 users with no override, once raised KeyError)."""
    account_only = build(
        tenants=tenant.tenants.to_dict("records"),
        groups=tenant.groups.to_dict("records"),
        sites=tenant.sites.to_dict("records"),
        users=tenant.users.to_dict("records"),
        settings=tenant.settings[tenant.settings["level"] == "account"].to_dict("records"),
    )
    got = audit.widening_overrides(account_only)
    assert got.empty
    assert list(got.columns) == list(audit.widening_overrides(tenant).columns)


def test_notice_status_and_version_bands(tenant):
    status = audit.notice_status(tenant).set_index("user_id")
    assert status.loc["u1", "band"] == "below 5.15.12"
    assert status.loc["u2", "participant_notice"] and not status.loc["u2", "host_one_click_off"]
    assert pd.isna(status.loc["u4", "participant_notice"])  # unknown, never true
    bands = audit.version_bands(tenant)
    assert bands["band"].tolist() == [
        "below 5.15.12",
        "5.15.12 to below 6.0.0",
        "6.0.0 or later",
        "unknown version",
    ]
    assert bands["participant_notice"].tolist() == [False, True, True, pd.NA]
    assert bands["host_one_click_off"].tolist() == [False, False, True, pd.NA]
    assert bands["users"].tolist() == [1, 1, 1, 1]
    assert bands["share"].tolist() == [0.25] * 4


def test_notice_facts_come_from_policy(policy):
    facts = audit.notice_facts(policy).set_index("feature")["min_version"]
    assert facts["participant_notice"] == policy.value("participant_notice_min_version")
    assert facts["host_one_click_off"] == policy.value("host_one_click_off_min_version")


def test_meeting_security(tenant, eff):
    got = audit.meeting_security(tenant, eff)
    assert got.to_dict("records") == [
        # u1: no waiting room, unauthenticated, summaries to all invitees -> flagged;
        # u2: open meetings too but narrowed recipients to the host
        dict(
            group_id="ga",
            group=GROUP_A,
            users=2,
            no_waiting_room=2,
            no_passcode=0,
            unauthenticated=2,
            open_meetings=2,
            external_summaries=1,
            open_and_external=1,
            flagged=True,
        ),
        # u3: waiting room on (group), passcode on (default): not open
        dict(
            group_id="gb",
            group="Board",
            users=1,
            no_waiting_room=0,
            no_passcode=0,
            unauthenticated=1,
            open_meetings=0,
            external_summaries=0,
            open_and_external=0,
            flagged=False,
        ),
        # u4: no waiting room, no passcode, but summaries go to internal invitees only
        dict(
            group_id=audit.NO_GROUP,
            group=audit.NO_GROUP,
            users=1,
            no_waiting_room=1,
            no_passcode=1,
            unauthenticated=1,
            open_meetings=1,
            external_summaries=0,
            open_and_external=0,
            flagged=False,
        ),
    ]


def test_settings_overview(eff):
    got = audit.settings_overview(eff).set_index(["key", "value"])
    row = got.loc[(RECIPIENTS, "4")]
    assert (row["users"], row["group"], row["account"], row["locked"]) == (1, 1, 0, 0)
    row = got.loc[("zoomai.meetings.summary_email", "link")]
    assert (row["users"], row["account"], row["locked"]) == (4, 4, 4)
    assert got.groupby("key")["users"].sum().eq(4).all()  # every key covers every user once


def test_effective_settings_computed_when_not_given(tenant, eff):
    pd.testing.assert_frame_equal(audit.meeting_security(tenant), audit.meeting_security(tenant, eff))


def test_phone_policy_ambiguity(tenant):
    # Site Phone policies are "not applied to users that are members of one or more User Groups
    # with activated Zoom Phone policies", and the group-controls note lists no Phone settings
    # (whitepaper, Site level Settings; Group Controls): zoomai's inferred reading takes the
    # account value, and the audit lists the users this reading concerns.
    assert audit.phone_policy_ambiguity(tenant).empty  # no group has an activated Phone policy
    groups = tenant.groups.assign(phone_policy_active=tenant.groups["group_id"] == "ga")
    phone_group = type(tenant)(**{**vars(tenant), "groups": groups})
    flagged = audit.phone_policy_ambiguity(phone_group)
    # u1 (group ga, site s1): the site's call summary "true" is set aside, the default "false"
    # (no account value) is in force; u2 is in ga but has no site: no Phone policy to set aside
    assert flagged[["user_id", "site", "set_aside", "differs"]].values.tolist() == [
        ["u1", "HQ", "phone.call_summary.enable=true", True]
    ]
    assert flagged.loc[0, "group"] == GROUP_A
    eff = effective_settings(phone_group)
    value = eff[(eff["user_id"] == "u1") & (eff["key"] == "phone.call_summary.enable")]["value"]
    assert value.tolist() == ["false"]


def test_phone_reading_is_recorded_as_inferred(policy):
    fact = policy.fact("phone_group_policy_reading")
    assert fact["certainty"] == "inferred" and "account value" in fact["reading"]
