"""Observed usage: the AI Companion uses Zoom's APIs record, read from a snapshot's `usage/`
folder into usage rows with source = observed (which endpoint is evidence of which feature, and
how a use is counted: data/usage_evidence.yaml).

    usage/meeting_summaries.json     {"summaries": [...]}   GET /meetings/meeting_summaries
    usage/meeting_participants.json  {"meetings": [{"meeting_uuid", "participants": [...]}]}
    usage/call_history.json          {"users": [{"user_id", "call_logs": [...]}]}

Participants are internal when their e-mail address is in one of the account's domains (the
domains of the users' addresses, or those the analyst gives), external otherwise. Uses by someone
who is not a user of the tenant are left out and counted in the report. Every field is optional;
a wrong type gets a DataError naming the file and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import Field

from zoomai.core.errors import DataError, Problem
from zoomai.core.paths import data_file
from zoomai.core.yamlio import load_model, read_json
from zoomai.tenants.simulate import Strict, feature_facts
from zoomai.tenants.tables import USAGE_SOURCES, Tenant, coerce

SUMMARIES = "usage/meeting_summaries.json"
PARTICIPANTS = "usage/meeting_participants.json"
CALL_HISTORY = "usage/call_history.json"
SUMMARY_FEATURE, CALL_FEATURE = "meetings.meeting_summary", "phone.call_summary"


class Evidence(Strict):
    feature_id: str
    endpoint: str = Field(pattern=r"^(GET|POST) /\S+$")
    endpoint_name: str = Field(min_length=1)
    fields: str = Field(min_length=1)
    file: str
    one_use: str
    participants: str
    output_shared: bool
    output_shared_reading: str = Field(min_length=1)
    source: str = Field(min_length=1)


class NotUsed(Strict):
    endpoint: str
    file: str
    reason: str


class EvidenceFile(Strict):
    evidence: list[Evidence]
    not_used: list[NotUsed] = []


@cache
def usage_evidence() -> dict[str, Evidence]:
    """data/usage_evidence.yaml: the features with observed usage evidence, by feature_id."""
    return {e.feature_id: e for e in load_model(data_file("usage_evidence.yaml"), EvidenceFile).evidence}


@dataclass
class Observed:
    """What a snapshot's usage files gave: rows (usage table), the features whose evidence file
    was there (so an absent use is a real zero, not unknown) and notes for the import report."""

    usage: pd.DataFrame
    features: frozenset[str]
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _items(src: Path, rel: str, key: str) -> list[dict[str, Any]] | None:
    """The list `key` of a usage file (None if the file is absent); DataError on a wrong shape."""
    path = src / rel
    if not path.is_file():
        return None
    data = read_json(path)
    items = data.get(key, []) if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise DataError(path, [Problem(None, key, "expected an array of objects")])
    return items


def _text(path: Path, where: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DataError(path, [Problem(None, where, f"expected text, got {value!r}")])
    return value


def _time(path: Path, where: str, value: Any) -> pd.Timestamp | None:
    text = _text(path, where, value)
    if text is None:
        return None
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        raise DataError(path, [Problem(None, where, f"expected a date and time, got {text!r}")]) from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def account_domains(tenant: Tenant, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The account's e-mail domains: those of its users' addresses plus `extra` (lower case)."""
    emails = tenant.users["email"].dropna().astype(str)
    found = {e.rsplit("@", 1)[1].lower() for e in emails if "@" in e}
    return frozenset(found | {d.lower().lstrip("@") for d in extra})


def _is_internal(email: str | None, domains: frozenset[str]) -> bool:
    return email is not None and "@" in email and email.rsplit("@", 1)[1].lower() in domains


