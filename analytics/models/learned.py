"""Learned risk models over the feature matrix: a calibrated boosted model and a logistic challenger.

Both are scikit-learn estimators (``fit(X, y, sample_weight=None)``, ``predict_proba(X)[:, 1]``,
clonable) over a feature matrix whose columns are numeric (any numeric dtype, nullable ones too;
missing allowed) or pandas ``category``. Both also give ``contributions(X)``: one column per input
feature, in log-odds, with the exact identity

    logit(score) = base_logit_ + contributions(X).sum(axis=1)

(tolerance 1e-6 in log-odds; in practice ~1e-12). ``score`` is the calibrated probability
``predict_proba(X)[:, 1]``. Plain numeric arrays work too (validation in ``models.validation``); labels
may be any two classes. They pass scikit-learn's estimator checks but ``EXPECTED_FAILED_CHECKS``.

- ``BoostedModel``: ``HistGradientBoostingClassifier`` on ordinal-encoded categories (exact SHAP
  values need numeric inputs, see FIELD_NOTES), calibrated by Platt scaling of its margin fitted on
  out-of-fold margins (folds grouped by enterprise when the index carries ``enterprise_id``, so
  stacked snapshots of one firm never calibrate themselves). Platt scaling is affine in log-odds:
  ``logit(score) = slope_ * margin + intercept_``, so the SHAP values of the margin (TreeExplainer,
  exact) times ``slope_`` explain the calibrated score exactly, and ranks by score equal ranks by
  margin (no ties introduced, unlike isotonic plateaus).
- ``LogisticModel``: L2 logistic regression on standardised numbers (median-imputed, with a missing
  indicator) and one-hot categories. Contribution of a feature = sum over its design columns of
  coefficient × (value − training mean): exact, and zero for an average firm.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from analytics.contract.errors import UserError
from analytics.models import binning
from analytics.models.treeshap import TreeShap
from analytics.models.validation import binary_labels, binary_tags, feature_frame, weights_or_none

ENTERPRISE = "enterprise_id"
# scikit-learn's estimator checks these models fail, and why (tests/analytics/models/test_estimator_checks.py)
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "a weight of 2 is not the same fit as a repeated row: the boosted model's calibration folds differ when "
        "rows repeat, and the logistic model standardises on unweighted means; scikit-learn waives this check "
        "for its own LogisticRegression and HistGradientBoostingClassifier for the same kind of reason"),
}
binning.install()  # scikit-learn's weighted binning, one sort per column instead of 254 (models.binning)
MAX_NATIVE_CATEGORIES = 255  # scikit-learn's native categorical splits take codes below max_bins (255)


def as_frame(X: object, columns: list[str] | None = None) -> pd.DataFrame:
    """``X`` as a DataFrame (arrays get ``x0, x1, ...`` or the fitted names)."""
    if isinstance(X, pd.DataFrame):
        return X
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(f"Expected a 2-D feature matrix, got shape {array.shape}")
    names = columns if columns is not None and len(columns) == array.shape[1] else [f"x{i}" for i in range(array.shape[1])]
    return pd.DataFrame(array, columns=names)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


class FrameEncoder:
    """Numbers as float64 (missing → NaN); categories as their code in the training categories.

    A category unseen in training, or missing, becomes NaN: the trees send it the learned missing
    way, the logistic design treats it as no category at all.
    """

    def __init__(self) -> None:
        self.columns_: list[str] = []
        self.categories_: dict[str, pd.Index] = {}

    def fit(self, frame: pd.DataFrame) -> FrameEncoder:
        self.columns_ = [str(c) for c in frame.columns]
        self.categories_ = {
            str(c): pd.Index(frame[c].cat.categories) for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)
        }
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.columns_ if c not in frame.columns]
        if missing:
            raise UserError(f"特征矩阵缺少模型所需的列：{', '.join(missing)}。",
                            f"The feature matrix lacks columns the model needs: {', '.join(missing)}.")
        out = np.empty((len(frame), len(self.columns_)), dtype=np.float64)
        numeric = [j for j, name in enumerate(self.columns_) if name not in self.categories_]
        names = [self.columns_[j] for j in numeric]
        try:  # all number columns in one conversion (a column at a time costs ~20 ms for one firm)
            out[:, numeric] = frame[names].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):  # text in a number column: coerce column by column, as missing
            for j, name in zip(numeric, names, strict=True):
                out[:, j] = pd.to_numeric(frame[name], errors="coerce").astype("float64").to_numpy(na_value=np.nan)
        for j, name in enumerate(self.columns_):  # a loop over the few category columns, not rows
            if name in self.categories_:
                codes = self.categories_[name].get_indexer(frame[name].astype(object))
                out[:, j] = np.where(codes < 0, np.nan, codes)
        return out


class _RiskModel(ClassifierMixin, BaseEstimator):
    """What both learned models share: probabilities, calibrated logit and the contract of contributions."""

    def _fit_frame(self, X: object, y: object, sample_weight: object = None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
        """Validated ``(frame, 0/1 labels, weights or None)``; sets ``classes_``, ``n_features_in_``, ``feature_names_in_``."""
        frame = feature_frame(X, self, reset=True)
        labels = binary_labels(y, self, len(frame))
        weights = weights_or_none(sample_weight, len(frame))
        self.encoder_ = FrameEncoder().fit(frame)
        return frame, labels, weights

    def _frame(self, X: object) -> pd.DataFrame:
        check_is_fitted(self, "encoder_")
        return feature_frame(X, self, reset=False)

    def decision_function(self, X: object) -> np.ndarray:
        """The calibrated log-odds of the score."""
        frame = self._frame(X)
        return self._calibrated_logit(self.encoder_.transform(frame))

    def predict_proba(self, X: object) -> np.ndarray:
        z = self.decision_function(X)
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: object) -> np.ndarray:
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]

    def contributions(self, X: object) -> pd.DataFrame:
        """Log-odds per input feature; rows sum to ``decision_function(X) - base_logit_``."""
        frame = self._frame(X)
        values = self._contributions(self.encoder_.transform(frame))
        return pd.DataFrame(values, index=frame.index, columns=list(self.feature_names_in_))

    def __sklearn_tags__(self):  # noqa: D105 - binary only, NaN allowed
        return binary_tags(super().__sklearn_tags__())


def _fit_trees(trees: HistGradientBoostingClassifier, encoded: np.ndarray, labels: np.ndarray,
               weights: np.ndarray | None) -> HistGradientBoostingClassifier:
    """Fit, with columns that hold no value at all set to 0 (scikit-learn cannot bin an empty column).

    Such a column gets no split, so whatever it holds later changes neither score nor SHAP value.
    """
    empty = np.isnan(encoded).all(axis=0)
    if empty.any():
        encoded = encoded.copy()
        encoded[:, empty] = 0.0
    return trees.fit(encoded, labels, sample_weight=weights)


class BoostedModel(_RiskModel):
    """Gradient-boosted trees, Platt-calibrated on out-of-fold margins, explained by exact TreeSHAP.

    ``monotonic``: optional ``{feature: +1 | -1 | 0}`` (e.g. from the feature registry's
    ``risk_direction``): the margin may only rise (+1) or fall (-1) with that feature.

    ``calibration_folds``: the folds of the out-of-fold margins Platt scaling is fitted on (at least 2;
    fewer positives or negatives than folds: in-sample margins). Two by default: on a simulated
    4,000-firm county (4 origins, 12 snapshots) two and three folds gave the same ranking, a Brier
    score of 0.03759 against 0.03754 and the same calibration by decile, for three fits of the trees
    instead of four. ``0``: no calibration at all, the
    trees' own log-loss probabilities (one fit instead of ``folds + 1``). Platt scaling with a positive
    slope (margins that rank in the labels' direction) never changes a ranking, so where only the
    ranking is judged (the tuning origins, the with/without comparisons) ``0`` gives the same
    precision at capacity for a quarter of the fits.

    ``categorical``: ``"ordinal"`` (default) splits a category column on its code like a number and
    is explained by shap's TreeExplainer; ``"native"`` lets the trees split a category column into
    any two sets of categories (scikit-learn's native categorical splits; a column with more than
    255 categories stays ordinal) and is explained by ``treeshap.tree_shap``, which handles those
    splits exactly (shap's TreeExplainer does not, see FIELD_NOTES). Categories are never
    constrained monotonic.

    Defaults (shallow, slow trees) were chosen on the simulated county, where a county's few
    hundred positives a year make deeper trees overfit (capture of the best top 5 %: depth 5,
    rate 0.06: 0.78; depth 3, rate 0.03: 0.88); shallow trees also keep TreeSHAP fast.
    """

    def __init__(self, max_iter: int = 250, learning_rate: float = 0.03, max_leaf_nodes: int = 8,
                 max_depth: int | None = 3, min_samples_leaf: int = 150, l2_regularization: float = 5.0,
                 monotonic: dict | None = None, calibration_folds: int = 2, random_state: int = 0,
                 threads: int = 1, categorical: str = "ordinal") -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.monotonic = monotonic
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        self.threads = threads
        self.categorical = categorical

    def _trees(self, columns: list[str], categorical: set[str]) -> HistGradientBoostingClassifier:
        constraints = None
        if self.monotonic:
            # an ordinal code has no risk order: never constrain a category
            constraints = [0 if c in categorical else int(np.sign(self.monotonic.get(c, 0))) for c in columns]
        return HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            max_depth=self.max_depth, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, monotonic_cst=constraints, early_stopping=False,
            random_state=self.random_state,
            categorical_features=[c in self.native_ for c in columns] if self.native_ else None,
        )

    def fit(self, X: object, y: object, sample_weight: object = None) -> BoostedModel:
        # OpenMP threads spin on shared cores: one is several times faster there and hardly slower on an
        # idle 2-core machine; BLAS (the Platt scaling) at one thread as in ``LogisticModel.fit``
        with threadpool_limits(limits={"openmp": self.threads, "blas": 1}):
            return self._fit(X, y, sample_weight)

    def _fit(self, X: object, y: object, sample_weight: object = None) -> BoostedModel:
        if self.categorical not in ("ordinal", "native"):
            raise ValueError(f"categorical must be 'ordinal' or 'native', got {self.categorical!r}")
        frame, labels, weights = self._fit_frame(X, y, sample_weight)
        encoded = self.encoder_.transform(frame)
        columns, categorical = self.encoder_.columns_, set(self.encoder_.categories_)
        self.native_ = ({c for c, levels in self.encoder_.categories_.items() if len(levels) <= MAX_NATIVE_CATEGORIES}
                        if self.categorical == "native" else set())
        if self.calibration_folds == 0:  # ranking only: the trees' own log-loss probabilities
            self.slope_, self.intercept_ = 1.0, 0.0
        else:
            margins = self._out_of_fold_margins(frame, encoded, labels, weights, columns, categorical)
            platt = LogisticRegression(C=1e6, max_iter=1000)
            platt.fit(margins.reshape(-1, 1), labels, sample_weight=weights)
            self.slope_ = float(platt.coef_[0, 0])
            self.intercept_ = float(platt.intercept_[0])
        self.trees_ = _fit_trees(self._trees(columns, categorical), encoded, labels, weights)
        self.n_iter_ = self.trees_.n_iter_
        self.explainer_ = None
        self.base_logit_ = self.slope_ * self._expected_margin() + self.intercept_
        return self

    def _out_of_fold_margins(self, frame, encoded, labels, weights, columns, categorical) -> np.ndarray:
        positives = int(labels.sum())
        folds = max(2, min(self.calibration_folds, positives, len(labels) - positives))
        if folds > min(positives, len(labels) - positives):
            # too few of a class to cross-fit: calibrate on in-sample margins (documented fallback)
            return _fit_trees(self._trees(columns, categorical), encoded, labels, weights).decision_function(encoded)
        groups = frame.index.get_level_values(ENTERPRISE) if ENTERPRISE in (frame.index.names or []) else None
        if groups is not None:
            # integer codes in the ids' sorted order: the same folds as the ids themselves, without
            # GroupKFold's np.isin over strings (seconds on a real county's stacked snapshots)
            groups = pd.factorize(np.asarray(groups), sort=True)[0]
        if groups is not None and pd.Index(groups).nunique() >= folds:
            splits = GroupKFold(folds, shuffle=True, random_state=self.random_state).split(encoded, labels, groups)
        else:
            splits = StratifiedKFold(folds, shuffle=True, random_state=self.random_state).split(encoded, labels)
        margins = np.empty(len(labels))
        for train, test in splits:  # a loop over folds
            fold_weights = None if weights is None else weights[train]
            model = _fit_trees(self._trees(columns, categorical), encoded[train], labels[train], fold_weights)
            margins[test] = model.decision_function(encoded[test])
        return margins

    def _explainer(self):
        if getattr(self, "explainer_", None) is None:
            if getattr(self, "native_", None):  # category splits: shap's TreeExplainer is wrong there
                self.explainer_ = TreeShap(self.trees_)
            else:
                import shap  # heavy (numba); only when explaining

                self.explainer_ = shap.TreeExplainer(self.trees_)
        return self.explainer_

    def _expected_margin(self) -> float:
        return float(np.ravel(self._explainer().expected_value)[0])

    def _calibrated_logit(self, encoded: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "trees_")
        with threadpool_limits(self.threads, user_api="openmp"):
            return self.slope_ * self.trees_.decision_function(encoded) + self.intercept_

    def _contributions(self, encoded: np.ndarray) -> np.ndarray:
        values = np.asarray(self._explainer().shap_values(encoded, check_additivity=False))
        return self.slope_ * values.reshape(len(encoded), -1)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["explainer_"] = None  # rebuilt on demand; keeps the saved file small and shap-free
        return state


class LogisticModel(_RiskModel):
    """L2 logistic regression: standardised numbers with missing indicators, one-hot categories."""

    # C: scikit-learn's neutral default, not a value tuned on any county; training tunes it per county on
    # its own early origins (``models.nested.TUNING_GRID``)
    def __init__(self, C: float = 1.0, max_iter: int = 2000) -> None:
        self.C = C
        self.max_iter = max_iter

    def _design(self, encoded: np.ndarray) -> np.ndarray:
        parts = []
        for j in range(encoded.shape[1]):  # a loop over input features
            values = encoded[:, j]
            missing = np.isnan(values)
            if j in self.categories_codes_:
                parts.append((values[:, None] == self.categories_codes_[j][None, :]).astype(float))
            else:
                filled = np.where(missing, self.medians_[j], values)
                parts.append(((filled - self.means_[j]) / self.scales_[j])[:, None])
            if j in self.indicator_features_:
                parts.append(missing[:, None].astype(float))
        return np.hstack(parts) if parts else np.empty((len(encoded), 0))

    def fit(self, X: object, y: object, sample_weight: object = None) -> LogisticModel:
        frame, labels, weights = self._fit_frame(X, y, sample_weight)
        encoded = self.encoder_.transform(frame)
        categorical = [j for j, c in enumerate(self.encoder_.columns_) if c in self.encoder_.categories_]
        self.categories_codes_ = {j: np.arange(len(self.encoder_.categories_[self.encoder_.columns_[j]]), dtype=float)
                                  for j in categorical}
        missing = np.isnan(encoded)
        with warnings.catch_warnings():  # a column with no value at all has no median: 0 below
            warnings.simplefilter("ignore", RuntimeWarning)
            medians = np.nanmedian(np.where(missing, np.nan, encoded), axis=0) if len(encoded) else np.zeros(encoded.shape[1])
        self.medians_ = np.nan_to_num(medians)
        filled = np.where(missing, self.medians_, encoded)
        self.means_ = filled.mean(axis=0)
        scales = filled.std(axis=0)
        self.scales_ = np.where(scales > 0, scales, 1.0)
        self.indicator_features_ = {j for j in range(encoded.shape[1]) if missing[:, j].any() and j not in categorical}
        design = self._design(encoded)
        self.groups_ = self._groups(encoded.shape[1])
        self.design_means_ = np.average(design, axis=0, weights=weights) if design.shape[1] else np.zeros(0)
        self.linear_ = LogisticRegression(C=self.C, max_iter=self.max_iter)
        # BLAS threads spin on shared cores: on the sample county's 11,074 stacked rows one thread took
        # 0.1-0.6 s, two 0.8-3.2 s (load 5.6), same iterations; one thread is the same fit on any machine
        with threadpool_limits(1, user_api="blas"):
            self.linear_.fit(design, labels, sample_weight=weights)
        self.n_iter_ = self.linear_.n_iter_
        coef = self.linear_.coef_[0]
        self.base_logit_ = float(self.linear_.intercept_[0] + coef @ self.design_means_)
        return self

    def _groups(self, n_features: int) -> np.ndarray:
        """The input feature each design column belongs to."""
        owners = []
        for j in range(n_features):
            width = len(self.categories_codes_[j]) if j in self.categories_codes_ else 1
            owners.extend([j] * (width + (1 if j in self.indicator_features_ else 0)))
        return np.array(owners, dtype=int)

    def _calibrated_logit(self, encoded: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "linear_")
        return self.linear_.decision_function(self._design(encoded))

    def _contributions(self, encoded: np.ndarray) -> np.ndarray:
        terms = (self._design(encoded) - self.design_means_) * self.linear_.coef_[0]
        owner = np.zeros((len(self.groups_), len(self.encoder_.columns_)))
        owner[np.arange(len(self.groups_)), self.groups_] = 1.0
        return terms @ owner

    def coefficients(self) -> pd.Series:
        """Per input feature, the summed absolute coefficient of its design columns (for the model card)."""
        check_is_fitted(self, "linear_")
        sums = np.zeros(len(self.encoder_.columns_))
        np.add.at(sums, self.groups_, np.abs(self.linear_.coef_[0]))
        return pd.Series(sums, index=self.encoder_.columns_)


class BlendModel(_RiskModel):
    """The mean of a logistic and a boosted model's calibrated log-odds: steadier than either alone.

    ``logit(score) = (logit_logistic + logit_boosted) / 2``, so contributions are the mean of the two
    members' contributions and ``base_logit_`` the mean of their bases: the identity stays exact.
    """

    def __init__(self, logistic: LogisticModel | None = None, boosted: BoostedModel | None = None) -> None:
        self.logistic = logistic
        self.boosted = boosted

    def fit(self, X: object, y: object, sample_weight: object = None) -> BlendModel:
        self._fit_frame(X, y, sample_weight)
        self.members_ = (clone(self.logistic if self.logistic is not None else LogisticModel()).fit(X, y, sample_weight),
                         clone(self.boosted if self.boosted is not None else BoostedModel()).fit(X, y, sample_weight))
        self.base_logit_ = float(np.mean([m.base_logit_ for m in self.members_]))
        return self

    def decision_function(self, X: object) -> np.ndarray:
        frame = self._frame(X)
        return np.mean([m.decision_function(frame) for m in self.members_], axis=0)

    def contributions(self, X: object) -> pd.DataFrame:
        frame = self._frame(X)
        parts = [m.contributions(frame) for m in self.members_]
        return (parts[0] + parts[1]) / 2.0
