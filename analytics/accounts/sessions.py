"""Server-side sign-in sessions: a signed cookie names a session, this table says whether it lives.

A signed cookie alone cannot be taken back: after a sign-out or a password reset the copy an
attacker captured stayed valid until it expired. Now the cookie carries only a random session
token; the store keeps the token's SHA-256 with the account, the last time it was used and when it
ended. Signing out ends that session; a password reset or disabling the account ends all the
account's sessions (``end_all``). A session that was idle longer than the caller's timeout is ended
when next presented.

The functions take a connection so that ending sessions joins the transaction that changes the
account (and writes its audit row).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from analytics.store.app_tables import sessions

# ``last_seen`` is written at most this often, so that a page's dozen callbacks do not each write.
TOUCH_SECONDS = 30
# Ended or long-idle sessions are deleted when someone signs in: they are dead, and the audit log
# keeps the sign-ins and sign-outs.
RETENTION = timedelta(days=7)
_TOKEN_BYTES = 32
_MAX_TOKEN_LENGTH = 128


# Why a session ended (``end_reason``).
END_REASONS = frozenset({"logout", "idle", "password_reset", "disabled"})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(connection: sa.Connection, username: str, source: str | None, now: datetime) -> str:
    """A new session for ``username``; returns its token (only the hash is stored)."""
    connection.execute(
        sessions.delete().where(sa.or_(sessions.c.ended_at.is_not(None), sessions.c.last_seen < now - RETENTION))
    )
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    connection.execute(
        sessions.insert().values(
            session_hash=token_hash(token), username=username, created_at=now, last_seen=now,
            source=None if source is None else str(source)[:64], ended_at=None, end_reason=None,
        )
    )
    return token


def _key(token: object) -> str | None:
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    return token_hash(token)


def live(token: object) -> sa.Select | None:
    """The query for the live session ``token`` (``username``, ``last_seen``), to select alone or
    joined with the account; None for something that cannot be a token."""
    key = _key(token)
    if key is None:
        return None
    return sa.select(sessions.c.username, sessions.c.last_seen).where(
        sessions.c.session_hash == key, sessions.c.ended_at.is_(None)
    )


def keep_alive(connection: sa.Connection, token: str, last_seen: datetime, idle: timedelta, now: datetime) -> bool:
    """After ``live`` found the session: end it when idle longer than ``idle`` (False), else note
    its use (at most every ``TOUCH_SECONDS``) and return True."""
    if now - last_seen > idle:
        end(connection, token, "idle", now)
        return False
    if (now - last_seen).total_seconds() >= TOUCH_SECONDS:
        connection.execute(sessions.update().where(sessions.c.session_hash == token_hash(token)).values(last_seen=now))
    return True


def end(connection: sa.Connection, token: object, reason: str, now: datetime) -> str | None:
    """End the session ``token``; returns its account if it was live."""
    if reason not in END_REASONS:
        raise ValueError(f"unknown end reason {reason!r}")
    key = _key(token)
    if key is None:
        return None
    username = connection.execute(
        sa.select(sessions.c.username).where(sessions.c.session_hash == key, sessions.c.ended_at.is_(None))
    ).scalar()
    if username is not None:
        connection.execute(sessions.update().where(sessions.c.session_hash == key).values(ended_at=now, end_reason=reason))
    return username


def end_all(connection: sa.Connection, username: str, reason: str, now: datetime) -> int:
    """End every live session of ``username``; returns how many there were."""
    if reason not in END_REASONS:
        raise ValueError(f"unknown end reason {reason!r}")
    result = connection.execute(
        sessions.update()
        .where(sessions.c.username == username, sessions.c.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    return result.rowcount
