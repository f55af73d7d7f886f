"""人群清单 ("/people"): people exposed in the recent window, ranked by people × days, each row naming its records."""

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

PREFIX = "people"
GRID = f"{PREFIX}-grid"
WINDOWS = (7, 14, 30, 60, 90)
dash.register_page(__name__, path="/people", order=8, **i18n.page_names("people"))
register_language_switch(PREFIX)
register_url_sync(PREFIX, [(f"{PREFIX}-as-of", "value", "as_of"), (f"{PREFIX}-days", "value", "days")])

SHOWN = [c for c in lists.GROUPED_PEOPLE_COLUMNS if c not in ("evidence_zh", "evidence_en")] + ["evidence"]


def columns(lang: str) -> list[dict]:
    widths = {"name": 200, "evidence": 380, "kind": 170, "sector": 160, "permit_ids": 160, "contract_ids": 160,
              "alert_ids": 180}
    return [{"field": f, "headerName": lists.COLUMN_LABELS[f][0 if lang == "zh" else 1], "width": widths.get(f, 100)}
            for f in SHOWN]


def layout(as_of: str | None = None, lang: str | None = None, days: str | None = None, **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    chosen = data.pick_as_of(as_of)
    window = int(days) if str(days or "").isdigit() and int(days) in WINDOWS else lists.WINDOW_DAYS
    body = None if chosen is None else [
        html.P(i18n.t("people.how", lang), className="hint"),
        html.Div([
            html.Label(i18n.t("people.days", lang), htmlFor=f"{PREFIX}-days"),
            dcc.Dropdown(id=f"{PREFIX}-days", options=[{"label": str(d), "value": d} for d in WINDOWS],
                         value=window, clearable=False, style={"width": "100px"}),
            html.Button(i18n.t("people.export", lang), id=f"{PREFIX}-export", n_clicks=0, className="button"),
            html.Span(id=f"{PREFIX}-count", className="count"),
        ], className="toolbar"),
        section(i18n.t("people.title", lang), ag_grid(lang,
            id=GRID, columnDefs=columns(lang), rowData=[],
            defaultColDef={"sortable": True, "resizable": True, "filter": True},
            dashGridOptions={"pagination": True, "paginationPageSize": 50},
            style={"height": "640px", "width": "100%", "fontSize": "15px"})),
    ]
    return page_frame(PREFIX, i18n.t("people.title", lang), lang, body, as_of=chosen, dates=data.scored_dates(),
                      stores=[dcc.Download(id=f"{PREFIX}-download")])


def people_rows(as_of: str | None, days: int | None, lang: str) -> pd.DataFrame:
    day = data.pick_as_of(as_of)
    days = lists.WINDOW_DAYS if days is None else int(days)  # the guard keeps it to 1..366 days
    frame = data.summary("people", day, lambda: lists.group_people(lists.people_list(data.snapshot(day), None, int(days))),
                         int(days))  # rows that read alike collapse into one with their count
    return lists.labelled(frame, lang, data.tables()["towns"])


@callback(
    Output(GRID, "rowData"),
    Output(f"{PREFIX}-count", "children"),
    Input(f"{PREFIX}-as-of", "value"),
    Input(f"{PREFIX}-days", "value"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show(as_of: str, days: int, lang: str) -> tuple[list[dict], str]:
    rows = people_rows(as_of, days, lang)
    rows.columns = SHOWN
    total = int(rows["exposure"].sum()) if len(rows) else 0
    return (records(rows),
            i18n.t("people.count", lang, total=len(rows), exposure=i18n.number(total, lang)))


@callback(
    Output(f"{PREFIX}-download", "data"),
    Input(f"{PREFIX}-export", "n_clicks"),
    State(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-days", "value"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def export(_clicks: int, as_of: str, days: int, lang: str) -> dict:
    day = data.pick_as_of(as_of)
    rows = people_rows(as_of, days, lang)
    auth.audit("export_list", f"people:{day:%Y-%m-%d}", rows=len(rows), days=days)
    cover = cover_line(i18n.t("nav.people", lang), day, {i18n.t("people.days", lang): [str(days)]}, lang=lang,
                       county=county_of(data.town_names()))
    workbook = write_xlsx(None, {i18n.t("nav.people", lang): rows}, office=True, cover=cover)  # names run no formula
    return dcc.send_bytes(workbook, f"people_{day:%Y%m%d}.xlsx")
