"""What a choice adds: one model refitted without it at the backtest's own origins, with and without paired.

Two choices of the served model are backtested rather than taken on faith (issues 15 and 19):

- ``without_ipw``: trained without the inverse-propensity weights (``labels.inspection_weights``),
  each observed firm weighing 1;
- ``without_power``: trained without the ``power`` feature family (contract v2 ``power_usage``).

``run_backtest(..., ablate=name)`` refits only the model ``name`` once more per variant at each
origin, on the training matrix, labels and weights it has already built, and scores the variant
with the same labels, capacity and tie-break as the model itself (the rows are kept apart from the
comparison's, in ``BacktestResult.ablations``); a boosted model is refitted without its calibration
folds (``unfitted_variant``: calibration does not change a ranking). ``with_without`` then pairs
them per origin with the same moving-block bootstrap as every other interval
(``uncertainty.paired_difference`` and ``pooled_intervals``) and says in words whether the
difference is within noise. A county without
``power_usage`` records gets ``status`` ``absent`` for the power family: said, never a silent zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sklearn.base import clone

from analytics.features.registry import family_features
from analytics.models.learned import BoostedModel
from analytics.models.uncertainty import paired_difference, pooled_intervals, sentence

VARIANTS = ("without_ipw", "without_power")
FAMILY_OF = {"without_power": "power"}
ABSENT = {
    "without_ipw": ("本次回测未加权训练（--unweighted），无从比较逆倾向加权的作用。",
                    "This backtest trained without weights, so what the inverse-propensity weights add cannot be compared."),
    "without_power": ("本县没有用电数据（power_usage 表缺失或为空），用电特征族未参与训练，无法说明它的作用。",
                      "This county has no power_usage records, so the power feature family was absent: "
                      "what it adds cannot be measured here."),
}
TITLES = {
    "without_ipw": ("逆倾向加权（有 − 无）", "Inverse-propensity weights (with − without)"),
    "without_power": ("用电特征族（有 − 无）", "Power feature family (with − without)"),
}


def variant_name(model: str, variant: str) -> str:
    return f"{model}|{variant}"


def power_absent(tables: dict[str, pd.DataFrame]) -> bool:
    """True when the county has no ``power_usage`` records (table missing or empty)."""
    power = tables.get("power_usage")
    return power is None or len(power) == 0


def plan(tables: dict[str, pd.DataFrame], weighted: bool) -> dict[str, str]:
    """Variant → ``ok`` (refit it) or ``absent`` (nothing to take away: say so)."""
    return {"without_ipw": "ok" if weighted else "absent",
            "without_power": "absent" if power_absent(tables) else "ok"}


def variant_inputs(variant: str, X_train: pd.DataFrame, weights: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The training matrix and weights of ``variant``: ones for the weights, or the family's columns dropped."""
    if variant == "without_ipw":
        return X_train, np.ones(len(weights))
    dropped = [c for c in family_features(FAMILY_OF[variant]) if c in X_train.columns]
    return X_train.drop(columns=dropped), weights


def unfitted_variant(model: object) -> object:
    """A clone of ``model`` to refit for a variant. Only precision at capacity is compared, and Platt
    scaling (with a positive slope) never changes a ranking, so a boosted model is refitted without its
    calibration folds (``calibration_folds=0``: one fit instead of three). A blend keeps them: it
    averages its members' calibrated probabilities, so their calibration is part of its ranking."""
    fresh = clone(model)
    return fresh.set_params(calibration_folds=0) if isinstance(fresh, BoostedModel) else fresh


def _figures(row: pd.Series | None) -> dict:
    if row is None:
        return {"precision": None, "low": None, "high": None, "n": 0}
    return {"precision": float(row["precision"]), "low": float(row["low"]), "high": float(row["high"]), "n": int(row["n"])}


def _absent_row(model: str, variant: str, reason: str) -> dict:
    zh, en = ABSENT[variant]
    return {"variant": variant, "model": model, "status": "absent", "reason": reason, "with": _figures(None),
            "without": _figures(None), "difference": None, "low": None, "high": None, "within_noise": None,
            "origins": 0, "per_origin": [], "zh": zh, "en": en}


def _words(row: dict, lang: str) -> str:
    a, b = row["with"], row["without"]
    if lang == "zh":
        head = (f"{TITLES[row['variant']][0]}：有 {a['precision']:.3f}（{a['low']:.3f}–{a['high']:.3f}），"
                f"无 {b['precision']:.3f}（{b['low']:.3f}–{b['high']:.3f}），{row['origins']} 个相同起点配对。")
    else:
        head = (f"{TITLES[row['variant']][1]}: with {a['precision']:.3f} ({a['low']:.3f}–{a['high']:.3f}), "
                f"without {b['precision']:.3f} ({b['low']:.3f}–{b['high']:.3f}), paired on the same {row['origins']} origins.")
    return f"{head} {sentence(row, lang)}"


def with_without(metrics: pd.DataFrame, ablations: pd.DataFrame, model: str | None, status: dict[str, str],
                 window_days: int) -> list[dict]:
    """Per variant: the model's pooled precision at capacity with and without (95 % block-bootstrap
    intervals), the paired difference with − without and its interval, ``within_noise``, in words."""
    if model is None:
        return []
    out = []
    for variant in VARIANTS:  # a loop over the two choices
        name = variant_name(model, variant)
        if status.get(variant) != "ok":
            out.append(_absent_row(model, variant, "unweighted_run" if variant == "without_ipw" else "no_power_usage"))
            continue
        both = pd.concat([metrics.loc[metrics["model"] == model],
                          ablations.loc[ablations["model"] == name] if len(ablations) else ablations], ignore_index=True)
        if not (both["model"] == name).any() or not (both["model"] == model).any():
            continue  # the model could not be trained at any origin: the notes say so
        intervals = pooled_intervals(both, window_days)
        row = {"variant": variant, "status": "ok", "reason": None,
               **paired_difference(both, model, name, window_days), "reference_role": variant,
               "with": _figures(intervals.loc[model]), "without": _figures(intervals.loc[name])}
        row["zh"], row["en"] = _words(row, "zh"), _words(row, "en")
        out.append(row)
    return out
