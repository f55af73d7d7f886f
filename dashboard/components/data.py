"""Read-only data the pages show, read from the app's store once and kept for a while.

Pages never hold data in module globals of their own: they ask here. The contract tables are read
once (all dates; each summary applies ``as_known_on`` itself), risk lists once per (date, model
version, language), and the browse frame once per list. Entries expire after ``TTL_SECONDS`` so an
import or a new scoring shows up without a restart: an expired entry is still answered once more
while it is rebuilt in a background thread, so no visitor waits for a re-read (reading the tables
of 100,000 firms takes ~5 s). Only the first visitor after a start (or ``clear()``) waits.
``clear()`` drops everything at once (saving results calls it): a value built from a read that
began before the last ``clear()`` is returned to its caller but never kept (``_generation``), so a
read racing with a write cannot put the old tables back for another ``TTL_SECONDS``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

from analytics.contract.errors import UserError
from analytics.snapshot.snapshot import AsOf, Snapshot, held_tables
from analytics.store.database import read_town_geojson
from analytics.views.town_outlines import town_outlines as outlines_of
from dashboard import i18n

TTL_SECONDS = 300.0
# Most entries each kind (the key's first part) keeps; beyond that the least recently used goes.
# Every key is made of server-side values (the store, a stored date, a language of ``i18n.LANGS``,
# codes the guard checked), and the bounds keep even a flood of valid ones (bulletin periods) finite.
LIMITS: dict[str, int] = {"tables": 2, "enterprise-index": 2, "dates": 2, "town-map": 2, "outlines": 2, "list": 32,
                          "browse": 32, "snapshot": 4, "summary": 256}
DEFAULT_LIMIT = 16
MAX_ENTRIES = sum(LIMITS.values())  # the whole cache, when every kind is full (no other kinds are used)
_cache: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
_locks: dict[Hashable, threading.Lock] = {}  # only keys being built right now
_refreshing: set[Hashable] = set()
_guard = threading.Lock()
_generation = [0]  # bumped by clear(): a build begun before it is not stored
log = logging.getLogger(__name__)


def _kind(key: Hashable) -> str:
    return key[0] if isinstance(key, tuple) and key and isinstance(key[0], str) else ""


def _store_entry(key: Hashable, value: Any, generation: int | None = None) -> None:
    """Keep ``value`` as the newest entry of ``key`` and drop the least recently used of its kind
    (not when the cache was cleared since ``generation``, when its build began)."""
    kind = _kind(key)
    limit = LIMITS.get(kind, DEFAULT_LIMIT)
    with _guard:
        if generation is not None and generation != _generation[0]:
            return
        _cache[key] = (time.monotonic(), value)
        _cache.move_to_end(key)
        same = [k for k in _cache if _kind(k) == kind]
        for old in same[: max(0, len(same) - limit)]:
            del _cache[old]


def _hit(key: Hashable) -> tuple[float, Any] | None:
    with _guard:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
        return hit


def _cached(key: Hashable, build: Callable[[], Any]) -> Any:
    hit = _hit(key)
    if hit is not None:
        if time.monotonic() - hit[0] >= TTL_SECONDS:
            _refresh(key, build)
        return hit[1]
    with _guard:
        lock = _locks.setdefault(key, threading.Lock())
    try:
        with lock:  # one build per key even when several callbacks ask at once
            hit = _hit(key)
            if hit is not None:
                return hit[1]
            generation = _generation[0]
            value = build()
            _store_entry(key, value, generation)
            return value
    finally:
        with _guard:  # waiters hold the lock object itself; the table keeps only builds in progress
            if _locks.get(key) is lock and not lock.locked():
                del _locks[key]


def _refresh(key: Hashable, build: Callable[[], Any]) -> None:
    """Rebuild an expired entry in a background thread (one at a time per key), in this app's context."""
    import flask

    with _guard:
        if key in _refreshing:
            return
        _refreshing.add(key)
    app = flask.current_app._get_current_object() if flask.has_app_context() else None

    generation = _generation[0]

    def run() -> None:
        try:
            if app is None:
                value = build()
            else:
                with app.app_context():
                    value = build()
            with _guard:
                if key in _cache and generation == _generation[0]:  # not cleared or evicted meanwhile
                    _cache[key] = (time.monotonic(), value)
        except Exception:  # keep answering the previous value; the next expiry tries again
            log.exception("refreshing the cached %r failed", key)
        finally:
            with _guard:
                _refreshing.discard(key)

    threading.Thread(target=run, name=f"saferank-refresh-{key!r:.40}", daemon=True).start()


