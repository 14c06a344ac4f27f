"""`zoomai import-settings`: saved Zoom REST API responses -> a validated tenant folder.

Expected values are read off the sample responses in tests/fixtures/zoom_api/ (copies of
shared/zoom-api/examples/).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli

from zoomai.core.errors import DataError
from zoomai.facts.registry import SPECS
from zoomai.tenants.importer import PRE_AI_NOTE, REPORT_FILE, import_settings, read_export, sanitise_id
from zoomai.tenants.tables import load_tenant

FIXTURES = Path(__file__).parent / "fixtures" / "zoom_api"
SAMPLES = {
    "account_settings.json": "accounts-accountId-settings_GET.json",
    "account_lock_settings.json": "accounts-accountId-lock_settings_GET.json",
    "groups/g1/settings.json": "groups-groupId-settings_GET.json",
    "groups/g1/lock_settings.json": "groups-groupId-lock_settings_GET.json",
    "users/u1/settings.json": "users-userId-settings_GET.json",
    "phone/sites/s2.json": "phone-sites-siteId-settings-settingType_GET.json",
}
USERS = {
    "users": [
        {
            "id": "u1",
            "email": "ana@example.com",
            "group_ids": ["g1"],
            "role_id": "1",
            "type": 2,
            "last_client_version": "5.17.11.34827(mac)",
        },
        {
            "id": "u2",
            "email": "bo@example.com",
            "group_ids": ["g2", "g1"],
            "role_id": 0,
            "type": 1,
            "last_client_version": "6.0.2.1234(android)",
        },
        {"id": "u3", "email": "cy@example.com", "role_id": "Zx9custom", "type": 1},
    ]
}
PHONE_USERS = {
    "users": [
        {"id": "u1", "email": "ana@example.com", "site": {"id": "s1", "name": "Berlin"}},
        {"id": "u2", "email": "bo@example.com", "site": {"id": "s2", "name": "Delhi"}},
    ]
}
# GET /phone/sites/{siteId} with the AI policy objects of field_map.json.
SITE = {
    "id": "s1",
    "name": "Berlin office",
    "country": {"code": "DE", "name": "Germany"},
    "policy": {
        "call_summary": {
            "enable": True,
            "locked": True,
            "locked_by": "account",
            "auto_call_summary": False,
            "call_summary_start_prompt": {"enable": True},
        },
        "team_sms_thread_summary": {"enable": False, "locked": False},
        "auto_delete_data_after_retention_duration": {
            "enable": True,
            "items": [
                {"type": "callLog", "duration": 1, "time_unit": "year"},
                {"type": "voicemail", "duration": 2, "time_unit": "month"},
            ],
        },
        "voicemail_transcription": {"enable": True},
    },
}


def sample(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def write(root: Path, rel: str, data: object) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return path


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """The six samples in the import layout, plus users, Phone users and a site with policies."""
    root = tmp_path / "acme-corp"
    for rel, name in SAMPLES.items():
        write(root, rel, (FIXTURES / name).read_text())
    write(root, "users.json", USERS)
    write(root, "phone/users.json", PHONE_USERS)
    write(root, "phone/sites/s1.json", SITE)
    return root


def minimal(tmp_path: Path, files: dict[str, object], name: str = "mini") -> Path:
    root = tmp_path / name
    write(root, "account_settings.json", {})
    for rel, data in files.items():
        write(root, rel, data)
    return root


def cell(settings: pd.DataFrame, level: str, scope: str, key: str) -> tuple[str | None, bool]:
    """(value, locked) of one settings row; value None for a lock-only row."""
    rows = settings[(settings["level"] == level) & (settings["scope_id"] == scope) & (settings["key"] == key)]
    assert len(rows) == 1, f"{level}/{scope}/{key}: {len(rows)} rows"
    value = rows["value"].iloc[0]
    return (None if pd.isna(value) else value), bool(rows["locked"].iloc[0])


def keys_at(settings: pd.DataFrame, level: str, scope: str) -> set[str]:
    return set(settings.loc[(settings["level"] == level) & (settings["scope_id"] == scope), "key"])


# --- the samples ---------------------------------------------------------------------------


@pytest.fixture
def imported(export: Path, tmp_path: Path):
    out = tmp_path / "out" / "acme"
    code, stdout, stderr = run_cli(
        "import-settings",
        export,
        "--out",
        out,
        "--name",
        "Acme Corp",
        "--vertical",
        "technology",
        "--region",
        "eu",
        "--zmo",
    )
    assert (code, stderr) == (0, "")
    report = json.loads((out / REPORT_FILE).read_text())
    return load_tenant(out), report, stdout


def test_account_values_and_locks_from_the_samples(imported):
    tenant, _, _ = imported
    s = tenant.settings
    # account_settings: recording.auto_delete_cmr true, _days 30; lock_settings: auto_delete_cmr true
    assert cell(s, "account", "acme-corp", "recording.auto_delete_cmr") == ("true", True)
    assert cell(s, "account", "acme-corp", "recording.auto_delete_cmr_days") == ("30", False)
    # waiting room only under meeting_security (option=meeting_security), locked there too
    assert cell(s, "account", "acme-corp", "in_meeting.waiting_room") == ("true", True)
    # top-level meeting_authentication true; its lock is schedule_meeting.meeting_authentication
    assert cell(s, "account", "acme-corp", "meeting_authentication") == ("true", True)
    assert cell(
        s, "account", "acme-corp", "chat.set_retention_period_in_cloud.retention_period_of_channels"
    ) == ("2m", False)


def test_chat_ai_locks_from_the_samples(imported):
    s = imported[0].settings
    # chat.ai_summary / ai_compose are objects {enable: false, ...}, locked as whole objects
    assert cell(s, "account", "acme-corp", "chat.ai_summary.enable") == ("false", False)
    assert cell(s, "account", "acme-corp", "chat.ai_summary") == (None, True)
    assert cell(s, "account", "acme-corp", "chat.ai_compose") == (None, True)
    # leaf switches: value false with the lock on the same row
    assert cell(s, "account", "acme-corp", "chat.ai_quick_schedule") == ("false", True)
    assert cell(s, "account", "acme-corp", "chat.ai_sentence_completion") == ("false", True)
    # the lock file has ai_reply (not a registry key), not ai_quick_reply
    assert cell(s, "account", "acme-corp", "chat.ai_quick_reply") == ("false", False)


def test_group_and_user_values_from_the_samples(imported):
    s = imported[0].settings
    assert cell(s, "group", "g1", "recording.smart_recording.create_smart_chapters") == ("true", False)
    assert cell(s, "group", "g1", "in_meeting.waiting_room") == ("true", True)
    # the group locks auto_delete_cmr without setting it
    assert cell(s, "group", "g1", "recording.auto_delete_cmr") == (None, True)
    assert cell(s, "user", "u1", "recording.auto_delete_cmr_days") == ("90", False)
    assert cell(s, "user", "u1", "in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary") == (
        "1",
        False,
    )
    assert cell(s, "user", "u1", "in_meeting.ai_companion_questions.enable") == ("true", False)
    assert len(keys_at(s, "user", "u1")) == 14
    assert not s.loc[s["level"] == "user", "locked"].any()


def test_phone_site_policy(imported):
    s = imported[0].settings
    assert cell(s, "site", "s1", "phone.call_summary.enable") == ("true", False)
    assert cell(s, "site", "s1", "phone.call_summary") == (None, True)  # policy object locked
    assert cell(s, "site", "s1", "phone.call_summary.auto_call_summary") == ("false", False)
    assert cell(s, "site", "s1", "phone.call_summary.call_summary_start_prompt.enable") == ("true", False)
    assert cell(s, "site", "s1", "phone.team_sms_thread_summary.enable") == ("false", False)
    assert cell(s, "site", "s1", "phone.auto_delete_data_after_retention_duration.enable") == ("true", False)
    # items[type=voicemail]: 2 months = 60 days; the callLog item is not voicemail
    assert cell(s, "site", "s1", "phone.auto_delete_data_after_retention_duration.voicemail_days") == (
        "60",
        False,
    )
    # the shared sample is a site *settings* response without AI policy fields
    assert keys_at(s, "site", "s2") == set()


def test_tenant_directory_tables(imported):
    tenant, _, _ = imported
    info = tenant.info
    assert (info["tenant_id"], info["name"], info["hosting_region"], info["vertical"]) == (
        "acme-corp",
        "Acme Corp",
        "EU",
        "technology",
    )
    assert (info["zmo_enabled"], info["zdr_enabled"], info["source"]) == (True, False, "imported")
    users = tenant.users.set_index("user_id")
    assert users.loc[
        "u1", ["email", "group_id", "site_id", "client_version", "platform", "role"]
    ].tolist() == ["ana@example.com", "g1", "s1", "5.17.11.34827", "desktop", "admin"]
    assert users.loc["u2", ["group_id", "site_id", "client_version", "platform", "role"]].tolist() == [
        "g2",
        "s2",
        "6.0.2.1234",
        "mobile",
        "owner",
    ]
    assert users.loc["u3", "role"] == "member" and pd.isna(users.loc["u3", "client_version"])
    assert tenant.groups["group_id"].tolist() == ["g1", "g2"]
    assert not tenant.groups["phone_policy_active"].any()
    sites = tenant.sites.set_index("site_id")
    assert sites.loc["s1", "name"] == "Berlin office" and sites.loc["s1", "country"] == "DE"
    assert sites.loc["s2", "name"] == "s2" and pd.isna(sites.loc["s2", "country"])
    assert tenant.usage.empty


def test_report(imported, export: Path):
    _, report, stdout = imported
    assert report["files_read"] == sorted([*SAMPLES, "users.json", "phone/users.json", "phone/sites/s1.json"])
    assert report["settings_rows"] == {"account": 16, "group": 10, "site": 7, "user": 14}
    # account 5 values + 4 chat.ai_* locks; group 3 smart recording; user 9; site s1 4 values + 1 lock
    assert report["ai_fields_found"] == 26
    assert report["files"]["account_settings.json"]["ai_fields"] == 5
    assert report["files"]["account_lock_settings.json"]["aliased"] == {
        "meeting_security.waiting_room": "in_meeting.waiting_room",
        "schedule_meeting.meeting_authentication": "meeting_authentication",
    }
    site_sample = sample(SAMPLES["phone/sites/s2.json"])
    assert report["files"]["phone/sites/s2.json"]["ignored"] == list(site_sample)
    assert "policy.voicemail_transcription" in report["files"]["phone/sites/s1.json"]["ignored"]
    assert "chat.ai_recommend" in report["files"]["account_settings.json"]["ignored"]
    assert report["ignored_field_count"] == sum(f["ignored_count"] for f in report["files"].values())
    assert report["warnings"] == [] and PRE_AI_NOTE not in report["notes"]
    assert "AI Companion fields found: 26" in stdout
    assert f"unknown/ignored fields: {report['ignored_field_count']}" in stdout


def test_read_export_matches_what_was_saved(export: Path, tmp_path: Path):
    tenant, report = read_export(export, "acme-corp", region="US")
    import_settings(export, tmp_path / "t", tenant_id="acme-corp", region="US")
    for name in ("tenants", "groups", "sites", "users", "settings"):
        pd.testing.assert_frame_equal(getattr(load_tenant(tmp_path / "t"), name), getattr(tenant, name))
    assert json.loads((tmp_path / "t" / REPORT_FILE).read_text()) == report


# --- edge cases -----------------------------------------------------------------------------


def test_empty_objects_everywhere(tmp_path: Path):
    rels = [*SAMPLES, "users.json", "phone/users.json"]
    root = minimal(tmp_path, dict.fromkeys(rels, {}))
    out = tmp_path / "out"
    code, stdout, _ = run_cli("import-settings", root, "--region", "US", "--out", out)
    assert code == 0
    tenant = load_tenant(out)
    assert tenant.settings.empty
    assert (tenant.groups["group_id"].tolist(), tenant.sites["site_id"].tolist()) == (["g1"], ["s2"])
    assert tenant.users["user_id"].tolist() == ["u1"]
    report = json.loads((out / REPORT_FILE).read_text())
    assert (report["ai_fields_found"], report["ignored_field_count"]) == (0, 0)
    assert PRE_AI_NOTE in report["notes"] and PRE_AI_NOTE in stdout


def test_pre_ai_account(tmp_path: Path):
    account = {
        "recording": {"auto_delete_cmr": False, "cloud_recording": True},
        "in_meeting": {"waiting_room": True, "whiteboard": True},
        "feature": {"meeting_capacity": 100},
    }
    root = minimal(tmp_path, {"account_settings.json": account})
    tenant, report = read_export(root, region="US")
    assert report["ai_fields_found"] == 0 and PRE_AI_NOTE in report["notes"]
    assert cell(tenant.settings, "account", "mini", "recording.auto_delete_cmr") == ("false", False)
    assert report["files"]["account_settings.json"]["ignored"] == [
        "recording.cloud_recording",
        "in_meeting.whiteboard",
        "feature",
    ]


def test_unknown_enum_value_is_a_warning(tmp_path: Path):
    user = {
        "in_meeting": {"meeting_summary_with_ai_companion": {"enable": True, "who_will_receive_summary": 7}}
    }
    root = minimal(tmp_path, {"users/u1/settings.json": user})
    code, stdout, _ = run_cli("import-settings", root, "--region", "US", "--out", tmp_path / "out")
    assert code == 0
    report = json.loads((tmp_path / "out" / REPORT_FILE).read_text())
    assert report["warnings"] == [
        {
            "file": "users/u1/settings.json",
            "path": "in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary",
            "message": "unknown value 7 (known: 1, 2, 3, 4), skipped",
        }
    ]
    assert "who_will_receive_summary: unknown value 7" in stdout
    s = load_tenant(tmp_path / "out").settings
    assert keys_at(s, "user", "u1") == {"in_meeting.meeting_summary_with_ai_companion.enable"}


def test_unknown_phone_time_unit_is_a_warning(tmp_path: Path):
    site = {
        "policy": {
            "auto_delete_data_after_retention_duration": {
                "items": [{"type": "voicemail", "duration": 3, "time_unit": "fortnight"}]
            }
        }
    }
    tenant, report = read_export(minimal(tmp_path, {"phone/sites/s9.json": site}), region="US")
    assert [w["path"] for w in report["warnings"]] == [
        "(whole file)",  # users.json missing: no users (first, so the summary always shows it)
        "policy.auto_delete_data_after_retention_duration.items[0].time_unit",
    ]
    assert tenant.settings.empty


def test_unknown_fields_are_counted(tmp_path: Path):
    account = {
        "foo": 1,
        "in_meeting": {"bar": {"x": 1}, "waiting_room": True},
        "chat": {"ai_summary": {"enable": True, "new_thing": 2}},
    }
    _, report = read_export(minimal(tmp_path, {"account_settings.json": account}), region="US")
    entry = report["files"]["account_settings.json"]
    assert entry["ignored"] == ["foo", "in_meeting.bar", "chat.ai_summary.new_thing"]
    assert (entry["ignored_count"], entry["values"], entry["ai_fields"]) == (3, 2, 1)


def _files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_truncated_json_exits_2_and_writes_nothing(export: Path, tmp_path: Path):
    lines = (FIXTURES / SAMPLES["account_settings.json"]).read_text().splitlines(keepends=True)
    write(export, "account_settings.json", "".join(lines[:9]) + lines[9][:20])  # cut inside line 10
    out = tmp_path / "new" / "acme"
    before = _files_under(tmp_path)
    code, stdout, stderr = run_cli("import-settings", export, "--region", "US", "--out", out)
    assert code == 2 and stdout == ""
    assert "account_settings.json, line 10: not valid JSON" in stderr and "Traceback" not in stderr
    assert not out.exists() and not out.parent.exists()
    assert _files_under(tmp_path) == before


def test_truncated_nested_file_names_it(export: Path, tmp_path: Path):
    text = (FIXTURES / SAMPLES["groups/g1/lock_settings.json"]).read_text()
    write(export, "groups/g1/lock_settings.json", text[: len(text) // 2])
    code, _, stderr = run_cli("import-settings", export, "--region", "US", "--out", tmp_path / "out")
    assert code == 2 and "lock_settings.json, line " in stderr and "groups" in stderr
    assert not (tmp_path / "out").exists()


def test_wrong_type_names_the_json_path(export: Path, tmp_path: Path):
    user = sample(SAMPLES["users/u1/settings.json"])
    user["in_meeting"]["meeting_summary_with_ai_companion"]["enable"] = "yes"
    write(export, "users/u1/settings.json", user)
    code, _, stderr = run_cli("import-settings", export, "--region", "US", "--out", tmp_path / "out")
    assert code == 2
    assert stderr.strip().endswith(
        "settings.json, field in_meeting.meeting_summary_with_ai_companion.enable: "
        "expected true or false, got 'yes'"
    )
    assert not (tmp_path / "out").exists()
    with pytest.raises(DataError) as exc:
        read_export(export, region="US")
    assert exc.value.path == export / "users" / "u1" / "settings.json"
    assert exc.value.problems[0].field == "in_meeting.meeting_summary_with_ai_companion.enable"


@pytest.mark.parametrize(
    ("rel", "data", "field", "message"),
    [
        ("account_lock_settings.json", [], "(top level)", "expected a JSON object, got an array"),
        (
            "account_settings.json",
            {"chat": {"ai_summary": True}},
            "chat.ai_summary",
            "expected an object, got True",
        ),
        (
            "account_lock_settings.json",
            {"recording": {"auto_delete_cmr": "yes"}},
            "recording.auto_delete_cmr",
            "expected true or false (a lock), got 'yes'",
        ),
        (
            "phone/sites/s1.json",
            {"policy": {"call_summary": {"locked": 1}}},
            "policy.call_summary.locked",
            "expected true or false, got 1",
        ),
        (
            "phone/sites/s1.json",
            {
                "policy": {
                    "auto_delete_data_after_retention_duration": {
                        "items": [{"type": "voicemail", "duration": "2", "time_unit": "day"}]
                    }
                }
            },
            "policy.auto_delete_data_after_retention_duration.items[0].duration",
            "expected a whole number, got '2'",
        ),
        ("users.json", {"users": [{"id": "u 1"}]}, "users[0].id", "expected an id"),
        (
            "phone/users.json",
            {"users": [{"id": "u1", "site": "s1"}]},
            "users[0].site",
            "expected an object, got 's1'",
        ),
    ],
)
def test_wrong_types(tmp_path: Path, rel: str, data: object, field: str, message: str):
    root = minimal(tmp_path, {rel: data})
    with pytest.raises(DataError) as exc:
        read_export(root, region="US")
    assert exc.value.path == root / rel
    assert exc.value.problems[0].field == field and exc.value.problems[0].message.startswith(message)


def test_lock_on_an_object_locks_its_fields(tmp_path: Path):
    account = {
        "in_meeting": {"meeting_summary_with_ai_companion": {"enable": True, "who_will_receive_summary": 4}}
    }
    locks = {"in_meeting": {"meeting_summary_with_ai_companion": True, "waiting_room": False}}
    tenant, report = read_export(
        minimal(tmp_path, {"account_settings.json": account, "account_lock_settings.json": locks}),
        region="US",
    )
    s = tenant.settings
    lock_key = "in_meeting.meeting_summary_with_ai_companion"
    assert cell(s, "account", "mini", lock_key) == (None, True)
    assert cell(s, "account", "mini", f"{lock_key}.enable") == ("true", False)
    assert cell(s, "account", "mini", f"{lock_key}.who_will_receive_summary") == ("4", False)
    covered = sorted(k for k in SPECS if k.startswith(lock_key + "."))
    assert covered == [
        f"{lock_key}.auto_enable",
        f"{lock_key}.enable",
        f"{lock_key}.who_will_receive_summary",
    ]
    assert "in_meeting.waiting_room" not in set(s["key"])  # a false lock writes nothing
    assert report["locks"] == 1


def test_group_phone_policy_section(tmp_path: Path):
    root = minimal(
        tmp_path,
        {
            "groups/g1/settings.json": {"phone": {"call_summary": {"enable": True}}},
            "groups/g2/settings.json": {},
        },
    )
    tenant, _ = read_export(root, region="US")
    assert tenant.groups.set_index("group_id")["phone_policy_active"].to_dict() == {"g1": True, "g2": False}


# --- command line and output folder ---------------------------------------------------------


def test_reimport_replaces_a_tenant_folder_but_not_other_folders(export: Path, tmp_path: Path):
    out = tmp_path / "out"
    assert run_cli("import-settings", export, "--region", "US", "--out", out)[0] == 0
    assert run_cli("import-settings", export, "--region", "US", "--out", out, "--tenant-id", "acme2")[0] == 0
    assert load_tenant(out).tenant_id == "acme2"
    other = tmp_path / "docs"
    write(other, "keep.txt", "mine")
    code, _, stderr = run_cli("import-settings", export, "--region", "US", "--out", other)
    assert code == 2 and "refusing to replace" in stderr
    assert (other / "keep.txt").read_text() == "mine"


def test_tenant_id_from_folder_name(tmp_path: Path):
    root = minimal(tmp_path, {}, name="Acme Corp (EU)")
    assert sanitise_id(root.name) == "Acme_Corp__EU_"
    assert read_export(root, region="US")[0].tenant_id == "Acme_Corp__EU_"
    code, _, stderr = run_cli(
        "import-settings", root, "--region", "US", "--out", tmp_path / "o", "--tenant-id", "bad id"
    )
    assert code == 2 and "tenant id 'bad id'" in stderr


def test_missing_account_settings(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    code, _, stderr = run_cli(
        "import-settings", tmp_path / "empty", "--region", "US", "--out", tmp_path / "o"
    )
    assert code == 2 and "missing account_settings.json" in stderr
    assert not (tmp_path / "o").exists()


def test_files_not_read_are_listed(export: Path):
    write(export, "notes/readme.txt", "hello")
    shutil.copy(export / "users.json", export / "users_page2.json")
    _, report = read_export(export, region="US")
    assert report["files_not_read"] == ["notes/readme.txt", "users_page2.json"]
