"""Status family: stops, restarts within 30/90/180 days, unapproved restarts (未批擅自开工)."""

import numpy as np
import pytest

from analytics.features import build_features
from tests.analytics.features.conftest import AS_OF, county

EVENTS = [
    # E1: suspended 2026-03-01, restarted without approval on 2026-06-01 (29 days before as-of)
    {"enterprise_id": "E1", "date": "2026-03-01", "status": "suspended", "reason": "rectification_order"},
    {"enterprise_id": "E1", "date": "2026-06-01", "status": "operating", "approved": False},
    # E2: retrofit 2025-10-01, approved restart 2026-02-01 (149 days before)
    {"enterprise_id": "E2", "date": "2025-10-01", "status": "retrofit"},
    {"enterprise_id": "E2", "date": "2026-02-01", "status": "operating", "approved": True},
    # E3: suspended 2026-06-20 and still suspended; an event after the as-of date must be ignored
    {"enterprise_id": "E3", "date": "2026-06-20", "status": "suspended"},
    {"enterprise_id": "E3", "date": "2026-07-05", "status": "operating", "approved": False},
]


@pytest.fixture(scope="module")
def X():
    return build_features(county(status_events=EVENTS), AS_OF, families=["status"])


@pytest.mark.parametrize("eid, column, expected", [
    ("E1", "status", "operating"), ("E3", "status", "suspended"),
    ("E1", "stopped_now", 0), ("E3", "stopped_now", 1),
    ("E1", "days_since_stop", 121), ("E2", "days_since_stop", 272), ("E3", "days_since_stop", 10),
    ("E1", "restart_30d", 1), ("E1", "restart_90d", 1), ("E2", "restart_30d", 0), ("E2", "restart_90d", 0),
    ("E2", "restart_180d", 1), ("E3", "restart_180d", 0),
    ("E1", "unapproved_restart", 1), ("E2", "unapproved_restart", 0), ("E3", "unapproved_restart", 0),
    ("E1", "days_since_unapproved_restart", 29),
])
def test_status_values(X, eid, column, expected):
    assert X.loc[eid, column] == expected


def test_no_unapproved_restart_is_missing_not_zero_days(X):
    assert np.isnan(X.loc["E2", "days_since_unapproved_restart"]) and np.isnan(X.loc["E3", "days_since_unapproved_restart"])


def test_an_approved_restart_after_an_unapproved_one_clears_the_flag():
    events = EVENTS[:2] + [{"enterprise_id": "E1", "date": "2026-06-10", "status": "suspended"},
                           {"enterprise_id": "E1", "date": "2026-06-20", "status": "operating", "approved": True}]
    X = build_features(county(status_events=events), AS_OF, families=["status"])
    assert X.loc["E1", "unapproved_restart"] == 0 and X.loc["E1", "days_since_unapproved_restart"] == 29
