"""The leaders' overview (总览): headline figures with their change, the town × sector matrix, the trend.

A *period* is the ``period_days`` (default 30) ending on ``as_of``; the previous period is the
same length just before it, measured on the tables as known at its own end (``Snapshot.earlier``), so
a figure never borrows from a later record. Functions take a ``Snapshot`` (a tables dict with an
``as_of`` is cut into one first). Risk-level counts come from the risk lists the caller passes (the one
on ``as_of`` and the one on the previous scored date); without them those figures are missing.

Headline figures (``HEADLINES``):

- ``supervised``: enterprises operating (established, not closed) at the end of the period;
- ``inspected``, ``rectification_rate``, ``overdue``: the KPIs as ``analytics.snapshot.facts`` defines them
  (the bulletin reads the same definitions): enterprises inspected in the period; of the hazards found
  in the period, the share rectified by its end; hazards open and past their deadline at its end;
- ``hazards_found`` / ``major_hazards``: hazards (all / major) found in the period;
- ``red`` / ``orange``: enterprises at that level on the risk list.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from analytics.contract.schema import SECTORS, Code
from analytics.snapshot.facts import KPI_BETTER_WHEN, inspected_count, overdue_count, overdue_mask, rectification_rate
from analytics.snapshot.snapshot import Snapshot, as_snapshot

PERIOD_DAYS = 30

HEADLINES = (
    Code("supervised", "监管企业", "Enterprises supervised"),
    Code("inspected", "已检查企业", "Enterprises inspected"),
    Code("hazards_found", "发现隐患", "Hazards found"),
    Code("major_hazards", "重大隐患", "Major hazards"),
    Code("rectification_rate", "隐患整改率", "Rectification rate"),
    Code("overdue", "逾期未改隐患", "Overdue hazards"),
    Code("red", "红色（重大风险）企业", "Red (major risk)"),
    Code("orange", "橙色（较大风险）企业", "Orange (considerable risk)"),
)
HEADLINE_BETTER_WHEN: dict[str, str | None] = {
    "supervised": None, "hazards_found": None, "major_hazards": None,  # neither good nor bad by themselves
    **KPI_BETTER_WHEN, "red": "down", "orange": "down",
}
"""Which way each headline improves (``up``, ``down``; ``None``: neither): the cards' colours."""
MATRIX_METRICS = (
    Code("mean_risk", "平均风险概率", "Mean risk"),
    Code("red_orange", "红橙企业数", "Red + orange count"),
    Code("hazards_found", "发现隐患数", "Hazards found"),
    Code("overdue", "逾期未改隐患数", "Overdue hazards"),
)
Metric = Literal["mean_risk", "red_orange", "hazards_found", "overdue"]


def _period_figures(snapshot: Snapshot, period_days: int) -> dict[str, float]:
    known, end = snapshot.tables, snapshot.as_of.ts
    first = end - pd.Timedelta(days=period_days - 1)  # the period's first day (inclusive)
    hazards = known["hazards"]
    found = hazards.loc[(hazards["found_date"] >= first) & (hazards["found_date"] <= end)]
    return {
        "supervised": float(len(snapshot.operating)),
        "inspected": float(inspected_count(known["inspections"], first, end)),
        "hazards_found": float(len(found)),
        "major_hazards": float((found["level"] == "major").sum()),
        "rectification_rate": rectification_rate(hazards, first, end),
        "overdue": float(overdue_count(hazards, end)),
    }


def _level_counts(risk_list: pd.DataFrame | None) -> dict[str, float]:
    if risk_list is None:
        return {"red": np.nan, "orange": np.nan}
    levels = risk_list["risk_level"].astype(object)
    return {"red": float((levels == "red").sum()), "orange": float((levels == "orange").sum())}


def headline_figures(
    snapshot: Snapshot | dict[str, pd.DataFrame],
    as_of: object = None,
    risk_list: pd.DataFrame | None = None,
    previous_risk_list: pd.DataFrame | None = None,
    period_days: int = PERIOD_DAYS,
) -> pd.DataFrame:
    """One row per headline (index ``metric`` in ``HEADLINES`` order): ``value``, ``previous``, ``change``.

    ``change`` is ``value - previous`` (for the rate, in share points); NaN when either is missing.
    """
    snapshot = as_snapshot(snapshot, as_of)
    now = _period_figures(snapshot, period_days) | _level_counts(risk_list)
    before = _period_figures(snapshot.earlier(snapshot.as_of.plus(-period_days)), period_days) | _level_counts(
        previous_risk_list
    )
    order = [c.code for c in HEADLINES]
    frame = pd.DataFrame({"value": pd.Series(now), "previous": pd.Series(before)}).reindex(order)
    frame["change"] = frame["value"] - frame["previous"]
    frame.index.name = "metric"
    return frame


def _with_place(frame: pd.DataFrame, enterprises: pd.DataFrame) -> pd.DataFrame:
    place = enterprises.set_index("enterprise_id")[["town_id", "sector"]]
    return frame.join(place, on="enterprise_id", how="inner")


