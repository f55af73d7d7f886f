"""The two history rules: majors first, general hazards only break ties, never-inspected firms last."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from analytics.models.baselines import LastInspectionRule, PriorViolationsRule

ROWS = pd.DataFrame({
    "major_hazards_365d": [2.0, 1.0, 0.0, 0.0],
    "hazards_365d": [2.0, 30.0, 9.0, 0.0],
    "last_inspection_majors": [0.0, 1.0, np.nan, 0.0],
    "last_inspection_hazards": [40.0, 1.0, np.nan, 3.0],
    "town": pd.Categorical(["T1", "T2", "T1", "T2"]),
}, index=pd.Index(["A", "B", "C", "D"], name="enterprise_id"))


def order(model) -> list[str]:
    scores = model.fit(ROWS).predict_proba(ROWS)[:, 1]
    return list(ROWS.index[np.argsort(-scores, kind="stable")])


@pytest.mark.parametrize("model, expected", [
    (PriorViolationsRule(), ["A", "B", "C", "D"]),  # 30 general hazards do not outrank one more major
    (LastInspectionRule(), ["B", "A", "D", "C"]),  # never inspected (NaN) scores nothing
])
def test_majors_first_then_general_hazards(model, expected):
    assert order(model) == expected


@pytest.mark.parametrize("model", [PriorViolationsRule(), LastInspectionRule()])
def test_contributions_add_up_and_labels_calibrate_without_reordering(model):
    y = np.array([1, 1, 0, 0])
    fitted = clone(model).fit(ROWS, y)
    p = fitted.predict_proba(ROWS)[:, 1]
    contributions = fitted.contributions(ROWS)
    assert np.allclose(contributions.sum(axis=1) + fitted.base_logit_, fitted.decision_function(ROWS), atol=1e-9)
    assert (contributions["town"] == 0).all() and fitted.calibrated_
    assert order(clone(model)) == list(ROWS.index[np.argsort(-p, kind="stable")])


def test_a_county_without_the_history_columns_scores_everyone_alike():
    scores = PriorViolationsRule().fit(ROWS[["town"]]).predict_proba(ROWS[["town"]])[:, 1]
    assert np.ptp(scores) == 0
