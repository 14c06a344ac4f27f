"""`zoomai pull` against the fake Zoom API (a real HTTP server on 127.0.0.1), faults included."""

from __future__ import annotations

import base64
import dataclasses
import json
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import run_cli
from zoomai.fakezoom import ACCOUNT_ID, API_PREFIX, CLIENT_ID, CLIENT_SECRET, FakeTenant, FakeZoom, Faults
from zoomai.tenants.pull import PARTIAL, usage_windows

HISTORY = "usage/history_meetings.json"
# 25 users in pages of 10: 3 pages; every third user has no group, a third each in Sales/Support.
USERS, PAGES = 25, 3


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOOM_ACCOUNT_ID", ACCOUNT_ID)
    monkeypatch.setenv("ZOOM_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ZOOM_CLIENT_SECRET", CLIENT_SECRET)


def _snapshot(folder: Path) -> Path:
    """The one timestamped snapshot in a snapshots folder."""
    (snap,) = [p for p in folder.iterdir() if p.name != PARTIAL]
    return snap


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_pull_with_every_fault_equals_clean_pull_then_import_and_report(tmp_path: Path) -> None:
    with FakeZoom() as fake:
        code, out, err = run_cli("pull", "--out", tmp_path / "clean", "--api-base", fake.api_base)
        port = fake.server.server_address[1]
    assert code == 0, err
    clean = _files(_snapshot(tmp_path / "clean"))

    # Every fault, and tokens that expire after 1 s: the 429's Retry-After alone makes the pull last longer.
    faults = dataclasses.replace(Faults.every_kind(), token_ttl=1)
    with FakeZoom(faults=faults, latency=0.01, port=port) as fake:  # same API base
        code, out, err = run_cli(
            "pull", "--out", tmp_path / "snaps", "--api-base", fake.api_base, "--retries", "3",
            "--import", tmp_path / "tenant", "--region", "DE", "--tenant-id", "acme",
        )  # fmt: skip
        fired = {kind for kind, _ in fake.state.fired}
        tokens = len(fake.state.tokens)
    assert code == 0, err
    assert fired == {"429", "500", "cut"}  # each once-only fault was served
    # the first token was revoked (401) and a new one fetched; that one expired during the pull
    # (the second round starts after the 1 s Retry-After) and was renewed before it ran out
    assert tokens >= 3
    assert "skipped (optional, kept failing): GET /report/history_meetings: HTTP 503" in out
    faulty = _files(_snapshot(tmp_path / "snaps"))

    # Identical bytes, except the endpoint that always failed and its manifest entry.
    assert set(clean) - set(faulty) == {HISTORY} and set(faulty) <= set(clean)
    for name in faulty.keys() - {"manifest.json"}:
        assert faulty[name] == clean[name], name
    manifest_clean, manifest = json.loads(clean["manifest.json"]), json.loads(faulty["manifest.json"])
    history = {"endpoint": "GET /report/history_meetings", "required": False, "status": "skipped"}
    history |= {"requests": 1, "items": 0, "errors": ["HTTP 503"]}
    expected = dict(manifest_clean, files=[f for f in manifest_clean["files"] if f != HISTORY])
    expected["endpoints"] = [
        history if e["endpoint"] == history["endpoint"] else e for e in manifest_clean["endpoints"]
    ]
    assert manifest == expected

    # What was pulled, worked out from the fake: 25 users in 3 pages, 2 groups, 1 site.
    by_name = {e["endpoint"]: e for e in manifest["endpoints"]}
    assert (by_name["GET /users"]["requests"], by_name["GET /users"]["items"]) == (PAGES, USERS)
    assert by_name["GET /users/{userId}/settings"]["requests"] == USERS
    assert by_name["GET /accounts/{accountId}/settings"]["requests"] == 5  # default + 4 options
    assert by_name["GET /groups/{groupId}/settings"]["requests"] == 2 * 4
    assert sum(n.startswith("users/") for n in faulty) == USERS
    assert {"groups/grp-sales/settings.json", "phone/sites/site-berlin.json", "phone/users.json"} <= set(
        faulty
    )
    account = json.loads(faulty["account_settings.json"])
    sample = json.loads(
        (Path(__file__).parent / "fixtures/zoom_api/accounts-accountId-settings_GET.json").read_text()
    )
    assert set(account) == set(sample)  # the option= variants merged back into one object
    assert account["meeting_security"]["waiting_room"] is True
    assert "Imported tenant acme" in out

    report = json.loads((tmp_path / "tenant" / "import_report.json").read_text())
    assert report["tables"] == {"groups": 2, "sites": 1, "users": USERS}
    assert sorted(report["files_not_read"]) == ["manifest.json"]
    # Observed usage (fake: summaries of meetings 2, 4, ..., 12, one call summary of u00001).
    assert report["usage"]["rows"] == {"observed": 7, "estimated": 0, "simulated": 0}

    code, rout, rerr = run_cli(
        "report", "--notebooks", "settings_audit", "--tenants", tmp_path / "tenant",
        "--configurations", "default", "--workers", "1", "--out", tmp_path / "reports", "--run-id", "r1",
    )  # fmt: skip
    assert code == 0, rerr
    pages = list((tmp_path / "reports" / "r1").rglob("*settings_audit*.html"))
    assert len(pages) == 1 and "acme" in pages[0].read_text()

    # No secret and no token in anything written or printed (nor the Basic credentials sent for
    # the token).
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    for secret in (CLIENT_SECRET, "fake-token-", basic):
        assert secret.encode() not in written
        assert secret not in out + err + rout + rerr


