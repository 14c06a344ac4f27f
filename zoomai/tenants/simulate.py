"""Simulated tenants: accounts, groups, Phone sites, users, settings with locks, and AI Companion
usage, generated from the profiles in data/profiles.yaml.

Deterministic: the same profile, seed and sizes give byte-identical Parquet files. Every random
stream comes from `numpy.random.SeedSequence([seed, sha256(profile id), sha256(part)])`.

Usage is generated per activity kind (meeting, chat, call, ...) with numpy, no Python loop per
user or per row: activities per user are Poisson counts, and each feature of the kind is used in
an activity with the profile's probability wherever the feature is available to the user (in
force in the effective settings, product available, mobile-only features on mobile, third-party-
model features only without ZMO; minimum client versions are "recommended", not a gate). One
row per use; rows of one activity share an `activity_id`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from zoomai.core.atomic import replace_folder
from zoomai.core.errors import ZoomaiError
from zoomai.core.paths import data_file
from zoomai.core.versions import parse_version
from zoomai.facts.matrix import load_feature_matrix
from zoomai.facts.policy import load_policy
from zoomai.facts.registry import SPECS, format_value
from zoomai.tenants.tables import USAGE_SOURCES, Tenant, coerce, save_tenant, validate

DEFAULT_PROFILE = "us_enterprise_defaults"
MAX_MONTHS = 120
DAY_TABLE_SIZE = 1 << 16  # resolution of the weighted day draw
WEEKEND_WEIGHT = 0.15  # relative activity on Saturdays and Sundays

# Which features are used in which kind of activity (all of one product).
ACTIVITIES: dict[str, tuple[str, ...]] = {
    "meeting": (
        "meetings.meeting_summary",
        "meetings.meeting_questions",
        "meetings.smart_recordings",
        "meetings.virtual_background_generation",
    ),
    "chat": (
        "team_chat.chat_compose",
        "team_chat.thread_summary",
        "team_chat.quick_scheduling",
        "team_chat.sentence_completion",
        "team_chat.quick_reply",
    ),
    "email": ("email_and_calendar.email_compose",),
    "whiteboard": ("whiteboard.content_generation",),
    "call": ("phone.call_summary",),
    "voicemail": ("phone.voicemail_tasks", "phone.voicemail_prioritization"),
    "sms": ("phone.sms_thread_summary",),
    "clip": ("clips.title_and_description_generation",),
    "event": (
        "events.chat_compose",
        "events.email_compose",
        "events.smart_compose",
        "events.image_generation",
    ),
}
NEEDS_RECORDING = frozenset({"meetings.smart_recordings"})
_SLUG = r"^[a-z][a-z0-9_]*$"


def short_name(feature_id: str) -> str:
    """'meetings.meeting_summary' -> 'meeting_summary' (the key used in profiles.yaml)."""
    return feature_id.split(".", 1)[1]


# --- Profile models ------------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def Share(default: float | None = None):  # noqa: N802 - reads like a type in the models
    """A probability or share in [0, 1] (required unless a default is given)."""
    return Field(ge=0, le=1) if default is None else Field(default=default, ge=0, le=1)


class TenantSpec(Strict):
    name: str = Field(min_length=1)
    hosting_region: str = Field(pattern=r"^[A-Z]{2}$")
    vertical: str = Field(min_length=1)
    zmo_enabled: bool = False
    zdr_enabled: bool = False
    customer_managed_key: bool = False
    email_domain: str = Field(pattern=r"^[a-z0-9.-]+\.[a-z]+$")
    utc_offset: int = Field(default=0, ge=-12, le=14, description="Local office hours vs UTC.")


class Population(Strict):
    users: int = Field(ge=1)
    months: int = Field(ge=1, le=MAX_MONTHS)
    platforms: dict[Literal["desktop", "mobile", "web"], float]
    client_versions: dict[str, float] = Field(min_length=1)
    unknown_version_share: float = Share(0)
    admin_share: float = Share(0)
    phone_share: float = Share(0)
    event_organiser_share: float = Share(0)
    activity_spread: float = Field(default=1.0, gt=0, description="Gamma shape of per-user activity.")

    @field_validator("platforms", "client_versions")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        if any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
            raise ValueError("weights must be >= 0 with a positive sum")
        return value

    @field_validator("client_versions")
    @classmethod
    def _versions(cls, value: dict[str, float]) -> dict[str, float]:
        for version in value:
            parse_version(version)
        return value


class GroupSpec(Strict):
    id: str = Field(pattern=_SLUG)
    name: str = Field(min_length=1)
    share: float = Share()
    phone_policy_active: bool = False


class SiteSpec(Strict):
    id: str = Field(pattern=_SLUG)
    name: str = Field(min_length=1)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    weight: float = Field(gt=0)


def _canonical(values: dict[str, bool | int | str]) -> dict[str, str]:
    """Registry keys with YAML values -> canonical text; ValueError naming the key."""
    out = {}
    for key, value in values.items():
        if key not in SPECS:
            raise ValueError(f"unknown setting key {key!r} (not in zoomai/registry.py)")
        try:
            out[key] = format_value(SPECS[key], value)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
    return out


class LevelSettings(Strict):
    values: dict[str, bool | int | str] = {}
    locks: list[str] = []

    @field_validator("values")
    @classmethod
    def _values(cls, value: dict[str, bool | int | str]) -> dict[str, str]:
        return _canonical(value)

    @field_validator("locks")
    @classmethod
    def _locks(cls, value: list[str]) -> list[str]:
        for lock in value:
            if not any(k == lock or k.startswith(lock + ".") for k in SPECS):
                raise ValueError(f"{lock!r} is neither a registry key nor an object path of one")
        return value


class UserOverride(Strict):
    group: str | None = None
    platform: Literal["desktop", "mobile", "web"] | None = None
    count: int | None = Field(default=None, ge=1)
    share: float | None = Field(default=None, gt=0, le=1)
    values: dict[str, bool | int | str] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _values(cls, value: dict[str, bool | int | str]) -> dict[str, str]:
        return _canonical(value)

    @model_validator(mode="after")
    def _how_many(self) -> UserOverride:
        if (self.count is None) == (self.share is None):
            raise ValueError("give exactly one of count and share")
        return self


class SettingsSpec(Strict):
    account: LevelSettings = LevelSettings()
    groups: dict[str, LevelSettings] = {}
    sites: dict[str, LevelSettings] = {}
    users: list[UserOverride] = []


class Participants(Strict):
    mean: float = Field(ge=0, description="Mean count (gamma-Poisson).")
    dispersion: float = Field(default=1.0, gt=0, description="Gamma shape; smaller = heavier tail.")
    max: int = Field(ge=0)


class FeatureUse(Strict):
    use: float = Share()
    shared: float = Share()


class ActivityBase(Strict):
    per_user_week: float = Field(ge=0)
    internal: Participants
    external_share: float = Share()
    external: Participants
    recorded_share: float = Share(0)


def _activity_model(kind: str, feature_ids: tuple[str, ...]) -> type[ActivityBase]:
    """An ActivityBase with a `features` model whose fields are the kind's features."""
    features = create_model(
        f"{kind.title()}Features",
        __base__=Strict,
        **{short_name(f): (FeatureUse | None, None) for f in feature_ids},
    )
    return create_model(f"{kind.title()}Activity", __base__=ActivityBase, features=(features, ...))


