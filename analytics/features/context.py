"""Context: the major hazards per inspection of the enterprise's sector and town over the last year,
from inspections and hazards known on the as-of date, smoothed toward the county rate:

    rate = (majors in group + PRIOR_INSPECTIONS × county rate) / (inspections in group + PRIOR_INSPECTIONS)

so a town with few inspections is not ranked on luck. Every known enterprise's records count (closed
ones too: they say how the sector and town behave).

The rates are county-wide. They are computed in two steps so that a partitioned engine
(``analytics.engine``) gets the same numbers as one process: ``group_counts`` counts a part of the
county's firms (counts add up across parts), ``rates_from_counts`` turns the summed counts into
rates, and ``apply_rates`` gives each firm its group's rate.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analytics.features.workspace import Workspace, day_numbers

PRIOR_INSPECTIONS = 50.0
WINDOW_DAYS = 365
CONTEXT_COLUMNS = {"sector_major_rate": "sector", "town_major_rate": "town_id"}


def group_counts(tables: Mapping[str, pd.DataFrame], today: float, column: str) -> tuple[pd.Series, pd.Series]:
    """Inspections and major hazards of the last year per value of ``column`` (of the enterprises in
    ``tables``): two integer Series indexed by the group. Counts of disjoint sets of firms add up."""
    everyone = tables["enterprises"].set_index("enterprise_id")[column].astype(object)
    inspections = tables["inspections"]
    hazards = tables["hazards"]
    inspections = inspections.loc[day_numbers(inspections["date"]) > today - WINDOW_DAYS]
    majors = hazards.loc[(day_numbers(hazards["found_date"]) > today - WINDOW_DAYS)
                         & hazards["level"].astype(object).eq("major").to_numpy()]
    visits = inspections["enterprise_id"].astype(object).map(everyone).value_counts()
    found = majors["enterprise_id"].astype(object).map(everyone).value_counts()
    return visits, found


def rates_from_counts(visits: pd.Series, found: pd.Series) -> tuple[pd.Series, float]:
    """The smoothed rate per group and the county rate, from the county's summed counts."""
    county_rate = float(found.sum()) / float(visits.sum()) if visits.sum() > 0 else 0.0
    groups = visits.index.union(found.index)
    visits, found = visits.reindex(groups, fill_value=0), found.reindex(groups, fill_value=0)
    return (found + PRIOR_INSPECTIONS * county_rate) / (visits + PRIOR_INSPECTIONS), county_rate


def apply_rates(enterprises: pd.DataFrame, column: str, rate: pd.Series, county_rate: float) -> np.ndarray:
    """Each enterprise's group rate (the county rate for a group without records)."""
    return enterprises[column].astype(object).map(rate).astype("float64").fillna(county_rate).to_numpy()


def _rates(ws: Workspace, column: str) -> np.ndarray:
    rate, county_rate = rates_from_counts(*group_counts(ws.tables, ws.today, column))
    return apply_rates(ws.enterprises, column, rate, county_rate)


def compute(ws: Workspace) -> dict[str, object]:
    return {name: _rates(ws, column) for name, column in CONTEXT_COLUMNS.items()}
