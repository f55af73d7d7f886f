"""History family: counts over 90/365/all days, categories, recency, what the last inspection found."""

import numpy as np
import pytest

from analytics.features import build_features
from tests.analytics.features.conftest import AS_OF, county, hazard, inspection

INSPECTIONS = [
    inspection("I1", "E1", "2024-01-10"),
    inspection("I2", "E1", "2026-01-15"),
    inspection("I3", "E1", "2026-06-10", "random"),
    inspection("I4", "E2", "2026-05-01"),
    inspection("I9", "E1", "2026-07-02"),  # after the as-of date
]
HAZARDS = [
    hazard("H1", "E1", "2024-01-10", "major", "three_violations", "I1"),
    hazard("H2", "E1", "2026-01-15", "general", "three_violations", "I2"),
    hazard("H3", "E1", "2026-06-10", "major", "special_operation", "I3"),
    hazard("H4", "E1", "2026-06-10", "general", "outsourcing"),  # no link: found on the last inspection day
    hazard("H5", "E2", "2026-04-01", "general", "certification"),  # no inspection; exactly 90 days back: outside the 90-day window
    hazard("H9", "E1", "2026-07-02", "major", "three_violations", "I9"),  # after the as-of date
]


@pytest.fixture(scope="module")
def X():
    return build_features(county(inspections=INSPECTIONS, hazards=HAZARDS), AS_OF, families=["history"])


@pytest.mark.parametrize("eid, column, expected", [
    ("E1", "inspections_90d", 1), ("E1", "inspections_365d", 2), ("E1", "inspections_all", 3),
    ("E1", "hazards_90d", 2), ("E1", "hazards_365d", 3), ("E1", "hazards_all", 4),
    ("E1", "major_hazards_90d", 1), ("E1", "major_hazards_all", 2),
    ("E1", "hazards_per_inspection_all", 4 / 3), ("E2", "hazards_per_inspection_90d", 0.0), ("E2", "hazards_365d", 1),
    ("E1", "hazards_three_violations_365d", 1), ("E1", "hazards_special_operation_365d", 1),
    ("E2", "hazards_certification_365d", 1),
    ("E1", "days_since_inspection", 20), ("E2", "days_since_inspection", 60),
    ("E1", "never_inspected", 0), ("E3", "never_inspected", 1),
    ("E1", "days_since_major", 20),
    ("E1", "last_inspection_hazards", 2), ("E1", "last_inspection_majors", 1),
    ("E2", "last_inspection_hazards", 0),  # H5 was not found at the 2026-05-01 visit
    ("E3", "inspections_all", 0), ("E3", "hazards_all", 0),
])
def test_history_values(X, eid, column, expected):
    assert X.loc[eid, column] == pytest.approx(expected)


def test_never_inspected_has_no_invented_ratios_or_recency(X):
    for column in ("hazards_per_inspection_all", "days_since_inspection", "last_inspection_hazards", "days_since_major"):
        assert np.isnan(X.loc["E3", column]), column


def test_the_inspection_team_is_never_a_feature(X):
    assert not any("team" in c for c in X.columns)
