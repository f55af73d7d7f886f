"""Rectification: open and overdue hazards, how late, and the share rectified on time.

Uses ``rectified_date`` (empty: still open on ``as_of``; ``as_known_on`` blanks later ones) and
``deadline``. Some offices record neither (real exports often lack deadlines): then the numbers
cannot be known and are not invented —
- no rectified date known on ``as_of`` at all: the whole family is absent (``skipped_families``
  reports ``hazards.rectified_date``);
- no deadline known: the deadline features (``DEADLINE_FEATURES``: overdue counts, days overdue,
  on-time share) are absent from the matrix, the open counts stay.
Both are judged on the county. A snapshot of a few firms (one firm re-scored, a posted batch)
cannot tell from its own rows, so its ``held`` says it: ``HELD_RECTIFIED`` and ``HELD_DEADLINE``
(``"hazards.rectified_date"``, ``"hazards.deadline"``) when the county records them by then.
``on_time_share`` counts hazards whose deadline has passed by ``as_of``: rectified on or before the
deadline over all of them; NaN when none was due. Open, overdue, days overdue and the hazard's
state come from ``analytics.snapshot.facts``.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

import numpy as np
import pandas as pd

from analytics.features.workspace import Workspace, day_numbers, ratio
from analytics.snapshot.facts import days_overdue, hazard_state, open_mask, overdue_mask


HELD_RECTIFIED = "hazards.rectified_date"
HELD_DEADLINE = "hazards.deadline"


def missing_columns(known: Mapping[str, pd.DataFrame], held: Set[str] = frozenset()) -> tuple[str, ...]:
    """The hazards columns this family needs that hold no value on the as-of date."""
    hazards = known.get("hazards")
    if hazards is None or not (HELD_RECTIFIED in held or hazards["rectified_date"].notna().any()):
        return (HELD_RECTIFIED,)
    return ()


def has_deadlines(known: Mapping[str, pd.DataFrame], held: Set[str] = frozenset()) -> bool:
    return HELD_DEADLINE in held or bool(known["hazards"]["deadline"].notna().any())


def compute(ws: Workspace) -> dict[str, object]:
    hazards, hpos = ws.events("hazards")
    major = hazards["level"].astype(object).eq("major").to_numpy()
    deadline = day_numbers(hazards["deadline"])
    open_ = open_mask(hazards).to_numpy()
    out: dict[str, object] = {
        "open_hazards": ws.count(hpos, open_),
        "open_major": ws.count(hpos, open_ & major),
    }
    if not has_deadlines(ws.tables, ws.held):
        return out
    overdue = overdue_mask(hazards, ws.as_of).to_numpy()
    days_over = days_overdue(hazards, ws.as_of).fillna(0.0).to_numpy(dtype="float64")
    n_overdue = ws.count(hpos, overdue)
    due = deadline < ws.today
    on_time = due & (hazard_state(hazards, ws.as_of) == "rectified_on_time").to_numpy()
    out.update({
        "overdue_hazards": n_overdue,
        "overdue_major": ws.count(hpos, overdue & major),
        "max_days_overdue": np.nan_to_num(ws.latest(hpos, days_over, overdue), nan=0.0),
        "mean_days_overdue": np.nan_to_num(ratio(ws.count(hpos, overdue, days_over), n_overdue), nan=0.0),
        "on_time_share": ratio(ws.count(hpos, on_time), ws.count(hpos, due)),
    })
    return out
