"""Settings audit of one tenant: what is in force, what is locked, which overrides below the
account widen exposure, which users run clients below the notice versions, and meeting security
next to external summary sharing.

The functions read `effective_settings(tenant)` (pass it as `eff` to compute it once) and the
tenant's tables, and return DataFrames with the columns their docstrings list. Which values are
wider (WIDENING), what makes a meeting open (OPEN_MEETINGS_*) and summaries external
(EXTERNAL_SUMMARIES) are tables below, not conditions spread through the code.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from zoomai.analysis.flows import ALL_INVITEES, EMAIL_KEY, RECIPIENTS_KEY, RESTRICT_KEY
from zoomai.core.versions import parse_version
from zoomai.facts.policy import Policy, load_policy
from zoomai.facts.registry import LEVELS, RETENTION_LIMITS, SETTINGS, SPECS, period_days
from zoomai.tenants.effective import effective_settings
from zoomai.tenants.tables import Tenant

SUMMARY_KEY = "in_meeting.meeting_summary_with_ai_companion.enable"
QUESTIONS_KEY = "in_meeting.ai_companion_questions.who_can_ask_questions"
WAITING_ROOM_KEY = "in_meeting.waiting_room"
PASSCODE_KEY = "schedule_meeting.require_password_for_scheduling_new_meetings"
AUTHENTICATION_KEY = "meeting_authentication"
OVERRIDE_LEVELS = [lvl for lvl in LEVELS if lvl != "account"]
NO_GROUP = "(no group)"

# --- Which way is wider: per key, its values from narrow to wide exposure -----------------------
OFF_TO_ON = ("false", "true")  # switching on widens
ON_TO_OFF = ("true", "false")  # switching off widens (a protection or an auto-delete)
DAYS = "days"  # a longer period widens; unset (kept until deleted) is widest
WIDENING: dict[str, tuple[str, ...] | str] = {
    # every AI Companion feature switch: on sends content to the feature's parties
    **{s.key: OFF_TO_ON for s in SETTINGS if s.feature_id},
    # starting automatically processes meetings and calls nobody chose to summarise
    "in_meeting.meeting_summary_with_ai_companion.auto_enable": OFF_TO_ON,
    "in_meeting.ai_companion_questions.auto_enable": OFF_TO_ON,
    "phone.call_summary.auto_call_summary": OFF_TO_ON,
    # 1 host; 2 hosts; 3 internal invitees; 4 all invitees including external ones
    RECIPIENTS_KEY: ("1", "2", "3", "4"),
    # 3 host only; 5 internal participants from joining; 4 internal invitees; 2 all participants
    # from joining; 1 all participants and invitees (external people weigh more than the window)
    QUESTIONS_KEY: ("3", "5", "4", "2", "1"),
    EMAIL_KEY: ("link", "full_text"),  # full text sits with the email provider and SendGrid
    RESTRICT_KEY: ON_TO_OFF,
    "phone.call_summary.call_summary_start_prompt.enable": ON_TO_OFF,  # the other party is not told
    # auto-delete: off keeps content until deleted; a longer period keeps it longer
    **{switch: ON_TO_OFF for switch, _ in RETENTION_LIMITS.values()},
    **{days: DAYS for _, days in RETENTION_LIMITS.values()},
    "chat.set_retention_period_in_cloud.retention_period_of_channels": DAYS,
    # meeting security (Trust and Safety page): off lets more people in
    WAITING_ROOM_KEY: ON_TO_OFF,
    PASSCODE_KEY: ON_TO_OFF,
    AUTHENTICATION_KEY: ON_TO_OFF,
}

# --- Meeting security next to external summary sharing (keys -> value that matches) -----------
# Open meetings: unauthenticated people can join, and at least one gate (waiting room, passcode)
# is off; a passcode alone travels with every forwarded invitation link.
OPEN_MEETINGS_ALL = {AUTHENTICATION_KEY: "false"}
OPEN_MEETINGS_ANY = {WAITING_ROOM_KEY: "false", PASSCODE_KEY: "false"}
# External summaries: summaries on, sent to all invitees, external sharing not restricted.
EXTERNAL_SUMMARIES = {SUMMARY_KEY: "true", RECIPIENTS_KEY: ALL_INVITEES, RESTRICT_KEY: "false"}

# --- Client-version facts (policy.yaml): the feature each version brings ------------------------
NOTICE_FACTS = {
    "participant_notice": "participant_notice_min_version",
    "host_one_click_off": "host_one_click_off_min_version",
}


def rank(key: str, value: object) -> float:
    """Position of `value` on the key's narrow-to-wide scale (WIDENING); NaN if not on it."""
    order = WIDENING.get(key)
    if order == DAYS:
        if value is None or value is pd.NA:
            return math.inf
        days = period_days(str(value))
        return float(days) if days is not None else math.nan
    if order is None or value not in order:
        return math.nan
    return float(order.index(value))


