"""Administration (admin only): accounts, API tokens, and the audit log with search and CSV export.

Each callback checks the permission again (``accounts.require``) although the guard already
refused other roles: a page that changes accounts should not rest on one check.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.accounts import users as accounts
from analytics.accounts import audit
from analytics.contract.errors import UserError
from dashboard import auth, i18n
from dashboard.context import get_store
from dashboard.components.aggrid import ag_grid
from dashboard.components.layout import page_frame

dash.register_page(__name__, path="/admin", order=90, **i18n.page_names("admin"))

SHOWN = 500


def _grid(grid_id: str, frame: pd.DataFrame, lang: str) -> dag.AgGrid:
    shown = frame.astype(object).where(frame.notna(), None).astype(str).replace("None", "")
    return ag_grid(
        lang,
        id=grid_id,
        rowData=shown.to_dict("records"),
        columnDefs=[{"field": c} for c in shown.columns],
        defaultColDef={"resizable": True, "sortable": True, "filter": True},
        style={"height": "360px"},
    )


def _role_names(lang: str) -> dict[str, str]:
    return {code: labels[0 if lang == "zh" else 1] for code, labels in accounts.ROLES.items()}


def _accounts_grid(lang: str) -> dag.AgGrid:
    users = accounts.list_users(get_store())
    users["role"] = users["role"].map(_role_names(lang)).fillna(users["role"])
    users["disabled"] = users["disabled"].map({True: i18n.t("yes", lang), False: i18n.t("no", lang)})
    users["created_at"] = users["created_at"].dt.strftime("%Y-%m-%d %H:%M")
    headers = {"username": "admin.username", "display_name": "admin.display_name", "role": "admin.role",
               "team": "admin.team_column", "disabled": "admin.disabled_column", "created_at": "admin.created_column"}
    return _grid("admin-users", users.rename(columns={c: i18n.t(key, lang) for c, key in headers.items()}), lang)


def _field(label: str, component: object) -> html.Div:
    return html.Div([html.Label(label), component])


def layout(**query: object) -> html.Div:
    lang = auth.current_language()
    user = auth.current_user()
    if not accounts.can(user, "accounts"):
        return html.Div(i18n.t("admin.title", lang))
    role_options = [{"label": labels[0 if lang == "zh" else 1], "value": code} for code, labels in accounts.ROLES.items()]
    action_options = [{"label": a.zh if lang == "zh" else a.en, "value": a.code} for a in audit.ACTIONS.values()]
    # the admin page keeps its own language store ("admin-lang", its callbacks' state) and no switch
    return page_frame("admin", i18n.t("admin.title", lang), lang, [
        html.Section(
            [
                html.H2(i18n.t("admin.accounts", lang), className="section-title"),
                html.Div(_accounts_grid(lang), id="admin-users-box"),
                html.H3(i18n.t("admin.add", lang)),
                html.Div(
                    [
                        _field(i18n.t("admin.username", lang), dcc.Input(id="admin-new-username", type="text")),
                        _field(i18n.t("admin.display_name", lang), dcc.Input(id="admin-new-display", type="text")),
                        _field(i18n.t("admin.role", lang), dcc.Dropdown(id="admin-new-role", options=role_options)),
                        _field(i18n.t("admin.team", lang), dcc.Input(id="admin-new-team", type="text")),
                        _field(i18n.t("admin.password", lang), dcc.Input(id="admin-new-password", type="password")),
                        html.Button(i18n.t("admin.save", lang), id="admin-add", n_clicks=0),
                    ],
                    className="filters",
                ),
                html.H3(i18n.t("admin.manage", lang)),
                html.Div(
                    [
                        _field(i18n.t("admin.username", lang), dcc.Input(id="admin-target", type="text")),
                        html.Button(i18n.t("admin.disable", lang), id="admin-disable", n_clicks=0),
                        html.Button(i18n.t("admin.enable", lang), id="admin-enable", n_clicks=0),
                        html.Button(i18n.t("admin.reset", lang), id="admin-reset", n_clicks=0),
                        html.Button(i18n.t("admin.token", lang), id="admin-token", n_clicks=0),
                        _field(i18n.t("admin.token_id", lang), dcc.Input(id="admin-token-id", type="text")),
                        html.Button(i18n.t("admin.revoke", lang), id="admin-revoke", n_clicks=0),
                    ],
                    className="filters",
                ),
                html.Div(id="admin-message", role="status", className="notice"),
            ],
            className="panel",
        ),
        html.Section(
            [
                html.H2(i18n.t("admin.audit", lang), className="section-title"),
                html.Div(
                    [
                        _field(i18n.t("admin.username", lang), dcc.Input(id="admin-audit-username", type="text")),
                        _field(i18n.t("admin.action", lang), dcc.Dropdown(id="admin-audit-action", options=action_options, multi=True)),
                        _field(i18n.t("admin.object", lang), dcc.Input(id="admin-audit-object", type="text")),
                        _field(i18n.t("admin.since", lang), dcc.Input(id="admin-audit-since", type="text", placeholder="YYYY-MM-DD")),
                        _field(i18n.t("admin.until", lang), dcc.Input(id="admin-audit-until", type="text", placeholder="YYYY-MM-DD")),
                        html.Button(i18n.t("admin.search", lang), id="admin-audit-search", n_clicks=0),
                        html.Button(i18n.t("admin.export", lang), id="admin-audit-export", n_clicks=0),
                    ],
                    className="filters",
                ),
                html.Div(id="admin-audit-note", className="hint"),
                html.Div(id="admin-audit-box"),
                dcc.Download(id="admin-audit-download"),
            ],
            className="panel",
        ),
    ], language=False, lang_store=False, url_state=False, stores=[dcc.Store(id="admin-lang", data=lang)])


def _audit_filters(username, actions, object_id, since, until) -> dict:
    return {"username": username, "action": actions, "object_id": object_id, "since": since, "until": until}


@callback(
    Output("admin-message", "children"),
    Output("admin-users-box", "children"),
    Input("admin-add", "n_clicks"),
    Input("admin-disable", "n_clicks"),
    Input("admin-enable", "n_clicks"),
    Input("admin-reset", "n_clicks"),
    Input("admin-token", "n_clicks"),
    Input("admin-revoke", "n_clicks"),
    State("admin-new-username", "value"),
    State("admin-new-display", "value"),
    State("admin-new-role", "value"),
    State("admin-new-team", "value"),
    State("admin-new-password", "value"),
    State("admin-target", "value"),
    State("admin-token-id", "value"),
    State("admin-lang", "data"),
    prevent_initial_call=True,
)
def change_accounts(_add, _disable, _enable, _reset, _token, _revoke, username, display_name, role, team, password,
                    target, token_id, lang):
    """One handler for every account button: which one was pressed decides the action."""
    lang = lang or "zh"
    actor = auth.current_user()
    store = get_store()
    source = auth.source_address()
    pressed = dash.ctx.triggered_id
    try:
        accounts.require(actor, "accounts")
        message = i18n.t("admin.done", lang)
        if pressed == "admin-add":
            accounts.add_user(store, (username or "").strip(), role or "", password or "", display_name=display_name,
                              team=team, actor=actor, source=source)
            message = i18n.t("admin.added", lang, name=username)
        elif pressed == "admin-disable":
            accounts.disable_user(store, (target or "").strip(), actor=actor, source=source)
        elif pressed == "admin-enable":
            accounts.enable_user(store, (target or "").strip(), actor=actor, source=source)
        elif pressed == "admin-reset":
            secret = accounts.reset_password(store, (target or "").strip(), actor=actor, source=source)
            message = i18n.t("admin.new_password", lang, secret=secret)
        elif pressed == "admin-token":
            new_id, secret = accounts.create_token(store, (target or "").strip(), actor=actor, source=source)
            message = i18n.t("admin.new_token", lang, id=new_id, secret=secret)
        elif pressed == "admin-revoke":
            accounts.revoke_token(store, (token_id or "").strip(), actor=actor, source=source)
    except UserError as error:
        return error.render(lang), dash.no_update
    return message, _accounts_grid(lang)


@callback(
    Output("admin-audit-box", "children"),
    Output("admin-audit-note", "children"),
    Input("admin-audit-search", "n_clicks"),
    State("admin-audit-username", "value"),
    State("admin-audit-action", "value"),
    State("admin-audit-object", "value"),
    State("admin-audit-since", "value"),
    State("admin-audit-until", "value"),
    State("admin-lang", "data"),
)
def search_audit(_clicks, username, actions, object_id, since, until, lang):
    lang = lang or "zh"
    try:
        accounts.require(auth.current_user(), "audit")
        entries = audit.search(get_store(), _audit_filters(username, actions, object_id, since, until), limit=SHOWN)
    except UserError as error:
        return html.Div(), error.render(lang)
    entries["role"] = entries["role"].map(_role_names(lang)).fillna(entries["role"])
    return _grid("admin-audit-grid", audit.labelled(entries, lang), lang), i18n.t("admin.shown", lang, n=len(entries))


@callback(
    Output("admin-audit-download", "data"),
    Input("admin-audit-export", "n_clicks"),
    State("admin-audit-username", "value"),
    State("admin-audit-action", "value"),
    State("admin-audit-object", "value"),
    State("admin-audit-since", "value"),
    State("admin-audit-until", "value"),
    State("admin-lang", "data"),
    prevent_initial_call=True,
)
def export_audit(_clicks, username, actions, object_id, since, until, lang):
    actor = auth.current_user()
    accounts.require(actor, "audit")
    text = audit.export_csv(
        get_store(), None, _audit_filters(username, actions, object_id, since, until), lang=lang or "zh",
        actor=actor, source=auth.source_address(),
    )
    return {"content": "\ufeff" + text, "filename": f"saferank-audit-{pd.Timestamp.now():%Y%m%d-%H%M}.csv"}
