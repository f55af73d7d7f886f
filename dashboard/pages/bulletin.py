"""检查情况通报 ("/bulletin"): a period's work per inspection team and town, ranked by rectification rate."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.operations import bulletin
from analytics.contract.errors import UserError
from dashboard import auth, i18n
from dashboard.components.aggrid import ag_grid
from dashboard.components.grid import records
from dashboard.components import data
from dashboard.components.language import register_language_switch
from dashboard.components.layout import page_frame, section
from dashboard.components.urlstate import register_url_sync

PREFIX = "bulletin"
PERIOD_DAYS = 30
dash.register_page(__name__, path="/bulletin", order=9, **i18n.page_names("bulletin"))
register_language_switch(PREFIX)
register_url_sync(PREFIX, [(f"{PREFIX}-period", "start_date", "start"), (f"{PREFIX}-period", "end_date", "end")])

def columns(key: str, lang: str) -> list[dict]:
    fields = ["place", key, *bulletin.COUNTS, "rate"]
    return [{"field": f, "headerName": bulletin.COLUMN_LABELS[f][0 if lang == "zh" else 1],
             "width": 170 if f == key else 110, **({"pinned": "left"} if f in ("place", key) else {})} for f in fields]


def default_period(requested_start: object, requested_end: object) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The requested period, else the ``PERIOD_DAYS`` days up to the newest inspection; None without any."""
    dates = data.tables()["inspections"]["date"]
    if dates.empty:
        return None
    try:
        end = pd.Timestamp(str(requested_end)).normalize() if requested_end else dates.max()
        start = pd.Timestamp(str(requested_start)).normalize() if requested_start else end - pd.Timedelta(days=PERIOD_DAYS - 1)
    except ValueError:
        end = dates.max()
        start = end - pd.Timedelta(days=PERIOD_DAYS - 1)
    return start, end


def layout(start: str | None = None, end: str | None = None, lang: str | None = None, **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    period = default_period(start, end)
    title = i18n.t("bulletin.title", lang)
    extra = [dcc.Download(id=f"{PREFIX}-download")]
    if period is None:
        return page_frame(PREFIX, title, lang, None, stores=extra, empty=i18n.t("bulletin.no_data", lang))

    def grid(key: str) -> dag.AgGrid:
        return ag_grid(lang, id=f"{PREFIX}-{key}s", columnDefs=columns(key, lang), rowData=[],
                          defaultColDef={"sortable": True, "resizable": True},
                          style={"height": "420px", "width": "100%", "fontSize": "15px"})

    return page_frame(PREFIX, title, lang, [
        html.Div([
            html.Label(i18n.t("bulletin.period", lang)),
            dcc.DatePickerRange(id=f"{PREFIX}-period", start_date=f"{period[0]:%Y-%m-%d}",
                                end_date=f"{period[1]:%Y-%m-%d}", display_format="YYYY-MM-DD"),
            html.Button(i18n.t("bulletin.xlsx", lang), id=f"{PREFIX}-export-xlsx", n_clicks=0, className="button"),
            html.Button(i18n.t("bulletin.html_zh", lang), id=f"{PREFIX}-export-html-zh", n_clicks=0, className="button"),
            html.Button(i18n.t("bulletin.html_en", lang), id=f"{PREFIX}-export-html-en", n_clicks=0, className="button"),
        ], className="toolbar"),
        html.Div(id=f"{PREFIX}-headline", className="headline"),
        html.Div(id=f"{PREFIX}-message", className="message"),
        section(i18n.t("bulletin.teams", lang), grid("team")),
        section(i18n.t("bulletin.towns", lang), grid("town")),
    ], stores=extra)


def period_bulletin(start: str | None, end: str | None) -> bulletin.Bulletin:
    """The bulletin of the period (an empty end: the newest inspection; an empty start: ``PERIOD_DAYS`` before)."""
    period = default_period(start, end)
    if period is None:
        raise UserError(i18n.t("bulletin.no_data", "zh"), i18n.t("bulletin.no_data", "en"))
    start, end = period
    return data.summary("bulletin", end, lambda: bulletin.group_bulletin(data.tables(), start, end), start)


def _records(frame: pd.DataFrame) -> list[dict]:
    return records(frame)


@callback(
    Output(f"{PREFIX}-headline", "children"),
    Output(f"{PREFIX}-teams", "rowData"),
    Output(f"{PREFIX}-towns", "rowData"),
    Output(f"{PREFIX}-message", "children"),
    Input(f"{PREFIX}-period", "start_date"),
    Input(f"{PREFIX}-period", "end_date"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show(start: str, end: str, lang: str) -> tuple[object, list[dict], list[dict], str]:
    try:
        result = period_bulletin(start, end)
    except UserError as error:
        return "", [], [], error.render(lang)
    teams, towns = result.labelled("teams", lang), result.labelled("towns", lang)
    teams.columns = [c["field"] for c in columns("team", lang)]
    towns.columns = [c["field"] for c in columns("town", lang)]
    headline = [html.H2(result.period(lang), className="section-title"), html.P(result.headline(lang) + ("。" if lang == "zh" else ".")),
                html.P(result.details(lang))]
    return headline, _records(teams), _records(towns), ""


@callback(
    Output(f"{PREFIX}-download", "data"),
    Input(f"{PREFIX}-export-xlsx", "n_clicks"),
    Input(f"{PREFIX}-export-html-zh", "n_clicks"),
    Input(f"{PREFIX}-export-html-en", "n_clicks"),
    State(f"{PREFIX}-period", "start_date"),
    State(f"{PREFIX}-period", "end_date"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def export(_xlsx: int, _zh: int, _en: int, start: str, end: str, lang: str) -> dict:
    try:
        return export_file(dash.ctx.triggered_id, start, end, lang)
    except UserError:  # no inspections, or the end before the start: the page already says so
        return dash.no_update


def export_file(which: str, start: str, end: str, lang: str) -> dict:
    """The workbook (in the page's language) or the printable page in Chinese or English (by button id)."""
    result = period_bulletin(start, end)
    name = f"bulletin_{result.start:%Y%m%d}_{result.end:%Y%m%d}"
    auth.audit("export_list", f"bulletin:{result.start:%Y-%m-%d}:{result.end:%Y-%m-%d}", format=which)
    if which == f"{PREFIX}-export-html-zh":
        return dcc.send_string(result.html("zh"), f"{name}.html")
    if which == f"{PREFIX}-export-html-en":
        return dcc.send_string(result.html("en"), f"{name}.en.html")
    return dcc.send_bytes(result.excel_bytes(lang), f"{name}.xlsx")
