"""Cluster benchmark: the risk report of a portfolio on a Dask LocalCluster against the built-in pool.

    .venv/bin/python benchmarks/cluster_report.py [--tenants 60] [--workers 2] [--seed 7]

Simulates a portfolio of --tenants small tenants (`zoomai simulate --portfolio`) into a
temporary folder, then times `zoomai report --notebooks tenant_risk_report --config default`
over all of them (the same code path: zoomai.cli.main) twice in this process: on the built-in
pool of --workers processes (the peer), and with `--cluster local` on a LocalCluster of
--workers processes (cluster start-up and shut-down included). Checks that both give the same
headline figures, and prints both times and their ratio (cluster / pool; the aim is at most 1.1).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

from zoomai.cli import main as zoomai_main
from zoomai.tenants.simulate import simulate_portfolio


def report(
    tenants: list[Path], workers: int, out: Path, run_id: str, cluster: list[str]
) -> tuple[float, dict]:
    """Seconds for `zoomai report` of the risk report over the tenants, and its summary.json."""
    args = ["report", "--notebooks", "tenant_risk_report", "--config", "default"]
    args += ["--tenants", ",".join(map(str, tenants)), "--workers", str(workers)]
    args += ["--out", str(out), "--run-id", run_id, *cluster]
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = zoomai_main(args)
    elapsed = time.perf_counter() - start
    if code != 0:
        sys.exit(f"zoomai report ({run_id}) exited {code}")
    return elapsed, json.loads((out / run_id / "summary.json").read_text())


def figures(summary: dict) -> list:
    return [(r["tenant"], r["status"], r["summary"]) for r in summary["runs"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="zoomai-bench-") as tmp:
        tmp = Path(tmp)
        tenants = simulate_portfolio(tmp / "portfolio", args.tenants, args.seed)
        print(f"risk report x {len(tenants)} tenants, {args.workers} workers")
        t_pool, pool = report(tenants, args.workers, tmp / "reports", "pool", [])
        print(f"built-in pool:  {t_pool:7.1f} s  ({t_pool / len(tenants):.2f} s/run)")
        t_dask, dask = report(tenants, args.workers, tmp / "reports", "dask", ["--cluster", "local"])
        print(f"LocalCluster:   {t_dask:7.1f} s  ({t_dask / len(tenants):.2f} s/run)")
    if figures(dask) != figures(pool):
        sys.exit("the LocalCluster's headline figures differ from the pool's")
    print("headline figures: identical")
    print(f"ratio LocalCluster / pool: {t_dask / t_pool:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
