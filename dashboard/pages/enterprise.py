"""企业画像 Enterprise ("/enterprise?id=..."): profile, score and level over time, reasons, timeline."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.views.enterprise import FIND_LIMIT, enterprise_profile, enterprise_timeline, find_enterprises, score_history
from analytics.contract.errors import UserError
from analytics.snapshot.facts import HAZARD_STATES
from analytics.contract.schema import RISK_LEVELS, SECTORS, SIZES, STATUS, column_label
from dashboard import auth, figures, i18n
from dashboard.components.aggrid import ag_grid
from dashboard.components import data
from dashboard.components.language import register_language_switch
from dashboard.components.layout import level_badge, notice, page_frame, section
from dashboard.authz.scope import visible_enterprises
from dashboard.components.urlstate import register_url_sync

PREFIX = "enterprise"
dash.register_page(__name__, path="/enterprise", order=2, **i18n.page_names("enterprise"))
register_language_switch(PREFIX)
register_url_sync(PREFIX, [(f"{PREFIX}-id", "value", "id"), (f"{PREFIX}-as-of", "value", "as_of")])

PROFILE_COLUMNS = ("enterprise_id", "town_id", "sector", "size", "employees", "status", "established",
                   "hazardous_chemicals", "major_hazard_level", "dust_explosion", "confined_space",
                   "ammonia_refrigeration", "small_scattered")
CODE_TABLES = {"sector": SECTORS, "size": SIZES, "status": STATUS}


def layout(id: str | None = None, as_of: str | None = None, lang: str | None = None, **_query: object) -> html.Div:  # noqa: A002 (URL name)
    lang = i18n.current_lang(lang)
    dates = data.scored_dates()
    chosen = data.pick_as_of(as_of)
    title = i18n.t("enterprise.name", lang)
    if chosen is None:
        return page_frame(PREFIX, title, lang, None, as_of=chosen, dates=dates)
    picker = html.Div(
        [html.Label(i18n.t("enterprise.id", lang), htmlFor=f"{PREFIX}-id"),
         dcc.Input(id=f"{PREFIX}-id", value=id or "", debounce=True, type="text", className="search"),
         html.Label(i18n.t("enterprise.find", lang), htmlFor=f"{PREFIX}-find"),
         dcc.Input(id=f"{PREFIX}-find", value="", debounce=True, type="search", className="search"),
         html.Span(i18n.t("enterprise.pick", lang), className="hint")],
        className="toolbar",
    )
    return page_frame(PREFIX, title, lang, [
        picker,
        html.Div(id=f"{PREFIX}-matches"),
        html.Div(id=f"{PREFIX}-message"),
        html.Div(
            [
                section(i18n.t("enterprise.profile", lang), html.Div(id=f"{PREFIX}-profile")),
                section(i18n.t("enterprise.reasons", lang), html.Div(id=f"{PREFIX}-reasons")),
            ],
            className="grid-2",
        ),
        section(i18n.t("enterprise.history", lang), dcc.Graph(id=f"{PREFIX}-history", config={"displaylogo": False})),
        section(
            i18n.t("enterprise.timeline", lang),
            ag_grid(lang,
                id=f"{PREFIX}-timeline",
                columnDefs=[
                    {"field": "date", "headerName": i18n.t("enterprise.date", lang), "width": 140},
                    {"field": "kind_label", "headerName": i18n.t("enterprise.kind", lang), "width": 160},
                    {"field": "detail", "headerName": i18n.t("enterprise.detail", lang), "flex": 3, "minWidth": 300},
                    {"field": "state_label", "headerName": i18n.t("enterprise.state", lang), "width": 150,
                     "cellClassRules": {"state-overdue": "params.data.state == 'overdue'",
                                        "state-open": "params.data.state == 'open'"}},
                    {"field": "record_id", "headerName": i18n.t("enterprise.record_id", lang), "width": 150},
                ],
                rowData=[],
                defaultColDef={"sortable": True, "resizable": True, "filter": True},
                style={"height": "520px", "width": "100%", "fontSize": "16px"},
            ),
        ),
    ], as_of=chosen, dates=dates)


def _value_text(column: str, value: object, lang: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if column in CODE_TABLES:
        return i18n.label(CODE_TABLES[column], value, lang)
    if isinstance(value, bool):
        return i18n.t("yes" if value else "no", lang)
    if isinstance(value, pd.Timestamp):
        return i18n.date(value, lang)
    return str(value)


def profile_items(profile: dict, lang: str) -> html.Dl:
    items: list[object] = [html.Dt(column_label("enterprises", "name", lang)), html.Dd(str(profile["name"]))]
    for column in PROFILE_COLUMNS:
        value = profile["town_name"] if column == "town_id" else profile.get(column)
        items += [html.Dt(column_label("enterprises", column, lang)), html.Dd(_value_text(column, value, lang))]
    for count in ("inspections", "hazards", "major_hazards", "open_hazards", "overdue_hazards"):
        items += [html.Dt(i18n.t(f"enterprise.{count}", lang)), html.Dd(i18n.number(profile[count], lang))]
    return html.Dl(items, className="profile")


def stored_history(enterprise_id: str, lang: str) -> pd.DataFrame:
    """The enterprise's rows of every stored list (one read per scored date, each cached)."""
    lists = [data.risk_list(day, lang) for day in data.scored_dates()]
    lists = [frame.loc[frame["enterprise_id"].astype(str) == enterprise_id] for frame in lists]
    return score_history(pd.concat(lists, ignore_index=True), enterprise_id) if lists else pd.DataFrame()


