"""Sessions and sign-in through the server, as an attacker with a captured cookie or a login form
meets them: a copied cookie dies with sign-out, a password reset or disabling (pages and API); an
idle session ends; failed sign-ins slow their source without locking the owner out, and the
replies do not tell which names exist."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from test_auth_support import (
    PASSWORD,
    auth_app_fixture,  # noqa: F401 (registers the fixture "auth_app")
)

from analytics.accounts import audit, sessions, throttle
from analytics.accounts import users as accounts
from dashboard import auth

COOKIE = "saferank_session"
PAGE, API = "/_dash-layout", "/api/v1/risk-list?limit=1"


def _sign_in(auth_app, username: str, password: str = PASSWORD, address: str = "192.0.2.10"):
    """A client signed in through the form from ``address``, and the response."""
    client = auth_app.app.server.test_client()
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf": csrf},
                           environ_base={"REMOTE_ADDR": address})
    return client, response


def _copy(auth_app, client):
    """Another browser holding a copy of ``client``'s session cookie (what a thief would hold)."""
    thief = auth_app.app.server.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def _works(client) -> bool:
    page, api = client.get(PAGE).status_code, client.get(API).status_code
    assert page == api, (page, api)  # pages and the API accept the same sessions
    return page == 200


@pytest.fixture
def account(auth_app) -> str:
    """A fresh office account (the module's app is shared; each test gets its own name)."""
    username = f"u-s{time.perf_counter_ns() % 10**9}"
    accounts.add_user(auth_app.store, username, "office", PASSWORD)
    return username


def test_a_copied_cookie_stops_working_when_its_owner_signs_out(auth_app, account) -> None:
    client, response = _sign_in(auth_app, account)
    assert response.status_code == 302
    thief = _copy(auth_app, client)
    assert _works(client) and _works(thief)
    assert client.get("/logout").status_code == 302
    assert not _works(thief)
    assert not _works(client)
    assert audit.search(auth_app.store, {"username": account, "action": "logout"}).shape[0] == 1


def test_signing_out_in_one_browser_leaves_another_signed_in(auth_app, account) -> None:
    first, _ = _sign_in(auth_app, account)
    second, _ = _sign_in(auth_app, account)
    first.get("/logout")
    assert not _works(first) and _works(second)


@pytest.mark.parametrize("change", ["reset_password", "disable_user"])
def test_a_password_reset_or_disabling_ends_every_copy_of_the_cookie(auth_app, account, change: str) -> None:
    client, _ = _sign_in(auth_app, account)
    thief = _copy(auth_app, client)
    assert _works(thief)
    getattr(accounts, change)(auth_app.store, account)
    if change == "disable_user":
        accounts.enable_user(auth_app.store, account)  # enabling again revives no old session
    assert not _works(thief) and not _works(client)


def test_a_session_cookie_from_before_sign_in_grants_nothing(auth_app, account) -> None:
    """The old cookie format named the account; a cookie without a live session token is no session."""
    client = auth_app.app.server.test_client()
    with client.session_transaction() as session:
        session["user"], session["seen"] = account, time.time()
        session[auth.SESSION_KEY] = "made-up-token"
    assert not _works(client)


def test_an_idle_session_expires(auth_app, account) -> None:
    client, _ = _sign_in(auth_app, account)
    assert _works(client)
    with auth_app.store.engine.begin() as connection:  # 31 minutes pass without a request
        connection.execute(
            sessions.sessions.update()
            .where(sessions.sessions.c.username == account)
            .values(last_seen=accounts._now() - timedelta(minutes=31))
        )
    assert not _works(client)
    ended = sa.select(sessions.sessions.c.end_reason).where(sessions.sessions.c.username == account)
    with auth_app.store.engine.connect() as connection:
        assert connection.execute(ended).scalars().all() == ["idle"]


def test_failed_sign_ins_slow_their_source_and_not_the_owner_elsewhere(auth_app, account) -> None:
    attacker = "203.0.113.66"
    for _ in range(throttle.SCOPES[0].free):
        _, response = _sign_in(auth_app, account, "wrong-password", attacker)
        assert response.status_code == 401
    _, response = _sign_in(auth_app, account, PASSWORD, attacker)  # even the right password waits there
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "登录失败次数过多" in response.get_data(as_text=True)
    owner, response = _sign_in(auth_app, account, PASSWORD, "192.0.2.44")
    assert response.status_code == 302 and _works(owner)
    sources = audit.search(auth_app.store, {"username": account, "action": "login_failed"})["source"]
    assert set(sources) == {attacker}


def _refused(client, username: str, address: str) -> tuple[int, str, float]:
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    started = time.perf_counter()
    response = client.post("/login", data={"username": username, "password": "wrong-password", "csrf": csrf},
                           environ_base={"REMOTE_ADDR": address})
    return response.status_code, response.get_data(as_text=True), time.perf_counter() - started


def test_replies_do_not_tell_which_names_exist(auth_app, account) -> None:
    client = auth_app.app.server.test_client()
    seen: dict[str, list] = {"existing": [], "unknown": []}
    for round_ in range(5):  # interleaved, each from its own address so that no throttle applies
        seen["existing"].append(_refused(client, account, f"198.51.100.{round_}"))
        seen["unknown"].append(_refused(client, f"nobody-{round_}", f"198.51.100.{100 + round_}"))
    assert {(status, body) for status, body, _ in seen["existing"] + seen["unknown"]} == {(401, seen["existing"][0][1])}
    medians = {kind: statistics.median(t for _, _, t in replies) for kind, replies in seen.items()}
    assert 0.67 < medians["unknown"] / medians["existing"] < 1.5, medians
    throttled = {}
    for kind, username in (("existing", account), ("unknown", "nobody-at-all")):
        for _ in range(throttle.SCOPES[0].free):
            _refused(client, username, f"198.51.100.{200 + len(throttled)}")
        throttled[kind] = _refused(client, username, f"198.51.100.{200 + len(throttled)}")[:2]
    assert throttled["existing"][0] == 429 and throttled["existing"] == throttled["unknown"]


def test_sessions_are_stored_as_hashes(auth_app, account) -> None:
    client, _ = _sign_in(auth_app, account)
    with client.session_transaction() as session:
        token = session[auth.SESSION_KEY]
    with auth_app.store.engine.connect() as connection:
        stored = connection.execute(
            sa.select(sessions.sessions.c.session_hash).where(sessions.sessions.c.username == account)
        ).scalars().all()
    assert stored == [sessions.token_hash(token)] and token not in stored
