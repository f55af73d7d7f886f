"""Writing contract tables into the store: upserts by natural key in one transaction, with counts.

``write_tables`` compares incoming rows with what is stored (missing equals missing), inserts the new,
updates the changed, leaves the rest, and says what it did (``WriteCounts``). An empty SQLite table
taking many rows gets them in bulk, its indexes rebuilt afterwards (``BULK_ROWS``). The town map
(``towns.geojson``) is replaced as a whole in the same transaction. Rows go to the driver in chunks of
``CHUNK_ROWS``; an optional ``progress`` report is called between chunks (``analytics.store.progress``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from analytics.contract import frames
from analytics.contract.schema import LOAD_ORDER, TABLES, Column, Table
from analytics.store.progress import TableReport
from analytics.store.database import (
    CONTRACT_TABLES,
    Store,
    WriteCounts,
    _fetch,
    _put_meta,
    meta,
    natural_key,
    town_geometries,
)

# From this many new rows into an empty SQLite table, indexes are dropped and rebuilt afterwards.
BULK_ROWS = 50_000
CHUNK_ROWS = 50_000  # rows per executemany; a progress report between chunks


def _driver_values(column: Column, values: pd.Series, dialect: str) -> list:
    """One typed column as the Python values the DB driver binds (``None`` for missing)."""
    if column.type == "date":
        if dialect == "sqlite":  # the text form SQLAlchemy's SQLite Date type reads back
            text = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(str).astype(object)
            text[values.isna().to_numpy()] = None
            return text.tolist()
        return values.dt.date.astype(object).where(values.notna(), None).tolist()
    if column.type == "float":
        return values.astype(object).where(values.notna(), None).tolist()
    if column.type == "code":
        return values.astype(object).where(values.notna(), None).tolist()
    return values.to_numpy(dtype=object, na_value=None).tolist()


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality where missing equals missing."""
    both_missing = (a.isna() & b.isna()).to_numpy()
    equal = (a == b)
    equal = equal.fillna(False) if hasattr(equal, "fillna") else equal
    return both_missing | np.asarray(equal, dtype=bool)


