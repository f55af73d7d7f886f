"""隐患整改 Follow-up ("/followup", 回头看): hazard states by town, sector or team; overdue list; rate over time."""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.operations import followup
from analytics.contract.schema import HAZARD_CATEGORIES, HAZARD_LEVELS, SECTORS, column_label
from dashboard import figures, i18n
from dashboard.components.aggrid import ag_grid
from dashboard.components import data, grid
from dashboard.components.language import register_language_switch
from dashboard.components.layout import page_frame, section
from dashboard.components.urlstate import register_url_sync

PREFIX = "followup"
GROUPS = [c.code for c in followup.GROUPINGS]
dash.register_page(__name__, path="/followup", order=3, **i18n.page_names("followup"))
register_language_switch(PREFIX)
register_url_sync(PREFIX, [(f"{PREFIX}-as-of", "value", "as_of"), (f"{PREFIX}-by", "value", "by")])
OVERDUE = f"{PREFIX}-overdue"
BLOCK_SIZE = 50  # one grid page
# Another date empties the grid's block cache, so it asks the server for that date's rows.
grid.purge_blocks_on(OVERDUE, Output(f"{PREFIX}-refreshed", "data"), [Input(f"{PREFIX}-as-of", "value")])


def overdue_columns(lang: str) -> list[dict]:
    def hazard(column: str) -> str:
        return column_label("hazards", column, lang)

    return [
        {"field": "deadline", "headerName": hazard("deadline"), "width": 130},
        {"field": "days_overdue", "headerName": i18n.t("followup.days_overdue", lang), "width": 120, "type": "numericColumn",
         "filter": "agNumberColumnFilter"},
        {"field": "enterprise_name", "headerName": i18n.t("risk-list.name_col", lang), "flex": 2, "minWidth": 200},
        {"field": "town_name", "headerName": i18n.t("risk-list.town", lang), "width": 130},
        {"field": "sector_label", "headerName": i18n.t("risk-list.sector", lang), "flex": 1, "minWidth": 150},
        {"field": "team", "headerName": column_label("inspections", "team", lang), "width": 120},
        {"field": "level_label", "headerName": hazard("level"), "width": 120},
        {"field": "category_label", "headerName": hazard("category"), "width": 130},
        {"field": "found_date", "headerName": hazard("found_date"), "width": 130},
        {"field": "hazard_id", "headerName": hazard("hazard_id"), "width": 140},
        {"field": "enterprise_id", "hide": True},
    ]


def layout(as_of: str | None = None, lang: str | None = None, by: str | None = None, **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    dates = data.scored_dates()
    chosen = data.pick_as_of(as_of)
    title = i18n.t("followup.name", lang)
    extra = [dcc.Store(id=f"{PREFIX}-refreshed"), dcc.Location(id=f"{PREFIX}-go", refresh="callback-nav")]
    if chosen is None:
        return page_frame(PREFIX, title, lang, None, as_of=chosen, dates=dates, stores=extra)
    return page_frame(PREFIX, title, lang, [
        section(
            i18n.t("followup.states", lang, days=followup.WINDOW_DAYS),
            html.Div([html.Label(i18n.t("followup.by", lang)),
                      dcc.RadioItems(id=f"{PREFIX}-by", options=i18n.options(followup.GROUPINGS, lang),
                                     value=by if by in GROUPS else "town", inline=True,
                                     inputClassName="lang-input")], className="toolbar"),
            dcc.Graph(id=f"{PREFIX}-states", config={"displaylogo": False}),
        ),
        section(i18n.t("followup.rate", lang), dcc.Graph(id=f"{PREFIX}-rate", config={"displaylogo": False})),
        section(
            i18n.t("followup.overdue", lang),
            ag_grid(lang, id=OVERDUE, columnDefs=overdue_columns(lang), rowModelType="infinite",
                       getRowId="params.data.enterprise_id + '|' + params.data.hazard_id",
                       defaultColDef={"sortable": True, "resizable": True, "filter": True},
                       dashGridOptions={"pagination": True, "paginationPageSize": BLOCK_SIZE,
                                        "cacheBlockSize": BLOCK_SIZE, "maxBlocksInCache": 20,
                                        "infiniteInitialRowCount": BLOCK_SIZE},
                       style={"height": "560px", "width": "100%", "fontSize": "16px"}),
        ),
    ], as_of=chosen, dates=dates, stores=extra)


@callback(
    Output(f"{PREFIX}-states", "figure"),
    Input(f"{PREFIX}-by", "value"),
    Input(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show_states(by: str | None, as_of: str, lang: str) -> object:
    by = by if by in GROUPS else "town"  # the radio always holds one; an empty value shows the default
    day = data.pick_as_of(as_of)
    states = data.summary("followup-states", day, lambda: followup.states_by(data.snapshot(day), None, by), by)
    names = data.town_names() if by == "town" else (i18n.labels(SECTORS, lang) if by == "sector" else {})
    return figures.states_figure(states, names, lang)


@callback(
    Output(f"{PREFIX}-rate", "figure"),
    Input(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show_rate(as_of: str, lang: str) -> object:
    day = data.pick_as_of(as_of)
    rate = data.summary("followup-rate", day, lambda: followup.rectification_rate(data.snapshot(day)))
    return figures.rate_figure(rate, lang)


@callback(
    Output(OVERDUE, "getRowsResponse"),
    Input(OVERDUE, "getRowsRequest"),
    State(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def fetch_overdue(request: dict | None, as_of: str, lang: str) -> dict:
    """The block of overdue hazards the grid asked for (sorted and filtered as its columns say)."""
    if not request:
        return dash.no_update
    day = data.pick_as_of(as_of)
    # tens of thousands of rows at 100,000 firms: kept ready per date and language, served by blocks
    rows = data.summary("followup-overdue-rows", day, lambda: overdue_rows(data.snapshot(day), day, lang), lang)
    return grid.rows_block(rows, request, BLOCK_SIZE)


def overdue_rows(snapshot, day: pd.Timestamp, lang: str) -> pd.DataFrame:
    """The overdue hazards of ``day`` (``snapshot``: the tables as known then) in the grid's columns
    (labels in ``lang``), oldest deadline first."""
    overdue = data.summary("followup-overdue", day, lambda: followup.overdue_list(snapshot))
    rows = overdue.assign(
        deadline=overdue["deadline"].dt.strftime("%Y-%m-%d"),
        found_date=overdue["found_date"].dt.strftime("%Y-%m-%d"),
        town_name=overdue["town_id"].map(data.town_names()),
        sector_label=overdue["sector"].map(i18n.labels(SECTORS, lang)),
        level_label=overdue["level"].astype(object).map(i18n.labels(HAZARD_LEVELS, lang)),
        category_label=overdue["category"].astype(object).map(i18n.labels(HAZARD_CATEGORIES, lang)).fillna(""),
    )
    return rows[[c["field"] for c in overdue_columns(lang)]].reset_index(drop=True)


@callback(
    Output(f"{PREFIX}-go", "href"),
    Input(f"{PREFIX}-overdue", "cellClicked"),
    State(f"{PREFIX}-as-of", "value"),
    prevent_initial_call=True,
)
def open_enterprise(cell: dict | None, as_of: str) -> str:
    """The enterprise page of the clicked overdue hazard."""
    if not cell or not cell.get("rowId"):
        return dash.no_update
    return "/enterprise?" + urlencode({"id": str(cell["rowId"]).split("|")[0], "as_of": as_of})
