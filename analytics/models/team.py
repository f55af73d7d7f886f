"""Who inspects: the team as a training-only covariate, averaged away at scoring.

Teams find different things at the same firm (Chicago's own model counted its inspector groups among
the strongest predictors), so a model trained without the team blames firms for their inspectors,
and one that scores with it ranks a firm by who happens to visit it. ``TeamAveraged(model)`` does
neither:

- *fit*: the training rows carry ``VISIT_TEAM``, the team of the labelled visit (``labels.first_team``;
  blank where unknown); the inner model learns it as one more categorical input, so the other
  coefficients are estimated net of the team;
- *score*: every firm is scored as if the county's average team went: the inner model's log-odds
  averaged over the teams seen in training, weighted by how many labelled visits each made (a
  marginal over the team on the log-odds scale). Whatever ``VISIT_TEAM`` the caller passes is
  ignored, so the list never depends on who visits.

Because the average is taken on the log-odds scale, the inner model's exact contributions average
too: ``contributions(X)`` is the team-weighted mean of the inner contributions without the team's
column, whose (constant) average is folded into ``base_logit_``; rows still add up exactly to
``decision_function(X) − base_logit_``.

Without any team in the training rows it is the inner model unchanged. The backtest
(``run_backtest``) reports it beside the inner model whenever the inspections carry teams, so whether
the team helps is measured, not assumed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from analytics.models.learned import LogisticModel
from analytics.models.validation import binary_tags, feature_frame, weights_or_none

VISIT_TEAM = "visit_team"


class TeamAveraged(ClassifierMixin, BaseEstimator):
    """``model`` trained with the visit's team, scored as the county's average team (module docstring)."""

    uses_visit_team = True

    def __init__(self, model: object = None) -> None:  # None: a LogisticModel()
        self.model = model

    def fit(self, X: pd.DataFrame, y: object, sample_weight: object = None) -> TeamAveraged:
        X = feature_frame(X, self, reset=True)  # a plain array is a matrix without a team
        inner = clone(self.model if self.model is not None else LogisticModel())
        given = weights_or_none(sample_weight, len(X))
        weights = np.ones(len(X)) if given is None else given
        team = X[VISIT_TEAM].astype(object) if VISIT_TEAM in X.columns else pd.Series(None, index=X.index, dtype=object)
        known = team.notna().to_numpy()
        features = X.drop(columns=[VISIT_TEAM], errors="ignore")
        self.feature_names_in_ = np.array([str(c) for c in features.columns], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        if not known.any():
            self.teams_, self.team_weights_ = [], np.zeros(0)
            self.model_ = inner.fit(features, y, sample_weight=sample_weight)
        else:
            shares = pd.Series(weights[known]).groupby(team.to_numpy()[known]).sum()
            self.teams_ = [str(t) for t in shares.index]
            self.team_weights_ = (shares / shares.sum()).to_numpy()
            with_team = features.assign(**{VISIT_TEAM: pd.Categorical(team.where(team.notna(), None), categories=self.teams_)})
            self.model_ = inner.fit(with_team, y, sample_weight=sample_weight)
        self.classes_ = getattr(self.model_, "classes_", np.array([0, 1]))
        return self

    def _features(self, X: object) -> pd.DataFrame:
        check_is_fitted(self, "model_")
        return feature_frame(X, self, reset=False).reindex(columns=list(self.feature_names_in_))

    def _each_team(self, X: pd.DataFrame):
        features = X.reindex(columns=list(self.feature_names_in_))
        for team, weight in zip(self.teams_, self.team_weights_):  # a loop over the county's teams
            yield weight, features.assign(**{VISIT_TEAM: pd.Categorical([team] * len(features), categories=self.teams_)})

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The log-odds averaged over teams (the inner model's own when no team was seen)."""
        X = self._features(X)
        if not self.teams_:
            return self.model_.decision_function(X)
        return sum(weight * self.model_.decision_function(frame) for weight, frame in self._each_team(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]

    @property
    def base_logit_(self) -> float:
        check_is_fitted(self, "model_")
        base = float(self.model_.base_logit_)
        if not self.teams_:
            return base
        probe = pd.DataFrame(np.nan, index=[0], columns=list(self.feature_names_in_))
        team_part = sum(weight * float(self.model_.contributions(frame)[VISIT_TEAM].iloc[0])
                        for weight, frame in self._each_team(probe))
        return base + team_part

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Team-weighted mean of the inner contributions, the team's own folded into ``base_logit_``."""
        X = self._features(X)
        if not self.teams_:
            return self.model_.contributions(X)
        total = None
        for weight, frame in self._each_team(X):
            part = self.model_.contributions(frame).drop(columns=[VISIT_TEAM]) * weight
            total = part if total is None else total + part
        return total

    def __sklearn_tags__(self):  # noqa: D105 - binary only, NaN allowed, like the inner models
        return binary_tags(super().__sklearn_tags__())
