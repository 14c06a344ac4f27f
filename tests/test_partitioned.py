"""Usage partitioned by month (zoomai.tenants.tables) and the analyses read part by part
(zoomai.analysis.partitioned): the layout any Parquet reader takes, the same usage back, and
the same exposure, compare, what-if and retention inventory as the in-memory functions."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pytest
from conftest import tiny_tenant
from hypothesis import HealthCheck, given, settings
from test_properties import configurations, tenants

from zoomai.analysis import exposure as in_memory
from zoomai.analysis import partitioned
from zoomai.analysis.retention import retention_inventory
from zoomai.core.errors import DataError, ZoomaiError
from zoomai.tenants import tables
from zoomai.tenants.simulate import write_simulated
from zoomai.tenants.tables import load_tenant, save_tenant, usage_parts

USAGE_ORDER = ["activity_id", "user_id", "feature_id", "output_shared"]


def _rows(usage: pd.DataFrame) -> pd.DataFrame:
    """Usage in a fixed order, categoricals as text (to compare usage read back)."""
    out = usage.sort_values(USAGE_ORDER, kind="stable", ignore_index=True)
    return out.astype({c: str for c in ("tenant_id", "user_id", "product", "feature_id")})


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """us_enterprise_defaults (28,883 rows, 3 months) saved partitioned, 2,000 rows a file."""
    folder = tmp_path_factory.mktemp("partitioned") / "t"
    tenant = load_tenant("us_enterprise_defaults")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tables, "PARTITION_ROWS", 2000)
        save_tenant(tenant, folder, partitioned=True)
    return tenant, folder


def test_layout_is_hive_partitions_by_month(saved):
    tenant, folder = saved
    assert not (folder / "usage.parquet").exists()
    months = sorted(p.name for p in (folder / "usage").iterdir())
    expected = sorted(f"month={m}" for m in tenant.usage["time"].dt.strftime("%Y-%m").unique())
    assert months == expected
    # any Parquet reader: pyarrow's datasets and DuckDB, with the month from the folder names
    table = ds.dataset(folder / "usage", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == len(tenant.usage)
    frame = table.to_pandas()
    assert (frame["month"].astype(str) == frame["time"].dt.strftime("%Y-%m")).all()
    files = (folder / "usage" / "*" / "*.parquet").as_posix()
    count = duckdb.sql(f"SELECT COUNT(*) FROM read_parquet('{files}', hive_partitioning=true)").fetchall()
    assert count[0][0] == len(tenant.usage)


def test_files_hold_whole_activities(saved):
    tenant, folder = saved
    files = tables.partition_files(folder)
    seen = pd.concat(
        [pd.read_parquet(p, columns=["activity_id"]).drop_duplicates().assign(file=str(p)) for p in files]
    )
    assert seen["activity_id"].is_unique  # no activity in two files
    sizes = [len(pd.read_parquet(p, columns=["activity_id"])) for p in files]
    # at most 2,000 rows a file plus the rest of the last activity (at most 3 rows here)
    assert max(sizes) <= 2000 + 2 and len(files) >= len(tenant.usage) // 2002


def test_usage_reads_back_the_same(saved):
    tenant, folder = saved
    loaded = load_tenant(folder)
    pd.testing.assert_frame_equal(_rows(loaded.usage), _rows(tenant.usage))
    small = load_tenant(folder, usage=False)
    assert small.usage.empty and small.users.equals(loaded.users)
    parts = list(usage_parts(folder, small))
    assert len(parts) == len(tables.partition_files(folder))
    pd.testing.assert_frame_equal(_rows(pd.concat(parts)), _rows(tenant.usage))


def test_analyses_equal_in_memory(saved):
    tenant, folder = saved
    for config in ("default", "hardened"):
        pd.testing.assert_frame_equal(
            partitioned.exposure(folder, config), in_memory.exposure(tenant, config)
        )
    pd.testing.assert_frame_equal(
        partitioned.what_if(folder, "default"), in_memory.what_if(tenant, "default")
    )
    presets = ["default", "zmo", "zdr", "zmo_zdr", "hardened", "ai_off"]
    pd.testing.assert_frame_equal(
        partitioned.compare(folder, presets, bound="min"), in_memory.compare(tenant, presets, bound="min")
    )
    pd.testing.assert_frame_equal(partitioned.retention_inventory(folder), retention_inventory(tenant))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tenants(), configurations())
def test_partitioned_equals_in_memory_on_generated_tenants(tmp_path, tenant, config):
    folder = tmp_path / "generated"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tables, "PARTITION_ROWS", 2)  # a file per activity or two: many merges
        save_tenant(tenant, folder, partitioned=True)
    pd.testing.assert_frame_equal(partitioned.exposure(folder, config), in_memory.exposure(tenant, config))
    fast = partitioned.analysis(folder, config, bound="min").totals
    assert fast == in_memory.totals(tenant, config, bound="min").iloc[0].to_dict()


def test_tenant_without_usage(tmp_path):
    tenant = tiny_tenant()
    empty = tables.Tenant(**{**vars(tenant), "usage": tenant.usage.head(0)})
    save_tenant(empty, tmp_path / "t", partitioned=True)
    assert partitioned.exposure(tmp_path / "t").empty
    assert partitioned.analysis(tmp_path / "t").totals["uses"] == 0
    assert partitioned.retention_inventory(tmp_path / "t").empty


def test_monthly_simulation(tmp_path):
    # 40 users, 2 months, drawn a month at a time and saved as it comes
    a = write_simulated(tmp_path / "a", "us_enterprise_defaults", 3, users=40, months=2, monthly=True)
    b = write_simulated(tmp_path / "b", "us_enterprise_defaults", 3, users=40, months=2, monthly=True)
    files_a, files_b = tables.partition_files(a), tables.partition_files(b)
    assert [p.relative_to(a) for p in files_a] == [p.relative_to(b) for p in files_b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(files_a, files_b, strict=True))  # same seed
    usage = load_tenant(a).usage
    meta = json.loads((a / "simulation.json").read_text())
    assert meta["usage_rows"] == len(usage) > 0 and meta["usage_drawn"] == "monthly"
    assert [p.parent.name for p in files_a] == ["month=2026-01", "month=2026-02"]
    # activity ids continue from month to month: an activity's rows all lie in one month
    assert usage.groupby("activity_id")["time"].agg(lambda t: t.dt.month.nunique()).max() == 1


def test_activity_in_the_wrong_month_is_refused(saved, tmp_path):
    _, folder = saved
    tenant = load_tenant(folder, usage=False)
    bad = tmp_path / "bad"
    save_tenant(load_tenant(folder), bad, partitioned=True)
    first = tables.partition_files(bad)[0]
    frame = pd.read_parquet(first)
    moved = first.parent.parent / "month=2030-01"
    moved.mkdir()
    frame.to_parquet(moved / first.name)
    first.unlink()
    with pytest.raises(DataError, match="began in 2026-01, not in 2030-01") as err:
        list(usage_parts(bad, tenant))
    assert "month=2030-01" in str(err.value)


def test_unreadable_partition_names_the_file(tmp_path):
    save_tenant(tiny_tenant(), tmp_path / "t", partitioned=True)
    file = tables.partition_files(tmp_path / "t")[0]
    file.write_bytes(b"PAR1 not parquet")
    with pytest.raises(DataError, match="not a readable Parquet table") as err:
        load_tenant(tmp_path / "t")
    assert file.name in str(err.value)


def test_usage_given_twice_is_refused(tmp_path):
    tenant = tiny_tenant()
    with pytest.raises(ZoomaiError, match="usage given both"):
        save_tenant(tenant, tmp_path / "t", usage_parts=[tenant.usage])
