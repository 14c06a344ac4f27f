"""What-if and compare benchmark: weighing many configurations from one usage summary, against
one exposure pass and against the naive recomputation from the usage rows.

    .venv/bin/python benchmarks/whatif_scale.py --users 20000,100000

For each size, a simulated tenant (profile us_enterprise_defaults, 12 months, same seed) is
timed in one process for: one exposure pass (`analysis` under the default configuration: the
floor), `what_if` with every candidate change and `compare` over the six presets, each from a
usage summary (method="summary") and from the rows (method="rows", the naive recomputation;
--no-naive skips it). Prints the times, what-if / one pass (aim: at most 1.5), the speed-ups
over the naive recomputation, whether both methods agree, and peak memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

from zoomai.analysis.exposure import analysis, compare, what_if
from zoomai.tenants.simulate import DEFAULT_PROFILE, simulate_tenant

PRESETS = ["default", "zmo", "zdr", "zmo_zdr", "hardened", "ai_off"]


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def sizes(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected user counts like 20000,100000; got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected user counts >= 1; got {text!r}")
    return values


def run(users: int, seed: int, naive: bool) -> bool:
    """Time one size; False if the summary and the naive recomputation disagree."""
    tenant = simulate_tenant(DEFAULT_PROFILE, seed, users=users, months=12, check=False)
    print(f"{users:,} users, {len(tenant.usage):,} usage rows ({DEFAULT_PROFILE}, seed {seed})", flush=True)
    one_pass, _ = timed(analysis, tenant, "default")
    t_what_if, changes = timed(what_if, tenant, "default")
    t_compare, table = timed(compare, tenant, PRESETS)
    print(f"  one exposure pass          {one_pass:7.1f} s")
    ratio = t_what_if / one_pass
    print(f"  what-if, all candidates    {t_what_if:7.1f} s   / one pass: {ratio:.2f} (aim: <= 1.5)")
    print(f"  compare, six presets       {t_compare:7.1f} s   / one pass: {t_compare / one_pass:.2f}")
    agree = True
    if naive:
        n_what_if, slow_changes = timed(what_if, tenant, "default", method="rows")
        n_compare, slow_table = timed(compare, tenant, PRESETS, method="rows")
        agree = changes.equals(slow_changes) and table.equals(slow_table)
        print(f"  naive what-if              {n_what_if:7.1f} s   speed-up {n_what_if / t_what_if:.1f}x")
        print(f"  naive compare              {n_compare:7.1f} s   speed-up {n_compare / t_compare:.1f}x")
        print(f"  summary and naive agree:   {agree}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory (maxrss)       {peak:7.0f} MB", flush=True)
    return agree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=sizes, default=[20_000, 100_000], help="comma-separated user counts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-naive", action="store_true", help="skip the naive recomputation")
    args = parser.parse_args(argv)
    agree = [run(users, args.seed, not args.no_naive) for users in args.users]
    return 0 if all(agree) else 1


if __name__ == "__main__":
    sys.exit(main())