def _eff(tenant: Tenant, eff: pd.DataFrame | None) -> pd.DataFrame:
    return effective_settings(tenant) if eff is None else eff


def tenant_overview(tenant: Tenant) -> pd.DataFrame:
    """One row per tenant: tenant_id, name, hosting_region, zmo_enabled, zdr_enabled, users,
    groups, sites."""
    counts = {
        name: getattr(tenant, name).groupby("tenant_id", observed=True).size()
        for name in ("users", "groups", "sites")
    }
    out = tenant.tenants[["tenant_id", "name", "hosting_region", "zmo_enabled", "zdr_enabled"]].copy()
    for name, series in counts.items():
        out[name] = out["tenant_id"].map(series).fillna(0).astype(int)
    return out.reset_index(drop=True)


def settings_overview(eff: pd.DataFrame) -> pd.DataFrame:
    """What is in force: one row per (key, value).

    Columns: key, product, value (empty where unset), users (in force for), default, account,
    group, site, user (users who get it from that level), locked (users for whom it is locked).
    """
    frame = eff.assign(key=eff["key"].astype(str), value=eff["value"].fillna(""))
    counts = (
        frame.groupby(["key", "value", "source_level"], observed=True).size().unstack(fill_value=0)
    ).reindex(columns=["default", *LEVELS], fill_value=0)
    counts.columns = list(counts.columns)
    out = counts.assign(
        users=counts.sum(axis=1), locked=frame.groupby(["key", "value"], observed=True)["locked"].sum()
    ).reset_index()
    out.insert(1, "product", out["key"].map(lambda k: SPECS[k].product))
    order = {s.key: i for i, s in enumerate(SETTINGS)}
    out = out.sort_values(["key", "users"], key=lambda c: c.map(order) if c.name == "key" else -c)
    columns = ["key", "product", "value", "users", "default", *LEVELS, "locked"]
    return out[columns].reset_index(drop=True)


def locks(eff: pd.DataFrame) -> pd.DataFrame:
    """Per key locked for at least one user: how many users have it locked, and at which level.

    Columns: key, product, account, group, site, user (users whose value is locked at that
    level), locked (all users with the key locked), users (all users), share_locked.
    """
    users = eff["user_id"].nunique()
    locked = eff[eff["locked"]]
    counts = (
        locked.groupby([locked["key"].astype(str), "locked_at"], observed=True)
        .size()
        .unstack(fill_value=0)
        .reindex(columns=list(LEVELS), fill_value=0)
    )
    counts.columns = list(counts.columns)
    out = counts.assign(locked=counts.sum(axis=1), users=users)
    out["share_locked"] = out["locked"] / users if users else np.nan
    out = out.rename_axis("key").reset_index()
    out.insert(1, "product", out["key"].map(lambda k: SPECS[k].product))
    order = {s.key: i for i, s in enumerate(SETTINGS)}
    return out.sort_values("key", key=lambda c: c.map(order)).reset_index(drop=True)


