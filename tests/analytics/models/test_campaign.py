"""CampaignRule: the rule of thumb plus the campaign's named priorities; scikit-learn checks."""

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from analytics.models.campaign import CAMPAIGN_POINTS, CampaignRule
from analytics.models.scorecard import EXPECTED_FAILED_CHECKS, RuleOfThumb

ROWS = pd.DataFrame({
    "hazardous_chemicals": [1.0, 0.0, 0.0],
    "unapproved_restart": [0.0, 1.0, 0.0],
    "uncertified_operators_90d": [0.0, 5.0, 0.0],  # capped at 3
    "active_without_agreement": [0.0, 1.0, 0.0],
    "small_scattered": [0.0, 1.0, 0.0],
    "confined_space": [0.0, 0.0, 1.0],
    "overdue_major": [0.0, 0.0, np.nan],  # blank: no points
}, index=pd.Index(["E1", "E2", "E3"], name="enterprise_id"))


@parametrize_with_checks([CampaignRule()], expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS)
def test_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("eid, points", [("E1", 2.0), ("E2", 3 + 3 + 1 + 1), ("E3", 1.5)])
def test_campaign_points(eid, points):
    assert CampaignRule().fit(ROWS).points(ROWS).sum(axis=1)[eid] == pytest.approx(points)


def test_the_rule_of_thumb_is_inside_and_every_priority_has_a_column():
    rule, campaign = RuleOfThumb().fit(ROWS), CampaignRule().fit(ROWS)
    points = campaign.points(ROWS)
    assert set(CAMPAIGN_POINTS) <= set(points.columns)
    pd.testing.assert_frame_equal(points[list(rule.points(ROWS).columns)], rule.points(ROWS))
    contributions = campaign.contributions(ROWS)  # exact: they add up to the log-odds above the base
    assert np.allclose(contributions.sum(axis=1), campaign.decision_function(ROWS) - campaign.base_logit_)
