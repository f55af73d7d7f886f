"""Hazard follow-up (隐患整改回头看): what state each hazard is in, where, and how rectification goes.

Every function reads the tables as known at the end of ``as_of`` (``timeline.as_known_on``), so a
rectification recorded later counts as not done yet.

A hazard's state on ``as_of``:

- ``open``: not rectified, deadline not passed (or none given);
- ``overdue``: not rectified, and ``as_of`` is a day after its deadline;
- ``rectified_on_time``: rectified on or before its deadline (or it had none);
- ``rectified_late``: rectified after its deadline.

The follow-up tables cover the hazards *open at some time in the window*: found on or before
``as_of`` and either still open or rectified inside the window (default the last 365 days). An old
hazard still open never drops out; one closed long ago does.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from analytics.contract.schema import Code
from analytics.contract.dates import to_timestamp
from analytics.snapshot.timeline import as_known_on

HAZARD_STATES = (
    Code("open", "整改中", "Open"),
    Code("overdue", "逾期未改", "Overdue"),
    Code("rectified_on_time", "按期整改", "Rectified on time"),
    Code("rectified_late", "逾期整改", "Rectified late"),
)
STATE_CODES = tuple(c.code for c in HAZARD_STATES)
GROUPINGS = (
    Code("town", "镇街", "Town"),
    Code("sector", "行业领域", "Sector"),
    Code("team", "检查组", "Inspection team"),
)
UNKNOWN_TEAM = "—"
WINDOW_DAYS = 365

Grouping = Literal["town", "sector", "team"]


def hazard_state(hazards: pd.DataFrame, as_of: object) -> pd.Series:
    """The state of each hazard on ``as_of`` (categorical over ``STATE_CODES``, index aligned).

    ``hazards`` must already be as known on ``as_of`` (later rectifications blanked).
    """
    as_of = to_timestamp(as_of)
    rectified = hazards["rectified_date"].notna()
    deadline = hazards["deadline"]
    late = rectified & deadline.notna() & (hazards["rectified_date"] > deadline)
    overdue = ~rectified & deadline.notna() & (deadline < as_of)
    state = np.select(
        [late.to_numpy(), rectified.to_numpy(), overdue.to_numpy()],
        ["rectified_late", "rectified_on_time", "overdue"],
        default="open",
    )
    return pd.Series(pd.Categorical(state, categories=STATE_CODES), index=hazards.index, name="state")


def overdue_mask(hazards: pd.DataFrame, as_of: object) -> pd.Series:
    """True for the hazards open and past their deadline on ``as_of`` (hazards as known then)."""
    as_of = to_timestamp(as_of)
    return hazards["rectified_date"].isna() & hazards["deadline"].notna() & (hazards["deadline"] < as_of)


def hazards_in_window(tables: dict[str, pd.DataFrame], as_of: object, window_days: int = WINDOW_DAYS) -> pd.DataFrame:
    """Hazards open at some time in ``(as_of - window_days, as_of]``, with their state and context.

    Columns: the hazard's own, plus ``state``, ``town_id``, ``sector``, ``team``, ``enterprise_name``.
    """
    as_of = to_timestamp(as_of)
    known = as_known_on(tables, as_of)
    hazards = known["hazards"]
    start = as_of - pd.Timedelta(days=window_days)
    hazards = hazards.loc[hazards["rectified_date"].isna() | (hazards["rectified_date"] > start)]
    enterprises = tables["enterprises"].set_index("enterprise_id")
    out = hazards.assign(
        state=hazard_state(hazards, as_of),
        town_id=hazards["enterprise_id"].map(enterprises["town_id"]).astype("string"),
        sector=hazards["enterprise_id"].map(enterprises["sector"].astype(object)),
        enterprise_name=hazards["enterprise_id"].map(enterprises["name"]).astype("string"),
    )
    inspections = known["inspections"].drop_duplicates("inspection_id").set_index("inspection_id")
    team = out["inspection_id"].map(inspections["team"]).astype("string")
    return out.assign(team=team.fillna(UNKNOWN_TEAM))


def states_by(
    tables: dict[str, pd.DataFrame], as_of: object, by: Grouping = "town", window_days: int = WINDOW_DAYS
) -> pd.DataFrame:
    """Hazard counts by state (columns ``STATE_CODES`` plus ``total``) per town, sector or team.

    The index holds town ids, sector codes or team names, sorted by overdue count (most first),
    then by name. Towns and sectors without hazards in the window are left out.
    """
    column = {"town": "town_id", "sector": "sector", "team": "team"}[by]
    hazards = hazards_in_window(tables, as_of, window_days)
    counts = pd.crosstab(hazards[column].astype(object), hazards["state"]).reindex(columns=list(STATE_CODES), fill_value=0)
    counts.columns = list(STATE_CODES)
    counts.index.name = by
    counts["total"] = counts[list(STATE_CODES)].sum(axis=1)
    counts = counts.astype("int64")
    return counts.sort_values(["overdue", "total"], ascending=[False, False], kind="stable")


def overdue_list(tables: dict[str, pd.DataFrame], as_of: object) -> pd.DataFrame:
    """Hazards overdue on ``as_of``, oldest deadline first, with ``days_overdue`` and context."""
    as_of = to_timestamp(as_of)
    hazards = hazards_in_window(tables, as_of, window_days=0)
    overdue = hazards.loc[hazards["state"] == "overdue"]
    overdue = overdue.assign(days_overdue=(as_of - overdue["deadline"]).dt.days.astype("int64"))
    columns = [
        "hazard_id", "enterprise_id", "enterprise_name", "town_id", "sector", "team", "level", "category",
        "found_date", "deadline", "days_overdue",
    ]
    return overdue.sort_values(["deadline", "found_date", "hazard_id"], kind="stable")[columns].reset_index(drop=True)


def rectification_rate(tables: dict[str, pd.DataFrame], as_of: object, months: int = 12) -> pd.DataFrame:
    """Per calendar month of deadline, the last ``months`` up to ``as_of``'s month: how hazards due then fared.

    Columns: ``month`` (first day), ``due``, ``rectified`` (by ``as_of``), ``on_time`` (by the
    deadline), ``rate`` = rectified / due and ``on_time_rate`` = on_time / due (NaN when nothing
    was due). Deadlines after ``as_of`` are not counted yet.
    """
    as_of = to_timestamp(as_of)
    hazards = as_known_on(tables, as_of)["hazards"]
    first = (as_of.to_period("M") - (months - 1)).to_timestamp()
    due = hazards.loc[hazards["deadline"].notna() & (hazards["deadline"] >= first) & (hazards["deadline"] <= as_of)]
    month = due["deadline"].dt.to_period("M").dt.to_timestamp()
    rectified = due["rectified_date"].notna()
    on_time = rectified & (due["rectified_date"] <= due["deadline"])
    grouped = pd.DataFrame({"month": month, "due": 1, "rectified": rectified, "on_time": on_time}).groupby("month").sum()
    all_months = pd.period_range(first, as_of, freq="M").to_timestamp()
    grouped = grouped.reindex(all_months, fill_value=0).astype("int64")
    grouped.index.name = "month"
    due_count = grouped["due"].where(grouped["due"] > 0)
    grouped["rate"] = grouped["rectified"] / due_count
    grouped["on_time_rate"] = grouped["on_time"] / due_count
    return grouped.reset_index()