def account_values(tenant: Tenant) -> pd.Series:
    """Per registry key, the value an account-level user gets: the account's value, else the default."""
    rows = tenant.settings
    account = rows[(rows["level"] == "account") & rows["value"].notna()].set_index("key")["value"]
    return pd.Series({s.key: account.get(s.key, s.default) for s in SETTINGS}, dtype=object)


def widening_overrides(tenant: Tenant, eff: pd.DataFrame | None = None) -> pd.DataFrame:
    """Overrides in force below the account that widen exposure (per WIDENING).

    A row is one group, site or user whose value, in force for some users, is wider than the
    account's value (the registry default where the account sets none). Locked or ignored
    lower-level values are not in force and do not count.

    Columns: level (group, site or user), scope_id, scope_name (group or site name; the user id
    for users), key, product, account_value, value, users (for whom it is in force).
    """
    eff = _eff(tenant, eff)
    lower = eff[eff["source_level"].isin(OVERRIDE_LEVELS)]
    frame = pd.DataFrame(
        {
            "user_id": lower["user_id"].astype(str).to_numpy(),
            "level": lower["source_level"].astype(str).to_numpy(),
            "key": lower["key"].astype(str).to_numpy(),
            "value": lower["value"].astype(object).to_numpy(),
        }
    )
    base = account_values(tenant)
    frame["account_value"] = frame["key"].map(base)
    pairs = frame[["key", "value", "account_value"]].drop_duplicates()
    wider = {
        (k, v, a)
        for k, v, a in pairs.itertuples(index=False)
        if rank(k, v) > rank(k, None if pd.isna(a) else a)
    }
    keys = zip(frame["key"], frame["value"], frame["account_value"], strict=True)
    frame = frame[np.array([t in wider for t in keys], dtype=bool)]  # a list [] would pick columns
    users = tenant.users.set_index("user_id")
    scope = {"group": users["group_id"], "site": users["site_id"]}
    frame["scope_id"] = [
        scope[lvl].get(u) if lvl in scope else u
        for lvl, u in zip(frame["level"], frame["user_id"], strict=True)
    ]
    names = {
        "group": tenant.groups.set_index("group_id")["name"],
        "site": tenant.sites.set_index("site_id")["name"],
    }
    frame["scope_name"] = [
        names[lvl].get(s, s) if lvl in names else s
        for lvl, s in zip(frame["level"], frame["scope_id"], strict=True)
    ]
    columns = ["level", "scope_id", "scope_name", "key", "account_value", "value"]
    out = frame.groupby(columns, sort=False).size().rename("users").reset_index()
    out.insert(4, "product", out["key"].map(lambda k: SPECS[k].product))
    order = {s.key: i for i, s in enumerate(SETTINGS)}
    out = out.assign(_level=out["level"].map(LEVELS.index), _key=out["key"].map(order))
    out = out.sort_values(["_key", "_level", "scope_id"]).drop(columns=["_level", "_key"])
    return out.reset_index(drop=True)


def _bands(policy: Policy) -> list[tuple[str, tuple[int, ...] | None, dict[str, bool | None]]]:
    """Client-version bands cut at the notice versions: (label, lowest version or None, whether a
    client in the band brings each notice feature). The last band is 'unknown version'."""
    minimum = {name: parse_version(str(policy.value(fact))) for name, fact in NOTICE_FACTS.items()}
    texts = {
        parse_version(str(policy.value(fact))): str(policy.value(fact)) for fact in NOTICE_FACTS.values()
    }
    cuts = sorted(texts)
    floors: list[tuple[int, ...] | None] = [None, *cuts]
    labels = [f"below {texts[cuts[0]]}"]
    labels += [f"{texts[lo]} to below {texts[hi]}" for lo, hi in zip(cuts, cuts[1:], strict=False)]
    labels.append(f"{texts[cuts[-1]]} or later")
    bands = [
        (label, floor, {name: floor is not None and floor >= v for name, v in minimum.items()})
        for label, floor in zip(labels, floors, strict=True)
    ]
    return [*bands, ("unknown version", None, dict.fromkeys(NOTICE_FACTS))]


