"""Exact TreeSHAP for native categorical boosting: equal to shap on numbers, to brute force on categories."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.ensemble import HistGradientBoostingClassifier

from analytics.models.learned import BoostedModel, FrameEncoder, logit
from analytics.models.treeshap import TreeShap


@pytest.fixture(scope="module")
def encoded(data):
    X, y = data
    return X, y, FrameEncoder().fit(X).transform(X)


def trees(encoded, native: bool, **params) -> HistGradientBoostingClassifier:
    _, y, matrix = encoded
    return HistGradientBoostingClassifier(max_iter=params.pop("max_iter", 30), min_samples_leaf=20, random_state=0,
                                          categorical_features=[False, False, True, False] if native else None,
                                          **params).fit(matrix, y)


@pytest.mark.parametrize("params", [{"max_depth": 3, "max_leaf_nodes": 8}, {"max_depth": None, "max_leaf_nodes": 15}])
def test_equals_shap_on_numeric_trees(encoded, params):
    model, matrix = trees(encoded, False, **params), encoded[2]
    explainer = shap.TreeExplainer(model)
    ours = TreeShap(model)
    np.testing.assert_allclose(ours.shap_values(matrix), explainer.shap_values(matrix, check_additivity=False), atol=1e-10)
    assert ours.expected_value == pytest.approx(float(np.ravel(explainer.expected_value)[0]), abs=1e-10)


def test_native_categories_add_up_exactly_where_shap_does_not(encoded):
    model, matrix = trees(encoded, True), encoded[2].copy()
    matrix[:4, 2] = [7.0, -1.0, np.nan, 2.0]  # unseen, negative and missing codes go the missing way
    ours = TreeShap(model)
    gap = ours.shap_values(matrix).sum(axis=1) + ours.expected_value - model.decision_function(matrix)
    assert np.abs(gap).max() < 1e-9
    theirs = shap.TreeExplainer(model)  # the FIELD_NOTES pitfall this module exists for
    wrong = theirs.shap_values(matrix, check_additivity=False).sum(axis=1) + np.ravel(theirs.expected_value)[0]
    assert np.abs(wrong - model.decision_function(matrix)).max() > 0.1


def _goes_left(node, value, predictor, known, f_idx_map) -> bool:
    """One split, written from scikit-learn's _predictor.pyx (independently of TreeShap.goes_left)."""
    if np.isnan(value):
        return bool(node["missing_go_to_left"])
    if not node["is_categorical"]:
        return bool(value <= node["num_threshold"])
    code = int(value)

    def in_set(bits):
        return value >= 0 and code < 256 and (int(bits[code // 32]) >> (code % 32)) & 1

    if in_set(predictor.raw_left_cat_bitsets[node["bitset_idx"]]):
        return True
    if in_set(known[f_idx_map[node["feature_idx"]]]):
        return False
    return bool(node["missing_go_to_left"])


def _expected(predictor, x, known_set, known, f_idx_map, index=0) -> float:
    """The path-dependent E[f | x_S]: features in S follow x, the others both ways by training counts."""
    nodes = predictor.nodes
    node = nodes[index]
    if node["is_leaf"]:
        return float(node["value"])
    left, right = int(node["left"]), int(node["right"])
    if node["feature_idx"] in known_set:
        child = left if _goes_left(node, x[node["feature_idx"]], predictor, known, f_idx_map) else right
        return _expected(predictor, x, known_set, known, f_idx_map, child)
    return sum(nodes[c]["count"] / node["count"] * _expected(predictor, x, known_set, known, f_idx_map, c) for c in (left, right))


def test_native_categories_equal_brute_force_shapley_values(encoded):
    model = trees(encoded, True, max_iter=4, max_depth=3)
    rows = encoded[2][:5].copy()
    rows[0, 2] = np.nan
    inside = np.asarray(model._preprocessor.transform(rows))  # the model's own columns (categories first)
    known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    order = np.r_[np.flatnonzero(model.is_categorical_), np.flatnonzero(~model.is_categorical_)]
    n = inside.shape[1]
    ours = TreeShap(model).shap_values(rows)
    for r, x in enumerate(inside):
        def v(subset):
            return sum(_expected(it[0], x, set(subset), known, f_idx_map) for it in model._predictors)
        for i in range(n):
            others = [j for j in range(n) if j != i]
            phi = sum(math.factorial(len(s)) * math.factorial(n - len(s) - 1) / math.factorial(n) * (v(s + (i,)) - v(s))
                      for size in range(n) for s in itertools.combinations(others, size))
            assert ours[r, order[i]] == pytest.approx(phi, abs=1e-10)


def test_native_boosted_model_explains_exactly_and_keeps_monotonic_constraints(data):
    X, y = data
    model = BoostedModel(max_iter=40, min_samples_leaf=50, categorical="native", monotonic={"overdue_major": 1}).fit(X, y)
    assert model.native_ == {"kind"}
    gap = logit(model.predict_proba(X)[:, 1]) - model.base_logit_ - model.contributions(X).sum(axis=1).to_numpy()
    assert np.abs(gap).max() < 1e-9
    more = X.assign(overdue_major=X["overdue_major"] + 1)
    assert (model.predict_proba(more)[:, 1] >= model.predict_proba(X)[:, 1] - 1e-12).all()
    assert model.trees_.is_categorical_.tolist() == [False, False, True, False]


def test_an_unknown_categorical_option_is_refused(data):
    with pytest.raises(ValueError, match="categorical"):
        BoostedModel(max_iter=5, categorical="onehot").fit(*data)


def test_a_category_column_over_255_categories_stays_ordinal():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"town": pd.Categorical([f"T{i}" for i in rng.integers(0, 300, 900)]),
                      "kind": pd.Categorical(rng.choice(["a", "b"], 900)), "n": rng.poisson(1.0, 900).astype(float)})
    y = (rng.random(900) < 0.2 + 0.2 * X["n"].clip(0, 2)).astype(int)
    model = BoostedModel(max_iter=10, min_samples_leaf=20, categorical="native").fit(X, y)
    assert X["town"].cat.categories.size > 255 and model.native_ == {"kind"}
    gap = logit(model.predict_proba(X)[:, 1]) - model.base_logit_ - model.contributions(X).sum(axis=1).to_numpy()
    assert np.abs(gap).max() < 1e-9
