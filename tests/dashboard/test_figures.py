"""The figure builders are pure: small frames in, a go.Figure out, with no store, cache, request or page."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from analytics.views.town_outlines import town_outlines
from dashboard import figures

ROOT = Path(__file__).resolve().parents[2]
TOWNS = pd.DataFrame({"town_id": ["T1", "T2"], "name": ["城关镇", "沿海镇"]})
SQUARES = town_outlines({"type": "FeatureCollection", "features": [  # as the store's towns.geojson reads back
    {"type": "Feature", "properties": {"town_id": town, "name": name},
     "geometry": {"type": "Polygon", "coordinates": [[[x, 0], [x, 1], [x + 1, 1], [x + 1, 0], [x, 0]]]}}
    for town, name, x in (("T1", "城关镇", 0), ("T2", "沿海镇", 1))
]}, TOWNS, pd.DataFrame())
FIRM_CELLS = {**SQUARES, "features": [{**f, "properties": {**f["properties"], "source": "firms"}} for f in SQUARES["features"]]}


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
                    "analytics.views.overview.MATRIX_METRICS", "analytics.risk.levels.LevelThresholds",
                    "analytics.risk.levels.DEFAULT_THRESHOLDS"}
    # words, palettes, code tables and the level bands only


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


def _town_map(towns: pd.DataFrame, geojson: dict = SQUARES, lang: str = "zh") -> go.Figure:
    return figures.town_map_figure(towns.assign(enterprises=[4, 7]), geojson, lang)


def _names(figure: go.Figure) -> dict[str, tuple[float, float]]:
    (labels,) = [trace for trace in figure.data if trace.type == "scattergeo"]
    assert labels.mode == "text" and labels.hoverinfo == "skip"
    return {name: (x, y) for name, x, y in zip(labels.text, labels.lon, labels.lat, strict=True)}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_both_maps_write_each_towns_name_inside_its_outline(lang: str):
    """The names come from the towns table (the store's), at each outline's label point inside it."""
    towns = TOWNS.assign(mean_score=[0.1, 0.3], name=["城关镇", "沿海镇"])
    visits = pd.DataFrame({"town_id": ["T1"]})
    for figure in (_town_map(towns, lang=lang), figures.town_visits_figure(visits, TOWNS, SQUARES, lang)):
        names = _names(figure)
        assert set(names) == {"城关镇", "沿海镇"}
        assert 0 < names["城关镇"][0] < 1 < names["沿海镇"][0] < 2 and all(0 < y < 1 for _, y in names.values())
    renamed = _names(_town_map(towns.assign(name=["Chengguan", "Yanhai"])))  # the table's names, not the file's
    assert set(renamed) == {"Chengguan", "Yanhai"}


def _colours(trace: object) -> tuple:
    return tuple(tuple(stop) for stop in trace.colorscale), trace.zmin, trace.zmax


def test_mean_risk_has_one_scale_and_range_on_the_map_and_the_heatmap_whatever_the_data():
    """A town's colour is the level band of its mean probability: the same on both figures and dates."""
    low = _town_map(TOWNS.assign(mean_score=[0.01, 0.02])).data[0]
    high = _town_map(TOWNS.assign(mean_score=[0.15, 0.6])).data[0]
    matrix = pd.DataFrame([[0.5, 0.25], [0.0, 0.9]], index=["T1", "T2"], columns=["mining", "gas"])
    heatmap = figures.heatmap_figure(matrix, "mean_risk", {}, {}, "zh").data[0]
    assert _colours(low) == _colours(high) == _colours(heatmap)
    assert (low.zmin, low.zmax) == (0.0, 0.25)
    stops = dict((colour, position * low.zmax) for position, colour in low.colorscale)
    level = figures.RISK_LEVEL_COLORS
    assert [round(stops[level[c]], 6) for c in ("yellow", "orange")] == [0.05, 0.10]
    assert min(p * low.zmax for p, c in low.colorscale if c == level["red"]) == pytest.approx(0.20)
    below_yellow = [c for p, c in low.colorscale if p * low.zmax < 0.05 - 1e-9]
    assert all(int(c[5:7], 16) > int(c[1:3], 16) for c in below_yellow)  # the blue band stays blue, never olive


@pytest.mark.parametrize("metric", ["red_orange", "hazards_found", "overdue"])
def test_counts_share_one_scale_that_is_not_the_level_palette(metric: str):
    matrix = pd.DataFrame([[0, 2], [5, 1]], index=["T1", "T2"], columns=["mining", "gas"])
    heatmap = figures.heatmap_figure(matrix, metric, {}, {}, "en").data[0]
    assert _colours(heatmap) == (figures.MEASURE_SCALES[metric].colorscale, 0.0, 5.0)
    assert not {c for _, c in heatmap.colorscale} & set(figures.RISK_LEVEL_COLORS.values())
    empty = figures.heatmap_figure(matrix * 0, metric, {}, {}, "en").data[0]
    assert empty.zmax == 1.0  # nothing counted: still a range, never 0 to 0


def test_a_filtered_plan_map_keeps_the_whole_plans_colour_range():
    whole = pd.DataFrame({"town_id": ["T1"] * 6 + ["T2"] * 2})
    team = whole.iloc[5:]  # one T1 visit and both T2 visits
    filtered = figures.town_visits_figure(team, TOWNS, SQUARES, "zh", whole).data[0]
    assert list(filtered.z) == [1, 2] and (filtered.zmin, filtered.zmax) == (0.0, 6.0)
    assert _colours(filtered)[0] == figures.MEASURE_SCALES["visits"].colorscale
    alone = figures.town_visits_figure(team, TOWNS, SQUARES, "zh").data[0]
    assert alone.zmax == 2.0


def test_every_map_and_heatmap_builder_takes_its_colours_from_the_measure_table():
    """No figure spells a colour scale of its own: each map or heatmap builder calls ``measure_colors``."""
    tree = ast.parse((ROOT / "dashboard" / "figures.py").read_text(encoding="utf-8"))
    builders = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    drawing = {name for name, node in builders.items()
               if any(isinstance(n, ast.Attribute) and n.attr in {"Heatmap", "Choropleth"} for n in ast.walk(node))}
    assert drawing == {"heatmap_figure", "town_map_figure", "town_visits_figure"}
    for name in drawing:
        calls = {n.func.id for n in ast.walk(builders[name]) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        keywords = {k.arg for n in ast.walk(builders[name]) if isinstance(n, ast.Call) for k in n.keywords}
        assert "measure_colors" in calls and not keywords & {"colorscale", "zmin", "zmax"}, name
