"""Dates as the contract states them: one parsed form, and the 90-day horizon the score describes.

``DATA_CONTRACT.md``, "What the system gives back": the score is the chance of a major hazard found
by one visit, or an accident, in the next ``HORIZON_DAYS`` days.
"""

from __future__ import annotations

import pandas as pd

HORIZON_DAYS = 90


def to_timestamp(value: object) -> pd.Timestamp:
    """A date-like value as a midnight ``pandas.Timestamp``."""
    return pd.Timestamp(value).normalize()
