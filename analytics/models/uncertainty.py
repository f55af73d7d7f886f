"""Honest intervals for a backtest's precisions: a moving-block bootstrap over origins.

Backtest origins are monthly and each scores the 90 days after it, so neighbouring windows share
two thirds of their visits: twelve origins are not twelve independent samples, and a binomial
standard error on the pooled visits is about √3 too small. Here every interval resamples *blocks* of
consecutive origins (moving-block bootstrap), the block as long as a window spans origins
(``block_length``: ⌈window days / origin spacing⌉, 3 for 90-day windows at monthly origins, 1 for
30-day windows that tile the year), so the dependence between overlapping windows stays inside a
block.

- ``pooled_intervals(metrics)``: per model, the top-``k`` visits pooled over origins (hits / visits)
  with a 95 % block-bootstrap interval; and the same for the double-random visits at the top
  (``random_hits / random_visits``), with their count, and "too few random visits to tell" below
  ``MIN_RANDOM_VISITS``.
- ``paired_difference(metrics, model, reference)``: the pooled precision of ``model`` minus that of
  ``reference`` on the same origins, with the block-bootstrap interval of the difference (the same
  resampled origins for both: paired). ``within_noise`` when the interval contains 0.
- ``comparisons(metrics)``: every model against the rule of thumb and against the best history rule
  (the better of ``prior_violations`` and ``last_inspection`` on these origins), with a sentence in
  both languages.
- ``curve_intervals(curve)``: the precision curve at 1–20 % capacity pooled over origins per share,
  each share with its interval (one resampling of origins for every share, so the band is a band).
- ``mean_intervals(metrics, columns)`` and ``mean_comparisons(metrics)``: the means over origins the
  summary tables show (precision weighted by inverse propensity, random-only), each with its
  interval, and every model's mean minus the rule of thumb's, paired, in words.
- ``card_lines``, ``metrics_lines``, ``curve_lines``: the model card's Markdown (``saferank models show``)
  with those intervals, where training kept them.

Only numbers already in the per-origin metrics are used (``n_top_labelled``, ``n_top_positive``,
``n_top_random_visits``, ``n_top_random_hits``), so a stored backtest can be re-read.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

N_BOOT = 2000
LEVEL = 0.95
MIN_RANDOM_VISITS = 30  # fewer double-random visits at the top than this: too few to tell
HISTORY_RULES = ("prior_violations", "last_inspection")
REFERENCES = {"rule_of_thumb": ("经验规则", "the rule of thumb"), "best_history_rule": ("最好的历史规则", "the best history rule"),
              # the with/without comparisons of ``models.ablation``: the same model refitted without a choice
              "without_ipw": ("不加逆倾向权重训练的同一模型", "the same model trained without inverse-propensity weights"),
              "without_power": ("去掉用电特征族的同一模型", "the same model without the power feature family")}


def block_length(origins: list[object], window_days: int) -> int:
    """Origins one window spans: ⌈window / median spacing of origins⌉, at least 1."""
    dates = pd.to_datetime(pd.Series(sorted(origins))).drop_duplicates()
    if len(dates) < 2:
        return 1
    spacing = float(dates.diff().dt.days.median())
    return max(1, min(len(dates), math.ceil(window_days / spacing)))


def _resampled(origins: list[object], window_days: int, n_boot: int, seed: int) -> tuple[int, np.ndarray]:
    """The block length for ``origins`` and ``n_boot`` resamplings of their positions: every interval here."""
    block = block_length(origins, window_days)
    return block, _block_indices(len(origins), block, n_boot, seed)


def _block_indices(n: int, block: int, n_boot: int, seed: int) -> np.ndarray:
    """``n_boot`` × ``n`` origin indices, each row ⌈n/block⌉ moving blocks of consecutive origins."""
    rng = np.random.default_rng(seed)
    block = max(1, min(block, n))
    blocks = math.ceil(n / block)
    starts = rng.integers(0, n - block + 1, size=(n_boot, blocks))
    rows = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(n_boot, -1)
    return rows[:, :n]


def _per_origin(metrics: pd.DataFrame, model: str, hits: str, visits: str) -> pd.DataFrame:
    part = metrics.loc[metrics["model"] == model, ["origin", hits, visits]]
    return part.groupby("origin", sort=True)[[hits, visits]].sum()


def _intervals(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 95 % bounds over resamplings (the first axis), a resampling where the statistic is undefined
    (NaN) left out; NaN where none is defined."""
    tail = (1 - LEVEL) / 2
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a statistic no resampling defined: NaN, not a warning
        return np.nanquantile(values, tail, axis=0), np.nanquantile(values, 1 - tail, axis=0)


