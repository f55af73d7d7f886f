"""RuleOfThumb: documented points, fixed and calibrated maps, exact contributions, scikit-learn checks."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from analytics.models.scorecard import EXPECTED_FAILED_CHECKS, RuleOfThumb

ROWS = pd.DataFrame({
    "hazardous_chemicals": [1.0, 0.0, 0.0, 1.0],
    "major_hazard_severity": [4.0, 0.0, 1.0, np.nan],
    "major_hazards_365d": [1.0, 0.0, 5.0, 0.0],
    "open_hazards": [2.0, 0.0, 20.0, 1.0],
    "sector": pd.Categorical(["hazardous_chemicals", "gas", "mining", "gas"]),
}, index=pd.Index(["E1", "E2", "E3", "E4"], name="enterprise_id"))


@parametrize_with_checks([RuleOfThumb()], expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS)
def test_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("eid, points", [
    ("E1", 2 + 4 + 2 + 1.0),  # chemicals, level-1 source, one past major, two open
    ("E2", 0.0),
    ("E3", 1 + 2 * 3 + 0.5 * 6),  # past majors capped at 3, open hazards at 6
    ("E4", 2 + 0.5),  # unknown severity gives no points
])
def test_points(eid, points):
    assert RuleOfThumb().fit(ROWS).points(ROWS).sum(axis=1)[eid] == pytest.approx(points)


def test_fixed_map_without_labels_and_with_one_class():
    for model in (RuleOfThumb().fit(ROWS), RuleOfThumb().fit(ROWS, np.zeros(4))):
        p = model.predict_proba(ROWS)[:, 1]
        assert p[1] == pytest.approx(1 / (1 + np.exp(4.0)))  # offset -4 at zero points
        assert p[0] == pytest.approx(1 / (1 + np.exp(-(-4.0 + 0.35 * 9))))
        assert not model.calibrated_


def test_missing_feature_columns_score_zero_points():
    model = RuleOfThumb().fit(ROWS[["sector", "hazardous_chemicals"]])
    assert model.points(ROWS[["sector", "hazardous_chemicals"]]).sum(axis=1).tolist() == [2.0, 0.0, 0.0, 2.0]


def test_calibrated_map_follows_the_labels_and_keeps_the_order():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"hazardous_chemicals": rng.integers(0, 2, 400).astype(float),
                      "major_hazards_365d": rng.poisson(0.5, 400).astype(float)})
    points = RuleOfThumb().fit(X).points(X).sum(axis=1)
    y = (rng.random(400) < 1 / (1 + np.exp(-(-2 + 0.8 * points)))).astype(int)
    model = RuleOfThumb().fit(X, y)
    assert model.calibrated_ and model.slope_ > 0.35
    p = model.predict_proba(X)[:, 1]
    assert abs(p.mean() - y.mean()) < 0.02
    assert (np.diff(p[np.argsort(points.to_numpy(), kind="stable")]) >= -1e-12).all()  # more points, never lower


def test_contributions_add_up_to_the_logit():
    for y in (None, np.array([1, 0, 1, 0])):
        model = RuleOfThumb().fit(ROWS, y)
        contributions = model.contributions(ROWS)
        p = model.predict_proba(ROWS)[:, 1]
        logit = np.log(p / (1 - p))
        assert list(contributions.columns) == list(ROWS.columns)
        assert np.allclose(contributions.sum(axis=1) + model.base_logit_, logit, atol=1e-9)
        assert (contributions["sector"] == 0).all()


@pytest.mark.parametrize("column", ["hazardous_chemicals", "major_hazard_severity", "major_hazards_365d", "open_hazards"])
def test_raising_a_risk_attribute_never_lowers_the_score(column):
    model = RuleOfThumb().fit(ROWS)
    raised = ROWS.assign(**{column: ROWS[column].fillna(0) + 1})
    assert (model.predict_proba(raised)[:, 1] >= model.predict_proba(ROWS)[:, 1]).all()


def test_row_order_changes_nothing_and_clone_keeps_parameters():
    model = RuleOfThumb(open_points=1.5).fit(ROWS)
    shuffled = ROWS.iloc[[2, 0, 3, 1]]
    assert np.allclose(pd.Series(model.predict_proba(shuffled)[:, 1], index=shuffled.index).loc[ROWS.index],
                       model.predict_proba(ROWS)[:, 1])
    assert clone(model).get_params()["open_points"] == 1.5
