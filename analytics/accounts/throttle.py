"""The sign-in throttle: failed sign-ins slow down where they come from, without locking anyone out.

Locking an account after five failures let anyone lock the administrator out from anywhere, and the
"locked" reply told which names exist. Instead, failures are counted under three keys, and once a
key has had its free failures each further attempt under it waits twice as long as the one before:

==========  ===================================  ======  ==========  ===========================
scope       counts failures of                   free    longest     stops
                                                          wait
==========  ===================================  ======  ==========  ===========================
``pair``    one source address for one name      5       15 min      guessing one password
``source``  one source address, any name         10      15 min      spraying many names
``name``    one name, from any source            20      1 min       many machines on one name
==========  ===================================  ======  ==========  ===========================

The first wait is ``BASE_DELAY`` seconds (1 s, 2 s, 4 s, ...). A key forgets its failures after
``WINDOW`` without one. The owner signing in from another address is only ever slowed by the
``name`` key, and by at most a minute; a successful sign-in clears its ``pair`` key. Names are
counted whether or not the account exists, so the throttle says nothing about which names do.

Keys are stored as SHA-256 digests (no addresses or typed names in this table), and counted in
the store so that every worker process of the server sees the same counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from analytics.store.app_tables import login_failures


@dataclass(frozen=True)
class Scope:
    name: str
    free: int  # failures allowed before the first wait
    longest: timedelta  # the wait doubles up to this


SCOPES: tuple[Scope, ...] = (
    Scope("pair", 5, timedelta(minutes=15)),
    Scope("source", 10, timedelta(minutes=15)),
    Scope("name", 20, timedelta(minutes=1)),
)
BASE_DELAY = timedelta(seconds=1)
WINDOW = timedelta(hours=1)


def keys(source: str | None, username: str) -> dict[str, str]:
    """The digest under which each scope counts an attempt by ``username`` from ``source``."""
    address = "" if source is None else str(source)
    name = username.strip().casefold()
    values = {"pair": f"{address}\x00{name}", "source": address, "name": name}
    return {scope: hashlib.sha256(f"{scope}\x00{value}".encode()).hexdigest() for scope, value in values.items()}


def delay(scope: Scope, failures: int) -> timedelta:
    """How long after the last failure the next attempt must wait, with ``failures`` counted."""
    if failures < scope.free:
        return timedelta(0)
    doublings = min(failures - scope.free, 30)  # 2**30 s is far beyond any scope's longest wait
    return min(BASE_DELAY * 2**doublings, scope.longest)


def wait(connection: sa.Connection, attempt_keys: dict[str, str], now: datetime) -> timedelta:
    """How long the attempt must still wait (zero: it may go ahead)."""
    rows = connection.execute(
        sa.select(login_failures.c.scope, login_failures.c.failures, login_failures.c.last_failure).where(
            login_failures.c.key.in_(list(attempt_keys.values())), login_failures.c.last_failure >= now - WINDOW
        )
    ).all()
    scopes = {scope.name: scope for scope in SCOPES}
    waits = [row.last_failure + delay(scopes[row.scope], row.failures) - now for row in rows if row.scope in scopes]
    return max([timedelta(0), *waits])


def record_failure(connection: sa.Connection, attempt_keys: dict[str, str], now: datetime) -> None:
    """Count one failure under every key (starting again at one after ``WINDOW`` of quiet), and
    forget keys that have been quiet for longer than ``WINDOW``."""
    connection.execute(login_failures.delete().where(login_failures.c.last_failure < now - WINDOW))
    insert = (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(login_failures)
    table = login_failures
    statement = insert.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "failures": sa.case((table.c.last_failure < now - WINDOW, 1), else_=table.c.failures + 1),
            "last_failure": now,
        },
    )
    connection.execute(
        statement, [{"key": key, "scope": scope, "failures": 1, "last_failure": now} for scope, key in attempt_keys.items()]
    )


def clear(
    connection: sa.Connection, attempt_keys: dict[str, str], now: datetime, scopes: tuple[str, ...] = ("pair",)
) -> None:
    """Forget the failures counted under ``scopes`` (a successful sign-in clears its pair), and
    keys that have been quiet for longer than ``WINDOW``."""
    chosen = [key for scope, key in attempt_keys.items() if scope in scopes]
    connection.execute(
        login_failures.delete().where(
            sa.or_(login_failures.c.key.in_(chosen), login_failures.c.last_failure < now - WINDOW)
        )
    )
