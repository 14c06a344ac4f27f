"""A fake Zoom REST API on 127.0.0.1: for the tests, the pull benchmark and trying `zoomai pull`
without a Zoom account.

    python -m zoomai.fakezoom --port 8765 [--users 25] [--latency-ms 50] [--faults]

Responses are Zoom-shaped, built from Zoom's samples in data/fakezoom/ (made-up addresses):
Server-to-Server OAuth at /oauth/token, settings and lock settings (with the `option=` variants
split out of the samples), paged users, groups, Phone sites and users, meeting history, meeting
summaries (dated in the last weeks, filtered by from/to) with their participants, and Phone call
history with AI call summary ids. `Faults` injects what real APIs do: a 429 with Retry-After, a 500 then
success, a token revoked early (401), a truncated body, an endpoint that always fails.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from zoomai.core.paths import data_file

ACCOUNT_ID = "fake-account"
CLIENT_ID = "fake-client"
CLIENT_SECRET = "fake-secret-0123456789abcdef"  # made up; tests check it is never printed or saved
API_PREFIX = "/v2"
GROUPS = {"grp-sales": "Sales", "grp-support": "Support"}
GUEST_DOMAIN = "partner.example.org"  # external participants' addresses
SITE_ID = "site-berlin"
Json = dict[str, Any]


@dataclass(frozen=True)
class Faults:
    """Faults keyed by request path (e.g. /v2/users): `*_once` hit the first request only."""

    rate_limited_once: frozenset[str] = frozenset()
    retry_after: int = 1  # seconds, sent in Retry-After
    failing_once: frozenset[str] = frozenset()  # 500
    truncated_once: frozenset[str] = frozenset()  # body cut short, connection closed
    broken: frozenset[str] = frozenset()  # 503 every time
    revoke_after: int | None = None  # the first token is refused (401) after this many API requests
    token_ttl: int = 3600  # expires_in of the tokens, enforced

    @classmethod
    def every_kind(cls) -> Faults:
        """One of each fault: what the tests and `--faults` inject."""
        return cls(
            rate_limited_once=frozenset({f"{API_PREFIX}/users"}),
            failing_once=frozenset({f"{API_PREFIX}/groups/grp-sales/settings"}),
            truncated_once=frozenset({f"{API_PREFIX}/users/u00003/settings"}),
            broken=frozenset({f"{API_PREFIX}/report/history_meetings"}),
            revoke_after=5,
        )


def _sample(name: str) -> Json:
    return json.loads(data_file(f"fakezoom/{name}").read_text(encoding="utf-8"))


def _user(i: int) -> Json:
    """User number i (1-based): a made-up person; groups and clients vary with i."""
    groups = [[], ["grp-sales"], ["grp-support"]][i % 3]
    client = "6.2.0.5500(iphone)" if i % 4 == 0 else "6.2.0.5500(mac)"
    return {
        "id": f"u{i:05d}",
        "first_name": "User",
        "last_name": f"{i:05d}",
        "display_name": f"User {i:05d}",
        "email": f"user{i:05d}@example.com",
        "type": 2,
        "role_id": "0" if i == 1 else "2",
        "pmi": 1000000000 + i,
        "timezone": "Europe/Berlin",
        "status": "active",
        "group_ids": groups,
        "last_client_version": client,
        "created_at": "2025-01-01T00:00:00Z",
    }


@dataclass
class FakeTenant:
    """The account the fake serves: `users` users, pages of at most `page_size` items."""

    users: int = 25
    page_size: int = 10
    samples: dict[str, Json] = field(default_factory=dict)
    today: date = field(default_factory=lambda: datetime.now(UTC).date())

    def __post_init__(self) -> None:
        names = ("account_settings", "account_lock_settings", "group_settings", "group_lock_settings")
        self.samples = {n: _sample(f"{n}.json") for n in (*names, "user_settings", "phone_site", "options")}

    # --- option= variants -------------------------------------------------------------------

    def _settings(self, sample: str, option: str | None) -> Json | None:
        """The default response without the option-only fields, or one option's fields."""
        data, options = self.samples[sample], self.samples["options"]
        if option is None:
            only = {k for keys in options.values() for k in keys} - set(options.get("security", []))
            return {k: v for k, v in data.items() if k not in only}
        if option not in options:
            return None
        return {k: data[k] for k in options[option] if k in data}

    def user_settings(self, i: int) -> Json:
        """The sample; every fifth user sends meeting summaries to all invitees."""
        data = self._settings("user_settings", None) or {}
        if i % 5 == 0:
            data = copy.deepcopy(data)
            data["in_meeting"]["meeting_summary_with_ai_companion"]["who_will_receive_summary"] = 4
        return data

    # --- lists ------------------------------------------------------------------------------

    def _page(self, key: str, items: list[Json], query: dict[str, str], extra: Json | None = None) -> Json:
        size = min(int(query.get("page_size", 30)), self.page_size)
        start = (
            int(base64.urlsafe_b64decode(query["next_page_token"]).decode())
            if query.get("next_page_token")
            else 0
        )
        end = start + size
        token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else ""
        page = {"page_size": size, "total_records": len(items), "next_page_token": token}
        return page | (extra or {}) | {key: items[start:end]}

    def _user_list(self) -> list[Json]:
        return [_user(i) for i in range(1, self.users + 1)]

    def _phone_users(self) -> list[Json]:
        return [
            {
                "id": u["id"],
                "email": u["email"],
                "name": u["display_name"],
                "site": {"id": SITE_ID, "name": "Berlin office"},
            }
            for i, u in enumerate(self._user_list(), 1)
            if i % 4 == 1
        ]

    def _history(self) -> list[Json]:
        return [
            {
                "meeting_uuid": f"mtg-{i:03d}==",
                "host_email": f"user{i:05d}@example.com",
                "start_time": f"2026-11-{i:02d}T09:00:00Z",
                "participants": 3 + i,
                "meeting_feature": {"meeting_summary": i % 2 == 0, "meeting_questions": i % 3 == 0},
            }
            for i in range(1, min(self.users, 12) + 1)
        ]

    def _day(self, days_ago: int) -> str:
        return (self.today - timedelta(days=days_ago)).isoformat()

    def _host(self, i: int) -> int:
        return (i - 1) % self.users + 1

    def _summaries(self) -> list[Json]:
        """Meetings 2, 4, ..., 12 have a summary, made i days ago, hosted by user (i-1) mod users + 1."""
        return [
            {
                "meeting_host_id": f"u{self._host(i):05d}",
                "meeting_host_email": f"user{self._host(i):05d}@example.com",
                "meeting_uuid": f"mtg/{i:03d}==",  # a '/' as real UUIDs may have: double-encoded
                "meeting_start_time": f"{self._day(i)}T09:00:00Z",
                "summary_created_time": f"{self._day(i)}T10:00:00Z",
            }
            for i in range(2, 13, 2)
        ]

    def _participants(self, uuid: str) -> list[Json] | None:
        """Meeting i: its host (twice when i is a multiple of 4: left and rejoined), user
        i mod users + 1 when that is someone else, i mod 3 guests, and one guest whose address is
        hidden when i is a multiple of 6."""
        if not (uuid.startswith("mtg/") and uuid.endswith("==") and uuid[4:-2].isdigit()):
            return None
        i = int(uuid[4:-2])
        host, other = self._host(i), i % self.users + 1
        people = [{"id": f"p{host}", "user_email": f"user{host:05d}@example.com"}] * (2 if i % 4 == 0 else 1)
        if other != host:
            people.append({"id": f"p{other}", "user_email": f"user{other:05d}@example.com"})
        people += [{"id": f"g{i}-{g}", "user_email": f"guest{i}-{g}@{GUEST_DOMAIN}"} for g in range(i % 3)]
        if i % 6 == 0:
            people.append({"id": f"h{i}", "name": "Dial-in caller", "user_email": ""})
        return people

    def _call_history(self, uid: str) -> list[Json]:
        """User u00001 had one external call with an AI call summary (two legs: transferred) and
        one internal call without; other Phone users none."""
        if uid != "u00001":
            return []
        summary = {"connect_type": "external", "direction": "inbound", "ai_call_summary_id": "acs-1"}
        return [
            {"id": "log-1", "call_id": "call-1", "start_time": f"{self._day(3)}T14:00:00Z", **summary},
            {"id": "log-2", "call_id": "call-1", "start_time": f"{self._day(3)}T14:05:00Z", **summary},
            {"id": "log-3", "call_id": "call-2", "start_time": f"{self._day(5)}T11:00:00Z",
             "connect_type": "internal", "direction": "outbound", "caller_name": "User 00001"},
        ]  # fmt: skip

    @staticmethod
    def _in_window(items: list[Json], query: dict[str, str], field: str) -> list[Json]:
        """Items whose `field` date falls in the query's from..to (both inclusive), if given."""
        start, end = query.get("from", "0000"), query.get("to", "9999")
        return [x for x in items if start <= x[field][:10] <= end]

    # --- routing ----------------------------------------------------------------------------

    def respond(self, path: str, query: dict[str, str]) -> Json | None:
        """The JSON answer to GET `path` (after /v2), or None for 404."""
        parts = path.strip("/").split("/")
        option = query.get("option")
        match parts:
            case ["accounts", ("me" | "fake-account"), "settings"]:
                return self._settings("account_settings", option)
            case ["accounts", ("me" | "fake-account"), "lock_settings"]:
                return self._settings("account_lock_settings", option)
            case ["users"]:
                return self._page("users", self._user_list(), query)
            case ["users", uid, "settings"] if uid.startswith("u") and uid[1:].isdigit():
                i = int(uid[1:])
                return self.user_settings(i) if 1 <= i <= self.users else None
            case ["groups"]:
                groups = [{"id": g, "name": n, "total_members": 0} for g, n in GROUPS.items()]
                return self._page("groups", groups, query)
            case ["groups", gid, kind] if gid in GROUPS and kind in ("settings", "lock_settings"):
                return self._settings(f"group_{kind}", option)
            case ["phone", "sites"]:
                site = {"id": SITE_ID, "name": "Berlin office", "country": {"code": "DE", "name": "Germany"}}
                return self._page("sites", [site], query)
            case ["phone", "sites", sid] if sid == SITE_ID:
                return {"id": SITE_ID, **self.samples["phone_site"]}
            case ["phone", "users"]:
                return self._page("users", self._phone_users(), query)
            case ["report", "history_meetings"]:
                return self._page(
                    "history_meetings",
                    self._history(),
                    query,
                    {"from": query.get("from"), "to": query.get("to")},
                )
            case ["meetings", "meeting_summaries"]:
                summaries = self._in_window(self._summaries(), query, "summary_created_time")
                return self._page("summaries", summaries, query)
            case ["past_meetings", uuid, "participants"]:
                people = self._participants(unquote(unquote(uuid)))
                return None if people is None else self._page("participants", people, query)
            case ["phone", "users", uid, "call_history"]:
                logs = self._in_window(self._call_history(uid), query, "start_time")
                return self._page("call_logs", logs, query)
        return None


