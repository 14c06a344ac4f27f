"""Exposure benchmark: about 10 million usage rows under all six presets, zoomai against DuckDB.

    .venv/bin/python benchmarks/exposure_scale.py --rows 10000000

Each engine runs in its own child process on the same simulated tenant (same profile and seed,
so identical data), so each one's peak memory (peak_mb) is its own. Per preset both get the
same prepared scenario (effective settings, setting groups and their flows: small, timed
apart) and compute the same aggregates from the usage rows: per (party, data category)
records, record-days, unbounded/unknown/cross-border records and people once per activity.
zoomai runs `zoomai.exposure.analyse`; DuckDB runs one SQL query over the usage DataFrame
(Arrow, zero copy) joined to the flows. The parent checks that both engines agree and prints
the times, the ratio zoomai / DuckDB (aim: at most 1) and both peaks.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

PRESETS = ["default", "zmo", "zdr", "zmo_zdr", "hardened", "ai_off"]
PROFILE = "startup_everything_on"
FIGURES = ["records", "record_days", "records_unbounded", "records_unknown", "cross_border_records"]
PEOPLE = ["people_internal", "people_external"]


def peak_mb() -> float:
    """This process's peak resident memory in MB: VmHWM where Linux gives it (the high-water
    mark of this program's own memory; ru_maxrss of a child also counts what its parent held
    when it forked), else ru_maxrss."""
    try:
        with open("/proc/self/status") as status:
            line = next(ln for ln in status if ln.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tenant_for(rows: int, seed: int):
    """A simulated tenant with at least `rows` usage rows (users scaled from a 200-user sample)."""
    from zoomai.tenants.simulate import simulate_tenant

    users, tenant = 200, None
    for _ in range(4):  # rows grow about linearly with users; a few corrections reach the target
        tenant = simulate_tenant(PROFILE, seed, users=users, months=12, check=False)
        if len(tenant.usage) >= rows:
            break
        users = max(users + 1, round(users * rows * 1.01 / max(len(tenant.usage), 1)))
    return tenant


def register_lookups(con, sc, users: pd.DataFrame, features: pd.DataFrame) -> None:
    """The small tables both engines read: `ug` (users' setting groups: `users` with a column
    of their positions in the users table, `pos`), `feats` (`features` with `pos`: position in
    sc.features) and `fl` (the flows, one row per usage key and data category)."""
    from zoomai.analysis.exposure import NO_BORDER
    from zoomai.core.csvio import split_list

    ug = users.assign(grp=sc.user_group[users.pop("pos").to_numpy()])
    feats = features.assign(f=features.pop("pos"))
    flows = sc.flows.assign(data_category=sc.flows["data_category"].map(split_list))
    flows = flows.explode("data_category", ignore_index=True)
    keyed = pd.concat(
        [flows.assign(key=flows["k1"]), flows[flows["k0"] >= 0].assign(key=flows["k0"])], ignore_index=True
    )
    keyed = keyed[["key", "party", "party_kind", "data_category", "window", "retention_max_days", "location"]]
    keyed = keyed.assign(
        days=keyed["retention_max_days"].astype("float64"),
        border=~keyed["location"].isin([sc.region, *NO_BORDER]),
    ).drop(columns="retention_max_days")
    for name, frame in {"ug": ug, "feats": feats, "fl": keyed}.items():
        con.register(name, frame)


def exposure_sql(sc, uses: str) -> str:
    """The exposure aggregates in SQL; `uses`: a query of the uses with columns activity_id,
    grp (setting group), f (feature position), shared, i and e (participants)."""
    n_f = len(sc.features)
    # records: count uses per key, then join the (small) flows; people: each activity's set of
    # keys, activities with the same set summed, each set expanded to its (party, category) pairs
    return f"""
        WITH u AS (
            SELECT activity_id, grp, i, e, (grp * {n_f} + f) * 2 + CAST(shared AS INTEGER) AS key
            FROM ({uses})
        ), per_key AS (
            SELECT key, COUNT(*) AS n FROM u GROUP BY key
        ), recs AS (
            SELECT party, party_kind, data_category,
                   SUM(n) AS records,
                   COALESCE(SUM(CASE WHEN "window" = 'bounded' THEN n * days END), 0) AS record_days,
                   COALESCE(SUM(n) FILTER (WHERE "window" = 'unbounded'), 0) AS records_unbounded,
                   COALESCE(SUM(n) FILTER (WHERE "window" = 'unknown'), 0) AS records_unknown,
                   COALESCE(SUM(n) FILTER (WHERE border), 0) AS cross_border_records
            FROM per_key JOIN fl USING (key) GROUP BY ALL
        ), units AS (
            SELECT list_sort(list_distinct(list(key))) AS keys, MAX(i) AS i, MAX(e) AS e
            FROM u WHERE key IN (SELECT key FROM fl) GROUP BY activity_id, grp
        ), combos AS (
            SELECT keys, SUM(i) AS i, SUM(e) AS e FROM units GROUP BY keys
        ), pairs AS (
            SELECT DISTINCT c.keys, fl.party, fl.party_kind, fl.data_category, c.i, c.e
            FROM combos c, unnest(c.keys) AS t(key) JOIN fl ON fl.key = t.key
        ), people AS (
            SELECT party, party_kind, data_category, SUM(i) AS people_internal, SUM(e) AS people_external
            FROM pairs GROUP BY ALL
        )
        SELECT * FROM recs JOIN people USING (party, party_kind, data_category)
        WHERE records > 0
        ORDER BY party, party_kind, data_category
        """


def duckdb_exposure(con, sc) -> pd.DataFrame:
    """The exposure aggregates of one scenario in SQL, over the usage DataFrame."""
    usage = sc.tenant.usage
    # the same inputs zoomai reads: dictionary codes of user and feature, and small lookups
    codes = pd.DataFrame(
        {
            "activity_id": usage["activity_id"].to_numpy(),
            "user_code": usage["user_id"].cat.codes.to_numpy(),
            "feature_code": usage["feature_id"].cat.codes.to_numpy(),
            "shared": usage["output_shared"].to_numpy(),
            "i": usage["internal_participants"].to_numpy(dtype="int32", na_value=0),
            "e": usage["external_participants"].to_numpy(dtype="int32", na_value=0),
        }
    )
    user_pos = pd.Index(sc.tenant.users["user_id"]).get_indexer(usage["user_id"].cat.categories)
    feat_pos = pd.Index(sc.features).get_indexer(usage["feature_id"].cat.categories)
    users = pd.DataFrame({"user_code": np.arange(len(user_pos)), "pos": user_pos})
    register_lookups(
        con, sc, users, pd.DataFrame({"feature_code": np.arange(len(feat_pos)), "pos": feat_pos})
    )
    con.register("usage", codes)
    uses = (
        "SELECT activity_id, grp, f, shared, i, e"
        " FROM usage JOIN ug USING (user_code) JOIN feats USING (feature_code)"
    )
    return con.execute(exposure_sql(sc, uses)).df()


def child(engine: str, rows: int, seed: int) -> dict:
    from zoomai.analysis.exposure import analyse, scenario
    from zoomai.facts.policy import load_policy

    tenant = tenant_for(rows, seed)
    policy = load_policy()
    out = {"engine": engine, "rows": len(tenant.usage), "users": len(tenant.users), "presets": {}}
    con = None
    if engine == "duckdb":
        import duckdb

        con = duckdb.connect()
    base = peak_mb()
    prepare = compute = 0.0
    for preset in PRESETS:
        start = time.perf_counter()
        sc = scenario(tenant, preset, policy=policy)
        mid = time.perf_counter()
        table = analyse(sc, policy).exposure if engine == "zoomai" else duckdb_exposure(con, sc)
        compute += time.perf_counter() - mid
        prepare += mid - start
        table = table.sort_values(["party", "party_kind", "data_category"])
        out["presets"][preset] = {c: int(pd.to_numeric(table[c]).sum()) for c in FIGURES + PEOPLE}
    out.update(prepare_s=prepare, compute_s=compute, peak_mb=peak_mb(), data_peak_mb=base)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", choices=["zoomai", "duckdb"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.seed)))
        return 0
    results = {}
    for engine in ("zoomai", "duckdb"):
        cmd = [
            sys.executable,
            __file__,
            "--child",
            engine,
            "--rows",
            str(args.rows),
            "--seed",
            str(args.seed),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return 1
        results[engine] = json.loads(done.stdout.strip().splitlines()[-1])
    z, d = results["zoomai"], results["duckdb"]
    agree = z["presets"] == d["presets"]
    print(f"usage rows: {z['rows']:,} ({z['users']:,} users, profile {PROFILE}, seed {args.seed})")
    print(f"presets: {', '.join(PRESETS)}; results agree: {agree}")
    print(f"scenario preparation (both): {z['prepare_s']:.2f} s / {d['prepare_s']:.2f} s")
    for name, r in (("zoomai", z), ("DuckDB", d)):
        print(
            f"{name} exposure: {r['compute_s']:.2f} s   peak {r['peak_mb']:.0f} MB"
            f" (after loading the data: {r['data_peak_mb']:.0f} MB)"
        )
    print(f"ratio zoomai / DuckDB: {z['compute_s'] / d['compute_s']:.2f} (aim: <= 1)")
    if not agree:
        for preset in PRESETS:
            if z["presets"][preset] != d["presets"][preset]:
                print(f"  {preset}: zoomai {z['presets'][preset]} vs DuckDB {d['presets'][preset]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
