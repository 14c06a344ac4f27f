"""Exposure, compare, what-if and the retention inventory of a tenant folder read one usage
part at a time (zoomai.tenants.tables: usage/month=YYYY-MM/ partitions), for tenants larger
than memory: each partition file is summarised and the summaries merged (usage_summary), so
memory holds one file's rows and the small summary, however many rows the tenant has.

Each function takes a tenant folder (or bundled tenant id) of one tenant. The results equal
those of the in-memory functions (zoomai.analysis.exposure, zoomai.analysis.retention) on the
same tenant loaded whole (tested).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from zoomai.analysis import exposure as in_memory
from zoomai.analysis.configurations import Configuration
from zoomai.analysis.exposure import Result, analyse_summary, scenario
from zoomai.analysis.retention import INVENTORY_COLUMNS, inventory
from zoomai.analysis.usage_summary import MS_PER_DAY, Summariser, UsageSummary, merge, summarise
from zoomai.core.errors import ZoomaiError
from zoomai.tenants.tables import USAGE_SOURCES, Tenant, coerce, load_tenant, usage_parts


def summariser(spec: str | Path) -> Summariser:
    """The Summariser of a tenant folder: its usage read part by part (usage_parts)."""

    def make(tenant: Tenant, classes: np.ndarray, features: list[str], days: bool = False) -> UsageSummary:
        users = pd.Index(tenant.users["user_id"])  # looked up in for every part

        def one(part: pd.DataFrame) -> UsageSummary:
            return summarise(part, classes, users, features, tenant.tenant_id, days)

        parts = (one(part) for part in usage_parts(spec, tenant))
        return merge(itertools.chain([one(coerce("usage", []))], parts))  # no usage: still a summary

    return make


def _tenant(spec: str | Path) -> Tenant:
    return load_tenant(spec, usage=False)


def analysis(spec: str | Path, configuration: str | Configuration = "default", bound: str = "max") -> Result:
    """zoomai.analysis.exposure.analysis of a tenant folder, read part by part."""
    sc = scenario(_tenant(spec), configuration)
    summary = summariser(spec)(sc.tenant, sc.user_group, sc.features)
    return analyse_summary(sc, summary, bound=bound)


def exposure(spec: str | Path, configuration: str | Configuration = "default") -> pd.DataFrame:
    """zoomai.analysis.exposure.exposure of a tenant folder (EXPOSURE_COLUMNS)."""
    return analysis(spec, configuration).exposure


def compare(
    spec: str | Path,
    configurations: Sequence[str | Configuration] = ("default", "zmo", "zdr"),
    bound: str = "max",
) -> pd.DataFrame:
    """zoomai.analysis.exposure.compare of a tenant folder: one pass over its usage."""
    return in_memory.compare(_tenant(spec), configurations, bound, summariser=summariser(spec))


def what_if(spec: str | Path, base: str | Configuration = "default", bound: str = "max") -> pd.DataFrame:
    """zoomai.analysis.exposure.what_if of a tenant folder: one pass over its usage."""
    return in_memory.what_if(_tenant(spec), base, bound, summariser=summariser(spec))


def retention_inventory(
    spec: str | Path,
    configuration: str | Configuration = "default",
    days_after: int = in_memory.SCORE_HORIZON_DAYS,
) -> pd.DataFrame:
    """zoomai.analysis.retention.retention_inventory of a tenant folder (INVENTORY_COLUMNS)."""
    sc = scenario(_tenant(spec), configuration)
    summary = summariser(spec)(sc.tenant, sc.user_group, sc.features, days=True)
    if summary.rows == 0 or sc.flows.empty:
        return pd.DataFrame(columns=INVENTORY_COLUMNS)
    if len(summary.sources) > 1:
        raise ZoomaiError(
            f"{spec}: usage of several sources: load the tenant whole (zoomai.analysis.retention)"
        )
    first, created = summary.created(sc.user_group, len(sc.groups))
    day = pd.Timestamp(first * MS_PER_DAY, unit="ms", tz="UTC").as_unit("ms")  # as the usage times
    out = inventory(sc, day, created, days_after, summary.sources[0])
    return out.astype({"source": pd.CategoricalDtype(USAGE_SOURCES)})
