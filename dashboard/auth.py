"""Who may open what: sessions, the login routes, and the guard in front of every route.

The guard runs before every request on the Flask server. Without a signed-in account only the
login page and ``GET /api/v1/health`` answer. With one, a page is served only to the roles in
``PAGE_ROLES``, and a Dash callback only as ``dashboard.authz`` allows: the callback the body names
is in its deny-by-default table for the role, the body's inputs and state are the registered ones
position by position, and the values Dash will bind have the right types and stay in the user's
scope. Data-level scoping (an inspector's own team) is also the analytics query functions' job;
they take ``current_user()``.

Long because sign-in, sessions and the request guard must be read together to judge what a
request can reach; the callback table and its positional check live in ``dashboard.authz``.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dash
import flask
from dash._callback import GLOBAL_CALLBACK_MAP

from analytics.accounts import audit as audit_log
from analytics.accounts import users as accounts
from analytics.accounts.users import User
from analytics.contract.errors import UserError
from dashboard import authz, i18n
from dashboard.authz.scope import may_see_enterprise, scope_of, visible_enterprises

# Every page path and the roles that may open it. A registered page missing here opens for no one.
PAGE_ROLES: dict[str, frozenset[str]] = {
    "/": frozenset({"office", "leader", "analyst"}),
    "/risk-list": frozenset({"office", "leader", "analyst"}),
    "/enterprise": frozenset({"office", "leader", "analyst", "inspector"}),
    "/followup": frozenset({"office", "leader"}),
    "/model": frozenset({"office", "analyst"}),
    "/plan": frozenset({"office", "leader"}),
    "/inspector": frozenset({"office", "inspector"}),
    "/dispositions": frozenset({"office", "inspector"}),
    "/bulletin": frozenset({"office", "leader"}),
    "/quality": frozenset({"office", "leader"}),  # the data-quality report
    "/places": frozenset({"office", "leader", "analyst"}),
    "/people": frozenset({"office", "leader"}),  # names people (crews, workers): not for analysts
    "/alerts": frozenset({"office", "leader", "inspector"}),  # inspectors: their teams' towns only
    "/import": frozenset({"office"}),  # upload, map, check and import the office's data
    "/admin": frozenset({"admin"}),
}

# Component id prefix -> the page it belongs to. "app-" is the shell (navigation, language).
SHELL_PREFIX = "app-"
PAGE_PREFIXES: dict[str, str] = {
    "overview-": "/",
    "risk-list-": "/risk-list",
    "enterprise-": "/enterprise",
    "followup-": "/followup",
    "model-": "/model",
    "plan-": "/plan",
    "inspector-": "/inspector",
    "dispositions-": "/dispositions",
    "bulletin-": "/bulletin",
    "quality-": "/quality",
    "places-": "/places",
    "people-": "/people",
    "alerts-": "/alerts",
    "import-": "/import",
    "admin-": "/admin",
}

# Pages whose opening is audited, with the query parameter naming the object (if any).
VIEW_ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "/risk-list": ("view_list", ("as_of", "list_id")),
    "/plan": ("view_plan", ("plan_id", "date")),
    "/inspector": ("view_plan", ("plan_id", "date")),
    "/enterprise": ("view_enterprise", ("enterprise_id", "id")),
}

# Page-router queries that name an enterprise: for a team-scoped role (inspector) the value must be
# one of the team's enterprises. Callback arguments are scoped by ``dashboard.authz.table``.
SCOPED_QUERY: dict[str, tuple[str, ...]] = {"/enterprise": ("id", "enterprise_id")}

PUBLIC_ENDPOINTS = frozenset({"saferank_auth.login", "saferank_auth.logout", "saferank_api.health"})

# The session cookie carries only this: the token of a session kept in the store
# (``analytics.accounts.sessions``), which signing out, a password reset or disabling ends.
SESSION_KEY = "sid"

blueprint = flask.Blueprint("saferank_auth", __name__)


def current_language() -> str:
    """The language of this request: the ``lang`` URL parameter, else the page engineer's language
    cookie (``dashboard.i18n.COOKIE``), else the app's configured default."""
    if not flask.has_request_context():
        return i18n.DEFAULT_LANG
    request = flask.request
    chosen = i18n.normal_lang(request.args.get("lang"))
    if not chosen and request.path.startswith("/_dash-"):
        # Dash fetches the layout and runs callbacks from the page: its address (the Referer, sent
        # same-origin) is the URL that says the language, so the navigation follows ``?lang=en``.
        page_query = parse_qs(urlsplit(request.referrer or "").query)
        chosen = i18n.normal_lang((page_query.get("lang") or [None])[0])
    chosen = chosen or i18n.normal_lang(request.cookies.get(i18n.COOKIE))
    return chosen or flask.current_app.config.get("SAFERANK_LANGUAGE", i18n.DEFAULT_LANG)


