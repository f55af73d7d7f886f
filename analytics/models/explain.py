"""Reasons: the few facts that raised an enterprise's score most, in words an inspector reads.

``reasons(contributions, features, top=3)`` takes a model's ``contributions(X)`` (log-odds per
feature; they add up to the score's logit minus the base logit, so a reason is exactly what moved
this score) and the feature values, keeps per row the ``top`` features with the largest *positive*
contribution (a feature that lowered the score is never a reason), and phrases each with the
feature registry's ``reason_zh`` / ``reason_en`` templates and the enterprise's value
("未批擅自复产 45 天"). A firm with no positive contribution has no reason (empty text).

Work is per feature and per distinct value, never per enterprise.

``global_importance(model, X)`` is the same contributions seen from afar: per feature, the mean
absolute log-odds it moves a score (over at most ``max_rows`` seeded rows), for the model card.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.contract import schema
from analytics.features.registry import FEATURES

SEPARATOR = {"zh": "；", "en": "; "}
MISSING_WORDS = {"zh": "无记录", "en": "no record"}
# Contributions below this (log-odds) are noise, not a reason.
MIN_CONTRIBUTION = 1e-6


@dataclass(frozen=True)
class ReasonTemplate:
    """How one feature is phrased; ``{value}`` is replaced by the enterprise's value."""

    zh: str
    en: str


def _code_labels() -> dict[str, tuple[str, str]]:
    labels: dict[str, tuple[str, str]] = {}
    for table in schema.TABLES.values():
        for column in table.columns:
            for code in column.codes:
                labels.setdefault(code.code, (code.zh, code.en))
    return labels


CODE_LABELS = _code_labels()


def templates_from_registry(features: Iterable[object] | Mapping[str, object] | None = None) -> dict[str, ReasonTemplate]:
    """``{feature name: template}`` from the feature registry (``analytics.features.registry.FEATURES``)."""
    if features is None:
        features = FEATURES
    specs = features.values() if isinstance(features, Mapping) else features
    out = {}
    for spec in specs:
        zh = getattr(spec, "reason_zh", None) or f"{spec.zh}：{{value}}"
        en = getattr(spec, "reason_en", None) or f"{spec.en}: {{value}}"
        out[spec.name] = ReasonTemplate(zh, en)
    return out


class _Value:
    """A value that formats plainly ("45", "0.35", code label) unless the template gives a spec."""

    def __init__(self, value: object, lang: str) -> None:
        self.value = value
        self.lang = lang

    def __format__(self, spec: str) -> str:
        value = self.value
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            return MISSING_WORDS[self.lang]
        if isinstance(value, str):
            zh_en = CODE_LABELS.get(value)
            return (zh_en[0] if self.lang == "zh" else zh_en[1]) if zh_en and not spec else format(value, spec)
        if spec:
            return format(float(value), spec)
        number = float(value)
        if number.is_integer():
            return str(int(number))
        return f"{number:.2f}".rstrip("0").rstrip(".") if abs(number) < 10 else f"{number:.1f}"


# an English count and its noun: "{value:.0f} hazards still open", "{value:.0f} fire hazards in the last year"
_COUNTED = re.compile(r"\{value(?::\.0f)?\}((?: [a-z]+)?) ([a-z]+?[^s])s\b")


def _singular(template: str, value: object, lang: str) -> str:
    """``template`` with its counted noun in the singular when the count is 1 ("1 hazard still open")."""
    if lang == "en" and isinstance(value, int | float | np.number) and not isinstance(value, bool) and value == 1:
        return _COUNTED.sub(r"{value:.0f}\1 \2", template, count=1)
    return template


def _phrases(template: str, values: pd.Series, lang: str) -> np.ndarray:
    """``template`` filled with each value; formatted once per distinct value (English counts of 1 singular)."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    texts = np.array([_singular(template, v, lang).format(value=_Value(v, lang)) for v in uniques]
                     + [template.format(value=_Value(None, lang))], dtype=object)
    return texts[np.where(codes < 0, len(uniques), codes)]


def top_features(contributions: pd.DataFrame, top: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the column positions of the ``top`` largest contributions and whether each is a reason (> 0).

    Ties keep column order (stable), so the result is deterministic.
    """
    values = contributions.to_numpy(dtype=float)
    top = min(top, values.shape[1])
    order = np.argsort(-values, axis=1, kind="stable")[:, :top]
    chosen = np.take_along_axis(values, order, axis=1)
    return order, chosen > MIN_CONTRIBUTION


def _join(parts: np.ndarray, separator: str, index: pd.Index) -> pd.Series:
    """Row-wise join of the non-empty strings of a 2-D object array, column by column."""
    joined = pd.Series("", index=index, dtype=object)
    for j in range(parts.shape[1]):
        part = pd.Series(parts[:, j], index=index, dtype=object)
        glue = pd.Series(np.where((joined != "") & (part != ""), separator, ""), index=index, dtype=object)
        joined = joined + glue + part
    return joined


def reasons(contributions: pd.DataFrame, features: pd.DataFrame, top: int = 3,
            templates: Mapping[str, ReasonTemplate] | None = None) -> pd.DataFrame:
    """``reasons_zh``, ``reasons_en`` (joined texts) and ``reason_features`` (names joined by ``,``) per row."""
    templates = templates_from_registry() if templates is None else templates
    columns = list(contributions.columns)
    order, positive = top_features(contributions, top)
    out = pd.DataFrame(index=contributions.index)
    for lang in ("zh", "en"):
        slots = []
        for slot in range(order.shape[1]):
            phrase = np.full(len(order), "", dtype=object)
            for j, name in enumerate(columns):  # loop over features, vectorised over enterprises
                rows = np.flatnonzero((order[:, slot] == j) & positive[:, slot])
                if rows.size == 0:
                    continue
                template = templates.get(name)
                text = (template.zh if lang == "zh" else template.en) if template else f"{name}: {{value}}"
                phrase[rows] = _phrases(text, features[name].iloc[rows], lang)
            slots.append(phrase)
        joined = _join(np.column_stack(slots) if slots else np.empty((len(order), 0), dtype=object),
                       SEPARATOR[lang], contributions.index)
        out[f"reasons_{lang}"] = joined
    names = np.array(columns, dtype=object)[order] if order.size else np.empty(order.shape, dtype=object)
    out["reason_features"] = _join(np.where(positive, names, ""), ",", contributions.index)
    return out


def global_importance(model: object, X: pd.DataFrame, max_rows: int = 2000, seed: int = 0) -> pd.Series:
    """Per feature, mean ``|contributions(X)|`` in log-odds, largest first (ties by name).

    Above ``max_rows`` rows a seeded sample is explained: exact TreeSHAP on a county's every firm
    would make training slow while the ordering of features barely changes.
    """
    if len(X) > max_rows:
        X = X.iloc[np.sort(np.random.default_rng(seed).choice(len(X), max_rows, replace=False))]
    if len(X) == 0:
        return pd.Series(dtype=float, name="importance")
    mean_abs = model.contributions(X).abs().mean(axis=0).astype(float)
    order = sorted(mean_abs.index, key=lambda name: (-mean_abs[name], str(name)))
    return mean_abs.reindex(order).rename("importance")
