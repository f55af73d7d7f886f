"""风险清单 Risk list ("/risk-list"), for the office: the ranked list, filtered on the server, paged into the grid.

Filters live in the address (``?town=..&sector=..&level=red,orange&flag=overdue_hazards&q=..&as_of=..``)
so a filtered view can be shared. The grid asks for rows block by block (ag-grid's infinite row
model); ``analytics.views.riskview.select_rows`` filters, sorts and cuts each block from the cached list.
Exports cover every filtered row, not just the ones on screen. A row click opens the enterprise.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlencode

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.contract.exports import county_of, cover_line, export_filename, write_xlsx
from analytics.views.riskview import FLAG_CODES, FLAGS, ListFilter, Sort, select_rows
from analytics.contract.schema import RISK_LEVELS, RISK_LIST_COLUMNS, RISK_LIST_LABELS, SECTORS
from analytics.accounts import users as accounts
from dashboard import auth, i18n
from dashboard.components.aggrid import ag_grid
from dashboard.components.grid import block_range, purge_blocks_on
from dashboard.components import RISK_LEVEL_COLORS, RISK_LEVEL_TEXT, data
from dashboard.components.language import register_language_switch
from dashboard.components.layout import level_badge, page_frame, section
from dashboard.components.urlstate import as_list, register_url_sync

PREFIX = "risk-list"
GRID = f"{PREFIX}-grid"
BLOCK_SIZE = 100
FILTERS = (
    State(f"{PREFIX}-town", "value"),
    State(f"{PREFIX}-sector", "value"),
    State(f"{PREFIX}-level", "value"),
    State(f"{PREFIX}-flag", "value"),
    State(f"{PREFIX}-search", "value"),
)
dash.register_page(__name__, path="/risk-list", order=1, **i18n.page_names("risk-list"))
register_language_switch(PREFIX)
register_url_sync(
    PREFIX,
    [
        (f"{PREFIX}-as-of", "value", "as_of"), (f"{PREFIX}-town", "value", "town"), (f"{PREFIX}-sector", "value", "sector"),
        (f"{PREFIX}-level", "value", "level"), (f"{PREFIX}-flag", "value", "flag"), (f"{PREFIX}-search", "value", "q"),
    ],
)
# A filter change empties the grid's block cache, so it asks the server for rows again.
purge_blocks_on(GRID, Output(f"{PREFIX}-refreshed", "data"),
                [Input(f"{PREFIX}-{name}", "value") for name in ("as-of", "town", "sector", "level", "flag", "search")])


def _level_cell_style() -> dict:
    return {
        "styleConditions": [
            {"condition": f"params.data && params.data.risk_level == '{level}'",
             "style": {"backgroundColor": colour, "color": RISK_LEVEL_TEXT[level], "fontWeight": "600"}}
            for level, colour in RISK_LEVEL_COLORS.items()
        ]
    }


def column_defs(lang: str) -> list[dict]:
    label = {k: (zh if lang == "zh" else en) for k, (zh, en) in RISK_LIST_LABELS.items()}
    return [
        {"field": "rank", "headerName": label["rank"], "width": 90, "pinned": "left"},
        {"field": "name", "headerName": i18n.t("risk-list.name_col", lang), "minWidth": 220, "flex": 2},
        {"field": "score", "headerName": label["score"], "width": 120,
         "valueFormatter": {"function": "d3.format('.1%')(params.value)"}},
        {"field": "level_label", "headerName": label["risk_level"], "width": 130, "colId": "risk_level",
         "cellStyle": _level_cell_style()},
        {"field": "town_name", "headerName": i18n.t("risk-list.town", lang), "width": 130},
        {"field": "sector_label", "headerName": i18n.t("risk-list.sector", lang), "minWidth": 150, "flex": 1, "colId": "sector"},
        {"field": "flags", "headerName": i18n.t("risk-list.flags", lang), "minWidth": 180, "flex": 1, "sortable": False},
        {"field": "top_reason", "headerName": i18n.t("risk-list.top_reason", lang), "minWidth": 260, "flex": 2,
         "sortable": False},
        {"field": "enterprise_id", "headerName": label["enterprise_id"], "width": 190},
    ]


def layout(as_of: str | None = None, lang: str | None = None, town: object = None, sector: object = None,
           level: object = None, flag: object = None, q: str | None = None, **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    dates = data.scored_dates()
    chosen = data.pick_as_of(as_of)
    title = i18n.t("risk-list.name", lang)
    extra = [dcc.Store(id=f"{PREFIX}-refreshed"), dcc.Location(id=f"{PREFIX}-go", refresh="callback-nav")]
    if chosen is None:
        return page_frame(PREFIX, title, lang, None, as_of=chosen, dates=dates, stores=extra)
    towns = data.tables()["towns"]
    town_options = [{"label": n, "value": t} for t, n in zip(towns["town_id"].astype(str), towns["name"].astype(str), strict=True)]

    def field(label: str, control: object) -> html.Div:
        return html.Div([html.Label(label), control])

    filters = html.Div(
        [
            field(i18n.t("risk-list.town", lang), dcc.Dropdown(id=f"{PREFIX}-town", options=town_options, value=as_list(town),
                                                               multi=True, placeholder=i18n.t("risk-list.all", lang))),
            field(i18n.t("risk-list.sector", lang), dcc.Dropdown(id=f"{PREFIX}-sector", options=i18n.options(SECTORS, lang),
                                                                 value=as_list(sector), multi=True,
                                                                 placeholder=i18n.t("risk-list.all", lang))),
            field(i18n.t("risk-list.level", lang), dcc.Checklist(id=f"{PREFIX}-level", options=i18n.options(RISK_LEVELS, lang),
                                                                 value=as_list(level), inline=True, inputClassName="lang-input")),
            field(i18n.t("risk-list.flags", lang), dcc.Checklist(id=f"{PREFIX}-flag", options=i18n.options(FLAGS, lang),
                                                                 value=[f for f in as_list(flag) if f in FLAG_CODES],
                                                                 className="flag-list", inputClassName="lang-input")),
            field(i18n.t("risk-list.search", lang), dcc.Input(id=f"{PREFIX}-search", type="search", value=q or "",
                                                              debounce=True, className="search")),
        ],
        className="filters",
    )
    grid = ag_grid(lang,
        id=GRID,
        rowModelType="infinite",
        columnDefs=column_defs(lang),
        defaultColDef={"sortable": True, "resizable": True},
        dashGridOptions={"cacheBlockSize": BLOCK_SIZE, "maxBlocksInCache": 20, "rowHeight": 40, "headerHeight": 44,
                         "infiniteInitialRowCount": BLOCK_SIZE, "rowSelection": {"mode": "singleRow", "checkboxes": False}},
        getRowId="params.data.enterprise_id",
        style={"height": "640px", "width": "100%", "fontSize": "16px"},
    )
    toolbar = html.Div(
        [
            html.Div(id=f"{PREFIX}-count", className="level-counts"),
            # a leader reads the list on screen: no export button it would be refused
            *([html.Button(i18n.t("risk-list.export_xlsx", lang), id=f"{PREFIX}-export-xlsx", className="button"),
               html.Button(i18n.t("risk-list.export_csv", lang), id=f"{PREFIX}-export-csv", className="button"),
               dcc.Download(id=f"{PREFIX}-download")]
              if accounts.can(auth.current_user(), "risk_list_export") else []),
            html.Span(i18n.t("risk-list.share", lang), className="hint"),
        ],
        className="toolbar",
    )
    return page_frame(PREFIX, title, lang, [section(title, filters, toolbar, grid)], as_of=chosen, dates=dates,
                      stores=extra)


def chosen_filter(town: list | None, sector: list | None, level: list | None, flag: list | None,
                  search: str | None) -> ListFilter:
    return ListFilter.of(towns=town, sectors=sector, levels=level, flags=flag, text=search)


def grid_rows(rows: pd.DataFrame, lang: str) -> list[dict]:
    """One page of a browse frame as the grid's records, labels in ``lang``."""
    flag_labels = i18n.labels(FLAGS, lang)
    sep = "、" if lang == "zh" else ", "
    flags = pd.Series("", index=rows.index)
    for code in FLAG_CODES:  # four flags, not rows: vectorised per flag
        flags = flags.where(~rows[code], flags.where(flags == "", flags + sep) + flag_labels[code])
    out = pd.DataFrame(
        {
            "rank": rows["rank"].astype("int64"),
            "enterprise_id": rows["enterprise_id"].astype(str),
            "name": rows["name"].astype(str),
            "score": rows["score"].astype("float64").round(4),
            "risk_level": rows["risk_level"].astype(str),
            "level_label": rows["risk_level"].map(i18n.labels(RISK_LEVELS, lang)).astype(str),
            "town_name": rows["town_name"].astype(str),
            "sector_label": rows["sector"].map(i18n.labels(SECTORS, lang)).astype(str),
            "flags": flags,
            "top_reason": rows["top_reason"].astype(str),
        }
    )
    return out.to_dict("records")


