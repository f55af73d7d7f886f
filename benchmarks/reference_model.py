"""The reference a data scientist would write in an hour: a plain HistGradientBoosting on simple
history counts, no tuning, no calibration beyond the booster's own, no monotonic constraints, no
categories. The served model must beat it, by an interval that excludes zero, to be worth its
complexity (issue 15, "Done when"). Lives beside the benchmarks, not in ``analytics``: it is a
yardstick, never served.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier

HISTORY_COUNTS = ("inspections_90d", "inspections_365d", "inspections_all", "hazards_90d", "hazards_365d", "hazards_all",
                  "major_hazards_90d", "major_hazards_365d", "major_hazards_all", "last_inspection_hazards",
                  "last_inspection_majors", "days_since_inspection", "days_since_major")


class PlainHistoryBoosting(ClassifierMixin, BaseEstimator):
    """``HistGradientBoostingClassifier()`` with default settings on the history counts present in ``X``."""

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        return X.reindex(columns=self.columns_).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    def fit(self, X: pd.DataFrame, y: object, sample_weight: object = None) -> "PlainHistoryBoosting":
        self.columns_ = [c for c in HISTORY_COUNTS if c in X.columns]
        self.model_ = HistGradientBoostingClassifier(random_state=self.random_state).fit(self._matrix(X), np.asarray(y).astype(int))
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.model_.predict_proba(self._matrix(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
