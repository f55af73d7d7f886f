"""Status: production status in force, recent stops and restarts, unapproved restarts (未批擅自开工).

A *restart* is a change to ``operating`` that follows a stop (suspended or retrofit) of the same
enterprise, or that carries a restart approval (``approved`` given at all). An *unapproved restart*
is a restart with ``approved = false``. ``unapproved_restart`` is 1 when the enterprise's latest
restart was unapproved and it is not stopped again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.contract import schema
from analytics.features.registry import RESTART_WINDOWS
from analytics.features.workspace import Workspace, day_numbers, flags

STOPPED = ("suspended", "retrofit")


def compute(ws: Workspace) -> dict[str, object]:
    status_now = ws.enterprises["status"].astype(object)
    stopped_now = status_now.isin(STOPPED).to_numpy()
    events, positions = ws.events("status_events")
    days = day_numbers(events["date"])
    order = np.lexsort((days, positions))  # stable within a day: table order
    positions, days = positions[order], days[order]
    status = events["status"].astype(object).to_numpy()[order]
    approved_given = events["approved"].notna().to_numpy()[order]
    unapproved = flags(events["approved"], False)[order]

    stop = np.isin(status, STOPPED)
    previous_stop = np.zeros(len(status), dtype=bool)
    same_firm = np.zeros(len(status), dtype=bool)
    if len(status):
        same_firm[1:] = positions[1:] == positions[:-1]
        previous_stop[1:] = stop[:-1]
    restart = (status == "operating") & ((same_firm & previous_stop) | approved_given)

    last_stop = ws.latest(positions, days, stop)
    last_restart = ws.latest(positions, days, restart)
    last_unapproved = ws.latest(positions, days, restart & unapproved)
    out: dict[str, object] = {
        "status": status_now.astype(pd.CategoricalDtype([c.code for c in schema.STATUS])),
        "stopped_now": stopped_now.astype("float64"),
        "days_since_stop": ws.today - last_stop,
    }
    for window in RESTART_WINDOWS:
        out[f"restart_{window}d"] = (last_restart > ws.today - window).astype("float64")
    out["unapproved_restart"] = ((last_unapproved == last_restart) & ~stopped_now).astype("float64")
    out["days_since_unapproved_restart"] = ws.today - last_unapproved
    return out
