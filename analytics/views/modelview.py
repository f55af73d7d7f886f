"""What the model page shows, read from the model registry's cards: nothing is loaded or recomputed.

Training (``analytics.models.select.train_on_tables``) writes on each version's card the backtest
comparison (``metrics``: means over origins per model), the backtest details the page draws
(``backtest``: precision curve at 1–20 % capacity, calibration by decile, per town and per sector,
for every model compared), the global feature importance (``importance``: mean |contribution| in
log-odds) and the calibration method. This module shapes those into small frames:

- ``model_view(registry, version=None, lang="zh", town_names=None) -> ModelView``: all of it for one
  version (None: the serving one), with ``state`` saying what can be shown:
  ``no_model`` (nothing registered: a fresh county), ``fallback`` (the rule-of-thumb scorecard serves
  because there were too few labels: no backtest), ``no_backtest`` (a version trained before the
  backtest details were kept), ``ok``.
- ``card_fields``, ``precision_curves``, ``calibration_bins``, ``group_metrics``,
  ``feature_importance``, ``versions_table``: the parts, each a pure function of cards.
- ``precision_intervals``, ``comparison_sentences``, ``with_without``: the pooled precision of each
  model on the reported origins with its 95 % block-bootstrap interval, the paired differences in
  words, and what IPW weights and the power family add to the model (``selection_detail`` of the card;
  empty for cards written before training kept them).
- The precision curve carries its band (``low``/``high``: pooled over the reported origins, the same
  block bootstrap), and the means over origins (versions table, card text) their intervals, with
  ``mean_comparison_sentences``: the model's mean minus the rule of thumb's in words. Cards written
  before training kept them show the bare numbers.

Codes (model kinds, calibration methods, card fields, table columns, version status) come with
zh/en labels as ``schema.Code`` tables, for ``dashboard.i18n.label``.

Long because every part of the page is a small pure function of a card and they share the label
tables; the seam to cut when it grows: the interval parts (pooled, means, with/without) into a module of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analytics.contract import schema
from analytics.models.report import MODEL_LABELS
from analytics.contract.schema import Code
from analytics.features.registry import FEATURES
from analytics.models.select import CALIBRATION_BY_MODEL

MODEL_KINDS: tuple[Code, ...] = tuple(
    Code(code, zh, en) for code, (zh, en) in {**MODEL_LABELS, "blend": ("逻辑回归与提升树融合", "Blend of logistic and boosted")}.items()
)
CALIBRATION_METHODS: tuple[Code, ...] = (
    Code("platt_out_of_fold", "Platt 缩放（折外预测边际）", "Platt scaling of out-of-fold margins"),
    Code("logistic", "逻辑回归自身概率（加权拟合）", "The logistic regression's own probabilities (weighted fit)"),
    Code("blend_of_logits", "两个已校准模型对数几率的平均", "Mean of two calibrated models' log-odds"),
    Code("platt_points", "按分值 Platt 缩放", "Platt scaling of the points"),
    Code("fixed_points", "固定分值换算（无标注可校准）", "Fixed points-to-probability map (no labels to calibrate on)"),
    Code("unknown", "未记录", "Not recorded"),
)
CARD_FIELDS: tuple[Code, ...] = (
    Code("model", "模型", "Model"),
    Code("version", "版本", "Version"),
    Code("status", "状态", "Status"),
    Code("trained_as_of", "训练截止日期", "Trained as of"),
    Code("training_window", "训练窗口", "Training window"),
    Code("n_rows", "训练样本数（阳性）", "Training rows (positive)"),
    Code("n_features", "特征数", "Features"),
    Code("capacity", "回测检查能力", "Backtest capacity"),
    Code("selection", "选用理由", "Why this model"),
    Code("calibration", "校准方法", "Calibration"),
    Code("scikit_learn", "scikit-learn 版本", "scikit-learn version"),
    Code("sha256", "模型文件 SHA-256", "Model file SHA-256"),
    Code("created_at", "登记时间", "Registered at"),
)
VERSION_STATUS: tuple[Code, ...] = (
    Code("serving", "在用", "Serving"), Code("previous", "曾在用", "Served before"), Code("candidate", "候选", "Candidate"),
)
COLUMNS: tuple[Code, ...] = (
    Code("version", "版本", "Version"),
    Code("model", "模型", "Model"),
    Code("status", "状态", "Status"),
    Code("trained_as_of", "训练截止", "Trained as of"),
    Code("created_at", "登记时间", "Registered"),
    Code("n_rows", "样本数", "Rows"),
    Code("n_positive", "阳性数", "Positives"),
    Code("n_features", "特征数", "Features"),
    Code("precision_at_capacity", "容量内命中率", "Precision at capacity"),
    Code("precision_rule", "经验评分卡命中率", "Rule of thumb precision"),
    Code("precision_random", "随机顺序命中率", "Random order precision"),
    Code("lift_over_rule", "相对经验评分卡倍数", "Times the rule of thumb"),
    Code("precision_random_only", "命中率（仅双随机）", "Precision (random inspections only)"),
    Code("brier", "Brier 分数", "Brier score"),
    Code("capture_of_best", "占最优命中比例", "Share of best possible"),
    Code("group", "分组", "Group"),
    Code("n_labelled", "已检查企业数", "Inspected firms"),
    Code("observed_rate", "实际命中率", "Observed rate"),
    Code("precision", "容量内命中率", "Precision at capacity"),
    Code("precision_pooled", "汇总命中率（95% 区间）", "Pooled precision (95% interval)"),
    Code("n", "前 k 名检查次数", "Top-k visits"),
    Code("random_precision", "双随机命中率（95% 区间）", "Random-visit precision (95% interval)"),
    Code("choice", "比较", "Choice"),
    Code("with", "有", "With"),
    Code("without", "无", "Without"),
    Code("difference", "差（有 − 无，95% 区间）", "Difference (with − without, 95% interval)"),
    Code("feature", "特征", "Feature"),
    Code("importance", "平均 |贡献|（对数几率）", "Mean |contribution| (log-odds)"),
)
BASELINES = ("rule_of_thumb", "random")
VERSION_COLUMNS = ("version", "model", "status", "trained_as_of", "created_at", "n_rows", "n_positive", "n_features",
                   "precision_at_capacity", "precision_rule", "precision_random", "lift_over_rule",
                   "precision_random_only", "brier", "capture_of_best", "precision_pooled", "precision_low", "precision_high")
# the means over origins of the versions table with their intervals (``<column>_low``/``<column>_high``)
MEAN_INTERVAL_COLUMNS = ("precision_at_capacity", "precision_rule", "precision_random", "precision_random_only")
CAPACITY_BASIS: tuple[Code, ...] = (
    Code("operating", "占在营企业", "of operating firms"),
    Code("inspected", "占窗口内被检查企业", "of the firms inspected in the window"),
)
INTERVAL_COLUMNS = ("model", "label", "role", "n", "precision", "low", "high", "random_n", "random_precision",
                    "random_low", "random_high", "random_too_few")
WITH_WITHOUT_COLUMNS = ("variant", "label", "status", "with_precision", "with_low", "with_high", "without_precision",
                        "without_low", "without_high", "difference", "low", "high", "within_noise", "text")
CHOICES: tuple[Code, ...] = (
    Code("without_ipw", "逆倾向加权（有 − 无）", "Inverse-propensity weights (with − without)"),
    Code("without_power", "用电特征族（有 − 无）", "Power feature family (with − without)"),
)
CURVE_COLUMNS = ("model", "label", "role", "share", "precision", "low", "high", "n", "precision_random_only")
CALIBRATION_COLUMNS = ("model", "label", "decile", "predicted", "observed", "n", "weight")
GROUP_COLUMNS = ("group", "label", "n_labelled", "n_positive", "observed_rate", "precision", "precision_rule")
IMPORTANCE_COLUMNS = ("feature", "label", "importance")


def _detail(card: dict, part: str) -> list:
    return list((card.get("selection_detail") or {}).get(part) or [])


def precision_intervals(card: dict, lang: str = "zh") -> pd.DataFrame:
    """Per model of the version's backtest: top-``k`` visits ``n`` and the pooled precision on the
    reported origins with its 95 % block-bootstrap interval, and the same on double-random visits
    (``random_too_few`` below the minimum count); the version's model first, then the baselines."""
    rows = _detail(card, "intervals")
    if not rows:
        return pd.DataFrame(columns=list(INTERVAL_COLUMNS))
    frame = pd.DataFrame(rows)
    roles = _roles(card)
    frame["role"] = frame["model"].map(roles).fillna("other")
    frame["label"] = frame["model"].map(lambda name: _label(MODEL_KINDS, name, lang))
    order = {name: i for i, name in enumerate(roles)}
    frame = frame.assign(_order=frame["model"].map(order).fillna(len(order))).sort_values("_order", kind="stable")
    return frame.reindex(columns=list(INTERVAL_COLUMNS)).reset_index(drop=True)


