"""Hand-written model cards in a tiny registry, for the model page's tests (analytics and dashboard).

The page reads cards only and never loads an estimator, so a cheap fitted scorecard stands in for
each version's model file. Versions: ``v0`` the rule-of-thumb fallback (first, so it served first),
``v1`` a logistic model trained before cards kept backtest details (served before), ``v2`` a boosted
model with its full backtest (serving).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analytics.models.registry import ModelRegistry
from analytics.models.scorecard import RuleOfThumb
from analytics.models.select import FALLBACK_NOTE, SELECTION_RULE


def _curve(model: str, precisions: tuple[float, float]) -> list[dict]:
    return [{"model": model, "share": s, "precision": p, "precision_random_only": None}
            for s, p in zip((0.01, 0.02), precisions, strict=True)]


def _groups(model: str, precisions: dict[str, float]) -> list[dict]:
    labelled = {"T1": 5, "T2": 12, "gas": 9, "mining": 3}
    return [{"group": g, "model": model, "n_labelled": labelled[g], "n_positive": 2, "n_top": 1, "n_top_labelled": 1,
             "observed_rate": 2 / labelled[g], "precision_at_capacity": p} for g, p in precisions.items()]


SERVING_CARD = {
    "version": "v2", "model": "boosted", "trained_as_of": "2026-11-15", "training_window": ["2024-10-18", "2026-11-15"],
    "n_rows": 1200, "n_positive": 80, "features": ["hazardous_chemicals", "open_hazards", "not_in_registry"],
    "capacity": 0.05, "created_at": "2026-11-16T08:00:00+00:00", "selection": SELECTION_RULE,
    "calibration": "platt_out_of_fold", "notes": {},
    "metrics": {"random": {"precision_at_capacity": 0.04, "brier": 0.07},
                "rule_of_thumb": {"precision_at_capacity": 0.28, "brier": 0.06},
                "logistic": {"precision_at_capacity": 0.30, "brier": 0.05},
                "boosted": {"precision_at_capacity": 0.35, "brier": 0.05, "precision_random_only": 0.30,
                            "capture_of_best": 0.8}},
    "backtest": {
        "parameters": {"capacity": 0.05},
        "precision_curve": _curve("random", (0.05, 0.03)) + _curve("logistic", (0.5, 0.4)) + _curve("boosted", (0.6, 0.45))
        + _curve("rule_of_thumb", (0.4, 0.3)),
        "calibration": [{"model": m, "decile": d, "mean_score": 0.01 * d, "observed": 0.02 * d, "weight": 10.0, "n": 12}
                        for m in ("rule_of_thumb", "boosted") for d in (2, 1)],
        "by_town": _groups("boosted", {"T1": 0.5, "T2": 0.25}) + _groups("rule_of_thumb", {"T1": 0.2, "T2": None}),
        "by_sector": _groups("boosted", {"gas": 0.4, "mining": 1.0}) + _groups("rule_of_thumb", {"gas": 0.1, "mining": 0.0}),
    },
    "importance": {"open_hazards": 0.2, "hazardous_chemicals": 0.5, "not_in_registry": 0.1, "employees": 0.0},
    "selection_detail": {
        "intervals": [
            {"model": "random", "n": 200, "hits": 8, "precision": 0.04, "low": 0.02, "high": 0.07, "random_n": 5,
             "random_precision": None, "random_low": None, "random_high": None, "random_too_few": True, "block": 3},
            {"model": "rule_of_thumb", "n": 200, "hits": 56, "precision": 0.28, "low": 0.22, "high": 0.34, "random_n": 40,
             "random_precision": 0.25, "random_low": 0.15, "random_high": 0.36, "random_too_few": False, "block": 3},
            {"model": "boosted", "n": 200, "hits": 72, "precision": 0.36, "low": 0.301, "high": 0.42, "random_n": 40,
             "random_precision": 0.3, "random_low": 0.2, "random_high": 0.4, "random_too_few": False, "block": 3},
        ],
        "comparisons": [
            {"model": "boosted", "reference": "rule_of_thumb", "zh": "boosted 对经验规则的命中率差 +0.080：确实更好。",
             "en": "boosted minus the rule of thumb: precision +0.080; better beyond noise."},
            {"model": "logistic", "reference": "rule_of_thumb", "zh": "logistic 不该出现", "en": "logistic should not show"},
        ],
        "with_without": [
            {"variant": "without_ipw", "model": "boosted", "status": "ok", "with": {"precision": 0.36, "low": 0.301, "high": 0.42, "n": 200},
             "without": {"precision": 0.35, "low": 0.29, "high": 0.41, "n": 200}, "difference": 0.01, "low": -0.02, "high": 0.04,
             "within_noise": True, "zh": "逆倾向加权：在噪声范围内，不能说有差别。", "en": "IPW: within noise: no difference can be claimed."},
            {"variant": "without_power", "model": "boosted", "status": "absent", "with": {"precision": None, "low": None, "high": None, "n": 0},
             "without": {"precision": None, "low": None, "high": None, "n": 0}, "difference": None, "low": None, "high": None,
             "within_noise": None, "zh": "本县没有用电数据（power_usage 表缺失或为空）。",
             "en": "This county has no power_usage records, so the power feature family was absent."},
        ],
    },
}
OLD_CARD = {  # trained before the card kept backtest details
    "version": "v1", "model": "logistic", "trained_as_of": "2026-08-15", "n_rows": 900, "n_positive": 50,
    "features": ["open_hazards"], "capacity": 0.05, "created_at": "2026-08-16T08:00:00+00:00",
    "metrics": {"logistic": {"precision_at_capacity": 0.25, "brier": 0.06}, "rule_of_thumb": {"precision_at_capacity": 0.2}},
}
FALLBACK_CARD = {
    "version": "v0", "model": "rule_of_thumb", "trained_as_of": "2026-05-15", "n_rows": 40, "n_positive": 3,
    "features": ["open_hazards"], "created_at": "2026-05-16T08:00:00+00:00", "metrics": {}, "capacity": 0.05,
    "notes": {lang: text.format(n=30, found=3) for lang, text in FALLBACK_NOTE.items()}, "calibration": "fixed_points",
}



def build_registry(folder: str | Path) -> ModelRegistry:
    registry = ModelRegistry(folder)
    stand_in = RuleOfThumb().fit(pd.DataFrame({"open_hazards": [0, 1]}))
    for card in (FALLBACK_CARD, OLD_CARD, SERVING_CARD):
        registry.register(stand_in, card)
    registry.promote("v1")
    registry.promote("v2")
    return registry
