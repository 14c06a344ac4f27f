"""Portfolios: `zoomai simulate --portfolio N` (small contrasting tenants, deterministic) and
portfolio-level exposure (every tenant under every configuration, one table) on both backends."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import run_cli

from zoomai.analysis.configurations import load_configurations
from zoomai.analysis.exposure import compare
from zoomai.analysis.portfolio import PORTFOLIO_COLUMNS, expand_tenants, portfolio_exposure
from zoomai.tenants.simulate import PORTFOLIO_USERS, load_profiles, simulate_portfolio
from zoomai.tenants.tables import load_tenant


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory):
    """A portfolio of 3 tenants (the first three profiles, 12, 20 and 30 users)."""
    folder = tmp_path_factory.mktemp("portfolio") / "p"
    simulate_portfolio(folder, 3, seed=5)
    return folder


def test_portfolio_tenants_are_small_contrasting_and_deterministic(portfolio, tmp_path):
    profiles = list(load_profiles())
    meta = json.loads((portfolio / "portfolio.json").read_text())
    # tenant i: profile i mod P, users PORTFOLIO_USERS[i mod 4], seed 5 + i
    assert meta["tenants"] == [
        {"tenant_id": f"t00{i + 1}_{profiles[i]}", "profile": profiles[i], "users": u, "seed": 5 + i}
        for i, u in enumerate(PORTFOLIO_USERS[:3])
    ]
    regions = set()
    for m in meta["tenants"]:
        t = load_tenant(portfolio / m["tenant_id"])
        assert (t.tenant_id, len(t.users)) == (m["tenant_id"], m["users"])
        assert t.usage["time"].min() >= pd.Timestamp("2026-01-01", tz="UTC")
        assert t.usage["time"].max() < pd.Timestamp("2026-02-01", tz="UTC")  # one month
        regions.add(str(t.info["hosting_region"]))
    assert len(regions) > 1  # contrasting: the second profile is EU-hosted
    # the same n and seed: byte-identical files, through the command line too
    code, out, err = run_cli("simulate", "--portfolio", "3", "--seed", "5", "--out", tmp_path / "again")
    assert code == 0, err
    assert out.splitlines() == [str(tmp_path / "again" / m["tenant_id"]) for m in meta["tenants"]]
    for path in sorted(portfolio.rglob("*")):
        if path.is_file():
            assert (tmp_path / "again" / path.relative_to(portfolio)).read_bytes() == path.read_bytes(), path
    # an earlier portfolio is replaced as a whole
    code, _, err = run_cli("simulate", "--portfolio", "2", "--seed", "5", "--out", tmp_path / "again")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == [
        "portfolio.json",
        *(m["tenant_id"] for m in meta["tenants"][:2]),
    ]


@pytest.fixture(params=["pool", "dask"])
def cluster(request) -> str | None:
    return None if request.param == "pool" else request.getfixturevalue("dask_scheduler")


def test_portfolio_exposure_is_each_tenant_compared(portfolio, cluster):
    """One row per (tenant, configuration), tenants in the order given, each tenant's rows
    exactly what `compare` gives for it alone (the same analysis, one task per tenant)."""
    tenants = expand_tenants([str(portfolio), "eu_company_zmo"])
    assert tenants == [str(p) for p in sorted(portfolio.iterdir()) if p.is_dir()] + ["eu_company_zmo"]
    table = portfolio_exposure(tenants, ["default", "hardened"], cluster=cluster, workers=2)
    assert list(table.columns) == PORTFOLIO_COLUMNS
    assert len(table) == 4 * 2
    expected = pd.concat(
        [compare(load_tenant(t), ["default", "hardened"]) for t in tenants], ignore_index=True
    )[PORTFOLIO_COLUMNS]
    pd.testing.assert_frame_equal(table, expected)
    assert (table.groupby("tenant_id")["pareto"].any()).all()  # each tenant has an efficient one


def test_portfolio_command_defaults_to_every_preset(portfolio):
    code, out, err = run_cli("portfolio", portfolio, "--format", "json", "--workers", "1")
    assert code == 0, err
    rows = json.loads(out)
    presets = list(load_configurations())
    assert [(r["tenant_id"], r["configuration"]) for r in rows] == [
        (p.name, c) for p in sorted(portfolio.iterdir()) if p.is_dir() for c in presets
    ]
