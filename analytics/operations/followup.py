"""Hazard follow-up (隐患整改回头看): what state each hazard is in, where, and how rectification goes.

Every function reads a ``Snapshot``: the tables as known at the end of its date, so a rectification
recorded later counts as not done yet. (A tables dict with an ``as_of`` is cut into one first, for
tests and notebooks.)

A hazard's state on ``as_of`` (open, overdue, rectified on time or late) is
``analytics.snapshot.facts.hazard_state``: defined there once for every module.

The follow-up tables cover the hazards *open at some time in the window*: found on or before
``as_of`` and either still open or rectified inside the window (default the last 365 days). An old
hazard still open never drops out; one closed long ago does.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from analytics.contract.schema import Code
from analytics.snapshot.facts import STATE_CODES, days_overdue, hazard_state, open_mask
from analytics.snapshot.snapshot import Snapshot, as_snapshot

GROUPINGS = (
    Code("town", "镇街", "Town"),
    Code("sector", "行业领域", "Sector"),
    Code("team", "检查组", "Inspection team"),
)
UNKNOWN_TEAM = "—"
WINDOW_DAYS = 365

Grouping = Literal["town", "sector", "team"]


def hazards_in_window(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object = None,
                      window_days: int = WINDOW_DAYS) -> pd.DataFrame:
    """Hazards open at some time in ``(as_of - window_days, as_of]``, with their state and context.

    Columns: the hazard's own, plus ``state``, ``town_id``, ``sector``, ``team``, ``enterprise_name``.
    """
    snapshot = as_snapshot(snapshot, as_of)
    as_of, known = snapshot.as_of.ts, snapshot.tables
    hazards = known["hazards"]
    start = as_of - pd.Timedelta(days=window_days)
    hazards = hazards.loc[open_mask(hazards) | (hazards["rectified_date"] > start)]
    enterprises = known["enterprises"].set_index("enterprise_id")
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
    snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object = None, by: Grouping = "town",
    window_days: int = WINDOW_DAYS,
) -> pd.DataFrame:
    """Hazard counts by state (columns ``STATE_CODES`` plus ``total``) per town, sector or team.

    The index holds town ids, sector codes or team names, sorted by overdue count (most first),
    then by name. Towns and sectors without hazards in the window are left out.
    """
    column = {"town": "town_id", "sector": "sector", "team": "team"}[by]
    hazards = hazards_in_window(snapshot, as_of, window_days)
    counts = pd.crosstab(hazards[column].astype(object), hazards["state"]).reindex(columns=list(STATE_CODES), fill_value=0)
    counts.columns = list(STATE_CODES)
    counts.index.name = by
    counts["total"] = counts[list(STATE_CODES)].sum(axis=1)
    counts = counts.astype("int64")
    return counts.sort_values(["overdue", "total"], ascending=[False, False], kind="stable")


def overdue_list(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object = None) -> pd.DataFrame:
    """Hazards overdue on ``as_of``, oldest deadline first, with ``days_overdue`` and context."""
    snapshot = as_snapshot(snapshot, as_of)
    hazards = hazards_in_window(snapshot, window_days=0)
    overdue = hazards.loc[hazards["state"] == "overdue"]
    overdue = overdue.assign(days_overdue=days_overdue(overdue, snapshot.as_of.ts).astype("int64"))
    columns = [
        "hazard_id", "enterprise_id", "enterprise_name", "town_id", "sector", "team", "level", "category",
        "found_date", "deadline", "days_overdue",
    ]
    return overdue.sort_values(["deadline", "found_date", "hazard_id"], kind="stable")[columns].reset_index(drop=True)


def rectification_rate(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object = None, months: int = 12) -> pd.DataFrame:
    """Per calendar month of deadline, the last ``months`` up to ``as_of``'s month: how hazards due then fared.

    Columns: ``month`` (first day), ``due``, ``rectified`` (by ``as_of``), ``on_time`` (by the
    deadline), ``rate`` = rectified / due and ``on_time_rate`` = on_time / due (NaN when nothing
    was due). Deadlines after ``as_of`` are not counted yet.
    """
    snapshot = as_snapshot(snapshot, as_of)
    as_of, hazards = snapshot.as_of.ts, snapshot["hazards"]
    first = (as_of.to_period("M") - (months - 1)).to_timestamp()
    due = hazards.loc[hazards["deadline"].notna() & (hazards["deadline"] >= first) & (hazards["deadline"] <= as_of)]
    month = due["deadline"].dt.to_period("M").dt.to_timestamp()
    rectified = ~open_mask(due)
    on_time = hazard_state(due, as_of) == "rectified_on_time"  # every due hazard has a deadline
    grouped = pd.DataFrame({"month": month, "due": 1, "rectified": rectified, "on_time": on_time}).groupby("month").sum()
    all_months = pd.period_range(first, as_of, freq="M").to_timestamp()
    grouped = grouped.reindex(all_months, fill_value=0).astype("int64")
    grouped.index.name = "month"
    due_count = grouped["due"].where(grouped["due"] > 0)
    grouped["rate"] = grouped["rectified"] / due_count
    grouped["on_time_rate"] = grouped["on_time"] / due_count
    return grouped.reset_index()
