"""Retention over time: how much content each party holds on each day, and the worst-case
residency of each data category, for a tenant under a configuration.

Both assume every window runs to its maximum (the worst case the sources allow). Unbounded
windows (kept until deleted) and unknown ones (the sources do not say) are kept apart: an
unknown window is never shown as zero, nor as a number of days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from zoomai.analysis.configurations import Configuration
from zoomai.analysis.exposure import (
    SCORE_HORIZON_DAYS,
    Scenario,
    each_tenant,
    one_tenant,
    scenario,
    tenant_ids,
    usage_keys,
)
from zoomai.analysis.usage_summary import key_size
from zoomai.core.csvio import split_list
from zoomai.facts.factset import DEFAULT_FACTS, flow_inputs
from zoomai.facts.policy import UNBOUNDED, UNKNOWN
from zoomai.tenants.tables import USAGE_SOURCES, Tenant

INVENTORY_COLUMNS = ["tenant_id", "party", "party_kind", "window", "date", "records_held", "source"]
RESIDENCY_COLUMNS = [
    "tenant_id",
    "data_category",
    "records",
    "parties",
    "locations",
    "worst_window",
    "worst_max_days",
    "worst_parties",
]


def retention_inventory(
    tenant: Tenant,
    configuration: str | Configuration = "default",
    days_after: int = SCORE_HORIZON_DAYS,
    facts: str = DEFAULT_FACTS,
) -> pd.DataFrame:
    """Records each party holds on each day, from the first use until `days_after` days after
    the last; columns INVENTORY_COLUMNS. window: bounded (held from the day of use for the
    window's maximum days), unbounded (kept until deleted) or unknown (shown as still held,
    apart from unbounded). Auto-delete settings, provider windows and ZDR show as the drops.
    source: the usage the records come from (observed, estimated, simulated), one row each."""
    policy = flow_inputs(facts)[1]
    frames = []
    for tid in tenant_ids(tenant):
        sc = scenario(one_tenant(tenant, tid), configuration, policy=policy, facts=facts)
        usage = sc.tenant.usage
        if usage.empty or sc.flows.empty:
            continue
        day = usage["time"].dt.floor("D")
        first = day.min()
        day_index = (day - first).dt.days.to_numpy(dtype=np.int64)
        n_days = int(day_index.max()) + 1
        n_keys = len(sc.groups) * key_size(sc.features)
        rows = usage_keys(sc)
        for i, source in enumerate(USAGE_SOURCES):
            mine = rows.source == i
            if mine.any():
                created = np.bincount(rows.key[mine] * n_days + day_index[mine], minlength=n_keys * n_days)
                frames.append(inventory(sc, first, created.reshape(n_keys, n_days), days_after, source))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=INVENTORY_COLUMNS)
    return out.astype({"source": pd.CategoricalDtype(USAGE_SOURCES)})


def inventory(
    sc: Scenario, first: pd.Timestamp, created: np.ndarray, days_after: int, source: str
) -> pd.DataFrame:
    """The retention inventory of a scenario (INVENTORY_COLUMNS) from the uses of one usage
    source per usage key and day (`created`: keys x days, day 0 = `first`)."""
    flows = sc.flows
    n_days = created.shape[1] + days_after
    created = np.pad(created, ((0, 0), (0, days_after)))
    k0 = flows["k0"].to_numpy()
    made = created[flows["k1"].to_numpy()] + np.where((k0 >= 0)[:, None], created[np.maximum(k0, 0)], 0)
    total = np.cumsum(made, axis=1)
    lag = flows["retention_max_days"].fillna(0).to_numpy(dtype=np.int64)
    held = total.copy()
    for i in np.flatnonzero((flows["window"] == "bounded").to_numpy() & (lag < n_days)):
        held[i, lag[i] :] -= total[i, : n_days - lag[i]]  # held on days t .. t + max - 1
    frame = pd.DataFrame(held, index=pd.MultiIndex.from_frame(flows[["party", "party_kind", "window"]]))
    frame = frame.groupby(level=[0, 1, 2]).sum()
    frame.columns = pd.date_range(first, periods=n_days, freq="D")
    long = frame.stack().rename("records_held").reset_index()
    long.columns = ["party", "party_kind", "window", "date", "records_held"]
    return long.assign(tenant_id=sc.tenant_id, source=source)[INVENTORY_COLUMNS]


def residency(
    tenant: Tenant, configuration: str | Configuration = "default", facts: str = DEFAULT_FACTS
) -> pd.DataFrame:
    """Worst-case residency per tenant and data category, over the content actually held
    (records > 0); columns RESIDENCY_COLUMNS. parties/locations: '; '-joined, sorted;
    worst_window: unbounded, else unknown, else bounded (then worst_max_days is the longest
    window, else empty); worst_parties: the parties holding it that long."""
    frames = []
    for result in each_tenant(tenant, configuration, facts=facts):
        items = result.items[result.items["records"] > 0]
        items = items.assign(data_category=items["data_category"].map(split_list)).explode("data_category")
        rows = []
        for category, part in items.groupby("data_category", sort=True):
            windows = set(part["window"])
            worst = UNBOUNDED if UNBOUNDED in windows else UNKNOWN if UNKNOWN in windows else "bounded"
            if worst == "bounded":
                longest = int(part["retention_max_days"].max())
                holders = part[part["retention_max_days"] == longest]
            else:
                longest, holders = None, part[part["window"] == worst]
            rows.append(
                {
                    "tenant_id": result.totals["tenant_id"],
                    "data_category": category,
                    "records": int(part["records"].sum()),
                    "parties": "; ".join(sorted(set(part["party"]))),
                    "locations": "; ".join(sorted(set(part["location"]))),
                    "worst_window": worst,
                    "worst_max_days": longest,
                    "worst_parties": "; ".join(sorted(set(holders["party"]))),
                }
            )
        frames.append(pd.DataFrame(rows, columns=RESIDENCY_COLUMNS))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RESIDENCY_COLUMNS)
    return out.astype({"worst_max_days": "Int64"})