def test_required_endpoint_failing_leaves_no_snapshot_and_resume_finishes(tmp_path: Path) -> None:
    broken = Faults(broken=frozenset({f"{API_PREFIX}/groups"}))
    with FakeZoom(faults=broken) as fake:
        code, out, err = run_cli("pull", "--out", tmp_path, "--api-base", fake.api_base, "--retries", "2")
    assert code == 2
    assert "GET /groups: HTTP 503" in err and "no snapshot written" in err
    assert [p.name for p in tmp_path.iterdir()] == [PARTIAL]

    with FakeZoom() as fake:
        code, out, err = run_cli("pull", "--out", tmp_path, "--api-base", fake.api_base, "--resume")
        served = fake.state.api_requests
    assert code == 0, err
    # Saved answers were reused: only /groups (1), 2 groups x (4 settings + 2 lock requests), the
    # 25 user settings, the one Phone site, the participants of the 6 summarised meetings and the
    # call history of the 7 Phone users (1, 5, ..., 25) were still to fetch (the second round
    # never ran); the account settings, users, Phone lists and usage lists were not asked again.
    assert served == 1 + 2 * 6 + USERS + 1 + 6 + 7
    assert len(list(_snapshot(tmp_path).joinpath("users").iterdir())) == USERS
    assert not (tmp_path / PARTIAL).exists()