class _State:
    """Tokens issued and faults already fired, shared by the handler threads."""

    def __init__(self, tenant: FakeTenant, faults: Faults, latency: float):
        self.tenant, self.faults, self.latency = tenant, faults, latency
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.first_token: str | None = None
        self.api_requests = 0
        self.fired: set[tuple[str, str]] = set()

    def once(self, kind: str, path: str, paths: frozenset[str]) -> bool:
        with self.lock:
            if path in paths and (kind, path) not in self.fired:
                self.fired.add((kind, path))
                return True
        return False

    def issue(self) -> str:
        with self.lock:
            token = f"fake-token-{len(self.tokens) + 1}"
            self.tokens[token] = time.monotonic() + self.faults.token_ttl
            self.first_token = self.first_token or token
            return token

    def valid(self, token: str) -> bool:
        with self.lock:
            self.api_requests += 1
            revoked = (
                self.faults.revoke_after is not None
                and token == self.first_token
                and self.api_requests > self.faults.revoke_after
            )
            return not revoked and self.tokens.get(token, 0.0) > time.monotonic()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall
    state: _State  # set on the subclass made by FakeZoom

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(
        self, status: int, body: Json, headers: dict[str, str] | None = None, cut: bool = False
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if cut else data)
        if cut:
            self.close_connection = True

    def _error(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, {"code": code, "message": message}, headers)

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if url.path != "/oauth/token":
            self._error(404, 404, "Not found.")
        elif query.get("grant_type") != "account_credentials" or query.get("account_id") != ACCOUNT_ID:
            self._error(400, 400, "Invalid grant type or account id.")
        elif self.headers.get("Authorization") != expected:
            self._error(401, 401, "Invalid client_id or client_secret")
        else:
            token = self.state.issue()
            ttl = self.state.faults.token_ttl
            self._send(
                200, {"access_token": token, "token_type": "bearer", "expires_in": ttl, "scope": "fake"}
            )

    def do_GET(self) -> None:  # noqa: N802
        state, faults = self.state, self.state.faults
        if state.latency:
            time.sleep(state.latency)
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not state.valid(auth.removeprefix("Bearer ")):
            self._error(401, 124, "Invalid access token.")
            return
        path = url.path
        if path in faults.broken:
            self._error(503, 503, "Service unavailable.")
        elif state.once("429", path, faults.rate_limited_once):
            self._error(429, 429, "Too many requests.", {"Retry-After": str(faults.retry_after)})
        elif state.once("500", path, faults.failing_once):
            self._error(500, 500, "Internal error.")
        elif not path.startswith(API_PREFIX + "/"):
            self._error(404, 404, "Not found.")
        elif (body := state.tenant.respond(path.removeprefix(API_PREFIX), query)) is None:
            self._error(404, 1001, "Not found.")
        else:
            self._send(200, body, cut=state.once("cut", path, faults.truncated_once))


