"""Effective settings: hand-worked cases of the whitepaper's hierarchy and lock rules."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import run_cli

from zoomai.tenants.effective import effective_settings
from zoomai.tenants.tables import build, save_tenant

T = "t1"


def _s(level, scope, key, value, locked=False):
    return dict(tenant_id=T, level=level, scope_id=scope, key=key, value=value, locked=locked)


@pytest.fixture(scope="module")
def tenant():
    return build(
        tenants=[
            dict(
                tenant_id=T,
                name="Tiny",
                hosting_region="US",
                vertical="test",
                zmo_enabled=False,
                zdr_enabled=False,
                customer_managed_key=False,
                source="simulated",
            )
        ],
        groups=[
            dict(tenant_id=T, group_id="sales", name="Sales", phone_policy_active=False),
            dict(tenant_id=T, group_id="support", name="Support", phone_policy_active=True),
        ],
        sites=[dict(tenant_id=T, site_id="hq", name="HQ", country="US")],
        users=[
            dict(
                tenant_id=T,
                user_id="u1",
                email=None,
                group_id="sales",
                site_id="hq",
                client_version="6.0.1",
                platform="desktop",
                role="member",
            ),
            dict(
                tenant_id=T,
                user_id="u2",
                email=None,
                group_id="support",
                site_id="hq",
                client_version="5.15.0",
                platform="mobile",
                role="member",
            ),
            dict(
                tenant_id=T,
                user_id="u3",
                email=None,
                group_id=None,
                site_id=None,
                client_version=None,
                platform="web",
                role="admin",
            ),
        ],
        settings=[
            # account lock beats group and user
            _s("account", T, "in_meeting.meeting_summary_with_ai_companion.enable", "false", locked=True),
            _s("group", "sales", "in_meeting.meeting_summary_with_ai_companion.enable", "true"),
            _s("user", "u1", "in_meeting.meeting_summary_with_ai_companion.enable", "true"),
            # Team Chat: user values never count; an object lock locks its fields
            _s("account", T, "chat.ai_summary.enable", "true"),
            _s("account", T, "chat.ai_summary", None, locked=True),
            _s("group", "sales", "chat.ai_summary.enable", "false"),
            _s("user", "u1", "chat.ai_compose.enable", "true"),
            _s("group", "support", "chat.ai_compose.enable", "true"),
            # Phone: site between group and user, skipped for groups with an active Phone policy
            _s("account", T, "phone.call_summary.enable", "false"),
            _s("site", "hq", "phone.call_summary.enable", "true"),
            _s("group", "sales", "phone.team_sms_thread_summary.enable", "true"),
            # group lock stops the user; without a group the user's value counts
            _s("group", "sales", "recording.auto_delete_cmr", "true", locked=True),
            _s("user", "u1", "recording.auto_delete_cmr", "false"),
            _s("user", "u3", "recording.auto_delete_cmr", "true"),
            # Meetings: user values count
            _s("account", T, "in_meeting.ai_companion_questions.who_can_ask_questions", "1"),
            _s("user", "u2", "in_meeting.ai_companion_questions.who_can_ask_questions", "3"),
        ],
    )


@pytest.fixture(scope="module")
def eff(tenant):
    return effective_settings(tenant).set_index(["user_id", "key"])


def row(eff, user, key):
    r = eff.loc[(user, key)]
    locked_at = None if pd.isna(r["locked_at"]) else r["locked_at"]
    return (r["value"], r["source_level"], bool(r["locked"]), locked_at, bool(r["user_can_change"]))


SUMMARY = "in_meeting.meeting_summary_with_ai_companion.enable"


def test_one_row_per_user_and_key(tenant, eff):
    from zoomai.facts.registry import SETTINGS

    assert len(eff) == 3 * len(SETTINGS)
    assert not eff.index.duplicated().any()


def test_account_lock_beats_group_and_user(eff):
    assert row(eff, "u1", SUMMARY) == ("false", "account", True, "account", False)
    assert row(eff, "u3", SUMMARY) == ("false", "account", True, "account", False)


def test_user_value_ignored_for_team_chat(eff):
    # u1's own chat.ai_compose.enable=true does not count: Team Chat has no user-level controls
    assert row(eff, "u1", "chat.ai_compose.enable") == ("false", "default", False, None, False)
    # a group value does count for Team Chat
    assert row(eff, "u2", "chat.ai_compose.enable") == ("true", "group", False, None, False)


def test_object_lock_locks_its_fields(eff):
    # account locks the chat.ai_summary object, so the sales group's false is ignored
    assert row(eff, "u1", "chat.ai_summary.enable") == ("true", "account", True, "account", False)


def test_site_policy_rule(eff):
    key = "phone.call_summary.enable"
    assert row(eff, "u1", key) == ("true", "site", False, None, False)  # site applies
    assert row(eff, "u2", key) == ("false", "account", False, None, False)  # group has a Phone policy
    assert row(eff, "u3", key) == ("false", "account", False, None, False)  # no site


def test_group_value_ignored_for_phone(eff):
    assert row(eff, "u1", "phone.team_sms_thread_summary.enable") == ("false", "default", False, None, False)


def test_group_lock_stops_user(eff):
    assert row(eff, "u1", "recording.auto_delete_cmr") == ("true", "group", True, "group", False)
    assert row(eff, "u3", "recording.auto_delete_cmr") == ("true", "user", False, None, True)


def test_user_value_counts_for_meetings(eff):
    key = "in_meeting.ai_companion_questions.who_can_ask_questions"
    assert row(eff, "u2", key) == ("3", "user", False, None, True)
    assert row(eff, "u1", key) == ("1", "account", False, None, True)


def test_defaults(eff):
    assert row(eff, "u3", "zoomai.events.image_generation.enable") == ("false", "default", False, None, False)
    assert row(eff, "u3", "in_meeting.waiting_room") == ("true", "default", False, None, True)


def test_cli_settings(tenant, tmp_path):
    folder = save_tenant(tenant, tmp_path / "tiny")
    code, out, err = run_cli(
        "settings", folder, "--format", "csv", "--user", "u2", "--key", "phone.call_summary.enable"
    )
    assert code == 0, err
    assert out.splitlines() == [
        "tenant_id,user_id,key,value,source_level,locked,locked_at,user_can_change",
        "t1,u2,phone.call_summary.enable,false,account,false,,false",
    ]
    code, out, err = run_cli("settings", folder, "--user", "u3", "--key", "chat.ai_summary.enable")
    assert code == 0, err
    cells = [c.strip() for c in out.splitlines()[2].split("|")[1:-1]]
    assert cells == ["t1", "u3", "chat.ai_summary.enable", "true", "account", "true", "account", "false"]
    code, _, err = run_cli("settings", tmp_path / "missing")
    assert code == 2 and "not a tenant folder" in err


def test_configuration_applies_as_locked_account_settings(tenant):
    from zoomai.analysis.configurations import apply_configuration, load_configurations

    hardened = apply_configuration(tenant, load_configurations()["hardened"])
    assert hardened.info["zmo_enabled"] and hardened.info["zdr_enabled"]
    eff = effective_settings(hardened).set_index(["user_id", "key"])
    # u2 had set who_can_ask_questions=3 herself; the configuration locks 3 at account level
    key = "in_meeting.ai_companion_questions.who_can_ask_questions"
    assert row(eff, "u1", key) == ("3", "account", True, "account", False)
    assert row(eff, "u3", "zoomai.meetings.summary_email") == ("link", "account", True, "account", False)
    # the group lock on recording.auto_delete_cmr no longer matters: account now locks it
    assert row(eff, "u1", "recording.auto_delete_cmr") == ("true", "account", True, "account", False)
    # settings the configuration leaves alone keep the tenant's resolution
    assert row(eff, "u1", "phone.call_summary.enable") == ("true", "site", False, None, False)
