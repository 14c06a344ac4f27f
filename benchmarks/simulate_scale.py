"""Scale benchmark: simulate, save and load one large tenant; compare with writing Parquet alone.

    .venv/bin/python benchmarks/simulate_scale.py --users 100000 --months 12

Prints usage rows, simulation seconds and rows/second, save and load seconds, peak memory
(ru_maxrss), and the ratio of simulation time to the peer: building an Arrow table with the
usage schema and the same row count from ready numpy arrays and writing it with
`pyarrow.parquet.write_table`, timed in the same process.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from zoomai.tenants.simulate import DEFAULT_PROFILE, simulate_tenant
from zoomai.tenants.tables import load_tenant, save_tenant


def peer_write(n: int, users: int, folder: Path) -> float:
    """Seconds to build an Arrow table of the usage schema with n rows and write it to Parquet."""
    ids = np.arange(n, dtype=np.int64)
    arrays = {
        "tenant_id": pa.DictionaryArray.from_arrays(np.zeros(n, np.int8), pa.array(["peer"])),
        "activity_id": ids,
        "user_id": pa.DictionaryArray.from_arrays(
            (ids % users).astype(np.int32), pa.array([f"peer.u{i:06d}" for i in range(users)])
        ),
        "product": pa.DictionaryArray.from_arrays(
            (ids % 7).astype(np.int8), pa.array([f"p{i}" for i in range(7)])
        ),
        "feature_id": pa.DictionaryArray.from_arrays(
            (ids % 20).astype(np.int8), pa.array([f"f{i}" for i in range(20)])
        ),
        "time": (1_767_225_600_000 + ids * 1000).astype("datetime64[ms]"),
        "internal_participants": (ids % 9).astype(np.int32),
        "external_participants": (ids % 3).astype(np.int32),
        "output_shared": ids % 2 == 0,
        "recorded": ids % 5 == 0,
        "source": pa.DictionaryArray.from_arrays(
            np.full(n, 2, np.int8), pa.array(["observed", "estimated", "simulated"])
        ),
    }
    start = time.perf_counter()
    table = pa.table({k: pa.array(v) if isinstance(v, np.ndarray) else v for k, v in arrays.items()})
    table = table.set_column(5, "time", table["time"].cast(pa.timestamp("ms", tz="UTC")))
    pq.write_table(table, folder / "peer.parquet", compression="zstd")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--profile", default=DEFAULT_PROFILE)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="zoomai-scale-"))
    try:
        start = time.perf_counter()
        tenant = simulate_tenant(args.profile, args.seed, users=args.users, months=args.months, check=False)
        sim = time.perf_counter() - start
        rows = len(tenant.usage)

        start = time.perf_counter()
        save_tenant(tenant, tmp / "tenant")
        save = time.perf_counter() - start
        size = sum(p.stat().st_size for p in (tmp / "tenant").iterdir())
        del tenant

        start = time.perf_counter()
        loaded = load_tenant(tmp / "tenant")
        load = time.perf_counter() - start
        assert len(loaded.usage) == rows
        del loaded

        peer = peer_write(rows, args.users, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_text = f"{args.users:,} users x {args.months} months, seed {args.seed}"
    print(f"profile                {args.profile}, {size_text}")
    print(f"usage rows             {rows:,}")
    print(f"simulation             {sim:.1f} s  ({rows / sim:,.0f} rows/s)")
    print(f"save (validate+write)  {save:.1f} s  ({size / 1e6:,.0f} MB on disk)")
    print(f"load (read+validate)   {load:.1f} s")
    print(f"peak memory (maxrss)   {peak_mb:,.0f} MB")
    print(f"peer: arrow build+write of {rows:,} rows  {peer:.1f} s")
    print(f"simulation / peer      {sim / peer:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