def comparison_sentences(card: dict, lang: str = "zh") -> list[str]:
    """The version's model against the rule of thumb and the best history rule, in words with intervals."""
    return [row[lang] for row in _detail(card, "comparisons") if row.get("model") == card.get("model") and row.get(lang)]


def with_without(card: dict, lang: str = "zh") -> pd.DataFrame:
    """What IPW weights and the power family add to the version's model: with, without, the paired
    difference with its interval, and the sentence (``status`` ``absent``: nothing to compare, said so)."""
    rows = _detail(card, "with_without")
    if not rows:
        return pd.DataFrame(columns=list(WITH_WITHOUT_COLUMNS))
    out = []
    for row in rows:  # two rows
        a, b = row.get("with") or {}, row.get("without") or {}
        out.append({"variant": row["variant"], "label": _label(CHOICES, row["variant"], lang), "status": row["status"],
                    "with_precision": a.get("precision"), "with_low": a.get("low"), "with_high": a.get("high"),
                    "without_precision": b.get("precision"), "without_low": b.get("low"), "without_high": b.get("high"),
                    "difference": row.get("difference"), "low": row.get("low"), "high": row.get("high"),
                    "within_noise": row.get("within_noise"), "text": row.get(lang, "")})
    return pd.DataFrame(out, columns=list(WITH_WITHOUT_COLUMNS))


