"""`zoomai pull`: one dated snapshot of a tenant's settings from the Zoom REST API.

The snapshot is a folder in the layout `import-settings` reads (see zoomai.tenants.importer),
plus `usage/` (meeting history, meeting summaries with their participants, and Phone call history
entries that carry an AI call summary: the observed-usage evidence, see
zoomai.tenants.observed) and `manifest.json`
(endpoints, requests, pages, counts, API base, tool version; nothing secret, nothing timed, so
two pulls of an unchanged account give identical files). `option=` variants of a settings
endpoint are merged into its file: fields the default answer lacks are added. Files are compact
JSON (one line), written as answers arrive; the manifest is indented.

Files are written into `SNAPSHOTS_DIR/.partial/snapshot/` as answers arrive (list pages are also
kept in `.partial/responses/`); the finished folder is renamed to `SNAPSHOTS_DIR/<UTC timestamp>/`
in one step, so a snapshot is complete or absent. After an interruption (or a failed required
endpoint) `--resume` keeps the settings files already written and reuses the saved pages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

from tqdm import tqdm

from zoomai.core.errors import ZoomaiError
from zoomai.tenants.snapshots import new_snapshot_path
from zoomai.tenants.tables import _ID
from zoomai.tenants.zoomapi import PAGE_SIZE, ApiError, Credentials, ResponseCache, ZoomClient

PARTIAL = ".partial"
MARKER = "zoomai-pull"  # file inside .partial: the folder is ours to reuse or remove
MANIFEST = "manifest.json"
ACCOUNT = "/accounts/me"
SETTINGS_OPTIONS = ("meeting_authentication", "recording_authentication", "meeting_security")
ACCOUNT_OPTIONS = (*SETTINGS_OPTIONS, "security")
LOCK_OPTIONS = ("meeting_security",)
USAGE_DAYS = 30  # Zoom's report endpoints take at most one month
Json = dict[str, Any]


@dataclass(frozen=True)
class PullOptions:
    """How to reach the API and how hard to push it."""

    api_base: str
    token_url: str | None = None
    concurrency: int = 4
    timeout: float = 30.0
    retries: int = 6
    backoff: float = 0.5
    usage_since: date | None = None  # default: USAGE_DAYS before today

    def __post_init__(self) -> None:
        today = datetime.now(UTC).date()
        if self.usage_since is not None and self.usage_since > today:
            raise ZoomaiError(
                f"--usage-since {self.usage_since.isoformat()}: after today ({today.isoformat()})"
            )


@dataclass
class Endpoint:
    """What one endpoint (template) gave: for the manifest and the printed summary."""

    name: str
    required: bool
    requests: int = 0
    items: int = 0
    failures: list[str] = field(default_factory=list)

    def record(self) -> Json:
        status = "ok" if not self.failures else "skipped"
        out = {"endpoint": self.name, "required": self.required, "status": status, "requests": self.requests}
        return out | {"items": self.items} | ({"errors": sorted(self.failures)} if self.failures else {})


@dataclass
class PullResult:
    snapshot: Path
    manifest: Json
    requests: int
    retried: int

    @property
    def skipped(self) -> list[Json]:
        return [e for e in self.manifest["endpoints"] if e["status"] != "ok"]


def _ids(endpoint: str, items: list[Json], key: str) -> list[str]:
    """The `id` of each listed item, checked: ids become folder names."""
    ids = []
    for i, item in enumerate(items):
        value = item.get("id")
        if not isinstance(value, str) or not re.match(_ID, value):
            raise ApiError(
                endpoint, 200, f"{key}[{i}].id: expected an id (letters, digits, _ . : @ -), got {value!r}"
            )
        ids.append(value)
    return ids


def merge_options(endpoint: str, base: Json, variants: dict[str, Json], notes: list[str]) -> Json:
    """The default answer plus the fields only `option=` answers carry; a field both carry with
    different values keeps the default's, with a note."""
    merged = dict(base)
    for option, body in variants.items():
        for name, value in body.items():
            if name not in merged:
                merged[name] = value
            elif merged[name] != value:
                notes.append(
                    f"{endpoint}?option={option}: {name} differs from the default answer; kept the default"
                )
    return merged


def usage_windows(since: date, until: date) -> list[Json]:
    """from/to query windows covering since..until, each at most USAGE_DAYS days long."""
    windows, start = [], since
    while True:
        end = min(start + timedelta(days=USAGE_DAYS), until)
        windows.append({"from": start.isoformat(), "to": end.isoformat()})
        if end >= until:
            return windows
        start = end + timedelta(days=1)


