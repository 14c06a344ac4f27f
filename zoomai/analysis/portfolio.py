"""Portfolio-level exposure: every tenant of a portfolio under every configuration, one table.

Each tenant is one task (load it, compare the configurations on it) run by the same backends
as the report suite (zoomai.core.cluster): worker processes of this machine, or a Dask cluster
whose workers see the tenant folders at the same paths.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from zoomai.analysis.configurations import Configuration, get_configuration, load_configurations
from zoomai.analysis.exposure import TOTAL_COLUMNS, compare
from zoomai.core.cluster import default_workers, open_workers
from zoomai.core.errors import ZoomaiError, display
from zoomai.core.paths import use_data_dir
from zoomai.facts.factset import DEFAULT_FACTS
from zoomai.tenants.tables import is_tenant_folder, load_tenant, resolve_tenant_path

# tenant_id, configuration, the totals of zoomai.analysis.exposure.totals, and `pareto`: efficient
# among the configurations for that tenant (exposure score against features available).
PORTFOLIO_COLUMNS = ["tenant_id", "configuration", *TOTAL_COLUMNS[1:], "pareto"]


def expand_tenants(specs: Sequence[str]) -> list[str]:
    """Tenants named on a command line: a bundled id or tenant folder stays as it is; a folder
    of tenant folders (a portfolio, e.g. from `zoomai simulate --portfolio`) gives its tenants."""
    out: list[str] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir() and not is_tenant_folder(path) and any(is_tenant_folder(p) for p in path.iterdir()):
            out += [str(p) for p in portfolio_tenants(path)]
        else:
            out.append(spec)
    return out


def portfolio_tenants(folder: Path | str) -> list[Path]:
    """The tenant folders directly under `folder` (each holding tenants.parquet), by name;
    ZoomaiError if `folder` is not a folder or holds none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ZoomaiError(f"{display(folder)}: not a folder")
    found = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and is_tenant_folder(p))
    if not found:
        raise ZoomaiError(f"{display(folder)}: no tenant folders in it (folders holding tenants.parquet)")
    return found


def _compare_one(
    tenant: str, configurations: list[Configuration], data: str | None, facts: str
) -> pd.DataFrame:
    """One task: a tenant compared under the configurations (in a worker)."""
    use_data_dir(data)
    return compare(load_tenant(tenant), configurations, facts=facts)


def portfolio_exposure(
    tenants: Sequence[str | Path],
    configurations: Sequence[str | Configuration] | None = None,
    cluster: str | None = None,
    workers: int | None = None,
    facts: str = DEFAULT_FACTS,
) -> pd.DataFrame:
    """Every tenant (bundled ids or folders) under every configuration (default: every preset),
    one row each; columns PORTFOLIO_COLUMNS, tenants in the order given. Runs one task per
    tenant on `workers` processes of the built-in pool, or on the Dask cluster `cluster`
    (`local` or `tcp://HOST:PORT`, see zoomai.core.cluster), under the fact set `facts`."""
    if not tenants:
        raise ZoomaiError("no tenants to analyse")
    names = list(load_configurations()) if configurations is None else list(configurations)
    configs = [get_configuration(c) if isinstance(c, str) else c for c in names]
    paths = [str(resolve_tenant_path(t).resolve()) for t in tenants]  # workers may run elsewhere
    count = min(workers or default_workers(), len(paths))
    with open_workers(cluster, count) as backend:
        data = os.environ.get("ZOOMAI_DATA")
        n = len(paths)
        frames = list(backend.executor.map(_compare_one, paths, [configs] * n, [data] * n, [facts] * n))
    return pd.concat(frames, ignore_index=True)[PORTFOLIO_COLUMNS]
