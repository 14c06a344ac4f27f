"""Bad inputs of the tenant commands (`settings`, `simulate`, `import-settings`): Parquet, JSON, CLI
flags and file-system states. Each case: exit status, a message naming the file/line/field and
what was expected, no traceback, nothing on disk changed (see conftest.check_refused)."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import bad_input_case, check_refused

from zoomai.core import yamlio
from zoomai.tenants.tables import tenants_dir

BOOL_KEY = "in_meeting.meeting_summary_with_ai_companion.enable"
ENUM_KEY = "in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary"


def tenant(tmp: Path, name: str = "t") -> Path:
    """A copy of the bundled tenant eu_company_zmo (22 settings rows, row 1 = BOOL_KEY)."""
    return Path(shutil.copytree(tenants_dir() / "eu_company_zmo", tmp / name))


def rewrite(folder: Path, table: str, change) -> None:
    frame = pd.read_parquet(folder / f"{table}.parquet")
    frame = change(frame)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"{table}.parquet")


def set_cell(folder: Path, table: str, row: int, column: str, value) -> None:
    def change(frame):
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
        return frame

    rewrite(folder, table, change)


# ------------------------------------------------------------------------------- settings


def settings_unknown_id(tmp):
    return ["settings", "nope"], 2, ["nope: not a tenant folder nor a bundled tenant id; bundled tenants:"]


def settings_dotdot_is_not_a_bundled_id(tmp):
    (tmp / "data").mkdir()
    return ["settings", tmp / "data" / ".."], 2, ["tenants.parquet: missing table tenants.parquet"]


def settings_missing_table(tmp):
    t = tenant(tmp)
    (t / "settings.parquet").unlink()
    return ["settings", t], 2, [f"{t}/settings.parquet: missing table settings.parquet in the tenant folder"]


def settings_table_is_a_folder(tmp):
    t = tenant(tmp)
    (t / "users.parquet").unlink()
    (t / "users.parquet").mkdir()
    return ["settings", t], 2, [f"{t}/users.parquet: missing table users.parquet"]


def settings_corrupt_parquet(tmp):
    t = tenant(tmp)
    (t / "usage.parquet").write_bytes(b"PAR1 this is not parquet")
    return ["settings", t], 2, [f"{t}/usage.parquet: not a readable Parquet table"]


def settings_empty_parquet_file(tmp):
    t = tenant(tmp)
    (t / "groups.parquet").write_bytes(b"")
    return ["settings", t], 2, [f"{t}/groups.parquet: not a readable Parquet table"]


def settings_bool_value_maybe(tmp):
    t = tenant(tmp)
    set_cell(t, "settings", 0, "value", "maybe")
    # row 1 of settings.parquet is the account's BOOL_KEY (see `tenant`)
    return (
        ["settings", t],
        2,
        [f"{t}, field settings.value: row 1: {BOOL_KEY}: expected true or false, got 'maybe'"],
    )


def settings_enum_value_out_of_range(tmp):
    t = tenant(tmp)
    set_cell(t, "settings", 1, "value", "9")
    return ["settings", t], 2, [f"row 2: {ENUM_KEY}: expected one of ['1', '2', '3', '4'], got '9'"]


def settings_unknown_key_warns(tmp):
    t = tenant(tmp)
    set_cell(t, "settings", 0, "key", "in_meeting.brand_new_ai_thing.enable")
    return (
        ["settings", t, "--key", "chat."],
        0,
        [
            f"zoomai: warning: {t}/settings.parquet: 1 setting keys not in the registry (a newer API?), "
            "ignored: in_meeting.brand_new_ai_thing.enable"
        ],
    )


def settings_unknown_region(tmp):
    t = tenant(tmp)
    set_cell(t, "tenants", 0, "hosting_region", "ZZ")
    return ["settings", t], 2, [f"{t}, field tenants.hosting_region: expected one of US, AU,", "got 'ZZ'"]


def settings_wrong_platform(tmp):
    t = tenant(tmp)
    rewrite(t, "users", lambda f: f.assign(platform=f["platform"].astype(str).replace("desktop", "fridge")))
    return (
        ["settings", t],
        2,
        [f"{t}/users.parquet, field platform: expected one of desktop, mobile, web, got 'fridge'"],
    )


def settings_missing_column(tmp):
    t = tenant(tmp)
    rewrite(t, "users", lambda f: f.drop(columns=["role"]))
    return ["settings", t], 2, [f"{t}, field users.role: required column is missing"]


def settings_usage_unknown_user(tmp):
    t = tenant(tmp)
    rewrite(t, "usage", lambda f: f.assign(user_id=f["user_id"].astype(str).where(f.index > 0, "ghost")))
    return ["settings", t], 2, [f"{t}, field usage.user_id: unknown ids ['ghost']"]


def settings_user_matches_nothing(tmp):
    t = tenant(tmp)
    return ["settings", t, "--user", "nobody"], 1, ["zoomai: no settings match --user nobody"]


def settings_key_matches_nothing(tmp):
    t = tenant(tmp)
    return ["settings", t, "--key", "zzz."], 1, ["zoomai: no settings match --key zzz."]


def settings_bad_format(tmp):
    t = tenant(tmp)
    return ["settings", t, "--format", "xml"], 2, ["argument --format: invalid choice: 'xml'"]


def settings_tenant_symlink_loop(tmp):
    (tmp / "loop").symlink_to(tmp / "loop")
    return ["settings", tmp / "loop"], 2, [f"{tmp / 'loop'}: not a tenant folder nor a bundled tenant id"]


# ------------------------------------------------------------------------------- simulate

SIM = ["simulate", "--seed", "1", "--users", "5", "--months", "1"]


def simulate_out_is_a_file(tmp):
    (tmp / "f").write_text("mine\n")
    return (
        [*SIM, "--out", tmp / "f"],
        2,
        [f"{tmp / 'f'}: is a file, expected a folder; refusing to replace it"],
    )


def simulate_out_is_a_users_folder(tmp):
    (tmp / "docs").mkdir()
    (tmp / "docs" / "thesis.txt").write_text("years of work\n")
    return (
        [*SIM, "--out", tmp / "docs"],
        2,
        [f"{tmp / 'docs'}: exists and is not a tenant folder made by zoomai; refusing to replace it"],
    )


def simulate_out_is_a_symlink(tmp):
    (tmp / "real").mkdir()
    (tmp / "link").symlink_to(tmp / "real")
    return [*SIM, "--out", tmp / "link"], 2, [f"{tmp / 'link'}: is a symbolic link, expected a folder"]


def simulate_out_under_a_file(tmp):
    (tmp / "f").write_text("x")
    return [*SIM, "--out", tmp / "f" / "t"], 2, [f"{tmp / 'f'}: is a file, not a folder"]


def simulate_bundled_into_a_file(tmp):
    (tmp / "f").write_text("x")
    return (
        ["simulate", "--seed", "1", "--bundled", "--out", tmp / "f"],
        2,
        [f"{tmp / 'f'}: is a file, not a folder"],
    )


def simulate_start_far_future(tmp):
    return (
        [*SIM, "--out", tmp / "t", "--start", "9999-12-01"],
        2,
        ["--start 9999-12-01 with --months 1: usage must lie between 1677-09-21 and 2262-04-11"],
    )


def simulate_start_not_a_date(tmp):
    return (
        [*SIM, "--out", tmp / "t", "--start", "2026-13-01"],
        2,
        ["--start must be a date YYYY-MM-DD, got '2026-13-01'"],
    )


def simulate_negative_seed(tmp):
    return ["simulate", "--seed", "-1", "--out", tmp / "t"], 2, ["--seed must be a whole number >= 0, got -1"]


def simulate_seed_not_a_number(tmp):
    return ["simulate", "--seed", "x", "--out", tmp / "t"], 2, ["argument --seed: invalid int value: 'x'"]


def simulate_zero_users(tmp):
    return (
        ["simulate", "--seed", "1", "--users", "0", "--out", tmp / "t"],
        2,
        ["--users must be a whole number >= 1, got 0"],
    )


def simulate_too_many_months(tmp):
    return (
        ["simulate", "--seed", "1", "--months", "999", "--out", tmp / "t"],
        2,
        ["--months must be a whole number from 1 to 120, got 999"],
    )


def simulate_unknown_profile(tmp):
    return (
        ["simulate", "--seed", "1", "--profile", "nope", "--out", tmp / "t"],
        2,
        ["unknown profile 'nope'; profiles:"],
    )


def simulate_bad_tenant_id(tmp):
    return (
        [*SIM, "--tenant-id", "a/b", "--out", tmp / "t"],
        2,
        ["--tenant-id must be letters, digits, '_' or '-', got 'a/b'"],
    )


def simulate_bundled_with_size(tmp):
    return (
        ["simulate", "--seed", "1", "--bundled", "--users", "3", "--out", tmp / "t"],
        2,
        ["--bundled simulates every profile at its own size; drop --users"],
    )


def simulate_portfolio_zero(tmp):
    return (
        ["simulate", "--seed", "1", "--portfolio", "0", "--out", tmp / "p"],
        2,
        ["argument --portfolio: expected a whole number >= 1, got '0'"],
    )


def simulate_portfolio_with_size(tmp):
    return (
        ["simulate", "--seed", "1", "--portfolio", "3", "--users", "3", "--out", tmp / "p"],
        2,
        ["--portfolio simulates small tenants of every profile in turn; drop --users"],
    )


def simulate_portfolio_and_bundled(tmp):
    return (
        ["simulate", "--seed", "1", "--portfolio", "3", "--bundled", "--out", tmp / "p"],
        2,
        ["--bundled and --portfolio: choose one"],
    )


def simulate_portfolio_into_a_tenant_folder(tmp):
    """A tenant folder is zoomai's, but not a portfolio: it is not replaced by one."""
    assert check_refused(tmp, [*SIM, "--out", tmp / "t"], 0, [], writes=("t",)) == ""
    return (
        ["simulate", "--seed", "1", "--portfolio", "2", "--out", tmp / "t"],
        2,
        [f"{tmp / 't'}: exists and is not a portfolio folder made by zoomai; refusing to replace it"],
    )


