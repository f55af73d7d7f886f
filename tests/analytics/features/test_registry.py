"""The registry describes every column the families build, and skipping is honest."""

import re

import pandas as pd
import pytest

from analytics.contract.errors import UserError
from analytics.features import FEATURES, build_features, skipped_families
from analytics.features.registry import FAMILY_LABELS, FAMILY_TABLES
from analytics.contract.schema import TABLES
from tests.analytics.features.conftest import AS_OF, county, hazard, inspection


def full_county():
    return county(
        inspections=[inspection("I1", "E1", "2026-06-01")],
        hazards=[hazard("H1", "E1", "2026-06-01", "major", deadline="2026-06-10", rectified="2026-06-05")],
        status_events=[{"enterprise_id": "E1", "date": "2026-01-01", "status": "suspended"}],
        penalties=[{"penalty_id": "P1", "enterprise_id": "E1", "date": "2026-01-01", "kind": "fine"}],
        accidents=[{"accident_id": "A1", "enterprise_id": "E1", "date": "2026-01-01", "severity": "minor"}],
        special_operations=[{"permit_id": "W1", "enterprise_id": "E1", "kind": "hot_work", "start_date": "2026-06-01",
                             "end_date": "2026-06-01"}],
        contracts=[{"contract_id": "C1", "enterprise_id": "E1", "contractor": "甲", "start_date": "2026-01-01",
                    "end_date": "2026-12-31"}],
        weather_alerts=[{"alert_id": "W1", "kind": "gale", "level": "blue", "start_date": "2026-06-29",
                         "end_date": "2026-06-30"}],
        power_usage=[{"enterprise_id": "E1", "period_start": "2026-05-01", "period_end": "2026-05-31", "kwh": 900.0}],
    )


def test_every_built_column_is_registered_in_registry_order_and_every_feature_is_built():
    X = build_features(full_county(), AS_OF)
    assert list(X.columns) == list(FEATURES)
    for name, spec in FEATURES.items():
        if spec.kind == "categorical":
            assert isinstance(X[name].dtype, pd.CategoricalDtype), name
        else:
            assert X[name].dtype == "float64", name


@pytest.mark.parametrize("spec", list(FEATURES.values()), ids=list(FEATURES))
def test_specs_are_complete_and_reasons_read(spec):
    assert spec.family in FAMILY_TABLES and spec.family in FAMILY_LABELS
    assert set(spec.tables) <= set(TABLES) and spec.kind in ("numeric", "binary", "categorical")
    assert spec.zh and spec.en and re.search(r"[\u4e00-\u9fff]", spec.reason_zh) and spec.reason_en
    assert spec.risk_direction in (-1, 0, 1)
    value = 0.25 if "share" in spec.name else 12.0
    assert "{" not in spec.reason_zh.format(value=value) and "{" not in spec.reason_en.format(value=value)
    assert "team" not in spec.name


def test_reasons_read_as_the_office_writes_them():
    assert FEATURES["days_since_unapproved_restart"].reason_zh.format(value=45) == "未批擅自复产 45 天"
    assert FEATURES["overdue_major"].reason_en.format(value=2) == "2 overdue major hazards"


def test_absent_tables_skip_their_families_and_only_those():
    tables = county(inspections=[inspection("I1", "E1", "2026-06-01")],
                    hazards=[hazard("H1", "E1", "2026-06-01", rectified="2026-06-02")])
    skipped = skipped_families(tables)
    assert skipped == {"status": ("status_events",), "enforcement": ("penalties",), "incidents": ("accidents",),
                       "operations": ("special_operations",), "outsourcing": ("contracts",),
                       "weather": ("weather_alerts",), "power": ("power_usage",)}
    X = build_features(tables, AS_OF)
    assert {FEATURES[c].family for c in X.columns} == {"profile", "season", "history", "rectification", "context"}
    assert skipped_families(full_county()) == {}


def test_unknown_family_is_a_user_error():
    with pytest.raises(UserError) as error:
        build_features(county(), AS_OF, families=["profile", "astrology"])
    assert "astrology" in error.value.zh and "astrology" in error.value.en
