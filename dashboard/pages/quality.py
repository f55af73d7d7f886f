"""数据质量 ("/quality"): the data-quality report of what the store holds (``analytics.views.quality``),
computed afresh when the page opens and on "check again"; the same workbook ``saferank import`` writes.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from analytics.views.quality import quality_report
from dashboard import auth, i18n
from dashboard.components import data
from dashboard.components.language import register_language_switch
from dashboard.components.layout import page_frame
from dashboard.components.quality import quality_panel

PREFIX = "quality"
dash.register_page(__name__, path="/quality", order=11, **i18n.page_names("quality"))
register_language_switch(PREFIX)


def layout(lang: str | None = None, **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    body = [
        html.P(i18n.t("quality.how", lang), className="hint"),
        html.Div([html.Button(i18n.t("quality.refresh", lang), id=f"{PREFIX}-refresh", n_clicks=0, className="button"),
                  html.Button(i18n.t("quality.export", lang), id=f"{PREFIX}-export", n_clicks=0, className="button")],
                 className="toolbar"),
        dcc.Loading(html.Div(id=f"{PREFIX}-body")),
    ]
    return page_frame(PREFIX, i18n.t("quality.title", lang), lang, body, url_state=False,
                      stores=[dcc.Download(id=f"{PREFIX}-download")])


@callback(
    Output(f"{PREFIX}-body", "children"),
    Input(f"{PREFIX}-refresh", "n_clicks"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show(_clicks: int, lang: str) -> list[object]:
    report = quality_report(data.store())
    if report.counts()["rows"] == 0:
        return [html.P(i18n.t("quality.empty", lang), className="notice")]
    return quality_panel(report, lang)


@callback(
    Output(f"{PREFIX}-download", "data"),
    Input(f"{PREFIX}-export", "n_clicks"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def export(_clicks: int, lang: str) -> dict:
    report = quality_report(data.store())
    auth.audit("export_list", "quality", **report.counts())
    name = "quality.xlsx" if report.export_date is None else f"quality_{report.export_date:%Y%m%d}.xlsx"
    return dcc.send_bytes(report.workbook(lang), name)