def clear() -> None:
    with _guard:
        _generation[0] += 1
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


def town_map() -> dict | None:
    """The store's imported ``towns.geojson`` (``None`` when none was imported)."""
    return _cached(("town-map", _store_key()), lambda: read_town_geojson(store()))


def town_outlines() -> dict | None:
    """The towns' outlines for the maps: ``town_map()``, else cells drawn around each town's firms
    (``analytics.views.town_outlines``); ``None`` when neither exists."""
    every = tables()
    return _cached(("outlines", _store_key()), lambda: outlines_of(town_map(), every["towns"], every["enterprises"]))


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
            wanted = AsOf.parse(str(requested)).ts  # the page's edge: the one parse of a requested date
        except UserError:
            wanted = None
        if wanted in dates:
            return wanted
    return dates[0]


def previous_date(as_of: pd.Timestamp) -> pd.Timestamp | None:
    earlier = [d for d in scored_dates() if d < as_of]
    return earlier[0] if earlier else None


def _list_key(as_of: object, lang: object) -> tuple[pd.Timestamp | None, str]:
    """``as_of`` as one of the stored dates and ``lang`` as one of ``i18n.LANGS`` (else the default
    language): a cache key never holds a value only a client made up."""
    lang = i18n.normal_lang(lang) or i18n.DEFAULT_LANG
    if as_of is None:
        return None, lang
    day = pd.Timestamp(as_of).normalize()
    if day not in scored_dates():
        raise UserError(f"{day:%Y-%m-%d} 没有风险清单。", f"There is no risk list for {day:%Y-%m-%d}.")
    return day, lang


def risk_list(as_of: pd.Timestamp, lang: str = "zh", model_version: str | None = None) -> pd.DataFrame:
    """The stored list of ``as_of`` (the serving model's unless ``model_version``), reasons in ``lang``."""
    from analytics.risk.risklist import read_risk_list

    as_of, lang = _list_key(as_of, lang)
    key = ("list", _store_key(), as_of, model_version, lang)
    day = None if as_of is None else AsOf(as_of)
    return _cached(key, lambda: read_risk_list(store(), as_of=day, model_version=model_version, lang=lang))


def level_thresholds(as_of: pd.Timestamp):
    """The level thresholds the list of ``as_of`` was levelled with (``risklist.thresholds_on``): the
    map's and heatmap's colour bands."""
    from analytics.risk.risklist import thresholds_on

    as_of, _ = _list_key(as_of, None)
    day = None if as_of is None else AsOf(as_of)
    return _cached(("levels", _store_key(), as_of), lambda: thresholds_on(store(), day))


def browse(as_of: pd.Timestamp, lang: str = "zh", model_version: str | None = None) -> pd.DataFrame:
    """``riskview.browse_frame`` of that list: the rows the risk list page filters and pages. The flags
    are the ones stored with the list at scoring (``read_risk_list``), not recomputed here."""
    from analytics.views.riskview import browse_frame

    as_of, lang = _list_key(as_of, lang)
    key = ("browse", _store_key(), as_of, model_version, lang)
    return _cached(key, lambda: browse_frame(risk_list(as_of, lang, model_version), tables(), as_of))


def snapshot(as_of: pd.Timestamp) -> Snapshot:
    """``tables()`` as known at the end of ``as_of`` (a stored list's date), cut once per TTL; which
    optional tables the store holds from its own record."""
    day, _ = _list_key(as_of, None)
    if day is None:
        raise UserError("尚无风险清单：请先评分（saferank score）。", "No risk list yet: score first (saferank score).")
    return _cached(("snapshot", _store_key(), day),
                   lambda: Snapshot.from_tables(tables(), AsOf(day), held=held_tables(store())))


def summary(name: str, as_of: pd.Timestamp, build: Callable[[], Any], *args: Hashable) -> Any:
    """A page summary (figures, matrix, follow-up tables) of one date, computed once per TTL."""
    return _cached(("summary", _store_key(), name, as_of, *args), build)
