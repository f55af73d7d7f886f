"""Serve an AG Grid's infinite row model from a frame the page keeps ready: one block per request.

A grid of tens of thousands of rows (overdue hazards at 100,000 firms) would otherwise ship every
row to the browser on each load. The grid sends ``getRowsRequest`` (``startRow``, ``endRow``,
``sortModel``, ``filterModel``); ``rows_block`` answers ``{"rowData", "rowCount"}`` with the rows
filtered and sorted as the column menus asked. Text filters compare the text shown; number filters
compare numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

MAX_BLOCK = 500  # rows one request may ask for (the grids ask for 50 or 100); the guard refuses more

TEXT_TESTS = {
    "contains": lambda text, value: text.str.contains(value, regex=False),
    "notContains": lambda text, value: ~text.str.contains(value, regex=False),
    "equals": lambda text, value: text == value,
    "notEqual": lambda text, value: text != value,
    "startsWith": lambda text, value: text.str.startswith(value),
    "endsWith": lambda text, value: text.str.endswith(value),
    "blank": lambda text, value: text == "",
    "notBlank": lambda text, value: text != "",
}
NUMBER_TESTS = {
    "equals": lambda number, value: number == value,
    "notEqual": lambda number, value: number != value,
    "greaterThan": lambda number, value: number > value,
    "greaterThanOrEqual": lambda number, value: number >= value,
    "lessThan": lambda number, value: number < value,
    "lessThanOrEqual": lambda number, value: number <= value,
    "blank": lambda number, value: number.isna(),
    "notBlank": lambda number, value: number.notna(),
}


def _condition(column: pd.Series, condition: dict[str, Any]) -> np.ndarray:
    kind = condition.get("type")
    if condition.get("filterType") == "number":
        test = NUMBER_TESTS.get(kind)
        number = pd.to_numeric(column, errors="coerce")
        value = condition.get("filter")
        if kind == "inRange":
            return ((number >= value) & (number <= condition.get("filterTo"))).fillna(False).to_numpy(bool)
        return test(number, value).fillna(False).to_numpy(bool) if test else np.ones(len(column), bool)
    test = TEXT_TESTS.get(kind)
    text = column.astype(object).where(column.notna(), "").astype(str).str.lower()
    value = str(condition.get("filter") or "").lower()
    return test(text, value).to_numpy(bool) if test else np.ones(len(column), bool)


def filter_mask(frame: pd.DataFrame, filter_model: dict[str, Any] | None) -> np.ndarray:
    """Rows passing every column filter of an AG Grid ``filterModel`` (unknown columns/types: ignored)."""
    mask = np.ones(len(frame), dtype=bool)
    for column, model in (filter_model or {}).items():
        if column not in frame.columns or not isinstance(model, dict):
            continue
        if "conditions" in model:  # two conditions joined by AND / OR
            parts = [_condition(frame[column], {"filterType": model.get("filterType"), **c}) for c in model["conditions"]]
            mask &= np.logical_or.reduce(parts) if model.get("operator") == "OR" else np.logical_and.reduce(parts)
        else:
            mask &= _condition(frame[column], model)
    return mask


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as a grid's ``rowData``: one dict per row, missing values as None (JSON null)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def block_range(request: dict[str, Any], default_size: int = 100) -> tuple[int, int]:
    """(start, end) of the rows a ``getRowsRequest`` asks for, never more than ``MAX_BLOCK`` rows."""
    start = max(0, int(request.get("startRow") or 0))
    end = int(request.get("endRow") or start + default_size)
    return start, max(start, min(end, start + MAX_BLOCK))


def rows_block(frame: pd.DataFrame, request: dict[str, Any], default_size: int = 100) -> dict[str, Any]:
    """The ``getRowsResponse`` for ``request``: the rows asked for, as records, and the matching count."""
    rows = frame.loc[filter_mask(frame, request.get("filterModel"))]
    sort = [s for s in request.get("sortModel") or [] if s.get("colId") in rows.columns]
    if sort:
        rows = rows.sort_values([s["colId"] for s in sort], ascending=[s.get("sort") != "desc" for s in sort],
                                kind="stable")
    start, end = block_range(request, default_size)
    block = rows.iloc[start:end]
    return {"rowData": records(block), "rowCount": len(rows)}


_PURGE = """
function() {
    var api = window.dash_ag_grid && window.dash_ag_grid.getApi ? window.dash_ag_grid.getApi("GRID_ID") : null;
    if (api) { api.purgeInfiniteCache(); }
    return Date.now();
}
"""


def purge_blocks_on(grid_id: str, stamp: Any, inputs: list) -> None:
    """A clientside callback: when any of ``inputs`` changes, the infinite grid ``grid_id`` drops its
    cached blocks and asks the server again; ``stamp`` (an ``Output``) records when."""
    import dash

    dash.clientside_callback(_PURGE.replace("GRID_ID", grid_id), stamp, inputs, prevent_initial_call=True)