ACTIVITY_MODELS = {kind: _activity_model(kind, feats) for kind, feats in ACTIVITIES.items()}
Activities = create_model(
    "Activities", __base__=Strict, **{k: (m | None, None) for k, m in ACTIVITY_MODELS.items()}
)


class Profile(Strict):
    id: str = Field(pattern=_SLUG)
    description: str = Field(min_length=1)
    tenant: TenantSpec
    population: Population
    groups: list[GroupSpec] = []
    sites: list[SiteSpec] = []
    settings: SettingsSpec = SettingsSpec()
    activity: Activities  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _references(self) -> Profile:
        groups, sites = [g.id for g in self.groups], [s.id for s in self.sites]
        for kind, ids in (("group", groups), ("site", sites)):
            if len(set(ids)) != len(ids):
                raise ValueError(f"duplicate {kind} ids in {ids}")
        if sum(g.share for g in self.groups) > 1 + 1e-9:
            raise ValueError("group shares add up to more than 1")
        unknown = (set(self.settings.groups) - set(groups)) | (set(self.settings.sites) - set(sites))
        unknown |= {o.group for o in self.settings.users if o.group and o.group not in groups}
        if unknown:
            raise ValueError(f"settings name unknown groups or sites {sorted(unknown)}")
        if self.population.phone_share > 0 and not sites:
            raise ValueError("phone_share > 0 needs at least one site")
        return self


class ProfilesFile(Strict):
    profiles: list[Profile] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ProfilesFile:
        ids = [p.id for p in self.profiles]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate profile ids in {ids}")
        return self