def simulate_portfolio_bad_start(tmp):
    return (
        ["simulate", "--seed", "1", "--portfolio", "2", "--start", "soon", "--out", tmp / "p"],
        2,
        ["--start must be a date YYYY-MM-DD, got 'soon'"],
    )


def simulate_disk_full(tmp, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp / "t"))

    monkeypatch.setattr(pq, "write_table", full)
    return [*SIM, "--out", tmp / "t"], 2, [f"zoomai: error: {tmp / 't'}: no space left on the device\n"]


def simulate_replacing_fails_keeps_the_old_tenant(tmp, monkeypatch):
    """An earlier simulated tenant stays whole when the new one cannot be moved into place."""
    assert check_refused(tmp, [*SIM, "--out", tmp / "t"], 0, [], writes=("t",)) == ""
    real = os.replace

    def refuse_second(src, dst):  # the new folder cannot take the old one's place
        if str(dst) == str(tmp / "t") and str(src).endswith(".tmp"):
            raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", refuse_second)
    return [*SIM, "--seed", "2", "--out", tmp / "t"], 2, [f"{tmp / 't'}: permission denied"]


# ------------------------------------------------------------------------ import-settings


def export(tmp: Path, **files) -> Path:
    """A folder of saved API responses: name -> JSON value (or bytes/str written as is)."""
    src = tmp / "export"
    files.setdefault(
        "account_settings.json", {"in_meeting": {"meeting_summary_with_ai_companion": {"enable": True}}}
    )
    for name, value in files.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(value, bytes):
            path.write_bytes(value)
        elif isinstance(value, str):
            path.write_text(value)
        else:
            path.write_text(json.dumps(value, indent=1))
    return src