def current_user() -> User | None:
    """The account signed in for this request (by session or API token), else None."""
    if not flask.has_request_context():
        return None
    return flask.g.get("saferank_user")


# Where a role lands after signing in when it may not open the overview: the inspector on today's visits.
ROLE_HOME: dict[str, str] = {"inspector": "/inspector"}


def page_allowed(user: User | None, path: str) -> bool:
    return user is not None and user.role in PAGE_ROLES.get(path, frozenset())


def home_path(user: User) -> str:
    """The role's own landing page (``ROLE_HOME``), else the first page it may open (where "/" and a
    sign-in send roles that may not see the overview)."""
    pages = list(dash.page_registry.values())
    own = [p for p in pages if p["path"] == ROLE_HOME.get(user.role)]
    for page in own + pages:
        if page_allowed(user, page["path"]):
            return page["relative_path"]
    return "/logout"


def source_address() -> str | None:
    return flask.request.remote_addr if flask.has_request_context() else None


def audit(action: str, object_id: str | None = None, **details: Any) -> None:
    """Record ``action`` by the current user from the current address (for pages and the API)."""
    from dashboard.context import get_store

    audit_log.record(get_store(), current_user(), action, object_id, source_address(), details or None)


def error_response(status: int, code: str, zh: str, en: str, field: str | None = None) -> flask.Response:
    """The API's (and the guard's) error body: ``{"error": {code, message_zh, message_en, field}}``."""
    body = {"error": {"code": code, "message_zh": zh, "message_en": en, "field": field}}
    response = flask.jsonify(body)
    response.status_code = status
    return response


def _unauthenticated() -> flask.Response:
    return error_response(401, "unauthenticated", "请先登录。", "Please sign in first.")


def _forbidden() -> flask.Response:
    return error_response(403, "forbidden", "当前账户无权访问此内容。", "This account may not access this.")


# ---- page paths and callback ids -------------------------------------------------------------


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(<[^>]+>)", template)
    return re.compile("^" + "".join("[^/]+" if p.startswith("<") else re.escape(p) for p in parts) + "$")


def page_for_pathname(pathname: str | None) -> str | None:
    """The registered page path that serves ``pathname`` (templates resolved), else None."""
    app = dash.get_app()
    path = "/" + app.strip_relative_path(pathname or "/")
    path = path.rstrip("/") or "/"
    for page in dash.page_registry.values():
        if page["path"] == path:
            return page["path"]
    for page in dash.page_registry.values():
        template = page.get("path_template")
        if template and _template_regex(template).match(path):
            return page["path"]
    return None


def page_for_id(component_id: Any) -> str | None:
    """The page a component id belongs to by its prefix (dict ids: their ``type``); "" = shell."""
    if isinstance(component_id, dict):
        component_id = component_id.get("type")
    if not isinstance(component_id, str):
        return None
    if component_id.startswith(SHELL_PREFIX):
        return ""
    for prefix, page in PAGE_PREFIXES.items():
        if component_id.startswith(prefix):
            return page
    return None


def _callback_map() -> dict[str, Any]:
    """The callbacks of the Dash app on this server, by output key (``create_app`` keeps the app in
    ``server.extensions``; Dash moves the pages' callbacks into its map at start)."""
    app = flask.current_app.extensions.get("saferank", {}).get("dash") if flask.has_app_context() else None
    app = app or dash.get_app()
    return {**GLOBAL_CALLBACK_MAP, **app.callback_map}


def _query_enterprises(page: str | None, search: str) -> list[str]:
    """The enterprise ids the page router's query names (``SCOPED_QUERY``), as the page reads them."""
    if page not in SCOPED_QUERY:
        return []
    query = parse_qs(search.lstrip("?"))
    return [v.strip() for key in SCOPED_QUERY[page] for v in query.get(key, []) if v.strip()]


