"""The honest comparison of issue 15: per-visit labels, pooled precision with block-bootstrap
intervals, paired differences, on Chicago's real inspections or the simulated sample county.

Per model: the top-``k`` visits pooled over the backtest's origins, precision with its 95 %
moving-block-bootstrap interval (blocks as long as a window spans origins), the double-random visits
at the top (or "too few to tell"), and the paired difference of the served model against random
order, the rule of thumb, the best history rule and the *reference*: a plain HistGradientBoosting on
simple history counts (``benchmarks/reference_model.py``), what a data scientist writes in an hour.

- ``--data chicago`` (default ``../shared/realdata/chicago``): 12 monthly origins 2013-06-30 to
  2014-05-31 (the last window ends 2014-06-30, the records' last day), each re-orders the routine
  visits of the 30 days after it, capacity 10 % of them; the served model is what ``saferank train
  --as-of 2013-06-30 --capacity 0.1 --origins 3 --capacity-of inspected --window-days 30`` chose (chosen
  the way it is judged), frozen for the year. Trained as of the first
  origin, so no label it learned from lies in a window it is judged on.
- ``--data sample`` (or a simulated county's folder): 12 monthly origins ending 90 days before
  2026-11-15, capacity 5 % of operating firms, 90-day windows; the served model is what ``saferank
  train --as-of <first origin> --origins 12`` chose (the family and its tuned parameters), refitted
  at each origin on the past only, as a county retraining monthly would. Its choice never read the
  origins it is judged on (training as of 2026-11-15 tuned and chose on five of them).

``--served-as-of DATE`` moves the training date (a date after the first origin lets the choice read
origins it is then judged on, and the output says so). The output starts with the commit, the data
folder and the load, and ends with the run time.

Nothing is written inside the repository.

    .venv/bin/python benchmarks/bench_honest.py --data chicago|sample|DIR [--train-origins N]
        [--served-as-of DATE] [--ipw] [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from reference_model import PlainHistoryBoosting  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="chicago")
    parser.add_argument("--train-origins", type=int, default=None)
    parser.add_argument("--served-as-of", default=None,
                        help="train the served model as of this date (default: the first origin)")
    parser.add_argument("--json", default=None, help="write the backtest JSON here")
    parser.add_argument("--ipw", action="store_true", help="also backtest the learned models trained without weights")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each line lands in a redirected log as it is printed
    warnings.simplefilter("ignore", RuntimeWarning)
    from sklearn.base import clone
    from sklearn.frozen import FrozenEstimator

    from analytics.models.backtest import default_models, run_backtest
    from analytics.models.registry import ModelRegistry
    from analytics.models.select import train_models
    from analytics.models.uncertainty import paired_difference, sentence
    from analytics.simulate.sample import SAMPLE_COUNTY
    from analytics.snapshot.snapshot import AsOf
    from analytics.snapshot.timeline import rolling_origins
    from analytics.store.database import open_store, read_tables
    from analytics.store.ingest import import_files

    chicago = args.data == "chicago"
    data = {"chicago": ROOT.parent / "shared" / "realdata" / "chicago", "sample": SAMPLE_COUNTY}.get(args.data, Path(args.data))
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "(not a git checkout)"
    print(f"commit {commit}; data {data}; load average at start {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    out = Path(tempfile.mkdtemp(prefix="saferank-honest-"))
    store = open_store(f"sqlite:///{out / 'county.db'}")
    start = time.perf_counter()
    import_files(store, data)
    tables = read_tables(store)
    if chicago:
        capacity, capacity_of, window, origins = 0.10, "inspected", 30, rolling_origins("2014-05-31", 12)
        train_origins = args.train_origins or 3
    else:
        capacity, capacity_of, window = 0.05, "operating", 90
        origins = rolling_origins(pd.Timestamp("2026-11-15") - pd.Timedelta(days=90), 12)
        train_origins = args.train_origins or 12
    trained_as_of = pd.Timestamp(args.served_as_of or origins[0])
    training = train_models(store, as_of=AsOf.parse(trained_as_of.date().isoformat()), models_dir=out / "models",
                            capacity=capacity, origins=train_origins, capacity_of=capacity_of, window_days=window)
    model, card = ModelRegistry(out / "models").load()
    split = (card.get("selection_detail") or {}).get("split", {})
    params = (card.get("selection_detail") or {}).get("params")
    print(f"trained as of {trained_as_of.date()} ({train_origins} origins) in {time.perf_counter() - start:.0f} s: "
          f"winner {training.winner}, parameters {params}, split {split}")
    if trained_as_of > origins[0]:
        print(f"NOTE: trained after the first origin {origins[0].date()}: "
              "the choice may have read origins it is judged on")
    models = {**default_models(), "plain_boosting": PlainHistoryBoosting()}
    # the served model: frozen as trained (Chicago), or its family and tuned parameters refitted at each origin
    models["served"] = FrozenEstimator(model) if chicago else clone(model)
    served = "served"
    result = run_backtest(tables, origins, models, capacity=capacity, capacity_of=capacity_of, window_days=window)
    print(f"backtest in {time.perf_counter() - start:.0f} s (whole run)\n")
    if args.json:
        result_path = Path(args.json)
        result_path.write_text(result.to_json(), encoding="utf-8")
    intervals = result.intervals()
    metrics = result.metrics
    first = metrics.loc[metrics["model"] == "random"]
    base = first["n_positive"].sum() / max(first["n_labelled"].sum(), 1)
    summary = result.summary()
    table = intervals[["n", "hits", "precision", "low", "high", "random_n", "random_precision", "random_low", "random_high"]].copy()
    table["lift"] = table["precision"] / base
    table["auc"] = summary["auc"]
    table["brier"] = summary["brier"]
    print(f"base rate (visits that found a major / critical violation): {base:.3f}; block length {int(intervals['block'].iloc[0])} origins")
    print(table.to_string(float_format=lambda v: f"{v:.3f}", na_rep="—"))
    print()
    from analytics.models.uncertainty import best_history_rule

    best = best_history_rule(metrics)
    for reference, role in (("random", "random"), ("rule_of_thumb", "rule_of_thumb"), (best, "best_history_rule"),
                            ("plain_boosting", "reference")):
        row = {**paired_difference(metrics, served, reference, window), "reference_role": role}
        print(sentence(row, "en"))
    for reference in ("plain_boosting",):
        # every model the backtest ran (it adds ``logistic_team`` itself where visits carry teams)
        for model in [m for m in metrics["model"].unique() if m not in ("random", reference, served)]:
            row = {**paired_difference(metrics, model, reference, window), "reference_role": "reference"}
            print("  " + sentence(row, "en"))
    if args.ipw:  # item 5: the weights as a tested option, the learned models refitted without them
        from analytics.models.backtest import default_models as _defaults

        learned = {f"{name}_unweighted": model for name, model in _defaults().items()
                   if name in ("logistic", "boosted", "blend")}
        plain = run_backtest(tables, origins, learned, capacity=capacity, capacity_of=capacity_of, window_days=window,
                             weighted=False)
        both = pd.concat([metrics, plain.metrics.loc[plain.metrics["model"].str.endswith("_unweighted")]])
        print("\ninverse-propensity weights, with minus without (same origins, paired):")
        for name in learned:
            row = {**paired_difference(both, name.removesuffix("_unweighted"), name, window), "reference_role": "unweighted"}
            print("  " + sentence(row, "en"))
    calibration = result.calibration.loc[result.calibration["model"] == served]
    print(f"\ncalibration of {served} on the held-out origins, by score decile:")
    print(calibration[["decile", "mean_score", "observed", "n"]].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nselection bias per visit (mean over origins): {result.bias['ratio'].mean():.2f}")
    print(f"whole run {time.perf_counter() - start:.0f} s; load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