def imp(tmp: Path, src: Path, *extra) -> list:
    return ["import-settings", src, "--out", tmp / "out", "--region", "US", *extra]


def import_dir_missing(tmp):
    return imp(tmp, tmp / "nowhere"), 2, [f"{tmp / 'nowhere'}: not a folder"]


def import_no_account_settings(tmp):
    src = export(tmp, **{"users.json": {"users": []}})
    (src / "account_settings.json").unlink()
    return imp(tmp, src), 2, [f"{src}: missing account_settings.json"]


def import_invalid_json(tmp):
    src = export(tmp, **{"account_settings.json": '{\n "in_meeting": {\n  "x": tru\n }\n}'})
    return (
        imp(tmp, src),
        2,
        [f"{src}/account_settings.json, line 3: not valid JSON: Expecting value (column 8)"],
    )


def import_duplicate_key(tmp):
    text = '{\n "in_meeting": {\n  "waiting_room": true,\n  "waiting_room": false\n }\n}'
    src = export(tmp, **{"account_settings.json": text})
    return (
        imp(tmp, src),
        2,
        [
            f"{src}/account_settings.json, line 4, field waiting_room: "
            "duplicate key 'waiting_room': first on line 3, again on line 4"
        ],
    )


def import_deep_json(tmp):
    src = export(tmp, **{"account_settings.json": "[" * 100_000 + "]" * 100_000})
    return imp(tmp, src), 2, [f"{src}/account_settings.json, line 1: nested more than 64 levels deep"]


