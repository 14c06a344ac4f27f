"""Partitioned benchmark: exposure of tenants stored in monthly Parquet partitions, read part
by part, at growing sizes; zoomai against DuckDB over the same Parquet files.

    .venv/bin/python benchmarks/partitioned_scale.py --rows 1000000,10000000,100000000 [--users 25000]

For each size a tenant (profile us_enterprise_defaults) is simulated one month at a time:
12 months with users scaled to the rows (a larger organisation), or with `--users N` that many
users and months scaled to the rows (a longer history: parts of the same size, growing in
number). It is saved as usage/month=YYYY-MM/ partitions as it comes
(zoomai.tenants.simulate.write_simulated(monthly=True)); then each engine runs in its own
child process, so each one's peak memory (exposure_scale.peak_mb) is its own:

- zoomai: zoomai.analysis.partitioned.analysis under the default configuration (the usage
  summarised file by file), then what_if with every candidate change and the retention
  inventory, each one more pass over the files;
- DuckDB: the same exposure aggregates in one SQL query over read_parquet of the partition
  files (hive partitioning), with the same small lookups (setting groups, flows).

Prints per size: time and time per row of each engine, the ratio zoomai / DuckDB (aim: at most
1), both peaks, whether the engines agree; then how time per row and peak memory grow from
the smallest size (aims: time linear, i.e. time per row about flat; peak memory from 10 to 100
million rows within 1.5x).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from exposure_scale import FIGURES, PEOPLE, exposure_sql, peak_mb, register_lookups

PROFILE = "us_enterprise_defaults"
ROWS_PER_USER = 394  # usage rows per user and year of the profile (7.9 million for 20,000 users)


def sizes(text: str) -> list[int]:
    try:
        values = [int(float(v)) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected row counts like 1000000,10000000; got {text!r}") from None
    if not values or min(values) < 1000:
        raise argparse.ArgumentTypeError(f"expected row counts >= 1000; got {text!r}")
    return values


def figures(table: pd.DataFrame) -> dict[str, int]:
    return {c: int(pd.to_numeric(table[c]).sum()) for c in FIGURES + PEOPLE}


def child(engine: str, folder: Path) -> dict:
    from zoomai.analysis import partitioned
    from zoomai.analysis.exposure import scenario
    from zoomai.tenants.tables import load_tenant

    out: dict = {"engine": engine}
    start = time.perf_counter()
    if engine == "zoomai":
        result = partitioned.analysis(folder, "default")
        out["seconds"] = time.perf_counter() - start
        out["peak_mb"] = peak_mb()
        out["rows"] = int(result.totals["uses"])
        out["figures"] = figures(result.exposure)
        start = time.perf_counter()
        partitioned.what_if(folder, "default")
        out["what_if_s"] = time.perf_counter() - start
        start = time.perf_counter()
        partitioned.retention_inventory(folder, "default")
        out["inventory_s"] = time.perf_counter() - start
        out["final_peak_mb"] = peak_mb()
        return out
    import duckdb

    con = duckdb.connect()
    sc = scenario(load_tenant(folder, usage=False), "default")
    users = pd.DataFrame(
        {"user_id": sc.tenant.users["user_id"].astype(str), "pos": np.arange(len(sc.user_group))}
    )
    features = pd.DataFrame({"feature_id": sc.features, "pos": np.arange(len(sc.features))})
    register_lookups(con, sc, users, features)
    files = (folder / "usage" / "*" / "*.parquet").as_posix()
    uses = (
        "SELECT activity_id, grp, f, output_shared AS shared,"
        " COALESCE(internal_participants, 0) AS i, COALESCE(external_participants, 0) AS e"
        f" FROM read_parquet('{files}', hive_partitioning = true)"
        " JOIN ug USING (user_id) JOIN feats USING (feature_id)"
    )
    table = con.execute(exposure_sql(sc, uses)).df()
    out.update(seconds=time.perf_counter() - start, peak_mb=peak_mb(), figures=figures(table))
    return out


def run_child(engine: str, folder: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", engine, "--folder", str(folder)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=sizes, default=[1_000_000, 10_000_000, 100_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--users", type=int, help="users of every tenant (months scaled to the rows); default: 12 months"
    )
    parser.add_argument("--child", choices=["zoomai", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.folder)))
        return 0
    from zoomai.tenants.simulate import MAX_MONTHS, write_simulated

    results, ok = [], True
    for rows in args.rows:
        tmp = Path(tempfile.mkdtemp(prefix="zoomai-partitioned-"))
        try:
            users = args.users or max(1, round(rows / ROWS_PER_USER))
            months = max(1, round(12 * rows / (users * ROWS_PER_USER))) if args.users else 12
            if months > MAX_MONTHS:
                sys.exit(
                    f"{rows:,} rows of {users:,} users: {months} months (at most {MAX_MONTHS}); raise --users"
                )
            start = time.perf_counter()
            write_simulated(tmp / "tenant", PROFILE, args.seed, users=users, months=months, monthly=True)
            made = time.perf_counter() - start
            z, d = run_child("zoomai", tmp / "tenant"), run_child("duckdb", tmp / "tenant")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        agree = z["figures"] == d["figures"]
        ok &= agree
        n = z["rows"]
        results.append((n, z, d))
        print(
            f"{n:,} usage rows ({users:,} users, {months} months, {PROFILE}, seed {args.seed};"
            f" simulated, saved: {made:.0f} s)"
        )
        print(
            f"  zoomai exposure   {z['seconds']:7.1f} s  {z['seconds'] / n * 1e6:6.2f} us/row"
            f"  peak {z['peak_mb']:6.0f} MB"
        )
        print(
            f"  zoomai what-if    {z['what_if_s']:7.1f} s   retention inventory {z['inventory_s']:.1f} s"
            f"   peak over all three {z['final_peak_mb']:.0f} MB"
        )
        print(
            f"  DuckDB exposure   {d['seconds']:7.1f} s  {d['seconds'] / n * 1e6:6.2f} us/row"
            f"  peak {d['peak_mb']:6.0f} MB"
        )
        print(
            f"  ratio zoomai / DuckDB {z['seconds'] / d['seconds']:.2f} (aim: <= 1); results agree: {agree}"
        )
        if not agree:
            print(f"  zoomai {z['figures']}\n  DuckDB {d['figures']}")
    if len(results) > 1:
        n0, z0, _ = results[0]
        print("growth from the smallest size (time per row ratio; peak memory ratio):")
        for n, z, _ in results[1:]:
            per_row = (z["seconds"] / n) / (z0["seconds"] / n0)
            print(
                f"  {n:,} rows: time per row x{per_row:.2f}; peak memory x{z['peak_mb'] / z0['peak_mb']:.2f}"
            )
        print(
            "aims: time per row about flat (linear time); peak memory within 1.5x from 10 to 100 million rows"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
