"""Benchmark (issue 20 item 4): training a 1,000,000-firm province on the cluster, firms drawn on the workers.

``saferank train --engine dask --sample N --evaluate M`` (``models.sample.FirmDraw``): the training rows
are counted from labels alone, then every date's feature matrix is built on the workers for the drawn
firms only, so the client never holds a whole date. This script measures that path at a province's
size with the real training depth (``--snapshots`` monthly snapshots per fit, default 24, as
``saferank train``), and asks whether the sample costs precision:

- **large**: every learned candidate fitted on ``--large`` training rows (default 500,000);
- **sample**: the same candidates on ``--sample`` rows (default 200,000), a subset of the large draw
  (the same hash, a smaller fraction), on the same matrices, labels, weights, origins and tie-breaks;
- both judged at ``--origins`` origins ``--spacing`` days apart (default 4 and 90: no overlapping
  windows), each on the same ``--evaluate`` firms drawn at every origin (default 200,000).

A full training (every one of the ~5.4 million rows) does not fit one client: with ``--large 1000000``
the client was killed for memory at 20 GB (two origins' fits side by side, ``models.fitting``, beside
the drawn matrices and the tables), so the default is two and a half times the sample. For each learned model: the sampled
model's pooled precision at capacity minus the large one's, paired per origin (block bootstrap over
origins), with the rule of thumb beside them; wall time of each part, the client's peak memory and each
worker's (``VmHWM``).

    .venv/bin/python benchmarks/bench_train_scale.py [--firms 1000000] [--sample 200000] [--large 500000]
        [--evaluate 200000] [--origins 4] [--snapshots 24] [--root DIR (reused when it holds a province)]
        [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from province_runs import compared, exported_tables, origins_before, province_options, province_root

from analytics.contract.dates import HORIZON_DAYS
from analytics.engine.dask_engine import ClusterMatrices, DaskEngine
from analytics.models.backtest import new_cache, run_backtest
from analytics.models.candidates import candidates
from analytics.models.sample import TrainingSample, counted_sample
from analytics.models.select import snapshot_dates

CLIENT_TABLES = ("enterprises", "status_events", "inspections", "hazards", "accidents")  # labels and the row count


def _peak_rss() -> int:
    """This process's peak resident memory (``VmHWM``; see ``bench_scale._peak_rss``)."""
    for line in Path("/proc/self/status").read_text().splitlines():  # a few dozen lines
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    province_options(parser)
    parser.add_argument("--sample", type=int, default=200_000, help="training rows of the sampled fits")
    parser.add_argument("--large", type=int, default=500_000, help="training rows of the fits it is compared with")
    parser.add_argument("--evaluate", type=int, default=200_000, help="firms drawn at every origin to judge both")
    parser.add_argument("--snapshots", type=int, default=24, help="monthly training snapshots per fit")
    args = parser.parse_args()

    root, simulated = province_root(args, "saferank-bench-train-")
    figures: dict = {"firms": args.firms, "simulate_seconds": round(simulated, 1)}
    tables = exported_tables(root, CLIENT_TABLES)
    origins = origins_before(tables["inspections"], args.origins, args.spacing)
    began = time.perf_counter()
    # the fractions are set from the last origin's training rows, as training sets them from its own
    large, draw = counted_sample(tables, TrainingSample(args.large, evaluate=args.evaluate),
                                 snapshot_dates(origins[-1], args.snapshots), origins)
    small = TrainingSample(args.sample, total=large.total, evaluate=args.evaluate)
    figures.update(count_seconds=round(time.perf_counter() - began, 1), training_rows_last_origin=large.total,
                   origins=[o.date().isoformat() for o in origins], snapshots=args.snapshots,
                   fractions={"sample": round(small.fraction, 4), "large": round(large.fraction, 4),
                              "evaluate": [round(draw.fraction(o), 4) for o in origins]})
    learned = list(candidates())
    with DaskEngine(workers=args.workers) as engine:
        cache = new_cache(tables, HORIZON_DAYS, features=ClusterMatrices(engine, root))
        cache.sample, cache.draw = large, draw
        began = time.perf_counter()
        large_run = run_backtest(tables, origins, candidates(), snapshots=args.snapshots, cache=cache)
        figures["large_seconds"] = round(time.perf_counter() - began, 1)  # matrices built here, then shared
        figures["matrices"] = {"dates": len(cache._features),
                               "rows": int(sum(len(m) for m in cache._features.values()))}
        began = time.perf_counter()
        sample_run = run_backtest(tables, origins, candidates(), snapshots=args.snapshots, cache=cache.sampled(small))
        figures["sample_seconds"] = round(time.perf_counter() - began, 1)
        figures["worker_peak_gb"] = sorted(round(v / 1024**3, 2) for v in engine.client.run(_peak_rss).values())
    figures.update(n_train_large=large_run.metrics.groupby("origin")["n_train"].first().astype(int).tolist(),
                   n_train_sample=sample_run.metrics.groupby("origin")["n_train"].first().astype(int).tolist(),
                   n_evaluated=large_run.metrics.groupby("origin")["n_operating"].first().astype(int).tolist())
    figures["models"] = compared(large_run.metrics, sample_run.metrics, learned, "@sample", "large")
    figures["rule_of_thumb"] = round(float(large_run.metrics.loc[large_run.metrics["model"] == "rule_of_thumb",
                                                                 "precision_at_capacity"].mean()), 4)
    figures.update(client_peak_gb=round(_peak_rss() / 1024**3, 2), load_average=os.getloadavg()[0],
                   measured=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    print(json.dumps(figures, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
