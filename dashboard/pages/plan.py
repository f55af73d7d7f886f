"""检查计划 Plan ("/plan"): set the rules, draw a plan, see it by team and day (route order, km) and on the
town map, the follow-ups left to evidence review, export it. Re-drawing the same dates makes a new
version unless "replace" is ticked (``plans_store.save_plan``).

Plans are confidential (四不两直). The auth seam lets the office and leaders open this page; what
each sees is scoped in ``analytics.operations.plans_store.visits_for`` (a leader no plan before its day). Only the
office (permission ``plans_edit``) may draw a plan; exports need ``plans_export`` and are audited.
"""

from __future__ import annotations

import base64
import io

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.accounts import users as accounts
from analytics.contract.errors import UserError
from analytics.contract.exports import export_filename
from analytics.operations.plan_export import plan_html, printable_evidence, printable_visits, write_plan_xlsx
from analytics.operations.planning import VISIT_REASONS, PlanRules
from analytics.operations.plans_store import create_plan, list_plans, read_evidence, visits_for
from analytics.contract.schema import SECTORS
from analytics.operations.teams import natural_team_key, read_teams
from dashboard import auth, figures, i18n
from dashboard.components.aggrid import ag_grid
from dashboard.components.grid import records
from dashboard.components import data
from dashboard.components.language import register_language_switch
from dashboard.components.layout import notice, page_frame, section

PREFIX = "plan"
GRID = f"{PREFIX}-grid"
MAP_CONFIG = {"displaylogo": False, "scrollZoom": False, "topojsonURL": "/assets/topojson/"}  # served here, offline
dash.register_page(__name__, path="/plan", order=7, **i18n.page_names("plan"))
register_language_switch(PREFIX)

def columns(lang: str) -> list[dict]:
    sample = printable_visits(pd.DataFrame(columns=["date", "team", "slot", "enterprise_id", "town_id", "sector", "score",
                                                    "rank", "reason_zh", "reason_en", "hazard_ids"]), data_tables(), lang)
    widths = [120, 90, 70, 170, 200, 110, 150, 100, 80, 320, 200, 130]  # the last: km from the previous stop
    extra = {1: {"comparator": {"function": TEAM_COMPARATOR}},  # 第2组 before 第10组
             7: {"valueFormatter": {"function": "d3.format('.1%')(params.value)"}, "type": "rightAligned"},  # a probability
             9: {"wrapText": True, "autoHeight": True}}
    return [{"field": f"c{i}", "headerName": name, "width": w, **extra.get(i, {})}
            for i, (name, w) in enumerate(zip(sample.columns, widths, strict=True))]


# AG Grid's sort of the team column: by the number in the name (第2组 before 第10组), then by the name.
TEAM_COMPARATOR = ("(Number((String(valueA).match(/[0-9]+/) || ['1e9'])[0]) - Number((String(valueB).match(/[0-9]+/) || ['1e9'])[0]))"
                   " || String(valueA).localeCompare(String(valueB))")


def data_tables() -> dict[str, pd.DataFrame]:
    return data.tables()


