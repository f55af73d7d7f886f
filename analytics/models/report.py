"""The backtest report: one self-contained offline HTML page (plotly inlined, no CDN) and the same
numbers as JSON, with bilingual headings (中文 / English); and ``backtest_store``, which runs
``saferank backtest`` on a store and writes them."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from analytics.contract import schema
from analytics.contract.dates import HORIZON_DAYS
from analytics.contract.errors import UserError
from analytics.models.ablation import TITLES
from analytics.models.backtest import (
    CAPACITY,
    METRIC_LABELS,
    ORIGINS,
    SNAPSHOTS,
    BacktestResult,
    default_models,
    default_origins,
    new_cache,
    parse_capacity,
    run_backtest,
)
from analytics.models.registry import ModelRegistry
from analytics.models.sample import TrainingSample
from analytics.models.select import snapshot_dates
from analytics.snapshot.snapshot import AsOf, Snapshot
from analytics.store.database import read_tables

MODEL_LABELS = {
    "random": ("随机顺序", "Random order"),
    "rule_of_thumb": ("经验评分卡", "Rule of thumb"),
    "logistic": ("逻辑回归", "Logistic"),
    "boosted": ("梯度提升树", "Boosted trees"),
    "blend": ("融合模型", "Blend"),
    "prior_violations": ("既往违法（近一年重大隐患）", "Prior violations"),
    "last_inspection": ("上次检查结果", "Last inspection"),
    "truth": ("真实风险（模拟）", "Truth (simulated)"),
}
COLUMN_LABELS = {
    **METRIC_LABELS,
    "model": ("模型", "Model"), "group": ("分组", "Group"), "n_labelled": ("已检查企业数", "Inspected firms"),
    "n_positive": ("阳性数", "Positives"), "n_top": ("进入前 k 名", "In top k"),
    "n_top_labelled": ("前 k 名中已检查", "Top k inspected"), "observed_rate": ("实际命中率", "Observed rate"),
    "origin": ("起点", "Origin"), "n_random": ("双随机检查企业数", "Randomly inspected"),
    "n_targeted": ("仅非随机检查企业数", "Only non-random"), "hit_rate_random": ("双随机命中率", "Hit rate, random"),
    "hit_rate_targeted": ("重点检查命中率", "Hit rate, targeted"), "ratio": ("偏差倍数", "Bias ratio"),
}
STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}h2{margin-top:2em;border-bottom:1px solid #ddd}
.note{color:#555;font-size:13px}
"""


def _both(pair: tuple[str, str]) -> str:
    return f"{pair[0]} / {pair[1]}"


def _model(name: str) -> str:
    return _both(MODEL_LABELS.get(name, (name, name)))


def _group_label(by: str, code: str) -> str:
    if by == "sector":
        return f"{schema.code_label(schema.SECTORS, code, 'zh')} / {schema.code_label(schema.SECTORS, code, 'en')}"
    return str(code)


def _table(frame: pd.DataFrame) -> str:
    shown = frame.rename(columns={c: _both(COLUMN_LABELS[c]) for c in frame.columns if c in COLUMN_LABELS})
    return shown.to_html(index=False, float_format=lambda v: f"{v:.3f}", na_rep="–", border=0, escape=True)


PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def precision_figure(result: BacktestResult) -> go.Figure:
    """Precision at 1–20 % capacity pooled over origins, each model with its shaded 95 % band
    (``BacktestResult.curve_summary``); the legend toggles a line and its band together."""
    curve = result.curve_summary()
    figure = go.Figure()
    for number, (name, part) in enumerate(curve.groupby("model", sort=False)):
        color = PALETTE[number % len(PALETTE)]
        if {"low", "high"} <= set(part.columns) and part[["low", "high"]].notna().all(axis=1).any():
            edge = part.dropna(subset=["low", "high"])
            red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
            figure.add_trace(go.Scatter(x=[*(edge["share"] * 100), *(edge["share"][::-1] * 100)],
                                        y=[*edge["low"], *edge["high"][::-1]], fill="toself", mode="lines",
                                        line={"width": 0}, fillcolor=f"rgba({red},{green},{blue},0.12)", hoverinfo="skip",
                                        showlegend=False, legendgroup=str(name)))
        figure.add_trace(go.Scatter(x=part["share"] * 100, y=part["precision"], mode="lines+markers", name=_model(name),
                                    line={"color": color}, legendgroup=str(name)))
    basis = ("占窗口内被检查企业 % / % of the firms inspected in the window" if result.parameters.get("capacity_of") == "inspected"
             else "占在营企业 % / % of operating firms")
    figure.update_layout(xaxis_title=f"检查能力（{basis}） / Capacity",
                         yaxis_title="命中率（各起点汇总，阴影为 95% 区间） / Precision (pooled over origins, shaded: 95% interval)",
                         template="plotly_white", height=420)
    return figure


def calibration_figure(result: BacktestResult) -> go.Figure:
    figure = go.Figure()
    top = float(max(result.calibration[["mean_score", "observed"]].max().max(), 0.01)) if len(result.calibration) else 1.0
    figure.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="完全校准 / Perfect", line={"dash": "dot", "color": "#999"}))
    for name, part in result.calibration.groupby("model", sort=False):
        figure.add_trace(go.Scatter(x=part["mean_score"], y=part["observed"], mode="lines+markers", name=_model(name)))
    figure.update_layout(xaxis_title="平均预测概率（十分位） / Mean predicted (decile)",
                         yaxis_title="实际命中率 / Observed rate", template="plotly_white", height=420)
    return figure


def _interval_sections(result: BacktestResult) -> list[str]:
    """Pooled precision with block-bootstrap intervals, random-visit precision (or "too few"), and the
    paired differences against the rule of thumb and the best history rule, in words."""
    if result.metrics.empty:
        return []
    intervals = result.intervals()
    rows = []
    for model, row in intervals.iterrows():  # a loop over models
        too_few = bool(row.get("random_too_few", True))
        rows.append({
            _both(COLUMN_LABELS["model"]): _model(str(model)),
            "前 k 名检查次数 / Top-k visits": int(row["n"]),
            "命中率 / Precision": f"{row['precision']:.3f}",
            "95% 区间 / 95% interval": f"{row['low']:.3f} – {row['high']:.3f}",
            "双随机检查次数 / Random visits": int(row.get("random_n", 0)),
            "双随机命中率 / Random-visit precision": ("双随机检查太少，无法判断 / too few random visits to tell" if too_few
                                                     else f"{row['random_precision']:.3f} ({row['random_low']:.3f} – {row['random_high']:.3f})"),
        })
    block = int(intervals["block"].iloc[0]) if len(intervals) else 1
    sentences = "".join(f"<li>{html.escape(c['zh'])}<br>{html.escape(c['en'])}</li>" for c in result.comparisons())
    return [
        "<h2>汇总命中率与区间 / Pooled precision with intervals</h2>",
        pd.DataFrame(rows).to_html(index=False, border=0, escape=True),
        f"<p class='note'>各起点前 k 名的检查汇总计算；区间为按起点的移动区块自助法（区块 {block} 个起点，"
        f"即一个标签窗口跨越的起点数），因相邻窗口重叠，不能把各起点当作独立样本。双随机命中率只计双随机检查本身的发现。"
        f" / The top-k visits pooled over origins; intervals from a moving-block bootstrap over origins (blocks of {block} "
        f"origins, as many as one label window spans), since overlapping windows are not independent samples. "
        f"Random-visit precision counts only what the double-random visit itself found.</p>",
        "<h2>配对差异 / Paired differences</h2><ul>" + sentences + "</ul>",
        *_with_without_section(result),
    ]