def _label(codes: tuple[Code, ...], code: object, lang: str) -> str:
    return schema.code_label(codes, str(code), lang) if code is not None else ""


def _percent(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value) * 100:.1f}%"


def _backtest(card: dict, part: str, columns: tuple[str, ...]) -> pd.DataFrame:
    rows = (card.get("backtest") or {}).get(part) or []
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(columns))


def state_of(card: dict | None) -> str:
    """``no_model``, ``fallback``, ``no_backtest`` or ``ok`` (see the module docstring)."""
    if card is None:
        return "no_model"
    if not card.get("metrics") and card.get("model") == "rule_of_thumb":
        return "fallback"
    return "ok" if (card.get("backtest") or {}).get("precision_curve") else "no_backtest"


def selection_text(card: dict, lang: str = "zh") -> str:
    """Why this version serves: the selection rule and its backtest against the baselines (or the fallback note)."""
    note = (card.get("notes") or {}).get(lang)
    metrics = card.get("metrics") or {}
    winner = card.get("model")
    if not metrics or winner not in metrics:
        return note or ""
    means = {r["model"]: r for r in _detail(card, "mean_intervals")}
    parts = [f"{_label(MODEL_KINDS, name, lang)} {_percent(metrics[name].get('precision_at_capacity'))}"
             + _span(means.get(name, {}).get("precision_at_capacity_low"), means.get(name, {}).get("precision_at_capacity_high"), lang)
             for name in dict.fromkeys((winner, *BASELINES)) if name in metrics]
    rule = (card.get("selection") or {}).get(lang, "")
    if lang == "zh":
        text = f"{rule}回测容量内命中率（各起点平均）：" + "，".join(parts) + "。"
    else:
        text = f"{rule} Backtest precision at capacity (mean over origins): " + ", ".join(parts) + "."
    pooled = {r["model"]: r for r in _detail(card, "intervals")}
    shown = [f"{_label(MODEL_KINDS, name, lang)} {_percent(pooled[name].get('precision'))}"
             f"（{_percent(pooled[name].get('low'))}–{_percent(pooled[name].get('high'))}）" if lang == "zh" else
             f"{_label(MODEL_KINDS, name, lang)} {_percent(pooled[name].get('precision'))} "
             f"({_percent(pooled[name].get('low'))}–{_percent(pooled[name].get('high'))})"
             for name in dict.fromkeys((winner, *BASELINES)) if name in pooled]
    if shown:
        text += ("报告起点汇总命中率（95% 区间）：" + "，".join(shown) + "。" if lang == "zh"
                 else " Pooled over the reported origins (95% interval): " + ", ".join(shown) + ".")
    said = mean_comparison_sentences(card, lang)
    if said:
        text += ("" if lang == "zh" else " ") + " ".join(said)
    return f"{text} {note}".strip() if note else text.strip()


