"""Benchmark: how much of the simulated truth a plain model learns from the records alone.

Builds ~30 simple features from the records known at monthly origins, labels each inspected firm by
what the next 90 days' records show (a major hazard found, or an accident), fits a logistic
regression, scores the firms on the as-of date and prints the *capture* at 5 %: the sum of true
``p_label`` over the model's top 5 % divided by the sum over the truth's own top 5 %. The office's
rule of thumb and a random list are printed beside it. The risk model is required to reach 0.85.

    .venv/bin/python benchmarks/bench_simulate_learnability.py [--enterprises 2000] [--seed 7]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from analytics.simulate import simulate_county
from analytics.snapshot.timeline import as_known_on, label_window

FLAGS = ("hazardous_chemicals", "dust_explosion", "confined_space", "ammonia_refrigeration", "small_scattered")


def _count(frame: pd.DataFrame, index: pd.Index) -> pd.Series:
    return frame.groupby("enterprise_id", observed=True).size().reindex(index, fill_value=0)


def features(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> pd.DataFrame:
    """Simple record-based features of the firms not closed on ``as_of`` (a yardstick, not the product's)."""
    known = as_known_on(tables, as_of)
    firms = known["enterprises"].set_index("enterprise_id")
    firms = firms.loc[firms["status"] != "closed"]
    index = firms.index
    out = pd.DataFrame({flag: firms[flag].astype(float) for flag in FLAGS}, index=index)
    level = firms["major_hazard_level"].fillna(0).astype(float)
    out["major_hazard_source"] = np.where(level > 0, 5 - level, 0)
    out = out.join(pd.get_dummies(firms["sector"], prefix="sector", dtype=float))
    out["small_or_micro"] = firms["size"].isin(["small", "micro"]).astype(float)
    out["stopped"] = (firms["status"] != "operating").astype(float)
    events = known["status_events"]
    unapproved = events.loc[(events["status"] == "operating") & (events["approved"] == False)]  # noqa: E712
    last = unapproved.groupby("enterprise_id")["date"].max().reindex(index)
    out["recent_unapproved_restart"] = np.exp(-((as_of - last).dt.days.fillna(10_000)) / 120.0)
    out["unapproved_restarts"] = _count(unapproved, index)
    inspections, hazards = known["inspections"], known["hazards"]
    visits = _count(inspections, index).clip(lower=1)
    majors = hazards.loc[hazards["level"] == "major"]
    out["majors_per_visit"] = _count(majors, index) / visits
    out["hazards_per_visit"] = _count(hazards, index) / visits
    out["any_major"] = (_count(majors, index) > 0).astype(float)
    still_open = hazards.loc[hazards["rectified_date"].isna()]
    out["open_majors"] = _count(still_open.loc[still_open["level"] == "major"], index).clip(upper=3)
    out["overdue"] = _count(still_open.loc[still_open["deadline"] < as_of], index).clip(upper=5)
    late = hazards["rectified_date"].fillna(as_of) > hazards["deadline"]
    out["late_share"] = late.groupby(hazards["enterprise_id"]).mean().reindex(index).fillna(0)
    permits = known["special_operations"]
    permits = permits.loc[permits["start_date"] > as_of - pd.Timedelta(days=365)]
    out["uncertified_permits"] = _count(permits.loc[permits["certified_operators"] < permits["operators"]], index).clip(upper=3)
    out["permits"] = np.log1p(_count(permits, index))
    contracts = known["contracts"]
    live = contracts.loc[contracts["end_date"] >= as_of]
    out["unqualified_contractor"] = (_count(live.loc[live["contractor_qualified"] == False], index) > 0).astype(float)  # noqa: E712
    out["no_safety_agreement"] = (_count(live.loc[live["safety_agreement"] == False], index) > 0).astype(float)  # noqa: E712
    out["rule_of_thumb"] = (3 * out["hazardous_chemicals"] + out["major_hazard_source"]
                            + 2 * _count(majors, index).clip(upper=3) + out["overdue"].clip(upper=3))
    return out


def labels(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """(inspected or had an accident, major found or accident) in the 90 days after ``as_of``."""
    begin, end = label_window(as_of)
    inspections, hazards = tables["inspections"], tables["hazards"]
    visited = inspections.loc[(inspections["date"] > begin) & (inspections["date"] <= end), "enterprise_id"]
    found = hazards.loc[(hazards["level"] == "major") & (hazards["found_date"] > begin) & (hazards["found_date"] <= end),
                        "enterprise_id"]
    accidents = tables.get("accidents", pd.DataFrame({"enterprise_id": [], "date": []}))
    harmed = accidents.loc[(accidents["date"] > begin) & (accidents["date"] <= end), "enterprise_id"]
    return index.isin(visited) | index.isin(harmed), index.isin(found) | index.isin(harmed)


def capture(truth: np.ndarray, score: np.ndarray, share: float = 0.05) -> float:
    k = max(1, int(round(share * len(truth))))
    return float(truth[np.argsort(-score, kind="stable")[:k]].sum() / np.sort(truth)[::-1][:k].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    began = time.perf_counter()
    county = simulate_county(enterprises=args.enterprises, seed=args.seed)
    tables = county.tables
    first = county.start + pd.DateOffset(months=6)
    origins = pd.date_range(first, county.as_of - pd.Timedelta(days=90), freq="MS")
    rows, targets = [], []
    for origin in origins:  # one loop per origin date
        frame = features(tables, origin)
        inspected, label = labels(tables, origin, frame.index)
        rows.append(frame.loc[inspected])
        targets.append(label[inspected])
    train, target = pd.concat(rows), np.concatenate(targets)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.3, max_iter=5000)).fit(train, target)
    now = features(tables, county.as_of)
    truth = county.truth.set_index("enterprise_id")["p_label"].reindex(now.index).to_numpy()
    rng = np.random.default_rng(0)
    print(f"{args.enterprises:,} enterprises, seed {args.seed}: {len(origins)} origins, {len(train):,} training rows, "
          f"{target.mean():.1%} positive")
    print(f"capture at 5 %  logistic on records: {capture(truth, model.predict_proba(now)[:, 1]):.3f}")
    print(f"                 office rule of thumb: {capture(truth, now['rule_of_thumb'].to_numpy() + rng.random(len(now)) * 1e-6):.3f}")
    print(f"                 random list:          {capture(truth, rng.random(len(now))):.3f}")
    print(f"({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
