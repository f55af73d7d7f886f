"""Synthetic feature matrices for the model tests: numbers (some missing, one nullable int) and a category."""

import numpy as np
import pandas as pd
import pytest


def synthetic(n: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "overdue_major": pd.array(rng.poisson(0.6, n), dtype="Int64"),
        "days_since_inspection": rng.exponential(200, n),
        "kind": pd.Categorical(rng.choice(["mining", "gas", "tourism"], n), categories=["mining", "gas", "tourism"]),
        "noise": rng.normal(size=n),
    }, index=pd.Index([f"E{i:05d}" for i in range(n)], name="enterprise_id"))
    X.loc[X.index[: n // 10], "days_since_inspection"] = np.nan
    z = -2.0 + 1.1 * X["overdue_major"].astype(float) + 0.004 * X["days_since_inspection"].fillna(400) \
        + 0.8 * (X["kind"] == "mining")
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-z))).astype(int), index=X.index, name="label")
    return X, y


@pytest.fixture(scope="session")
def data():
    return synthetic()


@pytest.fixture(scope="session")
def fitted(data):
    from analytics.models.learned import BlendModel, BoostedModel, LogisticModel

    X, y = data
    return {"boosted": BoostedModel(max_iter=60, min_samples_leaf=50).fit(X, y), "logistic": LogisticModel(C=0.3).fit(X, y),
            "blend": BlendModel(LogisticModel(C=0.3), BoostedModel(max_iter=60, min_samples_leaf=50)).fit(X, y)}
