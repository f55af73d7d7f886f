"""Context: the major hazards per inspection of the enterprise's sector and town over the last year,
from inspections and hazards known on the as-of date, smoothed toward the county rate:

    rate = (majors in group + PRIOR_INSPECTIONS × county rate) / (inspections in group + PRIOR_INSPECTIONS)

so a town with few inspections is not ranked on luck. Every known enterprise's records count (closed
ones too: they say how the sector and town behave).
"""

from __future__ import annotations

import numpy as np

from analytics.features.workspace import Workspace, day_numbers

PRIOR_INSPECTIONS = 50.0
WINDOW_DAYS = 365


def _rates(ws: Workspace, column: str) -> np.ndarray:
    everyone = ws.tables["enterprises"].set_index("enterprise_id")[column].astype(object)
    inspections = ws.tables["inspections"]
    hazards = ws.tables["hazards"]
    inspections = inspections.loc[day_numbers(inspections["date"]) > ws.today - WINDOW_DAYS]
    majors = hazards.loc[(day_numbers(hazards["found_date"]) > ws.today - WINDOW_DAYS)
                         & hazards["level"].astype(object).eq("major").to_numpy()]
    visits = inspections["enterprise_id"].astype(object).map(everyone).value_counts()
    found = majors["enterprise_id"].astype(object).map(everyone).value_counts()
    county_rate = float(found.sum()) / float(visits.sum()) if visits.sum() > 0 else 0.0
    groups = visits.index.union(found.index)
    visits, found = visits.reindex(groups, fill_value=0), found.reindex(groups, fill_value=0)
    rate = (found + PRIOR_INSPECTIONS * county_rate) / (visits + PRIOR_INSPECTIONS)
    return ws.enterprises[column].astype(object).map(rate).astype("float64").fillna(county_rate).to_numpy()


def compute(ws: Workspace) -> dict[str, object]:
    return {"sector_major_rate": _rates(ws, "sector"), "town_major_rate": _rates(ws, "town_id")}



