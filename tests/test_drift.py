"""`zoomai diff` on two hand-made snapshots: each change made is found; exit 1 exactly when
exposure widens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from zoomai.analysis.drift import CHANGES_FILE

OLD: dict[str, object] = {
    "account_settings.json": {
        "in_meeting": {"meeting_summary_with_ai_companion": {"enable": True, "who_will_receive_summary": 1}},
        "chat": {"ai_summary": {"enable": False}},
        "recording": {"auto_delete_cmr": True, "auto_delete_cmr_days": 30},
    },
    "account_lock_settings.json": {"in_meeting": {"meeting_summary_with_ai_companion": True}},
    "users.json": {
        "users": [
            {"id": "u1", "email": "ann@example.com", "group_ids": ["g1"]},
            {"id": "u2", "email": "bob@example.com", "group_ids": []},
            {"id": "u3", "email": "cat@example.org", "group_ids": []},
        ]
    },
    "groups.json": {"groups": [{"id": "g1", "name": "Sales"}]},
    "groups/g1/settings.json": {"chat": {"ai_summary": {"enable": False}}},
}

# The changes made, one per line:
NEW = json.loads(json.dumps(OLD))
NEW["account_settings.json"]["in_meeting"]["meeting_summary_with_ai_companion"][
    "who_will_receive_summary"
] = 4
del NEW["account_settings.json"]["recording"]["auto_delete_cmr_days"]  # setting removed
NEW["account_lock_settings.json"] = {"recording": {"auto_delete_cmr": True}}  # one lock removed, one added
NEW["groups/g1/settings.json"] = {"chat": {"ai_summary": {"enable": True}}}  # Sales may summarise chats
NEW["users/u2/settings.json"] = {"recording": {"smart_recording": {"create_recording_highlights": True}}}
NEW["users.json"] = {
    "users": [*OLD["users.json"]["users"][:2], {"id": "u4", "email": "dan@example.com", "group_ids": ["g2"]}]
}  # u3 left, u4 joined
NEW["groups.json"] = {"groups": [{"id": "g1", "name": "Sales"}, {"id": "g2", "name": "Support"}]}

SUMMARY_KEY = "in_meeting.meeting_summary_with_ai_companion"
SETTINGS_AND_DIRECTORY = {
    ("setting", "changed", "account", "account", f"{SUMMARY_KEY}.who_will_receive_summary", "1", "4"),
    ("setting", "removed", "account", "account", "recording.auto_delete_cmr_days", "30", ""),
    ("lock", "lock removed", "account", "account", SUMMARY_KEY, "", ""),
    ("lock", "lock added", "account", "account", "recording.auto_delete_cmr", "", ""),
    ("setting", "changed", "group", "g1", "chat.ai_summary.enable", "false", "true"),
    ("setting", "added", "user", "u2", "recording.smart_recording.create_recording_highlights", "", "true"),
    ("user", "removed", "", "u3", "cat@example.org", "", ""),
    ("user", "added", "", "u4", "dan@example.com", "", ""),
    ("group", "added", "", "g2", "Support", "", ""),
}
# Worked out from the hierarchy: who_will_receive_summary 4 (all invitees) at account level reaches
# u1 and u2 (u3 left; u4 is new, so not a change for anyone); chat summaries only Sales (u1);
# highlights only u2. Summaries to all invitees add the external recipients as a party.
EXPOSURE = {
    ("feature newly available", "team_chat.thread_summary", 1, "ann@example.com"),
    ("feature newly available", "meetings.smart_recordings", 1, "bob@example.com"),
    ("summaries newly shared outside", "meetings.meeting_summary", 2, "ann@example.com; bob@example.com"),
    ("party newly receiving content", "External recipients", 2, "ann@example.com; bob@example.com"),
}


def _write(folder: Path, files: dict[str, object]) -> Path:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))
    return folder


@pytest.fixture
def snapshots(tmp_path: Path) -> tuple[Path, Path]:
    return _write(tmp_path / "2026-11-01T000000Z", OLD), _write(tmp_path / "2026-11-08T000000Z", NEW)


def _changes(out: str) -> tuple[bool, set[tuple], set[tuple]]:
    data = json.loads(out)
    rows = data["changes"]
    other = {
        (r["section"], r["change"], r["level"], r["scope_id"], r["item"], r["old"], r["new"])
        for r in rows
        if r["section"] != "exposure"
    }
    exposure = {
        (r["change"], r["item"], r["people"], r["affected"]) for r in rows if r["section"] == "exposure"
    }
    return data["widens_exposure"], other, exposure


def test_every_change_is_found_and_widening_exits_1(snapshots: tuple[Path, Path]) -> None:
    old, new = snapshots
    code, out, err = run_cli("diff", old, new, "--region", "US", "--format", "json")
    assert code == 1, err
    widens, other, exposure = _changes(out)
    assert widens is True
    assert other == SETTINGS_AND_DIRECTORY
    assert exposure == EXPOSURE


def test_narrowing_only_exits_0(snapshots: tuple[Path, Path]) -> None:
    old, new = snapshots
    code, out, err = run_cli("diff", new, old, "--region", "US", "--format", "json")
    assert code == 0, err
    widens, other, exposure = _changes(out)
    assert widens is False and exposure == set()
    assert ("user", "added", "", "u3", "cat@example.org", "", "") in other
    assert ("setting", "changed", "group", "g1", "chat.ai_summary.enable", "true", "false") in other


def test_same_snapshot_as_tenant_folder_has_no_changes(snapshots: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = snapshots
    assert run_cli("import-settings", old, "--out", tmp_path / "tenant", "--region", "US")[0] == 0
    code, out, err = run_cli("diff", old, tmp_path / "tenant", "--region", "US")
    assert (code, out) == (0, "0 changes; exposure not widened\n\n"), err


def test_markdown_and_csv_list_the_same_changes(snapshots: tuple[Path, Path]) -> None:
    old, new = snapshots
    code, out, _ = run_cli("diff", old, new, "--region", "US")
    assert code == 1 and out.startswith("13 changes; exposure WIDENED")
    code, out, _ = run_cli("diff", old, new, "--region", "US", "--format", "csv")
    assert code == 1 and len(out.strip().splitlines()) == 1 + len(SETTINGS_AND_DIRECTORY) + len(EXPOSURE)


def test_bad_input_exits_2(snapshots: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = snapshots
    code, _, err = run_cli("diff", old, new)
    assert code == 2 and "give its hosting region with --region" in err
    code, _, err = run_cli("diff", old, tmp_path / "missing", "--region", "US")
    assert code == 2 and "neither a snapshot" in err
    (new / "users.json").write_text("{")
    code, _, err = run_cli("diff", old, new, "--region", "US")
    assert code == 2 and "users.json" in err and "not valid JSON" in err


def test_importing_the_later_snapshot_keeps_the_same_changes(
    snapshots: tuple[Path, Path], tmp_path: Path
) -> None:
    """The two snapshots sit in one snapshots folder: importing the later one keeps, in the
    tenant folder, the changes `zoomai diff` lists (the earlier one is the previous snapshot)."""
    old, new = snapshots
    _, diff_out, _ = run_cli("diff", old, new, "--region", "US", "--format", "json")
    code, out, err = run_cli("import-settings", new, "--out", tmp_path / "tenant", "--region", "US")
    assert code == 0, err
    assert f"  since the previous snapshot ({old.name} to {new.name}): 13 changes; exposure WIDENED" in out
    kept = json.loads((tmp_path / "tenant" / CHANGES_FILE).read_text())
    assert (kept["snapshot"], kept["previous"], kept["problem"]) == (new.name, old.name, "")
    assert (kept["widens_exposure"], kept["changes"]) == (True, json.loads(diff_out)["changes"])

    code, out, err = run_cli("import-settings", old, "--out", tmp_path / "first", "--region", "US")
    assert code == 0, err
    assert f"  first snapshot ({old.name}): no earlier snapshot to compare with" in out


def test_an_unreadable_previous_snapshot_does_not_stop_the_import(
    snapshots: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = snapshots
    (old / "users.json").write_text("{")
    code, out, err = run_cli("import-settings", new, "--out", tmp_path / "tenant", "--region", "US")
    assert code == 0, err
    kept = json.loads((tmp_path / "tenant" / CHANGES_FILE).read_text())
    assert kept["previous"] == old.name and kept["changes"] == []
    assert kept["problem"].startswith("could not be read: ") and "users.json" in kept["problem"]
    assert f"  previous snapshot {old.name} could not be read: " in out
