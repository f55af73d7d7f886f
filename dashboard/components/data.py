"""Read-only data the pages show, read from the app's store once and kept for a while.

Pages never hold data in module globals of their own: they ask here. The contract tables are read
once (all dates; each summary applies ``as_known_on`` itself), risk lists once per (date, model
version, language), and the browse frame once per list. Entries expire after ``TTL_SECONDS`` so an
import or a new scoring shows up without a restart: an expired entry is still answered once more
while it is rebuilt in a background thread, so no visitor waits for a re-read (reading the tables
of 100,000 firms takes ~5 s). Only the first visitor after a start (or ``clear()``) waits.
``clear()`` drops everything at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

TTL_SECONDS = 300.0
_cache: dict[Hashable, tuple[float, Any]] = {}
_locks: dict[Hashable, threading.Lock] = {}
_refreshing: set[Hashable] = set()
_guard = threading.Lock()
log = logging.getLogger(__name__)


def _cached(key: Hashable, build: Callable[[], Any]) -> Any:
    hit = _cache.get(key)
    if hit is not None:
        if time.monotonic() - hit[0] >= TTL_SECONDS:
            _refresh(key, build)
        return hit[1]
    with _guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:  # one build per key even when several callbacks ask at once
        hit = _cache.get(key)
        if hit is not None:
            return hit[1]
        value = build()
        _cache[key] = (time.monotonic(), value)
        return value


def _refresh(key: Hashable, build: Callable[[], Any]) -> None:
    """Rebuild an expired entry in a background thread (one at a time per key), in this app's context."""
    import flask

    with _guard:
        if key in _refreshing:
            return
        _refreshing.add(key)
    app = flask.current_app._get_current_object() if flask.has_app_context() else None

    def run() -> None:
        try:
            if app is None:
                value = build()
            else:
                with app.app_context():
                    value = build()
            if key in _cache:  # not cleared meanwhile
                _cache[key] = (time.monotonic(), value)
        except Exception:  # keep answering the previous value; the next expiry tries again
            log.exception("refreshing the cached %r failed", key)
        finally:
            with _guard:
                _refreshing.discard(key)

    threading.Thread(target=run, name=f"saferank-refresh-{key!r:.40}", daemon=True).start()


def clear() -> None:
    _cache.clear()


def store() -> Any:
    from dashboard.context import get_store

    return get_store()


def _store_key() -> str:
    return str(store().engine.url)


def tables() -> dict[str, pd.DataFrame]:
    """Every contract table of the store, typed, all dates."""
    from analytics.store.database import read_tables

    return _cached(("tables", _store_key()), lambda: read_tables(store()))


def enterprise_tables(enterprise_id: str) -> dict[str, pd.DataFrame]:
    """``tables()`` cut to one enterprise's rows (tables without ``enterprise_id`` whole).

    Rows are found through a per-table index of row positions built once per read of the tables,
    so the enterprise page costs the same on a county of any size (a comparison over every row of
    every table took ~250 ms at 100,000 firms).
    """
    every = tables()
    key = ("enterprise-index", _store_key())
    built = _cached(key, lambda: (every, _enterprise_index(every)))
    if built[0] is not every:  # the tables were read again since: index the new ones
        _cache.pop(key, None)
        built = _cached(key, lambda: (every, _enterprise_index(every)))
    index = built[1]
    none = np.array([], dtype=np.intp)
    return {name: frame.iloc[index[name].get(enterprise_id, none)] if name in index else frame
            for name, frame in every.items()}


def _enterprise_index(every: dict[str, pd.DataFrame]) -> dict[str, dict[str, np.ndarray]]:
    return {name: frame.groupby(frame["enterprise_id"].astype(object), sort=False, dropna=True).indices
            for name, frame in every.items() if "enterprise_id" in frame.columns}


def town_names() -> dict[str, str]:
    """``{town_id: name}`` of the store's towns (empty without a towns table)."""
    towns = tables().get("towns")
    if towns is None:
        return {}
    return dict(zip(towns["town_id"].astype(str), towns["name"].astype(str), strict=True))


def scored_dates() -> list[pd.Timestamp]:
    """The dates with a stored risk list, newest first."""
    from analytics.risk.risklist import scored_dates as stored

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
    from analytics.risk.risklist import read_risk_list

    key = ("list", _store_key(), as_of, model_version, lang)
    return _cached(key, lambda: read_risk_list(store(), as_of=as_of, model_version=model_version, lang=lang))


def browse(as_of: pd.Timestamp, lang: str = "zh", model_version: str | None = None) -> pd.DataFrame:
    """``riskview.browse_frame`` of that list: the rows the risk list page filters and pages."""
    from analytics.views.riskview import browse_frame

    key = ("browse", _store_key(), as_of, model_version, lang)
    return _cached(key, lambda: browse_frame(risk_list(as_of, lang, model_version), tables(), as_of))


def summary(name: str, as_of: pd.Timestamp, build: Callable[[], Any], *args: Hashable) -> Any:
    """A page summary (figures, matrix, follow-up tables) of one date, computed once per TTL."""
    return _cached(("summary", _store_key(), name, as_of, *args), build)
