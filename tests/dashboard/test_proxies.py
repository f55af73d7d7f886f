"""Trusted proxies: who may say what the client's address and scheme are (the audit records it).
Any client could send ``X-Forwarded-For`` and choose the address written into the audit log."""

from __future__ import annotations

import re
import time

import pytest
from test_auth_support import (
    PASSWORD,
    auth_app_fixture,  # noqa: F401 (registers the fixture "auth_app")
)

from analytics.accounts import audit
from analytics.accounts import users as accounts
from analytics.contract.errors import UserError
from dashboard import proxies

TRUSTED = proxies.parse_trusted("10.0.0.2 10.9.0.0/16,::1")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("192.0.2.5", "6.6.6.6", "192.0.2.5"),  # a client sending the header itself
        ("10.0.0.2", None, "10.0.0.2"),  # the proxy, without the header
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own claim is left of the real one
        ("10.0.0.2", "198.51.100.7, 10.9.1.1", "198.51.100.7"),  # through two trusted proxies
        ("10.0.0.2", "10.9.1.1, 10.9.1.2", "10.9.1.1"),  # all trusted: the farthest one
        ("10.0.0.2", "not-an-address, 198.51.100.7", "198.51.100.7"),
        ("10.0.0.2", "198.51.100.7, garbage", "10.0.0.2"),  # the proxy said nothing readable
        ("10.0.0.2", "[2001:db8::7]:443", "2001:db8::7"),
        ("::1", "198.51.100.8", "198.51.100.8"),
        ("::ffff:10.0.0.2", "198.51.100.9", "198.51.100.9"),
    ],
)
def test_the_client_address_is_read_from_the_right_past_trusted_proxies(peer, forwarded_for, client) -> None:
    assert proxies.client_address(peer, forwarded_for, TRUSTED) == client


def test_no_proxy_is_trusted_unless_configured() -> None:
    assert proxies.parse_trusted(None) == () and proxies.parse_trusted("") == ()
    assert proxies.client_address("127.0.0.1", "6.6.6.6", ()) == "127.0.0.1"


def _environ(peer: str, **headers: str) -> dict:
    seen: dict = {}

    def app(environ, start_response):
        seen.update(environ)
        return []

    environ = {"REMOTE_ADDR": peer, "wsgi.url_scheme": "http", **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}
    proxies.TrustedProxies(app, TRUSTED)(environ, lambda *a: None)
    return seen


def test_the_middleware_sets_address_and_scheme_from_a_proxy_and_strips_everyone_else_s_headers() -> None:
    from_proxy = _environ("10.0.0.2", x_forwarded_for="198.51.100.7", x_forwarded_proto="https")
    assert from_proxy["REMOTE_ADDR"] == "198.51.100.7" and from_proxy["wsgi.url_scheme"] == "https"
    from_client = _environ("192.0.2.5", x_forwarded_for="6.6.6.6", x_forwarded_proto="https", forwarded="for=6.6.6.6",
                           x_forwarded_host="evil.example")
    assert from_client["REMOTE_ADDR"] == "192.0.2.5" and from_client["wsgi.url_scheme"] == "http"
    assert not any(key in from_client for key in ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_FORWARDED",
                                                  "HTTP_X_FORWARDED_HOST"))
    assert _environ("10.0.0.2", x_forwarded_proto="gopher")["wsgi.url_scheme"] == "http"


@pytest.mark.parametrize("value", ["10.0.0.300", "proxy.example", "10.0.0.0/33"])
def test_a_wrong_trusted_proxy_setting_is_refused_in_both_languages(value: str) -> None:
    with pytest.raises(UserError) as refused:
        proxies.parse_trusted(f"10.0.0.2, {value}")
    assert value in refused.value.en and value in refused.value.zh and "SAFERANK_TRUSTED_PROXIES" in refused.value.en


def test_the_setting_comes_from_the_environment(monkeypatch) -> None:
    from dashboard.serve import config_from_environment

    monkeypatch.delenv(proxies.ENVIRONMENT_VARIABLE, raising=False)
    assert "trusted_proxies" not in config_from_environment()
    monkeypatch.setenv(proxies.ENVIRONMENT_VARIABLE, "10.0.0.2")
    assert config_from_environment()["trusted_proxies"] == "10.0.0.2"


@pytest.fixture
def account(auth_app) -> str:
    username = f"u-p{time.perf_counter_ns() % 10**9}"
    accounts.add_user(auth_app.store, username, "office", PASSWORD)
    return username


def _failed_from(auth_app, account: str, peer: str, forwarded_for: str) -> str:
    """The source address the audit records for a failed sign-in over a connection from ``peer``."""
    client = auth_app.app.server.test_client()
    page = client.get("/login", environ_base={"REMOTE_ADDR": peer})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    client.post("/login", data={"username": account, "password": "wrong-password", "csrf": csrf},
                headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": peer})
    return audit.search(auth_app.store, {"username": account, "action": "login_failed"})["source"].iloc[0]


def test_forwarded_for_is_believed_only_from_a_configured_proxy(auth_app, account, monkeypatch) -> None:
    from dashboard import proxies

    middleware = auth_app.app.server.wsgi_app
    assert isinstance(middleware, proxies.TrustedProxies) and middleware.trusted == ()  # none by default
    assert _failed_from(auth_app, account, "192.0.2.77", "6.6.6.6") == "192.0.2.77"
    assert _failed_from(auth_app, account, "127.0.0.1", "6.6.6.6") == "127.0.0.1"  # not even from this machine
    monkeypatch.setattr(middleware, "trusted", proxies.parse_trusted("10.0.0.2, 10.9.0.0/16"))
    assert _failed_from(auth_app, account, "10.0.0.2", "6.6.6.6, 198.51.100.23") == "198.51.100.23"
    assert _failed_from(auth_app, account, "10.0.0.2", "198.51.100.24, 10.9.3.3") == "198.51.100.24"  # two proxies
    assert _failed_from(auth_app, account, "192.0.2.78", "6.6.6.6") == "192.0.2.78"  # a client, not the proxy
