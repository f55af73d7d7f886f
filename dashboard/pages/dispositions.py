"""三个一批 ("/dispositions"): the recommended batch per red/orange firm with its evidence; a person confirms or changes it."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.operations import dispositions
from analytics.contract.errors import UserError
from dashboard import auth, i18n
from dashboard.components.aggrid import ag_grid
from dashboard.components.grid import records
from dashboard.components import data
from dashboard.components.language import register_language_switch
from dashboard.components.layout import page_frame, section
from dashboard.components.urlstate import as_list, register_url_sync

PREFIX = "dispositions"
GRID = f"{PREFIX}-grid"
dash.register_page(__name__, path="/dispositions", order=6, **i18n.page_names("dispositions"))
register_language_switch(PREFIX)
register_url_sync(PREFIX, [(f"{PREFIX}-as-of", "value", "as_of"), (f"{PREFIX}-batch", "value", "batch")])

def columns(lang: str) -> list[dict]:
    def header(field: str) -> str:
        zh, en = dispositions.COLUMN_LABELS[field]
        return zh if lang == "zh" else en

    widths = {"enterprise_id": 150, "name": 200, "town_name": 110, "sector": 150, "risk_level": 100, "rank": 80,
              "score": 100, "recommended": 110, "decision": 110, "state": 100, "evidence": 320, "deadline": 120,
              "follow_up_date": 120, "penalties": 300, "decided_by": 100, "decided_at": 120, "note": 160}
    # one line per row (the selected firm's evidence is read whole in the panel beside the grid)
    return [{"field": field, "headerName": header(field), "width": widths[field],
             **({"pinned": "left"} if field == "name" else {}), **({"tooltipField": field} if field == "evidence" else {})}
            for field in dispositions.COLUMN_LABELS]


def layout(as_of: str | None = None, lang: str | None = None, batch: str | None = None, **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    dates = data.scored_dates()
    chosen = data.pick_as_of(as_of)
    if chosen is None:
        return page_frame(PREFIX, i18n.t("dispositions.title", lang), lang, None, as_of=chosen, dates=dates,
                          stores=_stores())
    picked = [b for b in as_list(batch) if b in dispositions.BATCH_CODES] or list(dispositions.BATCH_CODES)
    decide = html.Div([
        html.Span(i18n.t("dispositions.selected", lang), className="field-label"),
        html.Span(i18n.t("dispositions.none", lang), id=f"{PREFIX}-selected", className="selected-name"),
        html.Label(i18n.t("dispositions.decision", lang), htmlFor=f"{PREFIX}-decision"),
        dcc.Dropdown(id=f"{PREFIX}-decision", options=i18n.options(dispositions.BATCHES, lang), clearable=False,
                     style={"minWidth": "160px"}),
        dcc.Input(id=f"{PREFIX}-note", type="text", placeholder=i18n.t("dispositions.note", lang), debounce=True, maxLength=500,
                  style={"width": "280px"}),
        html.Button(i18n.t("dispositions.save", lang), id=f"{PREFIX}-save", n_clicks=0, className="button primary"),
        html.Div(id=f"{PREFIX}-message", className="message"),
    ], className="toolbar")
    body = [
        html.P(i18n.t("dispositions.how", lang), className="hint"),
        html.Div([
            html.Label(i18n.t("dispositions.batch", lang)),
            dcc.Checklist(id=f"{PREFIX}-batch", options=i18n.options(dispositions.BATCHES, lang), value=picked,
                          inline=True, inputClassName="lang-input"),
            html.Button(i18n.t("dispositions.export", lang), id=f"{PREFIX}-export", n_clicks=0, className="button"),
            html.Span(id=f"{PREFIX}-count", className="count"),
        ], className="toolbar"),
        decide,
        section(i18n.t("dispositions.title", lang), html.Div([
            html.Div(ag_grid(lang,
                id=GRID, columnDefs=columns(lang), rowData=[], getRowId="params.data.enterprise_id",
                defaultColDef={"sortable": True, "resizable": True, "filter": True},
                dashGridOptions={"rowSelection": {"mode": "singleRow", "enableClickSelection": True}, "pagination": True,
                                 "paginationPageSize": 50, "rowHeight": 34},
                style={"height": "640px", "width": "100%", "fontSize": "15px"}), style={"flex": "2 1 560px", "minWidth": 0}),
            html.Aside(evidence_panel(None, lang), id=f"{PREFIX}-evidence", className="evidence-panel",
                       style={"flex": "1 1 320px", "maxHeight": "640px", "overflowY": "auto", "padding": "0 12px",
                              "borderLeft": "1px solid #ddd", "overflowWrap": "anywhere"}),
        ], style={"display": "flex", "flexWrap": "wrap", "gap": "12px", "alignItems": "flex-start"})),
    ]
    return page_frame(PREFIX, i18n.t("dispositions.title", lang), lang, body, as_of=chosen, dates=dates, stores=_stores())


def evidence_panel(row: dict | None, lang: str) -> list:
    """The selected firm's evidence, read whole beside the grid: who, the batch, each fact the rules read,
    the penalties, the deadline; and the closure rule with its source."""
    def label(field: str) -> str:
        return dispositions.COLUMN_LABELS[field][0 if lang == "zh" else 1]

    rule = [html.P(dispositions.closure_rule(lang), className="hint")]
    if not row:
        return [html.H4(i18n.t("dispositions.evidence_title", lang)), html.P(i18n.t("dispositions.evidence_none", lang)), *rule]
    facts = [part for part in str(row.get("evidence") or "").split("；") if part]
    details = [(field, row.get(field)) for field in ("town_name", "risk_level", "rank", "recommended", "decision",
                                                     "deadline", "follow_up_date", "penalties") if row.get(field) not in (None, "")]
    return [  # the evidence first: it is what the decision is taken on
        html.H4(i18n.t("dispositions.firm", lang, name=row.get("name", ""), id=row.get("enterprise_id", "")),
                style={"margin": "4px 0"}),
        html.H5(label("evidence"), style={"margin": "8px 0 4px"}),
        html.Ul([html.Li(fact) for fact in facts], style={"margin": "0", "paddingLeft": "20px"}),
        html.P([item for field, value in details for item in (html.B(label(field) + " "), str(value) + "  ")],
               style={"lineHeight": "1.7"}),
        *rule,
    ]


def _stores() -> list:
    return [dcc.Store(id=f"{PREFIX}-saved", data=0), dcc.Download(id=f"{PREFIX}-download")]


def campaign_list(as_of: str | None, lang: str) -> pd.DataFrame:
    """The campaign list of the chosen date, with the stored decisions read fresh."""
    day = data.pick_as_of(as_of)
    snapshot = data.snapshot(day)
    facts = data.summary("dispositions-facts", day,
                         lambda: dispositions.enterprise_facts(snapshot, None, dispositions.DispositionRules()))
    return dispositions.disposition_list(data.store(), None, user=auth.current_user(), tables=snapshot,
                                         risk_list=data.risk_list(day, lang), facts=facts)


@callback(
    Output(GRID, "rowData"),
    Output(f"{PREFIX}-count", "children"),
    Input(f"{PREFIX}-as-of", "value"),
    Input(f"{PREFIX}-batch", "value"),
    Input(f"{PREFIX}-saved", "data"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show_rows(as_of: str, batches: list[str], _saved: int, lang: str) -> tuple[list[dict], str]:
    whole = campaign_list(as_of, lang)
    frame = whole.loc[whole["decision"].isin(batches or [])]
    rows = dispositions.labelled(frame, lang)
    rows.columns = list(dispositions.COLUMN_LABELS)
    shares = i18n.t("dispositions.shares", lang, total=len(whole), shares=dispositions.share_text(whole, lang))
    return records(rows), i18n.t("dispositions.count", lang, total=len(rows)) + " · " + shares


@callback(
    Output(f"{PREFIX}-evidence", "children"),
    Input(GRID, "selectedRows"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show_evidence(selected: list[dict] | None, lang: str) -> list:
    """The evidence panel of the selected row (the grid's row as shown: labels, not codes)."""
    return evidence_panel((selected or [None])[0], lang)


@callback(
    Output(f"{PREFIX}-selected", "children"),
    Output(f"{PREFIX}-decision", "value"),
    Output(f"{PREFIX}-note", "value"),
    Input(GRID, "selectedRows"),
    State(f"{PREFIX}-lang-store", "data"),
)
def pick(selected: list[dict] | None, lang: str) -> tuple[str, str | None, str]:
    """The selected firm, its current decision (as a code) and note."""
    if not selected:
        return i18n.t("dispositions.none", lang), None, ""
    row = selected[0]
    by_label = {(c.zh if lang == "zh" else c.en): c.code for c in dispositions.BATCHES}
    return i18n.t("firm_with_id", lang, name=row["name"], id=row["enterprise_id"]), by_label.get(row["decision"]), row.get("note") or ""


@callback(
    Output(f"{PREFIX}-message", "children"),
    Output(f"{PREFIX}-saved", "data"),
    Input(f"{PREFIX}-save", "n_clicks"),
    State(GRID, "selectedRows"),
    State(f"{PREFIX}-decision", "value"),
    State(f"{PREFIX}-note", "value"),
    State(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-saved", "data"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def save(_clicks: int, selected: list[dict] | None, decision: str | None, note: str | None, as_of: str,
         saved: int, lang: str) -> tuple[str, int]:
    """Store the person's decision (who and when come from the session) and reload the rows."""
    row = (selected or [{}])[0]
    by_label = {label: code for c in dispositions.BATCHES for label, code in ((c.zh, c.code), (c.en, c.code))}
    try:
        dispositions.confirm(data.store(), row.get("enterprise_id", ""), decision or "", user=auth.current_user(),
                             recommended=by_label.get(row.get("recommended")), as_of=data.pick_as_of(as_of),
                             note=note or "", source=_source())
    except UserError as error:
        return error.render(lang), dash.no_update
    label = i18n.label(dispositions.BATCHES, decision, lang)
    return i18n.t("dispositions.saved", lang, name=row.get("name", ""), batch=label), (saved or 0) + 1


def _source() -> str | None:
    try:
        import flask

        return flask.request.remote_addr
    except RuntimeError:  # outside a request (tests)
        return None


@callback(
    Output(f"{PREFIX}-download", "data"),
    Input(f"{PREFIX}-export", "n_clicks"),
    State(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def export(_clicks: int, as_of: str, lang: str) -> dict:
    frame = campaign_list(as_of, lang)
    day = data.pick_as_of(as_of)
    auth.audit("export_list", f"dispositions:{day:%Y-%m-%d}", rows=len(frame))
    return dcc.send_bytes(dispositions.excel_bytes(frame, lang=lang), f"dispositions_{day:%Y%m%d}.xlsx")
