"""Enforcement and incidents: penalties by kind and accidents by severity, over a year and all time.

Two families because they need different tables: ``enforcement`` (penalties) and ``incidents``
(accidents). "Serious" accidents are those graded general (一般) or worse.
"""

from __future__ import annotations

from analytics.contract import schema
from analytics.features.workspace import Workspace, day_numbers

SERIOUS = tuple(c.code for c in schema.ACCIDENT_SEVERITIES if c.code != "minor")


def compute_enforcement(ws: Workspace) -> dict[str, object]:
    penalties, pos = ws.events("penalties")
    days = day_numbers(penalties["date"])
    kind = penalties["kind"].astype(object).to_numpy()
    year = ws.within(days, 365)
    amount = penalties["amount_yuan"].fillna(0.0).to_numpy(dtype="float64")
    out: dict[str, object] = {
        f"penalty_{code.code}_365d": ws.count(pos, year & (kind == code.code)) for code in schema.PENALTY_KINDS
    }
    out["penalties_all"] = ws.count(pos)
    out["fine_amount_365d"] = ws.count(pos, year, amount)
    out["days_since_penalty"] = ws.today - ws.latest(pos, days)
    return out


def compute_incidents(ws: Workspace) -> dict[str, object]:
    accidents, pos = ws.events("accidents")
    days = day_numbers(accidents["date"])
    serious = accidents["severity"].astype(object).isin(SERIOUS).to_numpy()
    casualties = (accidents["deaths"].fillna(0) + accidents["injuries"].fillna(0)).to_numpy(dtype="float64")
    return {
        "accidents_365d": ws.count(pos, ws.within(days, 365)),
        "accidents_all": ws.count(pos),
        "serious_accidents_all": ws.count(pos, serious),
        "casualties_all": ws.count(pos, None, casualties),
        "days_since_accident": ws.today - ws.latest(pos, days),
    }



