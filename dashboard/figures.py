"""Pure figure builders: a summary DataFrame (from ``analytics``) and a language in, a ``go.Figure`` out.

One theme (large type for a projector, the 红橙黄蓝 palette for risk levels) and no map tiles: the
town map is a plain choropleth on its own GeoJSON, with each town's name written inside its outline,
so the dashboard works offline.

One colour scale per measure (``MEASURE_SCALES``), whatever figure, page or filter draws it:

=================  ========================  ==================================================
measure            colours                   range
=================  ========================  ==================================================
``mean_risk``      红橙黄蓝 at the level      0 to red + (red − orange) / 2, fixed: a colour is a level
                   thresholds                band of the list's own thresholds (default: yellow at
                                             5 %, orange at 10 %, red from 20 %, to 0.25)
``red_orange``,    white to red              0 to the largest value of the unfiltered whole
``hazards_found``,                           (``reference``; at least 1)
``overdue``
``visits``         white to blue             as above: a team or day filter keeps the whole plan's range
=================  ========================  ==================================================

The level palette is kept for probabilities: a count coloured yellow would read as a yellow level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.snapshot.facts import HAZARD_STATES, STATE_CODES
from analytics.views.overview import MATRIX_METRICS
from analytics.contract.schema import RISK_LEVELS
from analytics.risk.levels import DEFAULT_THRESHOLDS, LevelThresholds
from dashboard import i18n
from dashboard.components import RISK_LEVEL_COLORS

FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
STATE_COLORS = {
    "open": RISK_LEVEL_COLORS["yellow"],
    "overdue": RISK_LEVEL_COLORS["red"],
    "rectified_on_time": RISK_LEVEL_COLORS["blue"],
    "rectified_late": RISK_LEVEL_COLORS["orange"],
}


@dataclass(frozen=True)
class MeasureScale:
    """How one measure is coloured wherever it is drawn: the colours, the colour bar's number format and
    the range rule (a fixed ``top``, or the largest value of the unfiltered whole)."""

    colorscale: tuple[tuple[float, str], ...]
    tickformat: str
    top: float | None = None

    def zrange(self, reference: object = ()) -> tuple[float, float]:
        """``(zmin, zmax)``: 0 to ``top``; without one, 0 to the largest finite value of ``reference`` (at least 1)."""
        if self.top is not None:
            return 0.0, self.top
        values = np.asarray(reference, dtype="float64").ravel()
        values = values[np.isfinite(values)]
        return 0.0, max(1.0, float(values.max()) if values.size else 1.0)


def level_band_scale(bands: LevelThresholds) -> MeasureScale:
    """The ``mean_risk`` scale of a list levelled with ``bands``: a map colour is the level a firm at
    that probability gets, so a county's own ``--levels`` move the colours with the levels."""
    top = bands.red + (bands.red - bands.orange) / 2
    return MeasureScale((
        (0.0, RISK_LEVEL_COLORS["blue"]),
        # blue pales towards the yellow bound, so the blue band never blends with yellow into an olive green
        (0.9 * bands.yellow / top, "#a6cbe6"),
        (bands.yellow / top, RISK_LEVEL_COLORS["yellow"]),
        (bands.orange / top, RISK_LEVEL_COLORS["orange"]),
        (bands.red / top, RISK_LEVEL_COLORS["red"]),
        (1.0, RISK_LEVEL_COLORS["red"]),
    ), ".0%", top=top)


_WORSE_SCALE = ((0.0, "#fff5f0"), (0.5, "#fb6a4a"), (1.0, "#a50f15"))  # counts of bad things: more is darker red
_WORK_SCALE = ((0.0, "#f7fbff"), (0.5, "#6baed6"), (1.0, "#08519c"))  # workload: more is darker blue
MEASURE_SCALES: dict[str, MeasureScale] = {
    "mean_risk": level_band_scale(DEFAULT_THRESHOLDS),  # a list's own bands: ``measure_colors(bands=...)``
    "red_orange": MeasureScale(_WORSE_SCALE, ",d"),
    "hazards_found": MeasureScale(_WORSE_SCALE, ",d"),
    "overdue": MeasureScale(_WORSE_SCALE, ",d"),
    "visits": MeasureScale(_WORK_SCALE, ",d"),
}


