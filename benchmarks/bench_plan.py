"""How long ``saferank plan`` takes: 15 teams × 20 days over a simulated county of 100,000 enterprises.

Builds the county once (simulate → store → a rule-of-thumb risk list, not timed against the budget),
then times ``build_plan`` alone and the whole command (``plan_store``: read the list and the tables,
draw, store, write the xlsx and the print view). Budget: 10 s for the command. Prints its figures.

    .venv/bin/python benchmarks/bench_plan.py [--enterprises 100000] [--db sqlite:///benchmarks/out/plan.db]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
BUDGET_SECONDS = 10.0


def build_store(url: str, enterprises: int):
    from analytics.features import build_features
    from analytics.models.scorecard import RuleOfThumb
    from analytics.risk.risklist import save_risk_list, score_enterprises
    from analytics.simulate import simulate_county
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables
    from analytics.snapshot.snapshot import Snapshot

    started = time.perf_counter()
    county = simulate_county(enterprises, seed=7)
    store = open_store(url)
    write_tables(store, county.tables)
    known = Snapshot.from_tables(county.tables, county.as_of)
    features = build_features(known)
    risk_list = score_enterprises(known, RuleOfThumb().fit(features), "rule_of_thumb", features=features)
    save_risk_list(store, risk_list)
    print(f"county of {enterprises:,} firms simulated, stored and listed in {time.perf_counter() - started:.1f} s")
    return store, county


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"plan_{args.enterprises}.db"
    url = args.db or f"sqlite:///{db}"
    if args.db is None and db.exists():
        db.unlink()
    store, county = build_store(url, args.enterprises)

    from analytics.operations.planning import build_plan
    from analytics.operations.plans_store import plan_store
    from analytics.risk.risklist import read_risk_list
    from analytics.store.database import read_tables
    from analytics.operations.teams import default_teams

    risk_list, tables = read_risk_list(store), read_tables(store)
    teams = default_teams(tables["towns"]["town_id"].astype(str))
    started = time.perf_counter()
    plan = build_plan(risk_list, tables, teams, county.as_of + pd.Timedelta(days=1), 20, seed=1)
    drawn = time.perf_counter() - started
    started = time.perf_counter()
    report = plan_store(store, days=20, seed=1, out=OUT / "plan.xlsx")
    command = time.perf_counter() - started
    truth = county.truth.set_index("enterprise_id")["p_label"]
    found = truth.reindex(plan.visits["enterprise_id"]).sum()
    random = truth.reindex(risk_list["enterprise_id"]).mean() * len(plan.visits)
    print(f"build_plan: {drawn:.2f} s for {len(plan.visits)} visits by {teams['team'].nunique()} teams over 20 days")
    print(f"saferank plan (read, draw, store, xlsx, print view): {command:.2f} s (budget {BUDGET_SECONDS:.0f} s)")
    print(f"expected major hazards (list's probabilities): plan {plan.expected_found:.1f} vs random {plan.expected_random:.1f}"
          f" = {plan.ratio:.2f}x; with the simulation's true probabilities: {found:.1f} vs {random:.1f} = {found / random:.2f}x")
    print(f"visits by reason: {report.plan.reason_counts()}")
    return 0 if command <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
