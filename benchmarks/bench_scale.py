"""Benchmark (issue 20): features + scoring of a province on a Dask LocalCluster, the pandas path beside it.

For each size: synthetic typed tables with the simulated county's record rates per firm
(``bench_features.synthetic_tables``: a vectorised generator; simulating millions of firms day by
day takes far longer than what is timed), exported to partitioned Parquet (above ``--chunk`` firms,
generated and written ``--chunk`` firms at a time, ids prefixed per chunk, so the client holds one
chunk), then

- dask, the province's path: ``DaskEngine(workers=2).write_list`` (features, scores, reasons, flags
  per partition; ranks and levels over the whole list from the gathered ids and scores; each
  partition's share of the list written as Parquet by its worker), wall time, the CPU seconds of
  the workers and of the client, the peak resident memory (VmHWM) of each worker and of the client;
- dask, gathered (up to ``--gather-max`` firms): ``DaskEngine.risk_list``, the list gathered into the
  client as ``saferank score --engine dask`` does;
- pandas: ``score_enterprises`` on the whole tables in a fresh process, after the Dask run, wall
  time, CPU seconds and peak memory (skipped with ``--no-pandas``, above ``--pandas-max`` or when the
  tables were written in chunks; its address space is capped at ``--pandas-memory-gb`` so that a
  province that does not fit fails as a ``MemoryError`` in the child instead of pushing the shared
  machine into swap or the OOM killer).

The model is a logistic model fitted once on the first 20,000 firms (its quality is not the point).
The machine's load average is printed beside the figures: these machines are shared.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 100000 1000000 10000000] [--partitions-per 50000] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import shutil
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


def _peak_rss() -> int:
    """This process's peak resident memory since it started (``VmHWM``). A Dask worker is forked
    from the client and then exec'd: ``ru_maxrss`` keeps the client's resident size at the fork,
    which is why the worker peaks measured with it until 2026-12-02 were inflated by the client's."""
    for line in Path("/proc/self/status").read_text().splitlines():  # a few dozen lines
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return _maxrss()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _list_rows(folder: Path) -> int:
    """Rows of a list written in parts (from the Parquet footers: nothing read into memory)."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(path).metadata.num_rows for path in folder.glob("part-*.parquet"))


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
                      "peak_bytes": _peak_rss(), "rows": len(risk_list)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partitions-per", dest="per", type=int, default=50_000, help="firms per partition")
    parser.add_argument("--pandas-max", dest="pandas_max", type=int, default=1_000_000)
    parser.add_argument("--gather-max", dest="gather_max", type=int, default=1_000_000,
                        help="largest size also measured with the list gathered into the client (risk_list)")
    parser.add_argument("--chunk", type=int, default=1_000_000, help="above this many firms, generate and write in chunks")
    parser.add_argument("--no-pandas", dest="no_pandas", action="store_true")
    parser.add_argument("--pandas-memory-gb", dest="pandas_memory_gb", type=float, default=14.0,
                        help="address-space cap of the pandas process (GB)")
    parser.add_argument("--json", default=None, help="append the figures to this JSON file")
    parser.add_argument("--work", default=None,
                        help="keep each size's Parquet here and reuse it when present (default: a temporary folder, removed)")
    parser.add_argument("--pandas-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pandas_child:
        _pandas_run(*args.pandas_child)
        return 0

    import numpy as np
    from bench_features import AS_OF, synthetic_tables

    from analytics.contract.schema import TABLES
    from analytics.engine.dask_engine import DaskEngine
    from analytics.engine.partition import MANIFEST, export_tables, read_partition, write_manifest, write_table
    from analytics.engine.province import relabelled
    from analytics.features import build_features
    from analytics.models.learned import LogisticModel
    from analytics.snapshot.snapshot import AsOf, Snapshot

    as_of = AsOf.parse(AS_OF)
    results = []
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="saferank-bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    model = None

    def measured(run) -> dict:
        """Wall, CPU (workers and client) and peak memory of ``run()``, on freshly restarted workers."""
        engine.client.restart(timeout=600)  # a fresh peak per run (a restart under load can be slow)
        engine.client.run(_warm)  # the workers' imports are not the run's time
        load_before, worker_cpu = os.getloadavg()[0], engine.client.run(_cpu)
        began, client_cpu = time.perf_counter(), _cpu()
        rows = run()
        seconds, client_cpu = time.perf_counter() - began, _cpu() - client_cpu
        worker_cpu = sum(engine.client.run(_cpu)[w] - worker_cpu[w] for w in worker_cpu)
        return {"seconds": round(seconds, 1), "worker_cpu_seconds": round(worker_cpu, 1),
                "client_cpu_seconds": round(client_cpu, 1),
                "worker_peak_gb": round(max(engine.client.run(_peak_rss).values()) / 1024**3, 2), "rows": rows,
                "load_average_before": load_before, "load_average": os.getloadavg()[0]}

    with DaskEngine(workers=args.workers) as engine:
        for size in args.sizes:
            partitions = max(2 * args.workers, -(-size // args.per))
            root = work / f"p{size}"
            began = time.perf_counter()
            tables = None
            if args.work and (root / MANIFEST).exists() and size > args.chunk:  # a province kept from a run before
                generated = exported = 0.0
            elif size <= args.chunk:
                tables = synthetic_tables(size)
                generated = time.perf_counter() - began
                began = time.perf_counter()
                export_tables(tables, root, partitions)
                exported = time.perf_counter() - began
            else:  # a province: one chunk of firms in memory at a time
                names: set[str] = set()
                for number in range(-(-size // args.chunk)):  # a loop over chunks
                    chunk = relabelled(synthetic_tables(min(args.chunk, size - number * args.chunk), seed=7 + number),
                                       f"C{number:04d}-")
                    for name, frame in chunk.items():
                        write_table(root, name, frame, partitions, chunk=number)
                    names |= set(chunk)
                    del chunk
                write_manifest(root, partitions, names, names - {n for n, spec in TABLES.items() if spec.required})
                generated, exported = time.perf_counter() - began, 0.0
            if model is None:
                first = tables if tables is not None else read_partition(root, 0)
                sample = {n: (t.loc[t["enterprise_id"].isin(first["enterprises"]["enterprise_id"].iloc[:20_000])]
                              if "enterprise_id" in t else t) for n, t in first.items()}
                X = build_features(Snapshot.from_tables(sample, as_of))
                y = (np.random.default_rng(0).random(len(X)) < 0.05 + 0.5 * (X.get("hazards_365d", 0) > 2)).astype(int)
                model = LogisticModel().fit(X, y)
            row = {"firms": size, "partitions": partitions, "generate_seconds": round(generated, 1),
                   "export_seconds": round(exported, 1), "parquet_gb": round(_size(root) / 1024**3, 2)}
            out = work / f"list{size}"
            written = measured(lambda: _list_rows(engine.write_list(root, as_of, model, out, "bench")))  # noqa: B023
            row.update({f"list_{k}": v for k, v in written.items()}, list_gb=round(_size(out) / 1024**3, 2))
            shutil.rmtree(out)
            print(json.dumps(row), flush=True)
            if size <= args.gather_max:
                gathered = measured(lambda: len(engine.risk_list(root, as_of, model, "bench")))  # noqa: B023
                row.update({f"dask_{k}" if k != "seconds" else "dask_seconds": v for k, v in gathered.items()
                            if k not in ("load_average", "load_average_before", "rows")})
                row["dask_load_average"] = gathered["load_average"]
                print(json.dumps(row), flush=True)
            pandas_figures = None
            if not args.no_pandas and tables is not None and size <= args.pandas_max:
                engine.client.restart(timeout=600)  # the workers' memory back to the machine before the pandas process
                tables_path, model_path = work / "tables.pkl", work / "model.pkl"
                tables_path.write_bytes(pickle.dumps(tables))
                model_path.write_bytes(pickle.dumps(model))
                done = subprocess.run([sys.executable, __file__, "--pandas-child", str(tables_path), str(model_path),
                                       as_of.iso, str(args.pandas_memory_gb)], capture_output=True, text=True)
                pandas_figures = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {
                    "error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}",
                    "memory_cap_gb": args.pandas_memory_gb}
                tables_path.unlink()
            del tables
            if not args.work:
                shutil.rmtree(root)
            row.update(pandas=pandas_figures, client_peak_gb=round(_peak_rss() / 1024**3, 2),
                       load_average=written["load_average"],
                       measured=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        path = Path(args.json)
        previous = json.loads(path.read_text()) if path.exists() else []
        path.write_text(json.dumps(previous + results, indent=1))
    million = [r for r in results if r["firms"] == 1_000_000]
    over = [r for r in results if max(r["list_worker_peak_gb"], r.get("dask_worker_peak_gb", 0)) * 1024**3 > BUDGET_WORKER_BYTES]
    for r in million:  # one row
        for name, key in (("write_list", "list_seconds"), ("risk_list", "dask_seconds")):
            if r.get(key, 0) > BUDGET_SECONDS_1M:
                print(f"1,000,000 firms took {r[key]} s with {name}: over the {BUDGET_SECONDS_1M:.0f} s budget "
                      f"(load average {r['load_average']:.1f})")
    if over:
        print(f"peak memory per worker over 4 GB at {[r['firms'] for r in over]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
