"""Import that cannot mislead: a missing users.json and files nothing was taken from are reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from tests.conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "zoom_api"
SUMMARY_ON = {"in_meeting": {"meeting_summary_with_ai_companion": {"enable": True}}}


def _export(root: Path, files: dict[str, object]) -> Path:
    for rel, data in {"account_settings.json": SUMMARY_ON, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(json.dumps(data))
    return root


def _import(tmp_path: Path, root: Path) -> tuple[dict, str]:
    code, out, err = run_cli("import-settings", root, "--out", tmp_path / "out", "--region", "US")
    assert code == 0, err
    return json.loads((tmp_path / "out" / "import_report.json").read_text()), out


def test_no_users_json_with_groups_warns_that_group_settings_reach_nobody(tmp_path: Path) -> None:
    root = _export(
        tmp_path / "x", {"groups/g1/settings.json": SUMMARY_ON, "users/u1/settings.json": SUMMARY_ON}
    )
    report, out = _import(tmp_path, root)
    warning = {
        "file": "users.json",
        "path": "(whole file)",
        "message": "no users.json: users known only from their settings files (1) are in no group, "
        "so group settings reach nobody",
    }
    assert report["warnings"] == [warning]
    assert "users.json, (whole file): no users.json: users known only from their settings files" in out


def test_no_users_at_all_warns(tmp_path: Path) -> None:
    report, out = _import(tmp_path, _export(tmp_path / "x", {}))
    assert [w["message"] for w in report["warnings"]] == [
        "no users: group and user settings reach nobody (GET /users was not saved)"
    ]
    assert "users.json, (whole file): no users: group and user settings reach nobody" in out


def test_users_json_present_no_warning(tmp_path: Path) -> None:
    users = {"users": [{"id": "u1", "email": "ann@example.com", "group_ids": ["g1"]}]}
    root = _export(tmp_path / "x", {"groups/g1/settings.json": SUMMARY_ON, "users.json": users})
    report, _ = _import(tmp_path, root)
    assert report["warnings"] == [] and report["files_without_settings"] == []


def test_phone_site_settings_sample_is_listed_as_giving_nothing(tmp_path: Path) -> None:
    root = _export(tmp_path / "x", {})
    (root / "phone" / "sites").mkdir(parents=True)
    shutil.copy(FIXTURES / "phone-sites-siteId-settings-settingType_GET.json", root / "phone/sites/s1.json")
    report, out = _import(tmp_path, root)
    assert "phone/sites/s1.json" in report["files_read"]
    assert report["files_without_settings"] == ["phone/sites/s1.json"]
    assert "read, but no settings taken from: phone/sites/s1.json" in out


def test_region_is_required_never_silently_us(tmp_path: Path) -> None:
    code, _, err = run_cli("import-settings", _export(tmp_path / "x", {}), "--out", tmp_path / "out")
    assert code == 2 and "--region" in err and not (tmp_path / "out").exists()


# --- the names of Zoom's samples (shared/zoom-api/examples/) -----------------------------------

PHONE_SAMPLE = "phone-sites-siteId-settings-settingType_GET.json"
# Top-level fields of the Phone sample: routing, hours, security, caller id, prompts, desk
# phones, dial by name, billing. None is a registry key (those are policy.call_summary, ...).
PHONE_FIELDS = (
    "audio_prompt, billing_account, business_hours, closed_hours, desk_phone, dial_by_name, "
    "holiday_hours, location_based_routing, outbound_caller_id, security"
)


def test_the_shared_samples_import_as_they_are_named(tmp_path: Path) -> None:
    """The six samples, copied with their own names, import like the same files in the import
    layout: the path parameters left as placeholders (groupId, userId) are read as ids."""
    flat = tmp_path / "examples"
    shutil.copytree(FIXTURES, flat)
    layout = tmp_path / "layout"
    for rel, name in {
        "account_settings.json": "accounts-accountId-settings_GET.json",
        "account_lock_settings.json": "accounts-accountId-lock_settings_GET.json",
        "groups/groupId/settings.json": "groups-groupId-settings_GET.json",
        "groups/groupId/lock_settings.json": "groups-groupId-lock_settings_GET.json",
        "users/userId/settings.json": "users-userId-settings_GET.json",
        "phone/sites/siteId/settings/settingType.json": PHONE_SAMPLE,
    }.items():
        (layout / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / name, layout / rel)
    same = ("--region", "US", "--tenant-id", "acme")
    code, out, err = run_cli("import-settings", flat, "--out", tmp_path / "a", *same)
    assert code == 0, err
    code, _, err = run_cli("import-settings", layout, "--out", tmp_path / "b", *same)
    assert code == 0, err
    for table in ("tenants", "groups", "sites", "users", "settings"):
        a, b = (pd.read_parquet(tmp_path / side / f"{table}.parquet") for side in "ab")
        pd.testing.assert_frame_equal(a, b)
    settings = pd.read_parquet(tmp_path / "a" / "settings.parquet")
    # account, group groupId and user userId each have settings; the Phone sample gives none
    assert set(settings["level"].astype(str)) == {"account", "group", "user"}
    assert set(settings.loc[settings["level"] == "group", "scope_id"]) == {"groupId"}

    report = json.loads((tmp_path / "a" / "import_report.json").read_text())
    assert report["files_not_read"] == [PHONE_SAMPLE]
    reason = (
        f"Phone site settings (settingType): none of its fields ({PHONE_FIELDS}) is in the settings "
        "registry; Phone AI and retention policies are read from GET /phone/sites/{siteId}"
    )
    assert report["not_read_because"] == {PHONE_SAMPLE: reason}
    assert f"  not read: {PHONE_SAMPLE}: {reason}" in out
    assert report["tables"] == {"groups": 1, "sites": 0, "users": 1}
    assert "group settings reach nobody" in report["warnings"][0]["message"]


def test_phone_site_settings_with_a_registry_field_become_site_settings(tmp_path: Path) -> None:
    """A site settings response that carries a policy the registry knows (call_summary) gives
    a site-level setting for that site, merged with the site's own file."""
    root = _export(tmp_path / "x", {"phone/sites/s1.json": {"id": "s1", "name": "Berlin"}})
    files = {
        "phone-sites-s1-settings-call_handling_GET.json": {"call_summary": {"enable": True, "locked": True}},
    }
    for name, data in files.items():
        (root / name).write_text(json.dumps(data))
    report, _ = _import(tmp_path, root)
    settings = pd.read_parquet(tmp_path / "out" / "settings.parquet")
    site = settings[settings["level"] == "site"]
    # a `locked` policy object locks the object (one lock row), its `enable` is the value
    assert site[["scope_id", "key", "value", "locked"]].fillna("").values.tolist() == [
        ["s1", "phone.call_summary.enable", "true", False],
        ["s1", "phone.call_summary", "", True],
    ]
    assert report["not_read_because"] == {}


def test_one_response_in_both_spellings_is_refused(tmp_path: Path) -> None:
    root = _export(tmp_path / "x", {"groups/g1/settings.json": SUMMARY_ON})
    (root / "groups-g1-settings_GET.json").write_text(json.dumps(SUMMARY_ON))
    code, _, err = run_cli("import-settings", root, "--out", tmp_path / "out", "--region", "US")
    assert code == 2 and not (tmp_path / "out").exists()
    assert (
        "groups-g1-settings_GET.json and groups/g1/settings.json are both GET /groups/{groupId}/settings; "
        "keep one of them"
    ) in err
