"""Real-data benchmark: Chicago's routine food inspections (../shared/realdata/chicago) through the product.

Times what an office would run — ``saferank import``, ``saferank train --capacity 0.1 --origins 3
--capacity-of inspected --window-days 30`` (chosen the way it is judged below),
``saferank backtest --origins 12 --capacity 0.1 --capacity-of inspected --window-days 30`` — through the
same functions in one process, then the served model frozen as trained on 2013-07-01 over the
following year, and prints the table of docs/README-realdata.md: per model the precision at 10 % of
each month's visits (pooled over the 12 monthly origins, ± binomial standard error), the lift over
random order's expectation (the visits' hit rate), recall at 10 %, ROC AUC, Brier score; the
frozen model's precision at 10 % and recall at 50 % (the share of critical violations found in the
first half of the visits, the figure the city published); calibration by decile; per ward.
Nothing is written inside the repository (the store and models go to a temporary folder).
Budget: import + train + backtest under 3 minutes on 2 cores.

    .venv/bin/python benchmarks/bench_realdata.py [--data DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SAFERANK_REALDATA", ROOT.parent / "shared" / "realdata" / "chicago"))
TRAINED_AS_OF = "2013-07-01"
CAPACITY = 0.10


def _timed(label: str, timings: dict[str, float], step):
    start = time.perf_counter()
    value = step()
    timings[label] = time.perf_counter() - start
    print(f"{label:<34} {timings[label]:7.1f} s", flush=True)
    return value


def _table(result, frozen: dict) -> pd.DataFrame:
    pooled = result.pooled()
    summary = result.summary()
    metrics = result.metrics
    first = metrics.loc[metrics["model"] == "random"]
    base = first["n_positive"].sum() / first["n_labelled"].sum()
    table = pd.DataFrame({
        "precision@10%": pooled["precision"], "se": pooled["se"], "lift": pooled["precision"] / base,
        "recall@10%": summary["recall_at_capacity"], "auc": summary["auc"], "brier": summary["brier"],
    })
    for name, (res10, res50) in frozen.items():
        table.loc[name, "frozen precision@10%"] = res10.pooled().loc["served", "precision"]
        table.loc[name, "frozen recall@50%"] = _pooled_recall(res50, "served")
    table.attrs["base_rate"] = base
    return table


def _pooled_recall(result, model: str) -> float:
    part = result.metrics.loc[result.metrics["model"] == model]
    return float(part["n_top_positive"].sum() / part["n_positive"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATA), help="folder of the Chicago contract CSVs")
    parser.add_argument("--out", default=None, help="folder for the store, models and backtest JSON (default: a temporary one)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)
    from sklearn.frozen import FrozenEstimator

    from analytics.models.backtest import run_backtest
    from analytics.models.report import backtest_store
    from analytics.features import skipped_families
    from analytics.store.ingest import import_files
    from analytics.models.registry import ModelRegistry
    from analytics.models.select import train_models
    from analytics.store.database import open_store, read_tables
    from analytics.snapshot.timeline import rolling_origins

    out = Path(args.out or tempfile.mkdtemp(prefix="saferank-realdata-"))
    out.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{out / 'chicago.db'}")
    timings: dict[str, float] = {}
    _timed("import", timings, lambda: import_files(store, args.data))
    training = _timed("train (as of 2013-07-01, 3 origins)", timings, lambda: train_models(
        store, as_of=TRAINED_AS_OF, models_dir=out / "models", capacity=CAPACITY, origins=3, capacity_of="inspected",
        window_days=30))
    result = _timed("backtest (12 monthly origins)", timings, lambda: backtest_store(
        store, origins=12, capacity=CAPACITY, capacity_of="inspected", window_days=30, json_path=out / "backtest.json"))
    print(f"{'whole run':<34} {sum(timings.values()):7.1f} s  (budget 180 s)")

    tables = read_tables(store)
    model, card = ModelRegistry(out / "models").load()
    origins = rolling_origins("2014-06-01", 12)
    frozen = {card["model"]: tuple(_timed(f"served model frozen, capacity {share:.0%}", timings, lambda share=share: run_backtest(
        tables, origins, {"served": FrozenEstimator(model)}, capacity=share, capacity_of="inspected", window_days=30))
        for share in (CAPACITY, 0.5))}
    table = _table(result, frozen)
    print(f"\nskipped families: {skipped_families(tables)}")
    print(f"winner of training as of {TRAINED_AS_OF}: {training.winner} ({card['version']})")
    print(f"random order's expected precision (visits that found a critical violation): {table.attrs['base_rate']:.3f}")
    print(f"visits ranked per month: {result.metrics.groupby('origin')['n_labelled'].first().mean():.0f}; "
          f"top 10 % over the year: {int(result.pooled().loc['random', 'n'])}\n")
    print(table.to_string(float_format=lambda v: f"{v:.3f}", na_rep=""))
    calibration = result.calibration.loc[result.calibration["model"] == training.winner]
    print(f"\ncalibration of {training.winner} (refitted monthly), by score decile:")
    print(calibration[["decile", "mean_score", "observed", "n"]].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    wards = result.group_summary("town")
    wards = wards.loc[wards["model"].isin([training.winner, "random", "last_inspection"])]
    wide = wards.pivot(index="group", columns="model", values="precision_at_capacity")
    counts = wards.loc[wards["model"] == training.winner].set_index("group")[["n_labelled", "n_top_labelled"]]
    print(f"\nper ward (pooled over origins): wards where {training.winner}'s top 10 % beat random order's: "
          f"{int((wide[training.winner] > wide['random']).sum())} of {len(wide)}; visits ranked per ward: "
          f"median {counts['n_labelled'].median():.0f}, top-10 % visits per ward: median {counts['n_top_labelled'].median():.0f}")
    print(wide.describe().loc[["mean", "min", "25%", "50%", "75%", "max"]].to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