def import_json_too_large(tmp, monkeypatch):
    monkeypatch.setattr(yamlio, "MAX_JSON_BYTES", 4096)
    src = export(tmp, **{"account_settings.json": {"pad": "x" * 5000}})
    return imp(tmp, src), 2, [f"{src}/account_settings.json: larger than 4 KiB; refusing to read it"]


def import_nan(tmp):
    src = export(tmp, **{"account_settings.json": '{"recording": {"auto_delete_cmr_days": NaN}}'})
    return imp(tmp, src), 2, [f"{src}/account_settings.json: not valid JSON: NaN is not a JSON number"]


def import_not_utf8(tmp):
    src = export(tmp, **{"account_settings.json": b'{"a": "\xff\xfe"}'})
    return imp(tmp, src), 2, [f"{src}/account_settings.json: not UTF-8 text (byte 7)"]


def import_top_level_array(tmp):
    src = export(tmp, **{"account_settings.json": [1, 2]})
    return (
        imp(tmp, src),
        2,
        [f"{src}/account_settings.json, field (top level): expected a JSON object, got an array"],
    )


def import_enum_as_text(tmp):
    src = export(
        tmp,
        **{
            "account_settings.json": {
                "in_meeting": {"meeting_summary_with_ai_companion": {"who_will_receive_summary": "4"}}
            }
        },
    )
    return (
        imp(tmp, src),
        2,
        [
            f"{src}/account_settings.json, field {ENUM_KEY}: "
            "expected a whole number, one of 1, 2, 3, 4; got '4'"
        ],
    )


def import_two_spellings_of_one_response(tmp):
    summary = {"in_meeting": {"meeting_summary_with_ai_companion": {"enable": True}}}
    src = export(tmp, **{"accounts-me-settings_GET.json": summary})  # and account_settings.json
    return (
        imp(tmp, src),
        2,
        [
            f"{src}: accounts-me-settings_GET.json and account_settings.json are both "
            "GET /accounts/{accountId}/settings; keep one of them"
        ],
    )


def import_sample_name_with_a_bad_id(tmp):
    src = export(tmp, **{"users-a b-settings_GET.json": {}})
    return imp(tmp, src), 2, [f"{src}: users-a b-settings_GET.json: the ids in its name are not valid ids"]


def import_enum_out_of_range_warns(tmp):
    src = export(
        tmp,
        **{
            "account_settings.json": {
                "in_meeting": {"meeting_summary_with_ai_companion": {"who_will_receive_summary": 7}}
            }
        },
    )
    return imp(tmp, src), 0, [], ("out",)


def import_bool_as_text(tmp):
    src = export(
        tmp,
        **{"account_settings.json": {"in_meeting": {"meeting_summary_with_ai_companion": {"enable": "yes"}}}},
    )
    return (
        imp(tmp, src),
        2,
        [f"{src}/account_settings.json, field {BOOL_KEY}: expected true or false, got 'yes'"],
    )


def import_duplicate_user(tmp):
    users = {"users": [{"id": "u1", "group_ids": ["g1"]}, {"id": "u1", "group_ids": ["g2"]}]}
    src = export(tmp, **{"users.json": users})
    return (
        imp(tmp, src),
        2,
        [
            f"{src}/users.json, field users[1].id: duplicate user id 'u1': also users[0]; "
            "expected one entry per user"
        ],
    )


