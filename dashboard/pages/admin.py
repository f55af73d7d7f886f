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

dash.register_page(__name__, path="/admin", name="系统管理", name_en="Administration", order=90)

T = {
    "title": ("系统管理", "Administration"),
    "accounts": ("账户", "Accounts"),
    "add": ("新增账户", "Add an account"),
    "username": ("账户名", "Username"),
    "display_name": ("姓名", "Name"),
    "role": ("角色", "Role"),
    "team": ("组别（检查组必填）", "Team (inspectors)"),
    "password": ("初始密码（至少 10 位）", "Initial password (10+ characters)"),
    "save": ("新增", "Add"),
    "manage": ("停用 / 启用 / 重置密码 / 令牌", "Disable / enable / reset password / tokens"),
    "disable": ("停用", "Disable"),
    "enable": ("启用", "Enable"),
    "reset": ("重置密码", "Reset password"),
    "token": ("创建接口令牌", "Create API token"),
    "token_id": ("令牌编号", "Token id"),
    "revoke": ("吊销令牌", "Revoke token"),
    "audit": ("审计日志", "Audit log"),
    "action": ("操作", "Action"),
    "object": ("对象", "Object"),
    "since": ("起始日期", "From"),
    "until": ("截止日期", "Until"),
    "search": ("查询", "Search"),
    "export": ("导出 CSV", "Export CSV"),
    "done": ("已完成。", "Done."),
    "added": ("已新增账户 {name}。", "Added the account {name}."),
    "new_password": ("新密码（只显示这一次）：{secret}", "New password (shown this once): {secret}"),
    "new_token": ("令牌 {id}（只显示这一次）：{secret}", "Token {id} (shown this once): {secret}"),
    "shown": ("显示最近 {n} 条", "Showing the latest {n}"),
}
SHOWN = 500


def _t(key: str, lang: str, **values: object) -> str:
    return i18n.phrase(T, key, lang, **values)


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


def _accounts_grid(lang: str) -> dag.AgGrid:
    users = accounts.list_users(get_store())
    roles = {code: labels[0 if lang == "zh" else 1] for code, labels in accounts.ROLES.items()}
    users["role"] = users["role"].map(roles).fillna(users["role"])
    return _grid("admin-users", users, lang)


def _field(label: str, component: object) -> html.Div:
    return html.Div([html.Label(label), component])


def layout(**query: object) -> html.Div:
    lang = auth.current_language()
    user = auth.current_user()
    if not accounts.can(user, "accounts"):
        return html.Div(_t("title", lang))
    role_options = [{"label": labels[0 if lang == "zh" else 1], "value": code} for code, labels in accounts.ROLES.items()]
    action_options = [{"label": a.zh if lang == "zh" else a.en, "value": a.code} for a in audit.ACTIONS.values()]
    return html.Div(
        [
            html.Div([html.H1(_t("title", lang), className="page-title")], className="page-header"),
            dcc.Store(id="admin-lang", data=lang),
            html.Div(
                [
                    html.Section(
                        [
                            html.H2(_t("accounts", lang), className="section-title"),
                            html.Div(_accounts_grid(lang), id="admin-users-box"),
                            html.H3(_t("add", lang)),
                            html.Div(
                                [
                                    _field(_t("username", lang), dcc.Input(id="admin-new-username", type="text")),
                                    _field(_t("display_name", lang), dcc.Input(id="admin-new-display", type="text")),
                                    _field(_t("role", lang), dcc.Dropdown(id="admin-new-role", options=role_options)),
                                    _field(_t("team", lang), dcc.Input(id="admin-new-team", type="text")),
                                    _field(_t("password", lang), dcc.Input(id="admin-new-password", type="password")),
                                    html.Button(_t("save", lang), id="admin-add", n_clicks=0),
                                ],
                                className="filters",
                            ),
                            html.H3(_t("manage", lang)),
                            html.Div(
                                [
                                    _field(_t("username", lang), dcc.Input(id="admin-target", type="text")),
                                    html.Button(_t("disable", lang), id="admin-disable", n_clicks=0),
                                    html.Button(_t("enable", lang), id="admin-enable", n_clicks=0),
                                    html.Button(_t("reset", lang), id="admin-reset", n_clicks=0),
                                    html.Button(_t("token", lang), id="admin-token", n_clicks=0),
                                    _field(_t("token_id", lang), dcc.Input(id="admin-token-id", type="text")),
                                    html.Button(_t("revoke", lang), id="admin-revoke", n_clicks=0),
                                ],
                                className="filters",
                            ),
                            html.Div(id="admin-message", role="status", className="notice"),
                        ],
                        className="panel",
                    ),
                    html.Section(
                        [
                            html.H2(_t("audit", lang), className="section-title"),
                            html.Div(
                                [
                                    _field(_t("username", lang), dcc.Input(id="admin-audit-username", type="text")),
                                    _field(_t("action", lang), dcc.Dropdown(id="admin-audit-action", options=action_options, multi=True)),
                                    _field(_t("object", lang), dcc.Input(id="admin-audit-object", type="text")),
                                    _field(_t("since", lang), dcc.Input(id="admin-audit-since", type="text", placeholder="YYYY-MM-DD")),
                                    _field(_t("until", lang), dcc.Input(id="admin-audit-until", type="text", placeholder="YYYY-MM-DD")),
                                    html.Button(_t("search", lang), id="admin-audit-search", n_clicks=0),
                                    html.Button(_t("export", lang), id="admin-audit-export", n_clicks=0),
                                ],
                                className="filters",
                            ),
                            html.Div(id="admin-audit-note", className="hint"),
                            html.Div(id="admin-audit-box"),
                            dcc.Download(id="admin-audit-download"),
                        ],
                        className="panel",
                    ),
                ],
                className="page-body",
            ),
        ]
    )


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
        message = _t("done", lang)
        if pressed == "admin-add":
            accounts.add_user(store, (username or "").strip(), role or "", password or "", display_name=display_name,
                              team=team, actor=actor, source=source)
            message = _t("added", lang, name=username)
        elif pressed == "admin-disable":
            accounts.disable_user(store, (target or "").strip(), actor=actor, source=source)
        elif pressed == "admin-enable":
            accounts.enable_user(store, (target or "").strip(), actor=actor, source=source)
        elif pressed == "admin-reset":
            secret = accounts.reset_password(store, (target or "").strip(), actor=actor, source=source)
            message = _t("new_password", lang, secret=secret)
        elif pressed == "admin-token":
            new_id, secret = accounts.create_token(store, (target or "").strip(), actor=actor, source=source)
            message = _t("new_token", lang, id=new_id, secret=secret)
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
    return _grid("admin-audit-grid", audit.labelled(entries, lang), lang), _t("shown", lang, n=len(entries))


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
