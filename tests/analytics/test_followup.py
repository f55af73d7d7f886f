"""Hazard follow-up: states, the overdue list and rectification rates on the tiny county (see summary_county)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import summary_county as county
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.operations import followup


def test_states_on_the_day_follow_the_deadline_and_what_was_known() -> None:
    hazards = followup.hazards_in_window(county.tables(), county.AS_OF).set_index("hazard_id")
    assert hazards["state"].astype(object).to_dict() == {
        "H1": "rectified_on_time", "H2": "rectified_late", "H3": "overdue", "H4": "open", "H5": "overdue", "H6": "overdue",
    }


def test_counts_by_town_most_overdue_first() -> None:
    by_town = followup.states_by(county.tables(), county.AS_OF, "town")
    assert list(by_town.index) == ["T1", "T2"]
    assert by_town.loc["T1"].to_dict() == {"open": 0, "overdue": 2, "rectified_on_time": 1, "rectified_late": 1, "total": 4}
    assert by_town.loc["T2"].to_dict() == {"open": 1, "overdue": 1, "rectified_on_time": 0, "rectified_late": 0, "total": 2}


def test_counts_by_team_put_hazards_without_an_inspection_team_apart() -> None:
    by_team = followup.states_by(county.tables(), county.AS_OF, "team")
    assert by_team["total"].to_dict() == {"第一组": 4, "第二组": 1, followup.UNKNOWN_TEAM: 1}
    assert by_team.loc["第一组", "overdue"] == 1


def test_counts_by_sector() -> None:
    by_sector = followup.states_by(county.tables(), county.AS_OF, "sector")
    assert by_sector.loc["gas"].to_dict() == {"open": 1, "overdue": 2, "rectified_on_time": 0, "rectified_late": 0, "total": 3}
    assert by_sector.loc["mining", "overdue"] == 1


def test_overdue_list_is_oldest_deadline_first_with_days_overdue() -> None:
    overdue = followup.overdue_list(county.tables(), county.AS_OF)
    assert list(overdue["hazard_id"]) == ["H3", "H5", "H6"]
    assert list(overdue["days_overdue"]) == [19, 9, 1]
    assert list(overdue["enterprise_name"]) == ["乙燃气", "丙燃气", "甲矿业"]


def test_a_fix_recorded_after_the_day_does_not_count_yet() -> None:
    later = pd.Timestamp("2026-03-06")
    overdue = followup.overdue_list(county.tables(), later)
    assert "H5" not in set(overdue["hazard_id"])
    assert "H5" in set(followup.overdue_list(county.tables(), county.AS_OF)["hazard_id"])


def test_rectification_rate_per_month_of_deadline() -> None:
    rate = followup.rectification_rate(county.tables(), county.AS_OF, months=3).set_index("month")
    january, february, march = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01"), pd.Timestamp("2026-03-01")
    assert list(rate.index) == [january, february, march]
    assert rate.loc[january, ["due", "rectified", "on_time"]].tolist() == [2, 2, 1]
    assert rate.loc[january, "rate"] == 1.0 and rate.loc[january, "on_time_rate"] == 0.5
    assert rate.loc[february, ["due", "rectified"]].tolist() == [3, 0]
    assert rate.loc[february, "rate"] == 0.0
    assert np.isnan(rate.loc[march, "rate"])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.integers(0, 30), st.one_of(st.none(), st.integers(0, 60))), min_size=1, max_size=12
    ),
    st.integers(0, 120),
)
def test_every_hazard_gets_exactly_one_state_and_counts_add_up(rows: list[tuple[int, int, int | None]], day: int) -> None:
    base = pd.Timestamp("2026-01-01")
    tables = county.tables()
    tables["hazards"] = tables["hazards"].iloc[:0]
    records = [
        {"hazard_id": f"X{i}", "enterprise_id": "E1", "found_date": base + pd.Timedelta(days=found), "level": "general",
         "deadline": base + pd.Timedelta(days=found + allowed),
         "rectified_date": None if fixed is None else base + pd.Timedelta(days=found + fixed)}
        for i, (found, allowed, fixed) in enumerate(rows)
    ]
    from analytics.contract import frames

    tables["hazards"] = frames.typed("hazards", records)
    as_of = base + pd.Timedelta(days=day)
    known = [r for r in records if r["found_date"] <= as_of]
    by_town = followup.states_by(tables, as_of, "town", window_days=10_000)
    assert int(by_town["total"].sum()) == len(known)
    overdue = sum(1 for r in known if (r["rectified_date"] is None or r["rectified_date"] > as_of) and r["deadline"] < as_of)
    assert int(by_town["overdue"].sum()) == overdue
    assert len(followup.overdue_list(tables, as_of)) == overdue


@pytest.mark.parametrize("by", ["town", "sector", "team"])
def test_no_hazards_gives_an_empty_table_not_an_error(by: str) -> None:
    tables = county.tables()
    tables["hazards"] = tables["hazards"].iloc[:0]
    assert followup.states_by(tables, county.AS_OF, by).empty