def _with_without_section(result: BacktestResult) -> list[str]:
    """The served model with and without inverse-propensity weights and the power family (or why not)."""
    rows, items = [], []
    for row in result.with_without():  # two rows
        a, b = row["with"], row["without"]
        ok = row["status"] == "ok"
        rows.append({
            "比较 / Choice": _both(TITLES[row["variant"]]), _both(COLUMN_LABELS["model"]): _model(row["model"]),
            "有 / With": f"{a['precision']:.3f} ({a['low']:.3f} – {a['high']:.3f})" if ok else "–",
            "无 / Without": f"{b['precision']:.3f} ({b['low']:.3f} – {b['high']:.3f})" if ok else "–",
            "差（有 − 无）/ Difference (with − without)": (f"{row['difference']:+.3f} ({row['low']:+.3f} – {row['high']:+.3f})"
                                                          if ok else "缺失 / absent"),
        })
        items.append(f"<li>{html.escape(row['zh'])}<br>{html.escape(row['en'])}</li>")
    if not rows:
        return []
    p = result.parameters
    source = {"registry": "在用模型的类型（模型登记簿） / the serving model's kind (model registry)",
              "default": "最简单的学习模型（未找到在用模型） / the simplest learned model (no serving model found)",
              }.get(p.get("ablate_source"), "按要求指定 / as asked")
    return [
        "<h2>有无对比：逆倾向加权与用电特征族 / With and without: inverse-propensity weights and the power family</h2>",
        pd.DataFrame(rows).to_html(index=False, border=0, escape=True), "<ul>" + "".join(items) + "</ul>",
        f"<p class='note'>所比较的模型：{html.escape(str(p.get('ablate')))}，{source}。同一起点、同一训练样本与标签，"
        f"只去掉加权或特征族重新训练这一个模型；区间为与上表相同的按起点移动区块自助法。 / Model compared: "
        f"{html.escape(str(p.get('ablate')))}; the same origins, training rows and labels, only this model refitted without "
        f"the weights or the family; intervals from the same moving-block bootstrap over origins.</p>",
    ]


def render_html(result: BacktestResult) -> str:
    """The report page as one string, plotly.js inlined once."""
    p = result.parameters
    summary = result.summary_with_intervals(digits=3).reset_index()
    summary["model"] = summary["model"].map(_model)
    said = "".join(f"<li>{html.escape(c['zh'])}<br>{html.escape(c['en'])}</li>" for c in result.mean_comparisons())
    sections = [
        f"<h1>SafeRank 回测报告 / Backtest report</h1><p class='note'>起点 / Origins: {html.escape(', '.join(p.get('origins', [])))}；"
        f"检查能力 / Capacity: {html.escape(str(p.get('capacity')))}；标签窗口 / Label window: {p.get('horizon_days')} 天 / days；"
        f"训练快照 / Training snapshots: {p.get('snapshots')}；逆倾向加权 / IPW: {p.get('weighted')}</p>",
        "<h2>各模型指标（各起点平均） / Metrics per model (mean over origins)</h2>", _table(summary),
        "<p class='note'>命中率后括号内为 95% 区间（按起点的移动区块自助法）。 / Precisions with their 95% interval in brackets "
        "(moving-block bootstrap over origins).</p>", "<ul>" + said + "</ul>" if said else "",
        "<p class='note'>命中率在检查窗口内被检查的企业中计算，按被检查倾向的倒数加权；“仅双随机”只用双随机抽查，无选择偏差。"
        " / Precision is computed among firms inspected in the window, weighted by inverse inspection propensity; "
        "“random only” uses double-random inspections alone, free of selection bias.</p>",
        *_interval_sections(result),
        "<h2>不同检查能力下的命中率 / Precision at capacity, 1 % to 20 %</h2>",
        precision_figure(result).to_html(full_html=False, include_plotlyjs=True),
        "<h2>校准 / Calibration</h2>", calibration_figure(result).to_html(full_html=False, include_plotlyjs=False),
    ]
    for by, heading in (("town", ("分镇街", "By town")), ("sector", ("分行业", "By sector"))):
        table = result.group_summary(by)
        table["group"] = table["group"].map(lambda code, by=by: _group_label(by, code))
        table["model"] = table["model"].map(_model)
        sections += [f"<h2>{_both(heading)}</h2>", _table(table)]
    sections += ["<h2>选择偏差 / Selection bias</h2>", _table(result.bias.assign(origin=result.bias["origin"].astype(str)))]
    if result.notes:
        sections.append("<h2>说明 / Notes</h2><ul>" + "".join(
            f"<li>{html.escape(n['zh'])} / {html.escape(n['en'])}</li>" for n in result.notes) + "</ul>")
    body = "\n".join(sections)
    return (f"<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'><title>SafeRank 回测报告 / Backtest report</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


def write_html(result: BacktestResult, path: object) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(result), encoding="utf-8")
    return path


