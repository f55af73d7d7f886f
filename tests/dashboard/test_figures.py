"""The figure builders are pure: small frames in, a go.Figure out, with no store, cache, request or page."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import figures

ROOT = Path(__file__).resolve().parents[2]
SQUARES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"town_id": town, "name": name, "source": source},
     "geometry": {"type": "Polygon", "coordinates": [[[x, 0], [x, 1], [x + 1, 1], [x + 1, 0], [x, 0]]]}}
    for town, name, x, source in (("T1", "城关镇", 0, "imported"), ("T2", "沿海镇", 1, "imported"))
]}
FIRM_CELLS = {**SQUARES, "features": [{**f, "properties": {**f["properties"], "source": "firms"}} for f in SQUARES["features"]]}
TOWNS = pd.DataFrame({"town_id": ["T1", "T2"], "name": ["城关镇", "沿海镇"]})


def _annotations(figure: go.Figure) -> list[str]:
    return [a.text for a in figure.layout.annotations]


def test_the_figures_module_reads_no_store_cache_or_request():
    """Builders get their data as arguments: the module imports no store, page cache, request or app."""
    tree = ast.parse((ROOT / "dashboard" / "figures.py").read_text(encoding="utf-8"))
    imported = {f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    ours = {m for m in imported if m.split(".")[0] in {"dashboard", "analytics", "flask", "dash"}}
    assert ours == {"dashboard.i18n", "dashboard.components.RISK_LEVEL_COLORS", "analytics.contract.schema.RISK_LEVELS",
                    "analytics.snapshot.facts.HAZARD_STATES", "analytics.snapshot.facts.STATE_CODES",
                    "analytics.views.overview.MATRIX_METRICS"}  # words, palettes and code tables only


def test_town_visits_are_counted_per_town_with_zero_for_a_town_without_a_visit():
    visits = pd.DataFrame({"town_id": ["T1", "T1", "T1"], "enterprise_id": ["E1", "E2", "E3"]})
    figure = figures.town_visits_figure(visits, TOWNS, SQUARES, "zh")
    trace = figure.data[0]
    assert trace.type == "choropleth" and list(trace.locations) == ["T1", "T2"] and list(trace.z) == [3, 0]
    assert list(trace.text) == ["城关镇", "沿海镇"] and "检查次数" in trace.hovertemplate
    assert figure.layout.geo.fitbounds == "geojson" and _annotations(figure) == []  # an imported map: no caveat
    english = figures.town_visits_figure(visits, TOWNS, SQUARES, "en")
    assert "Visits" in english.data[0].hovertemplate


def test_outlines_drawn_from_firms_carry_a_note_that_they_are_approximate():
    towns = pd.DataFrame({"town_id": ["T1", "T2"], "name": ["城关镇", "沿海镇"], "mean_score": [0.1, 0.3],
                          "enterprises": [4, 7]})
    drawn = figures.town_map_figure(towns, FIRM_CELLS, "zh")
    assert drawn.data[0].type == "choropleth" and list(drawn.data[0].z) == [0.1, 0.3]
    assert any("企业位置" in text for text in _annotations(drawn))
    assert any("drawn around each town's firms" in text for text in _annotations(figures.town_map_figure(towns, FIRM_CELLS, "en")))
    assert _annotations(figures.town_map_figure(towns, SQUARES, "zh")) == []


@pytest.mark.parametrize("lang, text", [("zh", "暂无数据"), ("en", "No data")])
def test_no_outlines_or_no_rows_give_the_no_data_figure(lang: str, text: str):
    visits = pd.DataFrame({"town_id": ["T1"]})
    assert _annotations(figures.town_visits_figure(visits, TOWNS, None, lang)) == [text]
    assert _annotations(figures.town_visits_figure(visits, TOWNS.iloc[:0], SQUARES, lang)) == [text]
    assert _annotations(figures.weekly_trend_figure(pd.DataFrame(columns=["week_end", "found", "rectified"]), lang)) == [text]


def test_heatmap_cells_carry_their_town_and_sector_and_labels_follow_the_language():
    matrix = pd.DataFrame([[0.5, 0.25], [0.0, 1.0]], index=["T1", "T2"], columns=["mining", "gas"])
    figure = figures.heatmap_figure(matrix, "mean_risk", {"T1": "城关镇", "T2": "沿海镇"},
                                    {"mining": "Non-coal mining", "gas": "Town gas"}, "en")
    heatmap = figure.data[0]
    assert list(heatmap.y) == ["城关镇", "沿海镇"] and list(heatmap.x) == ["Non-coal mining", "Town gas"]
    assert heatmap.customdata[1][0][:2].tolist() == ["T2", "mining"] and heatmap.text[0][0] == "50%"


@pytest.mark.parametrize("lang, words", [("zh", "企业 %{customdata[2]} 家"), ("en", "%{customdata[2]} firms")])
def test_heatmap_tooltip_says_how_many_firms_a_cell_holds(lang: str, words: str):
    matrix = pd.DataFrame([[0.5, 0.25], [0.0, 1.0]], index=["T1", "T2"], columns=["mining", "gas"])
    counts = pd.DataFrame([[3, 1], [0, 12]], index=["T1", "T2"], columns=["gas", "mining"])[["mining", "gas"]]
    heatmap = figures.heatmap_figure(matrix, "red_orange", {}, {}, lang, counts).to_plotly_json()["data"][0]
    assert words in heatmap["hovertemplate"]
    assert [[cell[2] for cell in row] for row in heatmap["customdata"]] == [[1, 3], [12, 0]]
    assert heatmap["customdata"][1][0][:2].tolist() == ["T2", "mining"]


def test_weekly_trend_and_states_draw_the_given_numbers():
    weekly = pd.DataFrame({"week_end": pd.to_datetime(["2026-02-22", "2026-03-01"]), "found": [2, 5], "rectified": [1, 3]})
    trend = figures.weekly_trend_figure(weekly, "zh")
    assert [t.name for t in trend.data] == ["发现", "整改"] and list(trend.data[0].y) == [2, 5]
    states = pd.DataFrame({"open": [1, 0], "overdue": [2, 1], "rectified_on_time": [0, 4], "rectified_late": [1, 0]},
                          index=["T1", "T2"])
    stacked = figures.states_figure(states, {"T1": "城关镇"}, "zh")
    assert len(stacked.data) == 4 and list(stacked.data[1].x) == [2, 1] and list(stacked.data[0].y) == ["城关镇", "T2"]
    assert stacked.layout.barmode == "stack"