def import_duplicate_group(tmp):
    groups = {"groups": [{"id": "g1", "name": "Sales"}, {"id": "g1", "name": "Legal"}]}
    src = export(tmp, **{"groups.json": groups})
    return (
        imp(tmp, src),
        2,
        [f"{src}/groups.json, field groups[1].id: duplicate group id 'g1': also groups[0]"],
    )


def import_users_not_an_array(tmp):
    src = export(tmp, **{"users.json": {"users": {"id": "u1"}}})
    return imp(tmp, src), 2, [f"{src}/users.json, field users: expected an array, got an object"]


def import_bad_group_id(tmp):
    src = export(tmp, **{"users.json": {"users": [{"id": "u1", "group_ids": ["a b"]}]}})
    return (
        imp(tmp, src),
        2,
        [f"{src}/users.json, field users[0].group_ids[0]: expected a group id, got 'a b'"],
    )


def import_out_is_a_users_folder(tmp):
    src = export(tmp)
    (tmp / "out").mkdir()
    (tmp / "out" / "keep.txt").write_text("mine")
    return (
        imp(tmp, src),
        2,
        [f"{tmp / 'out'}: exists and is not a tenant folder made by zoomai; refusing to replace it"],
    )


def import_out_is_a_file(tmp):
    src = export(tmp)
    (tmp / "out").write_text("mine")
    return imp(tmp, src), 2, [f"{tmp / 'out'}: is a file, expected a folder"]


def import_bad_region(tmp):
    src = export(tmp)
    return (
        imp(tmp, src, "--region", "ZZ"),
        2,
        ["argument --region: expected a hosting region, one of US,", "got 'ZZ'"],
    )


def import_bad_tenant_id(tmp):
    src = export(tmp)
    return (
        imp(tmp, src, "--tenant-id", "bad id!"),
        2,
        ["tenant id 'bad id!': expected letters, digits and _ . : @ - only"],
    )


def import_bad_site_file_name(tmp):
    src = export(tmp, **{"phone/sites/bad name.json": {"id": "x"}})
    return imp(tmp, src), 2, [f"{src}/phone/sites/bad name.json: file name 'bad name' is not a valid site id"]


def import_unknown_usage_model(tmp):
    src = export(tmp)
    return (
        imp(tmp, src, "--usage-model", "heavy"),
        2,
        ["heavy: not a usage model id nor a YAML file", "light_adoption"],
    )


def import_usage_model_bad_share(tmp):
    src = export(tmp)
    model = tmp / "model.yaml"
    model.write_text(
        'description: m\nstart: "2026-01-01"\nweeks: 4\nbasis: b\nfeatures:\n'
        "  meetings.meeting_questions: {uses_per_user_week: 1, internal_participants: 2,\n"
        "    external_share: 1.5, external_participants: 1, shared_share: 0}\n"
    )
    return (
        imp(tmp, src, "--usage-model", model),
        2,
        ["model.yaml", "external_share", "less than or equal to 1"],
    )


def import_bad_usage_seed(tmp):
    src = export(tmp)
    return imp(tmp, src, "--usage-seed", "-1"), 2, ["argument --usage-seed: expected a whole number >= 0"]


def import_bad_internal_domain(tmp):
    src = export(tmp)
    return (
        imp(tmp, src, "--internal-domain", "not a domain"),
        2,
        ["argument --internal-domain: expected an e-mail domain"],
    )


def import_summaries_not_an_array(tmp):
    src = export(tmp, **{"usage/meeting_summaries.json": {"summaries": {"a": 1}}})
    return imp(tmp, src), 2, ["meeting_summaries.json", "summaries: expected an array of objects"]


def import_call_history_bad_time(tmp):
    logs = [{"ai_call_summary_id": "s1", "start_time": "yesterday", "connect_type": "external"}]
    users = {"users": [{"id": "u1", "email": "ana@example.com"}]}
    history = {"users": [{"user_id": "u1", "call_logs": logs}]}
    src = export(tmp, **{"users.json": users, "usage/call_history.json": history})
    return (
        imp(tmp, src),
        2,
        ["call_history.json", "users[0].call_logs[0].start_time: expected a date and time"],
    )


