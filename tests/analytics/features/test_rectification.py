"""Rectification family: open, overdue, days late, on-time share; absent when the office records no dates."""

import numpy as np
import pytest

from analytics.features import build_features, skipped_families
from analytics.features.registry import DEADLINE_FEATURES
from tests.analytics.features.conftest import AS_OF, county, hazard

HAZARDS = [
    hazard("H1", "E1", "2026-01-01", "major", deadline="2026-02-01", rectified="2026-01-20"),  # on time
    hazard("H2", "E1", "2026-03-01", "general", deadline="2026-04-01", rectified="2026-05-01"),  # late
    hazard("H3", "E1", "2026-05-01", "major", deadline="2026-06-10"),  # open, 20 days overdue
    hazard("H4", "E1", "2026-06-01", "general", deadline="2026-06-20", rectified="2026-07-10"),  # rectified later: open, 10 days overdue
    hazard("H5", "E2", "2026-06-20", "general", deadline="2026-07-20"),  # open, not due
    hazard("H6", "E2", "2026-07-01", "major", deadline="2026-07-05"),  # after the as-of date
]


@pytest.fixture(scope="module")
def X():
    return build_features(county(hazards=HAZARDS), AS_OF, families=["rectification"])


@pytest.mark.parametrize("eid, column, expected", [
    ("E1", "open_hazards", 2), ("E1", "open_major", 1), ("E1", "overdue_hazards", 2), ("E1", "overdue_major", 1),
    ("E1", "max_days_overdue", 20), ("E1", "mean_days_overdue", 15), ("E1", "on_time_share", 0.25),
    ("E2", "open_hazards", 1), ("E2", "overdue_hazards", 0), ("E2", "max_days_overdue", 0),
    ("E3", "open_hazards", 0),
])
def test_rectification_values(X, eid, column, expected):
    assert X.loc[eid, column] == pytest.approx(expected)


def test_nothing_due_means_no_on_time_share(X):
    assert np.isnan(X.loc["E2", "on_time_share"]) and np.isnan(X.loc["E3", "on_time_share"])


def test_without_deadlines_the_deadline_features_are_absent():
    hazards = [{**h, "deadline": None} for h in HAZARDS]
    X = build_features(county(hazards=hazards), AS_OF, families=["rectification"])
    assert not set(DEADLINE_FEATURES) & set(X.columns)
    assert X.loc["E1", "open_hazards"] == 2


def test_without_any_rectified_date_the_family_is_skipped():
    hazards = [{**h, "rectified_date": None} for h in HAZARDS]
    tables = county(hazards=hazards)
    X = build_features(tables, AS_OF)
    assert "open_hazards" not in X.columns
    assert skipped_families(tables)["rectification"] == ("hazards.rectified_date",)