def layout(lang: str | None = None, plan_id: str | None = None, **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    user = auth.current_user()
    plans = list_plans(data.store(), user)  # a leader: only plans that have begun
    body: list = [html.Div(i18n.t("plan.secret", lang), className="notice notice-secret", id=f"{PREFIX}-secret")]
    if user is not None and user.role == "leader":
        body.append(html.Div(i18n.t("plan.leader_scope", lang), className="notice"))
    if accounts.can(user, "plans_edit"):
        body.append(rules_form(lang))
    options = plan_options(plans, lang)
    chosen = plan_id if plan_id in set(plans["plan_id"]) else (options[0]["value"] if options else None)
    pickers = html.Div([
        html.Label(i18n.t("plan.plan", lang), htmlFor=f"{PREFIX}-id"),
        dcc.Dropdown(id=f"{PREFIX}-id", options=options, value=chosen, clearable=False, style={"minWidth": "320px"}),
        html.Label(i18n.t("plan.team", lang), htmlFor=f"{PREFIX}-team"),
        dcc.Dropdown(id=f"{PREFIX}-team", options=[], value=None, placeholder=i18n.t("plan.all", lang), style={"minWidth": "120px"}),
        html.Label(i18n.t("plan.date", lang), htmlFor=f"{PREFIX}-date"),
        dcc.Dropdown(id=f"{PREFIX}-date", options=[], value=None, placeholder=i18n.t("plan.all", lang), style={"minWidth": "140px"}),
        *([html.Button(i18n.t("plan.export", lang), id=f"{PREFIX}-export", n_clicks=0, className="button"),
           html.Button(i18n.t("plan.print", lang), id=f"{PREFIX}-print", n_clicks=0, className="button")]
          if accounts.can(user, "plans_export") else []),
    ], className="toolbar")
    body += [
        section(i18n.t("plan.plan", lang), pickers, html.Div(id=f"{PREFIX}-summary", className="plan-summary"),
                html.Div(notice(i18n.t("plan.no_plans", lang), PREFIX) if not options else None, id=f"{PREFIX}-empty")),
        html.Div([
            section(i18n.t("plan.expected", lang), dcc.Graph(id=f"{PREFIX}-expected", config={"displaylogo": False})),
            section(i18n.t("plan.map", lang), dcc.Graph(id=f"{PREFIX}-map", config=MAP_CONFIG)),
        ], className="two-columns"),
        section(i18n.t("plan.evidence", lang), html.Div(id=f"{PREFIX}-evidence")),
        section(i18n.t("plan.team", lang) + " × " + i18n.t("plan.date", lang),
                ag_grid(lang, id=GRID, columnDefs=columns(lang), rowData=[],
                           defaultColDef={"sortable": True, "resizable": True, "filter": True},
                           dashGridOptions={"pagination": True, "paginationPageSize": 60},
                           style={"height": "620px", "width": "100%", "fontSize": "16px"})),
    ]
    return page_frame(PREFIX, i18n.t("plan.title", lang), lang, body, url_state=False,
                      stores=[dcc.Download(id=f"{PREFIX}-download")])


def plan_options(plans: pd.DataFrame, lang: str) -> list[dict]:
    """The plan picker's options: id, dates, version, and whether a newer version superseded it."""
    version = plans["version"].fillna(1).astype(int) if "version" in plans else pd.Series(1, index=plans.index)
    later = plans["superseded_by"].notna() if "superseded_by" in plans else pd.Series(False, index=plans.index)
    mark = i18n.t("plan.superseded", lang)
    return [{"label": f"{p} · {s:%Y-%m-%d} +{d} · v{v}" + (f" · {mark}" if old else ""), "value": p}
            for p, s, d, v, old in zip(plans["plan_id"], pd.to_datetime(plans["start"]), plans["days"], version, later,
                                       strict=True)]


def rules_form(lang: str) -> html.Section:
    defaults = PlanRules()

    def field(key: str, control: object) -> html.Div:
        return html.Div([html.Label(i18n.t(f"plan.{key}", lang), htmlFor=control.id), control], className="field")

    return section(i18n.t("plan.rules", lang), html.Div([
        field("start", dcc.DatePickerSingle(id=f"{PREFIX}-start", clearable=True)),  # not the browser's mm/dd/yyyy box
        field("days", dcc.Input(id=f"{PREFIX}-days", type="number", min=1, max=90, step=1, value=20)),
        field("random_share", dcc.Input(id=f"{PREFIX}-random-share", type="number", min=0, max=1, step=0.05,
                                        value=defaults.random_share, style={"width": "90px"})),
        field("skip", dcc.Input(id=f"{PREFIX}-skip", type="number", min=0, step=1, value=defaults.skip_recent_days)),
        field("min_town", dcc.Input(id=f"{PREFIX}-min-town", type="number", min=0, step=1, value=0)),
        field("quota_sectors", dcc.Dropdown(id=f"{PREFIX}-quota-sectors", options=i18n.options(SECTORS, lang), multi=True,
                                            style={"minWidth": "260px"})),
        field("quota", dcc.Input(id=f"{PREFIX}-quota", type="number", min=0, step=1, value=0)),
        field("follow_up_share", dcc.Input(id=f"{PREFIX}-follow-share", type="number", min=0, max=1, step=0.05,
                                           value=defaults.follow_up_share, style={"width": "90px"})),
        field("red_cycle", dcc.Input(id=f"{PREFIX}-red-cycle", type="number", min=1, max=3650, step=1,
                                     value=defaults.cycle_days["red"], style={"width": "90px"})),
        field("orange_cycle", dcc.Input(id=f"{PREFIX}-orange-cycle", type="number", min=1, max=3650, step=1,
                                        value=defaults.cycle_days["orange"], style={"width": "90px"})),
        field("seed", dcc.Input(id=f"{PREFIX}-seed", type="number", step=1, min=0, max=2**32 - 1)),
        html.Div([dcc.Upload(html.Button(i18n.t("plan.teams_file", lang), className="button"), id=f"{PREFIX}-teams-file",
                             accept=".csv,.xlsx"),
                  html.Span(i18n.t("plan.default_teams", lang), id=f"{PREFIX}-teams-name", className="field-label")],
                 className="field"),
        dcc.Checklist(id=f"{PREFIX}-replace", options=[{"label": i18n.t("plan.replace", lang), "value": "replace"}],
                      value=[]),
        html.Button(i18n.t("plan.build", lang), id=f"{PREFIX}-build", n_clicks=0, className="button primary"),
        html.Div(id=f"{PREFIX}-message", className="message"),
    ], className="toolbar wrap"))


@callback(
    Output(f"{PREFIX}-id", "options"),
    Output(f"{PREFIX}-id", "value"),
    Output(f"{PREFIX}-message", "children"),
    Input(f"{PREFIX}-build", "n_clicks"),
    State(f"{PREFIX}-start", "date"),
    State(f"{PREFIX}-days", "value"),
    State(f"{PREFIX}-random-share", "value"),
    State(f"{PREFIX}-skip", "value"),
    State(f"{PREFIX}-min-town", "value"),
    State(f"{PREFIX}-quota-sectors", "value"),
    State(f"{PREFIX}-quota", "value"),
    State(f"{PREFIX}-seed", "value"),
    State(f"{PREFIX}-lang-store", "data"),
    State(f"{PREFIX}-teams-file", "contents"),
    State(f"{PREFIX}-teams-file", "filename"),
    State(f"{PREFIX}-follow-share", "value"),
    State(f"{PREFIX}-red-cycle", "value"),
    State(f"{PREFIX}-orange-cycle", "value"),
    State(f"{PREFIX}-replace", "value"),
    prevent_initial_call=True,
)
def draw(_clicks: int, start: str | None, days: int | None, share: float | None, skip: int | None, min_town: int | None,
         quota_sectors: list | None, quota: int | None, seed: int | None, lang: str, teams_file: str | None = None,
         teams_name: str | None = None, follow_share: object = PlanRules.follow_up_share, red_cycle: object = 30,
         orange_cycle: object = 90, replace: list | None = None) -> tuple:
    """Draw and store a plan with the form's rules and team file (office only); the new plan becomes the shown
    one. A plan of the same dates is versioned, or replaced when "replace" is ticked."""
    user = auth.current_user()
    try:
        accounts.require(user, "plans_edit")
        teams = None
        if teams_file:
            towns = data_tables()["towns"]["town_id"].astype(str).tolist()
            teams = read_teams(teams_name or "teams.csv", towns, content=base64.b64decode(teams_file.split(",", 1)[-1]))
        first_day, days, share, skip, min_town, quota = checked_form(start, days, share, skip, min_town, quota, quota_sectors)
        follow_share, red_cycle, orange_cycle = checked_practice(follow_share, red_cycle, orange_cycle)
        rules = PlanRules(random_share=share, skip_recent_days=skip, min_visits_per_town=min_town,
                          sector_quotas={s: quota for s in (quota_sectors or []) if quota}, follow_up_share=follow_share,
                          cycle_days={"red": red_cycle, "orange": orange_cycle})
        plan, _ = create_plan(data.store(), first_day, days, teams=teams, rules=rules,
                              seed=None if seed in (None, "") else int(seed), created_by=user.username,
                              replace="replace" in (replace or []))
    except UserError as error:
        return dash.no_update, dash.no_update, html.Span(error.render(lang), className="error")
    auth.audit("plan", plan.plan_id, start=f"{plan.start:%Y-%m-%d}", days=plan.days, seed=plan.seed,
               visits=len(plan.visits), teams_file=teams_name if teams_file else None, version=plan.version,
               redraw=plan.redraw, supersedes=plan.supersedes)
    built = i18n.t("plan.built", lang, plan_id=plan.plan_id)
    if plan.supersedes:
        built += " " + i18n.t("plan.replaced" if plan.redraw == "replace" else "plan.versioned", lang,
                              version=plan.version, old=plan.supersedes)
    return plan_options(list_plans(data.store(), user), lang), plan.plan_id, built


def _refuse(key: str, **values: object) -> UserError:
    return UserError(i18n.t(key, "zh", **values), i18n.t(key, "en", **values))


def _whole(value: object, low: int, high: float = float("inf")) -> int | None:
    """``value`` as an int in ``[low, high]``; None when empty, fractional or out of range."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() and low <= number <= high else None


def checked_form(start: str | None, days: object, share: object, skip: object, min_town: object, quota: object,
                 quota_sectors: list | None) -> tuple[pd.Timestamp, int, float, int, int, int]:
    """The plan form's values, each checked; a ``UserError`` (in both languages) names the first bad one.

    Nothing is defaulted: an empty box (the browser also empties a box holding a value outside its
    bounds, e.g. a random share of 3) is refused, never replaced."""
    if start is None or not str(start).strip():
        raise _refuse("plan.start_required")
    first_day = pd.to_datetime(str(start).strip(), format="%Y-%m-%d", errors="coerce")
    if pd.isna(first_day):
        raise _refuse("plan.start_invalid")
    number_of_days = _whole(days, 1, 90)
    if number_of_days is None:
        raise _refuse("plan.days_invalid")
    try:
        random_share = float(share)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        random_share = float("nan")
    if not 0 <= random_share <= 1:  # NaN fails too
        raise _refuse("plan.share_invalid")
    counts = []
    for key, value in (("skip", skip), ("min_town", min_town), ("quota", quota)):
        count = _whole(value, 0)
        if count is None and not (key == "quota" and not quota_sectors and value in (None, "")):
            raise UserError(i18n.t("plan.count_invalid", "zh", field=i18n.t(f"plan.{key}", "zh")),
                            i18n.t("plan.count_invalid", "en", field=i18n.t(f"plan.{key}", "en")))
        counts.append(count or 0)
    return first_day, number_of_days, random_share, *counts


def checked_practice(follow_share: object, red_cycle: object, orange_cycle: object) -> tuple[float, int, int]:
    """The form's follow-up share (0 to 1) and red and orange cycles (whole days, 1 to 3650); refused when empty."""
    try:
        share = float(follow_share)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        share = float("nan")
    if not 0 <= share <= 1:
        raise _refuse("plan.follow_share_invalid")
    cycles = []
    for key, value in (("red_cycle", red_cycle), ("orange_cycle", orange_cycle)):
        days = _whole(value, 1, 3650)
        if days is None:
            raise UserError(i18n.t("plan.cycle_invalid", "zh", field=i18n.t(f"plan.{key}", "zh")),
                            i18n.t("plan.cycle_invalid", "en", field=i18n.t(f"plan.{key}", "en")))
        cycles.append(days)
    return share, cycles[0], cycles[1]


def evidence_table(evidence: pd.DataFrame, lang: str) -> html.Div:
    """The follow-ups left to evidence review, one row a firm (or a line saying there are none)."""
    if evidence.empty:
        return html.P(i18n.t("plan.no_evidence", lang))
    frame = printable_evidence(evidence, data_tables(), lang)
    names = list(frame.columns)
    frame.columns = [f"e{i}" for i in range(frame.shape[1])]
    widths = [170, 200, 110, 80, 200, 110, 420]
    grid = ag_grid(lang, id=f"{PREFIX}-evidence-grid", rowData=records(frame),
                   columnDefs=[{"field": f"e{i}", "headerName": n, "width": w}
                               for i, (n, w) in enumerate(zip(names, widths, strict=True))],
                   defaultColDef={"sortable": True, "resizable": True, "filter": True},
                   style={"height": "320px", "width": "100%", "fontSize": "16px"})
    return html.Div([html.P(i18n.t("plan.evidence_count", lang, count=len(frame))), grid], className="evidence")


def _visible(plan_id: str | None) -> pd.DataFrame:
    """The chosen plan's visits the signed-in user may see."""
    if not plan_id:
        return visits_for(data.store(), auth.current_user(), plan_id="")
    return visits_for(data.store(), auth.current_user(), plan_id=plan_id)


def _filtered(visits: pd.DataFrame, team: str | None, day: str | None) -> pd.DataFrame:
    keep = pd.Series(True, index=visits.index)
    if team:
        keep &= visits["team"] == team
    if day:
        keep &= visits["date"] == pd.Timestamp(day)
    return visits.loc[keep]


def grid_rows(visits: pd.DataFrame, lang: str) -> list[dict]:
    """The grid's rows by day, team in natural order (第1组, 第2组, …, 第10组) and slot."""
    visits = visits.assign(_team=natural_team_key(visits["team"]), _name=visits["team"].astype(str)) \
        .sort_values(["date", "_team", "_name", "slot"], kind="stable")
    frame = printable_visits(visits, data_tables(), lang)
    frame.columns = [f"c{i}" for i in range(frame.shape[1])]
    return records(frame)


@callback(
    Output(GRID, "rowData"),
    Output(f"{PREFIX}-summary", "children"),
    Output(f"{PREFIX}-expected", "figure"),
    Output(f"{PREFIX}-map", "figure"),
    Output(f"{PREFIX}-team", "options"),
    Output(f"{PREFIX}-date", "options"),
    Output(f"{PREFIX}-empty", "children"),
    Output(f"{PREFIX}-evidence", "children"),
    Input(f"{PREFIX}-id", "value"),
    Input(f"{PREFIX}-team", "value"),
    Input(f"{PREFIX}-date", "value"),
    State(f"{PREFIX}-lang-store", "data"),
)
def show_plan(plan_id: str | None, team: str | None, day: str | None, lang: str) -> tuple:
    plans = list_plans(data.store(), auth.current_user()).set_index("plan_id")  # a leader: begun plans only
    if not plan_id or plan_id not in plans.index:
        return ([], "", figures.empty_figure(lang), figures.empty_figure(lang), [], [], notice(i18n.t("plan.no_plans", lang), PREFIX),
                None)
    visits = _visible(plan_id)
    auth.audit("view_plan", plan_id, team=team, date=day)
    stored = plans.loc[plan_id]
    ratio = stored["expected_found"] / stored["expected_random"] if stored["expected_random"] else float("nan")
    summary = i18n.t("plan.summary", lang, visits=int(stored["visits"]), found=stored["expected_found"],
                 random=stored["expected_random"], ratio=(f"{ratio:.1f}×" if pd.notna(ratio) else "—"), seed=int(stored["seed"]))
    counts = visits["reason_code"].value_counts()
    reasons = " · ".join(f"{(c.zh if lang == 'zh' else c.en)} {int(counts.get(c.code, 0))}" for c in VISIT_REASONS
                         if counts.get(c.code, 0))
    expected = figures.bar_figure([i18n.t("plan.this_plan", lang), i18n.t("plan.random_plan", lang)],
                                  [float(stored["expected_found"]), float(stored["expected_random"])], lang)
    shown = _filtered(visits, team, day)
    teams = pd.Series(visits["team"].astype(str).unique())
    team_options = [{"label": t, "value": t}
                    for t in teams.iloc[pd.DataFrame({"n": natural_team_key(teams), "t": teams}).sort_values(["n", "t"]).index]]
    date_options = [{"label": i18n.date(d, lang), "value": f"{d:%Y-%m-%d}"} for d in sorted(visits["date"].unique())]
    km = pd.to_numeric(visits["leg_km"], errors="coerce")
    team_days = visits.groupby(["team", "date"]).ngroups
    route = i18n.t("plan.route", lang, km=float(km.sum()), per_day=float(km.sum()) / max(team_days, 1))
    evidence = read_evidence(data.store(), plan_id, auth.current_user())
    return (grid_rows(shown, lang), [html.P(summary), html.P(reasons), html.P(route)], expected,
            town_visits_figure(shown, lang, visits), team_options, date_options, None, evidence_table(evidence, lang))


def town_visits_figure(visits: pd.DataFrame, lang: str, whole: pd.DataFrame | None = None) -> object:
    """Visits per town on the town outlines (the store's, else drawn around the towns' firms), coloured
    on the range of the ``whole`` plan so a team or day filter keeps its colours."""
    return figures.town_visits_figure(visits, data_tables()["towns"], data.town_outlines(), lang, whole)


@callback(
    Output(f"{PREFIX}-download", "data"),
    Input(f"{PREFIX}-export", "n_clicks"),
    Input(f"{PREFIX}-print", "n_clicks"),
    State(f"{PREFIX}-id", "value"),
    State(f"{PREFIX}-team", "value"),
    State(f"{PREFIX}-date", "value"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def export(_xlsx: int, _print: int, plan_id: str, team: str | None, day: str | None, lang: str) -> dict:
    """The shown visits as xlsx (a sheet per team) or as the print view; audited."""
    user = auth.current_user()
    if not accounts.can(user, "plans_export") or plan_id not in set(list_plans(data.store(), user)["plan_id"]):
        return dash.no_update
    shown = _filtered(_visible(plan_id), team, day)
    kind = "print" if dash.ctx.triggered_id == f"{PREFIX}-print" else "xlsx"
    auth.audit("export_plan", plan_id, team=team, date=day, rows=len(shown), format=kind)
    if kind == "print":
        return dcc.send_string(plan_html(shown, data_tables(), lang, f"{plan_id}"), f"{plan_id}.html")
    buffer = io.BytesIO()
    chosen = {i18n.t("plan.team", lang): team, i18n.t("plan.date", lang): day}
    write_plan_xlsx(shown, data_tables(), buffer, lang, evidence=read_evidence(data.store(), plan_id, user),
                    plan_id=plan_id, filters=chosen)
    return dcc.send_bytes(buffer.getvalue(), export_filename(plan_id, None, {"team": team, "day": day}))