CASES = [
    settings_unknown_id,
    settings_dotdot_is_not_a_bundled_id,
    settings_missing_table,
    settings_table_is_a_folder,
    settings_corrupt_parquet,
    settings_empty_parquet_file,
    settings_bool_value_maybe,
    settings_enum_value_out_of_range,
    settings_unknown_key_warns,
    settings_unknown_region,
    settings_wrong_platform,
    settings_missing_column,
    settings_usage_unknown_user,
    settings_user_matches_nothing,
    settings_key_matches_nothing,
    settings_bad_format,
    settings_tenant_symlink_loop,
    simulate_out_is_a_file,
    simulate_out_is_a_users_folder,
    simulate_out_is_a_symlink,
    simulate_out_under_a_file,
    simulate_bundled_into_a_file,
    simulate_start_far_future,
    simulate_start_not_a_date,
    simulate_negative_seed,
    simulate_seed_not_a_number,
    simulate_zero_users,
    simulate_too_many_months,
    simulate_unknown_profile,
    simulate_bad_tenant_id,
    simulate_bundled_with_size,
    simulate_portfolio_zero,
    simulate_portfolio_with_size,
    simulate_portfolio_and_bundled,
    simulate_portfolio_into_a_tenant_folder,
    simulate_portfolio_bad_start,
    simulate_disk_full,
    simulate_replacing_fails_keeps_the_old_tenant,
    import_dir_missing,
    import_no_account_settings,
    import_invalid_json,
    import_duplicate_key,
    import_deep_json,
    import_json_too_large,
    import_nan,
    import_not_utf8,
    import_top_level_array,
    import_enum_as_text,
    import_enum_out_of_range_warns,
    import_bool_as_text,
    import_two_spellings_of_one_response,
    import_sample_name_with_a_bad_id,
    import_duplicate_user,
    import_duplicate_group,
    import_users_not_an_array,
    import_bad_group_id,
    import_out_is_a_users_folder,
    import_out_is_a_file,
    import_bad_region,
    import_bad_tenant_id,
    import_bad_site_file_name,
    import_unknown_usage_model,
    import_usage_model_bad_share,
    import_bad_usage_seed,
    import_bad_internal_domain,
    import_summaries_not_an_array,
    import_call_history_bad_time,
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_bad_input(case, tmp_path, monkeypatch):
    args, code, expected, *writes = bad_input_case(case, tmp_path, monkeypatch)
    check_refused(tmp_path, args, code, expected, *writes)


# ------------------------------------------------------------- import warnings, no silent merge


def test_import_warns_about_groups_and_links_instead_of_merging(tmp_path):
    """A group id repeated in group_ids or missing from groups.json, and a symlinked user folder
    (a loop), are listed as warnings; no phantom user or group comes from them."""
    src = export(
        tmp_path,
        **{
            "groups.json": {"groups": [{"id": "g1", "name": "Sales"}]},
            "users.json": {
                "users": [{"id": "u1", "group_ids": ["g1", "g1"]}, {"id": "u2", "group_ids": ["g9"]}]
            },
            "users/u1/settings.json": {"in_meeting": {"waiting_room": True}},
        },
    )
    (src / "users" / "loop").symlink_to(src / "users")
    err = check_refused(tmp_path, imp(tmp_path, src), 0, [], writes=("out",))
    assert err == ""
    report = json.loads((tmp_path / "out" / "import_report.json").read_text())
    assert {(w["file"], w["path"], w["message"]) for w in report["warnings"]} == {
        ("users.json", "users[0].group_ids[1]", "group id 'g1' listed twice, counted once"),
        (
            "users.json",
            "users[1].group_ids[0]",
            "group 'g9' is not in groups.json; kept as a group named 'g9'",
        ),
        ("users/loop", "", "symbolic link, not followed"),
    }
    users = pd.read_parquet(tmp_path / "out" / "users.parquet")
    assert sorted(users["user_id"]) == ["u1", "u2"]  # no user "loop"