ACCOUNT_SETTINGS = "GET /accounts/{accountId}/settings"
ACCOUNT_LOCKS = "GET /accounts/{accountId}/lock_settings"
USERS, GROUPS = "GET /users", "GET /groups"
SITES, SITE, PHONE_USERS = "GET /phone/sites", "GET /phone/sites/{siteId}", "GET /phone/users"
HISTORY, SUMMARIES = "GET /report/history_meetings", "GET /meetings/meeting_summaries"
PARTICIPANTS = "GET /past_meetings/{meetingUUID}/participants"
CALL_HISTORY = "GET /phone/users/{userId}/call_history"
# What is kept of a call history entry with an AI call summary (the rest, phone numbers and
# names, is not needed for usage and is not written).
CALL_FIELDS = ("id", "call_id", "connect_type", "direction", "start_time", "ai_call_summary_id")
USER_SETTINGS = "GET /users/{userId}/settings"
Task = tuple[str, bool, Callable[[], object]]


class Puller:
    """Fetches every endpoint, writing each snapshot file into `staging` as it comes (`files`:
    their relative paths), and counts requests and items per endpoint (thread-safe)."""

    def __init__(
        self,
        client: ZoomClient,
        staging: Path,
        concurrency: int,
        progress: tqdm,
        today: date,
        since: date | None = None,
    ):
        self.client, self.staging, self.concurrency, self.progress = client, staging, concurrency, progress
        self.files: set[str] = set()
        self.endpoints: dict[str, Endpoint] = {}
        self.notes: list[str] = []
        self.found: dict[str, list[Json]] = {"users": [], "groups": [], "sites": [], "summaries": []}
        self.since = since or today - timedelta(days=USAGE_DAYS)
        self.window = {"from": self.since.isoformat(), "to": today.isoformat()}
        self.windows = usage_windows(self.since, today)
        self._lock = threading.Lock()

    def count(self, name: str, requests: int = 0, items: int = 0) -> None:
        with self._lock:
            self.endpoints[name].requests += requests
            self.endpoints[name].items += items

    def _endpoint(self, name: str, required: bool) -> Endpoint:
        return self.endpoints.setdefault(name, Endpoint(name, required))

    def get(self, name: str, path: str, params: Json | None = None, cached: bool = True) -> Json:
        """One GET, counted for `name`; messages name the option queried, if any."""
        self.count(name, requests=1)
        label = name + (f"?option={params['option']}" if params and "option" in params else "")
        try:
            return self.client.get(label, path, params, cached=cached)
        finally:
            self.progress.update()

    def save(self, rel: str, data: Json) -> None:
        """Write one snapshot file now (10,000 users' settings would not fit in memory)."""
        _write_json(self.staging / rel, data)
        self.files.add(rel)

    def guarded(self, name: str, required: bool, work: Callable[[], object]) -> None:
        """Run `work`; an optional endpoint's failure is recorded, a required one's raised."""
        try:
            work()
        except ApiError as exc:
            if required:
                raise
            self.endpoints[name].failures.append(f"HTTP {exc.status}" if exc.status else str(exc))

    # --- kinds of request ----------------------------------------------------------------------

    def items(self, name: str, path: str, key: str, params: Json | None = None) -> list[Json]:
        """All items of a list endpoint, page by page (next_page_token)."""
        items: list[Json] = []
        first = {**(params or {}), "page_size": PAGE_SIZE}
        query = first
        while True:
            page = self.get(name, path, query)
            batch = page.get(key, [])
            if not isinstance(batch, list) or not all(isinstance(x, dict) for x in batch):
                raise ApiError(name, 200, f"{key}: expected an array of objects")
            items += batch
            token = page.get("next_page_token") or ""
            if not isinstance(token, str):
                raise ApiError(name, 200, "next_page_token: expected text")
            if not token:
                break
            query = {**first, "next_page_token": token}
            self.progress.total += 1
        self.count(name, items=len(items))
        return items

    def listing(
        self, name: str, path: str, key: str, file: str | None = None, params: Json | None = None
    ) -> None:
        """A list endpoint: items kept in `found[key]` (users, groups, sites) or saved as {key: [...]}."""
        items = self.items(name, path, key, params)
        if file:
            self.save(file, {key: items})
        if name in (USERS, GROUPS, SITES, PHONE_USERS):
            self.found["phone_users" if name == PHONE_USERS else key] = items

    def usage(self, name: str, path: str, key: str, file: str) -> None:
        """A usage list over the whole window, asked one window of at most USAGE_DAYS at a time."""
        self.progress.total += len(self.windows) - 1
        items = self.windowed(name, path, key)
        self.save(file, {key: items})
        if name == SUMMARIES:
            self.found["summaries"] = items

    def windowed(self, name: str, path: str, key: str) -> list[Json]:
        """All items of a from/to list endpoint over the usage window, one window at a time."""
        return [x for window in self.windows for x in self.items(name, path, key, window)]

    def participants(self) -> None:
        """The participants of each summarised meeting (one file for all): who was there."""
        meetings = []
        uuids = sorted({str(s["meeting_uuid"]) for s in self.found["summaries"] if s.get("meeting_uuid")})
        self.progress.total += max(len(uuids) - 1, 0)
        for uuid in uuids:
            quoted = urllib.parse.quote(urllib.parse.quote(uuid, safe=""), safe="")  # Zoom: double-encode
            people = self.items(PARTICIPANTS, f"/past_meetings/{quoted}/participants", "participants")
            meetings.append({"meeting_uuid": uuid, "participants": people})
        self.save("usage/meeting_participants.json", {"meetings": meetings})

    def call_history(self) -> None:
        """Each Phone user's call history entries that carry an AI call summary id."""
        users = []
        ids = _ids(PHONE_USERS, self.found.get("phone_users", []), "users")
        self.progress.total += max(len(ids) * len(self.windows) - 1, 0)
        for uid in ids:
            logs = self.windowed(CALL_HISTORY, f"/phone/users/{uid}/call_history", "call_logs")
            kept = [
                {k: log[k] for k in CALL_FIELDS if k in log} for log in logs if log.get("ai_call_summary_id")
            ]
            users.append({"user_id": uid, "call_logs": kept})
        self.save("usage/call_history.json", {"users": users})

    def settings(self, name: str, path: str, file: str, options: Iterable[str] = ()) -> None:
        """A settings object, with the fields of its `option=` variants merged in. Its file is the
        record that it was fetched: one left by an interrupted pull is kept (and its requests
        counted, so the manifest does not depend on interruptions), and its answers are not put
        in the response cache (10,000 users' settings would be written twice)."""
        options = tuple(options)
        if (self.staging / file).is_file():
            self.count(name, requests=1 + len(options), items=1)
            self.progress.update(1 + len(options))
            self.files.add(file)
            return
        base = self.get(name, path, cached=False)
        variants = {o: self.get(name, path, {"option": o}, cached=False) for o in options}
        self.save(file, merge_options(name, base, variants, self.notes))
        self.count(name, items=1)

    # --- what to fetch -------------------------------------------------------------------------

    def first_round(self) -> None:
        """Account settings and every list."""
        self.run(
            [
                (
                    ACCOUNT_SETTINGS,
                    True,
                    partial(
                        self.settings,
                        ACCOUNT_SETTINGS,
                        f"{ACCOUNT}/settings",
                        "account_settings.json",
                        ACCOUNT_OPTIONS,
                    ),
                ),
                (
                    ACCOUNT_LOCKS,
                    True,
                    partial(
                        self.settings,
                        ACCOUNT_LOCKS,
                        f"{ACCOUNT}/lock_settings",
                        "account_lock_settings.json",
                        LOCK_OPTIONS,
                    ),
                ),
                (
                    USERS,
                    True,
                    partial(self.listing, USERS, "/users", "users", "users.json", {"status": "active"}),
                ),
                (GROUPS, True, partial(self.listing, GROUPS, "/groups", "groups", "groups.json")),
                (SITES, False, partial(self.listing, SITES, "/phone/sites", "sites")),
                (
                    PHONE_USERS,
                    False,
                    partial(self.listing, PHONE_USERS, "/phone/users", "users", "phone/users.json"),
                ),
                (
                    HISTORY,
                    False,
                    partial(
                        self.usage,
                        HISTORY,
                        "/report/history_meetings",
                        "history_meetings",
                        "usage/history_meetings.json",
                    ),
                ),
                (
                    SUMMARIES,
                    False,
                    partial(
                        self.usage,
                        SUMMARIES,
                        "/meetings/meeting_summaries",
                        "summaries",
                        "usage/meeting_summaries.json",
                    ),
                ),
            ],
            extra=len(ACCOUNT_OPTIONS) + len(LOCK_OPTIONS),
        )

    def second_round(self) -> None:
        """Settings of each group and user, and each Phone site's policy."""
        tasks: list[Task] = []
        extra = 0
        for gid in _ids(GROUPS, self.found["groups"], "groups"):
            for kind, options in (("settings", SETTINGS_OPTIONS), ("lock_settings", LOCK_OPTIONS)):
                name = f"GET /groups/{{groupId}}/{kind}"
                tasks.append(
                    (
                        name,
                        True,
                        partial(
                            self.settings, name, f"/groups/{gid}/{kind}", f"groups/{gid}/{kind}.json", options
                        ),
                    )
                )
                extra += len(options)
        for uid in _ids(USERS, self.found["users"], "users"):
            tasks.append(
                (
                    USER_SETTINGS,
                    True,
                    partial(
                        self.settings, USER_SETTINGS, f"/users/{uid}/settings", f"users/{uid}/settings.json"
                    ),
                )
            )
        for sid in _ids(SITES, self.found["sites"], "sites"):
            tasks.append(
                (SITE, False, partial(self.settings, SITE, f"/phone/sites/{sid}", f"phone/sites/{sid}.json"))
            )
        if SUMMARIES in self.endpoints and not self.endpoints[SUMMARIES].failures:
            tasks.append((PARTICIPANTS, False, self.participants))
        if PHONE_USERS in self.endpoints and not self.endpoints[PHONE_USERS].failures:
            tasks.append((CALL_HISTORY, False, self.call_history))
        self.run(tasks, extra)

    def run(self, tasks: list[Task], extra: int = 0) -> None:
        """Run tasks on `concurrency` threads; the first required failure is raised."""
        for name, required, _ in tasks:
            self._endpoint(name, required)
        self.progress.total += len(tasks) + extra
        with ThreadPoolExecutor(self.concurrency) as pool:
            futures = [pool.submit(self.guarded, n, r, w) for n, r, w in tasks]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                for f in futures:
                    f.cancel()
                raise

    def manifest(self, api_base: str) -> Json:
        endpoints = sorted(self.endpoints.values(), key=lambda e: e.name)
        return {
            "tool": "zoomai",
            "tool_version": version("zoomai"),
            "api_base": api_base,
            "account": "me",
            "usage_window": self.window,
            "endpoints": [e.record() for e in endpoints],
            "files": sorted(self.files),
            "notes": sorted(self.notes),
        }


