"""Suspected restarts from power, scored against the simulated county's secret unapproved restarts.

For every month end of the last two simulated years, the restarts suspected from what was known that
day (``analytics.snapshot.power.suspected_restarts`` on a ``Snapshot``) are matched to the truth
(``County.secret_restarts``: unapproved restarts the office learns of only at a later visit or stop):

- precision: the share of suspects (firm, month end) whose firm was secretly running during the
  suspicious period (restart on or before the period's end, not yet discovered at its start);
- recall: the share of secret restarts flagged at some month end before their discovery (or before the
  as-of date when never discovered);
- days earlier: discovery date minus the first day the evidence was known (a period's end), for the
  secret restarts flagged before a visit revealed them.

Run: ``.venv/bin/python benchmarks/bench_power_restarts.py [--enterprises 2000] [--seed 7] [--ratio 0.35]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from analytics.simulate.world import simulate_county
from analytics.snapshot.power import PowerThresholds, suspected_restarts
from analytics.snapshot.snapshot import Snapshot


def score(county, thresholds: PowerThresholds, months: int = 24) -> dict[str, float]:
    ends = pd.date_range(end=county.as_of, periods=months + 1, freq="ME")
    suspects = []
    for as_of in ends:  # one snapshot per month end (tens), vectorised over firms within
        found = suspected_restarts(Snapshot.from_tables(county.tables, as_of), as_of, thresholds)
        suspects.append(found.assign(as_of=as_of))
    suspects = pd.concat(suspects, ignore_index=True)
    first_start = pd.to_datetime(suspects["periods"].str.slice(0, 10))
    secret = county.secret_restarts
    window_start = ends[0] - pd.Timedelta(days=thresholds.lookback_days)
    pairs = suspects.assign(first_start=first_start).merge(secret, on="enterprise_id", how="left")
    hit = (pairs["restart"] <= pairs["last_period_end"]) & (pairs["discovered"].isna() | (pairs["discovered"] >= pairs["first_start"]))
    pairs["hit"] = hit
    per_suspect = pairs.groupby(["enterprise_id", "as_of"])["hit"].any()
    precision = float(per_suspect.mean()) if len(per_suspect) else float("nan")

    truth = secret.loc[secret["restart"] >= window_start].reset_index(drop=True)
    truth["row"] = np.arange(len(truth))
    matched = truth.merge(suspects[["enterprise_id", "as_of", "first_flagged"]], on="enterprise_id")
    before = matched["discovered"].fillna(county.as_of + pd.Timedelta(days=1))
    matched = matched.loc[(matched["first_flagged"] >= matched["restart"]) & (matched["as_of"] < before)]
    flagged = matched.groupby("row")["first_flagged"].min()
    truth["flagged"] = truth["row"].map(flagged)
    recall = float(truth["flagged"].notna().mean()) if len(truth) else float("nan")
    # detectable: the firm is metered and still secretly running when its restart month's period ends
    metered = truth["enterprise_id"].isin(county.tables["power_usage"]["enterprise_id"])
    month_end = truth["restart"] + pd.offsets.MonthEnd(0)
    detectable = metered & (truth["discovered"].isna() | (truth["discovered"] > month_end))
    recall_detectable = float(truth.loc[detectable, "flagged"].notna().mean()) if detectable.any() else float("nan")
    earlier = (truth["discovered"] - truth["flagged"]).dt.days.dropna()
    return {"month_ends": len(ends), "suspects": int(len(per_suspect)), "precision": precision,
            "secret_restarts": int(len(truth)), "recall": recall,
            "detectable": int(detectable.sum()), "recall_detectable": recall_detectable,
            "flagged_then_discovered": int(len(earlier)),
            "median_days_earlier": float(earlier.median()) if len(earlier) else float("nan"),
            "mean_days_earlier": float(earlier.mean()) if len(earlier) else float("nan"),
            "never_discovered_but_flagged": int((truth["flagged"].notna() & truth["discovered"].isna()).sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ratio", type=float, default=PowerThresholds().ratio_threshold)
    args = parser.parse_args()
    county = simulate_county(args.enterprises, seed=args.seed)
    for key, value in score(county, PowerThresholds(ratio_threshold=args.ratio)).items():
        print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
