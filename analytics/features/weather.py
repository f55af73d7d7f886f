"""Weather alerts: per alert kind, the highest level (blue 1 … red 4) of alerts in force on the as-of
date or ended in the last ``ALERT_RECENT_DAYS`` days, for the enterprise's town or county-wide
(empty ``town_id``); and the exposures the campaign names: fishing vessels under gale/typhoon, gas
users and crowded venues under cold wave or rain-snow-ice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.contract import schema
from analytics.features.registry import ALERT_RECENT_DAYS
from analytics.features.workspace import Workspace, day_numbers

LEVEL_RANK = {code.code: rank for rank, code in enumerate(schema.ALERT_LEVELS, start=1)}
FISHING = ("fishing_vessels",)
GAS_VENUES = ("gas", "fire_venues")


def compute(ws: Workspace) -> dict[str, object]:
    alerts = ws.tables["weather_alerts"]
    end = day_numbers(alerts["end_date"])
    recent = alerts.loc[end >= ws.today - ALERT_RECENT_DAYS]
    rank = recent["level"].astype(object).map(LEVEL_RANK).astype("float64")
    kind = recent["kind"].astype(object)
    town = recent["town_id"].astype(object)
    county = rank.loc[town.isna()].groupby(kind.loc[town.isna()]).max()
    by_town = rank.loc[town.notna()].groupby([kind.loc[town.notna()], town.loc[town.notna()]]).max()
    enterprise_town = ws.enterprises["town_id"].astype(object)
    out: dict[str, object] = {}
    for code in schema.ALERT_KINDS:
        local = by_town.xs(code.code, level=0) if code.code in by_town.index.get_level_values(0) else pd.Series(dtype="float64")
        value = enterprise_town.map(local).astype("float64").fillna(0.0).to_numpy()
        out[f"alert_{code.code}"] = np.maximum(value, float(county.get(code.code, 0.0)))
    sector = ws.enterprises["sector"].astype(object)
    out["fishing_gale"] = sector.isin(FISHING).to_numpy() * np.maximum(out["alert_gale"], out["alert_typhoon"])
    out["gas_cold"] = sector.isin(GAS_VENUES).to_numpy() * np.maximum(out["alert_cold_wave"], out["alert_rain_snow_ice"])
    return out