def load_profiles(path: Path | str | None = None) -> dict[str, Profile]:
    """Read and validate data/profiles.yaml (or `path`); DataError with line numbers."""
    return dict(_load_profiles(Path(path) if path else data_file("profiles.yaml")))


@cache
def _load_profiles(path: Path) -> tuple[tuple[str, Profile], ...]:
    from zoomai.core.yamlio import load_model

    return tuple((p.id, p) for p in load_model(path, ProfilesFile).profiles)


# --- Randomness ------------------------------------------------------------------------------------


def _stable(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def rng_for(seed: int, profile_id: str, part: str) -> np.random.Generator:
    """The random stream for one part (table) of one profile: stable across runs and platforms."""
    return np.random.default_rng(np.random.SeedSequence([seed, _stable(profile_id), _stable(part)]))


def _weighted(rng: np.random.Generator, weights: Mapping[object, float], n: int) -> np.ndarray:
    """n indices into `weights` drawn with its (normalised) weights."""
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _counts(rng: np.random.Generator, spec: Participants, n: int) -> np.ndarray:
    """n gamma-Poisson (negative binomial) counts with the spec's mean and dispersion, capped at max."""
    if spec.mean == 0 or spec.max == 0:
        return np.zeros(n, dtype=np.int32)
    if spec.dispersion == 1:  # the same distribution, drawn much faster
        counts = rng.geometric(1 / (1 + spec.mean), n) - 1
    else:
        counts = rng.poisson(rng.gamma(spec.dispersion, spec.mean / spec.dispersion, n))
    return np.minimum(counts, spec.max).astype(np.int32)


def _bernoulli(rng: np.random.Generator, p: float | np.ndarray, n: int) -> np.ndarray:
    """n draws of True with probability p (float32 uniforms: fast, ample resolution here)."""
    return rng.random(n, dtype=np.float32) < np.asarray(p, dtype=np.float32)


# --- Tables ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One simulation: the profile, sizes and ids everything else derives from."""

    profile: Profile
    seed: int
    users: int
    months: int
    start: pd.Timestamp
    tenant_id: str
    usage_stream: str = ""  # suffix of the usage random streams: one month of a monthly run

    def rng(self, part: str) -> np.random.Generator:
        return rng_for(self.seed, self.profile.id, part)

    def scoped(self, local_id: str) -> str:
        """Group/site ids are prefixed with the tenant id so concatenated tenants stay distinct."""
        return f"{self.tenant_id}.{local_id}"

    @property
    def end(self) -> pd.Timestamp:
        return self.start + pd.DateOffset(months=self.months)


def _tenants(run: Run) -> pd.DataFrame:
    t = run.profile.tenant
    row = dict(
        tenant_id=run.tenant_id,
        name=t.name,
        hosting_region=t.hosting_region,
        vertical=t.vertical,
        zmo_enabled=t.zmo_enabled,
        zdr_enabled=t.zdr_enabled,
        customer_managed_key=t.customer_managed_key,
        source="simulated",
    )
    return coerce("tenants", [row])


def _groups(run: Run) -> pd.DataFrame:
    rows = [
        dict(
            tenant_id=run.tenant_id,
            group_id=run.scoped(g.id),
            name=g.name,
            phone_policy_active=g.phone_policy_active,
        )
        for g in run.profile.groups
    ]
    return coerce("groups", rows)


def _sites(run: Run) -> pd.DataFrame:
    rows = [
        dict(tenant_id=run.tenant_id, site_id=run.scoped(s.id), name=s.name, country=s.country)
        for s in run.profile.sites
    ]
    return coerce("sites", rows)


def _users(run: Run) -> pd.DataFrame:
    """Users with home group, Phone site, client version, platform and role."""
    pop, rng, n = run.profile.population, run.rng("users"), run.users
    numbers = np.char.zfill(np.arange(1, n + 1).astype(str), 6)
    user_id = np.char.add(f"{run.tenant_id}.u", numbers)
    email = np.char.add(np.char.add("user", numbers), f"@{run.profile.tenant.email_domain}")
    groups = [run.scoped(g.id) for g in run.profile.groups] + [None]
    shares = [g.share for g in run.profile.groups]
    group = np.array(groups, dtype=object)[
        _weighted(rng, dict(enumerate([*shares, max(1 - sum(shares), 0)])), n)
    ]
    sites = np.array([run.scoped(s.id) for s in run.profile.sites] + [None], dtype=object)
    site_pick = _weighted(rng, {s.id: s.weight for s in run.profile.sites}, n) if run.profile.sites else 0
    site = np.where(rng.random(n) < pop.phone_share, sites[site_pick], None)
    versions = np.array(list(pop.client_versions), dtype=object)[_weighted(rng, pop.client_versions, n)]
    versions = np.where(rng.random(n) < pop.unknown_version_share, None, versions)
    platform = np.array(list(pop.platforms))[_weighted(rng, pop.platforms, n)]
    role = np.where(rng.random(n) < pop.admin_share, "admin", "member")
    role[0] = "owner"
    return coerce(
        "users",
        pd.DataFrame(
            dict(
                tenant_id=run.tenant_id,
                user_id=user_id,
                email=email,
                group_id=group,
                site_id=site,
                client_version=versions,
                platform=platform,
                role=role,
            )
        ),
    )


def _level_rows(run: Run, level: str, scope_id: str, spec: LevelSettings) -> list[dict]:
    """Settings rows of one scope: a row per value (locked if listed in locks), a row per lock only."""
    rows = [
        dict(level=level, scope_id=scope_id, key=k, value=v, locked=k in spec.locks)
        for k, v in spec.values.items()
    ]
    rows += [
        dict(level=level, scope_id=scope_id, key=k, value=None, locked=True)
        for k in spec.locks
        if k not in spec.values
    ]
    return rows


def _user_rows(run: Run, users: pd.DataFrame) -> list[pd.DataFrame]:
    """User-level overrides: each applies its values to users picked among those matching it."""
    rng, frames = run.rng("user-settings"), []
    for override in run.profile.settings.users:
        match = np.ones(len(users), dtype=bool)
        if override.group:
            match &= (users["group_id"] == run.scoped(override.group)).fillna(False).to_numpy()
        if override.platform:
            match &= (users["platform"] == override.platform).to_numpy()
        candidates = np.flatnonzero(match)
        k = override.count if override.count is not None else round(override.share * len(candidates))
        chosen = np.sort(rng.choice(candidates, size=min(k, len(candidates)), replace=False))
        ids = users["user_id"].to_numpy()[chosen]
        frames.append(
            pd.DataFrame(
                [
                    dict(level="user", scope_id=u, key=k, value=v, locked=False)
                    for u in ids
                    for k, v in override.values.items()
                ]
            )
        )
    return frames


def _settings(run: Run, users: pd.DataFrame) -> pd.DataFrame:
    s = run.profile.settings
    rows = _level_rows(run, "account", run.tenant_id, s.account)
    for gid, spec in s.groups.items():
        rows += _level_rows(run, "group", run.scoped(gid), spec)
    for sid, spec in s.sites.items():
        rows += _level_rows(run, "site", run.scoped(sid), spec)
    columns = ["level", "scope_id", "key", "value", "locked"]
    frame = pd.concat([pd.DataFrame(rows, columns=columns), *_user_rows(run, users)], ignore_index=True)
    frame = frame.drop_duplicates(["level", "scope_id", "key"], keep="last")
    return coerce("settings", frame.assign(tenant_id=run.tenant_id))


# --- Usage ------------------------------------------------------------------------------------------


@cache
def feature_facts() -> pd.DataFrame:
    """Per feature_id (matrix order): product, mobile_only, zmo_eligible, min_client_version."""
    m = load_feature_matrix()

    def newest(versions: pd.Series) -> str | None:
        known = versions.dropna()
        return max(known, key=parse_version) if len(known) else None

    facts = m.groupby("feature_id", sort=False, observed=True).agg(
        product=("product", "first"),
        mobile_only=("mobile_only", "any"),
        zmo_eligible=("zmo_eligible", "all"),
        min_client_version=("min_client_version", newest),
    )
    facts["product"] = facts["product"].astype(str)
    return facts


def _in_force(run: Run, tables: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """feature_id -> per user: some switch of the feature is in force (effective settings)."""
    from zoomai.tenants.effective import features_in_force

    return features_in_force(Tenant(**tables, usage=coerce("usage", [])), feature_facts().index)


def available(run: Run, tables: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """feature_id -> per user: the user can use the feature (see the module docstring)."""
    users = tables["users"]
    info = run.profile.tenant
    organiser = run.rng("organisers").random(len(users)) < run.profile.population.event_organiser_share
    product_ok = {"Phone": users["site_id"].notna().to_numpy(), "Events": organiser}
    return usable_features(
        users, _in_force(run, tables), zmo_only(info.zmo_enabled, info.hosting_region), product_ok
    )


def zmo_only(zmo_enabled: bool, hosting_region: str) -> bool:
    """Only ZMO-eligible features run: ZMO chosen, or hosting outside the US (policy facts)."""
    policy = load_policy()
    outside_us = hosting_region != policy.value("us_hosting_region")
    return zmo_enabled or (bool(policy.value("non_us_hosting_zmo_only")) and outside_us)


def usable_features(
    users: pd.DataFrame,
    in_force: dict[str, np.ndarray],
    zmo_only: bool,
    product_ok: Mapping[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """feature_id -> per user: in force, the product available to the user (`product_ok`, by
    product), mobile-only features on mobile users only, and ZMO eligible where only ZMO runs."""
    mobile = (users["platform"] == "mobile").to_numpy()
    out = {}
    for fid, f in feature_facts().iterrows():
        ok = in_force[fid] & product_ok.get(f["product"], True)
        if f["mobile_only"]:
            ok = ok & mobile
        if zmo_only and not f["zmo_eligible"]:
            ok = np.zeros(len(users), dtype=bool)
        out[fid] = ok
    return out


def _day_table(run: Run) -> np.ndarray:
    """A lookup table of DAY_TABLE_SIZE day indices in which each day of the run appears in
    proportion to its weight (weekdays 1, weekend days WEEKEND_WEIGHT): table[uniform int] draws
    a day far faster than a weighted choice."""
    days = pd.date_range(run.start, run.end, inclusive="left")
    weights = np.where(days.day_of_week < 5, 1.0, WEEKEND_WEIGHT)
    exact = weights / weights.sum() * DAY_TABLE_SIZE
    counts = np.floor(exact).astype(np.int64)
    short = DAY_TABLE_SIZE - counts.sum()
    counts[np.argsort(counts - exact, kind="stable")[:short]] += 1  # largest remainders
    return np.repeat(np.arange(len(days), dtype=np.int64), counts)


def _times(rng: np.random.Generator, run: Run, n: int) -> np.ndarray:
    """n times (whole seconds since the start) in local office hours 8-18 (peaking mid-day),
    kept inside the run's period."""
    day = _day_table(run)[rng.integers(0, DAY_TABLE_SIZE, n)]
    hours = 8 + 5 * (rng.random(n) + rng.random(n)) - run.profile.tenant.utc_offset
    seconds = day * 86_400 + (hours * 3600).astype(np.int64)
    return np.clip(seconds, 0, (run.end - run.start).days * 86_400 - 1)


def _time_order(seconds: np.ndarray) -> np.ndarray:
    """The permutation that sorts by time, ties by position. Sorting unique int64 keys gives the
    same result with any sort algorithm, so it is reproducible across machines."""
    bits = max(int(len(seconds)).bit_length(), 1)
    if bits + 30 > 63:
        raise ZoomaiError(f"too many activities to order ({len(seconds):,})")
    keys = ((seconds - seconds.min(initial=0)) << bits) | np.arange(len(seconds), dtype=np.int64)
    return np.sort(keys) & ((1 << bits) - 1)


def _uses(
    rng: np.random.Generator,
    n: int,
    user: np.ndarray,
    recorded: np.ndarray,
    probs: dict[str, float],
    avail: dict[str, np.ndarray],
) -> list[np.ndarray]:
    """Per feature, which of the n activities use it: available to the user, drawn with its
    probability, and (smart recordings) only in recorded meetings."""
    return [
        avail[f][user] & _bernoulli(rng, p, n) & (recorded if f in NEEDS_RECORDING else True)
        for f, p in probs.items()
    ]


def _kind_usage(
    run: Run, kind: str, spec: ActivityBase, avail: dict[str, np.ndarray], weight: np.ndarray
) -> dict[str, np.ndarray] | None:
    """Usage columns of one activity kind (activity index local to the kind), sorted by time.

    Activities per user are Poisson with mean per_user_week x weeks x the user's activity weight;
    activities in which no feature is used are dropped before anything else is drawn for them.
    """
    uses = {f: getattr(spec.features, short_name(f)) for f in ACTIVITIES[kind]}
    uses = {f: u for f, u in uses.items() if u is not None and u.use > 0}
    if not uses or spec.per_user_week == 0:
        return None
    rng = run.rng(f"usage-{kind}{run.usage_stream}")
    eligible = np.logical_or.reduce([avail[f] for f in uses])
    mean = spec.per_user_week * (run.end - run.start).days / 7 * weight * eligible
    user = np.repeat(np.arange(len(weight), dtype=np.int32), rng.poisson(mean))
    recorded = _bernoulli(rng, spec.recorded_share, len(user))
    columns = _uses(rng, len(user), user, recorded, {f: u.use for f, u in uses.items()}, avail)
    any_use = columns[0].copy()
    for column in columns[1:]:
        any_use |= column
    keep = np.flatnonzero(any_use)
    time = _times(rng, run, len(keep))
    order = _time_order(time)
    keep, time = keep[order], time[order]
    used = np.stack([column[keep] for column in columns], axis=1)
    del columns, any_use
    act, fj = np.nonzero(used)  # row-major: by activity, then feature
    internal, external = _participants(rng, spec, len(keep))
    codes = np.array([feature_facts().index.get_loc(f) for f in uses], dtype=np.int8)
    return dict(
        activity=act.astype(np.int64),
        user=user[keep][act],
        feature=codes[fj],
        time=(time * 1000 + run.start.value // 1_000_000)[act],
        internal=internal[act],
        external=external[act],
        shared=_bernoulli(rng, np.array([u.shared for u in uses.values()])[fj], len(act)),
        recorded=recorded[keep][act],
        activities=np.int64(len(keep)),
    )


def _participants(rng: np.random.Generator, spec: ActivityBase, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Internal participants (the user included) and external ones of n activities."""
    internal = 1 + _counts(rng, spec.internal, n)
    external = np.zeros(n, dtype=np.int32)
    present = np.flatnonzero(_bernoulli(rng, spec.external_share, n))
    external[present] = _external(rng, spec.external, len(present))
    return internal, external


def _external(rng: np.random.Generator, spec: Participants, n: int) -> np.ndarray:
    """External counts when externals are present: at least one, mean `spec.mean`."""
    rest = Participants(mean=max(spec.mean - 1, 0), dispersion=spec.dispersion, max=max(spec.max - 1, 0))
    return 1 + _counts(rng, rest, n)


def _usage(
    run: Run, tables: dict[str, pd.DataFrame], avail: dict[str, np.ndarray] | None = None
) -> pd.DataFrame:
    """The usage table: one row per use, ordered by activity kind, then time."""
    users = tables["users"]
    avail = available(run, tables) if avail is None else avail
    spread = run.profile.population.activity_spread
    weight = run.rng("activity-weight").gamma(spread, 1 / spread, len(users))
    parts, offset = [], 0
    for kind in ACTIVITIES:
        spec = getattr(run.profile.activity, kind)
        cols = _kind_usage(run, kind, spec, avail, weight) if spec else None
        if cols:
            cols["activity"] += offset
            offset += int(cols.pop("activities"))
            parts.append(cols)
    return _usage_frame(run, users, parts)


_USAGE_COLUMNS = {
    "activity": np.int64,
    "user": np.int32,
    "feature": np.int8,
    "time": np.int64,
    "internal": np.int32,
    "external": np.int32,
    "shared": bool,
    "recorded": bool,
}


def _take_column(parts: list[dict[str, np.ndarray]], key: str) -> np.ndarray:
    """One column of all parts, concatenated; the parts' arrays are dropped to save memory."""
    return np.concatenate([p.pop(key) for p in parts] or [np.array([])]).astype(
        _USAGE_COLUMNS[key], copy=False
    )


def _usage_frame(run: Run, users: pd.DataFrame, parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """The usage DataFrame (usage table dtypes) from the activity kinds' columns."""
    facts = feature_facts()
    products = list(dict.fromkeys(facts["product"]))
    product_of = np.array([products.index(p) for p in facts["product"]], dtype=np.int8)
    feature = _take_column(parts, "feature")
    n = len(feature)

    def counts(key: str) -> pd.arrays.IntegerArray:
        return pd.arrays.IntegerArray(_take_column(parts, key), np.zeros(n, dtype=bool))

    frame = pd.DataFrame(
        {
            "tenant_id": pd.Categorical.from_codes(np.zeros(n, np.int8), categories=[run.tenant_id]),
            "activity_id": _take_column(parts, "activity"),
            "user_id": pd.Categorical.from_codes(
                _take_column(parts, "user"), categories=users["user_id"].astype(str)
            ),
            "product": pd.Categorical.from_codes(product_of[feature], categories=products),
            "feature_id": pd.Categorical.from_codes(feature, categories=list(facts.index)),
            "time": pd.Series(_take_column(parts, "time").view("datetime64[ms]")).dt.tz_localize("UTC"),
            "internal_participants": counts("internal"),
            "external_participants": counts("external"),
            "output_shared": _take_column(parts, "shared"),
            "recorded": _take_column(parts, "recorded"),
            "source": pd.Categorical.from_codes(
                np.full(n, USAGE_SOURCES.index("simulated"), np.int8), categories=USAGE_SOURCES
            ),
        }
    )
    return coerce("usage", frame)


# --- Entry points --------------------------------------------------------------------------------


def _profile(profile: Profile | str) -> Profile:
    if isinstance(profile, Profile):
        return profile
    profiles = load_profiles()
    if profile not in profiles:
        raise ZoomaiError(f"unknown profile {profile!r}; profiles: {', '.join(profiles)}")
    return profiles[profile]


def _run(
    profile: Profile | str,
    seed: int,
    users: int | None,
    months: int | None,
    start: str,
    tenant_id: str | None,
) -> Run:
    """Check the arguments (ZoomaiError on a bad one) and fix the run's parameters."""
    p = _profile(profile)
    users = p.population.users if users is None else users
    months = p.population.months if months is None else months
    tenant_id = p.id if tenant_id is None else tenant_id
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ZoomaiError(f"--seed must be a whole number >= 0, got {seed!r}")
    if isinstance(users, bool) or not isinstance(users, int) or users < 1:
        raise ZoomaiError(f"--users must be a whole number >= 1, got {users!r}")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise ZoomaiError(f"--months must be a whole number from 1 to {MAX_MONTHS}, got {months!r}")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", tenant_id):
        raise ZoomaiError(f"--tenant-id must be letters, digits, '_' or '-', got {tenant_id!r}")
    try:
        day = date.fromisoformat(start)
    except (TypeError, ValueError):
        raise ZoomaiError(f"--start must be a date YYYY-MM-DD, got {start!r}") from None
    run = Run(p, seed, users, months, pd.Timestamp(day), tenant_id)
    try:  # usage times are nanosecond timestamps in the analysis: 1677-09-22 to 2262-04-11
        fits = pd.Timestamp.min <= run.start and run.end <= pd.Timestamp.max
    except (OverflowError, ValueError):  # pandas' OutOfBoundsDatetime is a ValueError
        fits = False
    if not fits:
        raise ZoomaiError(
            f"--start {start} with --months {months}: usage must lie between "
            f"{pd.Timestamp.min:%Y-%m-%d} and {pd.Timestamp.max:%Y-%m-%d}"
        )
    return run


def simulate_tenant(
    profile: Profile | str,
    seed: int,
    users: int | None = None,
    months: int | None = None,
    start: str = "2026-01-01",
    tenant_id: str | None = None,
    check: bool = True,
) -> Tenant:
    """A simulated tenant from a profile (or profile id). `users`/`months` override the profile's
    sizes; `tenant_id` defaults to the profile id. `check=False` skips the pandera validation
    (save_tenant validates anyway)."""
    run = _run(profile, seed, users, months, start, tenant_id)
    tables = {"tenants": _tenants(run), "groups": _groups(run), "sites": _sites(run), "users": _users(run)}
    tables["settings"] = _settings(run, tables["users"])
    tables["usage"] = _usage(run, tables)
    tenant = Tenant(**tables)
    return validate(tenant) if check else tenant


def provenance(
    profile: str,
    seed: int,
    tenant: Tenant,
    start: str,
    months: int,
    usage_rows: int | None = None,
    usage_drawn: str | None = None,
) -> str:
    """simulation.json: how the tenant was made (no wall-clock time, so it is reproducible).
    `usage_drawn`: "monthly" where the usage was simulated one month at a time."""
    meta = dict(
        profile=profile,
        seed=seed,
        users=len(tenant.users),
        months=months,
        start=start,
        usage_rows=len(tenant.usage) if usage_rows is None else usage_rows,
        generator="zoomai.tenants.simulate",
        **({"usage_drawn": usage_drawn} if usage_drawn else {}),
    )
    return json.dumps(meta, indent=2, sort_keys=True) + "\n"


def write_simulated(
    folder: Path | str,
    profile: Profile | str,
    seed: int,
    users: int | None = None,
    months: int | None = None,
    start: str = "2026-01-01",
    tenant_id: str | None = None,
    monthly: bool = False,
) -> Path:
    """Simulate one tenant and save it (Parquet tables + simulation.json) to `folder`.

    `monthly`: for tenants larger than memory, the usage is simulated one month at a time
    (each month from its own random streams, so not the usage of the whole-period simulation)
    and saved as monthly partitions as it comes; memory then holds one month's usage."""
    run = _run(profile, seed, users, months, start, tenant_id)
    if not monthly:
        tenant = simulate_tenant(run.profile, seed, run.users, run.months, start, run.tenant_id, check=False)
        meta = provenance(run.profile.id, seed, tenant, start, run.months)
        return save_tenant(tenant, folder, extra_files={"simulation.json": meta})
    tables = {"tenants": _tenants(run), "groups": _groups(run), "sites": _sites(run), "users": _users(run)}
    tables["settings"] = _settings(run, tables["users"])
    tenant = Tenant(**tables, usage=coerce("usage", []))
    rows = [0]

    def months_of_usage() -> Iterator[pd.DataFrame]:
        avail, offset = available(run, tables), 0
        for m in range(run.months):
            month_start = run.start + pd.DateOffset(months=m)
            month = replace(run, months=1, start=month_start, usage_stream=f"-month-{m}")
            usage = _usage(month, tables, avail)
            usage["activity_id"] += offset
            offset = int(usage["activity_id"].max()) + 1 if len(usage) else offset
            rows[0] += len(usage)
            yield usage

    def meta() -> str:  # after the usage is written: its rows are known
        return provenance(run.profile.id, seed, tenant, start, run.months, rows[0], "monthly")

    return save_tenant(tenant, folder, extra_files={"simulation.json": meta}, usage_parts=months_of_usage())


def simulate_bundled(out_dir: Path | str, seed: int) -> list[Path]:
    """Every profile at its own size, saved to out_dir/<profile id>/."""
    return [write_simulated(Path(out_dir) / pid, pid, seed) for pid in load_profiles()]


# A portfolio: many small tenants, the profiles in turn (contrasting settings, regions, products),
# sizes in turn from PORTFOLIO_USERS, one month of usage each: enough to exercise a report
# suite over many tenants (e.g. on a cluster) in little time.
PORTFOLIO_USERS = (12, 20, 30, 45)
PORTFOLIO_MONTHS = 1
MAX_PORTFOLIO = 10_000
PORTFOLIO_FILE = "portfolio.json"


def is_portfolio_folder(path: Path) -> bool:
    """A folder `simulate_portfolio` wrote: it holds portfolio.json."""
    return (path / PORTFOLIO_FILE).is_file()


def portfolio_members(n: int, seed: int) -> list[dict[str, int | str]]:
    """The tenants of a portfolio of `n`: tenant id, profile, users and seed of each (tenant i
    uses profile i mod P, size i mod len(PORTFOLIO_USERS) and seed `seed` + i)."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_PORTFOLIO:
        raise ZoomaiError(f"--portfolio must be a whole number from 1 to {MAX_PORTFOLIO}, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ZoomaiError(f"--seed must be a whole number >= 0, got {seed!r}")
    profiles = list(load_profiles())
    width = max(3, len(str(n)))
    return [
        {
            "tenant_id": f"t{i + 1:0{width}d}_{profiles[i % len(profiles)]}",
            "profile": profiles[i % len(profiles)],
            "users": PORTFOLIO_USERS[i % len(PORTFOLIO_USERS)],
            "seed": seed + i,
        }
        for i in range(n)
    ]


def simulate_portfolio(out_dir: Path | str, n: int, seed: int, start: str = "2026-01-01") -> list[Path]:
    """`n` small contrasting tenants (see portfolio_members), each in out_dir/<tenant id>/,
    with portfolio.json listing them. The folder is written as a whole (atomically) and
    replaces only an empty folder or an earlier portfolio. Same n and seed, same files."""
    members = portfolio_members(n, seed)
    out_dir = Path(out_dir)
    meta = {"generator": "zoomai.tenants.simulate", "months": PORTFOLIO_MONTHS, "start": start}
    meta["tenants"] = members
    with replace_folder(out_dir, is_portfolio_folder, what="portfolio folder") as tmp:
        for m in members:
            write_simulated(
                tmp / m["tenant_id"],
                m["profile"],
                m["seed"],
                m["users"],
                PORTFOLIO_MONTHS,
                start,
                m["tenant_id"],
            )
        (tmp / PORTFOLIO_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", "utf-8")
    return [out_dir / m["tenant_id"] for m in members]


# --- Command line ------------------------------------------------------------------------------