def _span(low: object, high: object, lang: str) -> str:
    """`` (lo–hi)`` after a percentage, or nothing when the card kept no interval."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return ""
    return f"（{_percent(low)}–{_percent(high)}）" if lang == "zh" else f" ({_percent(low)}–{_percent(high)})"


def mean_comparison_sentences(card: dict, lang: str = "zh") -> list[str]:
    """The version's model: its mean precision over origins minus the rule of thumb's, in words with the interval."""
    return [row[lang] for row in _detail(card, "mean_comparisons") if row.get("model") == card.get("model") and row.get(lang)]


def capacity_text(card: dict, lang: str = "zh") -> str:
    """The backtest capacity, what it is a share of and the days scored after each origin (when the card says)."""
    capacity = card.get("capacity")
    if capacity is None:
        return ""
    amount = _percent(capacity) if float(capacity) < 1 else f"{int(capacity):,}"
    basis, days = card.get("capacity_of"), card.get("window_days")
    if basis is None and days is None:
        return amount
    parts = [_label(CAPACITY_BASIS, basis, lang)] if basis else []
    if days:
        parts.append(f"每个起点评分 {int(days)} 天" if lang == "zh" else f"{int(days)} days scored after each origin")
    return f"{amount}（{'，'.join(parts)}）" if lang == "zh" else f"{amount} ({', '.join(parts)})"


def card_fields(card: dict, status: str, lang: str = "zh") -> pd.DataFrame:
    """``field`` (a ``CARD_FIELDS`` code) and ``value`` (text in ``lang``), in ``CARD_FIELDS`` order."""
    window = card.get("training_window") or []
    values = {
        "model": _label(MODEL_KINDS, card.get("model"), lang),
        "version": card.get("version", ""),
        "status": _label(VERSION_STATUS, status, lang),
        "trained_as_of": card.get("trained_as_of") or "",
        "training_window": " – ".join(map(str, window)),
        "n_rows": f"{card.get('n_rows', 0):,} ({card.get('n_positive', 0):,})",
        "n_features": str(len(card.get("features") or [])),
        "capacity": capacity_text(card, lang),
        "selection": selection_text(card, lang),
        "calibration": _label(CALIBRATION_METHODS, card.get("calibration") or _calibration_of(card), lang),
        "scikit_learn": (card.get("libraries") or {}).get("scikit-learn", ""),
        "sha256": card.get("sha256", ""),
        "created_at": card.get("created_at") or "",
    }
    return pd.DataFrame({"field": [c.code for c in CARD_FIELDS], "value": [values[c.code] for c in CARD_FIELDS]})


def _calibration_of(card: dict) -> str:
    """For cards written before training recorded it: what the model kind implies."""
    if card.get("model") == "rule_of_thumb":
        return "platt_points" if card.get("metrics") else "fixed_points"
    return CALIBRATION_BY_MODEL.get(card.get("model"), "unknown")


def _roles(card: dict) -> dict[str, str]:
    """Model name → its role on the page: the serving model, then the two baselines."""
    winner = card.get("model")
    return {winner: "serving", **{name: name for name in BASELINES if name != winner}}


def precision_curves(card: dict, lang: str = "zh") -> pd.DataFrame:
    """Precision at the top 1–20 % of enterprises, pooled over the reported origins with its 95 % band
    (``low``/``high``; means over origins and no band on cards written before): the version's model
    (``role`` serving) against the rule of thumb and random order."""
    curve = _backtest(card, "precision_curve", CURVE_COLUMNS)
    roles = _roles(card)
    curve = curve.loc[curve["model"].isin(list(roles))].copy()
    if curve.empty:
        return pd.DataFrame(columns=list(CURVE_COLUMNS))
    curve["role"] = curve["model"].map(roles)
    curve["label"] = curve["model"].map(lambda name: _label(MODEL_KINDS, name, lang))
    order = {name: i for i, name in enumerate(roles)}
    curve = curve.sort_values(["model", "share"], key=lambda s: s.map(order) if s.name == "model" else s, kind="stable")
    return curve.reindex(columns=list(CURVE_COLUMNS)).reset_index(drop=True)


def calibration_bins(card: dict, lang: str = "zh") -> pd.DataFrame:
    """The version's model: mean predicted probability and (weighted) observed rate per score decile."""
    bins = _backtest(card, "calibration", CALIBRATION_COLUMNS)
    bins = bins.loc[bins["model"] == card.get("model")].rename(columns={"mean_score": "predicted"})
    if bins.empty:
        return pd.DataFrame(columns=list(CALIBRATION_COLUMNS))
    bins = bins.assign(label=_label(MODEL_KINDS, card.get("model"), lang)).sort_values("decile")
    return bins.reindex(columns=list(CALIBRATION_COLUMNS)).reset_index(drop=True)


