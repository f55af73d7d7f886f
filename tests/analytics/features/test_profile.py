"""Profile family: attributes as recorded, severity ordered so that a level-1 source is the most severe."""

import numpy as np
import pytest

from analytics.contract.frames import typed

from analytics.features import build_features
from tests.analytics.features.conftest import AS_OF, county


@pytest.fixture(scope="module")
def X():
    return build_features(county(), AS_OF, families=["profile"])


@pytest.mark.parametrize("eid, column, expected", [
    ("E1", "major_hazard_severity", 4.0),  # level 1 is most severe
    ("E2", "major_hazard_severity", 0.0),  # no source
    ("E3", "major_hazard_severity", 1.0),  # level 4
    ("E1", "hazardous_chemicals", 1.0),
    ("E2", "hazardous_chemicals", 0.0),
    ("E3", "hazardous_chemicals", 0.0),  # unknown counts as no
    ("E1", "employees", 120.0),
    ("E1", "years_in_operation", 10.0),
    ("E3", "years_in_operation", 0.5),
])
def test_profile_values(X, eid, column, expected):
    assert X.loc[eid, column] == pytest.approx(expected, abs=0.01)


def test_unknown_numbers_stay_missing_and_categories_are_the_contract_codes(X):
    assert np.isnan(X.loc["E3", "employees"]) and np.isnan(X.loc["E2", "years_in_operation"])
    assert X.loc["E2", "sector"] == "fishing_vessels" and X.loc["E2", "town"] == "T2"
    assert "hazardous_chemicals" in X["sector"].cat.categories and list(X["town"].cat.categories) == ["T1", "T2"]
    assert X.loc["E3", "size"] != X.loc["E3", "size"]  # missing size is missing, not a made-up class


def test_index_is_the_sorted_operating_enterprises():
    tables = county(status_events=[{"enterprise_id": "E2", "date": "2026-03-01", "status": "closed"}])
    X = build_features(tables, AS_OF)
    assert list(X.index) == ["E1", "E3"] and X.index.name == "enterprise_id"
    assert list(build_features(tables, "2026-02-01").index) == ["E1", "E2", "E3"]
    assert list(build_features(tables, "2025-12-31").index) == ["E1", "E2"]  # E3 not established yet


def test_an_attribute_the_office_never_records_is_absent_not_invented():
    tables = county()
    tables["enterprises"] = typed("enterprises", tables["enterprises"].assign(
        size=None, employees=None, hazardous_chemicals=None, established=None))
    X = build_features(tables, AS_OF, families=["profile"])
    assert not {"size", "employees", "hazardous_chemicals", "years_in_operation"} & set(X.columns)
    assert X.loc["E1", "major_hazard_severity"] == 4.0 and X.loc["E2", "dust_explosion"] == 0.0  # recorded ones stay


def test_a_model_asking_for_an_attribute_gets_it_blank_for_firms_that_never_record_it(X):
    """One firm posted for scoring may leave blank what the county's matrix (the model's) recorded."""
    tables = county()
    tables["enterprises"] = typed("enterprises", tables["enterprises"].assign(hazardous_chemicals=None, established=None))
    wanted = list(X.columns)[::-1]
    blank = build_features(tables, AS_OF, families=["profile"], columns=wanted)
    assert list(blank.columns) == wanted
    assert (blank["hazardous_chemicals"] == 0.0).all() and blank["years_in_operation"].isna().all()  # as for a blank firm in X
    assert blank.loc["E1", "employees"] == X.loc["E1", "employees"]


def test_a_model_asking_for_a_feature_whose_table_is_missing_is_told_which():
    from analytics.contract.errors import UserError

    with pytest.raises(UserError, match="permits_90d|special"):
        build_features(county(), AS_OF, families=["profile"], columns=["sector", "permits_90d"])
