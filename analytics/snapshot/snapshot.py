"""A snapshot: the contract tables as known at the end of one day, with that day as a typed value.

``AsOf`` is the as-of date, parsed once at the edge (CLI, page, API) by ``AsOf.parse``; below the
edge functions take an ``AsOf`` or a ``Snapshot`` and never parse a date again.

``Snapshot`` holds what every feature, list, view and plan of that day reads:

- ``tables``: the tables cut by ``timeline.as_known_on`` (the one place that decides "what was known
  on a date", the contract v2 ``recorded_date`` rule included), cut exactly once per snapshot;
- ``as_of``: the ``AsOf``;
- ``operating``: the enterprises supervised that day (``timeline.operating_on``);
- ``held``: the optional contract tables the source holds. From a store this is the store's own
  record of the tables it imported (``meta.tables``), not whether rows happen to survive the cut: a
  store that holds penalties holds them on a day before the first penalty too.

``Snapshot.from_store`` reads and cuts; ``Snapshot.from_tables`` cuts tables already in memory
(tests, notebooks, simulated data). A snapshot is frozen and its frames are shared, not copied:
treat them as read-only (``as_known_on`` never modifies its input).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract.schema import LOAD_ORDER, TABLES
from analytics.snapshot.timeline import as_known_on, operating_on
from analytics.store.database import Store, get_meta, read_tables

# What a date may be given as; numbers are refused (pandas would read 20261115 as nanoseconds).
_DATE_LIKE = (str, dt.date, np.datetime64)
OPTIONAL_TABLES = frozenset(name for name, spec in TABLES.items() if not spec.required)
# What the point-in-time rules read besides the tables asked for.
_RULE_TABLES = ("enterprises", "status_events")


@dataclass(frozen=True, order=True)
class AsOf:
    """An as-of date: a midnight, time-zone-naive ``pandas.Timestamp``. Frozen, hashable, ordered."""

    ts: pd.Timestamp

    def __post_init__(self) -> None:
        if not isinstance(self.ts, pd.Timestamp) or pd.isna(self.ts) or self.ts.tzinfo is not None \
                or self.ts != self.ts.normalize():
            raise TypeError(f"AsOf wraps a midnight, naive pandas.Timestamp; use AsOf.parse({self.ts!r})")

    @classmethod
    def parse(cls, value: object) -> AsOf:
        """``value`` (``"2026-11-15"``, a date, a Timestamp, an ``AsOf``) as an ``AsOf``; the time of
        day is dropped. Raises ``UserError`` naming the value when it is not a date."""
        if isinstance(value, AsOf):
            return value
        timestamp = None
        if isinstance(value, _DATE_LIKE) and not (isinstance(value, str) and not value.strip()):
            try:
                timestamp = pd.Timestamp(value.strip() if isinstance(value, str) else value)
            except (ValueError, TypeError, OverflowError):
                timestamp = None
        if timestamp is None or pd.isna(timestamp):
            raise UserError(f"日期无效：{value!r}。请写成 年-月-日，例如 2026-11-15。",
                            f"Not a valid date: {value!r}. Write it as year-month-day, e.g. 2026-11-15.")
        if timestamp.tzinfo is not None:
            timestamp = timestamp.tz_localize(None)
        return cls(timestamp.normalize())

    @property
    def date(self) -> dt.date:
        return self.ts.date()

    @property
    def iso(self) -> str:
        return self.ts.date().isoformat()

    def __str__(self) -> str:
        return self.iso

    def plus(self, days: int) -> AsOf:
        """The day ``days`` later (earlier when negative)."""
        return AsOf(self.ts + pd.Timedelta(days=days))


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The tables as known at the end of ``as_of`` (see the module docstring). Build with
    ``from_store`` or ``from_tables``; the constructor takes tables already cut."""

    as_of: AsOf
    tables: Mapping[str, pd.DataFrame]
    held: frozenset[str]
    operating: pd.DataFrame = field(repr=False)

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame], as_of: object,
                    held: Iterable[str] | None = None) -> Snapshot:
        """Cut ``tables`` (typed as ``read_tables`` returns them; later records allowed) to ``as_of``.

        ``held``: the optional tables the source holds; default, the optional tables in ``tables``.
        """
        as_of = AsOf.parse(as_of)
        if "enterprises" not in tables:
            raise KeyError("a snapshot needs the enterprises table")
        known = as_known_on(dict(tables), as_of.ts)
        held = frozenset(OPTIONAL_TABLES & set(tables) if held is None else held)
        return cls(as_of, MappingProxyType(known), held, operating_on(known, as_of.ts))

    @classmethod
    def from_store(cls, store: Store, as_of: object, names: Iterable[str] | None = None) -> Snapshot:
        """Read ``names`` (default all contract tables; the enterprises always) from ``store`` and cut
        them to ``as_of``. ``held`` comes from the store's record of imported tables."""
        as_of = AsOf.parse(as_of)
        wanted = list(LOAD_ORDER if names is None else names)
        reading = wanted + [n for n in _RULE_TABLES if n not in wanted]
        read = read_tables(store, names=reading)
        snapshot = cls.from_tables(read, as_of, held=held_tables(store))
        keep = set(wanted) | {"enterprises"}
        return cls(as_of, MappingProxyType({n: t for n, t in snapshot.tables.items() if n in keep}),
                   snapshot.held, snapshot.operating)

    def earlier(self, as_of: AsOf) -> Snapshot:
        """The snapshot of an earlier (or the same) day, cut from this one: what was known then is a
        part of what is known now, so no table needs reading again. A later day is refused."""
        if as_of > self.as_of:
            raise ValueError(f"a snapshot of {self.as_of} cannot tell what was known on {as_of}")
        return self if as_of == self.as_of else Snapshot.from_tables(self.tables, as_of, held=self.held)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    def get(self, name: str, default: pd.DataFrame | None = None) -> pd.DataFrame | None:
        return self.tables.get(name, default)

    def holds(self, name: str) -> bool:
        """Whether the source holds table ``name`` (required tables always)."""
        return name in self.held or (name in TABLES and TABLES[name].required)

    def as_dict(self) -> dict[str, pd.DataFrame]:
        """The cut tables as a plain dict (a new dict; the frames are shared)."""
        return dict(self.tables)


