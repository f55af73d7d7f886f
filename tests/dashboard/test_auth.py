"""Who sees what: every route and callback refused without a session, the role × page × callback
matrix, sign-in and sign-out, and the page views written to the audit log.

The walks iterate over whatever routes, pages and callbacks the app has, so pages added later are
covered without editing this file.
"""

from __future__ import annotations

import re

import dash
import pytest
from test_auth_support import (
    ROLES,
    auth_app_fixture,  # noqa: F401 (registers the fixture "auth_app")
    callback_body,
)

from analytics.accounts import audit
from dashboard import auth
from dashboard.authz.table import TABLE

PUBLIC = {("/login", "GET"), ("/login", "POST"), ("/logout", "GET"), ("/logout", "POST"), ("/api/v1/health", "GET")}


def _concrete(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "dash_core_components" if m.group(1) == "package_name" else "x1", rule)


def _routes(app: dash.Dash) -> list[tuple[str, str]]:
    return sorted(
        {(_concrete(rule.rule), method) for rule in app.server.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}
    )


def _refused(response, method: str) -> bool:
    if response.status_code == 401:
        return response.get_json()["error"]["code"] == "unauthenticated"
    return method == "GET" and response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_every_route_is_refused_without_a_session(auth_app) -> None:
    client = auth_app.client()
    routes = _routes(auth_app.app)
    assert ("/_dash-update-component", "POST") in routes and ("/admin", "GET") not in routes  # pages go via the catch-all
    for path, method in routes + [("/admin", "GET"), ("/risk-list", "GET"), ("/assets/theme.css", "GET")]:
        response = client.open(path, method=method, json={} if method == "POST" else None)
        if (path, method) in PUBLIC:
            assert response.status_code < 500, (path, method)
        else:
            assert _refused(response, method), (path, method, response.status_code)


def test_every_callback_is_refused_without_a_session(auth_app) -> None:
    client = auth_app.client()
    assert auth_app.app.callback_map, "the app has callbacks"
    for key in auth_app.app.callback_map:
        response = client.post("/_dash-update-component", json=callback_body(auth_app.app, key, "/"))
        assert response.status_code == 401, key


def test_every_page_and_callback_output_belongs_to_a_page_in_the_role_table(auth_app) -> None:
    """The contract page engineers keep: registered paths are in PAGE_ROLES, ids carry a page prefix."""
    paths = {page["path"] for page in dash.page_registry.values()}
    assert "/admin" in paths
    assert paths <= set(auth.PAGE_ROLES), paths - set(auth.PAGE_ROLES)
    for key in auth_app.app.callback_map:
        if "_pages_content" in key or key.startswith("_pages_dummy"):
            continue
        body = callback_body(auth_app.app, key)
        outputs = body["outputs"] if isinstance(body["outputs"], list) else [body["outputs"]]
        for output in outputs:
            assert auth.page_for_id(output["id"]) is not None, f"{key}: id without a page prefix"


@pytest.mark.parametrize("role", ROLES)
def test_pages_open_only_for_the_roles_in_the_table(auth_app, role: str) -> None:
    client = auth_app.client(role)
    for page in dash.page_registry.values():
        response = client.get(page["relative_path"])
        if role in auth.PAGE_ROLES[page["path"]]:
            assert response.status_code == 200, (role, page["path"])
        elif page["path"] == "/":
            assert response.status_code == 302 and response.headers["Location"] == auth.home_path(_user(role))
        else:
            assert response.status_code == 403, (role, page["path"])


def _user(role: str) -> auth.User:
    return auth.User(f"u-{role}", role, "第1组" if role == "inspector" else None)


@pytest.mark.parametrize("role", ROLES)
def test_page_router_renders_only_pages_the_role_may_open(auth_app, role: str) -> None:
    client = auth_app.client(role)
    router = next(key for key in auth_app.app.callback_map if "_pages_content" in key)
    for page in dash.page_registry.values():
        response = client.post("/_dash-update-component", json=callback_body(auth_app.app, router, page["relative_path"]))
        if role in auth.PAGE_ROLES[page["path"]]:
            assert response.status_code == 200, (role, page["path"], response.data[:300])
        else:
            assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden", (role, page["path"])


@pytest.mark.parametrize("role", ROLES)
def test_callbacks_run_only_for_the_roles_of_their_page(auth_app, role: str) -> None:
    client = auth_app.client(role)
    user = _user(role)
    for key in auth_app.app.callback_map:
        if "_pages_content" in key or key.startswith("_pages_dummy"):
            continue
        body = callback_body(auth_app.app, key)
        outputs = body["outputs"] if isinstance(body["outputs"], list) else [body["outputs"]]
        pages = {auth.page_for_id(o["id"]) for o in outputs}
        page_allows = all(page == "" or role in auth.PAGE_ROLES.get(page, ()) for page in pages)
        expected = TABLE[key].allows(role)
        assert page_allows or not expected, (role, key)  # the callback table never widens a page's roles
        assert auth.callback_allowed(user, body)[0] == expected, (role, key)
        if not expected:
            response = client.post("/_dash-update-component", json=body)
            assert response.status_code == 403, (role, key)


