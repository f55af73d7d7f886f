"""History: inspections and the hazards they found, over 90 days, 365 days and all time, and what the
last inspection found (on real data the strongest single predictor is what the last visit turned up).

"The last inspection" is every inspection of the enterprise on its latest inspection day; its hazards
are those linked to one of them by ``inspection_id``, or, without a link, found that day. The
inspection team is never used. Ratios and "last inspection" figures are NaN for an enterprise never
inspected (nothing to divide, nothing found), never 0 by invention.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.features.registry import CAMPAIGN_CATEGORIES, HISTORY_WINDOWS, window_suffix
from analytics.features.workspace import Workspace, day_numbers, ratio


def compute(ws: Workspace) -> dict[str, object]:
    inspections, ipos = ws.events("inspections")
    hazards, hpos = ws.events("hazards")
    idays = day_numbers(inspections["date"])
    hdays = day_numbers(hazards["found_date"])
    major = hazards["level"].astype(object).eq("major").to_numpy()
    category = hazards["category"].astype(object).to_numpy()

    out: dict[str, object] = {}
    for window in HISTORY_WINDOWS:
        suffix = window_suffix(window)
        n_inspections = ws.count(ipos, ws.within(idays, window))
        in_window = ws.within(hdays, window)
        n_hazards = ws.count(hpos, in_window)
        out[f"inspections_{suffix}"] = n_inspections
        out[f"hazards_{suffix}"] = n_hazards
        out[f"major_hazards_{suffix}"] = ws.count(hpos, in_window & major)
        out[f"hazards_per_inspection_{suffix}"] = ratio(n_hazards, n_inspections)
    last_year = ws.within(hdays, 365)
    for name in CAMPAIGN_CATEGORIES:
        out[f"hazards_{name}_365d"] = ws.count(hpos, last_year & (category == name))

    last_day = ws.latest(ipos, idays)
    out["days_since_inspection"] = ws.today - last_day
    out["never_inspected"] = np.isnan(last_day).astype("float64")
    out["days_since_major"] = ws.today - ws.latest(hpos, hdays, major)

    last_ids = pd.Index(inspections["inspection_id"].astype(object).to_numpy()[idays == last_day[ipos]])
    linked = hazards["inspection_id"].astype(object)
    at_last = linked.isin(last_ids).to_numpy() | (linked.isna().to_numpy() & (hdays == last_day[hpos]))
    never = np.isnan(last_day)
    out["last_inspection_hazards"] = np.where(never, np.nan, ws.count(hpos, at_last))
    out["last_inspection_majors"] = np.where(never, np.nan, ws.count(hpos, at_last & major))
    return out
