"""Season: the heating season (15 November to 15 March, inclusive), when gas, coal and fire risks rise.

Needs no table; the same for every enterprise on a date.
"""

from __future__ import annotations

import numpy as np

from analytics.features.registry import HEATING_SEASON
from analytics.features.workspace import Workspace


def in_heating_season(month: int, day: int) -> bool:
    (start_month, start_day), (end_month, end_day) = HEATING_SEASON
    return (month, day) >= (start_month, start_day) or (month, day) <= (end_month, end_day)


def compute(ws: Workspace) -> dict[str, object]:
    value = float(in_heating_season(ws.as_of.month, ws.as_of.day))
    return {"heating_season": np.full(ws.n, value)}
