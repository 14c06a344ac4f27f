"""Dated snapshots: which came before, and the changes since the previous one that a tenant
folder imported from a snapshot keeps and the settings audit shows first."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli
from zoomai.analysis.drift import CHANGES_FILE, read_since_previous
from zoomai.core.errors import DataError
from zoomai.fakezoom import ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, FakeTenant, FakeZoom
from zoomai.reporting.changes import changes_words, summary_sentence
from zoomai.tenants.pseudonymise import pseudonym
from zoomai.tenants.snapshots import previous_snapshot
from zoomai.tenants.tables import bundled_tenant, load_tenant

KEY = "a-made-up-key-of-32-characters!!"
SUMMARY_KEY = "in_meeting.meeting_summary_with_ai_companion.who_will_receive_summary"


def _snapshot(folder: Path, name: str) -> Path:
    (folder / name).mkdir(parents=True)
    (folder / name / "account_settings.json").write_text("{}")
    return folder / name


def test_previous_snapshot_is_the_latest_earlier_one(tmp_path: Path) -> None:
    # Names sort by time, then by the -N suffix as a number (-10 after -2).
    first = _snapshot(tmp_path, "2026-11-01T060000Z")
    second = _snapshot(tmp_path, "2026-11-08T060000Z")
    same_second = _snapshot(tmp_path, "2026-11-08T060000Z-2")
    tenth = _snapshot(tmp_path, "2026-11-08T060000Z-10")
    (tmp_path / "2026-11-05T060000Z").mkdir()  # no account settings: not a snapshot
    (tmp_path / "notes").mkdir()
    assert previous_snapshot(first) is None
    assert previous_snapshot(second) == first
    assert previous_snapshot(same_second) == second
    assert previous_snapshot(tenth) == same_second
    assert previous_snapshot(tmp_path / "notes") is None


def test_bundled_tenant_has_no_earlier_snapshot_one_line() -> None:
    folder = bundled_tenant("us_enterprise_defaults")
    assert folder is not None and read_since_previous(folder) is None
    assert summary_sentence(None) == "No earlier snapshot of this tenant: there is nothing to compare yet."


class Changed(FakeTenant):
    """The fake account a week later: user 3 sends meeting summaries to all invitees (4) instead
    of the sample's host only (1), and user 26 joined (26 users)."""

    def user_settings(self, i: int) -> dict:
        data = super().user_settings(i)
        if i == 3:
            data = json.loads(json.dumps(data))
            data["in_meeting"]["meeting_summary_with_ai_companion"]["who_will_receive_summary"] = 4
        return data


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOOM_ACCOUNT_ID", ACCOUNT_ID)
    monkeypatch.setenv("ZOOM_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ZOOM_CLIENT_SECRET", CLIENT_SECRET)


