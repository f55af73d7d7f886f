"""Time the campaign outputs (三个一批, places, people, bulletin) on a simulated county.

    .venv/bin/python benchmarks/bench_campaign.py [--enterprises 20000] [--db sqlite:///benchmarks/out/campaign.db]

Simulates the county, writes it to a store, scores it with the rule of thumb (no training needed),
stores that list, then times each function on the tables in memory and prints the figures. The
store is left behind so the CLI commands can be tried against it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from analytics.operations.bulletin import group_bulletin
from analytics.operations.dispositions import recommend
from analytics.features import build_features
from analytics.operations.lists import people_list, places_list
from analytics.models.scorecard import RuleOfThumb
from analytics.risk.risklist import save_risk_list, score_enterprises
from analytics.snapshot.snapshot import Snapshot
from analytics.simulate import simulate_county
from analytics.store.database import open_store
from analytics.store.writing import write_tables

OUT = Path(__file__).resolve().parent / "out"


def timed(label: str, run):
    began = time.perf_counter()
    result = run()
    print(f"{label:<28} {time.perf_counter() - began:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--db", default=f"sqlite:///{OUT / 'campaign.db'}")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    county = timed("simulate", lambda: simulate_county(enterprises=args.enterprises, seed=7))
    tables, as_of = county.tables, pd.Timestamp(county.as_of)
    store = open_store(args.db)
    timed("write store", lambda: write_tables(store, tables))
    snapshot = Snapshot.from_tables(tables, as_of)
    features = build_features(snapshot)
    model = RuleOfThumb().fit(features)  # the points rule needs no labels
    risk_list = timed("score (rule of thumb)",
                      lambda: score_enterprises(snapshot, model, "rule-of-thumb", features=features))
    save_risk_list(store, risk_list)
    print(f"enterprises on the list: {len(risk_list):,}; red/orange: {risk_list['risk_level'].isin(['red', 'orange']).sum():,}")
    recommended = timed("dispositions.recommend", lambda: recommend(tables, as_of, risk_list))
    print("  batches:", recommended["recommended"].value_counts().to_dict())
    places = timed("lists.places_list", lambda: places_list(tables, as_of, risk_list))
    print(f"  places: {len(places):,}")
    people = timed("lists.people_list (30 d)", lambda: people_list(tables, as_of))
    print("  people rows:", people["kind"].value_counts().to_dict())
    start = as_of - pd.DateOffset(months=1) + pd.Timedelta(days=1)
    bulletin = timed("bulletin.group_bulletin (1 mo)", lambda: group_bulletin(tables, start, as_of))
    print("  " + bulletin.headline("zh"))
    print(f"store: {args.db}  as of {as_of:%Y-%m-%d}")


if __name__ == "__main__":
    main()
