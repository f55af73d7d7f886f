"""The risk list as browsed: flags, filters, sorting and pages (tiny county, see summary_county)."""

from __future__ import annotations

import pandas as pd
import summary_county as county

from analytics.views import riskview
from analytics.views.riskview import ListFilter, Sort


def _frame() -> pd.DataFrame:
    return riskview.browse_frame(county.risk_list(), county.tables(), county.AS_OF)


def test_flags_as_known_on_the_day() -> None:
    flags = riskview.enterprise_flags(county.tables(), county.AS_OF)
    assert flags.loc["E1"].to_dict() == {"unapproved_restart": False, "unqualified_outsourcing": False,
                                         "hazardous_chemicals": False, "overdue_hazards": True}
    assert flags.loc["E2", "unapproved_restart"] and flags.loc["E2", "hazardous_chemicals"]
    assert flags.loc["E3", "unqualified_outsourcing"]
    earlier = riskview.enterprise_flags(county.tables(), "2026-01-05")
    assert not earlier.loc["E2", "unapproved_restart"]


def test_browse_frame_adds_place_and_the_top_reason() -> None:
    frame = _frame().set_index("enterprise_id")
    assert frame.loc["E1", "town_name"] == "城关镇" and frame.loc["E1", "sector"] == "mining"
    assert frame.loc["E1", "top_reason"] == "逾期未改隐患 1 项"
    assert frame.loc["E3", "top_reason"] == ""


def test_filters_combine_and_counts_follow_the_filter() -> None:
    frame = _frame()
    page = riskview.select_rows(frame, ListFilter.of(towns=["T1"]))
    assert page.rows["enterprise_id"].tolist() == ["E1", "E2"] and page.total == 2
    assert page.level_counts == {"red": 1, "orange": 1, "yellow": 0, "blue": 0}
    page = riskview.select_rows(frame, ListFilter.of(sectors=["gas"], flags=["overdue_hazards"]))
    assert page.rows["enterprise_id"].tolist() == ["E2", "E3"]
    page = riskview.select_rows(frame, ListFilter.of(sectors=["gas"], levels=["blue"], flags=["unqualified_outsourcing"]))
    assert page.rows["enterprise_id"].tolist() == ["E3"]
    page = riskview.select_rows(frame, ListFilter.of(text="燃气"))
    assert page.total == 2


def test_unknown_levels_and_flags_from_a_url_are_ignored() -> None:
    chosen = ListFilter.of(levels=["red", "purple"], flags=["nonsense"])
    assert chosen.levels == ("red",) and chosen.flags == ()


def test_sort_and_page() -> None:
    frame = _frame()
    page = riskview.select_rows(frame, ListFilter(), [Sort("score", ascending=True)], start=0, end=2)
    assert page.rows["enterprise_id"].tolist() == ["E3", "E2"] and page.total == 3
    page = riskview.select_rows(frame, ListFilter(), [Sort("no_such_column")], start=1, end=3)
    assert page.rows["enterprise_id"].tolist() == ["E2", "E3"]