@pytest.mark.parametrize(
    "outputs",
    [
        {"id": "plan-visits", "property": "rowData"},
        {"id": {"type": "plan-visit", "index": 3}, "property": "children"},
        [{"id": "inspector-visits", "property": "rowData"}, {"id": "plan-visits", "property": "rowData"}],
        {"id": "visits-of-team-2", "property": "data"},  # no page prefix: refused to everyone
        {"id": {"index": 1}, "property": "data"},
    ],
)
def test_an_inspector_cannot_reach_the_plan_page_by_a_hand_made_callback(auth_app, outputs) -> None:
    body = {"output": "plan-visits.rowData", "outputs": outputs, "inputs": [{"id": "plan-team", "property": "value", "value": "第2组"}],
            "state": [], "changedPropIds": ["plan-team.value"]}
    response = auth_app.client("inspector").post("/_dash-update-component", json=body)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert not audit.search(auth_app.store, {"username": "u-inspector", "action": "access_denied"}).empty


def test_an_inspector_cannot_render_the_plan_page_through_the_router(auth_app) -> None:
    router = next(key for key in auth_app.app.callback_map if "_pages_content" in key)
    client = auth_app.client("inspector")
    for pathname in ("/plan", "/plan?team=第2组", "/admin", "//plan", "/plan/"):
        body = callback_body(auth_app.app, router, pathname)
        response = client.post("/_dash-update-component", json=body)
        if auth.page_for_pathname(pathname) is None:  # paths no page serves render "not found", nothing else
            assert response.status_code == 200 and "plan" not in response.get_data(as_text=True).lower()
        else:
            assert response.status_code == 403, pathname


def test_malformed_callback_bodies_get_a_json_4xx(auth_app) -> None:
    client = auth_app.client("office")
    for data in (b"not json", b"[]", b'{"outputs": []}', b'{"inputs": []}'):
        response = client.post("/_dash-update-component", data=data, content_type="application/json")
        assert 400 <= response.status_code < 500
        assert "error" in response.get_json()


def test_sign_in_sign_out_and_the_audit_trail(auth_app) -> None:
    client = auth_app.client()
    page = client.get("/login?next=/risk-list")
    assert page.status_code == 200 and "登录" in page.get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    wrong = client.post("/login", data={"username": "u-office", "password": "nope", "csrf": csrf, "next": "/risk-list"})
    assert wrong.status_code == 401 and "账户名或密码不正确" in wrong.get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', wrong.get_data(as_text=True)).group(1)
    right = client.post("/login", data={"username": "u-office", "password": "correct-horse-battery", "csrf": csrf,
                                        "next": "/risk-list"})
    assert right.status_code == 302 and right.headers["Location"] == "/risk-list"
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/logout").status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    actions = audit.search(auth_app.store, {"username": "u-office"})["action"].tolist()
    assert actions[:3] == ["logout", "login", "login_failed"]


def test_sign_in_needs_the_form_token_and_never_redirects_off_site(auth_app) -> None:
    client = auth_app.client()
    assert client.post("/login", data={"username": "u-office", "password": "correct-horse-battery"}).status_code == 400
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        page = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        response = client.post("/login", data={"username": "u-office", "password": "correct-horse-battery", "csrf": csrf,
                                               "next": target})
        assert response.status_code == 302 and response.headers["Location"].startswith("/")
        assert not response.headers["Location"].startswith("//")


def test_files_the_browser_fetches_while_signed_out_leave_the_login_form_valid(auth_app) -> None:
    """Browsers ask for /favicon.ico (and stylesheets) on their own while the login form is on screen;
    a redirect to /login there used to issue a new form token, so signing in then failed as "expired"."""
    client = auth_app.client()
    page = client.get("/login?next=/risk-list")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    for path in ("/favicon.ico", "/assets/theme.css", "/apple-touch-icon.png", "/_favicon.ico"):
        response = client.get(path)
        assert response.status_code == 401 and "Set-Cookie" not in response.headers, path
    assert client.get("/risk-list").headers["Location"].startswith("/login")  # a page still goes to the login
    assert "form expired" not in client.get("/login?lang=en").get_data(as_text=True)  # a second tab: same token
    right = client.post("/login", data={"username": "u-office", "password": "correct-horse-battery", "csrf": csrf,
                                        "next": "/risk-list"})
    assert right.status_code == 302 and right.headers["Location"] == "/risk-list"


def test_the_login_page_speaks_english_when_asked(auth_app) -> None:
    response = auth_app.client().get("/login?lang=en")
    assert "Sign in" in response.get_data(as_text=True) and "saferank_lang=en" in response.headers["Set-Cookie"]


