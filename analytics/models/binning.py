"""The boosted model's binning with sample weights, one weighted-percentile call per column (a backport).

Before it grows a tree, scikit-learn's ``HistGradientBoostingClassifier`` bins each numeric column
(``_BinMapper``). A column with more distinct values than bins is cut at 254 percentiles; with sample
weights (training always passes its inverse-propensity weights) scikit-learn 1.8 and 1.9 compute
them by calling ``_weighted_percentile`` once per percentile, each call sorting the whole column
again: 254 sorts per such column per fit. Profiled on a simulated 5,000-firm county, that was a
quarter of all the time the trees took to fit. scikit-learn has fixed it upstream
(scikit-learn/scikit-learn#34248, merged 2026-06, not in any release up to 1.9.1).

``install()`` puts ``find_binning_thresholds`` in the place of scikit-learn's
``_find_binning_thresholds`` on the versions it was checked against (``CHECKED``): the same steps
(missing and zero-weight values left out, midpoints between distinct values where there are few of
them), but all the percentiles of a column at once (``weighted_percentiles``: one sort, then the
same arithmetic per percentile as arrays). The thresholds are the same numbers, so are the trees
and every figure; ``tests/analytics/models/test_binning.py`` compares both functions on random weighted columns
with ties, missing values and zero weights. On any other version scikit-learn's own runs, slower.
"""

from __future__ import annotations

import numpy as np
import sklearn
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.ensemble._hist_gradient_boosting import binning as sklearn_binning
from sklearn.ensemble._hist_gradient_boosting.common import ALMOST_INF, X_DTYPE

CHECKED = ("1.8.", "1.9.")  # the versions whose binning calls _weighted_percentile once per percentile
ORIGINAL = sklearn_binning._find_binning_thresholds


def find_binning_thresholds(col_data: np.ndarray, max_bins: int, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """The increasing thresholds of one numeric column, as scikit-learn's ``_find_binning_thresholds``."""
    if sample_weight is None:  # unweighted: scikit-learn's own path is one numpy percentile call already
        return ORIGINAL(col_data, max_bins)
    known = ~np.isnan(col_data)
    values, weights = col_data[known], sample_weight[known]
    weighted = weights != 0
    values, weights = values[weighted], weights[weighted]
    order = np.argsort(values)
    values, weights = values[order], weights[order]
    distinct = np.unique(values).astype(X_DTYPE)
    if len(distinct) == 1:
        return np.asarray([])
    if len(distinct) <= max_bins:
        thresholds = sliding_window_view(distinct, 2).mean(axis=1)  # midpoints, computed as scikit-learn does
    else:
        ranks = np.linspace(0, 100, num=max_bins + 1)[1:-1]
        thresholds = weighted_percentiles(values, weights, ranks)
    unique = np.unique(thresholds)
    if unique.shape[0] != thresholds.shape[0]:
        thresholds = unique
    np.clip(thresholds, a_min=None, a_max=ALMOST_INF, out=thresholds)
    return thresholds


def weighted_percentiles(values: np.ndarray, weights: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """scikit-learn's ``_weighted_percentile(values, weights, ranks, average=True)`` for a column with
    no missing value and no zero weight, every rank at once: the same sort of the column (numpy's
    default, on the same ``(n, 1)`` shape), the same cumulative weights, and per rank the same
    arithmetic, searches and averaging of neighbours, as arrays instead of a loop over ranks."""
    order = np.argsort(values.reshape(-1, 1), axis=0)[:, 0]
    cdf = np.cumsum(weights[order])
    adjusted = ranks / 100 * cdf[-1]
    at_zero = adjusted == 0
    adjusted[at_zero] = np.nextafter(adjusted[at_zero], adjusted[at_zero] + 1)
    last = len(values) - 1
    at = np.clip(np.searchsorted(cdf, adjusted), 0, last)
    above = (cdf[at] - adjusted) > np.finfo(np.float64).eps  # the rank falls inside a value's weight
    low, high = values[order[at]], values[order[np.clip(at + 1, 0, last)]]
    return np.where(above, low, (low + high) / 2)


def installable() -> bool:
    return sklearn.__version__.startswith(CHECKED)


def install() -> bool:
    """Use ``find_binning_thresholds`` in scikit-learn's binning where it was checked; True if it is in use."""
    if installable():
        sklearn_binning._find_binning_thresholds = find_binning_thresholds
    return sklearn_binning._find_binning_thresholds is find_binning_thresholds
