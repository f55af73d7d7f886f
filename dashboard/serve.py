"""Run the dashboard: Flask's development server, or waitress (``prod=True``) for real use.

In production put a reverse proxy (nginx, Caddy) in front for TLS, set ``SAFERANK_SECRET_KEY``,
``SAFERANK_SECURE_COOKIES=1`` and ``SAFERANK_TRUSTED_PROXIES`` to the proxy's address: the app
(``dashboard.proxies``) then takes the client address from ``X-Forwarded-For`` only on connections
from that address, so the audit log records the real client and no one else can choose what it
records. Waitress itself trusts no proxy header.

A start never strands anyone: a busy port is refused before anything starts (a ``UserError``, exit 2,
in both languages; no "running" claim, no ``OSError`` trace), then the address is printed, and, while
the store holds no enabled administrator, the command that creates the first one.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading
from typing import Any

from analytics.contract.errors import UserError
from dashboard import i18n


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
    lang: str = "zh",
) -> None:
    """Serve until interrupted (messages in ``lang``)."""
    from dashboard.app import create_app

    check_port(host, port)
    app = create_app(config_from_environment(db))
    warn_about_database_role(app)
    print(address_message(host, port, lang), flush=True)
    hint = first_admin_hint(app, db, lang)
    if hint:
        print(hint, flush=True)
    warm_cache(app)
    try:
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
    except OSError as error:  # taken between the check and the start, or a bind the check allowed
        raise port_refused(host, port, error) from None


def port_refused(host: str, port: int, error: OSError) -> UserError:
    """The bilingual refusal for an address that cannot be served on."""
    if error.errno == errno.EADDRINUSE:
        return UserError(*(i18n.t("serve.port_busy", lang, host=host, port=port) for lang in i18n.LANGS))
    reason = error.strerror or str(error)
    return UserError(*(i18n.t("serve.cannot_bind", lang, host=host, port=port, reason=reason) for lang in i18n.LANGS))


def check_port(host: str, port: int) -> None:
    """Nothing when ``host:port`` can be listened on (bound as waitress binds it, with SO_REUSEADDR,
    then released); else ``port_refused``'s ``UserError``."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:  # socket.gaierror (an unknown host) is an OSError too
        raise port_refused(host, port, error) from None


def address_message(host: str, port: int, lang: str = "zh") -> str:
    """Where to open the dashboard (``0.0.0.0``/``::`` named as every address of this machine); a
    space after the address, so that a terminal's link ends with it."""
    every = host in ("0.0.0.0", "", "::")
    shown = "[::1]" if host == "::" else ("127.0.0.1" if every else host)
    return i18n.t("serve.address_every" if every else "serve.address", lang, url=f"http://{shown}:{port}/")


def first_admin_hint(app: Any, db: str | None = None, lang: str = "zh") -> str | None:
    """While the store holds no enabled administrator, how to create the first one (else None)."""
    from analytics.accounts.users import list_users
    from dashboard.context import get_store

    with app.server.app_context():
        accounts = list_users(get_store())
    if ((accounts["role"] == "admin") & ~accounts["disabled"].fillna(False)).any():
        return None
    where = f" --db {db}" if db and "@" not in db else (" --db …" if db else "")  # never print a password
    command = f"saferank users add {i18n.t('serve.username', lang)} --role admin{where}"
    return i18n.t("serve.first_admin", lang, command=command)


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