def test_second_pull_shows_the_changes_first_in_the_settings_audit(tmp_path: Path, credentials: None) -> None:
    key = tmp_path / "key"
    key.write_text(KEY)
    key.chmod(0o600)
    snaps, tenant = tmp_path / "snapshots", tmp_path / "tenant"
    pull = ("pull", "--out", snaps, "--import", tenant, "--region", "DE", "--pseudonymise", key)
    with FakeZoom() as fake:
        code, out, err = run_cli(*pull, "--api-base", fake.api_base)
    assert code == 0, err
    (first,) = snaps.iterdir()
    assert f"  first snapshot ({first.name}): no earlier snapshot to compare with" in out
    first_tenant = load_tenant(tenant)

    with FakeZoom(tenant=Changed(users=26)) as fake:
        code, out, err = run_cli(*pull, "--api-base", fake.api_base)
    assert code == 0, err
    (second,) = {p for p in snaps.iterdir()} - {first}

    since = read_since_previous(tenant)
    assert since is not None and (since.snapshot, since.previous) == (second.name, first.name)
    ann, new = (pseudonym(KEY.encode(), f"user{i:05d}@example.com") for i in (3, 26))
    rows = since.changes
    exposure = rows[rows["section"] == "exposure"]
    # 4 = all invitees, including external: the external recipients become a party for user 3
    # and their summaries go outside (sharing outside is not restricted in the fake account).
    columns = ["change", "item", "people", "affected"]
    assert set(exposure[columns].itertuples(index=False, name=None)) == {
        ("party newly receiving content", "External recipients", 1, ann),
        ("summaries newly shared outside", "meetings.meeting_summary", 1, ann),
    }
    changed = rows[rows["change"] == "changed"]
    assert changed[["level", "scope_id", "item", "old", "new"]].values.tolist() == [
        ["user", "u00003", SUMMARY_KEY, "1", "4"]
    ]
    # The new user's settings file is the sample: as many user-level rows as user 1's.
    own = first_tenant.settings[(first_tenant.settings["scope_id"] == "u00001")]
    added = rows[(rows["change"] == "added") & (rows["section"] == "setting")]
    assert set(added["scope_id"]) == {"u00026"} and len(added) == len(own)
    assert rows[rows["section"] == "user"][["change", "scope_id", "item"]].values.tolist() == [
        ["added", "u00026", new]
    ]
    assert len(rows) == len(exposure) + len(changed) + len(added) + 1
    assert f"  since the previous snapshot ({first.name} to {second.name}): {len(rows)} changes; " in out
    assert "exposure WIDENED" in out

    words = changes_words(rows, load_tenant(tenant))
    assert words.iloc[:3][["change", "where", "what", "before", "after"]].values.tolist() == [
        ["Party newly receiving content", "users in both snapshots", "External recipients", "", ""],
        ["Summaries newly shared outside", "users in both snapshots", "Meeting summary (Meetings)", "", ""],
        ["Setting changed", f"User {ann}", "Who receives meeting summaries", "Host only",
         "All invitees, including external"],
    ]  # fmt: skip

    code, _, err = run_cli(
        "report", "--notebooks", "settings_audit", "--tenants", tenant, "--workers", "1",
        "--out", tmp_path / "reports", "--run-id", "r1",
    )  # fmt: skip
    assert code == 0, err
    (page,) = (tmp_path / "reports" / "r1").rglob("settings_audit*.html")
    text = html.unescape(page.read_text())
    heading = text.index("Changes since the previous snapshot")
    assert heading < text.index("Settings in force")  # first, right after the subject
    sentence = (
        f"From snapshot {first.name} to {second.name}: {len(rows)} changes; exposure widened (2 changes"
    )
    assert sentence in text
    assert "Summaries newly shared outside" in text and "All invitees, including external" in text
    # Pseudonymised: no address of the fake account in the tenant folder or the report.
    written = b"".join(p.read_bytes() for p in [*tenant.rglob("*"), page] if p.is_file())
    assert ann.encode() in written
    assert not re.search(rb"user\d{5}@example\.com", written)


def test_import_of_a_folder_that_is_not_a_snapshot_keeps_no_changes(tmp_path: Path) -> None:
    src = tmp_path / "export"
    src.mkdir()
    (src / "account_settings.json").write_text("{}")
    code, out, err = run_cli("import-settings", src, "--out", tmp_path / "t", "--region", "US")
    assert code == 0, err
    assert not (tmp_path / "t" / CHANGES_FILE).exists() and "previous snapshot" not in out
    assert read_since_previous(tmp_path / "t") is None
    assert pd.read_parquet(tmp_path / "t" / "tenants.parquet")["tenant_id"].tolist() == ["export"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "field snapshot: expected text"),
        ('{"snapshot": "s", "previous": 3, "problem": "", "widens_exposure": false, "changes": []}',
         "field previous: expected text or null"),
        ('{"snapshot": "s", "previous": null, "problem": "", "widens_exposure": false, '
         '"changes": [{"a": 1}]}',
         "field changes[0]: expected an object with section, change, level"),
        ("{", "not valid JSON"),
    ],
)  # fmt: skip
def test_a_broken_changes_file_is_named(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / CHANGES_FILE).write_text(content)
    with pytest.raises(DataError, match=re.escape(message)) as info:
        read_since_previous(tmp_path)
    assert CHANGES_FILE in str(info.value)