def notice_facts(policy: Policy | None = None) -> pd.DataFrame:
    """The client-version facts the bands are cut at.

    Columns: feature (participant_notice, host_one_click_off), min_version, statement, source.
    """
    policy = policy or load_policy()
    return pd.DataFrame(
        [
            {
                "feature": name,
                "min_version": str(policy.value(fact)),
                "statement": policy.fact(fact)["statement"],
                "source": policy.cite(fact),
            }
            for name, fact in NOTICE_FACTS.items()
        ]
    )


def notice_status(tenant: Tenant, policy: Policy | None = None) -> pd.DataFrame:
    """Per user, whether their client brings each notice feature (policy client_version facts
    participant_notice_min_version, host_one_click_off_min_version).

    Columns: user_id, group_id, platform, client_version, band, participant_notice,
    host_one_click_off (nullable booleans: empty where the version is unknown, never true).
    """
    bands = _bands(policy or load_policy())
    known = bands[:-1]
    users = tenant.users
    rows = []
    for version in users["client_version"]:
        if pd.isna(version):
            rows.append(bands[-1])
        else:
            parsed = parse_version(version)
            rows.append(next(b for b in reversed(known) if b[1] is None or parsed >= b[1]))
    out = users[["user_id", "group_id", "platform", "client_version"]].reset_index(drop=True)
    out["band"] = pd.Categorical([b[0] for b in rows], categories=[b[0] for b in bands])
    for name in NOTICE_FACTS:
        out[name] = pd.array([b[2][name] for b in rows], dtype="boolean")
    return out


def version_bands(tenant: Tenant, policy: Policy | None = None) -> pd.DataFrame:
    """Users per client-version band; unknown versions form their own band, never compliant.

    Columns: band, participant_notice, host_one_click_off (whether a client in the band brings
    the feature; empty for unknown versions), users, share.
    """
    policy = policy or load_policy()
    status = notice_status(tenant, policy)
    counts = status["band"].value_counts(sort=False)
    out = pd.DataFrame(
        [{"band": label, **flags} for label, _, flags in _bands(policy)],
    ).astype(dict.fromkeys(NOTICE_FACTS, "boolean"))
    out["users"] = out["band"].map(counts).fillna(0).astype(int)
    total = out["users"].sum()
    out["share"] = out["users"] / total if total else np.nan
    return out


def _matches(wide: pd.DataFrame, conditions: dict[str, str], how: str = "all") -> np.ndarray:
    """Per user (row of `wide`), whether all (or any) keys in `conditions` have the given value."""
    hits = [wide[k].eq(v).fillna(False).to_numpy(dtype=bool) for k, v in conditions.items()]
    return np.logical_and.reduce(hits) if how == "all" else np.logical_or.reduce(hits)


