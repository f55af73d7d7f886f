"""Blocks of an AG Grid infinite row model served from a frame: filters and sorting as the column
menus ask, the count of matching rows, empty cells as nulls."""

from __future__ import annotations

import pandas as pd

from dashboard.components.grid import rows_block

FRAME = pd.DataFrame({"name": ["甲矿业", "乙燃气", "丙燃气", None], "days": [19, 9, 1, 40]})


def _names(request: dict) -> list:
    return [row["name"] for row in rows_block(FRAME, request)["rowData"]]


def test_a_block_is_the_rows_asked_for_and_the_count_of_all_that_match() -> None:
    block = rows_block(FRAME, {"startRow": 1, "endRow": 3})
    assert block == {"rowData": [{"name": "乙燃气", "days": 9}, {"name": "丙燃气", "days": 1}], "rowCount": 4}
    assert rows_block(FRAME, {"startRow": 3, "endRow": 10})["rowData"] == [{"name": None, "days": 40}]


def test_text_and_number_filters_and_sorting() -> None:
    gas = {"name": {"filterType": "text", "type": "contains", "filter": "燃气"}}
    assert _names({"filterModel": gas}) == ["乙燃气", "丙燃气"]
    assert _names({"filterModel": gas, "sortModel": [{"colId": "days", "sort": "asc"}]}) == ["丙燃气", "乙燃气"]
    late = {"days": {"filterType": "number", "type": "greaterThan", "filter": 5}}
    assert _names({"filterModel": late}) == ["甲矿业", "乙燃气", None]
    either = {"days": {"filterType": "number", "operator": "OR", "conditions": [
        {"type": "lessThan", "filter": 2}, {"type": "inRange", "filter": 30, "filterTo": 50}]}}
    assert _names({"filterModel": either}) == ["丙燃气", None]
    assert _names({"filterModel": {"name": {"filterType": "text", "type": "blank"}}}) == [None]
    assert rows_block(FRAME, {"filterModel": {"no_such_column": {"type": "equals", "filter": 1}}})["rowCount"] == 4
