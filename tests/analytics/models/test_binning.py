"""The boosted model's binning backport gives scikit-learn's own thresholds, so the trees are the same."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting import binning as sklearn_binning

from analytics.models import binning
from analytics.models.learned import BoostedModel  # noqa: F401  (importing the model installs the backport)


@st.composite
def weighted_columns(draw) -> tuple[np.ndarray, np.ndarray, int]:
    """A column with ties, missing values and zero weights, its weights, and a number of bins."""
    n = draw(st.integers(2, 400))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    distinct = draw(st.integers(1, 300))
    values = rng.choice(rng.normal(scale=draw(st.sampled_from([1e-3, 1.0, 1e6])), size=distinct), size=n)
    values[rng.random(n) < draw(st.floats(0, 0.5))] = np.nan
    weights = rng.choice([0.0, 0.5, 1.0, 1.0 / 3, 7.25, rng.exponential()], size=n)
    if not (weights[~np.isnan(values)] != 0).any():  # a column must hold one weighted value (scikit-learn's own need)
        weights[np.flatnonzero(~np.isnan(values))[:1]] = 1.0
    return values, weights, draw(st.integers(2, 255))


ON_THE_POINTS = (np.random.default_rng(5).permutation(np.arange(510.0)), np.ones(510), 255)  # ranks land on data points


@settings(max_examples=300, deadline=None)
@given(weighted_columns())
@example(ON_THE_POINTS)
def test_the_thresholds_are_scikit_learns_own(column) -> None:
    values, weights, max_bins = column
    if np.isnan(values).all():
        return
    expected = binning.ORIGINAL(values.copy(), max_bins, sample_weight=weights.copy())
    got = binning.find_binning_thresholds(values.copy(), max_bins, sample_weight=weights.copy())
    np.testing.assert_array_equal(got, expected)  # the same numbers, not merely close ones
    assert got.dtype == expected.dtype


def test_the_weighted_percentiles_are_taken() -> None:
    values, weights, max_bins = ON_THE_POINTS
    thresholds = binning.find_binning_thresholds(values, max_bins, sample_weight=weights)
    assert len(thresholds) == max_bins - 1 and thresholds[0] == 1.5  # between the 2nd and 3rd values: averaged


def test_without_weights_scikit_learns_own_path_runs() -> None:
    values = np.random.default_rng(1).normal(size=3000)
    np.testing.assert_array_equal(binning.find_binning_thresholds(values, 255), binning.ORIGINAL(values, 255))


@pytest.mark.skipif(not binning.installable(), reason="scikit-learn's own binning runs on versions not checked")
def test_it_is_in_use_and_the_trees_are_the_same() -> None:
    assert sklearn_binning._find_binning_thresholds is binning.find_binning_thresholds
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 4))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (rng.random(3000) < 1 / (1 + np.exp(-X[:, 0].clip(-3, 3)))).astype(int)
    weights = rng.exponential(size=3000)
    fast = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y, sample_weight=weights)
    sklearn_binning._find_binning_thresholds = binning.ORIGINAL
    try:
        slow = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y, sample_weight=weights)
    finally:
        binning.install()
    for a, b in zip(fast._bin_mapper.bin_thresholds_, slow._bin_mapper.bin_thresholds_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fast.decision_function(X), slow.decision_function(X))


def test_an_unchecked_version_keeps_scikit_learns_own(monkeypatch) -> None:
    monkeypatch.setattr(binning.sklearn, "__version__", "1.10.0")
    monkeypatch.setattr(sklearn_binning, "_find_binning_thresholds", binning.ORIGINAL)
    assert binning.install() is False
    assert sklearn_binning._find_binning_thresholds is binning.ORIGINAL