def _write_json(path: Path, data: Json) -> None:
    """Compact JSON (the C encoder: indenting costs ~5 ms a file), one line and a newline; written
    beside and renamed, so a file present is complete (--resume relies on it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _prepare_partial(partial: Path, resume: bool) -> None:
    """SNAPSHOTS_DIR/.partial, kept for --resume, else started afresh (only if it is ours)."""
    if partial.exists():
        if not (partial / MARKER).is_file():
            raise ZoomaiError(f"{partial}: exists and was not made by zoomai pull; refusing to touch it")
        if not resume:
            shutil.rmtree(partial)
    partial.mkdir(mode=0o700, parents=True, exist_ok=True)
    (partial / MARKER).write_text("responses of an unfinished zoomai pull; --resume continues it\n")


def pull_snapshot(
    credentials: Credentials, snapshots: Path | str, options: PullOptions, resume: bool = False
) -> PullResult:
    """Pull the account into a new SNAPSHOTS_DIR/<UTC timestamp>/ folder (see the module doc)."""
    snapshots = Path(snapshots)
    if snapshots.exists() and not snapshots.is_dir():
        raise ZoomaiError(f"{snapshots}: not a folder")
    partial = snapshots / PARTIAL
    client = ZoomClient(
        credentials,
        options.api_base,
        options.token_url,
        timeout=options.timeout,
        retries=options.retries,
        backoff=options.backoff,
        connections=options.concurrency,
        cache=ResponseCache(partial / "responses"),
    )  # checks the URLs before anything is written
    staging = partial / "snapshot"
    with client, tqdm(total=0, unit="req", desc="zoomai pull", file=sys.stderr, disable=None) as bar:
        _prepare_partial(partial, resume)
        today = datetime.now(UTC).date()
        puller = Puller(client, staging, options.concurrency, bar, today, options.usage_since)
        try:
            puller.first_round()
            puller.second_round()
        except ApiError as exc:
            raise ZoomaiError(
                f"{exc}; no snapshot written (saved answers kept in {partial} for --resume)"
            ) from None
    manifest = puller.manifest(client.api_base)
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    target = new_snapshot_path(snapshots, datetime.now(UTC))
    staging.rename(target)
    shutil.rmtree(partial)
    return PullResult(target, manifest, client.requests, client.retried)


def summary_text(result: PullResult) -> str:
    """What the pull did, for the terminal: no secrets, no personal data."""
    m = result.manifest
    lines = [
        f"Pulled {len(m['files'])} files into {result.snapshot}",
        f"  API: {m['api_base']}; requests: {result.requests} (retried: {result.retried})",
    ]
    lines += [
        f"  {e['endpoint']}: {e['requests']} requests, {e['items']} items"
        for e in m["endpoints"]
        if e["status"] == "ok"
    ]
    lines += [
        f"  skipped (optional, kept failing): {e['endpoint']}: {', '.join(sorted(set(e['errors'])))}"
        for e in result.skipped
    ]
    lines += [f"  note: {n}" for n in m["notes"]]
    return "\n".join(lines)
