"""The sign-in throttle as an attacker meets it: guessing one password, spraying many names from one
machine, many machines on one name, and probing which names exist by the answer or its time."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from analytics.accounts import throttle
from analytics.accounts import users as accounts
from analytics.store.database import open_store

PASSWORD = "correct-horse-battery"
PAIR, SOURCE, NAME = throttle.SCOPES


@pytest.fixture
def store(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    accounts.add_user(store, "root", "admin", PASSWORD)
    return store


def _refusal(store, username: str, password: str = "wrong-password", **kwargs) -> accounts.LoginRefused:
    with pytest.raises(accounts.LoginRefused) as refused:
        accounts.verify_login(store, username, password, **kwargs)
    return refused.value


def test_spraying_many_names_from_one_source_is_slowed(store) -> None:
    now = accounts._now()
    for index in range(SOURCE.free):  # a different name each time: no pair reaches its limit
        assert type(_refusal(store, f"guess{index}", source="198.51.100.9", now=now)) is accounts.LoginRefused
    assert isinstance(_refusal(store, "root", PASSWORD, source="198.51.100.9", now=now), accounts.LoginThrottled)
    assert accounts.verify_login(store, "root", PASSWORD, source="192.0.2.1", now=now).username == "root"


def test_many_sources_on_one_name_slow_it_by_at_most_a_minute(store) -> None:
    now = accounts._now()
    for index in range(NAME.free + 10):  # a botnet: each address tries once
        _refusal(store, "root", source=f"10.1.{index // 250}.{index % 250}", now=now)
        now += timedelta(seconds=1)
    throttled = _refusal(store, "root", PASSWORD, source="192.0.2.1", now=now)  # the owner, from the office
    assert isinstance(throttled, accounts.LoginThrottled) and throttled.retry_after <= NAME.longest.total_seconds()
    later = now + timedelta(seconds=throttled.retry_after)
    assert accounts.verify_login(store, "root", PASSWORD, source="192.0.2.1", now=later).username == "root"


def test_waits_are_capped_and_forgotten_after_a_quiet_window(store) -> None:
    assert throttle.delay(PAIR, PAIR.free - 1) == timedelta(0)
    assert throttle.delay(PAIR, PAIR.free + 100) == PAIR.longest
    now = accounts._now()
    for _ in range(PAIR.free):
        _refusal(store, "root", source="203.0.113.7", now=now)
    assert isinstance(_refusal(store, "root", PASSWORD, source="203.0.113.7", now=now), accounts.LoginThrottled)
    later = now + throttle.WINDOW + timedelta(seconds=1)
    assert accounts.verify_login(store, "root", PASSWORD, source="203.0.113.7", now=later).username == "root"
    with store.engine.connect() as connection:  # the quiet keys were deleted, not only ignored
        assert connection.execute(sa.select(sa.func.count()).select_from(throttle.login_failures)).scalar() == 0


def test_the_throttle_treats_existing_and_unknown_names_alike(store) -> None:
    now = accounts._now()
    answers = {}
    for username, source in (("root", "203.0.113.1"), ("nobody", "203.0.113.2")):
        replies = [_refusal(store, username, source=source, now=now) for _ in range(PAIR.free + 2)]
        answers[username] = [(type(r).__name__, r.zh, r.en, getattr(r, "retry_after", None)) for r in replies]
    assert answers["root"] == answers["nobody"]
    assert answers["root"][-1][0] == "LoginThrottled"


def test_the_table_keeps_digests_not_addresses_or_names(store) -> None:
    _refusal(store, "root", source="203.0.113.77")
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(throttle.login_failures)).mappings().all()
    assert {row["scope"] for row in rows} == {"pair", "source", "name"}
    assert "203.0.113.77" not in str(rows) and "root" not in str(rows)


def test_unknown_names_and_wrong_passwords_take_the_same_time(store) -> None:
    """Every refusal checks one scrypt hash; an unknown name used to answer in a tenth of the time.

    The three kinds are measured in turn within each round and compared by their fastest time: other
    work on the machine (a parallel test worker) only ever adds time, so the floor is what each
    refusal itself costs. A refusal that skipped the hash would be ~10x faster, far outside the band."""
    now = accounts._now()  # held still, so that the waits do not run out while this test measures
    for _ in range(PAIR.free):
        _refusal(store, "root", source="198.51.100.1", now=now)
    timings: dict[str, list[float]] = {"root": [], "nobody": [], "throttled": []}
    for round_ in range(7):
        for username in ("root", "nobody"):
            started = time.perf_counter()
            _refusal(store, username, source=f"192.0.2.{round_}-{username}")
            timings[username].append(time.perf_counter() - started)
        started = time.perf_counter()
        assert isinstance(_refusal(store, "root", source="198.51.100.1", now=now), accounts.LoginThrottled)
        timings["throttled"].append(time.perf_counter() - started)
    fastest = {name: min(values) for name, values in timings.items()}
    assert 0.67 < fastest["nobody"] / fastest["root"] < 1.5, timings
    assert 0.67 < fastest["throttled"] / fastest["root"] < 1.5, timings


def test_the_dummy_hash_costs_what_a_real_one_costs() -> None:
    method = accounts._DUMMY_HASH.split("$")[0]
    assert method == accounts._hash("any-password-at-all").split("$")[0]


def test_a_failure_under_an_unknown_name_is_audited_as_anonymous_not_as_the_command_line(store) -> None:
    from analytics.accounts import audit

    _refusal(store, "nobody", source="192.0.2.9")
    entry = audit.search(store, {"action": "login_failed"}).iloc[0]
    assert (entry["username"], entry["role"], entry["object_id"], entry["source"]) == (
        "anonymous", "anonymous", "nobody", "192.0.2.9")