def measure_colors(measure: str, title: str, reference: object = (), bands: LevelThresholds | None = None) -> dict:
    """A heatmap's or choropleth's colour settings for ``measure`` (``MEASURE_SCALES``): colours, range
    (from ``reference``, the unfiltered values, for counts) and a colour bar titled ``title``;
    ``bands``: the thresholds the list drawn was levelled with (``mean_risk`` only; default the defaults)."""
    scale = level_band_scale(bands) if measure == "mean_risk" and bands is not None else MEASURE_SCALES[measure]
    zmin, zmax = scale.zrange(reference)
    return {"colorscale": [list(stop) for stop in scale.colorscale], "zmin": zmin, "zmax": zmax,
            "colorbar": {"title": {"text": title}, "tickformat": scale.tickformat}}


def themed(figure: go.Figure, height: int = 420) -> go.Figure:
    figure.update_layout(
        font={"family": FONT, "size": 16, "color": "#1b1b1b"},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        margin={"l": 60, "r": 20, "t": 30, "b": 60},
        height=height,
        legend={"orientation": "h", "y": -0.2},
        hoverlabel={"font": {"family": FONT, "size": 15}},
    )
    figure.update_xaxes(gridcolor="#e3e3e3", zerolinecolor="#bbbbbb")
    figure.update_yaxes(gridcolor="#e3e3e3", zerolinecolor="#bbbbbb")
    return figure


def empty_figure(lang: str, height: int = 300) -> go.Figure:
    figure = go.Figure()
    figure.add_annotation(text=i18n.t("no_data", lang), showarrow=False, font={"size": 20})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return themed(figure, height)