def _interval(values: np.ndarray) -> tuple[float, float]:
    low, high = _intervals(np.asarray(values, dtype=float))
    return float(low), float(high)


def _ratio(hits: np.ndarray, visits: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(visits > 0, hits / np.where(visits > 0, visits, 1), np.nan)


def pooled_intervals(metrics: pd.DataFrame, window_days: int, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Per model (index): ``n`` visits and ``hits`` at the top pooled over origins, ``precision``, its
    ``low``/``high`` 95 % block-bootstrap interval; ``random_n``, ``random_hits``,
    ``random_precision`` (NaN below ``MIN_RANDOM_VISITS``), ``random_low``/``random_high``,
    ``random_too_few``; and the ``block`` length used."""
    if metrics.empty:
        return pd.DataFrame()
    origins = sorted(metrics["origin"].unique())
    block, index = _resampled(origins, window_days, n_boot, seed)
    rows = {}
    for model in metrics["model"].unique():  # a loop over models
        row = {"block": block}
        for prefix, hits, visits in (("", "n_top_positive", "n_top_labelled"),
                                     ("random_", "n_top_random_hits", "n_top_random_visits")):
            if hits not in metrics.columns:
                continue
            table = _per_origin(metrics, model, hits, visits).reindex(origins, fill_value=0)
            h, v = table[hits].to_numpy(dtype=float), table[visits].to_numpy(dtype=float)
            low, high = _interval(_ratio(h[index].sum(axis=1), v[index].sum(axis=1)))
            key = "n" if not prefix else "random_n"
            row.update({key: int(v.sum()), f"{prefix}hits": int(h.sum()),
                        f"{prefix}precision": float(_ratio(np.array([h.sum()]), np.array([v.sum()]))[0]),
                        f"{prefix}low": low, f"{prefix}high": high})
        if "random_n" in row:
            row["random_too_few"] = row["random_n"] < MIN_RANDOM_VISITS
            if row["random_too_few"]:
                row.update(random_precision=float("nan"), random_low=float("nan"), random_high=float("nan"))
        rows[model] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def paired_difference(metrics: pd.DataFrame, model: str, reference: str, window_days: int, n_boot: int = N_BOOT,
                      seed: int = 0) -> dict:
    """Pooled precision of ``model`` − ``reference`` over the same origins, with its block-bootstrap
    interval; ``within_noise`` when the interval contains 0; ``per_origin`` differences too."""
    origins = sorted(set(metrics.loc[metrics["model"] == model, "origin"]) & set(metrics.loc[metrics["model"] == reference, "origin"]))
    if not origins:
        return {"model": model, "reference": reference, "difference": float("nan"), "low": float("nan"),
                "high": float("nan"), "within_noise": True, "origins": 0, "block": 1, "per_origin": []}
    a = _per_origin(metrics, model, "n_top_positive", "n_top_labelled").reindex(origins, fill_value=0)
    b = _per_origin(metrics, reference, "n_top_positive", "n_top_labelled").reindex(origins, fill_value=0)
    ah, av = a["n_top_positive"].to_numpy(dtype=float), a["n_top_labelled"].to_numpy(dtype=float)
    bh, bv = b["n_top_positive"].to_numpy(dtype=float), b["n_top_labelled"].to_numpy(dtype=float)
    block, index = _resampled(origins, window_days, n_boot, seed)
    boot = _ratio(ah[index].sum(axis=1), av[index].sum(axis=1)) - _ratio(bh[index].sum(axis=1), bv[index].sum(axis=1))
    low, high = _interval(boot)
    difference = float(_ratio(np.array([ah.sum()]), np.array([av.sum()]))[0] - _ratio(np.array([bh.sum()]), np.array([bv.sum()]))[0])
    per_origin = _ratio(ah, av) - _ratio(bh, bv)
    return {"model": model, "reference": reference, "difference": difference, "low": low, "high": high,
            "within_noise": not (low > 0 or high < 0), "origins": len(origins), "block": block,
            "per_origin": [None if not np.isfinite(d) else float(d) for d in per_origin]}


def best_history_rule(metrics: pd.DataFrame) -> str | None:
    """The history rule with the higher pooled precision at the top on these origins (None if neither ran)."""
    present = [r for r in HISTORY_RULES if (metrics["model"] == r).any()]
    if not present:
        return None
    sums = metrics.loc[metrics["model"].isin(present)].groupby("model")[["n_top_positive", "n_top_labelled"]].sum()
    precision = sums["n_top_positive"] / sums["n_top_labelled"].where(sums["n_top_labelled"] > 0)
    return str(precision.fillna(-1).reindex(present).idxmax())


def sentence(row: dict, lang: str) -> str:
    """One comparison in words: the difference, its interval and whether it is within noise."""
    zh, en = REFERENCES.get(row["reference_role"], (row["reference"], row["reference"]))
    d, lo, hi = row["difference"], row["low"], row["high"]
    if not np.isfinite(d):
        return (f"{row['model']} 与{zh}（{row['reference']}）无可比的起点。" if lang == "zh"
                else f"{row['model']} and {en} ({row['reference']}) share no origins.")
    span = f"{d:+.3f}（95% 区间 {lo:+.3f} 至 {hi:+.3f}）" if lang == "zh" else f"{d:+.3f} (95% interval {lo:+.3f} to {hi:+.3f})"
    mean = row.get("statistic") == "mean"  # a difference of means over origins (``mean_comparisons``), not of pooled visits
    if lang == "zh":
        verdict = "在噪声范围内，不能说有差别" if row["within_noise"] else ("确实更好" if lo > 0 else "确实更差")
        return f"{row['model']} 对{zh}（{row['reference']}）的{'各起点平均' if mean else ''}命中率差 {span}：{verdict}。"
    verdict = ("within noise: no difference can be claimed" if row["within_noise"]
               else ("better beyond noise" if lo > 0 else "worse beyond noise"))
    return f"{row['model']} minus {en} ({row['reference']}): {'mean precision over origins' if mean else 'precision'} {span}; {verdict}."


def comparisons(metrics: pd.DataFrame, window_days: int, n_boot: int = N_BOOT, seed: int = 0) -> list[dict]:
    """Every model other than the references against the rule of thumb and the best history rule."""
    if metrics.empty:
        return []
    references = {"rule_of_thumb": "rule_of_thumb" if (metrics["model"] == "rule_of_thumb").any() else None,
                  "best_history_rule": best_history_rule(metrics)}
    out = []
    for model in metrics["model"].unique():  # a loop over models
        for role, reference in references.items():
            if reference is None or model == reference:
                continue
            row = {**paired_difference(metrics, model, reference, window_days, n_boot, seed), "reference_role": role}
            row["zh"], row["en"] = sentence(row, "zh"), sentence(row, "en")
            out.append(row)
    return out


def card_lines(detail: dict) -> list[str]:
    """The model card's Markdown lines for ``selection_detail``: each model's pooled precision with its
    interval, the paired differences and the with/without comparisons in words (both languages)."""
    lines = []
    for row in detail.get("intervals") or []:  # a loop over models
        if row.get("precision") is not None:
            lines.append(f"- {row['model']}: {row['precision']:.3f} (95% {row['low']:.3f}–{row['high']:.3f}, n={row['n']})")
    for row in [*(detail.get("comparisons") or []), *(detail.get("mean_comparisons") or []), *(detail.get("with_without") or [])]:
        lines += [f"- {row['zh']}", f"  {row['en']}"]
    return ["", "## 汇总命中率与区间 Pooled precision with intervals", "", *lines] if lines else []


def curve_intervals(curve: pd.DataFrame, window_days: int, n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Per model and capacity ``share``: top-``k`` visits ``n`` and ``hits`` pooled over origins,
    ``precision`` = hits / n, and its 95 % block-bootstrap interval ``low``/``high``. ``curve``: per
    origin, model and share, ``n_top_labelled`` and ``n_top_positive`` (``backtest.score_origin``). The
    same resampled origins serve every share and model, so a band's shares move together."""
    columns = ["model", "share", "n", "hits", "precision", "low", "high"]
    if curve.empty or "n_top_labelled" not in curve.columns:
        return pd.DataFrame(columns=columns)
    origins = sorted(curve["origin"].unique())
    _, index = _resampled(origins, window_days, n_boot, seed)
    out = []
    for model, part in curve.groupby("model", sort=False):  # a loop over models
        table = part.pivot_table(index="origin", columns="share", values=["n_top_positive", "n_top_labelled"],
                                 aggfunc="sum").reindex(origins, fill_value=0)
        h = table["n_top_positive"].to_numpy(dtype=float)  # origins × shares
        v = table["n_top_labelled"].to_numpy(dtype=float)
        low, high = _intervals(_ratio(h[index].sum(axis=1), v[index].sum(axis=1)))  # resamplings × shares
        out.append(pd.DataFrame({"model": model, "share": table["n_top_positive"].columns.to_numpy(dtype=float),
                                 "n": v.sum(axis=0).astype(int), "hits": h.sum(axis=0).astype(int),
                                 "precision": _ratio(h.sum(axis=0), v.sum(axis=0)), "low": low, "high": high}))
    return pd.concat(out, ignore_index=True)[columns]


MEAN_COLUMNS = ("precision_at_capacity", "precision_unweighted", "precision_random_only")


def mean_intervals(metrics: pd.DataFrame, window_days: int, columns: tuple[str, ...] = MEAN_COLUMNS,
                   n_boot: int = N_BOOT, seed: int = 0) -> pd.DataFrame:
    """Per model (index): each of ``columns`` as the summary tables show it, the mean over origins,
    with ``<column>_low``/``<column>_high``: the 95 % interval of that mean over block-resampled
    origins (an origin where the precision is undefined is left out of its resampled mean)."""
    kept = [c for c in columns if c in metrics.columns]
    if metrics.empty or not kept:
        return pd.DataFrame()
    origins = sorted(metrics["origin"].unique())
    _, index = _resampled(origins, window_days, n_boot, seed)
    rows = {}
    for model, part in metrics.groupby("model", sort=False):  # a loop over models
        values = part.groupby("origin")[kept].mean().reindex(origins).to_numpy(dtype=float)  # origins × columns
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a resampling of undefined origins only: NaN
            boot = np.nanmean(values[index], axis=1)  # resamplings × columns
            mean = np.nanmean(values, axis=0)
        row = {}
        for j, column in enumerate(kept):
            low, high = _interval(boot[:, j])
            row.update({column: float(mean[j]), f"{column}_low": low, f"{column}_high": high})
        rows[model] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def mean_comparisons(metrics: pd.DataFrame, window_days: int, column: str = "precision_at_capacity",
                     n_boot: int = N_BOOT, seed: int = 0) -> list[dict]:
    """Every model's mean ``column`` over origins minus the rule of thumb's, paired on the same
    resampled origins, with its interval and a sentence in both languages (``statistic`` "mean")."""
    if metrics.empty or column not in metrics.columns or not (metrics["model"] == "rule_of_thumb").any():
        return []
    wide = metrics.pivot_table(index="origin", columns="model", values=column, aggfunc="mean", dropna=False)
    origins = sorted(wide.index)
    block, index = _resampled(origins, window_days, n_boot, seed)
    reference = wide.reindex(origins)["rule_of_thumb"].to_numpy(dtype=float)
    out = []
    for model in metrics["model"].unique():  # a loop over models
        if model == "rule_of_thumb" or model not in wide.columns:
            continue
        per_origin = wide.reindex(origins)[model].to_numpy(dtype=float) - reference
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = _interval(np.nanmean(per_origin[index], axis=1))
            difference = float(np.nanmean(per_origin)) if np.isfinite(per_origin).any() else float("nan")
        row = {"model": str(model), "reference": "rule_of_thumb", "reference_role": "rule_of_thumb", "statistic": "mean",
               "column": column, "difference": difference, "low": low, "high": high,
               "within_noise": not (low > 0 or high < 0), "origins": len(origins), "block": block}
        row["zh"], row["en"] = sentence(row, "zh"), sentence(row, "en")
        out.append(row)
    return out


def metrics_lines(card: dict) -> list[str]:
    """The model card's table of backtest means per model, each with its 95 % interval when training kept one."""
    metrics = card.get("metrics") or {}
    if not metrics:
        return []
    names = list(metrics)
    keys = sorted({k for m in metrics.values() for k in m})
    # a mean over origins with its 95 % interval when training kept one (``mean_intervals``)
    spans = {r.get("model"): r for r in (card.get("selection_detail") or {}).get("mean_intervals") or []}
    lines = ["| 模型 model | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for name in names:
        cells = []
        for key in keys:  # a loop over a handful of metrics
            value, span = metrics[name].get(key), spans.get(name) or {}
            text = "" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))
            if value is not None and span.get(f"{key}_low") is not None and span.get(f"{key}_high") is not None:
                text += f" ({span[f'{key}_low']:.4f}–{span[f'{key}_high']:.4f})"
            cells.append(text)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


CURVE_SHARES_SHOWN = (0.01, 0.02, 0.05, 0.1, 0.2)


def curve_lines(card: dict) -> list[str]:
    """The precision curve at a few shares, pooled over the reported origins with its 95 % interval."""
    rows = [r for r in (card.get("backtest") or {}).get("precision_curve") or []
            if r.get("low") is not None and any(abs(float(r["share"]) - s) < 1e-9 for s in CURVE_SHARES_SHOWN)]
    if not rows:
        return []
    lines = ["", "## 不同检查能力下的命中率（各起点汇总，95% 区间） Precision at capacity (pooled over origins, 95% interval)", ""]
    for model in dict.fromkeys(r["model"] for r in rows):  # a loop over models
        cells = [f"{float(r['share']):.0%}: {r['precision']:.3f} ({r['low']:.3f}–{r['high']:.3f})"
                 for r in rows if r["model"] == model and r.get("precision") is not None]
        lines.append(f"- {model}: " + "; ".join(cells))
    return lines
