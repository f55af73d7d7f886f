"""``create_app(config)``: the Dash app with its pages, the sign-in guard and the JSON API.

Everything is served from this machine: Dash's own bundles (``serve_locally``), ``dashboard/assets``
and no stylesheet or script from any CDN. The store is opened once per app; pages and the API get
it from ``get_store()``.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import dash
import flask
import sqlalchemy as sa
from dash import dcc, html

from analytics.contract.errors import UserError
from analytics.store.database import open_store
from dashboard import api, auth, i18n, proxies

PACKAGE = Path(__file__).resolve().parent
PAGES = PACKAGE / "pages"
ASSETS = PACKAGE / "assets"
SECRET_FILE_NAME = ".secret_key"

DEFAULTS: dict[str, Any] = {
    "db": None,  # SQLAlchemy URL; else $SAFERANK_DB; else the store's default
    "secret_key": None,  # else $SAFERANK_SECRET_KEY; else generated once and kept beside the store (secret_file)
    "session_timeout_minutes": 30,  # idle time after which the session ends
    "language": "zh",  # when neither the URL nor the language cookie says
    "secure_cookies": False,  # True behind TLS (the reverse proxy terminates HTTPS)
    "max_content_length": 2 * 1024 * 1024,  # request bodies above this get 413
    "import_max_bytes": 32 * 1024 * 1024,  # ... except callbacks of accounts that may import (the import page's upload)
    "models_dir": None,  # the model registry folder; else $SAFERANK_MODELS; else data/models
    "trusted_proxies": None,  # addresses/networks whose X-Forwarded-For counts; else $SAFERANK_TRUSTED_PROXIES; else none
}


def secret_file(store_url: str) -> Path:
    """Where the generated session key is kept: in the data folder, beside the store it signs
    sessions for. That is the folder of a SQLite store's file; for other stores (PostgreSQL)
    ``$SAFERANK_HOME``, else ``data/`` under the working directory. Never beside the installed
    package, which may be shared or read-only."""
    url = sa.engine.make_url(store_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().resolve().parent / SECRET_FILE_NAME
    return Path(os.environ.get("SAFERANK_HOME") or "data").expanduser().resolve() / SECRET_FILE_NAME


def _secret_key(configured: str | None, store_url: str) -> str:
    """The configured key, else $SAFERANK_SECRET_KEY, else the key in ``secret_file`` (made once,
    readable by its owner only)."""
    key = configured or os.environ.get("SAFERANK_SECRET_KEY")
    if key:
        return key
    path = secret_file(store_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole to a private temporary file, then linked into place: never visible with wider
        # permissions or half written, and two servers starting at once end up with the same key.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_hex(32))
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(temporary)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a key file readable by others (an older version's) is narrowed
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise UserError(
            f"会话密钥文件 {path} 是空的：请删除它（将生成新密钥）或设置 SAFERANK_SECRET_KEY。",
            f"The session key file {path} is empty: delete it (a new key is made) or set SAFERANK_SECRET_KEY.",
        )
    return key


def _navigation() -> html.Nav:
    """Links to the pages the signed-in user's role may open, in the request's language."""
    user = auth.current_user()
    lang = auth.current_language()
    links = [
        dcc.Link(
            i18n.t(f"nav.{page['path'].strip('/') or 'overview'}", lang),
            href=page["relative_path"],
            className="app-nav-link",
            id=f"app-nav-{page['path'].strip('/') or 'overview'}",
        )
        for page in sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0)
        if auth.page_allowed(user, page["path"])
    ]
    account = []
    if user is not None:
        account = [
            html.Span(f"{user.display_name or user.username}", className="app-user", id="app-user"),
            html.A(i18n.t("nav.sign_out", lang), href="/logout", className="app-logout", id="app-logout"),
        ]
    return html.Nav(
        [html.Span("SafeRank", className="app-brand"), html.Div(links, className="app-nav-links"), *account],
        className="app-nav",
        id="app-nav",
    )


def _layout() -> html.Div:
    return html.Div([_navigation(), dash.page_container], className="app-shell", id="app-shell")


def create_app(config: dict[str, Any] | None = None) -> dash.Dash:
    """The dashboard and API on one Flask server (``app.server``). ``config`` keys: see ``DEFAULTS``."""
    settings = {**DEFAULTS, **(config or {})}
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown config keys: {sorted(unknown)}")
    store = open_store(settings["db"])
    server = flask.Flask("dashboard", root_path=str(PACKAGE), static_folder=None)
    trusted = settings["trusted_proxies"]
    server.wsgi_app = proxies.TrustedProxies(
        server.wsgi_app, proxies.parse_trusted(os.environ.get(proxies.ENVIRONMENT_VARIABLE) if trusted is None else trusted)
    )
    server.config.update(
        SECRET_KEY=_secret_key(settings["secret_key"], store.url),
        SESSION_COOKIE_NAME="saferank_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings["secure_cookies"]),
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings["session_timeout_minutes"]),
        MAX_CONTENT_LENGTH=int(settings["max_content_length"]),
        SAFERANK_SESSION_TIMEOUT=60 * float(settings["session_timeout_minutes"]),
        SAFERANK_LANGUAGE=settings["language"],
    )
    server.extensions["saferank"] = {"store": store, "config": settings}
    auth.install(server)  # before Dash: the guard must run before Dash's own request hooks
    api.install(server)
    app = dash.Dash(
        "dashboard",
        server=server,
        use_pages=True,
        pages_folder=str(PAGES),
        assets_folder=str(ASSETS),
        serve_locally=True,
        external_stylesheets=[],
        external_scripts=[],
        suppress_callback_exceptions=True,  # page layouts are built per request, for the user's role
        title="SafeRank",
        update_title=None,
    )
    app.layout = _layout
    server.extensions["saferank"]["dash"] = app  # the guard checks callbacks against this app's map
    # One request so that Dash moves the pages' callbacks (and the page router) into this app's
    # callback map now, not at the first visitor's request.
    server.test_client().get("/api/v1/health")
    return app
