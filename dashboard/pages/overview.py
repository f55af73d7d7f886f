"""总览 Overview ("/"), for leaders: headline figures with their change, town × sector heatmap, map, trend.

A click on a heatmap cell opens the risk list filtered to that town and sector.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
from dash import Input, Output, State, callback, dcc, html

from analytics.views import overview
from analytics.contract.schema import SECTORS
from dashboard import figures, i18n
from dashboard.components import data
from dashboard.components.language import register_language_switch
from dashboard.components.layout import kpi_card, page_frame, section
from dashboard.components.urlstate import register_url_sync

PREFIX = "overview"
dash.register_page(__name__, path="/", order=0, **i18n.page_names("overview"))
register_language_switch(PREFIX)
register_url_sync(PREFIX, [("overview-as-of", "value", "as_of"), ("overview-metric", "value", "metric")])

PERCENT_METRICS = {"rectification_rate"}
METRIC_CODES = [c.code for c in overview.MATRIX_METRICS]
# The town map draws only the county's own outlines; plotly's world base map would come from a CDN,
# so it is pointed at an empty topology served from the app's assets instead.
MAP_CONFIG = {"displaylogo": False, "scrollZoom": False, "topojsonURL": "/assets/topojson/"}


def layout(as_of: str | None = None, lang: str | None = None, metric: str | None = None, **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    dates = data.scored_dates()
    chosen = data.pick_as_of(as_of)
    title = i18n.t("overview.name", lang)
    extra = [dcc.Location(id=f"{PREFIX}-go", refresh="callback-nav")]
    if chosen is None:
        return page_frame(PREFIX, title, lang, None, as_of=chosen, dates=dates, stores=extra)
    return page_frame(PREFIX, title, lang, [
        html.Div(id=f"{PREFIX}-kpis", className="kpis"),
        html.Div(i18n.t("period_note", lang, days=overview.PERIOD_DAYS), className="period-note"),
        section(
            i18n.t("overview.heatmap", lang),
            dcc.RadioItems(
                id=f"{PREFIX}-metric",
                options=i18n.options(overview.MATRIX_METRICS, lang),
                value=metric if metric in METRIC_CODES else "mean_risk",
                inline=True,
                className="metric-switch",
                inputClassName="lang-input",
            ),
            html.Div(i18n.t("overview.heatmap_hint", lang), className="hint"),
            dcc.Loading(dcc.Graph(id=f"{PREFIX}-heatmap", config={"displaylogo": False})),
        ),
        html.Div(
            [
                section(i18n.t("overview.map", lang),
                        dcc.Graph(id=f"{PREFIX}-map", config=MAP_CONFIG)),
                section(i18n.t("overview.trend", lang), dcc.Graph(id=f"{PREFIX}-trend", config={"displaylogo": False})),
            ],
            className="grid-2",
        ),
    ], as_of=chosen, dates=dates, stores=extra)


@callback(
    Output(f"{PREFIX}-kpis", "children"),
    Output(f"{PREFIX}-map", "figure"),
    Output(f"{PREFIX}-trend", "figure"),
    Input(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-lang-store", "data"),
)
def update_overview(as_of: str, lang: str) -> tuple[list[html.Div], object, object]:
    day = data.pick_as_of(as_of)
    tables = data.tables()
    previous = data.previous_date(day)
    headline = data.summary(
        "headline", day,
        lambda: overview.headline_figures(
            data.snapshot(day), None, data.risk_list(day, lang), None if previous is None else data.risk_list(previous, lang)
        ),
    )
    cards = [
        kpi_card(
            PREFIX, code.code, code.zh if lang == "zh" else code.en,
            (i18n.percent if code.code in PERCENT_METRICS else i18n.number)(headline.loc[code.code, "value"], lang),
            f"{i18n.t('change_since', lang)} "
            + i18n.change(headline.loc[code.code, "change"], lang, as_percent=code.code in PERCENT_METRICS),
            headline.loc[code.code, "change"],
            overview.HEADLINE_BETTER_WHEN[code.code],
        )
        for code in overview.HEADLINES
    ]
    towns = data.summary("town_risk", day, lambda: overview.town_mean_risk(data.risk_list(day, lang), tables))
    weekly = data.summary("weekly", day, lambda: overview.weekly_hazards(data.snapshot(day)))
    return (cards, figures.town_map_figure(towns, data.town_outlines(), lang, data.level_thresholds(day)),
            figures.weekly_trend_figure(weekly, lang))


@callback(
    Output(f"{PREFIX}-heatmap", "figure"),
    Input(f"{PREFIX}-metric", "value"),
    Input(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-lang-store", "data"),
)
def update_heatmap(metric: str, as_of: str, lang: str) -> object:
    metric = metric if metric in METRIC_CODES else "mean_risk"  # a cleared or unknown switch: the page's default
    day = data.pick_as_of(as_of)
    tables = data.tables()
    matrix = data.summary(
        "matrix", day, lambda: overview.town_sector_matrix(data.snapshot(day), None, metric, data.risk_list(day, lang)), metric
    )
    town_names = dict(zip(tables["towns"]["town_id"].astype(str), tables["towns"]["name"].astype(str), strict=True))
    counts = data.summary("matrix_counts", day, lambda: overview.town_sector_counts(data.snapshot(day)))
    return figures.heatmap_figure(matrix, metric, town_names, i18n.labels(SECTORS, lang), lang, counts,
                                  data.level_thresholds(day))


@callback(
    Output(f"{PREFIX}-go", "href"),
    Input(f"{PREFIX}-heatmap", "clickData"),
    State(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def open_cell(click: dict | None, as_of: str, lang: str) -> str:
    """The risk list's address for the clicked town and sector.

    Plotly's heatmap click carries the axis labels (not ``customdata``), so they are mapped back to
    the town id and sector code.
    """
    if not click or not click.get("points"):
        return dash.no_update
    point = click["points"][0]
    if point.get("customdata"):
        town, sector = point["customdata"][:2]  # the third is the cell's firm count
    else:
        towns = data.tables()["towns"]
        by_name = dict(zip(towns["name"].astype(str), towns["town_id"].astype(str), strict=True))
        by_label = {label: code for code, label in i18n.labels(SECTORS, lang).items()}
        town, sector = by_name.get(point["y"]), by_label.get(point["x"])
        if town is None or sector is None:
            return dash.no_update
    return "/risk-list?" + urlencode({"town": town, "sector": sector, "as_of": as_of})
