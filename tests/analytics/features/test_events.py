"""Enforcement, incidents, operations, outsourcing, weather, season and context families on hand cases."""

import numpy as np
import pytest

from analytics.features import build_features
from tests.analytics.features.conftest import AS_OF, county, hazard, inspection

PENALTIES = [
    {"penalty_id": "P1", "enterprise_id": "E1", "date": "2025-01-01", "kind": "fine", "amount_yuan": 9000},
    {"penalty_id": "P2", "enterprise_id": "E1", "date": "2026-03-01", "kind": "fine", "amount_yuan": 20000},
    {"penalty_id": "P3", "enterprise_id": "E1", "date": "2026-06-25", "kind": "suspension"},
    {"penalty_id": "P9", "enterprise_id": "E2", "date": "2026-07-01", "kind": "closure"},
]
ACCIDENTS = [
    {"accident_id": "A1", "enterprise_id": "E2", "date": "2024-05-01", "severity": "general", "deaths": 1, "injuries": 2},
    {"accident_id": "A2", "enterprise_id": "E2", "date": "2026-06-01", "severity": "minor", "injuries": 1},
]
PERMITS = [
    {"permit_id": "W1", "enterprise_id": "E1", "kind": "hot_work", "start_date": "2026-06-20", "end_date": "2026-06-21",
     "contractor": "某公司", "operators": 4, "certified_operators": 2},
    {"permit_id": "W2", "enterprise_id": "E1", "kind": "confined_space", "start_date": "2026-05-01", "end_date": "2026-05-02",
     "operators": 2, "certified_operators": 2},
    {"permit_id": "W3", "enterprise_id": "E1", "kind": "hot_work", "start_date": "2026-01-01", "end_date": "2026-01-01"},
    {"permit_id": "W9", "enterprise_id": "E1", "kind": "hot_work", "start_date": "2026-07-01", "end_date": "2026-07-01"},
]
CONTRACTS = [
    {"contract_id": "C1", "enterprise_id": "E1", "contractor": "甲", "start_date": "2026-01-01", "end_date": "2026-12-31",
     "contractor_qualified": False, "safety_agreement": False},
    {"contract_id": "C2", "enterprise_id": "E1", "contractor": "乙", "start_date": "2025-01-01", "end_date": "2025-06-30",
     "contractor_qualified": False},
    {"contract_id": "C3", "enterprise_id": "E2", "contractor": "丙", "start_date": "2026-06-01", "end_date": "2026-08-01"},
]
ALERTS = [
    {"alert_id": "W1", "kind": "gale", "level": "orange", "start_date": "2026-06-26", "end_date": "2026-06-27", "town_id": "T2"},
    {"alert_id": "W2", "kind": "cold_wave", "level": "blue", "start_date": "2026-06-29", "end_date": "2026-07-02"},
    {"alert_id": "W3", "kind": "typhoon", "level": "red", "start_date": "2026-06-01", "end_date": "2026-06-05"},
    {"alert_id": "W9", "kind": "gale", "level": "red", "start_date": "2026-07-01", "end_date": "2026-07-02"},
]


@pytest.fixture(scope="module")
def X():
    tables = county(penalties=PENALTIES, accidents=ACCIDENTS, special_operations=PERMITS, contracts=CONTRACTS,
                    weather_alerts=ALERTS)
    return build_features(tables, AS_OF, families=["enforcement", "incidents", "operations", "outsourcing", "weather", "season"])


@pytest.mark.parametrize("eid, column, expected", [
    ("E1", "penalty_fine_365d", 1), ("E1", "penalty_suspension_365d", 1), ("E1", "penalties_all", 3),
    ("E1", "fine_amount_365d", 20000), ("E1", "days_since_penalty", 5), ("E2", "penalties_all", 0),
    ("E2", "accidents_365d", 1), ("E2", "accidents_all", 2), ("E2", "serious_accidents_all", 1),
    ("E2", "casualties_all", 4), ("E2", "days_since_accident", 29),
    ("E1", "permits_30d", 1), ("E1", "permits_90d", 2), ("E1", "permits_hot_work_90d", 1),
    ("E1", "permits_confined_space_90d", 1), ("E1", "permits_confined_space_30d", 0),
    ("E1", "outsourced_permit_share_90d", 0.5), ("E1", "uncertified_operators_90d", 2),
    ("E1", "active_contracts", 1), ("E1", "active_unqualified", 1), ("E1", "active_without_agreement", 1),
    ("E1", "contracts_365d", 1), ("E2", "active_contracts", 1), ("E2", "active_unqualified", 0),
    ("E2", "alert_gale", 3), ("E1", "alert_gale", 0), ("E1", "alert_cold_wave", 1), ("E2", "alert_cold_wave", 1),
    ("E1", "alert_typhoon", 0), ("E2", "fishing_gale", 3), ("E1", "fishing_gale", 0),
    ("E3", "gas_cold", 1), ("E1", "gas_cold", 0), ("E1", "heating_season", 0),
])
def test_event_family_values(X, eid, column, expected):
    assert X.loc[eid, column] == pytest.approx(expected)


def test_no_record_means_no_recency(X):
    assert np.isnan(X.loc["E3", "days_since_penalty"]) and np.isnan(X.loc["E1", "days_since_accident"])
    assert np.isnan(X.loc["E2", "outsourced_permit_share_90d"])


@pytest.mark.parametrize("date, expected", [
    ("2026-11-14", 0), ("2026-11-15", 1), ("2027-01-20", 1), ("2027-03-15", 1), ("2027-03-16", 0), ("2026-07-01", 0),
])
def test_heating_season(date, expected):
    X = build_features(county(), date, families=["season"])
    assert (X["heating_season"] == expected).all()


def test_context_rates_are_smoothed_toward_the_county_rate():
    from analytics.features.context import PRIOR_INSPECTIONS

    inspections = [inspection(f"I{i}", "E1" if i < 10 else "E2", "2026-05-01") for i in range(20)]
    hazards = [hazard(f"H{i}", "E1", "2026-05-01", "major") for i in range(5)]
    X = build_features(county(inspections=inspections, hazards=hazards), AS_OF, families=["context"])
    county_rate = 5 / 20
    chemicals = (5 + PRIOR_INSPECTIONS * county_rate) / (10 + PRIOR_INSPECTIONS)
    assert X.loc["E1", "sector_major_rate"] == pytest.approx(chemicals)
    assert X.loc["E2", "sector_major_rate"] == pytest.approx(PRIOR_INSPECTIONS * county_rate / (10 + PRIOR_INSPECTIONS))
    assert X.loc["E3", "sector_major_rate"] == pytest.approx(county_rate)  # no gas inspections: the county rate
    assert X.loc["E1", "town_major_rate"] == X.loc["E3", "town_major_rate"] > X.loc["E2", "town_major_rate"]
