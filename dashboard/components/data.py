"""Read-only data the pages show, read from the app's store once and kept for a while.

Pages never hold data in module globals of their own: they ask here. The contract tables are read
once (all dates; each summary applies ``as_known_on`` itself), risk lists once per (date, model
version, language), and the browse frame once per list. Entries expire after ``TTL_SECONDS`` so an
import or a new scoring shows up without a restart; ``clear()`` drops everything at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

import pandas as pd

TTL_SECONDS = 300.0
_cache: dict[Hashable, tuple[float, Any]] = {}
_locks: dict[Hashable, threading.Lock] = {}
_guard = threading.Lock()


def _cached(key: Hashable, build: Callable[[], Any]) -> Any:
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < TTL_SECONDS:
        return hit[1]
    with _guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:  # one build per key even when several callbacks ask at once
        hit = _cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < TTL_SECONDS:
            return hit[1]
        value = build()
        _cache[key] = (time.monotonic(), value)
        return value


def clear() -> None:
    _cache.clear()


def store() -> Any:
    from dashboard.app import get_store

    return get_store()


def _store_key() -> str:
    return str(store().engine.url)


def tables() -> dict[str, pd.DataFrame]:
    """Every contract table of the store, typed, all dates."""
    from analytics.store import read_tables

    return _cached(("tables", _store_key()), lambda: read_tables(store()))


def scored_dates() -> list[pd.Timestamp]:
    """The dates with a stored risk list, newest first."""
    from analytics.risklist import scored_dates as stored

    dates = _cached(("dates", _store_key()), lambda: sorted({pd.Timestamp(d).normalize() for d in stored(store())}))
    return sorted(dates, reverse=True)


def pick_as_of(requested: object) -> pd.Timestamp | None:
    """The requested as-of date when a list exists for it, else the newest scored date (None if none)."""
    dates = scored_dates()
    if not dates:
        return None
    if requested:
        try:
            wanted = pd.Timestamp(str(requested)).normalize()
        except ValueError:
            wanted = None
        if wanted in dates:
            return wanted
    return dates[0]


def previous_date(as_of: pd.Timestamp) -> pd.Timestamp | None:
    earlier = [d for d in scored_dates() if d < as_of]
    return earlier[0] if earlier else None


def risk_list(as_of: pd.Timestamp, lang: str = "zh", model_version: str | None = None) -> pd.DataFrame:
    """The stored list of ``as_of`` (the serving model's unless ``model_version``), reasons in ``lang``."""
    from analytics.risklist import read_risk_list

    key = ("list", _store_key(), as_of, model_version, lang)
    return _cached(key, lambda: read_risk_list(store(), as_of=as_of, model_version=model_version, lang=lang))


def browse(as_of: pd.Timestamp, lang: str = "zh", model_version: str | None = None) -> pd.DataFrame:
    """``riskview.browse_frame`` of that list: the rows the risk list page filters and pages."""
    from analytics.riskview import browse_frame

    key = ("browse", _store_key(), as_of, model_version, lang)
    return _cached(key, lambda: browse_frame(risk_list(as_of, lang, model_version), tables(), as_of))


def summary(name: str, as_of: pd.Timestamp, build: Callable[[], Any], *args: Hashable) -> Any:
    """A page summary (figures, matrix, follow-up tables) of one date, computed once per TTL."""
    return _cached(("summary", _store_key(), name, as_of, *args), build)