class FakeZoom:
    """The fake API served from a thread: `with FakeZoom(...) as fake: fake.api_base`."""

    def __init__(
        self,
        tenant: FakeTenant | None = None,
        faults: Faults | None = None,
        latency: float = 0.0,
        port: int = 0,
    ):
        self.state = _State(tenant or FakeTenant(), faults or Faults(), latency)
        handler: Callable[..., _Handler] = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{API_PREFIX}"

    def __enter__(self) -> FakeZoom:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zoomai.fakezoom", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--users", type=int, default=25, help="number of users (default 25)")
    parser.add_argument(
        "--page-size", type=int, default=10, help="largest page the fake returns (default 10)"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before each API answer")
    parser.add_argument("--faults", action="store_true", help="inject one fault of each kind")
    args = parser.parse_args(argv)
    fake = FakeZoom(
        FakeTenant(args.users, args.page_size),
        Faults.every_kind() if args.faults else Faults(),
        args.latency_ms / 1000,
        args.port,
    )
    print(f"fake Zoom API at {fake.api_base} (Ctrl-C stops it); made-up credentials:")
    print(
        f"  export ZOOM_ACCOUNT_ID={ACCOUNT_ID} ZOOM_CLIENT_ID={CLIENT_ID} ZOOM_CLIENT_SECRET={CLIENT_SECRET}"
    )
    with fake, contextlib.suppress(KeyboardInterrupt):
        fake.thread.join()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
