"""Effective settings: what is in force for each user after the hierarchy and locks.

Rules (whitepaper, "Putting You In Control of AI Companion Capabilities"; policy facts
*_level_products, site_policy_skipped_for_group_phone_policy, lock_stops_lower_levels):

- levels apply in the order account -> group -> site (Zoom Phone only) -> user, each lower
  value replacing the one above;
- a level counts for a key only if the key's product has controls at that level (group:
  Meetings, Team Chat, Whiteboard, Email and Calendar; site: Phone; user: Meetings, Whiteboard);
- a site policy is not applied to users whose group has an activated Zoom Phone policy;
- a lock stops every lower level; a lock on an object (e.g. `chat.ai_summary`) locks its fields;
- where no level sets a key, the registry default is in force (`source_level` = default).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zoomai.facts.policy import load_policy
from zoomai.facts.registry import LEVELS, SETTINGS, levels_for
from zoomai.tenants.tables import Tenant

SOURCE_LEVELS = ["default", *LEVELS]
KEYS = [s.key for s in SETTINGS]
COLUMNS = ["tenant_id", "user_id", "key", "value", "source_level", "locked", "locked_at", "user_can_change"]


def _lock_targets(lock_key: str, keys: list[str]) -> list[int]:
    """Indices of registry keys a lock on `lock_key` covers (itself or its fields)."""
    return [i for i, k in enumerate(keys) if k == lock_key or k.startswith(lock_key + ".")]


def _level_arrays(rows: pd.DataFrame, scopes: pd.Index, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Dense (scope, key) arrays of values and locks for one level; the extra last row is
    the 'no scope' row for users outside every scope of the level."""
    values = np.full((len(scopes) + 1, len(keys)), None, dtype=object)
    locks = np.zeros((len(scopes) + 1, len(keys)), dtype=bool)
    scope_code = scopes.get_indexer(rows["scope_id"])
    key_index = {k: i for i, k in enumerate(keys)}
    known = scope_code >= 0
    rows, scope_code = rows[known], scope_code[known]
    key_code = rows["key"].map(key_index)
    has_value = key_code.notna().to_numpy() & rows["value"].notna().to_numpy()
    values[scope_code[has_value], key_code[has_value].astype(int)] = rows["value"].to_numpy()[has_value]
    locked = rows["locked"].to_numpy()
    for lock_key in rows.loc[locked, "key"].unique():
        targets = _lock_targets(lock_key, keys)
        codes = scope_code[locked & (rows["key"] == lock_key).to_numpy()]
        for t in targets:
            locks[codes, t] = True
    return values, locks


def effective_settings(tenant: Tenant) -> pd.DataFrame:
    """One row per (user, registry key) with the value in force.

    Columns: tenant_id, user_id, key, value (canonical text, see registry.parse_value; empty
    where the key has no default and no level sets it), source_level (default, account,
    group, site or user), locked (a lock at some level fixes the value), locked_at (that
    level, else empty), user_can_change (the key has user-level controls and is not locked).
    """
    frames = [_effective_one(tenant, tid) for tid in tenant.tenants["tenant_id"]]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def effective_values(tenant: Tenant, keys: list[str]) -> pd.DataFrame:
    """Each user's values in force for the registry `keys`: one row per user (users table
    order, indexed by user_id), one column per key; canonical text, "" where unset. The
    `value` column of effective_settings, for a few keys, without its n users x all keys rows."""
    at = [KEYS.index(k) for k in keys]
    frames = [
        pd.DataFrame(e.value[:, at], index=e.users["user_id"].array, columns=keys)
        for e in (_effective_arrays(tenant, tid) for tid in tenant.tenants["tenant_id"])
    ]
    wide = pd.concat(frames) if frames else pd.DataFrame(columns=keys, dtype=object)
    return wide.reindex(index=tenant.users["user_id"]).astype(object).fillna("")


@dataclass
class _Effective:
    """One tenant's effective settings as (user, registry key) arrays: `users` (its rows of
    the users table), `value` (canonical text or None), `source` (index into SOURCE_LEVELS),
    `locked_at` (1 + index into LEVELS; 0: not locked), `stopped` (a lock fixes the value);
    `user_level`: per key, whether its product has user-level controls."""

    users: pd.DataFrame
    value: np.ndarray
    source: np.ndarray
    locked_at: np.ndarray
    stopped: np.ndarray
    user_level: np.ndarray


