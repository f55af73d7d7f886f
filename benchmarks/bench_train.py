"""Training speed: ``saferank train`` (nested tuning, 12 backtest origins) on a simulated county.

Simulates a county of ``--enterprises`` firms, imports it into a temporary SQLite store, and times
``train_models`` (the same function as ``saferank train``) with ``--origins`` backtest origins. Prints
the wall and CPU time, the load average beside them (the machines are shared, see FIELD_NOTES), and
the target of issue 15 item 9: 20,000 firms, 12 origins, under 5 minutes on 2 cores.

    .venv/bin/python benchmarks/bench_train.py [--enterprises 20000] [--origins 12] [--snapshots 24]
"""

from __future__ import annotations

import argparse
import os
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
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    from analytics.models.select import SNAPSHOTS, train_models
    from analytics.simulate import simulate_county
    from analytics.store.database import latest_record_date, open_store
    from analytics.store.writing import write_tables

    out = Path(tempfile.mkdtemp(prefix="saferank-train-"))
    start = time.perf_counter()
    county = simulate_county(enterprises=args.enterprises, seed=args.seed)
    store = open_store(f"sqlite:///{out / 'county.db'}")
    write_tables(store, county.tables)
    print(f"simulate + store {args.enterprises} firms: {time.perf_counter() - start:.0f} s", flush=True)
    cpu, wall = time.process_time(), time.perf_counter()
    report = train_models(store, models_dir=out / "models", origins=args.origins,
                          snapshots=args.snapshots or SNAPSHOTS)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    load = os.getloadavg()
    print(f"train ({args.origins} origins, as of {latest_record_date(store).date()}): {wall:.0f} s wall, {cpu:.0f} s CPU "
          f"(this process), load average {load[0]:.1f}/{load[1]:.1f}; winner {report.winner}; rows {report.n_rows}")
    verdict = "within" if wall <= BUDGET_S else "OVER"
    print(f"budget: {BUDGET_S:.0f} s for 20,000 firms on 2 cores; this run ({args.enterprises} firms): {verdict}")


if __name__ == "__main__":
    main()