def read_observed(src: Path | str, tenant: Tenant, domains: frozenset[str]) -> Observed:
    """Usage rows (source = observed) of a single tenant from the usage files under `src`."""
    src = Path(src)
    users = tenant.users
    by_id = set(users["user_id"].astype(str))
    by_email = {
        str(e).lower(): str(u) for u, e in zip(users["user_id"], users["email"], strict=True) if pd.notna(e)
    }
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    features: set[str] = set()
    files: list[str] = []

    summaries = _items(src, SUMMARIES, "summaries")
    if summaries is not None:
        features.add(SUMMARY_FEATURE)
        files.append(SUMMARIES)
        people = _participants(src, domains, files)
        shared = usage_evidence()[SUMMARY_FEATURE].output_shared
        outside = without_list = 0
        path = src / SUMMARIES
        for i, s in enumerate(summaries):
            where = f"summaries[{i}]"
            host = _text(path, f"{where}.meeting_host_id", s.get("meeting_host_id"))
            email = _text(path, f"{where}.meeting_host_email", s.get("meeting_host_email"))
            user = host if host in by_id else by_email.get((email or "").lower())
            if user is None:
                outside += 1
                continue
            uuid = _text(path, f"{where}.meeting_uuid", s.get("meeting_uuid"))
            when = _time(path, f"{where}.summary_created_time", s.get("summary_created_time")) or _time(
                path, f"{where}.meeting_start_time", s.get("meeting_start_time")
            )
            internal, external = people.get(uuid or "", (None, None))
            if internal is None:
                without_list += 1
                internal, external = 1, 0  # the host alone
            rows.append(_row(user, SUMMARY_FEATURE, when, max(internal, 1), external, shared))
        if outside:
            notes.append(f"{SUMMARIES}: {outside} summaries of meetings hosted by a non-user, left out")
        if without_list:
            notes.append(
                f"{SUMMARIES}: {without_list} summaries without a participant list: the host alone counted"
            )

    calls = _items(src, CALL_HISTORY, "users")
    if calls is not None:
        features.add(CALL_FEATURE)
        files.append(CALL_HISTORY)
        path = src / CALL_HISTORY
        shared = usage_evidence()[CALL_FEATURE].output_shared
        seen: set[str] = set()
        for i, entry in enumerate(calls):
            user = _text(path, f"users[{i}].user_id", entry.get("user_id"))
            logs = entry.get("call_logs", [])
            if not isinstance(logs, list) or not all(isinstance(x, dict) for x in logs):
                raise DataError(
                    path, [Problem(None, f"users[{i}].call_logs", "expected an array of objects")]
                )
            if user not in by_id:
                if any(log.get("ai_call_summary_id") for log in logs):
                    notes.append(f"{CALL_HISTORY}: call summaries of {user!r}, not among the users, left out")
                continue
            for j, log in enumerate(logs):
                where = f"users[{i}].call_logs[{j}]"
                summary = _text(path, f"{where}.ai_call_summary_id", log.get("ai_call_summary_id"))
                if summary is None or summary in seen:
                    continue
                seen.add(summary)
                internal = _text(path, f"{where}.connect_type", log.get("connect_type")) == "internal"
                when = _time(path, f"{where}.start_time", log.get("start_time"))
                rows.append(_row(user, CALL_FEATURE, when, 1 + internal, int(not internal), shared))

    frame = pd.DataFrame(rows, columns=["user_id", "feature_id", "time", "internal_participants",
                                        "external_participants", "output_shared"])  # fmt: skip
    if frame["time"].isna().any():
        notes.append(f"{int(frame['time'].isna().sum())} observed uses without a time: dated at the epoch")
    frame["time"] = pd.to_datetime(frame["time"], utc=True).fillna(pd.Timestamp(0, tz="UTC"))
    frame = frame.sort_values(["time", "feature_id", "user_id"], kind="stable", ignore_index=True)
    facts = feature_facts()
    frame = frame.assign(
        tenant_id=tenant.tenant_id,
        activity_id=range(len(frame)),
        product=frame["feature_id"].map(facts["product"]),
        recorded=False,
        source=pd.Categorical(["observed"] * len(frame), categories=USAGE_SOURCES),
    )
    return Observed(coerce("usage", frame), frozenset(features), notes, files)


def _row(
    user: str,
    feature: str,
    when: pd.Timestamp | None,
    internal: int,
    external: int,
    shared: bool,
) -> dict[str, Any]:
    return {
        "user_id": user,
        "feature_id": feature,
        "time": when,
        "internal_participants": int(internal),
        "external_participants": int(external),
        "output_shared": bool(shared),
    }


def _participants(src: Path, domains: frozenset[str], files: list[str]) -> dict[str, tuple[int, int]]:
    """meeting_uuid -> (internal, external) people, each counted once by address (or by name
    when the address is hidden: then external)."""
    meetings = _items(src, PARTICIPANTS, "meetings")
    if meetings is None:
        return {}
    files.append(PARTICIPANTS)
    path = src / PARTICIPANTS
    out = {}
    for i, m in enumerate(meetings):
        uuid = _text(path, f"meetings[{i}].meeting_uuid", m.get("meeting_uuid"))
        people = m.get("participants", [])
        if uuid is None or not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
            raise DataError(path, [Problem(None, f"meetings[{i}]", "expected meeting_uuid and participants")])
        internal, external = set(), set()
        for j, p in enumerate(people):
            email = _text(path, f"meetings[{i}].participants[{j}].user_email", p.get("user_email"))
            who = (email or "").lower() or f"#{p.get('id') or p.get('name') or j}"
            (internal if _is_internal(email, domains) else external).add(who)
        out[uuid] = (len(internal), len(external - internal))
    return out
