"""With and without: inverse-propensity weights and the power family as backtested choices (issues 15, 19)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from analytics.contract.frames import typed
from analytics.features.registry import family_features
from analytics.models.ablation import with_without
from analytics.models.backtest import run_backtest
from analytics.models.scorecard import RuleOfThumb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_backtest import ORIGINS, small_county  # noqa: E402


class Recorder(ClassifierMixin, BaseEstimator):
    """Scores by open major hazards (ties broken by the backtest's seeded order); records each fit's
    columns and weights."""

    fits: list = []

    def fit(self, X, y, sample_weight=None):
        Recorder.fits.append((list(X.columns), None if sample_weight is None else np.asarray(sample_weight, dtype=float)))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = 0.1 + 0.8 * (X["major_hazards_365d"].to_numpy(dtype=float) > 0)
        return np.column_stack([1 - p, p])


def _with_power(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    ids = tables["enterprises"]["enterprise_id"].to_numpy()[:60]
    months = pd.date_range("2025-01-01", "2026-05-01", freq="MS")
    rows = [{"enterprise_id": e, "period_start": m, "period_end": m + pd.offsets.MonthEnd(0), "kwh": 1000.0}
            for e in ids for m in months]
    return {**tables, "power_usage": typed("power_usage", pd.DataFrame(rows))}


@pytest.fixture(scope="module")
def county():
    return small_county()


def test_with_and_without_are_scored_on_the_same_origins_and_firms(county):
    tables, _ = county
    Recorder.fits = []
    result = run_backtest(_with_power(tables), ORIGINS, {"recorder": Recorder()}, capacity=30, ablate="recorder")
    own = result.metrics.loc[result.metrics["model"] == "recorder"].set_index("origin")
    for variant in ("without_ipw", "without_power"):
        rows = result.ablations.loc[result.ablations["model"] == f"recorder|{variant}"].set_index("origin")
        assert list(rows.index) == list(own.index) == ORIGINS
        # same training rows, same labelled firms, same capacity at every origin
        for column in ("k", "n_train", "n_labelled", "n_positive", "n_operating"):
            assert (rows[column] == own[column]).all(), column
        # the recorder ranks alike with or without: the same tie-break gives the same top k
        assert (rows["n_top_positive"] == own["n_top_positive"]).all()
    # per origin (origins may be fitted side by side, so told apart by content): the model, the same
    # columns with weights all ones, and the same weights without the power columns
    power = set(family_features("power"))
    assert len(Recorder.fits) == 3 * len(ORIGINS)
    model = [(c, w) for c, w in Recorder.fits if power <= set(c) and not (w == 1).all()]
    plain = [(c, w) for c, w in Recorder.fits if power <= set(c) and (w == 1).all()]
    no_power = [(c, w) for c, w in Recorder.fits if not power & set(c)]
    assert len(model) == len(plain) == len(no_power) == len(ORIGINS)
    assert all(c == model[0][0] for c, _ in plain)
    assert all(any(np.array_equal(w, weights) for _, weights in model) for _, w in no_power)
    assert all(set(model[0][0]) - set(c) == power for c, _ in no_power)
    rows = {r["variant"]: r for r in result.with_without()}
    assert rows["without_power"]["status"] == "ok" and rows["without_power"]["origins"] == len(ORIGINS)
    assert rows["without_ipw"]["difference"] == pytest.approx(0.0) and rows["without_ipw"]["within_noise"]
    # the ablated rows never enter the comparison of models
    assert not result.metrics["model"].str.contains("|", regex=False).any()
    assert {r["model"] for r in result.comparisons()} <= set(result.metrics["model"])


def test_a_county_without_power_usage_says_the_family_was_absent(county):
    tables, _ = county
    result = run_backtest(tables, ORIGINS[:1], {"rule": RuleOfThumb()}, capacity=30, ablate="rule")
    rows = {r["variant"]: r for r in result.with_without()}
    absent = rows["without_power"]
    assert absent["status"] == "absent" and absent["difference"] is None and absent["reason"] == "no_power_usage"
    assert "power_usage" in absent["en"] and "absent" in absent["en"] and "用电数据" in absent["zh"]
    assert not (result.ablations["model"] == "rule|without_power").any()
    assert rows["without_ipw"]["status"] == "ok"
    data = json.loads(result.to_json())
    assert [r["status"] for r in data["with_without"]] == ["ok", "absent"]
    assert "power feature family was absent" in result.render("en") and "用电特征族未参与训练" in result.render("zh")
    unweighted = run_backtest(tables, ORIGINS[:1], {"rule": RuleOfThumb()}, capacity=30, ablate="rule", weighted=False)
    assert unweighted.with_without()[0]["status"] == "absent"


def _metrics(rates: dict[str, float], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    origins = pd.date_range("2025-01-31", periods=12, freq="ME")
    return pd.DataFrame([{"origin": o, "model": m, "n_top_labelled": 100, "n_top_positive": int(rng.binomial(100, r)),
                          "n_top_random_visits": 40, "n_top_random_hits": int(rng.binomial(40, r))}
                         for o in origins for m, r in rates.items()])


@pytest.mark.parametrize(("with_rate", "without_rate", "noise", "zh", "en"), [
    (0.2, 0.2, True, "在噪声范围内", "within noise"),
    (0.4, 0.2, False, "确实更好", "better beyond noise"),
    (0.2, 0.4, False, "确实更差", "worse beyond noise"),
])
def test_the_verdict_in_words_follows_the_interval(with_rate, without_rate, noise, zh, en):
    both = _metrics({"m": with_rate, "m|without_power": without_rate})
    row = with_without(both.loc[both["model"] == "m"], both.loc[both["model"] != "m"], "m",
                       {"without_ipw": "absent", "without_power": "ok"}, 90)[1]
    assert row["within_noise"] is noise and (row["low"] <= 0 <= row["high"]) is noise
    assert zh in row["zh"] and en in row["en"] and "Power feature family" in row["en"]
    assert row["with"]["low"] <= row["with"]["precision"] <= row["with"]["high"]
    assert row["difference"] == pytest.approx(row["with"]["precision"] - row["without"]["precision"])


def test_the_served_model_is_the_one_compared_and_the_report_shows_it(county, tmp_path):
    from model_cards import build_registry

    from analytics.contract.errors import UserError
    from analytics.models.backtest import default_models
    from analytics.models.report import ablated_model, render_html

    models = default_models()
    build_registry(tmp_path / "models")
    assert ablated_model(models, "served", tmp_path / "models") == ("boosted", "registry")
    assert ablated_model(models, "served", tmp_path / "empty") == ("logistic", "default")
    assert ablated_model(models, None) == (None, "skipped") and ablated_model(models, "blend") == ("blend", "asked")
    with pytest.raises(UserError):
        ablated_model(models, "no_such_model")
    tables, _ = county
    result = run_backtest(tables, ORIGINS[:1], {"rule": RuleOfThumb()}, capacity=30, ablate="rule")
    page = render_html(result)
    assert "有无对比：逆倾向加权与用电特征族 / With and without" in page and "缺失 / absent" in page
    skipped = run_backtest(tables, ORIGINS[:1], {"rule": RuleOfThumb()}, capacity=30)
    assert skipped.with_without() == [] and "With and without" not in render_html(skipped) and skipped.ablations.empty
