"""The learned models: probabilities, exact contributions, determinism, encodings, behaviour."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from analytics.contract.errors import UserError
from analytics.models.learned import BlendModel, BoostedModel, LogisticModel, logit

TOLERANCE = 1e-6  # log-odds


@pytest.mark.parametrize("name", ["boosted", "logistic", "blend"])
def test_contributions_add_up_to_the_logit_of_the_score_minus_the_base(fitted, data, name):
    model, (X, _) = fitted[name], data
    score = model.predict_proba(X)[:, 1]
    contributions = model.contributions(X)
    assert list(contributions.columns) == list(X.columns)
    assert contributions.index.equals(X.index)
    gap = logit(score) - model.base_logit_ - contributions.sum(axis=1).to_numpy()
    assert np.abs(gap).max() < TOLERANCE


@pytest.mark.parametrize("name", ["boosted", "logistic", "blend"])
def test_models_learn_the_signal_and_are_calibrated_on_average(fitted, data, name):
    model, (X, y) = fitted[name], data
    score = model.predict_proba(X)[:, 1]
    assert ((score >= 0) & (score <= 1)).all()
    assert roc_auc_score(y, score) > 0.72
    assert abs(score.mean() - y.mean()) < 0.03


@pytest.mark.parametrize("name", ["boosted", "logistic"])
def test_noise_feature_matters_least(fitted, data, name):
    importance = fitted[name].contributions(data[0]).abs().mean()
    assert importance.idxmin() == "noise"


@pytest.mark.parametrize("make", [lambda: BoostedModel(max_iter=30), LogisticModel, lambda: BlendModel(boosted=BoostedModel(max_iter=30))])
def test_fit_is_deterministic_and_row_order_changes_no_score(data, make):
    X, y = data
    first = make().fit(X, y).predict_proba(X)[:, 1]
    again = make().fit(X, y).predict_proba(X)[:, 1]
    np.testing.assert_array_equal(first, again)
    shuffled = X.sample(frac=1.0, random_state=3)
    model = make().fit(X, y)
    by_id = pd.Series(model.predict_proba(shuffled)[:, 1], index=shuffled.index).reindex(X.index)
    np.testing.assert_allclose(by_id.to_numpy(), model.predict_proba(X)[:, 1])


@pytest.mark.parametrize("name", ["boosted", "logistic"])
def test_unseen_and_missing_categories_are_scored(fitted, data, name):
    X = data[0].head(3).copy()
    X["kind"] = pd.Categorical(["fishing", None, "gas"])
    score = fitted[name].predict_proba(X)[:, 1]
    assert np.isfinite(score).all()
    gap = logit(score) - fitted[name].base_logit_ - fitted[name].contributions(X).sum(axis=1).to_numpy()
    assert np.abs(gap).max() < TOLERANCE


def test_monotonic_constraint_makes_more_overdue_hazards_never_lower_the_score(data):
    X, y = data
    model = BoostedModel(max_iter=40, monotonic={"overdue_major": 1, "days_since_inspection": 1}).fit(X, y)
    more = X.assign(overdue_major=X["overdue_major"] + 1)
    assert (model.predict_proba(more)[:, 1] >= model.predict_proba(X)[:, 1] - 1e-12).all()


def test_sample_weights_change_the_fit(data):
    X, y = data
    weights = np.where(y == 1, 3.0, 1.0)
    plain = LogisticModel().fit(X, y).predict_proba(X)[:, 1]
    weighted = LogisticModel().fit(X, y, sample_weight=weights).predict_proba(X)[:, 1]
    assert abs(plain.mean() - y.mean()) < 0.03
    assert weighted.mean() > plain.mean() + 0.05


def test_a_single_class_is_a_user_error(data):
    X, y = data
    with pytest.raises(UserError):
        LogisticModel().fit(X, np.zeros(len(y), dtype=int))


def test_clone_and_numpy_input_work(data):
    X, y = data
    model = clone(BoostedModel(max_iter=20)).fit(X[["noise", "overdue_major"]].astype(float).to_numpy(), y.to_numpy())
    assert model.predict_proba(np.zeros((2, 2))).shape == (2, 2)
    assert list(model.contributions(np.zeros((2, 2))).columns) == ["x0", "x1"]


def test_missing_feature_column_is_a_user_error(fitted, data):
    with pytest.raises(UserError):
        fitted["logistic"].predict_proba(data[0].drop(columns="noise"))


def test_pickled_boosted_model_explains_the_same(fitted, data, tmp_path):
    import joblib

    joblib.dump(fitted["boosted"], tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    X = data[0].head(50)
    np.testing.assert_allclose(loaded.contributions(X).to_numpy(), fitted["boosted"].contributions(X).to_numpy())


def test_a_feature_with_no_value_in_training_is_harmless(data):
    X, y = data
    X = X.assign(empty=np.nan)
    model = BoostedModel(max_iter=20).fit(X, y)
    filled = X.assign(empty=5.0)
    np.testing.assert_allclose(model.predict_proba(filled), model.predict_proba(X))
    assert (model.contributions(filled)["empty"] == 0).all()


def test_a_ranking_only_boosted_model_ranks_exactly_as_the_calibrated_one_with_one_fit(data, monkeypatch):
    """``calibration_folds=0`` (tuning origins, with/without comparisons): the same trees, so the same
    ranking and the same precision at any capacity, for one fit of the trees instead of three."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = data
    fits = []
    original = HistGradientBoostingClassifier.fit
    monkeypatch.setattr(HistGradientBoostingClassifier, "fit",
                        lambda self, *a, **k: fits.append(1) or original(self, *a, **k))
    calibrated = BoostedModel(max_iter=40, min_samples_leaf=50).fit(X, y)
    assert len(fits) == 3 and calibrated.slope_ > 0  # two calibration folds, then the trees
    ranking = BoostedModel(max_iter=40, min_samples_leaf=50, calibration_folds=0).fit(X, y)
    assert len(fits) == 4 and (ranking.slope_, ranking.intercept_) == (1.0, 0.0)
    a, b = calibrated.predict_proba(X)[:, 1], ranking.predict_proba(X)[:, 1]
    assert np.array_equal(np.argsort(-a, kind="stable"), np.argsort(-b, kind="stable"))
    assert not np.allclose(a, b)  # the probabilities themselves differ: only the ranking is the same
    gap = logit(b) - (ranking.base_logit_ + ranking.contributions(X).sum(axis=1))
    assert np.abs(gap).max() < TOLERANCE


def test_the_with_without_variants_refit_a_boosted_model_without_calibration_but_a_blend_with_it():
    from analytics.models.ablation import unfitted_variant

    boosted = BoostedModel(max_iter=40, calibration_folds=3)
    assert unfitted_variant(boosted).calibration_folds == 0 and boosted.calibration_folds == 3
    blend = unfitted_variant(BlendModel(LogisticModel(), boosted))
    assert blend.boosted.calibration_folds == 3