def test_interrupted_pull_leaves_no_snapshot_and_resumes(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "from zoomai.cli import main; raise SystemExit(main())", "pull"]
    with FakeZoom(latency=0.2) as fake:
        pull = subprocess.Popen(
            [*command, "--out", str(tmp_path), "--api-base", fake.api_base],
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while fake.state.api_requests < 10 and time.monotonic() < deadline:  # mid-pull
            time.sleep(0.05)
        pull.send_signal(signal.SIGINT)
        _, err = pull.communicate(timeout=60)
        assert pull.returncode == 130, err
        assert "interrupted; no snapshot written; continue with --resume" in err
        assert [p.name for p in tmp_path.iterdir()] == [PARTIAL]
        before = fake.state.api_requests
        code, _, err = run_cli("pull", "--out", tmp_path, "--api-base", fake.api_base, "--resume")
        resumed = fake.state.api_requests - before
        assert run_cli("pull", "--out", tmp_path / "clean", "--api-base", fake.api_base)[0] == 0
    assert code == 0, err
    assert resumed < 66  # files and pages kept from the interrupted pull were not asked again
    snapshot = [p for p in tmp_path.iterdir() if p.name not in (PARTIAL, "clean")]
    assert _files(snapshot[0]) == _files(_snapshot(tmp_path / "clean"))  # as if never interrupted


def test_token_is_renewed_before_it_expires(tmp_path: Path) -> None:
    # Tokens live 1 s; the 66 API requests of 0.1 s each, 4 at a time, take at least 1.6 s (a
    # request sent just before expiry may still meet a 401 and be repeated with a new token).
    with FakeZoom(faults=Faults(token_ttl=1), latency=0.1) as fake:
        code, _, err = run_cli("pull", "--out", tmp_path, "--api-base", fake.api_base)
        tokens, served = len(fake.state.tokens), fake.state.api_requests
    assert code == 0, err
    assert served >= 66 and tokens >= 2


def test_credentials_file_open_to_others_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = tmp_path / "zoom.env"
    creds.write_text(f"ZOOM_ACCOUNT_ID={ACCOUNT_ID}\nZOOM_CLIENT_ID={CLIENT_ID}\nZOOM_CLIENT_SECRET=wrong\n")
    creds.chmod(0o640)
    code, out, err = run_cli("pull", "--out", tmp_path / "s", "--credentials", creds)
    assert code == 2 and "open to group or others" in err

    creds.chmod(0o600)
    with FakeZoom() as fake:
        code, out, err = run_cli(
            "pull", "--out", tmp_path / "s", "--credentials", creds, "--api-base", fake.api_base
        )
    assert code == 2
    assert "POST /oauth/token: HTTP 401 (Zoom code 401: Invalid client_id or client_secret)" in err
    assert "wrong" not in err + out


def test_missing_credentials_and_clear_text_api_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, _, err = run_cli("pull", "--out", tmp_path, "--api-base", "http://zoom.example.com/v2")
    assert code == 2 and "expected an https URL" in err
    monkeypatch.delenv("ZOOM_CLIENT_SECRET")
    code, _, err = run_cli("pull", "--out", tmp_path)
    assert code == 2 and "environment: missing ZOOM_CLIENT_SECRET" in err
    assert not any(tmp_path.iterdir())


def test_import_needs_a_region(tmp_path: Path) -> None:
    code, _, err = run_cli("pull", "--out", tmp_path, "--import", tmp_path / "t")
    assert code == 2 and "--import needs --region" in err


def test_fake_pages_users_and_splits_options() -> None:
    tenant = FakeTenant(users=25, page_size=10)
    first = tenant.respond("/users", {"page_size": "300"})
    assert [u["id"] for u in first["users"]][:2] == ["u00001", "u00002"] and len(first["users"]) == 10
    third = tenant.respond(
        "/users",
        {
            "next_page_token": tenant.respond("/users", {"next_page_token": first["next_page_token"]})[
                "next_page_token"
            ]
        },
    )
    assert len(third["users"]) == 5 and third["next_page_token"] == ""
    assert "meeting_security" not in tenant.respond("/accounts/me/settings", {})
    assert set(tenant.respond("/accounts/me/settings", {"option": "meeting_security"})) == {
        "meeting_security"
    }


def test_usage_windows_cover_the_period_in_steps_of_30_days() -> None:
    assert usage_windows(date(2026, 1, 1), date(2026, 1, 1)) == [{"from": "2026-01-01", "to": "2026-01-01"}]
    assert usage_windows(date(2026, 1, 1), date(2026, 3, 12)) == [
        {"from": "2026-01-01", "to": "2026-01-31"},
        {"from": "2026-02-01", "to": "2026-03-03"},
        {"from": "2026-03-04", "to": "2026-03-12"},
    ]


def test_usage_since_asks_each_window(tmp_path: Path) -> None:
    since = datetime.now(UTC).date() - timedelta(days=70)  # 3 windows of at most 30 days
    with FakeZoom() as fake:
        code, _, err = run_cli("pull", "--out", tmp_path, "--api-base", fake.api_base, "--usage-since", since)
    assert code == 0, err
    manifest = json.loads((_snapshot(tmp_path) / "manifest.json").read_text())
    by_name = {e["endpoint"]: e for e in manifest["endpoints"]}
    assert by_name["GET /meetings/meeting_summaries"]["requests"] == 3
    assert by_name["GET /report/history_meetings"]["requests"] == 3 * 2  # 12 meetings: 2 pages of 10
    assert manifest["usage_window"]["from"] == since.isoformat()
    code, _, err = run_cli("pull", "--out", tmp_path / "x", "--usage-since", "2999-01-01")
    assert code == 2 and "after today" in err and not (tmp_path / "x").exists()