SORT_COLUMNS = {"risk_level": "rank", "level_label": "rank", "sector_label": "sector"}


@callback(
    Output(GRID, "getRowsResponse"),
    Input(GRID, "getRowsRequest"),
    State(f"{PREFIX}-as-of", "value"),
    *FILTERS,
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def fetch_rows(request: dict | None, as_of: str, town: list, sector: list, level: list, flag: list, search: str,
               lang: str) -> dict:
    """The block of filtered, sorted rows the grid asked for (at most ``grid.MAX_BLOCK``), and how
    many match; each block read is audited (who read which rows of which list)."""
    if not request:
        return dash.no_update
    day = data.pick_as_of(as_of)
    frame = data.browse(day, lang)
    sort = [Sort(SORT_COLUMNS.get(s["colId"], s["colId"]), s["sort"] == "asc") for s in request.get("sortModel") or []]
    start, end = block_range(request, BLOCK_SIZE)
    chosen = chosen_filter(town, sector, level, flag, search)
    page = select_rows(frame, chosen, sort, start, end)
    _audit("view_list", None if day is None else f"{day:%Y-%m-%d}", start=start, end=end, rows=len(page.rows),
           total=page.total, filter={"town": town, "sector": sector, "level": level, "flag": flag, "q": search})
    return {"rowData": grid_rows(page.rows, lang), "rowCount": page.total}


@callback(
    Output(f"{PREFIX}-count", "children"),
    Input(f"{PREFIX}-as-of", "value"),
    Input(f"{PREFIX}-town", "value"),
    Input(f"{PREFIX}-sector", "value"),
    Input(f"{PREFIX}-level", "value"),
    Input(f"{PREFIX}-flag", "value"),
    Input(f"{PREFIX}-search", "value"),
    State(f"{PREFIX}-lang-store", "data"),
)
def count_rows(as_of: str, town: list, sector: list, level: list, flag: list, search: str, lang: str) -> list:
    """How many enterprises match, in total and per level."""
    frame = data.browse(data.pick_as_of(as_of), lang)
    page = select_rows(frame, chosen_filter(town, sector, level, flag, search), end=0)
    parts: list[object] = [html.Strong(i18n.t("risk-list.count", lang, total=i18n.number(page.total, lang)))]
    for code, count in page.level_counts.items():
        parts += [" ", level_badge(code, lang), f" {i18n.number(count, lang)}"]
    return parts


def filtered_list(as_of: str, town: list, sector: list, level: list, flag: list, search: str, lang: str) -> pd.DataFrame:
    frame = data.browse(data.pick_as_of(as_of), lang)
    return select_rows(frame, chosen_filter(town, sector, level, flag, search)).rows


@callback(
    Output(f"{PREFIX}-download", "data"),
    Input(f"{PREFIX}-export-xlsx", "n_clicks"),
    Input(f"{PREFIX}-export-csv", "n_clicks"),
    State(f"{PREFIX}-as-of", "value"),
    *FILTERS,
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def export(_xlsx: int | None, _csv: int | None, as_of: str, town: list, sector: list, level: list, flag: list,
           search: str, lang: str) -> dict:
    """The filtered list as an Excel sheet (labels in ``lang``) or as the contract's CSV; only for
    roles with ``risk_list_export`` (a leader reads the list, and may not take it away)."""
    user = auth.current_user()
    accounts.require(user, "risk_list_export")
    rows = filtered_list(as_of, town, sector, level, flag, search, lang)
    day = data.pick_as_of(as_of)
    _audit("export_list", f"{day:%Y-%m-%d}", rows=len(rows), format=dash.ctx.triggered_id)
    chosen = export_filters(town, sector, level, flag, search, lang)
    if dash.ctx.triggered_id == f"{PREFIX}-export-csv":
        return dcc.send_bytes(contract_csv(rows, user), export_filename("risk_list", day, chosen, "csv"))
    cover = cover_line(i18n.t("risk-list.name", lang), day, chosen, lang=lang, county=county_of(data.town_names()))
    return dcc.send_bytes(excel_bytes(rows, lang, cover), export_filename("risk_list", day, chosen))


def export_filters(town: list | None, sector: list | None, level: list | None, flag: list | None,
                   search: str | None, lang: str) -> dict[str, list[str]]:
    """The filters that are set, as ``{label: [value names]}`` in ``lang`` (town names, not codes),
    for an export's cover row and file name."""
    towns = data.tables()["towns"]
    town_names = dict(zip(towns["town_id"].astype(str), towns["name"].astype(str), strict=True))
    chosen = {
        "risk-list.town": [town_names.get(str(t), str(t)) for t in as_list(town) or ()],
        "risk-list.sector": [i18n.labels(SECTORS, lang).get(s, s) for s in as_list(sector) or ()],
        "risk-list.level": [i18n.labels(RISK_LEVELS, lang).get(v, v) for v in as_list(level) or ()],
        "risk-list.flags": [i18n.labels(FLAGS, lang).get(f, f) for f in as_list(flag) or ()],
        "risk-list.search": [search.strip()] if search and search.strip() else [],
    }
    return {i18n.t(key, lang): values for key, values in chosen.items() if values}


def contract_csv(rows: pd.DataFrame, user: accounts.User | None) -> bytes:
    """The rows in the contract's risk-list CSV (``risklist.write_contract_csv``, which checks ``user``)."""
    from analytics.risk.risklist import write_contract_csv

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "risk_list.csv"
        write_contract_csv(rows[list(RISK_LIST_COLUMNS)], path, user=user)
        return path.read_bytes()


def excel_bytes(rows: pd.DataFrame, lang: str, cover: str | None = None) -> bytes:
    """The rows as an office-grade sheet (ids kept beside names, the probability as a percentage)
    under the ``cover`` row."""
    records = pd.DataFrame(grid_rows(rows, lang)).drop(columns=["risk_level"], errors="ignore")
    headers = {c["field"]: c["headerName"] for c in column_defs(lang)}
    records = records.rename(columns=headers)
    records.attrs.update(percent=[headers["score"]], percent_format="0.0%")
    return write_xlsx(None, {i18n.t("risk-list.name", lang): records}, office=True, cover=cover)  # names run no formula


def _audit(action: str, object_id: str | None, **details: object) -> None:
    auth.audit(action, object_id, **details)


@callback(
    Output(f"{PREFIX}-go", "href"),
    Input(GRID, "cellClicked"),
    State(f"{PREFIX}-as-of", "value"),
    prevent_initial_call=True,
)
def open_enterprise(cell: dict | None, as_of: str) -> str:
    """The enterprise page of the clicked row."""
    if not cell or not cell.get("rowId"):
        return dash.no_update
    return "/enterprise?" + urlencode({"id": cell["rowId"], "as_of": as_of})
