"""Benchmark (issue 20): does training on a sample of firm-origins cost precision at 1,000,000 firms?

A simulated province (``analytics.engine.province.simulate_province``: counties of ``--chunk`` firms,
each with the county simulator's learnable risk), exported as partitioned Parquet. The Dask engine
(a LocalCluster) builds every date's feature matrix; the client builds labels and inverse-propensity
weights, as ``saferank backtest --engine dask`` does. ``run_backtest`` then runs twice on the same
matrices, labels, weights, origins and tie-breaks:

- **full**: every learned candidate fitted on every training row;
- **sample**: the same candidates fitted on ``TrainingSample(--sample)`` (``models.sample``: the
  stable per-row draw ``saferank train --sample`` uses), its fraction set from the training rows of
  the last origin, as training sets it from the final training set.

For each learned model, the sampled model's pooled precision at capacity minus the full one's, paired
per origin (``uncertainty.paired_difference``: block bootstrap over origins), with each origin's
difference; the origins are ``--spacing`` days apart (default the 90-day window: no overlap).

    .venv/bin/python benchmarks/bench_sample.py [--firms 1000000] [--sample 200000] [--origins 4]
        [--snapshots 1] [--root DIR (reused when it holds a province)] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from province_runs import compared, exported_tables, origins_before, province_options, province_root

from analytics.contract.dates import HORIZON_DAYS
from analytics.engine.dask_engine import DaskEngine
from analytics.models.backtest import new_cache, run_backtest
from analytics.models.candidates import candidates
from analytics.models.sample import TrainingSample
from analytics.snapshot.snapshot import AsOf

LABEL_TABLES = ("inspections", "hazards", "accidents")  # what labels and origins need


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    province_options(parser)
    parser.add_argument("--sample", type=int, nargs="+", default=[200_000, 50_000],
                        help="training rows the sampled fits draw (one sampled backtest per size)")
    parser.add_argument("--snapshots", type=int, default=1, help="training snapshots per origin")
    args = parser.parse_args()

    root, simulated = province_root(args, "saferank-bench-sample-")
    tables = exported_tables(root, LABEL_TABLES)
    origins = origins_before(tables["inspections"], args.origins, args.spacing)
    learned = list(candidates())
    figures: dict = {"firms": args.firms, "sample_size": args.sample, "origins": [o.date().isoformat() for o in origins],
                     "snapshots": args.snapshots, "simulate_seconds": round(simulated, 1)}
    with DaskEngine(workers=args.workers) as engine:
        cache = new_cache(tables, HORIZON_DAYS, features=lambda day: engine.features(root, AsOf.parse(day)))
        began = time.perf_counter()
        full = run_backtest(tables, origins, candidates(), snapshots=args.snapshots, cache=cache)
        figures["full_seconds"] = round(time.perf_counter() - began, 1)
        # the fraction is set from the last origin's training rows, as training sets it from its own
        total = int(full.metrics.loc[full.metrics["origin"] == origins[-1], "n_train"].iloc[0])
        runs = {}
        for size in args.sample:  # a few sample sizes, each a backtest on the same matrices
            sample = TrainingSample(size).counted(total)
            began = time.perf_counter()
            runs[size] = run_backtest(tables, origins, candidates(), snapshots=args.snapshots, cache=cache.sampled(sample))
            figures.setdefault("samples", []).append({
                "size": size, "fraction": round(sample.fraction, 4), "seconds": round(time.perf_counter() - began, 1),
                "n_train": runs[size].metrics.groupby("origin")["n_train"].first().astype(int).tolist()})
    figures.update(training_rows_last_origin=total,
                   n_train_full=full.metrics.groupby("origin")["n_train"].first().astype(int).tolist())
    rows = []
    for size, sampled in runs.items():  # a few sample sizes
        rows += [{**row, "sample": size} for row in compared(full.metrics, sampled.metrics, learned, f"@{size}", "full")]
    figures["models"] = rows
    figures["rule_of_thumb"] = round(float(full.metrics.loc[full.metrics["model"] == "rule_of_thumb",
                                                            "precision_at_capacity"].mean()), 4)
    figures.update(client_peak_gb=round(_maxrss() / 1024**3, 2), load_average=os.getloadavg()[0],
                   measured=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    print(json.dumps(figures, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