def _effective_arrays(tenant: Tenant, tenant_id: str) -> _Effective:
    """The effective settings of one tenant of `tenant` (the rules of the module doc)."""
    policy = load_policy()
    allowed = {lvl: np.array([lvl in levels_for(s.product, policy) for s in SETTINGS]) for lvl in LEVELS}
    users = tenant.users[tenant.users["tenant_id"] == tenant_id]
    settings = tenant.settings[tenant.settings["tenant_id"] == tenant_id]
    groups = tenant.groups[tenant.groups["tenant_id"] == tenant_id]
    sites = tenant.sites[tenant.sites["tenant_id"] == tenant_id]
    n, k = len(users), len(KEYS)

    phone_groups = set(groups.loc[groups["phone_policy_active"], "group_id"])
    if not policy.value("site_policy_skipped_for_group_phone_policy"):
        phone_groups = set()
    site_of_user = users["site_id"].where(~users["group_id"].isin(phone_groups))
    scopes = {
        "account": (pd.Index([tenant_id]), pd.Series([tenant_id] * n, index=users.index)),
        "group": (pd.Index(groups["group_id"]), users["group_id"]),
        "site": (pd.Index(sites["site_id"]), site_of_user),
        "user": (pd.Index(users["user_id"]), users["user_id"]),
    }

    value = np.array([s.default for s in SETTINGS], dtype=object)[None, :].repeat(n, axis=0)
    source = np.zeros((n, k), dtype=np.int8)  # index into SOURCE_LEVELS
    locked_at = np.zeros((n, k), dtype=np.int8)  # 0 = not locked
    stopped = np.zeros((n, k), dtype=bool)
    for li, level in enumerate(LEVELS, start=1):
        index, user_scope = scopes[level]
        level_rows = settings[settings["level"] == level]
        vals, locks = _level_arrays(level_rows, index, KEYS)
        codes = index.get_indexer(user_scope.astype(object).where(user_scope.notna(), None))
        codes = np.where(codes < 0, len(index), codes)
        applies = allowed[level][None, :] & ~stopped
        v = vals[codes]
        has = applies & (v != None)  # noqa: E711 - elementwise comparison on an object array
        value = np.where(has, v, value)
        source = np.where(has, li, source)
        lock_here = applies & locks[codes]
        locked_at = np.where(lock_here, li, locked_at)
        stopped |= lock_here
    return _Effective(users, value, source, locked_at, stopped, allowed["user"])


def _effective_one(tenant: Tenant, tenant_id: str) -> pd.DataFrame:
    """effective_settings of one tenant of `tenant`."""
    e = _effective_arrays(tenant, tenant_id)
    users, value, source, locked_at, stopped = e.users, e.value, e.source, e.locked_at, e.stopped
    n, k = value.shape
    levels_user = e.user_level[None, :]
    # tenant and user as pd.Categorical of the n * k values would make them (categories
    # sorted; none if there are no values), from codes: nothing to factorise
    user_ids = pd.Index(users["user_id"].array)
    sorted_ids = user_ids.sort_values() if n * k else []
    return pd.DataFrame(
        {
            "tenant_id": pd.Categorical.from_codes(
                np.zeros(n * k, dtype=np.int8), categories=[tenant_id][: n * k]
            ),
            "user_id": pd.Categorical.from_codes(
                np.repeat(pd.Index(sorted_ids).get_indexer(user_ids), k), categories=sorted_ids
            ),
            "key": pd.Categorical.from_codes(np.tile(np.arange(k), n), categories=KEYS),
            "value": pd.array(value.ravel(), dtype="string"),
            "source_level": pd.Categorical.from_codes(source.ravel(), categories=SOURCE_LEVELS),
            "locked": stopped.ravel(),
            "locked_at": pd.Categorical.from_codes(locked_at.ravel() - 1, categories=list(LEVELS)),
            "user_can_change": (levels_user & ~stopped).ravel(),
        }
    )


def features_in_force(tenant: Tenant, feature_ids: Iterable[str]) -> dict[str, np.ndarray]:
    """feature_id -> per user (in `users` order): some switch of the feature is in force for the
    user (effective value true). Features without a switch in the registry are never in force."""
    users = tenant.users["user_id"].astype(str)
    eff = effective_settings(tenant)
    user = pd.Categorical(eff["user_id"], categories=users).codes
    key = eff["key"].astype("category")
    on = (eff["value"] == "true").fillna(False).to_numpy()
    out = {f: np.zeros(len(users), dtype=bool) for f in feature_ids}
    for spec in SETTINGS:
        if spec.feature_id in out and spec.key in key.cat.categories:
            rows = (key == spec.key).to_numpy()
            out[spec.feature_id][user[rows]] |= on[rows]
    return out
