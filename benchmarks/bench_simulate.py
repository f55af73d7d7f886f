"""Benchmark: simulate a county of 100,000 enterprises over three years and write its files.

Budget: under 2 minutes and 4 GB peak memory (ru_maxrss) on 2 cores. Prints the timings, the peak
memory, the rows written and the base rates; a smaller county first shows that time grows linearly.

    .venv/bin/python benchmarks/bench_simulate.py [--enterprises 100000] [--seed 7] [--out DIR]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from analytics.simulate import simulate_county, write_county
from analytics.simulate.export import base_rates

BUDGET_SECONDS = 120
BUDGET_BYTES = 4 * 1024**3


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def _run(enterprises: int, seed: int, out: Path) -> tuple[float, float, dict[str, int], object]:
    began = time.perf_counter()
    county = simulate_county(enterprises=enterprises, seed=seed)
    simulated = time.perf_counter() - began
    rows = write_county(county, out)
    return simulated, time.perf_counter() - began - simulated, rows, county


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default=None, help="folder for the files (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(args.out or scratch)
        small = max(500, args.enterprises // 10)
        small_sim, small_write, _, _ = _run(small, args.seed, out / "small")
        print(f"{small:>9,} enterprises: simulate {small_sim:6.1f} s, write {small_write:5.1f} s")
        sim, write, rows, county = _run(args.enterprises, args.seed, out / "county")
        total = sim + write
        peak = _peak_bytes()
        print(f"{args.enterprises:>9,} enterprises: simulate {sim:6.1f} s, write {write:5.1f} s, total {total:6.1f} s "
              f"(x{sim / small_sim:.1f} the simulation time for x{args.enterprises / small:.0f} the firms)")
        print(f"peak memory (ru_maxrss): {peak / 1024**3:.2f} GB")
        size = sum(p.stat().st_size for p in (out / "county").iterdir())
        print(f"files: {size / 1024**2:.0f} MB")
        for name, count in rows.items():
            print(f"  {name:<20}{count:>12,} rows")
        print("base rates:")
        for name, value in base_rates(county).items():
            print(f"  {name:<44}{value:10.4f}")
        within = total < BUDGET_SECONDS and peak < BUDGET_BYTES
        print(f"budget (< {BUDGET_SECONDS} s, < 4 GB): {'met' if within else 'MISSED'}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
