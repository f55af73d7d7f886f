"""Special operations (hot work, confined space, lifting ...): permits by kind over 30 and 90 days,
the share done by outside contractors, operators without certificates.

A permit counts in a window when it started in it (``start_date``; a permit is known from its start).
Uncertified operators = ``operators - certified_operators`` where both are recorded.
"""

from __future__ import annotations

import numpy as np

from analytics.contract import schema
from analytics.features.registry import PERMIT_WINDOWS
from analytics.features.workspace import Workspace, day_numbers, ratio


def compute(ws: Workspace) -> dict[str, object]:
    permits, pos = ws.events("special_operations")
    days = day_numbers(permits["start_date"])
    kind = permits["kind"].astype(object).to_numpy()
    out: dict[str, object] = {}
    for window in PERMIT_WINDOWS:
        recent = ws.within(days, window)
        out[f"permits_{window}d"] = ws.count(pos, recent)
        for code in schema.OPERATION_KINDS:
            out[f"permits_{code.code}_{window}d"] = ws.count(pos, recent & (kind == code.code))
    recent = ws.within(days, 90)
    outsourced = permits["contractor"].notna().to_numpy()
    out["outsourced_permit_share_90d"] = ratio(ws.count(pos, recent & outsourced), ws.count(pos, recent))
    uncertified = (permits["operators"] - permits["certified_operators"]).astype("float64").to_numpy(na_value=np.nan)
    uncertified = np.clip(np.nan_to_num(uncertified, nan=0.0), 0, None)
    out["uncertified_operators_90d"] = ws.count(pos, recent, uncertified)
    return out
