"""The model page's precision curve with its 95 % band, and the backtest report's (issue 15 item 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.models.backtest import BacktestResult
from analytics.models.report import precision_figure, render_html
from dashboard import figures


def curves(band: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame({"model": ["boosted"] * 3 + ["random"] * 3, "label": ["Boosted"] * 3 + ["Random"] * 3,
                          "role": ["serving"] * 3 + ["random"] * 3, "share": [0.01, 0.02, 0.03] * 2,
                          "precision": [0.6, 0.5, 0.4, 0.05, 0.05, 0.05]})
    if band:
        frame = frame.assign(low=frame["precision"] - 0.1, high=frame["precision"] + 0.1)
    return frame


def test_each_curve_has_a_shaded_band_under_it_in_its_colour():
    figure = figures.precision_at_k_figure(curves(), "en", 0.05)
    bands = [t for t in figure.data if t.fill == "toself"]
    lines = [t for t in figure.data if t.fill != "toself"]
    assert [t.name for t in lines] == ["Boosted", "Random"] and len(bands) == 2
    serving = bands[0]
    assert list(serving.x) == [0.01, 0.02, 0.03, 0.03, 0.02, 0.01]
    assert list(serving.y) == pytest.approx([0.5, 0.4, 0.3, 0.5, 0.6, 0.7])  # low left to right, high back
    assert serving.showlegend is False and serving.hoverinfo == "skip" and serving.fillcolor.startswith("rgba(")
    assert "%{customdata[0]:.1%}" in lines[0].hovertemplate  # the interval in the hover text
    assert np.asarray(lines[0].customdata).ravel().tolist() == pytest.approx([0.5, 0.7, 0.4, 0.6, 0.3, 0.5])


def test_the_axis_says_what_the_shares_are_of():
    assert figures.precision_at_k_figure(curves(), "en").layout.xaxis.title.text == "Top k% of enterprises inspected"
    inspected = figures.precision_at_k_figure(curves(), "zh", 0.1, capacity_of="inspected")
    assert inspected.layout.xaxis.title.text == "窗口内被检查企业中排名前 k%"


def test_an_older_card_without_a_band_draws_the_lines_alone():
    figure = figures.precision_at_k_figure(curves(band=False), "zh")
    assert len(figure.data) == 2 and all(t.fill != "toself" for t in figure.data)
    assert "customdata" not in figure.data[0].hovertemplate


def backtest() -> BacktestResult:
    origins = pd.date_range("2025-01-31", periods=6, freq="ME")
    rng = np.random.default_rng(1)
    metrics, curve = [], []
    for origin in origins:
        for model, rate in (("boosted", 0.3), ("rule_of_thumb", 0.2), ("random", 0.05)):
            hits = int(rng.binomial(50, rate))
            metrics.append({"origin": origin, "model": model, "n_top_labelled": 50, "n_top_positive": hits,
                            "precision_at_capacity": hits / 50, "brier": 0.1})
            curve += [{"origin": origin, "model": model, "share": s, "k": 10 * i, "precision": hits / 50,
                       "precision_random_only": np.nan, "n_top_labelled": 10 * i, "n_top_positive": hits * i // 5}
                      for i, s in ((1, 0.01), (5, 0.05))]
    return BacktestResult(metrics=pd.DataFrame(metrics), curve=pd.DataFrame(curve), calibration=pd.DataFrame(
        columns=["model", "decile", "mean_score", "observed", "weight", "n"]), groups=pd.DataFrame(
        columns=["group", "by", "model", "origin", "n_labelled", "n_positive", "n_top", "n_top_labelled",
                 "w_top", "wy_top", "w_all", "wy_all"]), bias=pd.DataFrame({"origin": origins, "ratio": 1.0}),
        parameters={"capacity": 0.05, "origins": [str(o.date()) for o in origins], "window_days": 30})


def test_the_report_draws_the_band_and_writes_each_mean_with_its_interval():
    result = backtest()
    figure = precision_figure(result)
    assert sum(t.fill == "toself" for t in figure.data) == 3
    summary = result.summary_with_intervals(digits=3)
    mean = result.metrics.loc[result.metrics["model"] == "boosted", "precision_at_capacity"].mean()
    assert summary.loc["boosted", "precision_at_capacity"].startswith(f"{mean:.3f} (")
    page = render_html(result)
    assert "mean precision over origins" in page and "各起点平均命中率差" in page
    printed = result.render("en")  # saferank backtest's own print: the same intervals and words
    assert f"{mean:.4f} (" in printed and "mean precision over origins" in printed
