"""Training does each piece of work once (issue 15 item 9): one feature matrix per date, one fit per model.

``saferank train`` on a 20,000-firm county spent its time rebuilding what it had built: the final
training set rebuilt the matrices the backtest had built at its origins, the blend refitted the
logistic and boosted models fitted beside it at every origin, and the with/without comparisons
refitted the winner where the nested backtest had fitted it. These tests count the work.
"""

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from analytics.snapshot.timeline import rolling_origins

AS_OF = pd.Timestamp("2026-09-30")


@pytest.fixture(scope="module")
def county():
    from analytics.simulate import simulate_county

    return simulate_county(enterprises=500, seed=11)


def _count_builds(monkeypatch) -> Counter:
    import analytics.models.backtest as backtest
    import analytics.models.select as select

    built: Counter = Counter()
    original = backtest.build_features

    def counting(tables, as_of=None, *args, **kwargs):
        built[None if as_of is None else pd.Timestamp(as_of)] += 1
        return original(tables, as_of, *args, **kwargs)

    monkeypatch.setattr(backtest, "build_features", counting)
    monkeypatch.setattr(select, "build_features", counting)
    return built


def _count_fits(monkeypatch) -> Counter:
    from analytics.models.learned import BoostedModel, LogisticModel

    fits: Counter = Counter()
    for cls in (BoostedModel, LogisticModel):
        original = cls.fit

        def counting(self, X, y, sample_weight=None, _original=original, _name=cls.__name__):
            fits[(_name, len(X))] += 1
            return _original(self, X, y, sample_weight)

        monkeypatch.setattr(cls, "fit", counting)
    return fits


def test_training_builds_each_dates_feature_matrix_once(county, tmp_path, monkeypatch):
    from analytics.models.registry import ModelRegistry
    from analytics.models.select import train_on_tables

    built = _count_builds(monkeypatch)
    train_on_tables(county.tables, AS_OF, ModelRegistry(tmp_path / "models"), snapshots=2, origins=1,
                    min_positives=5)
    dates = [d for d in built if d is not None]
    assert dates and max(built[d] for d in dates) == 1, {str(d.date()): n for d, n in built.items() if d is not None}


def test_the_blend_and_a_second_backtest_reuse_the_models_fitted_on_the_same_rows(county, monkeypatch):
    from analytics.models.backtest import new_cache, run_backtest
    from analytics.models.learned import BlendModel, BoostedModel, LogisticModel

    tables = county.tables
    origin = rolling_origins(AS_OF - pd.Timedelta(days=90), 1)
    boosted = BoostedModel(max_iter=20, min_samples_leaf=20)
    models = {"logistic": LogisticModel(C=0.1), "boosted": boosted, "blend": BlendModel(LogisticModel(C=0.1), boosted)}
    fits = _count_fits(monkeypatch)
    cache = new_cache(tables)
    first = run_backtest(tables, origin, models, snapshots=2, cache=cache)
    # the blend's members are the models fitted beside it (the logistic model also inside TeamAveraged,
    # fitted with the visit's team: other rows' columns, another fit)
    teams = int(tables["inspections"]["team"].notna().any())
    once = {"BoostedModel": 1, "LogisticModel": 1 + teams}
    assert {name: n for (name, _), n in fits.items()} == once, fits
    again = run_backtest(tables, origin, {"boosted": boosted}, snapshots=2, cache=cache)
    assert {name: n for (name, _), n in fits.items()} == once, fits  # the same rows and parameters: not refitted
    metrics = first.metrics.set_index("model")
    assert again.metrics.set_index("model").loc["boosted", "brier"] == metrics.loc["boosted", "brier"]


def test_a_shared_blend_scores_exactly_as_a_blend_fitted_alone(data):
    from sklearn.base import clone

    from analytics.models.fitting import SharedFits
    from analytics.models.learned import BlendModel, BoostedModel, LogisticModel

    X, y = data
    blend = BlendModel(LogisticModel(C=0.3), BoostedModel(max_iter=40, min_samples_leaf=50))
    shared = SharedFits()
    for model in (blend.logistic, blend.boosted, blend):
        fitted = shared.fit(clone(model), "rows", lambda m: m.fit(X, y))
    assert shared.fits == 2
    alone = clone(blend).fit(X, y)
    np.testing.assert_array_equal(fitted.predict_proba(X), alone.predict_proba(X))
    np.testing.assert_array_equal(fitted.contributions(X).to_numpy(), alone.contributions(X).to_numpy())
    assert fitted.base_logit_ == alone.base_logit_