def town_sector_matrix(
    snapshot: Snapshot | dict[str, pd.DataFrame],
    as_of: object = None,
    metric: Metric = "mean_risk",
    risk_list: pd.DataFrame | None = None,
    period_days: int = PERIOD_DAYS,
) -> pd.DataFrame:
    """A town (rows, in ``towns`` order) × sector (columns, contract order) matrix of ``metric``.

    Only sectors with an enterprise operating on ``as_of`` appear. ``mean_risk`` and ``red_orange``
    read ``risk_list`` (an empty cell for mean risk is NaN: nobody scored there); hazard counts
    cover the hazards found in the period (``hazards_found``) or overdue on ``as_of`` (``overdue``).
    """
    snapshot = as_snapshot(snapshot, as_of)
    as_of, known, enterprises = snapshot.as_of.ts, snapshot.tables, snapshot.operating
    towns = list(known["towns"]["town_id"].astype(object))
    present = set(enterprises["sector"].astype(object))
    sectors = [c.code for c in SECTORS if c.code in present]
    if metric in ("mean_risk", "red_orange"):
        if risk_list is None:
            values = pd.DataFrame(columns=["enterprise_id", "value", "town_id", "sector"])
        else:
            values = risk_list[["enterprise_id"]].assign(
                value=risk_list["score"] if metric == "mean_risk" else risk_list["risk_level"].astype(object).isin(["red", "orange"])
            )
        values = _with_place(values, enterprises)
        aggregate = "mean" if metric == "mean_risk" else "sum"
    else:
        hazards = known["hazards"]
        if metric == "hazards_found":
            chosen = hazards.loc[hazards["found_date"] > as_of - pd.Timedelta(days=period_days)]
        else:
            chosen = hazards.loc[overdue_mask(hazards, as_of)]
        values = _with_place(chosen[["enterprise_id"]].assign(value=1), known["enterprises"])
        aggregate = "sum"
    if len(values):
        keys = [values["town_id"].astype(object), values["sector"].astype(object)]
        matrix = values["value"].astype("float64").groupby(keys).agg(aggregate).unstack()
    else:
        matrix = pd.DataFrame()
    matrix = matrix.reindex(index=towns, columns=sectors).astype("float64")
    if aggregate == "sum":
        matrix = matrix.fillna(0.0)
    matrix.index.name = "town_id"
    matrix.columns.name = "sector"
    return matrix


def town_sector_counts(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object = None) -> pd.DataFrame:
    """How many enterprises operate on ``as_of`` in each town × sector cell (the rows and columns of
    ``town_sector_matrix``: towns in ``towns`` order, the sectors present in contract order), as int."""
    snapshot = as_snapshot(snapshot, as_of)
    enterprises = snapshot.operating
    towns = list(snapshot.tables["towns"]["town_id"].astype(object))
    present = set(enterprises["sector"].astype(object))
    sectors = [c.code for c in SECTORS if c.code in present]
    counts = pd.crosstab(enterprises["town_id"].astype(object), enterprises["sector"].astype(object))
    counts = counts.reindex(index=towns, columns=sectors, fill_value=0).astype("int64")
    counts.index.name, counts.columns.name = "town_id", "sector"
    return counts


def town_mean_risk(risk_list: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per town (every town in ``towns``): ``name``, ``enterprises`` scored, ``mean_score`` (NaN if none)."""
    scored = _with_place(risk_list[["enterprise_id", "score"]], tables["enterprises"])
    scored = scored.assign(town_id=scored["town_id"].astype(object))
    summary = scored.groupby("town_id").agg(enterprises=("score", "size"), mean_score=("score", "mean"))
    towns = tables["towns"].assign(town_id=tables["towns"]["town_id"].astype(object)).set_index("town_id")[["name"]]
    out = towns.join(summary)
    out["enterprises"] = out["enterprises"].fillna(0).astype("int64")
    return out.reset_index()


def weekly_hazards(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object = None, weeks: int = 26) -> pd.DataFrame:
    """Hazards found and rectified per 7-day week, the last ``weeks`` weeks ending on ``as_of``.

    Columns: ``week_start``, ``week_end``, ``found``, ``rectified``; oldest week first.
    """
    snapshot = as_snapshot(snapshot, as_of)
    as_of, hazards = snapshot.as_of.ts, snapshot["hazards"]

    def per_week(dates: pd.Series) -> np.ndarray:
        back = ((as_of - dates.dropna()).dt.days // 7).to_numpy()
        back = back[(back >= 0) & (back < weeks)]
        return np.bincount(back.astype("int64"), minlength=weeks)[::-1]

    ends = pd.DatetimeIndex([as_of - pd.Timedelta(days=7 * i) for i in range(weeks - 1, -1, -1)])
    return pd.DataFrame(
        {
            "week_start": ends - pd.Timedelta(days=6),
            "week_end": ends,
            "found": per_week(hazards["found_date"]),
            "rectified": per_week(hazards["rectified_date"]),
        }
    )
