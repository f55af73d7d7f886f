"""What training keeps on the model card for the model page: backtest details, importance, calibration method."""

import pandas as pd
import pytest

from analytics.models.backtest import BacktestResult
from analytics.models.explain import global_importance
from analytics.models.scorecard import RuleOfThumb
from analytics.models.select import BACKTEST_PARTS, backtest_record, calibration_method


def _points_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "hazardous_chemicals": [1, 0, 0], "major_hazard_severity": [0, 2, 4], "major_hazards_365d": [0, 0, 0],
        "open_hazards": [2, 0, 0], "noise": [0.3, -1.0, 2.0],
    }, index=pd.Index(["E1", "E2", "E3"], name="enterprise_id"))


def test_global_importance_is_the_mean_absolute_contribution_largest_first():
    X = _points_frame()
    rule = RuleOfThumb().fit(X)  # no labels: the fixed slope 0.35 per point
    importance = global_importance(rule, X)
    # severity points 0, 2, 4 → 0.35 × 2 on average; chemicals 2 points once → 0.7 / 3; open hazards 1 point once
    assert list(importance.index) == ["major_hazard_severity", "hazardous_chemicals", "open_hazards",
                                      "major_hazards_365d", "noise"]
    assert importance.tolist() == pytest.approx([0.7, 0.7 / 3, 0.35 / 3, 0.0, 0.0])


def test_global_importance_explains_a_seeded_sample_of_a_large_frame():
    X = pd.concat([_points_frame()] * 4, ignore_index=True)
    rule = RuleOfThumb().fit(X)
    assert global_importance(rule, X, max_rows=5, seed=1).equals(global_importance(rule, X, max_rows=5, seed=1))
    assert global_importance(rule, X.iloc[:0]).empty


def test_calibration_method_follows_the_model():
    X = _points_frame()
    assert calibration_method("rule_of_thumb", RuleOfThumb().fit(X)) == "fixed_points"
    assert calibration_method("rule_of_thumb", RuleOfThumb().fit(X, [1, 0, 1])) == "platt_points"
    assert calibration_method("boosted", object()) == "platt_out_of_fold"
    assert calibration_method("something_new", object()) == "unknown"


def test_backtest_record_keeps_the_curve_calibration_and_groups_pooled_over_origins():
    origins = [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01")]
    result = BacktestResult(
        metrics=pd.DataFrame({"origin": origins, "model": ["boosted"] * 2, "precision_at_capacity": [0.2, 0.4]}),
        curve=pd.DataFrame({"origin": origins, "model": ["boosted"] * 2, "share": [0.01, 0.01], "k": [3, 3],
                            "precision": [0.2, 0.4], "precision_random_only": [0.0, 1.0]}),
        calibration=pd.DataFrame({"model": ["boosted"], "decile": [1], "mean_score": [0.05], "observed": [0.1],
                                  "weight": [10.0], "n": [9]}),
        groups=pd.DataFrame({"group": ["T1", "T1"], "by": ["town", "town"], "model": ["boosted"] * 2, "origin": origins,
                             "n_labelled": [4, 6], "n_positive": [1, 2], "n_top": [1, 1], "n_top_labelled": [1, 1],
                             "w_top": [1.0, 3.0], "wy_top": [1.0, 0.0], "w_all": [4.0, 6.0], "wy_all": [1.0, 2.0]}),
        bias=pd.DataFrame({"origin": origins, "ratio": [1.0, 2.0]}),
        parameters={"capacity": 0.05, "origins": ["2026-01-01", "2026-02-01"]},
    )
    record = backtest_record(result)
    assert tuple(record) == BACKTEST_PARTS
    assert record["precision_curve"] == [{"model": "boosted", "share": 0.01, "precision": pytest.approx(0.3),
                                          "precision_random_only": pytest.approx(0.5)}]
    town = record["by_town"][0]
    # pooled: weighted hits in the top 1 + 0 over weight 1 + 3; observed (1 + 2) / (4 + 6)
    assert town["n_labelled"] == 10 and town["precision_at_capacity"] == pytest.approx(0.25)
    assert town["observed_rate"] == pytest.approx(0.3)
    assert record["by_sector"] == [] and record["calibration"][0]["mean_score"] == 0.05
    assert record["parameters"]["capacity"] == 0.05
