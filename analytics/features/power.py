"""Power: metered electricity (contract v2 ``power_usage``) as evidence of what a firm is doing.

Reads ``analytics.snapshot.power`` (the one definition of a suspected restart from power) on the
workspace's known tables: a period counts from its ``period_end``. Per operating firm:

- ``power_suspected_restart``: 1 when the firm is a suspect on ``as_of`` at the default thresholds;
- ``power_stop_ratio``: the highest daily draw during a recorded stop, over its operating baseline, in
  periods ending in the last ``POWER_WINDOW_DAYS`` (NaN: no such period);
- ``power_activity``: the latest known period's daily draw over the firm's baseline (NaN: none).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.features.registry import POWER_WINDOW_DAYS
from analytics.features.workspace import Workspace
from analytics.snapshot.power import DEFAULT_THRESHOLDS, judged_periods, suspected_restarts


def compute(ws: Workspace, sector_baseline: pd.Series | None = None) -> dict[str, object]:
    """The family's columns; ``sector_baseline``: the county's sector baselines where ``ws`` holds a
    partition of it (``analytics.snapshot.power.judged_periods``)."""
    ids = ws.enterprises.index
    periods = judged_periods(ws.tables, ws.as_of, DEFAULT_THRESHOLDS, sector_baseline)
    suspects = suspected_restarts(ws.tables, ws.as_of, DEFAULT_THRESHOLDS, sector_baseline, periods=periods)
    recent = periods.loc[periods["under_stop"].astype(bool)
                         & (periods["period_end"] > ws.as_of - np.timedelta64(POWER_WINDOW_DAYS, "D"))]
    stop_ratio = recent.groupby("enterprise_id")["ratio"].max()
    latest = periods.sort_values("period_end", kind="stable").drop_duplicates("enterprise_id", keep="last")
    activity = latest.set_index("enterprise_id")["ratio"]
    return {
        "power_suspected_restart": ids.isin(suspects["enterprise_id"]).astype("float64"),
        "power_stop_ratio": stop_ratio.reindex(ids).to_numpy(dtype="float64"),
        "power_activity": activity.reindex(ids).to_numpy(dtype="float64"),
    }
