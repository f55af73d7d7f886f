"""The office's rule of thumb with the campaign's priorities: the baseline every model must beat, and
the fallback of a county with too few labels to learn from.

The 2026 campaign names what inspectors should look for first. ``CampaignRule`` adds points for
each of them to the office's rule of thumb (``scorecard.RuleOfThumb``: chemicals, major hazard
source, past majors, open hazards):

==============================================  ==========================================  ======
priority                                        feature(s)                                  points
==============================================  ==========================================  ======
unapproved restart (未批擅自开工)                ``unapproved_restart``;                      3;
                                                ``power_suspected_restart`` (metered power)  2
uncertified special-operation workers           ``uncertified_operators_90d``               1 each, ≤ 3
unqualified contractors, no safety agreement    ``active_unqualified``,                     1 each, ≤ 2
                                                ``active_without_agreement``                1 each, ≤ 2
小散乱污 (small, scattered, messy, polluting)    ``small_scattered``                          1
combustible dust                                ``dust_explosion``                           1.5
confined spaces                                 ``confined_space``                           1.5
ammonia refrigeration                           ``ammonia_refrigeration``                    1.5
overdue major hazards                           ``overdue_major``                            2 each, ≤ 3
==============================================  ==========================================  ======

A feature absent from the matrix (its table was not imported) or blank for a firm gives 0 points,
as in the rule of thumb; the points-to-probability map, Platt fitting and exact ``contributions``
are the rule of thumb's. The weights are the office's judgement, fixed in advance, never fitted to
outcomes: that is what makes it a fair baseline and a safe fallback.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.models.scorecard import RuleOfThumb

CAMPAIGN_POINTS = {  # feature: (points per unit, cap on units)
    "unapproved_restart": (3.0, 1.0),
    "power_suspected_restart": (2.0, 1.0),
    "uncertified_operators_90d": (1.0, 3.0),
    "active_unqualified": (1.0, 2.0),
    "active_without_agreement": (1.0, 2.0),
    "small_scattered": (1.0, 1.0),
    "dust_explosion": (1.5, 1.0),
    "confined_space": (1.5, 1.0),
    "ammonia_refrigeration": (1.5, 1.0),
    "overdue_major": (2.0, 3.0),
}


class CampaignRule(RuleOfThumb):
    """The rule of thumb plus the campaign's named priorities (see the module docstring)."""

    def __init__(self, chemicals_points: float = 2.0, severity_points: float = 1.0, major_points: float = 2.0,
                 major_cap: float = 3.0, open_points: float = 0.5, open_cap: float = 6.0, campaign_weight: float = 1.0,
                 scale: float = 0.35, offset: float = -4.0) -> None:
        super().__init__(chemicals_points=chemicals_points, severity_points=severity_points, major_points=major_points,
                         major_cap=major_cap, open_points=open_points, open_cap=open_cap, scale=scale, offset=offset)
        self.campaign_weight = campaign_weight

    def points(self, X: object) -> pd.DataFrame:
        frame = X if isinstance(X, pd.DataFrame) else self._frame(X)
        base = super().points(frame)
        extra = {name: self.campaign_weight * per * np.clip(self._column(frame, name), 0, cap)
                 for name, (per, cap) in CAMPAIGN_POINTS.items()}
        return pd.concat([base, pd.DataFrame(extra, index=frame.index)], axis=1)