@callback(
    Output(f"{PREFIX}-message", "children"),
    Output(f"{PREFIX}-profile", "children"),
    Output(f"{PREFIX}-reasons", "children"),
    Output(f"{PREFIX}-history", "figure"),
    Output(f"{PREFIX}-timeline", "rowData"),
    Input(f"{PREFIX}-id", "value"),
    Input(f"{PREFIX}-as-of", "value"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show_enterprise(enterprise_id: str | None, as_of: str, lang: str) -> tuple:
    """Everything the page shows about one enterprise, as known on the as-of date."""
    empty = figures.empty_figure(lang)
    enterprise_id = (enterprise_id or "").strip()
    if not enterprise_id:
        return notice(i18n.t("enterprise.pick", lang), PREFIX), None, None, empty, []
    day = data.pick_as_of(as_of)
    tables = data.enterprise_tables(enterprise_id)
    try:
        profile = enterprise_profile(tables, enterprise_id, day)
    except UserError as error:
        return notice(error.render(lang), PREFIX), None, None, empty, []
    # a typed id reads the firm's record as much as opening its page does
    auth.audit("view_enterprise", enterprise_id, as_of=None if day is None else f"{day:%Y-%m-%d}", via="callback")
    history = stored_history(enterprise_id, lang)
    today = history.loc[pd.to_datetime(history["as_of"]) == day] if len(history) else history
    if len(today):
        row = today.iloc[-1]
        reasons = html.Div(
            [
                html.Div([level_badge(str(row["risk_level"]), lang), " ", html.Strong(i18n.percent(row["score"], lang)),
                          f"  {i18n.t('enterprise.rank', lang)} {i18n.number(row['rank'], lang)}"]),
                html.Ul([html.Li(r) for r in _reasons(row.get("reasons"))], className="reasons"),
            ]
        )
    else:
        reasons = html.Div(i18n.t("enterprise.not_listed", lang), className="hint")
    timeline = enterprise_timeline(tables, enterprise_id, day, lang)
    rows = timeline.assign(
        date=timeline["date"].dt.strftime("%Y-%m-%d"),
        state_label=timeline["state"].map(i18n.labels(HAZARD_STATES, lang)).fillna(""),
    ).to_dict("records")
    levels = {c.code for c in RISK_LEVELS}
    history = history.loc[history["risk_level"].astype(str).isin(levels)] if len(history) else history
    return None, profile_items(profile, lang), reasons, figures.score_history_figure(history, lang), rows


@callback(
    Output(f"{PREFIX}-matches", "children"),
    Input(f"{PREFIX}-find", "value"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def find(text: str | None, lang: str) -> object:
    """Enterprises whose name contains ``text`` (that the user may see), each a link to its page
    showing name, town and id, so two firms of the same name can be told apart."""
    if not (text or "").strip():
        return None
    tables = data.tables()
    found = find_enterprises(tables["enterprises"], tables["towns"], text,
                             among=visible_enterprises(auth.current_user()))
    if found.empty:
        return html.Div(i18n.t("enterprise.no_match", lang, text=text.strip()), className="hint")
    sep = "、" if lang == "zh" else ", "
    links = [html.Li(dcc.Link(f"{name}{sep}{town}{sep}{eid}", href=f"/enterprise?id={eid}"))
             for eid, name, town in found.itertuples(index=False)]  # at most FIND_LIMIT links, not the county
    note = i18n.t("enterprise.matches", lang, n=len(found)) + (
        i18n.t("enterprise.matches_cut", lang, limit=FIND_LIMIT) if len(found) >= FIND_LIMIT else "")
    return html.Div([html.Div(note, className="hint"), html.Ul(links, className="matches")])


def _reasons(text: object) -> list[str]:
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return []
    return [part.strip() for part in pd.Series([str(text)]).str.split(r"[；;\n|]", regex=True).iloc[0] if part.strip()]