def _split(spec: Table, incoming: pd.DataFrame, existing: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Masks over ``incoming``: rows that are new, rows that differ from what is stored."""
    key = list(natural_key(spec))
    if existing.empty:
        return np.ones(len(incoming), dtype=bool), np.zeros(len(incoming), dtype=bool)
    stored = existing.drop_duplicates(key, keep="last").set_index(key)
    index = pd.MultiIndex.from_frame(incoming[key]) if len(key) > 1 else pd.Index(incoming[key[0]])
    position = stored.index.get_indexer(index)
    new = position < 0
    aligned = stored.iloc[np.where(new, 0, position)].reset_index(drop=True)
    same = np.ones(len(incoming), dtype=bool)
    for name in spec.column_names:
        if name in key:
            continue
        same &= _same(incoming[name].reset_index(drop=True), aligned[name])
    return new, ~new & ~same


def _upsert_sql(connection: sa.Connection, spec: Table, new_rows: bool = False) -> str:
    """``INSERT`` of all columns; ``ON CONFLICT DO UPDATE`` unless the rows are known to be new."""
    quote = connection.dialect.identifier_preparer.quote
    names = spec.column_names
    key = natural_key(spec)
    placeholder = "?" if connection.dialect.name == "sqlite" else "%s"
    updates = [n for n in names if n not in key]
    action = (
        "DO UPDATE SET " + ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in updates)
        if updates else "DO NOTHING"
    )
    insert = (
        f"INSERT INTO {quote(spec.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join([placeholder] * len(names))})"
    )
    return insert if new_rows else f"{insert} ON CONFLICT ({', '.join(quote(n) for n in key)}) {action}"


def _execute_many(connection: sa.Connection, sql: str, spec: Table, rows: pd.DataFrame,
                  chunk_done: Callable[[int], None] | None = None) -> None:
    """``executemany`` on the driver's cursor (no per-row SQLAlchemy processing), ``CHUNK_ROWS`` rows
    at a time; ``chunk_done(rows)`` after each chunk."""
    if rows.empty:
        return
    dialect = connection.dialect.name
    cursor = connection.connection.driver_connection.cursor()
    try:
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows.iloc[start:start + CHUNK_ROWS]
            columns = [_driver_values(c, chunk[c.name], dialect) for c in spec.columns]
            cursor.executemany(sql, list(zip(*columns, strict=True)))
            if chunk_done is not None:
                chunk_done(len(chunk))
    finally:
        cursor.close()


def _bulk_sqlite(connection: sa.Connection, spec: Table, rows: pd.DataFrame,
                 chunk_done: Callable[[int], None] | None = None) -> None:
    """Many new rows into an empty SQLite table: the secondary indexes are built once afterwards,
    which is several times faster than keeping them up to date row by row."""
    indexes = list(CONTRACT_TABLES[spec.name].indexes)
    for index in indexes:
        index.drop(connection)
    _execute_many(connection, _upsert_sql(connection, spec, new_rows=True), spec, rows, chunk_done)
    for index in indexes:
        index.create(connection)


def write_tables(store: Store, tables: dict[str, pd.DataFrame],
                 geometries: dict[str, dict] | None = None, progress: TableReport | None = None) -> dict[str, WriteCounts]:
    """Upsert the given contract tables by id in one transaction: new rows inserted, changed rows
    updated, the rest left alone. Rows repeating an id keep the last. Returns the counts per table.
    ``progress(table, done, total)``, when given, is called as each table starts and after each chunk
    written, ``done`` rising to ``total`` (the table's rows; unchanged rows count as done at its end).

    ``geometries`` (town_id -> GeoJSON geometry), when given, replaces the stored town map in the
    same transaction (a map file is one whole); its counts are under ``"town_geometries"``."""
    unknown = [n for n in tables if n not in TABLES]
    if unknown:
        raise KeyError(f"not a contract table: {unknown}")
    with store.engine.connect() as connection:
        sqlite_bulk = connection.dialect.name == "sqlite"
        driver = connection.connection.driver_connection
        if sqlite_bulk:  # much faster; only a power cut or OS crash during the write can damage the file
            driver.execute("PRAGMA synchronous=OFF")  # may not change inside the transaction
        try:
            with connection.begin():
                counts = _write_all(connection, tables, sqlite_bulk, progress)
                if geometries is not None:
                    counts["town_geometries"] = _replace_geometries(connection, geometries)
        finally:
            if sqlite_bulk:
                driver.execute("PRAGMA synchronous=NORMAL")
    return counts


def _write_all(connection: sa.Connection, tables: dict[str, pd.DataFrame], sqlite_bulk: bool,
               progress: TableReport | None = None) -> dict[str, WriteCounts]:
    counts: dict[str, WriteCounts] = {}
    for name in LOAD_ORDER:
        if name not in tables:
            continue
        spec = TABLES[name]
        incoming = frames.typed(name, tables[name])
        incoming = incoming.drop_duplicates(list(natural_key(spec)), keep="last").reset_index(drop=True)
        stored = _has_rows(connection, name)
        existing = _fetch(connection, spec) if stored else frames.empty(name)
        new, changed = _split(spec, incoming, existing)
        chunk_done = _table_report(progress, name, len(incoming))
        if sqlite_bulk and not stored and new.sum() >= BULK_ROWS:
            _bulk_sqlite(connection, spec, incoming.loc[new], chunk_done)
        else:
            _execute_many(connection, _upsert_sql(connection, spec, new_rows=True), spec, incoming.loc[new], chunk_done)
        _execute_many(connection, _upsert_sql(connection, spec), spec, incoming.loc[changed], chunk_done)
        if chunk_done is not None:
            chunk_done(0)  # the unchanged rows: the table is done
        counts[name] = WriteCounts(int(new.sum()), int(changed.sum()), int(len(incoming) - new.sum() - changed.sum()))
    stored = connection.execute(sa.select(meta.c.value).where(meta.c.key == "tables")).scalar()
    names = set(filter(None, (stored or "").split(","))) | {n for n in tables if len(tables[n])}
    _put_meta(connection, {"tables": ",".join(n for n in LOAD_ORDER if n in names)})
    return counts


def _table_report(progress: TableReport | None, name: str, total: int) -> Callable[[int], None] | None:
    """Counts the rows written of table ``name`` and reports them (0 at the start, ``total`` at the end)."""
    if progress is None:
        return None
    progress(name, 0, total)
    written, reported = [0], [0]

    def chunk_done(rows: int) -> None:  # rows=0: the table is done
        written[0] += rows
        done = min(written[0], total) if rows else total
        if done > reported[0]:  # every report rises
            reported[0] = done
            progress(name, done, total)

    return chunk_done


def _has_rows(connection: sa.Connection, name: str) -> bool:
    table = CONTRACT_TABLES[name]
    return connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None


def _replace_geometries(connection: sa.Connection, geometries: dict[str, dict]) -> WriteCounts:
    """The stored town map becomes ``geometries``; towns it lacks lose their outline."""
    incoming = {town: json.dumps(geometry, ensure_ascii=False, separators=(",", ":")) for town, geometry in geometries.items()}
    stored = dict(connection.execute(sa.select(town_geometries.c.town_id, town_geometries.c.geometry)).all())
    new = [t for t in incoming if t not in stored]
    changed = [t for t in incoming if t in stored and stored[t] != incoming[t]]
    gone = [t for t in stored if t not in incoming]
    if gone or changed:
        connection.execute(town_geometries.delete().where(town_geometries.c.town_id.in_(gone + changed)))
    if new or changed:
        connection.execute(town_geometries.insert(), [{"town_id": t, "geometry": incoming[t]} for t in new + changed])
    return WriteCounts(len(new), len(changed), len(incoming) - len(new) - len(changed))
