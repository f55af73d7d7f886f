"""Two more rules every model must beat, usable in any county: what an office without a model does.

- ``PriorViolationsRule`` (``prior_violations``): visit first the firms with the most major hazards
  found in the last year; the number of all hazards that year breaks ties among equals.
- ``LastInspectionRule`` (``last_inspection``): visit first the firms whose last inspection found the
  most major hazards; that visit's number of all hazards breaks ties.

Both read only the history family (``analytics.features.history``), which every county has (the
required tables), so they run where the optional tables, deadlines, coordinates or sizes are missing.
A general hazard is worth ``hazard_points`` (0.05) and at most ``hazard_cap`` (10) of them count, so no
number of general hazards outranks one more major. A firm never inspected scores 0 points.

They are points scorecards exactly like ``scorecard.RuleOfThumb`` (same fixed or Platt-fitted map from
points to probability, same exact ``contributions``), so the backtest, training and the risk list
treat them as they treat the rule of thumb.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.models.scorecard import RuleOfThumb


class _HistoryRule(RuleOfThumb):
    """Points on a count of majors (capped) plus a small tie-breaking weight on all hazards (capped)."""

    majors_feature = ""
    hazards_feature = ""

    def __init__(self, major_points: float = 1.0, major_cap: float = 5.0, hazard_points: float = 0.05,
                 hazard_cap: float = 10.0, scale: float = 1.0, offset: float = -2.5) -> None:
        self.major_points = major_points
        self.major_cap = major_cap
        self.hazard_points = hazard_points
        self.hazard_cap = hazard_cap
        self.scale = scale
        self.offset = offset

    def points(self, X: object) -> pd.DataFrame:
        frame = X if isinstance(X, pd.DataFrame) else self._frame(X)
        return pd.DataFrame({
            self.majors_feature: self.major_points * np.clip(self._column(frame, self.majors_feature), 0, self.major_cap),
            self.hazards_feature: self.hazard_points * np.clip(self._column(frame, self.hazards_feature), 0, self.hazard_cap),
        }, index=frame.index)


class PriorViolationsRule(_HistoryRule):
    """Majors found in the last year, then all hazards found in the last year."""

    majors_feature = "major_hazards_365d"
    hazards_feature = "hazards_365d"


class LastInspectionRule(_HistoryRule):
    """Majors found at the last inspection, then all hazards found at it."""

    majors_feature = "last_inspection_majors"
    hazards_feature = "last_inspection_hazards"


def baseline_rules() -> dict[str, object]:
    """The two history rules by their backtest names."""
    return {"prior_violations": PriorViolationsRule(), "last_inspection": LastInspectionRule()}
