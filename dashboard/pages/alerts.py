"""预警 ("/alerts"): what turned urgent since a day, with reason, town, team and state; the digest.

The feed is ``analytics.operations.alerts.feed_from_store`` for the signed-in user (an inspector sees
the warnings of the own team's towns only; the scoping is the analytics function's). The office and
inspectors change a warning's state (``set_state``: audited, and an inspector only on a warning of
the feed the server computed for them); leaders read.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.contract.errors import UserError
from analytics.contract.exports import county_of
from analytics.operations import alerts as feed_module
from analytics.snapshot.snapshot import AsOf
from analytics.store.alerts import ALERT_STATES
from analytics.store.database import latest_record_date
from dashboard import auth, i18n
from dashboard.components import data
from dashboard.components.aggrid import ag_grid
from dashboard.components.grid import records
from dashboard.components.language import register_language_switch
from dashboard.components.layout import page_frame, section
from dashboard.components.urlstate import register_url_sync
from dashboard.context import get_store

PREFIX = "alerts"
WINDOW_DAYS = 7
FIELDS = ("date", "kind", "enterprise_name", "town_name", "team", "reason", "confidence", "state", "changed_by")
dash.register_page(__name__, path="/alerts", order=10, **i18n.page_names("alerts"))
register_language_switch(PREFIX)
register_url_sync(PREFIX, [(f"{PREFIX}-since", "date", "since"), (f"{PREFIX}-as-of", "date", "until")])


def columns(lang: str) -> list[dict]:
    widths = {"reason": 520, "enterprise_name": 180, "kind": 170}
    return [{"field": f, "headerName": i18n.t(f"alerts.col.{f}", lang), "width": widths.get(f, 110),
             **({"wrapText": True, "autoHeight": True} if f == "reason" else {})} for f in FIELDS]


def window(since: str | None, as_of: str | None) -> tuple[AsOf, AsOf]:
    """The requested days, else the ``WINDOW_DAYS`` up to the newest inspection."""
    end = AsOf.parse(as_of) if as_of else AsOf.parse(latest_record_date(get_store()))
    start = AsOf.parse(since) if since else end.plus(-WINDOW_DAYS)
    return start, end


def feed(since: str | None, as_of: str | None) -> pd.DataFrame:
    start, end = window(since, as_of)
    return feed_module.feed_from_store(get_store(), end, start, user=auth.current_user())


def shown(frame: pd.DataFrame, lang: str) -> list[dict]:
    kinds, states = i18n.labels(feed_module.WARNING_KINDS, lang), i18n.labels(ALERT_STATES, lang)
    out = pd.DataFrame({
        "alert_id": frame["alert_id"], "date": pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d"),
        "kind": frame["kind"].map(kinds), "enterprise_name": frame["enterprise_name"], "town_name": frame["town_name"],
        "team": frame["team"], "reason": frame["reason_zh"] if lang == "zh" else frame["reason_en"],
        "confidence": frame["confidence"].astype(float).round(2), "state": frame["state"].map(states),
        "changed_by": frame["changed_by"],
    })
    return records(out)


def layout(since: str | None = None, until: str | None = None, lang: str | None = None, **_query: object) -> html.Div:
    """``since`` and ``until``: the window's days from the address (``as_of`` is the scored-date picker's
    key elsewhere, so the last day has a name of its own here)."""
    lang = i18n.current_lang(lang)
    as_of = until
    title = i18n.t("alerts.title", lang)
    extra = [dcc.Download(id=f"{PREFIX}-download"), dcc.Store(id=f"{PREFIX}-refresh", data=0)]
    try:
        start, end = window(since, as_of)
    except UserError:
        return page_frame(PREFIX, title, lang, None, stores=extra, empty=i18n.t("alerts.no_data", lang))
    user = auth.current_user()
    editor = user is not None and user.can("alerts_edit")
    controls = [
        html.Label(i18n.t("alerts.state", lang), htmlFor=f"{PREFIX}-state"),
        dcc.Dropdown(id=f"{PREFIX}-state", options=i18n.options(ALERT_STATES[1:], lang), value="acknowledged",
                     clearable=False, style={"width": "160px"}),
        dcc.Input(id=f"{PREFIX}-note", placeholder=i18n.t("alerts.note", lang), maxLength=500, type="text"),
        html.Button(i18n.t("alerts.apply", lang), id=f"{PREFIX}-apply", n_clicks=0, className="button"),
    ]
    return page_frame(PREFIX, title, lang, [
        html.P(i18n.t("alerts.how", lang), className="page-note"),
        html.Div([
            html.Label(i18n.t("alerts.since", lang), htmlFor=f"{PREFIX}-since"),
            dcc.DatePickerSingle(id=f"{PREFIX}-since", date=start.iso, display_format="YYYY-MM-DD"),
            html.Label(i18n.t("alerts.as_of", lang), htmlFor=f"{PREFIX}-as-of"),
            dcc.DatePickerSingle(id=f"{PREFIX}-as-of", date=end.iso, display_format="YYYY-MM-DD"),
            html.Button(i18n.t("alerts.digest", lang), id=f"{PREFIX}-export", n_clicks=0, className="button"),
        ], className="toolbar"),
        html.Div(id=f"{PREFIX}-count", className="headline"),
        html.Div(controls if editor else [], className="toolbar", style={} if editor else {"display": "none"}),
        html.Div(id=f"{PREFIX}-message", className="message"),
        section(i18n.t("alerts.title", lang), ag_grid(
            lang, id=f"{PREFIX}-grid", columnDefs=columns(lang), rowData=[], getRowId="params.data.alert_id",
            defaultColDef={"sortable": True, "resizable": True, "filter": True},
            dashGridOptions={"rowSelection": "single"},
            style={"height": "560px", "width": "100%", "fontSize": "15px"})),
    ], stores=extra)


@callback(
    Output(f"{PREFIX}-grid", "rowData"),
    Output(f"{PREFIX}-count", "children"),
    Input(f"{PREFIX}-since", "date"),
    Input(f"{PREFIX}-as-of", "date"),
    Input(f"{PREFIX}-refresh", "data"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show(since: str | None, as_of: str | None, _refresh: int, lang: str) -> tuple[list[dict], str]:
    try:
        frame = feed(since, as_of)
    except UserError as error:
        return [], error.render(lang)
    return shown(frame, lang), i18n.t("alerts.count", lang, total=len(frame), new=int((frame["state"] == "new").sum()))


@callback(
    Output(f"{PREFIX}-message", "children"),
    Output(f"{PREFIX}-refresh", "data"),
    Input(f"{PREFIX}-apply", "n_clicks"),
    State(f"{PREFIX}-grid", "selectedRows"),
    State(f"{PREFIX}-state", "value"),
    State(f"{PREFIX}-note", "value"),
    State(f"{PREFIX}-since", "date"),
    State(f"{PREFIX}-as-of", "date"),
    State(f"{PREFIX}-refresh", "data"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def update(_clicks: int, selected: list[dict] | None, state: str, note: str | None, since: str | None,
           as_of: str | None, refresh: int | None, lang: str) -> tuple[str, int]:
    if not selected:
        return i18n.t("alerts.pick", lang), dash.no_update
    alert_id = str(selected[0].get("alert_id") or "")
    try:
        current = feed(since, as_of)  # computed here, for this user: the ids an inspector may change
        feed_module.set_state(get_store(), alert_id, state, auth.current_user(), note=(note or None),
                              source=auth.source_address(), feed=current)
    except UserError as error:
        return error.render(lang), dash.no_update
    return i18n.t("alerts.done", lang, alert_id=alert_id, state=i18n.label(ALERT_STATES, state, lang)), (refresh or 0) + 1


@callback(
    Output(f"{PREFIX}-download", "data"),
    Input(f"{PREFIX}-export", "n_clicks"),
    State(f"{PREFIX}-since", "date"),
    State(f"{PREFIX}-as-of", "date"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def export(_clicks: int, since: str | None, as_of: str | None, lang: str) -> dict:
    try:
        start, end = window(since, as_of)
        frame = feed(since, as_of)
    except UserError:
        return dash.no_update
    auth.audit("export_list", "alerts", since=start.iso, as_of=end.iso)
    county = county_of(data.town_names())
    return dcc.send_bytes(lambda buffer: feed_module.write_digest(frame, buffer, lang, start, end, county),
                          f"alerts_{start.ts:%Y%m%d}_{end.ts:%Y%m%d}.xlsx")