def write_json(result: BacktestResult, path: object) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(result.to_json(), encoding="utf-8")
    return path


SERVED = "served"


def ablated_model(models: dict, requested: str | None = SERVED, models_dir: object = None) -> tuple[str | None, str]:
    """Which model the with/without comparisons refit, and why: ``requested`` by name; ``served``: the
    kind of the registry's serving model when the backtest runs it, else ``logistic`` (the simplest
    learned model, which selection keeps unless another beats it beyond noise); None/"none": skipped."""
    if requested in (None, "none"):
        return None, "skipped"
    if requested != SERVED:
        if requested not in models:
            raise UserError(f"--ablate 须为回测中的模型之一（{', '.join(models)}），收到 {requested}。",
                            f"--ablate must name a model of the backtest ({', '.join(models)}); got {requested}.")
        return requested, "asked"
    registry = ModelRegistry(models_dir)
    version = registry.serving()
    kind = registry.card(version).get("model") if version else None
    if kind in models:
        return kind, "registry"
    return ("logistic", "default") if "logistic" in models else (None, "skipped")


def backtest_store(store: object, as_of: AsOf | None = None, origins: int = ORIGINS, capacity: object = CAPACITY,
                   report: object = None, json_path: object = None, truth: object = None,
                   include_learned: bool = True, capacity_of: str = "operating",
                   window_days: int | None = None, features: object = None, ablate: str | None = SERVED,
                   models_dir: object = None, sample: TrainingSample | None = None) -> BacktestResult:
    """``saferank backtest``: backtest the default models on the store; write the HTML/JSON report if asked.

    ``features``: given the tables read, a date → feature matrix function in place of
    ``build_features`` (the Dask engine's, ``analytics.engine.dask_engine.backtest_store``).
    ``ablate``: the model refitted without weights and without the power family (``ablated_model``;
    None skips the with/without comparisons). ``sample``: fits on a sample of the training rows and,
    with ``evaluate``, origins judged on drawn firms, as ``saferank train --sample N --evaluate M``
    (``models.sample``; counted from the last origin's training rows), stated in the result."""
    tables = Snapshot.from_store(store, as_of).as_dict() if as_of is not None else read_tables(store)
    origin_dates = default_origins(tables, count=int(origins), as_of=None if as_of is None else as_of.ts,
                                   horizon_days=HORIZON_DAYS if window_days is None else int(window_days))
    truth_frame = pd.read_csv(truth, dtype={"enterprise_id": str}) if truth else None
    models = default_models(include_learned)
    ablated, source = ablated_model(models, ablate, models_dir)
    capacity = parse_capacity(capacity)
    cache = new_cache(tables, features=None if features is None else features(tables))
    if sample is not None:  # counted and drawn before any matrix is built
        sample.check_capacity(capacity)
        cache.draw_sample(sample, snapshot_dates(origin_dates[-1], SNAPSHOTS), origin_dates)
    result = run_backtest(tables, origin_dates, models, capacity, truth_frame, capacity_of=capacity_of,
                          window_days=window_days, cache=cache, ablate=ablated)
    result.parameters["ablate_source"] = source
    if sample is not None:
        kept = int(result.metrics.loc[result.metrics["origin"] == origin_dates[-1], "n_train"].max())
        result.parameters["training_sample"] = cache.sample.record(kept)
        result.notes.append(cache.sample.note(kept))
    if report:
        write_html(result, report)
    if json_path:
        write_json(result, json_path)
    return result