def group_metrics(card: dict, by: str, lang: str = "zh", town_names: dict[str, str] | None = None) -> pd.DataFrame:
    """Per town (``by="town"``) or sector, pooled over origins: inspected firms, positives, observed
    rate, the version's precision at capacity and the rule of thumb's; most inspected first."""
    groups = _backtest(card, f"by_{by}", GROUP_COLUMNS)
    if groups.empty:
        return pd.DataFrame(columns=list(GROUP_COLUMNS))
    groups["group"] = groups["group"].astype(str)
    own = groups.loc[groups["model"] == card.get("model")].set_index("group")
    if own.empty:
        return pd.DataFrame(columns=list(GROUP_COLUMNS))
    rule = groups.loc[groups["model"] == "rule_of_thumb"].set_index("group")["precision_at_capacity"]
    out = own[["n_labelled", "n_positive", "observed_rate"]].assign(
        precision=own["precision_at_capacity"], precision_rule=rule.reindex(own.index)).reset_index()
    if by == "sector":
        out["label"] = out["group"].map(lambda code: schema.code_label(schema.SECTORS, code, lang))
    else:
        out["label"] = out["group"].map(lambda code: (town_names or {}).get(code, code))
    out = out.sort_values(["n_labelled", "group"], ascending=[False, True], kind="stable")
    return out.reindex(columns=list(GROUP_COLUMNS)).astype({"precision": float, "precision_rule": float}).reset_index(drop=True)


def feature_importance(card: dict, lang: str = "zh", top: int | None = 20) -> pd.DataFrame:
    """Mean |contribution| per feature (log-odds) as stored at training, largest first; features that
    never moved a score are left out."""
    importance = card.get("importance") or {}
    if not importance:
        return pd.DataFrame(columns=list(IMPORTANCE_COLUMNS))
    frame = pd.DataFrame({"feature": list(importance), "importance": [float(v) for v in importance.values()]})
    frame = frame.loc[frame["importance"] > 0]  # a feature that never moved a score is not shown as one
    frame = frame.sort_values(["importance", "feature"], ascending=[False, True], kind="stable").head(top)
    frame["label"] = frame["feature"].map(
        lambda name: (FEATURES[name].zh if lang == "zh" else FEATURES[name].en) if name in FEATURES else name)
    return frame.reindex(columns=list(IMPORTANCE_COLUMNS)).reset_index(drop=True)


