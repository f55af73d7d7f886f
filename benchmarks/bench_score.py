"""Benchmark: the risk list (features + model + reasons) for 100,000 enterprises, and one enterprise.

Budgets: the whole list under 30 s; one enterprise re-scored (its rows read from a SQLite store,
features, score, level, reasons, the stored row updated) under 200 ms. A model is trained on a
small simulated county first (not timed), then a large county is simulated (not timed) and scored.

    .venv/bin/python benchmarks/bench_score.py [--enterprises 100000] [--models logistic boosted blend]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from analytics.simulate import simulate_county

BUDGET_LIST_SECONDS = 30.0
BUDGET_ONE_MS = 200.0


def _train(model_names: list[str], as_of) -> dict[str, object]:
    from analytics.models.candidates import candidates
    from analytics.models.select import training_set

    small = simulate_county(enterprises=2000, seed=7, as_of=as_of)
    X, y, weights = training_set(small.tables, as_of)
    return {name: candidates()[name].fit(X, y, sample_weight=weights) for name in model_names}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--models", nargs="+", choices=("logistic", "boosted", "blend"), default=["logistic", "boosted"])
    parser.add_argument("--as-of", dest="as_of", default="2026-11-15")
    parser.add_argument("--repeat", type=int, default=20, help="single-enterprise re-scores to time")
    args = parser.parse_args()

    from analytics.features import build_features
    from analytics.models.explain import reasons
    from analytics.risk.risklist import rescore_enterprise, save_risk_list, score_enterprises
    from analytics.snapshot.snapshot import AsOf, Snapshot

    began = time.perf_counter()
    models = _train(args.models, args.as_of)
    print(f"train {', '.join(models)} on 2,000 firms: {time.perf_counter() - began:.1f} s (not in the budget)")
    began = time.perf_counter()
    county = simulate_county(enterprises=args.enterprises, seed=11, as_of=args.as_of)
    print(f"simulate {args.enterprises:,} firms: {time.perf_counter() - began:.1f} s (not in the budget)")

    tables, as_of = county.tables, county.as_of
    for name, model in models.items():
        t0 = time.perf_counter()
        snapshot = Snapshot.from_tables(tables, as_of)
        X = build_features(snapshot)
        t1 = time.perf_counter()
        wanted = list(model.feature_names_in_)
        scores = model.predict_proba(X[wanted])[:, 1]
        t2 = time.perf_counter()
        contributions = model.contributions(X[wanted])
        t3 = time.perf_counter()
        explained = reasons(contributions, X[wanted])
        t4 = time.perf_counter()
        risk_list = score_enterprises(snapshot, model, "bench", features=X)
        t5 = time.perf_counter()
        total = t4 - t0
        print(f"[{name}] features {t1 - t0:.2f} s | scores {t2 - t1:.2f} s | contributions {t3 - t2:.2f} s | "
              f"reasons {t4 - t3:.2f} s")
        print(f"[{name}] features + model + reasons for {len(X):,} firms: {total:.1f} s (budget {BUDGET_LIST_SECONDS:.0f} s) "
              f"{'OK' if total < BUDGET_LIST_SECONDS else 'OVER'}")
        print(f"[{name}] whole score_enterprises (again: model, reasons, ranks, levels, flags, JSON): {t5 - t4:.1f} s")
        assert len(explained) == len(risk_list) and np.isfinite(scores).all()
    model = models[args.models[0]]

    from analytics.store.database import open_store
    from analytics.store.writing import write_tables

    with tempfile.TemporaryDirectory() as folder:
        from analytics.models.registry import ModelRegistry

        store = open_store(f"sqlite:///{Path(folder) / 'bench.db'}")
        began = time.perf_counter()
        write_tables(store, tables)
        save_risk_list(store, risk_list)
        print(f"store {len(risk_list):,} firms and the list in SQLite: {time.perf_counter() - began:.1f} s (not in the budget)")
        registry = ModelRegistry(Path(folder) / "models")
        ids = risk_list["enterprise_id"].sample(args.repeat, random_state=0).tolist()
        times = []
        for enterprise_id in ids:
            began = time.perf_counter()
            rescore_enterprise(store, enterprise_id, AsOf.parse(as_of), model=model, registry=registry)
            times.append((time.perf_counter() - began) * 1000)
        median = statistics.median(times)
        print(f"one enterprise re-scored: median {median:.0f} ms, max {max(times):.0f} ms over {len(times)} "
              f"(budget {BUDGET_ONE_MS:.0f} ms) {'OK' if median < BUDGET_ONE_MS else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