def heatmap_figure(matrix: pd.DataFrame, metric: str, town_names: dict[str, str], sector_labels: dict[str, str],
                   lang: str, counts: pd.DataFrame | None = None, bands: LevelThresholds | None = None) -> go.Figure:
    """Towns down, sectors across, coloured by ``metric``'s scale (``MEASURE_SCALES``; ``mean_risk`` in the
    list's level ``bands``); ``customdata`` holds ``[town_id, sector, firms]`` (firms: the cell of
    ``counts``, enterprises operating there) for the click and the tooltip."""
    if matrix.empty:
        return empty_figure(lang)
    towns = list(matrix.index)
    sectors = list(matrix.columns)
    values = matrix.to_numpy(dtype="float64")
    firms = (np.zeros(values.shape, dtype="int64") if counts is None
             else counts.reindex(index=towns, columns=sectors, fill_value=0).to_numpy(dtype="int64"))
    customdata = np.dstack([*np.meshgrid(np.array(towns, dtype=object), np.array(sectors, dtype=object), indexing="ij"),
                            firms.astype(object)])
    firms_line = "" if counts is None else "<br>" + i18n.t("overview.cell_firms", lang, n="%{customdata[2]}")
    is_rate = metric == "mean_risk"
    text = np.where(np.isnan(values), "", np.char.mod("%.0f%%" if is_rate else "%.0f", values * (100 if is_rate else 1)))
    figure = go.Figure(
        go.Heatmap(
            z=values,
            x=[sector_labels.get(s, s) for s in sectors],
            y=[town_names.get(t, t) for t in towns],
            customdata=customdata,
            text=text,
            texttemplate="%{text}",
            **measure_colors(metric, i18n.label(MATRIX_METRICS, metric, lang), values, bands),
            hovertemplate="%{y} · %{x}<br>%{text}" + firms_line + "<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(tickangle=-30)
    return themed(figure, height=max(360, 34 * len(towns) + 140))


def town_map_figure(towns: pd.DataFrame, geojson: dict | None, lang: str, bands: LevelThresholds | None = None) -> go.Figure:
    """Towns coloured by mean calibrated risk (the ``mean_risk`` scale in the list's level ``bands``) on
    their own outlines, named inside them (no tiles, fits the outlines)."""
    if geojson is None or towns.empty:
        return empty_figure(lang)
    figure = go.Figure(
        go.Choropleth(
            geojson=geojson,
            locations=towns["town_id"].astype(str),
            featureidkey="properties.town_id",
            z=towns["mean_score"].astype("float64"),
            text=towns["name"].astype(str),
            customdata=np.stack([towns["enterprises"].to_numpy()], axis=-1),
            marker={"line": {"color": "#ffffff", "width": 1.5}},
            **measure_colors("mean_risk", i18n.t("overview.map", lang), bands=bands),
            hovertemplate="%{text}<br>%{z:.1%}<br>" + i18n.t("overview.enterprises", lang) + " %{customdata[0]:,}<extra></extra>",
        )
    )
    return _outline_map(figure, geojson, towns, lang, height=460)


def town_visits_figure(visits: pd.DataFrame, towns: pd.DataFrame, geojson: dict | None, lang: str,
                       whole: pd.DataFrame | None = None) -> go.Figure:
    """A plan's visits counted per town (``visits.town_id``; towns without a visit at 0) on the outlines,
    named inside them. ``whole``: the unfiltered plan, whose busiest town tops the colour range, so a
    team's or a day's map keeps the whole plan's colours."""
    if geojson is None or towns.empty:
        return empty_figure(lang)
    town_ids = towns["town_id"].astype(str)
    per_town = visits.groupby(visits["town_id"].astype(str)).size().reindex(town_ids, fill_value=0)
    reference = per_town if whole is None else whole.groupby(whole["town_id"].astype(str)).size()
    figure = go.Figure(go.Choropleth(
        geojson=geojson, locations=per_town.index, featureidkey="properties.town_id", z=per_town.to_numpy(),
        text=towns["name"].astype(str), marker={"line": {"color": "#fff", "width": 1.5}},
        **measure_colors("visits", i18n.t("plan.visits", lang), reference),
        hovertemplate="%{text}<br>" + i18n.t("plan.visits", lang) + " %{z}<extra></extra>"))
    return _outline_map(figure, geojson, towns, lang, height=420)


def _outline_map(figure: go.Figure, geojson: dict, towns: pd.DataFrame, lang: str, height: int) -> go.Figure:
    """Fit the map to the outlines, no base map, each town's name (``towns.name``) at its outline's
    ``properties.label_point``; outlines drawn from firm positions are said to be approximate."""
    points = pd.DataFrame([(str(f.get("properties", {}).get("town_id")), *f["properties"]["label_point"])
                           for f in geojson.get("features", []) if f.get("properties", {}).get("label_point")],
                          columns=["town_id", "longitude", "latitude"])
    names = dict(zip(towns["town_id"].astype(str), towns["name"].astype(str), strict=True))
    points = points.assign(name=points["town_id"].map(names)).dropna(subset=["name"])
    figure.add_scattergeo(lon=points["longitude"], lat=points["latitude"], text=points["name"], mode="text",
                          textfont={"family": FONT, "size": 12, "color": "#1b1b1b"}, hoverinfo="skip",
                          showlegend=False, name="")
    figure.update_geos(fitbounds="geojson", visible=False, projection={"type": "mercator"})
    figure = themed(figure, height=height).update_layout(margin={"l": 0, "r": 0, "t": 10, "b": 0})
    if any(f.get("properties", {}).get("source") == "firms" for f in geojson.get("features", [])):
        figure.add_annotation(text=i18n.t("map.approximate", lang), showarrow=False, xref="paper", yref="paper",
                              x=0, y=0, xanchor="left", yanchor="bottom", font={"size": 12, "color": "#555555"})
    return figure


def weekly_trend_figure(weekly: pd.DataFrame, lang: str) -> go.Figure:
    if weekly.empty:
        return empty_figure(lang)
    figure = go.Figure()
    figure.add_scatter(x=weekly["week_end"], y=weekly["found"], name=i18n.t("overview.found", lang), mode="lines+markers",
                       line={"color": RISK_LEVEL_COLORS["red"], "width": 3})
    figure.add_scatter(x=weekly["week_end"], y=weekly["rectified"], name=i18n.t("overview.rectified", lang),
                       mode="lines+markers", line={"color": RISK_LEVEL_COLORS["blue"], "width": 3})
    figure.update_xaxes(tickformat="%m-%d" if lang == "zh" else "%d %b")
    return themed(figure)


def states_figure(states: pd.DataFrame, group_labels: dict[str, str], lang: str) -> go.Figure:
    """Stacked bars of hazard states per group (towns, sectors or teams)."""
    if states.empty:
        return empty_figure(lang)
    names = [group_labels.get(g, g) for g in states.index.astype(str)]
    figure = go.Figure()
    for state in STATE_CODES:
        figure.add_bar(y=names, x=states[state], name=i18n.label(HAZARD_STATES, state, lang), orientation="h",
                       marker_color=STATE_COLORS[state])
    figure.update_layout(barmode="stack")
    figure.update_yaxes(autorange="reversed")
    return themed(figure, height=max(360, 30 * len(names) + 140))


def rate_figure(rate: pd.DataFrame, lang: str) -> go.Figure:
    if rate.empty:
        return empty_figure(lang)
    figure = go.Figure()
    figure.add_bar(x=rate["month"], y=rate["due"], name=i18n.t("followup.count", lang), marker_color="#c9d3dd", yaxis="y2")
    figure.add_scatter(x=rate["month"], y=rate["rate"], name=i18n.t("followup.rate_all", lang), mode="lines+markers",
                       line={"color": RISK_LEVEL_COLORS["blue"], "width": 3})
    figure.add_scatter(x=rate["month"], y=rate["on_time_rate"], name=i18n.t("followup.rate_on_time", lang),
                       mode="lines+markers", line={"color": RISK_LEVEL_COLORS["orange"], "width": 3})
    figure.update_layout(
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
        yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": i18n.t("followup.count", lang)},
    )
    figure.update_xaxes(tickformat="%Y-%m")
    return themed(figure)


def score_history_figure(history: pd.DataFrame, lang: str) -> go.Figure:
    """The enterprise's score on each stored list, markers in its level's colour."""
    if history.empty:
        return empty_figure(lang)
    levels = history["risk_level"].astype(object)
    figure = go.Figure(
        go.Scatter(
            x=history["as_of"],
            y=history["score"],
            mode="lines+markers",
            line={"color": "#555555", "width": 2},
            marker={"size": 14, "color": [RISK_LEVEL_COLORS.get(v, "#777") for v in levels]},
            text=[i18n.label(RISK_LEVELS, v, lang) for v in levels],
            hovertemplate="%{x|%Y-%m-%d}<br>%{y:.1%}<br>%{text}<extra></extra>",
        )
    )
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    days = pd.to_datetime(history["as_of"])
    # whole days on the axis; a single list gets a fortnight around it instead of milliseconds
    padding = pd.Timedelta(days=7) if days.nunique() == 1 else pd.Timedelta(days=1)
    figure.update_xaxes(type="date", tickformat="%Y-%m-%d", range=[days.min() - padding, days.max() + padding])
    return themed(figure, height=320)


# The model page: the serving model in red, the office's rule of thumb in orange, random order in blue.
MODEL_ROLE_COLORS = {
    "serving": RISK_LEVEL_COLORS["red"],
    "rule_of_thumb": RISK_LEVEL_COLORS["orange"],
    "random": RISK_LEVEL_COLORS["blue"],
}


def _translucent(color: str, alpha: float) -> str:
    """``#rrggbb`` as ``rgba(r,g,b,alpha)``, for a band under its line."""
    red, green, blue = (int(color.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({red},{green},{blue},{alpha})"


def precision_at_k_figure(curves: pd.DataFrame, lang: str, capacity: float | None = None,
                          capacity_of: str = "operating") -> go.Figure:
    """``curves`` (``analytics.views.modelview.precision_curves``): ``share`` (0–1), ``role``, ``label``, ``precision``,
    and its 95 % band ``low``/``high`` when the card kept one (drawn shaded under each line, the interval in
    the hover text); a dotted line marks the backtest's capacity when it is a share; ``capacity_of``
    "inspected": the shares are of the firms inspected in each window (the axis says so)."""
    if curves.empty:
        return empty_figure(lang)
    figure = go.Figure()
    banded = {"low", "high"} <= set(curves.columns)
    for (role, name), group in curves.groupby(["role", "label"], sort=False):
        color = MODEL_ROLE_COLORS.get(role, "#777777")
        band = banded and bool(group[["low", "high"]].notna().all(axis=1).any())
        if band:  # the band as one closed shape: low from left to right, high back from right to left
            edge = group.dropna(subset=["low", "high"])
            figure.add_scatter(x=[*edge["share"], *edge["share"][::-1]], y=[*edge["low"], *edge["high"][::-1]],
                               fill="toself", fillcolor=_translucent(color, 0.15), line={"width": 0}, mode="lines",
                               hoverinfo="skip", showlegend=False, legendgroup=str(name), name=str(name))
        interval = (group[["low", "high"]].to_numpy(dtype=float) if band
                    else np.full((len(group), 2), np.nan))
        figure.add_scatter(x=group["share"], y=group["precision"], name=str(name), mode="lines+markers",
                           legendgroup=str(name), customdata=interval,
                           line={"width": 4 if role == "serving" else 3, "color": color,
                                 "dash": "solid" if role == "serving" else "dash"},
                           hovertemplate="%{x:.0%} · %{y:.1%}" + (" (%{customdata[0]:.1%} – %{customdata[1]:.1%})" if band else "")
                           + "<extra>" + str(name) + "</extra>")
    if capacity is not None and 0 < float(capacity) < 1:
        figure.add_vline(x=float(capacity), line={"dash": "dot", "color": "#999999"},
                         annotation_text=i18n.t("model.capacity", lang), annotation_position="top right")
    figure.update_xaxes(tickformat=".0%", title=i18n.t("model.k_inspected" if capacity_of == "inspected" else "model.k", lang))
    figure.update_yaxes(tickformat=".0%", rangemode="tozero", title=i18n.t("model.precision_axis", lang))
    return themed(figure)


def calibration_figure(bins: pd.DataFrame, lang: str) -> go.Figure:
    """``bins`` (``analytics.views.modelview.calibration_bins``): ``predicted``, ``observed`` per score bin, ``label``, ``n``."""
    if bins.empty:
        return empty_figure(lang)
    upper = float(max(bins["predicted"].max(), bins["observed"].max(), 0.05)) * 1.1
    figure = go.Figure()
    figure.add_scatter(x=[0, upper], y=[0, upper], mode="lines", line={"dash": "dot", "color": "#999999"},
                       name=i18n.t("model.perfect", lang))
    for name, group in bins.groupby("label", sort=False):
        figure.add_scatter(x=group["predicted"], y=group["observed"], name=str(name), mode="lines+markers",
                           line={"width": 3, "color": MODEL_ROLE_COLORS["serving"]}, marker={"size": 10},
                           customdata=group[["n"]].to_numpy(),
                           hovertemplate="%{x:.1%} → %{y:.1%}<br>n = %{customdata[0]}<extra></extra>")
    figure.update_xaxes(tickformat=".0%", title=i18n.t("model.predicted", lang), range=[0, upper])
    figure.update_yaxes(tickformat=".0%", title=i18n.t("model.observed", lang), range=[0, upper])
    return themed(figure)


def group_precision_figure(groups: pd.DataFrame, model_label: str, lang: str) -> go.Figure:
    """``groups`` (``analytics.views.modelview.group_metrics``): per town or sector, the model's precision at
    capacity next to the rule of thumb's, and the observed rate among inspected firms."""
    if groups.empty:
        return empty_figure(lang)
    labels = groups["label"].astype(str).tolist()
    counts = groups[["n_labelled", "n_positive"]].to_numpy()
    hover = "%{y}: %{x:.1%}<br>" + i18n.t("model.inspected", lang) + " %{customdata[0]} · " + \
        i18n.t("model.positives", lang) + " %{customdata[1]}<extra></extra>"
    figure = go.Figure()
    figure.add_bar(y=labels, x=groups["precision"], name=model_label, orientation="h", customdata=counts,
                   marker_color=MODEL_ROLE_COLORS["serving"], hovertemplate=hover)
    figure.add_bar(y=labels, x=groups["precision_rule"], name=i18n.t("model.rule", lang), orientation="h", customdata=counts,
                   marker_color=MODEL_ROLE_COLORS["rule_of_thumb"], hovertemplate=hover)
    figure.add_scatter(y=labels, x=groups["observed_rate"], name=i18n.t("model.observed", lang), mode="markers",
                       marker={"color": MODEL_ROLE_COLORS["random"], "size": 12, "symbol": "diamond"},
                       customdata=counts, hovertemplate=hover)
    figure.update_layout(barmode="group")
    figure.update_xaxes(tickformat=".0%", rangemode="tozero")
    figure.update_yaxes(autorange="reversed")
    return themed(figure, height=max(360, 44 * len(labels) + 140))


def bar_figure(labels: list[str], values: list[float], lang: str, percent: bool = False, color: str = "#1f77b4") -> go.Figure:
    """Horizontal bars, largest first (feature importance, precision per group)."""
    if not labels:
        return empty_figure(lang)
    figure = go.Figure(go.Bar(y=labels, x=values, orientation="h", marker_color=color))
    figure.update_yaxes(autorange="reversed")
    if percent:
        figure.update_xaxes(tickformat=".0%")
    return themed(figure, height=max(320, 28 * len(labels) + 120))
