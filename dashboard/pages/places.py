"""场所清单 ("/places"): crowded places and venues ranked among themselves by the risk score."""

from __future__ import annotations


import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.contract.exports import county_of, cover_line, write_xlsx
from analytics.operations import lists
from dashboard import auth, i18n
from dashboard.components.aggrid import ag_grid
from dashboard.components.grid import records
from dashboard.components import data
from dashboard.components.language import register_language_switch
from dashboard.components.layout import page_frame, section
from dashboard.components.urlstate import register_url_sync

PREFIX = "places"
GRID = f"{PREFIX}-grid"
dash.register_page(__name__, path="/places", order=7, **i18n.page_names("places"))
register_language_switch(PREFIX)
register_url_sync(PREFIX, [(f"{PREFIX}-as-of", "value", "as_of")])

def columns(lang: str) -> list[dict]:
    widths = {"name": 220, "reasons": 420, "sector": 200}
    return [{"field": f, "headerName": lists.COLUMN_LABELS[f][0 if lang == "zh" else 1], "width": widths.get(f, 110)}
            for f in lists.PLACE_COLUMNS]


def layout(as_of: str | None = None, lang: str | None = None, **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    chosen = data.pick_as_of(as_of)
    body = None if chosen is None else [
        html.P(i18n.t("places.how", lang), className="hint"),
        html.Div([html.Button(i18n.t("places.export", lang), id=f"{PREFIX}-export", n_clicks=0, className="button"),
                  html.Span(id=f"{PREFIX}-count", className="count")], className="toolbar"),
        section(i18n.t("places.title", lang), ag_grid(lang,
            id=GRID, columnDefs=columns(lang), rowData=[], getRowId="params.data.enterprise_id",
            defaultColDef={"sortable": True, "resizable": True, "filter": True},
            dashGridOptions={"pagination": True, "paginationPageSize": 50},
            style={"height": "640px", "width": "100%", "fontSize": "15px"})),
    ]
    return page_frame(PREFIX, i18n.t("places.title", lang), lang, body, as_of=chosen, dates=data.scored_dates(),
                      stores=[dcc.Download(id=f"{PREFIX}-download")])


def place_rows(as_of: str | None, lang: str) -> pd.DataFrame:
    day = data.pick_as_of(as_of)
    frame = data.summary("places", day, lambda: lists.places_list(data.snapshot(day), None, data.risk_list(day, lang)), lang)
    return lists.labelled(frame, lang, data.tables()["towns"])


@callback(
    Output(GRID, "rowData"),
    Output(f"{PREFIX}-count", "children"),
    Input(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show(as_of: str, lang: str) -> tuple[list[dict], str]:
    rows = place_rows(as_of, lang)
    rows.columns = list(lists.PLACE_COLUMNS)
    return records(rows), i18n.t("places.count", lang, total=len(rows))


@callback(
    Output(f"{PREFIX}-download", "data"),
    Input(f"{PREFIX}-export", "n_clicks"),
    State(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def export(_clicks: int, as_of: str, lang: str) -> dict:
    day = data.pick_as_of(as_of)
    rows = place_rows(as_of, lang)
    auth.audit("export_list", f"places:{day:%Y-%m-%d}", rows=len(rows))
    workbook = write_xlsx(None, {i18n.t("nav.places", lang): rows}, office=True,  # names run no formula
                          cover=cover_line(i18n.t("nav.places", lang), day, lang=lang, county=county_of(data.town_names())))
    return dcc.send_bytes(workbook, f"places_{day:%Y%m%d}.xlsx")
