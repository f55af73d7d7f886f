"""Every estimator a county's training can fit passes scikit-learn's estimator checks, bar the waived ones.

The waivers (``EXPECTED_FAILED_CHECKS`` of ``learned`` and ``scorecard``) say why, one reason per check;
a waived check that starts passing fails here (scikit-learn's strict xfail), so a waiver cannot outlive
its reason. The boosted instances use 10 trees and leaves of at least 5 rows instead of the county
defaults (250 trees, leaves of 150 rows, which cannot split the checks' 20-200-row data sets), as
scikit-learn shrinks its own iterative estimators for these checks; everything else is the default.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from analytics.models import backtest, learned, scorecard
from analytics.models.backtest import RandomScore, default_models
from analytics.models.baselines import LastInspectionRule, PriorViolationsRule
from analytics.models.campaign import CampaignRule
from analytics.models.learned import BlendModel, BoostedModel, LogisticModel
from analytics.models.scorecard import RuleOfThumb
from analytics.models.team import TeamAveraged
from analytics.models.validation import SingleClassError


@pytest.fixture(autouse=True)
def one_thread():
    """BLAS threads only wait for each other on these tiny fits (4x slower on a loaded 2-core machine)."""
    with threadpool_limits(1):
        yield


def small_boosted(**params) -> BoostedModel:
    return BoostedModel(max_iter=10, min_samples_leaf=5, **params)


ESTIMATORS = [
    LogisticModel(),
    small_boosted(),
    small_boosted(categorical="native", monotonic={"x0": 1}),
    BlendModel(LogisticModel(), small_boosted()),
    TeamAveraged(LogisticModel()),
    RuleOfThumb(),
    CampaignRule(),
    PriorViolationsRule(),
    LastInspectionRule(),
    RandomScore(),
]


def waived(estimator) -> dict[str, str]:
    if isinstance(estimator, RuleOfThumb):  # the points rules (scorecard, campaign, baselines)
        return scorecard.EXPECTED_FAILED_CHECKS
    if isinstance(estimator, RandomScore):
        return backtest.EXPECTED_FAILED_CHECKS
    return learned.EXPECTED_FAILED_CHECKS


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=waived)
def test_sklearn_checks(estimator, check):
    check(estimator)


def test_every_candidate_and_rule_is_checked():
    """A model added to training (candidates, backtest rules) without a line above fails here."""
    checked = {type(e) for e in ESTIMATORS}
    trained = {type(m) for m in default_models().values()}
    assert trained <= checked


def test_any_two_labels_and_our_feature_frames_still_work():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"count": pd.array(rng.poisson(1.0, 300), dtype="Int64"),
                      "kind": pd.Categorical(rng.choice(["a", "b", "c"], 300))})
    y = np.where(X["count"].to_numpy(dtype=float) + rng.normal(size=300) > 1.5, "yes", "no")
    for model in (LogisticModel(), small_boosted(categorical="native"), BlendModel(LogisticModel(), small_boosted())):
        fitted = model.fit(X, y)
        assert list(fitted.classes_) == ["no", "yes"]
        assert set(fitted.predict(X)) <= {"no", "yes"}
        assert fitted.predict_proba(X).shape == (300, 2)


@pytest.mark.parametrize("model", [LogisticModel(), small_boosted(), TeamAveraged(LogisticModel())])
def test_one_class_is_both_a_user_error_and_a_value_error(model):
    with pytest.raises(SingleClassError) as error:
        model.fit(np.zeros((20, 2)), np.ones(20))
    assert isinstance(error.value, ValueError) and error.value.zh
