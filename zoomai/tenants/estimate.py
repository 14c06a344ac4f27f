"""Estimated usage: a stated usage model (data/usage_models.yaml, or an analyst's YAML of the same
shape) applied to a real tenant's users and their effective settings, rows with source =
estimated. Deterministic: same tenant, model and seed give the same rows.

A user makes `uses_per_user_week x weeks` uses of each feature they can use (`usable_features`:
in force, the product available, mobile-only on mobile, ZMO eligible where only ZMO runs); the
fraction of a use is drawn for the seed. Of a feature's uses, exactly round(external_share x uses)
have external participants and round(shared_share x uses) are shared, which ones drawn for the
seed. Each use is one activity. Features with observed usage evidence are left out (`skip`).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from zoomai.core.errors import ZoomaiError
from zoomai.core.paths import data_file
from zoomai.core.yamlio import load_model
from zoomai.facts.matrix import load_feature_matrix
from zoomai.tenants.effective import features_in_force
from zoomai.tenants.simulate import Share, Strict, feature_facts, rng_for, usable_features, zmo_only
from zoomai.tenants.tables import USAGE_SOURCES, Tenant, coerce

MAX_WEEKS = 260
MODEL_COLUMNS = [
    "feature_id",
    "product",
    "feature",
    "uses_per_user_week",
    "internal_participants",
    "external_share",
    "external_participants",
    "shared_share",
    "basis",
]


class FeatureRate(Strict):
    """How one feature is used by a user who has it."""

    uses_per_user_week: float = Field(ge=0, le=1000)
    internal_participants: int = Field(ge=1, le=100_000, description="The user included.")
    external_share: float = Share()
    external_participants: int = Field(ge=0, le=100_000)
    shared_share: float = Share()
    basis: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _externals(self) -> FeatureRate:
        if self.external_share > 0 and self.external_participants == 0:
            raise ValueError("external_share above 0 needs external_participants of at least 1")
        return self


class UsageModel(Strict):
    """A usage model: the analyst's file holds one, data/usage_models.yaml a list with ids."""

    id: str = Field(default="custom", pattern=r"^[a-z0-9_]+$")
    description: str = Field(min_length=1)
    start: date
    weeks: int = Field(ge=1, le=MAX_WEEKS)
    basis: str = Field(min_length=1)
    features: dict[str, FeatureRate] = Field(min_length=1)

    @field_validator("features")
    @classmethod
    def _known_features(cls, value: dict[str, FeatureRate]) -> dict[str, FeatureRate]:
        known = list(feature_facts().index)
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(f"unknown feature_id {unknown[0]!r}; expected one of {', '.join(known)}")
        return value


class ModelsFile(Strict):
    models: list[UsageModel] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ModelsFile:
        ids = [m.id for m in self.models]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate model ids in {ids}")
        return self


@cache
def bundled_models() -> dict[str, UsageModel]:
    """The named models of data/usage_models.yaml."""
    return {m.id: m for m in load_model(data_file("usage_models.yaml"), ModelsFile).models}


def load_usage_model(spec: str | Path) -> UsageModel:
    """A bundled model by id, or an analyst's YAML file of one model (validated; DataError with
    the line of a wrong field)."""
    models = bundled_models()
    if str(spec) in models:
        return models[str(spec)]
    path = Path(spec)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        return load_model(path, UsageModel)
    raise ZoomaiError(f"{spec}: not a usage model id nor a YAML file; bundled models: {', '.join(models)}")


def model_table(model: UsageModel) -> pd.DataFrame:
    """The model's assumptions, one row per feature (MODEL_COLUMNS); `basis` is the feature's
    own basis or the model's."""
    facts = feature_facts()
    rows = [
        {
            "feature_id": fid,
            "product": facts.loc[fid, "product"],
            "feature": _feature_name(fid),
            **rate.model_dump(exclude={"basis"}),
            "basis": rate.basis or model.basis,
        }
        for fid, rate in model.features.items()
    ]
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def _feature_name(feature_id: str) -> str:
    m = load_feature_matrix()
    return str(m.loc[m["feature_id"] == feature_id, "feature"].iloc[0])


def _exact_share(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """n booleans, exactly round(share x n) of them true, which ones drawn."""
    out = np.zeros(n, dtype=bool)
    out[rng.permutation(n)[: int(round(share * n))]] = True
    return out


def estimate_usage(
    tenant: Tenant, model: UsageModel, seed: int, skip: frozenset[str] = frozenset(), first_activity: int = 0
) -> pd.DataFrame:
    """Estimated usage rows (the usage table's columns, source = estimated) of a single tenant
    under `model`, for the features of the model not in `skip` (features with observed usage).
    Activity ids start at `first_activity`, so they never meet observed ones."""
    users, info = tenant.users, tenant.info
    facts = feature_facts()
    in_force = features_in_force(tenant, facts.index)
    product_ok = {"Phone": users["site_id"].notna().to_numpy()}
    can_use = usable_features(
        users, in_force, zmo_only(bool(info["zmo_enabled"]), info["hosting_region"]), product_ok
    )
    start = pd.Timestamp(model.start, tz="UTC")
    period_ms = model.weeks * 7 * 86_400_000
    parts = []
    for fid, rate in model.features.items():
        if fid in skip:
            continue
        rng = rng_for(seed, str(info["tenant_id"]), f"estimate-{fid}")
        who = np.flatnonzero(can_use[fid])
        expected = rate.uses_per_user_week * model.weeks
        whole, fraction = int(np.floor(expected)), expected - np.floor(expected)
        counts = whole + (rng.random(len(who)) < fraction)
        user = np.repeat(who, counts)
        n = len(user)
        if n == 0:
            continue
        external = _exact_share(rng, n, rate.external_share)
        parts.append(
            pd.DataFrame(
                {
                    "user_id": users["user_id"].to_numpy()[user],
                    "product": facts.loc[fid, "product"],
                    "feature_id": fid,
                    "time": start + pd.to_timedelta(np.sort(rng.integers(0, period_ms, n)) // 1000, unit="s"),
                    "internal_participants": rate.internal_participants,
                    "external_participants": np.where(external, rate.external_participants, 0),
                    "output_shared": _exact_share(rng, n, rate.shared_share),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["user_id"])
    frame = frame.assign(
        tenant_id=str(info["tenant_id"]),
        activity_id=np.arange(first_activity, first_activity + len(frame), dtype=np.int64),
        recorded=False,
        source=pd.Categorical(["estimated"] * len(frame), categories=USAGE_SOURCES),
    )
    return coerce("usage", frame)
