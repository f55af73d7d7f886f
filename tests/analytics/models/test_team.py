"""Who inspects: the team is learned in training and averaged away at scoring; it never changes a score."""

import numpy as np
import pandas as pd
import pytest

from analytics.models.learned import LogisticModel
from analytics.models.team import VISIT_TEAM, TeamAveraged


def visits(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"past_majors": rng.poisson(0.5, n).astype(float), "noise": rng.normal(size=n)},
                     index=pd.Index([f"E{i:05d}" for i in range(n)], name="enterprise_id"))
    team = rng.choice(["sharp", "average", "lenient"], n, p=[0.2, 0.5, 0.3])
    finds = {"sharp": 1.0, "average": 0.0, "lenient": -1.0}
    z = -2.0 + 0.9 * X["past_majors"].to_numpy() + np.vectorize(finds.get)(team)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return X.assign(**{VISIT_TEAM: team}), y


@pytest.fixture(scope="module")
def fitted():
    X, y = visits()
    return X, TeamAveraged(LogisticModel(C=1.0)).fit(X, y)


def test_team_never_changes_a_firms_score(fitted):
    X, model = fitted
    firms = X.drop(columns=[VISIT_TEAM])
    base = model.predict_proba(firms)[:, 1]
    for team in ("sharp", "lenient", "a team never seen", None):
        assert np.array_equal(model.predict_proba(X.assign(**{VISIT_TEAM: team}))[:, 1], base)
    # two firms alike in everything but who visited them in training score alike
    twins = firms.iloc[[0, 0]]
    assert model.predict_proba(twins)[0, 1] == model.predict_proba(twins)[1, 1]


def test_the_score_is_the_county_average_team_on_the_log_odds_scale(fitted):
    X, model = fitted
    firms = X.drop(columns=[VISIT_TEAM]).iloc[:50]
    shares = X[VISIT_TEAM].value_counts(normalize=True)
    expected = sum(shares[t] * model.model_.decision_function(
        firms.assign(**{VISIT_TEAM: pd.Categorical([t] * len(firms), categories=model.teams_)})) for t in model.teams_)
    assert np.allclose(model.decision_function(firms), expected)
    assert set(model.teams_) == {"sharp", "average", "lenient"} and model.team_weights_.sum() == pytest.approx(1.0)


def test_the_team_is_learned_and_its_reasons_add_up_exactly(fitted):
    X, model = fitted
    one = X.drop(columns=[VISIT_TEAM]).iloc[:1]
    by_team = {t: float(model.model_.contributions(one.assign(**{VISIT_TEAM: pd.Categorical([t], categories=model.teams_)}))[
        VISIT_TEAM].iloc[0]) for t in model.teams_}
    assert by_team["sharp"] > by_team["average"] > by_team["lenient"]  # the sharp team finds more at the same firms
    firms = X.drop(columns=[VISIT_TEAM]).iloc[:200]
    contributions = model.contributions(firms)
    assert VISIT_TEAM not in contributions.columns and list(contributions.columns) == ["past_majors", "noise"]
    assert np.allclose(contributions.sum(axis=1) + model.base_logit_, model.decision_function(firms), atol=1e-9)


def test_without_teams_it_is_the_inner_model():
    X, y = visits(800, seed=1)
    plain = X.drop(columns=[VISIT_TEAM])
    wrapped = TeamAveraged(LogisticModel(C=1.0)).fit(plain, y)
    assert np.allclose(wrapped.predict_proba(plain), LogisticModel(C=1.0).fit(plain, y).predict_proba(plain))