def callback_decision(user: User, body: Any) -> tuple[authz.Refusal | None, str | None, str]:
    """Whether ``user`` may run the callback ``body`` asks for: (refusal or None, page, search).

    ``dashboard.authz.check`` compares the body with the registered callback position by position,
    checks the role against the callback table, the values' types and the scoped values; for the
    page router, the page of the path must be one the role may open and the enterprise its query
    names one the user may see.
    """
    decision = authz.check(user.role, body, _callback_map(), scope_of(user))
    if isinstance(decision, authz.Refusal):
        return decision, None, ""
    if decision.key != authz.table.ROUTER:
        return None, None, ""
    if not isinstance(decision.pathname, str) or not decision.pathname.startswith("/"):
        return authz.Refusal(400, "invalid_input", "页面地址须以 / 开头。", "The page path must start with /.",
                             "_pages_location.pathname"), None, ""
    page, search = page_for_pathname(decision.pathname), decision.search
    # an unknown path renders Dash's "not found" page, which holds nothing
    if page is not None and not page_allowed(user, page):
        return authz.Refusal(403, "forbidden", "当前账户无权访问此页面。", "This account may not open this page."), page, search
    if not all(may_see_enterprise(user, value) for value in _query_enterprises(page, search)):
        return authz.Refusal(403, "forbidden", "当前账户无权查看这家企业。", "This account may not see this enterprise."), page, search
    return None, page, search


def callback_allowed(user: User, body: Any) -> tuple[bool, str | None, str]:
    """``callback_decision`` as (allowed, page, search)."""
    refusal, page, search = callback_decision(user, body)
    return refusal is None, page, search


def _audit_view(page: str | None, search: str) -> None:
    if page not in VIEW_ACTIONS:
        return
    action, keys = VIEW_ACTIONS[page]
    query = {k: v[0] for k, v in parse_qs(search.lstrip("?")).items()}
    object_id = next((query[k] for k in keys if query.get(k)), None)
    audit(action, object_id, page=page, **({"query": query} if query else {}))


# ---- the guard -------------------------------------------------------------------------------


def _session_user() -> User | None:
    """The account of the cookie's session if the store says that session is live (not signed out,
    not ended by a password reset or disabling, not idle past the timeout)."""
    token = flask.session.get(SESSION_KEY)
    if not token:
        return None
    from dashboard.context import get_store

    idle = timedelta(seconds=flask.current_app.config["SAFERANK_SESSION_TIMEOUT"])
    user = accounts.session_user(get_store(), token, idle=idle)
    if user is None:
        flask.session.clear()
    return user


def _token_user() -> User | None:
    header = flask.request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    from dashboard.context import get_store

    return accounts.user_for_token(get_store(), header[7:].strip())


def _is_asset(path: str) -> bool:
    """A static file rather than a page: ``/assets/...``, ``/favicon.ico``, any name with an extension."""
    return path.startswith("/assets/") or "." in path.rsplit("/", 1)[-1]