def versions_table(registry: object, lang: str = "zh") -> pd.DataFrame:
    """One row per version (newest first): ``model`` labelled in ``lang``, ``status`` a ``VERSION_STATUS``
    code, its training size and its backtest means against the baselines (``lift_over_rule``: its
    precision at capacity over the rule of thumb's)."""
    versions = registry.versions()
    rows = []
    for version, status in zip(versions["version"], versions["status"], strict=True):  # a loop over versions
        card = registry.card(version)
        metrics = card.get("metrics") or {}
        own = metrics.get(card.get("model")) or {}
        rule = (metrics.get("rule_of_thumb") or {}).get("precision_at_capacity")
        precision = own.get("precision_at_capacity")
        pooled = next((r for r in _detail(card, "intervals") if r.get("model") == card.get("model")), {})
        means = {r["model"]: r for r in _detail(card, "mean_intervals")}
        spans = {f"{column}_{end}": (means.get(name) or {}).get(f"{key}_{end}")
                 for column, name, key in (("precision_at_capacity", card.get("model"), "precision_at_capacity"),
                                           ("precision_rule", "rule_of_thumb", "precision_at_capacity"),
                                           ("precision_random", "random", "precision_at_capacity"),
                                           ("precision_random_only", card.get("model"), "precision_random_only"))
                 for end in ("low", "high")}
        rows.append({
            "version": version, "model": _label(MODEL_KINDS, card.get("model"), lang), "status": status,
            "trained_as_of": card.get("trained_as_of"), "created_at": card.get("created_at"),
            "n_rows": card.get("n_rows"), "n_positive": card.get("n_positive"), "n_features": len(card.get("features") or []),
            "precision_at_capacity": precision, "precision_rule": rule,
            "precision_random": (metrics.get("random") or {}).get("precision_at_capacity"),
            "lift_over_rule": precision / rule if precision is not None and rule else None,
            "precision_random_only": own.get("precision_random_only"), "brier": own.get("brier"),
            "capture_of_best": own.get("capture_of_best"), "precision_pooled": pooled.get("precision"),
            "precision_low": pooled.get("low"), "precision_high": pooled.get("high"), **spans,
        })
    spans = [f"{c}_{end}" for c in MEAN_INTERVAL_COLUMNS for end in ("low", "high")]
    frame = pd.DataFrame(rows, columns=[*VERSION_COLUMNS, *spans])
    return frame.astype({c: float for c in [*VERSION_COLUMNS[8:], *spans]})


@dataclass
class ModelView:
    """Everything the model page shows for one version."""

    state: str
    version: str | None = None
    serving: str | None = None
    card: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["field", "value"]))
    curves: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(CURVE_COLUMNS)))
    calibration: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(CALIBRATION_COLUMNS)))
    by_town: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(GROUP_COLUMNS)))
    by_sector: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(GROUP_COLUMNS)))
    importance: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(IMPORTANCE_COLUMNS)))
    versions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(VERSION_COLUMNS)))
    intervals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(INTERVAL_COLUMNS)))
    comparisons: list[str] = field(default_factory=list)
    mean_comparisons: list[str] = field(default_factory=list)
    with_without: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(WITH_WITHOUT_COLUMNS)))
    capacity: float | int | None = None
    capacity_of: str = "operating"  # what the capacity is a share of (``saferank train --capacity-of``)
    note: str = ""


def model_view(registry: object, version: str | None = None, lang: str = "zh",
               town_names: dict[str, str] | None = None) -> ModelView:
    """The page's content for ``version`` (None or unknown: the serving one) of ``registry``."""
    versions = versions_table(registry, lang)
    serving = registry.serving()
    if version not in set(versions["version"]):
        version = serving
    if version is None:
        return ModelView("no_model", versions=versions)
    card = registry.card(version)
    status = versions.set_index("version")["status"].get(version, "candidate")
    return ModelView(
        state=state_of(card), version=version, serving=serving, card=card_fields(card, status, lang),
        curves=precision_curves(card, lang), calibration=calibration_bins(card, lang),
        by_town=group_metrics(card, "town", lang, town_names), by_sector=group_metrics(card, "sector", lang),
        importance=feature_importance(card, lang), versions=versions, capacity=card.get("capacity"),
        intervals=precision_intervals(card, lang), comparisons=comparison_sentences(card, lang),
        mean_comparisons=mean_comparison_sentences(card, lang),
        with_without=with_without(card, lang), capacity_of=card.get("capacity_of") or "operating",
        note=(card.get("notes") or {}).get(lang, ""),
    )
