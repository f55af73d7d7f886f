"""Fit- and predict-time validation the learned models share, as scikit-learn's estimator checks expect.

A model takes either our feature ``DataFrame`` (numbers of any numeric dtype, nullable ones too,
and pandas ``category`` columns; validated column by column by ``learned.FrameEncoder``) or a plain
numeric array-like (validated by ``check_array``: no sparse, complex or text values, NaN allowed).
An array gets the names ``x0, x1, ...`` at fit, and the fitted names at predict time.

Labels may be any two classes (``classes_`` holds them sorted; the second is the positive one, the
one whose probability ``predict_proba(X)[:, 1]`` gives). One class alone is ``SingleClassError``:
both a ``UserError`` (shown to users in both languages) and a ``ValueError`` (what scikit-learn's
checks expect).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_array, column_or_1d

from analytics.contract.errors import UserError


class SingleClassError(UserError, ValueError):
    """The training labels hold one class: nothing to learn a ranking from."""

    def __init__(self) -> None:
        super().__init__("训练数据只有一类标签（全为有或全为无重大隐患），无法训练模型。",
                         "The training labels hold one class only; a model cannot be trained.")


def feature_frame(X: object, estimator: object, reset: bool) -> pd.DataFrame:
    """``X`` as a DataFrame; at fit (``reset``) set ``n_features_in_``/``feature_names_in_``, else check them."""
    if isinstance(X, pd.DataFrame):
        if reset and (X.shape[0] == 0 or X.shape[1] == 0):  # scoring no firm is fine, training on none is not
            raise ValueError(f"Found array with shape {X.shape} while a minimum of 1 sample and 1 feature is required.")
        # column labels are compared as text (a frame with labels 0, 1 is scored by a frame with 0, 1)
        frame = X if all(isinstance(c, str) for c in X.columns) else X.rename(columns=str)
    else:
        array = check_array(X, accept_sparse=False, dtype="numeric", ensure_all_finite="allow-nan",
                            ensure_min_samples=1 if reset else 0)
        width = array.shape[1]
        if not reset and width != estimator.n_features_in_:
            raise ValueError(f"X has {width} features, but {type(estimator).__name__} is expecting "
                             f"{estimator.n_features_in_} features as input.")
        names = list(estimator.feature_names_in_) if not reset else [f"x{i}" for i in range(width)]
        frame = pd.DataFrame(array, columns=names)
    if reset:
        estimator.n_features_in_ = frame.shape[1]
        estimator.feature_names_in_ = np.array([str(c) for c in frame.columns], dtype=object)
    return frame


def binary_labels(y: object, estimator: object, n_rows: int) -> np.ndarray:
    """Sets ``classes_``; returns 1 for the positive (second) class, 0 for the other."""
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y is None.")
    target = column_or_1d(check_array(y, ensure_2d=False, dtype=None, ensure_all_finite=True, input_name="y"), warn=True)
    if len(target) != n_rows:
        raise ValueError(f"X has {n_rows} rows but y has {len(target)}.")
    check_classification_targets(target)
    kind = type_of_target(target, input_name="y")
    if kind != "binary":
        raise ValueError(f"Only binary classification is supported. The type of the target is {kind}.")
    classes = np.unique(target)
    if len(classes) < 2:
        raise SingleClassError()
    estimator.classes_ = classes
    return (target == classes[1]).astype(int)


def weights_or_none(sample_weight: object, n_rows: int) -> np.ndarray | None:
    """``None`` stays ``None`` (the unweighted fit); otherwise float64, non-negative, not all zero."""
    if sample_weight is None:
        return None
    return _check_sample_weight(sample_weight, np.empty((n_rows, 0)), dtype=np.float64, ensure_non_negative=True)


def binary_tags(tags, labels_optional: bool = False):
    """scikit-learn tags every SafeRank model shares: binary only, missing values allowed;
    ``labels_optional`` for a model that scores without labels (a fixed rule, the random baseline)."""
    tags.classifier_tags.multi_class = False
    tags.input_tags.allow_nan = True
    if labels_optional:
        tags.target_tags.required = False
    return tags
