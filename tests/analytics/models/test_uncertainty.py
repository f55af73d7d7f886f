"""Intervals that respect overlapping windows; paired differences; random-visit precision at the visit itself."""

import numpy as np
import pandas as pd
import pytest

from analytics.models.backtest import score_origin
from analytics.models.uncertainty import (
    MIN_RANDOM_VISITS,
    block_length,
    comparisons,
    curve_intervals,
    mean_comparisons,
    mean_intervals,
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


def curve(origins: pd.DatetimeIndex, rates: dict[str, float], seed: int = 0) -> pd.DataFrame:
    """Per origin, model and share 1–20 %: visits growing with the share, hits binomial at ``rate``."""
    rng = np.random.default_rng(seed)
    shares = np.round(np.arange(1, 21) / 100, 2)
    rows = []
    for origin in origins:
        for model, rate in rates.items():
            visits = (shares * 400).astype(int)
            hits = np.cumsum(rng.binomial(np.diff(visits, prepend=0), rate))  # the top 2 % holds the top 1 %
            rows += [{"origin": origin, "model": model, "share": s, "k": int(s * 800), "precision": h / v,
                      "precision_random_only": np.nan, "n_top_labelled": v, "n_top_positive": h}
                     for s, v, h in zip(shares, visits, hits)]
    return pd.DataFrame(rows)


def test_the_curve_band_holds_the_pooled_precision_at_every_share():
    band = curve_intervals(curve(ORIGINS, {"model": 0.25, "rule_of_thumb": 0.15}), 90)
    assert len(band) == 40 and set(band["model"]) == {"model", "rule_of_thumb"}
    assert ((band["low"] <= band["precision"]) & (band["precision"] <= band["high"])).all()
    assert (band["high"] > band["low"]).all()
    one = band.loc[(band["model"] == "model") & (band["share"] == 0.05)].iloc[0]
    raw = curve(ORIGINS, {"model": 0.25, "rule_of_thumb": 0.15})
    at = raw.loc[(raw["model"] == "model") & (raw["share"] == 0.05)]
    assert one["n"] == at["n_top_labelled"].sum() and one["precision"] == pytest.approx(at["n_top_positive"].sum() / one["n"])


def test_the_curve_band_narrows_with_more_origins_and_repeats_with_its_seed():
    few = curve_intervals(curve(ORIGINS, {"model": 0.25}), 90)  # 12 origins
    many = curve_intervals(curve(pd.date_range("2022-01-31", periods=48, freq="ME"), {"model": 0.25}), 90)
    assert ((many["high"] - many["low"]) < (few["high"] - few["low"])).mean() > 0.9
    assert (many["high"] - many["low"]).mean() < 0.7 * (few["high"] - few["low"]).mean()  # about 1/2 for 4× the origins
    raw = curve(ORIGINS, {"model": 0.25})
    assert curve_intervals(raw, 90, seed=3).equals(curve_intervals(raw, 90, seed=3))
    assert not curve_intervals(raw, 90, seed=3)["low"].equals(curve_intervals(raw, 90, seed=4)["low"])


def test_a_curve_without_visit_counts_has_no_band():
    old = curve(ORIGINS, {"model": 0.25}).drop(columns=["n_top_labelled", "n_top_positive"])
    assert curve_intervals(old, 90).empty


def test_the_means_over_origins_carry_intervals_and_the_difference_to_the_rule_in_words():
    m = metrics({"model": 0.30, "rule_of_thumb": 0.15, "twin": 0.15})
    m["precision_at_capacity"] = m["n_top_positive"] / m["n_top_labelled"]
    table = mean_intervals(m, 90)
    row = table.loc["model"]
    assert row["precision_at_capacity"] == pytest.approx(m.loc[m["model"] == "model", "precision_at_capacity"].mean())
    assert row["precision_at_capacity_low"] < row["precision_at_capacity"] < row["precision_at_capacity_high"]
    said = {c["model"]: c for c in mean_comparisons(m, 90)}
    assert set(said) == {"model", "twin"} and not said["model"]["within_noise"] and said["model"]["low"] > 0
    assert said["twin"]["within_noise"] and "within noise" in said["twin"]["en"] and "在噪声范围内" in said["twin"]["zh"]
    assert "mean precision over origins" in said["model"]["en"] and "各起点平均" in said["model"]["zh"]