def meeting_security(tenant: Tenant, eff: pd.DataFrame | None = None) -> pd.DataFrame:
    """Meeting security posture per group, next to external summary sharing.

    Columns: group_id, group (name; '(no group)' for users without one), users,
    no_waiting_room, no_passcode, unauthenticated (users with that control off),
    open_meetings (users whose meetings let unauthenticated people join past a missing waiting
    room or passcode: OPEN_MEETINGS_ALL and OPEN_MEETINGS_ANY), external_summaries (users
    whose meeting summaries go to all invitees including external ones, external sharing not
    restricted: EXTERNAL_SUMMARIES), open_and_external (users with both), flagged (any such user).
    """
    eff = _eff(tenant, eff)
    keys = sorted({*OPEN_MEETINGS_ALL, *OPEN_MEETINGS_ANY, *EXTERNAL_SUMMARIES})
    rows = eff[eff["key"].isin(keys)]
    wide = (
        pd.DataFrame(
            {"user_id": rows["user_id"].astype(str), "key": rows["key"].astype(str), "value": rows["value"]}
        )
        .pivot(index="user_id", columns="key", values="value")
        .reindex(columns=keys)
    )
    users = tenant.users.set_index("user_id")
    flags = pd.DataFrame(
        {
            "group_id": users["group_id"].reindex(wide.index).fillna(NO_GROUP).to_numpy(),
            "no_waiting_room": wide[WAITING_ROOM_KEY].eq("false").fillna(False).to_numpy(),
            "no_passcode": wide[PASSCODE_KEY].eq("false").fillna(False).to_numpy(),
            "unauthenticated": wide[AUTHENTICATION_KEY].eq("false").fillna(False).to_numpy(),
            "open_meetings": _matches(wide, OPEN_MEETINGS_ALL) & _matches(wide, OPEN_MEETINGS_ANY, "any"),
            "external_summaries": _matches(wide, EXTERNAL_SUMMARIES),
        },
        index=wide.index,
    )
    flags["open_and_external"] = flags["open_meetings"] & flags["external_summaries"]
    out = flags.groupby("group_id").agg(
        users=("no_waiting_room", "size"), **{c: (c, "sum") for c in flags.columns[1:]}
    )
    out = out.astype(int).reset_index()
    names = tenant.groups.set_index("group_id")["name"]
    out.insert(1, "group", out["group_id"].map(names).fillna(NO_GROUP))
    out["flagged"] = out["open_and_external"] > 0
    order = {g: i for i, g in enumerate(tenant.groups["group_id"])}
    out = out.sort_values("group_id", key=lambda c: c.map(order).fillna(len(order)))
    return out.reset_index(drop=True)


def phone_policy_ambiguity(tenant: Tenant, eff: pd.DataFrame | None = None) -> pd.DataFrame:
    """Users whose Zoom Phone settings rest on an inferred reading (policy fact
    phone_group_policy_reading): members of a group with an activated Phone policy who have a
    Phone site. The whitepaper says the site policy is not applied to them and lists no Phone
    settings among the group controls; zoomai takes the account value.

    Columns: user_id, group_id, group (name), site_id, site (name), set_aside (the site's Phone
    values not applied, 'key=value; ...'), differs (some set-aside value differs from the value
    in force).
    """
    eff = _eff(tenant, eff)
    columns = ["user_id", "group_id", "group", "site_id", "site", "set_aside", "differs"]
    groups = tenant.groups.set_index("group_id")
    active = set(groups.index[groups["phone_policy_active"].astype(bool)])
    users = tenant.users[tenant.users["group_id"].isin(active) & tenant.users["site_id"].notna()]
    if users.empty:
        return pd.DataFrame(columns=columns)
    phone = {s.key for s in SETTINGS if s.product == "Phone"}
    site_rows = tenant.settings[
        (tenant.settings["level"] == "site")
        & tenant.settings["key"].isin(phone)
        & tenant.settings["value"].notna()
    ]
    by_site = {
        site: dict(zip(rows["key"], rows["value"], strict=True))
        for site, rows in site_rows.groupby("scope_id")
    }
    in_force = eff[eff["user_id"].isin(users["user_id"]) & eff["key"].isin(phone)]
    value = {
        (str(u), str(k)): v
        for u, k, v in zip(in_force["user_id"], in_force["key"], in_force["value"], strict=True)
    }
    sites = tenant.sites.set_index("site_id")["name"]
    rows = []
    for user in users.itertuples(index=False):
        aside = by_site.get(user.site_id, {})
        rows.append(
            {
                "user_id": user.user_id,
                "group_id": user.group_id,
                "group": groups.loc[user.group_id, "name"],
                "site_id": user.site_id,
                "site": sites.get(user.site_id, user.site_id),
                "set_aside": "; ".join(f"{k}={v}" for k, v in sorted(aside.items())),
                "differs": any(value.get((user.user_id, k)) != v for k, v in aside.items()),
            }
        )
    return pd.DataFrame(rows, columns=columns)
