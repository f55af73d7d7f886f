"""Intervals that respect overlapping windows; paired differences; random-visit precision at the visit itself."""

import numpy as np
import pandas as pd
import pytest

from analytics.models.backtest import score_origin
from analytics.models.uncertainty import (
    MIN_RANDOM_VISITS,
    block_length,
    comparisons,
    paired_difference,
    pooled_intervals,
)

ORIGINS = pd.date_range("2025-01-31", periods=12, freq="ME")


def metrics(rates: dict[str, float], visits: int = 100, random_visits: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for origin in ORIGINS:
        for model, rate in rates.items():
            rows.append({"origin": origin, "model": model, "n_top_labelled": visits,
                         "n_top_positive": int(rng.binomial(visits, rate)),
                         "n_top_random_visits": random_visits, "n_top_random_hits": int(rng.binomial(random_visits, rate))})
    return pd.DataFrame(rows)


def test_block_length_is_the_windows_overlap():
    assert block_length(list(ORIGINS), 90) == 3 and block_length(list(ORIGINS), 30) == 1


def test_a_wider_block_gives_a_wider_interval_when_origins_are_correlated():
    m = metrics({"a": 0.2})
    m.loc[m["origin"] >= ORIGINS[6], "n_top_positive"] += 25  # a regime: neighbours alike
    narrow, wide = pooled_intervals(m, 30).loc["a"], pooled_intervals(m, 90).loc["a"]
    assert wide["block"] == 3 and (wide["high"] - wide["low"]) > (narrow["high"] - narrow["low"])
    assert narrow["low"] < narrow["precision"] < narrow["high"]


def test_equal_models_are_within_noise_and_a_clear_gain_is_not():
    same = paired_difference(metrics({"m": 0.2, "r": 0.2}), "m", "r", 90)
    assert same["within_noise"] and same["low"] < 0 < same["high"]
    better = paired_difference(metrics({"m": 0.4, "r": 0.2}), "m", "r", 90)
    assert not better["within_noise"] and better["low"] > 0 and better["difference"] == pytest.approx(0.2, abs=0.03)


def test_comparisons_name_the_best_history_rule_and_say_it_in_words():
    rows = comparisons(metrics({"rule_of_thumb": 0.2, "prior_violations": 0.1, "last_inspection": 0.25, "logistic": 0.26}), 90)
    history = [r for r in rows if r["model"] == "logistic" and r["reference_role"] == "best_history_rule"]
    assert history and history[0]["reference"] == "last_inspection" and history[0]["within_noise"]
    assert "噪声" in history[0]["zh"] and "within noise" in history[0]["en"]


def test_too_few_random_visits_to_tell():
    few = pooled_intervals(metrics({"a": 0.2}, random_visits=2), 90).loc["a"]
    assert few["random_n"] == 24 < MIN_RANDOM_VISITS and few["random_too_few"] and np.isnan(few["random_precision"])
    enough = pooled_intervals(metrics({"a": 0.2}, random_visits=40), 90).loc["a"]
    assert not enough["random_too_few"] and enough["random_low"] <= enough["random_precision"] <= enough["random_high"]


def test_random_visit_precision_counts_only_the_random_visit():
    # firm A: random visit found nothing, a targeted visit found a major (label 1 at the first, targeted visit);
    # firm B: one random visit that found a major. At the top: both. Random precision = 1 hit of 2 random visits.
    labels = pd.DataFrame({
        "inspected": [True, True, True], "inspected_random": [True, True, False], "label": [1, 1, 0],
        "first_mode": ["targeted", "random", "routine"], "visits": [2, 1, 1], "visit_hits": [1, 1, 0],
        "random_visits": [1, 1, 0], "random_hits": [0, 1, 0], "accident": False}, index=["A", "B", "C"])
    row, _, top = score_origin(np.array([0.9, 0.8, 0.1]), labels, np.ones(3), 2, np.arange(3))
    assert top.tolist() == [True, True, False]
    assert row["precision_random_only"] == 0.5 and row["n_top_random_visits"] == 2 and row["n_top_random_hits"] == 1
    # the old count: firms with a random visit whose label is 1 → 2 of 2
    assert row["precision_unweighted"] == 1.0
