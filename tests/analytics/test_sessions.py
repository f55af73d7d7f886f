"""Server-side sessions: a session token works until sign-out, a password reset, disabling the
account or idling past the timeout, and the store keeps only its hash."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from analytics.accounts import audit, sessions
from analytics.accounts import users as accounts
from analytics.store.database import open_store

PASSWORD = "correct-horse-battery"
IDLE = timedelta(minutes=30)


@pytest.fixture
def store(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    accounts.add_user(store, "a1", "office", PASSWORD)
    accounts.add_user(store, "a2", "office", PASSWORD)
    return store


def _live(store, token, **kwargs) -> bool:
    return accounts.session_user(store, token, idle=IDLE, **kwargs) is not None


def test_a_session_lives_until_its_account_signs_out(store) -> None:
    token = accounts.start_session(store, "a1", source="10.0.0.5")
    other = accounts.start_session(store, "a1")
    assert accounts.session_user(store, token, idle=IDLE) == accounts.User("a1", "office", None, "a1")
    assert accounts.end_session(store, token, source="10.0.0.5").username == "a1"
    assert not _live(store, token)
    assert _live(store, other)  # signing out in one browser leaves the other signed in
    assert accounts.end_session(store, token) is None  # ending it twice is not audited twice
    assert audit.search(store, {"action": "logout"})[["username", "source"]].values.tolist() == [["a1", "10.0.0.5"]]


@pytest.mark.parametrize("end", ["password_reset", "disable"])
def test_a_password_reset_or_disabling_ends_every_session_of_the_account(store, end: str) -> None:
    tokens = [accounts.start_session(store, "a1") for _ in range(3)]
    bystander = accounts.start_session(store, "a2")
    if end == "password_reset":
        accounts.reset_password(store, "a1")
    else:
        accounts.disable_user(store, "a1")
        accounts.enable_user(store, "a1")  # enabling again brings no old session back
    assert not any(_live(store, token) for token in tokens)
    assert _live(store, bystander)
    entry = audit.search(store, {"action": "password_reset" if end == "password_reset" else "user_disable"})
    assert '"sessions_ended": 3' in entry["details"].iloc[0]


def test_an_idle_session_ends_and_an_active_one_does_not(store) -> None:
    now = accounts._now()
    token = accounts.start_session(store, "a1", now=now)
    for minutes in (20, 40, 60):  # used every 20 minutes: never idle for 30
        assert _live(store, token, now=now + timedelta(minutes=minutes))
    assert not _live(store, token, now=now + timedelta(minutes=60) + IDLE + timedelta(seconds=1))
    assert not _live(store, token, now=now + timedelta(minutes=61))  # ended for good, not only late


def test_the_store_keeps_only_the_token_hash_and_prunes_dead_sessions(store) -> None:
    now = accounts._now()
    old = accounts.start_session(store, "a1", now=now - sessions.RETENTION - timedelta(days=1))
    ended = accounts.start_session(store, "a1", now=now)
    accounts.end_session(store, ended)
    token = accounts.start_session(store, "a2", now=now)
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(sessions.sessions)).mappings().all()
    assert [row["session_hash"] for row in rows] == [sessions.token_hash(token)]
    assert token not in str(rows) and old not in str(rows)


@pytest.mark.parametrize("token", [None, "", 42, "x" * 500, "not-a-session", ["list"]])
def test_anything_but_a_live_token_is_no_session(store, token) -> None:
    assert accounts.session_user(store, token, idle=IDLE) is None
    assert accounts.end_session(store, token) is None
