"""Benchmark (issue 20): features + scoring of a province on a Dask LocalCluster, the pandas path beside it.

For each size: synthetic typed tables with the simulated county's record rates per firm
(``bench_features.synthetic_tables``: a vectorised generator; simulating millions of firms day by
day takes far longer than what is timed), exported to partitioned Parquet, then

- dask: ``DaskEngine(workers=2).risk_list`` (features, scores, reasons, flags per partition; ranks
  and levels over the list), wall time, the CPU seconds of the workers and of the client, and the
  peak resident memory of each worker (ru_maxrss);
- pandas: ``score_enterprises`` on the whole tables in a fresh process, after the Dask run, wall
  time, CPU seconds and peak memory (skipped with ``--no-pandas`` or above ``--pandas-max``; its
  address space is capped at ``--pandas-memory-gb`` so that a province that does not fit fails as a
  ``MemoryError`` in the child instead of pushing the shared machine into swap or the OOM killer).

The model is a logistic model fitted once on the first 20,000 firms (its quality is not the point).
The machine's load average is printed beside the figures: these machines are shared.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 100000 1000000] [--partitions-per 50000] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

BUDGET_SECONDS_1M = 120.0
BUDGET_WORKER_BYTES = 4 * 1024**3


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _warm() -> None:
    import analytics.engine.partition  # noqa: F401  (pandas, scikit-learn and the feature code)


def _pandas_run(tables_path: str, model_path: str, as_of: str, memory_gb: str) -> None:
    """In a fresh process: read the pickled tables, score them all, print seconds, CPU and peak bytes."""
    from analytics.risk.risklist import score_enterprises
    from analytics.snapshot.snapshot import AsOf, Snapshot

    limit = int(float(memory_gb) * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    tables = pickle.loads(Path(tables_path).read_bytes())
    model = pickle.loads(Path(model_path).read_bytes())
    began, cpu = time.perf_counter(), _cpu()
    risk_list = score_enterprises(Snapshot.from_tables(tables, AsOf.parse(as_of)), model, "bench")
    print(json.dumps({"seconds": time.perf_counter() - began, "cpu_seconds": _cpu() - cpu,
                      "peak_bytes": _maxrss(), "rows": len(risk_list)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partitions-per", dest="per", type=int, default=50_000, help="firms per partition")
    parser.add_argument("--pandas-max", dest="pandas_max", type=int, default=1_000_000)
    parser.add_argument("--no-pandas", dest="no_pandas", action="store_true")
    parser.add_argument("--pandas-memory-gb", dest="pandas_memory_gb", type=float, default=14.0,
                        help="address-space cap of the pandas process (GB)")
    parser.add_argument("--json", default=None, help="append the figures to this JSON file")
    parser.add_argument("--pandas-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pandas_child:
        _pandas_run(*args.pandas_child)
        return 0

    import numpy as np
    import pandas as pd
    from bench_features import AS_OF, synthetic_tables

    from analytics.engine.dask_engine import DaskEngine
    from analytics.engine.partition import export_tables
    from analytics.features import build_features
    from analytics.models.learned import LogisticModel
    from analytics.snapshot.snapshot import AsOf, Snapshot

    as_of = AsOf.parse(AS_OF)
    results = []
    work = Path(tempfile.mkdtemp(prefix="saferank-bench-scale-"))
    model = None
    with DaskEngine(workers=args.workers) as engine:
        for size in args.sizes:
            began = time.perf_counter()
            tables = synthetic_tables(size)
            generated = time.perf_counter() - began
            if model is None:
                sample = {n: (t.loc[t["enterprise_id"].isin(tables["enterprises"]["enterprise_id"].iloc[:20_000])]
                              if "enterprise_id" in t else t) for n, t in tables.items()}
                X = build_features(Snapshot.from_tables(sample, as_of))
                y = (np.random.default_rng(0).random(len(X)) < 0.05 + 0.5 * (X.get("hazards_365d", 0) > 2)).astype(int)
                model = LogisticModel().fit(X, y)
            partitions = max(2 * args.workers, -(-size // args.per))
            root = work / f"p{size}"
            began = time.perf_counter()
            export_tables(tables, root, partitions)
            exported = time.perf_counter() - began
            engine.client.restart()  # a fresh peak per size
            engine.client.run(_warm)  # the workers' imports are not the run's time
            load_before = os.getloadavg()[0]
            worker_cpu = engine.client.run(_cpu)
            began, client_cpu = time.perf_counter(), _cpu()
            risk_list = engine.risk_list(root, as_of, model, "bench")
            seconds, client_cpu = time.perf_counter() - began, _cpu() - client_cpu
            worker_cpu = sum(engine.client.run(_cpu)[w] - worker_cpu[w] for w in worker_cpu)
            peaks = engine.client.run(_maxrss)
            rows = len(risk_list)
            del risk_list
            load_after = os.getloadavg()[0]
            print(json.dumps({"firms": size, "dask_seconds": round(seconds, 1), "load_average": load_after}), flush=True)
            pandas_figures = None
            if not args.no_pandas and size <= args.pandas_max:
                engine.client.restart()  # the workers' memory back to the machine before the pandas process
                tables_path, model_path = work / "tables.pkl", work / "model.pkl"
                tables_path.write_bytes(pickle.dumps(tables))
                model_path.write_bytes(pickle.dumps(model))
                out = subprocess.run([sys.executable, __file__, "--pandas-child", str(tables_path), str(model_path),
                                      as_of.iso, str(args.pandas_memory_gb)], capture_output=True, text=True)
                pandas_figures = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else {
                    "error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}",
                    "memory_cap_gb": args.pandas_memory_gb}
                tables_path.unlink()
            del tables
            row = {"firms": size, "partitions": partitions, "dask_seconds": round(seconds, 1),
                   "dask_worker_cpu_seconds": round(worker_cpu, 1), "dask_client_cpu_seconds": round(client_cpu, 1),
                   "worker_peak_gb": round(max(peaks.values()) / 1024**3, 2), "rows": rows,
                   "generate_seconds": round(generated, 1), "export_seconds": round(exported, 1),
                   "pandas": pandas_figures, "load_average": load_after, "load_average_before": load_before,
                   "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        path = Path(args.json)
        previous = json.loads(path.read_text()) if path.exists() else []
        path.write_text(json.dumps(previous + results, indent=1))
    million = [r for r in results if r["firms"] == 1_000_000]
    over = [r for r in results if r["worker_peak_gb"] * 1024**3 > BUDGET_WORKER_BYTES]
    if million and million[0]["dask_seconds"] > BUDGET_SECONDS_1M:
        print(f"1,000,000 firms took {million[0]['dask_seconds']} s: over the {BUDGET_SECONDS_1M:.0f} s budget "
              f"(load average {million[0]['load_average']:.1f})")
    if over:
        print(f"peak memory per worker over 4 GB at {[r['firms'] for r in over]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
