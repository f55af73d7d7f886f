"""Training speed: ``saferank train`` (nested tuning, 12 backtest origins) on a simulated county.

Simulates a county of ``--enterprises`` firms, imports it into a temporary SQLite store, and times
``train_models`` (the same function as ``saferank train``, tuning and the with/without comparisons
included) with ``--origins`` backtest origins. Prints the wall and CPU time, the peak memory, the
load average before and after (the machines are shared, see FIELD_NOTES), and the target of issue 15
item 9: 20,000 firms, 12 origins, under 5 minutes on 2 cores.

    .venv/bin/python benchmarks/bench_train.py [--enterprises 20000] [--origins 12] [--snapshots 24]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import warnings
from pathlib import Path

BUDGET_S = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=20000)
    parser.add_argument("--origins", type=int, default=12)
    parser.add_argument("--snapshots", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", default=None, help="a store already holding the county (skips simulating it)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    from analytics.models.select import SNAPSHOTS, train_models
    from analytics.simulate import simulate_county
    from analytics.store.database import latest_record_date, open_store
    from analytics.store.writing import write_tables

    out = Path(tempfile.mkdtemp(prefix="saferank-train-"))
    start = time.perf_counter()
    if args.db:
        store = open_store(args.db)
    else:
        county = simulate_county(enterprises=args.enterprises, seed=args.seed)
        store = open_store(f"sqlite:///{out / 'county.db'}")
        write_tables(store, county.tables)
        del county
    print(f"simulate + store {args.enterprises} firms: {time.perf_counter() - start:.0f} s", flush=True)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    load_before = os.getloadavg()
    cpu, wall = time.process_time(), time.perf_counter()
    report = train_models(store, models_dir=out / "models", origins=args.origins,
                          snapshots=args.snapshots or SNAPSHOTS)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    load = os.getloadavg()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"train ({args.origins} origins, as of {latest_record_date(store).date()}): {wall:.0f} s wall, {cpu:.0f} s CPU "
          f"(this process, all its threads); peak memory {peak:.2f} GB (simulating and storing the county: "
          f"{rss_before:.2f} GB); load average before {load_before[0]:.1f}, after {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} "
          f"(1/5/15 min) on {os.cpu_count()} cores; winner {report.winner}; rows {report.n_rows}")
    verdict = "within" if wall <= BUDGET_S else "OVER"
    print(f"budget: {BUDGET_S:.0f} s for 20,000 firms on 2 cores; this run ({args.enterprises} firms): {verdict}")


if __name__ == "__main__":
    main()
