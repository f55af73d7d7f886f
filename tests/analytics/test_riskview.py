"""The risk list as browsed: flags, filters, sorting and pages (tiny county, see summary_county)."""

from __future__ import annotations

import pandas as pd
import summary_county as county

from analytics.snapshot import facts
from analytics.snapshot.facts import FLAG_CODES
from analytics.snapshot.timeline import as_known_on
from analytics.views import riskview
from analytics.views.riskview import ListFilter, Sort


def _frame() -> pd.DataFrame:
    return riskview.browse_frame(county.risk_list(), county.tables(), county.AS_OF)


def test_a_list_stored_with_flags_is_browsed_with_its_own_flags() -> None:
    """The page reads the flags the list was scored with; it does not recompute them from today's tables."""
    stored = county.risk_list().assign(unapproved_restart=[True, False, False], unqualified_outsourcing=False,
                                       hazardous_chemicals=False, overdue_hazards=[False, False, True])
    frame = riskview.browse_frame(stored, county.tables(), county.AS_OF).set_index("enterprise_id")
    assert frame["unapproved_restart"].tolist() == [True, False, False]
    assert frame["overdue_hazards"].tolist() == [False, False, True]


def test_a_list_stored_before_flags_were_kept_gets_them_as_known_on_its_date() -> None:
    old = county.risk_list().assign(**{code: pd.array([pd.NA] * 3, dtype="boolean") for code in FLAG_CODES})
    frame = riskview.browse_frame(old, county.tables(), county.AS_OF).set_index("enterprise_id")
    expected = facts.enterprise_flags(as_known_on(county.tables(), county.AS_OF), county.AS_OF).loc[["E1", "E2", "E3"]]
    assert frame[list(FLAG_CODES)].to_dict() == expected.to_dict()
    assert frame[list(FLAG_CODES)].dtypes.eq(bool).all()


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
