"""检查组 Inspector ("/inspector"), made for a phone (390 px): the team's visits of today and before as
cards (firm, town, reason, open hazards, done or not); tap one, enter what was found with one-tap pickers.

An inspector sees only the own team's visits (``analytics.operations.plans_store.visits_for`` scopes by
``current_user().team`` and today); results go through ``analytics.operations.results.record_results``, which
checks them with the importer's rules, writes them and rescores the enterprise at once.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.contract.errors import UserError
from analytics.operations.plans_store import visits_for
from analytics.operations.results import open_hazards, record_results, visit_states
from analytics.operations.teams import natural_team_key
from analytics.contract.schema import HAZARD_CATEGORIES, HAZARD_LEVELS, column_label
from dashboard import auth, i18n
from dashboard.components import data
from dashboard.components.aggrid import ag_grid
from dashboard.components.grid import records
from dashboard.components.language import register_language_switch
from dashboard.components.layout import notice, page_frame, section

PREFIX = "inspector"
PICK = f"{PREFIX}-visit-pick"
RECTIFY = f"{PREFIX}-rectify"
BLANK_FINDINGS = 3
FINDING_FIELDS = ("level", "category", "deadline")
dash.register_page(__name__, path="/inspector", order=8, **i18n.page_names("inspector"))
register_language_switch(PREFIX)


def _labels(codes, lang: str) -> dict[str, str]:
    return {c.code: (c.zh if lang == "zh" else c.en) for c in codes}


def finding_id(field: str, number: int) -> str:
    return f"{PREFIX}-{field}-{number}"


def rectify_columns(lang: str) -> list[dict]:
    return [
        {"field": "hazard_id", "headerName": column_label("hazards", "hazard_id", lang), "width": 120},
        {"field": "level", "headerName": column_label("hazards", "level", lang), "width": 90},
        {"field": "deadline", "headerName": column_label("hazards", "deadline", lang), "width": 110},
        {"field": "rectified_date", "headerName": column_label("hazards", "rectified_date", lang) + " (2026-12-31)",
         "width": 170, "editable": True},
    ]


def _buttons(field: str, number: int, codes, lang: str) -> dcc.RadioItems:
    """A one-tap picker: radio items drawn as buttons; the first, "none", leaves the row empty."""
    options = [{"label": i18n.t("inspector.none_pick", lang), "value": ""},
               *({"label": label, "value": code} for code, label in _labels(codes, lang).items())]
    return dcc.RadioItems(id=finding_id(field, number), options=options, value="", inline=True,
                          className="tap-picker", labelClassName="tap-option", inputClassName="tap-input")


def _date_box(component_id: str) -> dcc.DatePickerSingle:
    """A date picker as the other pages have (YYYY-MM-DD, Chinese calendar on Chinese pages; ``page_frame``
    gives it the page's words), not the browser's own box, which writes mm/dd/yyyy in an en-US browser.
    On a phone the calendar opens over the page (portal), so it never widens the page past 390 px."""
    return dcc.DatePickerSingle(id=component_id, clearable=True, with_portal=True, className="tap-date")


def finding_block(number: int, lang: str) -> html.Fieldset:
    return html.Fieldset([
        html.Legend(i18n.t("inspector.finding_n", lang).format(n=number)),
        html.Div(column_label("hazards", "level", lang), className="field-label"),
        _buttons("level", number, HAZARD_LEVELS, lang),
        html.Div(column_label("hazards", "category", lang), className="field-label"),
        _buttons("category", number, HAZARD_CATEGORIES, lang),
        html.Label(column_label("hazards", "deadline", lang), htmlFor=finding_id("deadline", number), className="field-label"),
        _date_box(finding_id("deadline", number)),
    ], className="finding-block")


def layout(lang: str | None = None, **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    visits = visits_for(data.store(), auth.current_user())
    entry = section(
        i18n.t("inspector.entry", lang),
        html.Div(i18n.t("inspector.pick", lang), id=f"{PREFIX}-visit-info", className="notice"),
        html.Div([html.Label(i18n.t("inspector.date", lang), htmlFor=f"{PREFIX}-date"),
                  _date_box(f"{PREFIX}-date")], className="toolbar"),
        html.H3(i18n.t("inspector.findings", lang)),
        *(finding_block(n, lang) for n in range(1, BLANK_FINDINGS + 1)),
        html.H3(i18n.t("inspector.rectify", lang)),
        ag_grid(lang, id=RECTIFY, columnDefs=rectify_columns(lang), rowData=[], defaultColDef={"resizable": True},
                style={"height": "200px", "width": "100%", "fontSize": "16px"},
                dashGridOptions={"singleClickEdit": True, "stopEditingWhenCellsLoseFocus": True}),
        html.Button(i18n.t("inspector.save", lang), id=f"{PREFIX}-save", n_clicks=0, className="button primary tap-save"),
        html.Div(id=f"{PREFIX}-message", className="message inspector-message"),
        class_name="inspector-entry",
    )
    body = [
        html.Div(i18n.t("inspector.scope", lang), className="notice notice-secret"),
        section(i18n.t("inspector.visits", lang),
                *([] if len(visits) else [notice(i18n.t("inspector.none", lang), PREFIX)]),
                dcc.RadioItems(id=PICK, options=visit_cards(visits, lang), value=None, className="visit-cards",
                               labelClassName="visit-card-option", inputClassName="tap-input")),
        entry,
    ]
    return page_frame(PREFIX, i18n.t("inspector.title", lang), lang, body, url_state=False,
                      stores=[dcc.Store(id=f"{PREFIX}-visit")])


def visit_rows(visits: pd.DataFrame, lang: str) -> list[dict]:
    """The visits newest day first (teams in natural order), each with its firm's name and town, its
    reason, the firm's open hazards and whether its results are stored (``done``)."""
    if visits.empty:
        return []
    every = data.tables()["enterprises"].assign(enterprise_id=lambda f: f["enterprise_id"].astype(str)).set_index("enterprise_id")
    towns = every["town_id"].astype(str).map(data.town_names())
    states = visit_states(data.store(), visits).set_index("visit_id")
    ids = visits["visit_id"].astype(str)
    firms = visits["enterprise_id"].astype(str)
    rows = pd.DataFrame({
        "date": visits["date"].dt.strftime("%Y-%m-%d"), "team": visits["team"], "slot": visits["slot"],
        "name": firms.map(every["name"].astype(str)), "enterprise_id": firms,
        "address": firms.map(towns.fillna(every["town_id"].astype(str))),
        "reason": visits["reason_zh" if lang == "zh" else "reason_en"], "visit_id": ids,
        "open_hazards": ids.map(states["open_hazards"]).fillna(0).astype(int),
        "done": ids.map(states["done"]).fillna(False).astype(bool),
        "_team": natural_team_key(visits["team"]),  # 第2组 before 第10组
    }).sort_values(["date", "_team", "team", "slot"], ascending=[False, True, True, True])
    return records(rows.drop(columns="_team"))


def _card(row: dict, today: str, lang: str) -> html.Div:
    day = i18n.t("inspector.today", lang) if row["date"] == today else row["date"]
    state = i18n.t("inspector.done" if row["done"] else "inspector.not_done", lang)
    return html.Div([
        html.Div([html.Span(row["name"] or row["enterprise_id"], className="visit-firm"),
                  html.Span(state, className="visit-state " + ("visit-done" if row["done"] else "visit-open"))],
                 className="visit-head"),
        html.Div(f"{row['address']} · {row['enterprise_id']}", className="visit-address"),
        html.Div(i18n.t("inspector.reason_is", lang, reason=row["reason"]), className="visit-reason"),
        html.Div(f"{day} · {row['team']} · {i18n.t('inspector.open_hazards', lang)} {row['open_hazards']}",
                 className="visit-meta"),
    ], className="visit-card" + (" is-done" if row["done"] else ""))


def visit_cards(visits: pd.DataFrame, lang: str) -> list[dict]:
    """The visits as radio options drawn as cards: one tap opens a visit for results."""
    today = pd.Timestamp.today().strftime("%Y-%m-%d")
    return [{"label": _card(row, today, lang), "value": row["visit_id"]} for row in visit_rows(visits, lang)]


@callback(
    Output(f"{PREFIX}-visit", "data"),
    Output(f"{PREFIX}-visit-info", "children"),
    Output(f"{PREFIX}-date", "date"),
    Output(RECTIFY, "rowData"),
    Input(PICK, "value"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def open_visit(visit_id: str | None, lang: str) -> tuple:
    """The chosen visit (only one of the user's own) and its enterprise's open hazards."""
    if not visit_id:
        return None, i18n.t("inspector.pick", lang), None, []
    visits = visits_for(data.store(), auth.current_user())
    found = visits.loc[visits["visit_id"] == visit_id]
    if found.empty:
        return None, i18n.t("inspector.pick", lang), None, []
    visit = found.iloc[0]
    hazards = open_hazards(data.store(), visit["enterprise_id"])
    levels = _labels(HAZARD_LEVELS, lang)
    rows = pd.DataFrame({
        "hazard_id": hazards["hazard_id"].astype(str), "level": hazards["level"].astype(object).map(levels),
        "deadline": hazards["deadline"].dt.strftime("%Y-%m-%d"), "rectified_date": "",
    })
    name = data.tables()["enterprises"].set_index(data.tables()["enterprises"]["enterprise_id"].astype(str))["name"] \
        .get(str(visit["enterprise_id"]), visit["enterprise_id"])
    info = f"{i18n.t('firm_with_id', lang, name=name, id=visit['enterprise_id'])} · {visit['date']:%Y-%m-%d} · " \
           f"{visit['team']} · {visit['reason_zh' if lang == 'zh' else 'reason_en']}"
    return str(visit["visit_id"]), info, f"{visit['date']:%Y-%m-%d}", records(rows)


def form_findings(rows: list[dict] | None, lang: str) -> list[dict]:
    """The filled rows of the findings grid as contract values (labels back to codes)."""
    level = {v: k for k, v in _labels(HAZARD_LEVELS, lang).items()}
    category = {v: k for k, v in _labels(HAZARD_CATEGORIES, lang).items()}
    frame = pd.DataFrame(rows or [], columns=["level", "category", "deadline"]).fillna("")
    frame = frame.loc[(frame != "").any(axis=1)]
    return pd.DataFrame({"level": frame["level"].map(level).fillna(frame["level"]),
                         "category": frame["category"].map(category).fillna(frame["category"]),
                         "deadline": frame["deadline"]}).to_dict("records")


def _models_dir() -> str | None:
    """The app's model registry folder (``create_app`` config ``models_dir``), else the default."""
    import flask

    if not flask.has_app_context():
        return None
    return flask.current_app.extensions.get("saferank", {}).get("config", {}).get("models_dir")


@callback(
    Output(f"{PREFIX}-message", "children"),
    Output(PICK, "options"),
    Input(f"{PREFIX}-save", "n_clicks"),
    State(f"{PREFIX}-visit", "data"),
    State(f"{PREFIX}-date", "date"),
    *(State(finding_id(f, n), "date" if f == "deadline" else "value")
      for n in range(1, BLANK_FINDINGS + 1) for f in FINDING_FIELDS),
    State(RECTIFY, "rowData"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def save(_clicks: int, visit_id: str | None, day: str | None, *rest: object) -> tuple:
    """Record the results (checked like an import), then show the enterprise's new score and reasons and
    the cards again (the visit now done). ``rest``: level, category, deadline of each finding block, then
    the open hazards' rows and the language."""
    *picked, rectify, lang = rest
    findings = [dict(zip(FINDING_FIELDS, picked[i:i + len(FINDING_FIELDS)], strict=True))
                for i in range(0, len(picked), len(FINDING_FIELDS))]
    if not visit_id:
        return html.Div(i18n.t("inspector.pick", lang), className="error"), dash.no_update
    closing = [r for r in (rectify or []) if str(r.get("rectified_date") or "").strip()]
    try:
        report = record_results(data.store(), visit_id, date=day or None, findings=form_findings(findings, lang),
                                rectifications=closing, user=auth.current_user(), source=auth.source_address(),
                                models_dir=_models_dir())
    except UserError as error:
        return html.Div(error.render(lang), className="error"), dash.no_update
    data.clear()  # the pages' cached tables and lists now miss this visit
    cards = visit_cards(visits_for(data.store(), auth.current_user()), lang)
    return html.Div(report.render(lang), className="success"), cards