def test_the_navigation_speaks_the_language_of_the_page_address(auth_app) -> None:
    """Dash fetches the layout from the page without its query; the page's ``?lang=en`` still counts."""
    client = auth_app.client("office")
    english = client.get("/_dash-layout", headers={"Referer": "http://localhost/risk-list?lang=en"}).get_json()
    assert "Risk list" in _values(english, "children") and "风险清单" not in _values(english, "children")
    chinese = client.get("/_dash-layout", headers={"Referer": "http://localhost/risk-list"}).get_json()
    assert "风险清单" in _values(chinese, "children")


@pytest.mark.parametrize("role", ROLES)
def test_navigation_lists_only_the_pages_of_the_role(auth_app, role: str) -> None:
    links = set(_values(auth_app.client(role).get("/_dash-layout").get_json(), "href"))
    for page in dash.page_registry.values():
        assert (page["relative_path"] in links) == (role in auth.PAGE_ROLES[page["path"]]), (role, page["path"])


def _values(tree: object, key: str) -> list[object]:
    """Every value of ``key`` anywhere in a JSON tree."""
    if isinstance(tree, dict):
        return [v for k, v in tree.items() if k == key] + [x for v in tree.values() for x in _values(v, key)]
    if isinstance(tree, list):
        return [x for v in tree for x in _values(v, key)]
    return []


def test_opening_the_risk_list_is_audited_with_its_date(auth_app) -> None:
    router = next(key for key in auth_app.app.callback_map if "_pages_content" in key)
    body = callback_body(auth_app.app, router, "/risk-list")
    body["inputs"][1]["value"] = "?as_of=2026-03-01"
    assert auth_app.client("leader").post("/_dash-update-component", json=body).status_code == 200
    entries = audit.search(auth_app.store, {"username": "u-leader", "action": "view_list"})
    assert entries["object_id"].iloc[0] == "2026-03-01"


def test_admin_searches_the_audit_log_through_its_page(auth_app) -> None:
    key = next(k for k in auth_app.app.callback_map if "admin-audit-box" in k)
    body = callback_body(auth_app.app, key)
    response = auth_app.client("admin").post("/_dash-update-component", json=body)
    assert response.status_code == 200
    rows = _values(response.get_json(), "rowData")[0]
    actions = {row["操作"] for row in rows}
    assert "新增账户" in actions and "user_add" not in actions  # labelled, not codes
    assert auth_app.client("office").post("/_dash-update-component", json=body).status_code == 403


def test_pages_load_nothing_from_another_host(auth_app) -> None:
    app = auth_app.app
    assert app.config.serve_locally and not app.config.external_stylesheets and not app.config.external_scripts
    html = auth_app.client("office").get("/risk-list").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html)


@pytest.fixture
def team_visits(monkeypatch: pytest.MonkeyPatch):
    """The planning seam as the guard uses it (``analytics.operations.plans_store.visits_for``):
    team 第1组 visits E1 only."""
    import pandas as pd

    from analytics.operations import plans_store

    def visits_for(store, user=None, today=None, plan_id=None):
        return pd.DataFrame({"enterprise_id": ["E1"] if user.team == "第1组" else ["E3"]})

    monkeypatch.setattr(plans_store, "visits_for", visits_for)


def _enterprise_call(auth_app, enterprise_id: str) -> dict:
    key = next(k for k in auth_app.app.callback_map if "enterprise-profile" in k)
    body = callback_body(auth_app.app, key)
    for item in body["inputs"]:
        if item["id"] == "enterprise-id":
            item["value"] = enterprise_id
    return body


def test_an_inspector_opens_only_the_team_s_enterprises(auth_app, team_visits) -> None:
    router = next(key for key in auth_app.app.callback_map if "_pages_content" in key)
    inspector, office = auth_app.client("inspector"), auth_app.client("office")
    for enterprise_id, allowed in (("E1", True), ("E2", False), ("E3", False)):
        body = callback_body(auth_app.app, router, "/enterprise")
        body["inputs"][1]["value"] = f"?id={enterprise_id}"
        assert (inspector.post("/_dash-update-component", json=body).status_code == 200) == allowed, enterprise_id
        call = _enterprise_call(auth_app, enterprise_id)
        assert (inspector.post("/_dash-update-component", json=call).status_code != 403) == allowed, enterprise_id
        assert office.post("/_dash-update-component", json=call).status_code != 403
        headers = {"Authorization": f"Bearer {auth_app.tokens['inspector']}"}
        api_answer = auth_app.client().get(f"/api/v1/enterprises/{enterprise_id}", headers=headers)
        assert (api_answer.status_code == 200) == allowed, enterprise_id


def test_with_no_plan_stored_an_inspector_sees_no_enterprise(auth_app) -> None:
    response = auth_app.client("inspector").post("/_dash-update-component", json=_enterprise_call(auth_app, "E1"))
    assert response.status_code == 403
    assert auth.visible_enterprises(_user("inspector")) is not None
