"""Simulated tenants: determinism, the bundled data, and shapes that can be checked by hand."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli

from zoomai.core.errors import DataError
from zoomai.core.paths import data_file
from zoomai.core.versions import version_lt
from zoomai.facts.registry import SETTINGS
from zoomai.tenants.effective import effective_settings
from zoomai.tenants.simulate import (
    ACTIVITIES,
    feature_facts,
    load_profiles,
    simulate_bundled,
    simulate_tenant,
    write_simulated,
)
from zoomai.tenants.tables import load_tenant, load_tenants, tenants_dir

SMALL = dict(users=40, months=1)
KEY_FEATURE = {s.key: s.feature_id for s in SETTINGS if s.feature_id}
BUNDLED_SEED = 7  # data/tenants was written by `zoomai simulate --bundled --seed 7 --out data/tenants`


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


@pytest.fixture(scope="module")
def bundled() -> dict:
    return load_tenants()


@pytest.fixture(scope="module")
def policy_versions(policy) -> tuple[str, str]:
    return policy.value("participant_notice_min_version"), policy.value("host_one_click_off_min_version")


# --- Determinism ---------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path):
    a = write_simulated(tmp_path / "a", "startup_everything_on", 3, **SMALL)
    b = write_simulated(tmp_path / "b", "startup_everything_on", 3, **SMALL)
    assert len(_hashes(a)) == 6
    assert _hashes(a) == _hashes(b)
    assert (a / "simulation.json").read_bytes() == (b / "simulation.json").read_bytes()


def test_different_seed_gives_different_usage():
    a = simulate_tenant("us_enterprise_defaults", 1, **SMALL).usage
    b = simulate_tenant("us_enterprise_defaults", 2, **SMALL).usage
    assert not a.equals(b)


def test_bundled_data_is_what_the_simulator_writes(tmp_path):
    """data/tenants is up to date with profiles.yaml and the code (regenerate it if this fails)."""
    simulate_bundled(tmp_path, BUNDLED_SEED)
    for tenant_id in load_profiles():
        assert _hashes(tmp_path / tenant_id) == _hashes(tenants_dir() / tenant_id), tenant_id


# --- The bundled tenants ------------------------------------------------------------------------


def test_bundled_tenants_load_and_validate(bundled):
    assert set(bundled) == set(load_profiles())
    for tenant_id, t in bundled.items():
        assert t.tenant_id == tenant_id
        assert t.info["source"] == "simulated"
        assert len(t.usage) > 1000
        assert sum(p.stat().st_size for p in (tenants_dir() / tenant_id).iterdir()) < 1_000_000


def test_every_matrix_feature_has_an_activity_kind():
    covered = [f for feats in ACTIVITIES.values() for f in feats]
    assert sorted(covered) == sorted(feature_facts().index)


def test_phone_usage_only_for_users_with_a_site(bundled):
    for t in bundled.values():
        phone_users = set(t.usage.loc[t.usage["product"] == "Phone", "user_id"].astype(str))
        with_site = set(t.users.loc[t.users["site_id"].notna(), "user_id"])
        assert phone_users <= with_site
    assert (bundled["contact_centre_phone"].usage["product"] == "Phone").sum() > 1000


def test_quick_reply_only_from_mobile_users(bundled):
    seen = 0
    for t in bundled.values():
        users = t.usage.loc[t.usage["feature_id"] == "team_chat.quick_reply", "user_id"].astype(str)
        platform = t.users.set_index("user_id")["platform"]
        assert (platform.loc[users.unique()] == "mobile").all()
        seen += len(users)
    assert seen > 0


def test_usage_only_where_the_feature_is_in_force(bundled):
    for t in bundled.values():
        eff = effective_settings(t)
        on = eff[(eff["value"] == "true").fillna(False) & eff["key"].astype(str).isin(KEY_FEATURE)]
        allowed = set(zip(on["user_id"].astype(str), on["key"].astype(str).map(KEY_FEATURE), strict=True))
        used = set(zip(t.usage["user_id"].astype(str), t.usage["feature_id"].astype(str), strict=True))
        assert used <= allowed, sorted(used - allowed)[:5]


def test_minimum_client_versions_are_not_a_gate(bundled):
    # the whitepaper gives a "Minimum Recommended Client Version": a recommendation, so users on
    # older clients still use the features (the bundled population has clients below 5.15.12)
    facts = feature_facts()
    below = 0
    for t in bundled.values():
        rows = t.usage[["user_id", "feature_id"]].drop_duplicates().astype(str)
        rows = rows.merge(t.users[["user_id", "client_version"]], on="user_id")
        rows["min"] = rows["feature_id"].map(facts["min_client_version"])
        rows = rows.dropna()
        below += sum(version_lt(v, m) for v, m in zip(rows["client_version"], rows["min"], strict=True))
    assert below > 0


def test_recordings_and_participants(bundled):
    for t in bundled.values():
        u = t.usage
        assert u.loc[u["feature_id"] == "meetings.smart_recordings", "recorded"].all()
        assert not u.loc[u["product"] != "Meetings", "recorded"].any()
        assert (u["internal_participants"] >= 1).all()
        assert (u["time"] >= pd.Timestamp("2026-01-01", tz="UTC")).all()
        # rows of one activity share user, time and participants
        per_activity = u.groupby("activity_id", observed=True)[["user_id", "time", "external_participants"]]
        assert (per_activity.nunique() == 1).all().all()


def test_eu_tenant_is_zmo_only(bundled):
    t = bundled["eu_company_zmo"]
    assert t.info["hosting_region"] == "EU"
    used = set(t.usage["feature_id"].astype(str))
    assert used
    assert feature_facts().loc[sorted(used), "zmo_eligible"].all()
    # switched on at account level, yet unused: they need a third-party model
    assert "team_chat.quick_reply" not in used
    assert "whiteboard.content_generation" not in used


def test_healthcare_summary_email_link_locked_at_account(bundled):
    t = bundled["us_healthcare_hardened"]
    assert t.info["zmo_enabled"] and t.info["zdr_enabled"]
    s = t.settings
    row = s[(s["level"] == "account") & (s["key"] == "zoomai.meetings.summary_email")]
    assert row["value"].tolist() == ["link"]
    assert row["locked"].tolist() == [True]
    eff = effective_settings(t)
    in_force = eff.loc[eff["key"] == "zoomai.meetings.summary_email", "value"]
    assert (in_force == "link").all()  # user overrides to full_text are locked out


def test_population_has_old_clients_mobile_users_and_overrides(bundled, policy_versions):
    notice, one_click = policy_versions
    users = pd.concat([t.users for t in bundled.values()])
    versions = users["client_version"].dropna()
    assert any(version_lt(v, notice) for v in versions)
    assert any(not version_lt(v, notice) and version_lt(v, one_click) for v in versions)
    assert users["client_version"].isna().any()
    assert (users["platform"] == "mobile").sum() > 50
    settings = pd.concat([t.settings for t in bundled.values()])
    assert set(settings["level"]) == {"account", "group", "site", "user"}
    assert settings["locked"].any()
    user_keys = settings.loc[settings["level"] == "user", "key"]
    assert user_keys.str.startswith("chat.").any() and user_keys.str.startswith("in_meeting.").any()
    groups = pd.concat([t.groups for t in bundled.values()])
    assert groups["phone_policy_active"].any()
    assert groups["name"].str.contains("<script>alert(1)</script>", regex=False).any()


# --- Profiles file ---------------------------------------------------------------------------------


def test_profile_errors_name_the_line(tmp_path):
    source = data_file("profiles.yaml").read_text(encoding="utf-8")
    bad = source.replace("in_meeting.waiting_room]", "in_meeting.no_such_setting]", 1)
    bad = bad.replace("zoomai.meetings.summary_email: link", "zoomai.meetings.summary_email: pdf", 1)
    path = tmp_path / "profiles.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_profiles(path)
    message = str(err.value)
    assert "no_such_setting" in message and "expected one of ['full_text', 'link']" in message
    lines = source.splitlines()
    lock_line = next(i for i, line in enumerate(lines, 1) if "in_meeting.waiting_room]" in line)
    assert f"line {lock_line}" in message


# --- Command line -----------------------------------------------------------------------------------


def test_cli_writes_a_tenant_folder(tmp_path):
    out = tmp_path / "t"
    code, stdout, _ = run_cli(
        "simulate", "--seed", "5", "--out", out, "--profile", "contact_centre_phone", "--users", "30",
        "--months", "1", "--start", "2026-03-01", "--tenant-id", "cc1",
    )  # fmt: skip
    assert code == 0 and str(out) in stdout
    t = load_tenant(out)
    assert t.tenant_id == "cc1" and len(t.users) == 30
    assert t.usage["time"].min() >= pd.Timestamp("2026-03-01", tz="UTC")
    assert t.usage["time"].max() < pd.Timestamp("2026-04-01", tz="UTC")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--users", "0"], "--users must be"),
        (["--months", "0"], "--months must be"),
        (["--profile", "nope"], "unknown profile 'nope'"),
        (["--start", "2026-13-01"], "--start must be a date"),
        (["--tenant-id", "a b"], "--tenant-id must be"),
        (["--seed", "-1"], "--seed must be"),
        (["--bundled", "--users", "5"], "drop --users"),
    ],
)
def test_cli_bad_arguments_exit_2(tmp_path, args, message):
    base = ["simulate", "--seed", "1", "--out", tmp_path / "x"]
    if "--seed" in args:
        base = ["simulate", "--out", tmp_path / "x"]
    code, _, err = run_cli(*base, *args)
    assert code == 2
    assert message in err
    assert not (tmp_path / "x").exists()
