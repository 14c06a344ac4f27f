"""Import that cannot mislead: a missing users.json and files nothing was taken from are reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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
        "message": "missing: users have no group, so group settings reach nobody",
    }
    assert report["warnings"] == [warning]
    assert "users.json, (whole file): missing: users have no group" in out


def test_no_users_at_all_warns(tmp_path: Path) -> None:
    report, out = _import(tmp_path, _export(tmp_path / "x", {}))
    assert [w["message"] for w in report["warnings"]] == ["missing: no users, so no setting reaches anyone"]


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
