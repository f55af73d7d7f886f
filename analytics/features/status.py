"""Status: production status in force, recent stops and restarts, unapproved restarts (未批擅自开工).

A *restart* and an *unapproved restart* are ``analytics.snapshot.facts.restart_mask`` and
``unapproved_restart_mask`` (a change to ``operating`` with ``approved`` false). The feature
``unapproved_restart`` is 1 when the enterprise's latest restart was unapproved and it is not
stopped again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.contract import schema
from analytics.features.registry import RESTART_WINDOWS
from analytics.features.workspace import Workspace, day_numbers
from analytics.snapshot.facts import STOPPED, restart_mask, unapproved_restart_mask


def compute(ws: Workspace) -> dict[str, object]:
    status_now = ws.enterprises["status"].astype(object)
    stopped_now = status_now.isin(STOPPED).to_numpy()
    events, positions = ws.events("status_events")
    days = day_numbers(events["date"])
    order = np.lexsort((days, positions))  # stable within a day: table order
    positions, days = positions[order], days[order]
    stop = events["status"].astype(object).isin(STOPPED).to_numpy()[order]
    restart = restart_mask(events).to_numpy()[order]
    unapproved = unapproved_restart_mask(events).to_numpy()[order]

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