def held_tables(store: Store) -> frozenset[str]:
    """The optional contract tables ``store`` holds: its ``meta.tables`` record of what was imported."""
    recorded = get_meta(store).get("tables", "")
    return frozenset(OPTIONAL_TABLES & set(filter(None, recorded.split(","))))


def operating_ids(tables: Mapping[str, pd.DataFrame], as_of: object) -> pd.Index:
    """The ids of the enterprises operating on ``as_of`` (sorted, as ``build_features`` indexes its
    rows), from the two tables the rule reads: no other table is cut."""
    rules = {name: tables[name] for name in _RULE_TABLES if name in tables}
    ids = Snapshot.from_tables(rules, as_of).operating["enterprise_id"].astype(str).to_numpy()
    return pd.Index(np.sort(ids), name="enterprise_id")


def as_snapshot(tables: Snapshot | Mapping[str, pd.DataFrame], as_of: object = None) -> Snapshot:
    """``tables`` when it is a ``Snapshot`` (``as_of`` must then be None or its date); else a snapshot
    cut from the tables. A compatibility door for callers that hold a tables dict (tests,
    notebooks); code below the edge passes snapshots."""
    if isinstance(tables, Snapshot):
        if as_of is not None and AsOf.parse(as_of) != tables.as_of:
            raise ValueError(f"snapshot of {tables.as_of} asked for {as_of}")
        return tables
    if as_of is None:
        raise TypeError("a tables dict needs an as_of")
    return Snapshot.from_tables(tables, as_of)