def guard() -> flask.Response | None:
    """Flask ``before_request``: refuse what the requester may not see."""
    request = flask.request
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    path = request.path
    is_api = path.startswith("/api/")
    is_dash = path.startswith("/_dash-") or path.startswith("/_reload") or path.startswith("/_favicon")
    user = _token_user() if is_api else None
    if user is None:
        user = _session_user()
    flask.g.saferank_user = user
    if is_api:
        if user is None:
            return _unauthenticated()
        if request.blueprint != "saferank_api" and request.routing_exception is None:  # Dash's catch-all
            return error_response(404, "not_found", "没有这个接口。", "There is no such route.")
        return None
    if user is None:
        # Only a page is sent to the login page. A file the browser fetches on its own (favicon,
        # stylesheet) must not be: following that redirect would issue a new form token and expire
        # the login form already on screen.
        if is_dash or _is_asset(path) or request.method != "GET":
            return _unauthenticated()
        return flask.redirect(flask.url_for("saferank_auth.login", next=request.full_path.rstrip("?")))
    if path == "/_dash-update-component":
        if user.can("import"):  # the import page's upload travels in a callback body; others keep the app's limit
            request.max_content_length = max(flask.current_app.config["MAX_CONTENT_LENGTH"] or 0,
                                             int(flask.current_app.extensions["saferank"]["config"]["import_max_bytes"]))
        body = request.get_json(silent=True)
        refusal, page, search = callback_decision(user, body)
        if refusal is not None:
            if refusal.audited:
                output = body.get("output") if isinstance(body, dict) else None
                audit("access_denied", path, output=str(output)[:200], reason=refusal.en[:200])
            return error_response(refusal.status, refusal.code, refusal.zh, refusal.en, refusal.field)
        if page is not None:
            _audit_view(page, search)
        return None
    if is_dash or path.startswith("/assets/") or path.startswith("/_dash-component-suites/"):
        return None
    page = page_for_pathname(path)
    if page is None or page_allowed(user, page):
        return None
    if page == "/":
        return flask.redirect(home_path(user))
    audit("access_denied", path)
    return flask.Response(
        f"<!doctype html><meta charset='utf-8'><title>403</title><p>{i18n.t('errors.page_forbidden', current_language())}"
        f" <a href='{home_path(user)}'>{i18n.t('errors.back', current_language())}</a></p>",
        status=403,
        mimetype="text/html",
    )


# ---- login and logout ------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only same-site paths may follow a sign-in (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "") if not parts.netloc else "/"


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> flask.Response | str:
    from dashboard.context import get_store
    from dashboard.pages.login import render_login

    lang = current_language()
    next_path = _safe_next(flask.request.values.get("next"))
    error = None
    status = 200
    retry_after = None
    if flask.request.method == "POST":
        form = flask.request.form
        expected = flask.session.get("csrf")
        if not expected or not secrets.compare_digest(str(form.get("csrf", "")), str(expected)):
            error, status = ("页面已过期，请重新登录。", "The form expired; please sign in again."), 400
        else:
            try:
                user = accounts.verify_login(
                    get_store(), form.get("username", "").strip(), form.get("password", ""), source=source_address()
                )
            except accounts.LoginThrottled as throttled:
                error, status, retry_after = (throttled.zh, throttled.en), 429, throttled.retry_after
            except UserError as refused:
                error, status = (refused.zh, refused.en), 401
            else:
                flask.session.clear()  # a new session, never the one the form came with (fixation)
                flask.session.permanent = True
                flask.session[SESSION_KEY] = accounts.start_session(get_store(), user.username, source=source_address())
                flask.g.saferank_user = user
                return flask.redirect(next_path if next_path != "/" else home_path(user))
    # One token per session, kept while it lives: a second tab (or any stray GET of /login) must not
    # expire the form already on screen. Signing in clears the session, and with it the token.
    if not flask.session.get("csrf"):
        flask.session["csrf"] = secrets.token_urlsafe(24)
    html = render_login(lang=lang, csrf=flask.session["csrf"], next_path=next_path, error=error)
    response = flask.Response(html, status=status, mimetype="text/html")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    if flask.request.args.get("lang") == lang:  # the login page's switch sets the dashboard's cookie
        response.set_cookie(i18n.COOKIE, lang, max_age=31_536_000, samesite="Lax", path="/")
    return response


@blueprint.route("/logout", methods=["GET", "POST"])
def logout() -> flask.Response:
    from dashboard.context import get_store

    token = flask.session.get(SESSION_KEY)
    if token:  # ended in the store, so a copy of the cookie kept elsewhere stops working too
        accounts.end_session(get_store(), token, source=source_address())
    flask.session.clear()
    return flask.redirect(flask.url_for("saferank_auth.login"))


def install(server: flask.Flask) -> None:
    """Register the login routes and the guard on ``server``."""
    server.register_blueprint(blueprint)
    server.before_request(guard)
    server.after_request(_no_store)


def _no_store(response: flask.Response) -> flask.Response:
    # Lists and plans must not linger in shared browser caches; Dash's fingerprinted bundles may.
    if not flask.request.path.startswith("/_dash-component-suites/"):
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


__all__ = [
    "PAGE_PREFIXES", "PAGE_ROLES", "User", "audit", "callback_allowed", "callback_decision", "current_language",
    "current_user", "error_response", "may_see_enterprise", "page_allowed", "page_for_id", "page_for_pathname", "install",
    "visible_enterprises",
]
