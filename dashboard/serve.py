"""Run the dashboard: Flask's development server, or waitress (``prod=True``) for real use.

In production put a reverse proxy (nginx, Caddy) in front for TLS, set ``SAFERANK_SECRET_KEY``,
``SAFERANK_SECURE_COOKIES=1`` and ``SAFERANK_TRUSTED_PROXIES`` to the proxy's address: the app
(``dashboard.proxies``) then takes the client address from ``X-Forwarded-For`` only on connections
from that address, so the audit log records the real client and no one else can choose what it
records. Waitress itself trusts no proxy header.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any


def config_from_environment(db: str | None = None) -> dict[str, Any]:
    """The app config from the command line's ``--db`` and the environment."""
    config: dict[str, Any] = {"db": db}
    if os.environ.get("SAFERANK_SECURE_COOKIES", "").lower() in ("1", "true", "yes"):
        config["secure_cookies"] = True
    if os.environ.get("SAFERANK_SESSION_MINUTES"):
        config["session_timeout_minutes"] = float(os.environ["SAFERANK_SESSION_MINUTES"])
    if os.environ.get("SAFERANK_LANGUAGE") in ("zh", "en"):
        config["language"] = os.environ["SAFERANK_LANGUAGE"]
    if os.environ.get("SAFERANK_TRUSTED_PROXIES"):
        config["trusted_proxies"] = os.environ["SAFERANK_TRUSTED_PROXIES"]
    return config


def serve(
    db: str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8050,
    prod: bool = False,
    threads: int = 8,
) -> None:
    """Serve until interrupted."""
    from dashboard.app import create_app

    app = create_app(config_from_environment(db))
    warn_about_database_role(app)
    warm_cache(app)
    if not prod:
        app.run(host=host, port=port, debug=False)
        return
    import waitress

    waitress.serve(
        app.server,
        host=host,
        port=port,
        threads=threads,
        # The app decides whom to believe (SAFERANK_TRUSTED_PROXIES) and removes the headers of
        # everyone else; waitress, left to its defaults, would drop them even from a trusted proxy.
        trusted_proxy=None,
        clear_untrusted_proxy_headers=False,
        ident="saferank",
    )


def warn_about_database_role(app: Any) -> str | None:
    """Print (and return) ``analytics.store.roles.role_warning`` for the store the app connects to:
    on PostgreSQL the app should not connect as the tables' owner or a superuser."""
    from analytics.store.roles import role_warning
    from dashboard.context import get_store

    with app.server.app_context():
        warning = role_warning(get_store())
    if warning:
        print(warning, file=sys.stderr)
    return warning


def warm_cache(app: Any) -> threading.Thread:
    """Read the store's tables and the newest list into the pages' cache in the background, so the
    first visitor after a start does not wait for them (seconds at 100,000 firms)."""
    from dashboard.components import data

    def warm() -> None:
        with app.server.app_context():
            dates = data.scored_dates()
            data.tables()
            if dates:
                data.risk_list(dates[0])

    thread = threading.Thread(target=warm, name="saferank-warm-cache", daemon=True)
    thread.start()
    return thread
