"""检查组 Inspector ("/inspector"): the team's visits of today and before; open one, enter what was found.

An inspector sees only the own team's visits (``analytics.operations.plans_store.visits_for`` scopes by
``current_user().team`` and today); results go through ``analytics.operations.results.record_results``, which
checks them with the importer's rules, writes them and rescores the enterprise at once.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.contract.errors import UserError
from analytics.operations.plans_store import visits_for
from analytics.operations.results import open_hazards, record_results
from analytics.operations.teams import natural_team_key
from analytics.contract.schema import HAZARD_CATEGORIES, HAZARD_LEVELS, column_label
from dashboard import auth, i18n
from dashboard.components import data
from dashboard.components.aggrid import ag_grid
from dashboard.components.grid import records
from dashboard.components.language import register_language_switch
from dashboard.components.layout import notice, page_frame, section

PREFIX = "inspector"
VISITS = f"{PREFIX}-visits"
FINDINGS = f"{PREFIX}-findings"
RECTIFY = f"{PREFIX}-rectify"
BLANK_FINDINGS = 5
dash.register_page(__name__, path="/inspector", order=8, **i18n.page_names("inspector"))
register_language_switch(PREFIX)

def _labels(codes, lang: str) -> dict[str, str]:
    return {c.code: (c.zh if lang == "zh" else c.en) for c in codes}


def visit_columns(lang: str) -> list[dict]:
    return [
        {"field": "date", "headerName": column_label("inspections", "date", lang), "width": 130},
        {"field": "team", "headerName": column_label("inspections", "team", lang), "width": 100},
        {"field": "slot", "headerName": i18n.t("inspector.slot", lang), "width": 80},
        {"field": "name", "headerName": column_label("enterprises", "name", lang), "width": 220},
        {"field": "enterprise_id", "headerName": column_label("enterprises", "enterprise_id", lang), "width": 180},
        {"field": "reason", "headerName": i18n.t("inspector.reason", lang), "flex": 1, "minWidth": 260, "wrapText": True, "autoHeight": True},
        {"field": "visit_id", "hide": True},
    ]


def finding_columns(lang: str) -> list[dict]:
    def select(values: list[str]) -> dict:
        return {"editable": True, "cellEditor": "agSelectCellEditor", "cellEditorParams": {"values": ["", *values]}}

    return [
        {"field": "level", "headerName": column_label("hazards", "level", lang), "width": 160,
         **select(list(_labels(HAZARD_LEVELS, lang).values()))},
        {"field": "category", "headerName": column_label("hazards", "category", lang), "width": 180,
         **select(list(_labels(HAZARD_CATEGORIES, lang).values()))},
        {"field": "deadline", "headerName": column_label("hazards", "deadline", lang) + " (2026-12-31)", "width": 220,
         "editable": True},
    ]


def rectify_columns(lang: str) -> list[dict]:
    return [
        {"field": "hazard_id", "headerName": column_label("hazards", "hazard_id", lang), "width": 170},
        {"field": "level", "headerName": column_label("hazards", "level", lang), "width": 130},
        {"field": "found_date", "headerName": column_label("hazards", "found_date", lang), "width": 130},
        {"field": "deadline", "headerName": column_label("hazards", "deadline", lang), "width": 130},
        {"field": "rectified_date", "headerName": column_label("hazards", "rectified_date", lang) + " (2026-12-31)",
         "width": 220, "editable": True},
    ]


def _grid(grid_id: str, columns: list[dict], rows: list[dict], height: str, lang: str, **options: object) -> dag.AgGrid:
    return ag_grid(lang, id=grid_id, columnDefs=columns, rowData=rows, defaultColDef={"resizable": True},
                      style={"height": height, "width": "100%", "fontSize": "16px"}, **options)


def layout(lang: str | None = None, **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    visits = visits_for(data.store(), auth.current_user())
    entry = section(
        i18n.t("inspector.entry", lang),
        html.Div(i18n.t("inspector.pick", lang), id=f"{PREFIX}-visit-info", className="notice"),
        html.Div([html.Label(i18n.t("inspector.date", lang), htmlFor=f"{PREFIX}-date"), dcc.Input(id=f"{PREFIX}-date", type="date")],
                 className="toolbar"),
        html.H3(i18n.t("inspector.findings", lang)),
        _grid(FINDINGS, finding_columns(lang), [{"level": "", "category": "", "deadline": ""}] * BLANK_FINDINGS, "260px", lang,
              dashGridOptions={"singleClickEdit": True, "stopEditingWhenCellsLoseFocus": True}),
        html.H3(i18n.t("inspector.rectify", lang)),
        _grid(RECTIFY, rectify_columns(lang), [], "220px", lang,
              dashGridOptions={"singleClickEdit": True, "stopEditingWhenCellsLoseFocus": True}),
        html.Button(i18n.t("inspector.save", lang), id=f"{PREFIX}-save", n_clicks=0, className="button primary"),
        html.Div(id=f"{PREFIX}-message", className="message"),
    )
    body = [
        html.Div(i18n.t("inspector.scope", lang), className="notice notice-secret"),
        section(i18n.t("inspector.visits", lang),
                _grid(VISITS, visit_columns(lang), visit_rows(visits, lang), "420px", lang,
                      getRowId="params.data.visit_id", dashGridOptions={"rowSelection": "single"})
                if len(visits) else notice(i18n.t("inspector.none", lang), PREFIX)),
        entry,
    ]
    return page_frame(PREFIX, i18n.t("inspector.title", lang), lang, body, url_state=False,
                      stores=[dcc.Store(id=f"{PREFIX}-visit")])


def visit_rows(visits: pd.DataFrame, lang: str) -> list[dict]:
    names = data.tables()["enterprises"].assign(enterprise_id=lambda f: f["enterprise_id"].astype(str)) \
        .set_index("enterprise_id")["name"].astype(str)
    rows = pd.DataFrame({
        "date": visits["date"].dt.strftime("%Y-%m-%d"), "team": visits["team"], "slot": visits["slot"],
        "name": visits["enterprise_id"].map(names), "enterprise_id": visits["enterprise_id"],
        "reason": visits["reason_zh" if lang == "zh" else "reason_en"], "visit_id": visits["visit_id"],
        "_team": natural_team_key(visits["team"]),  # 第2组 before 第10组
    }).sort_values(["date", "_team", "team", "slot"], ascending=[False, True, True, True])
    return records(rows.drop(columns="_team"))


@callback(
    Output(f"{PREFIX}-visit", "data"),
    Output(f"{PREFIX}-visit-info", "children"),
    Output(f"{PREFIX}-date", "value"),
    Output(RECTIFY, "rowData"),
    Input(VISITS, "selectedRows"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def open_visit(selected: list[dict] | None, lang: str) -> tuple:
    """The chosen visit (only one of the user's own) and its enterprise's open hazards."""
    if not selected:
        return None, i18n.t("inspector.pick", lang), None, []
    visits = visits_for(data.store(), auth.current_user())
    found = visits.loc[visits["visit_id"] == selected[0].get("visit_id")]
    if found.empty:
        return None, i18n.t("inspector.pick", lang), None, []
    visit = found.iloc[0]
    hazards = open_hazards(data.store(), visit["enterprise_id"])
    levels = _labels(HAZARD_LEVELS, lang)
    rows = pd.DataFrame({
        "hazard_id": hazards["hazard_id"].astype(str), "level": hazards["level"].astype(object).map(levels),
        "found_date": hazards["found_date"].dt.strftime("%Y-%m-%d"), "deadline": hazards["deadline"].dt.strftime("%Y-%m-%d"),
        "rectified_date": "",
    })
    info = f"{selected[0].get('name') or visit['enterprise_id']}（{visit['enterprise_id']}） · {visit['date']:%Y-%m-%d} · " \
           f"{visit['team']} · {visit['reason_zh' if lang == 'zh' else 'reason_en']}"
    return (str(visit["visit_id"]), info, f"{visit['date']:%Y-%m-%d}",
            records(rows))


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
    Input(f"{PREFIX}-save", "n_clicks"),
    State(f"{PREFIX}-visit", "data"),
    State(f"{PREFIX}-date", "value"),
    State(FINDINGS, "rowData"),
    State(RECTIFY, "rowData"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def save(_clicks: int, visit_id: str | None, day: str | None, findings: list[dict] | None,
         rectify: list[dict] | None, lang: str) -> object:
    """Record the results (checked like an import), then show the enterprise's new score and reasons."""
    if not visit_id:
        return i18n.t("inspector.pick", lang)
    closing = [r for r in (rectify or []) if str(r.get("rectified_date") or "").strip()]
    try:
        report = record_results(data.store(), visit_id, date=day or None, findings=form_findings(findings, lang),
                                rectifications=closing, user=auth.current_user(), source=auth.source_address(),
                                models_dir=_models_dir())
    except UserError as error:
        return html.Pre(error.render(lang), className="error")
    data.clear()  # the pages' cached tables and lists now miss this visit
    return html.Pre(report.render(lang), className="success")
