"""The embedded store: one SQL table per contract table, read back as typed DataFrames.

SQLite by default (a file under ``data/``), PostgreSQL when the URL says so; the same code serves
both. ``open_store`` creates what is missing, upgrades a store of an older schema version in place
(adding the nullable columns and tables a newer contract brought) and refuses one of a newer version;
``read_tables`` returns the typed tables dict (``analytics.contract.frames``) as stored, all dates
(``analytics.snapshot.Snapshot.from_store`` cuts them to what was known on a date);
``analytics.store.writing.write_tables`` upserts by id in one transaction and says what changed.

The application's own tables (risk lists, dispositions, plans, accounts, the audit log ...) are
declared in ``analytics.store.app_tables`` on the same ``metadata``, so ``open_store`` creates every
table without importing any module above the store.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from analytics.contract import frames
from analytics.contract.errors import UserError
from analytics.contract.schema import LOAD_ORDER, TABLES, Column, Table
from analytics.store.app_tables import metadata

# 2: contract v2 (recorded_date, enterprises.standardization, power_usage, town_geometries); the risk
# list keeps its flags (risk_scores.flags).
SCHEMA_VERSION = 2
DEFAULT_URL = "sqlite:///data/saferank.db"
# The surrogate key of tables without an id column of their own (status_events).
ROW_ID = "row_id"
# PostgreSQL's SQLSTATE for "permission denied" (the app's restricted role met DDL).
INSUFFICIENT_PRIVILEGE = "42501"

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

_SQL_TYPES = {
    "text": sa.Text,
    "code": sa.String,
    "date": sa.Date,
    "bool": sa.Boolean,
    "int": sa.BigInteger,
    "float": sa.Float,
}


def natural_key(spec: Table) -> tuple[str, ...]:
    """The columns that identify a record: the id column, else the columns of the unique constraint."""
    if spec.key:
        return (spec.key,)
    return spec.record_key


def _contract_table(spec: Table) -> sa.Table:
    columns: list[sa.SchemaItem] = []
    if not spec.key:
        columns.append(sa.Column(ROW_ID, sa.Integer, primary_key=True, autoincrement=True))
    for column in spec.columns:
        columns.append(sa.Column(column.name, _SQL_TYPES[column.type](), primary_key=column.name == spec.key,
                                 nullable=column.name != spec.key))
    if not spec.key:
        columns.append(sa.UniqueConstraint(*natural_key(spec), name=f"uq_{spec.name}_record"))
    indexed = {c.name for c in spec.columns if c.name in ("enterprise_id", spec.date_column)}
    if spec.name == "enterprises":
        indexed.update(("town_id", "established"))
    indexed.discard(spec.key)
    for name in sorted(indexed):
        columns.append(sa.Index(f"ix_{spec.name}_{name}", name))
    return sa.Table(spec.name, metadata, *columns)


CONTRACT_TABLES: dict[str, sa.Table] = {name: _contract_table(spec) for name, spec in TABLES.items()}

# The contract's optional ``towns.geojson``: one (Multi)Polygon per town, the geometry as GeoJSON text.
town_geometries = sa.Table(
    "town_geometries",
    metadata,
    sa.Column("town_id", sa.Text, primary_key=True),
    sa.Column("geometry", sa.Text, nullable=False),
)


@dataclass(frozen=True)
class Store:
    """An opened store: the engine and where it points."""

    engine: sa.Engine
    url: str

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def metadata(self) -> sa.MetaData:
        return metadata

    def dispose(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True)
class WriteCounts:
    """What ``write_tables`` did to one table."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def resolve_url(url: str | None = None) -> str:
    """The store URL: the argument, else ``$SAFERANK_DB``, else ``sqlite:///data/saferank.db`` under
    the working directory. The folder of a SQLite file is created."""
    resolved = url or os.environ.get("SAFERANK_DB") or DEFAULT_URL
    parsed = sa.engine.make_url(resolved)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return resolved


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA cache_size=-200000")  # 200 MB page cache
    cursor.close()


def _engine(url: str) -> sa.Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    in_memory = not parsed.database or parsed.database == ":memory:"
    engine = sa.create_engine(
        url,
        connect_args={"timeout": 60, "check_same_thread": False},
        poolclass=sa.pool.StaticPool if in_memory else None,
    )
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def open_store(url: str | None = None) -> Store:
    """Open (and create where missing) the store at ``url``; see ``resolve_url``.

    A store of an older schema version is upgraded in place (``_upgrade``); one written by a newer
    program is refused with a ``UserError``.
    """
    resolved = resolve_url(url)
    engine = _engine(resolved)
    try:
        with engine.connect() as connection:
            found = _stored_version(connection)
    except sa.exc.OperationalError as error:
        engine.dispose()
        raise UserError(
            f"无法打开数据库 {_safe(resolved)}：{error.orig}。请检查 --db 或环境变量 SAFERANK_DB。",
            f"Cannot open the store {_safe(resolved)}: {error.orig}. Check --db or $SAFERANK_DB.",
        ) from error
    if found is not None and found > SCHEMA_VERSION:
        engine.dispose()
        raise UserError(
            f"数据库 {_safe(resolved)} 的结构版本为 {found}，由较新版本的程序写入；本程序只认识到版本 {SCHEMA_VERSION}。"
            "请用与该数据库相同或更新版本的程序打开，或新建一个数据库（--db 指向新文件）后重新导入原始数据文件。",
            f"The store {_safe(resolved)} has schema version {found}, written by a newer program; this one "
            f"knows versions up to {SCHEMA_VERSION}. Open it with that program version or newer, or create a new "
            "store (--db pointing to a new file) and import the original data files again.",
        )
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            _upgrade(connection, resolved)
            if found != SCHEMA_VERSION:
                _put_meta(connection, {"schema_version": str(SCHEMA_VERSION)})
    except sa.exc.ProgrammingError as error:
        engine.dispose()
        if getattr(error.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        # the app's restricted role (analytics.store.roles) may not create or alter tables
        raise UserError(
            f"数据库 {_safe(resolved)} 需要建表或升级，但当前账户无此权限：{error.orig}。"
            "请用表的所有者账户运行 saferank db grant-app-role --owner-url … --app-role …（建表、升级并授权）。",
            f"The store {_safe(resolved)} needs tables created or upgraded, which this account may not do: "
            f"{error.orig}. Run saferank db grant-app-role --owner-url … --app-role … as the tables' owner "
            "(it creates, upgrades and grants).",
        ) from error
    return Store(engine=engine, url=resolved)


def _upgrade(connection: sa.Connection, url: str) -> list[str]:
    """Bring the existing tables up to ``metadata``: add the columns a newer version declares
    (``table.column``, returned) and their indexes. ``create_all`` has already made the missing
    tables. This is the one migration step: a new column must be nullable, so that the rows already
    stored stay valid (a missing value means what it meant before the column existed)."""
    inspector = sa.inspect(connection)
    present = set(inspector.get_table_names())
    added: list[str] = []
    for table in metadata.sorted_tables:
        if table.name not in present:
            continue
        have = {c["name"] for c in inspector.get_columns(table.name)}
        missing = [c for c in table.columns if c.name not in have]
        for column in missing:
            if not column.nullable or column.primary_key:
                raise UserError(
                    f"数据库 {_safe(url)} 的表 {table.name} 缺少不可为空的列 {column.name}，无法自动升级。"
                    "请新建一个数据库（--db 指向新文件）后重新导入原始数据文件。",
                    f"The table {table.name} of the store {_safe(url)} lacks the non-nullable column "
                    f"{column.name} and cannot be upgraded in place. Create a new store (--db pointing to a "
                    "new file) and import the original data files again.",
                )
            quote = connection.dialect.identifier_preparer.quote
            kind = column.type.compile(dialect=connection.dialect)
            connection.execute(sa.text(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(column.name)} {kind}"))
            added.append(f"{table.name}.{column.name}")
        if missing:
            names = {c.name for c in missing}
            for index in table.indexes:
                if names & {c.name for c in index.columns}:
                    index.create(connection, checkfirst=True)
    return added


def _safe(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def _stored_version(connection: sa.Connection) -> int | None:
    if not sa.inspect(connection).has_table(meta.name):
        return None
    value = connection.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return None if value is None else int(value)


def _put_meta(connection: sa.Connection, values: dict[str, str]) -> None:
    rows = [{"key": k, "value": v} for k, v in values.items()]
    if connection.dialect.name == "postgresql":
        statement = postgresql.insert(meta)
    else:
        statement = sqlite.insert(meta)
    connection.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": statement.excluded.value}), rows)


def get_meta(store: Store) -> dict[str, str]:
    """The ``meta`` table as a dict (``schema_version``, ``tables``, ``last_export_date`` ...)."""
    with store.engine.connect() as connection:
        return dict(connection.execute(sa.select(meta.c.key, meta.c.value)).all())


def set_meta(store: Store, values: dict[str, str]) -> None:
    with store.engine.begin() as connection:
        _put_meta(connection, values)


# --- reading -----------------------------------------------------------------------------------


def _select(connection: sa.Connection, spec: Table) -> str:
    """Every column of one contract table, ordered by its key."""
    quote = connection.dialect.identifier_preparer.quote
    order = ", ".join(quote(n) for n in natural_key(spec))
    return f"SELECT {', '.join(quote(n) for n in spec.column_names)} FROM {quote(spec.name)} ORDER BY {order}"


def _typed_rows(spec: Table, rows: list) -> pd.DataFrame:
    """Driver rows (raw values) as a typed frame, each column typed in one vectorised call."""
    if not rows:
        return frames.empty(spec.name)
    grid = np.empty((len(rows), len(spec.column_names)), dtype=object)
    grid[:] = rows
    return pd.DataFrame({c.name: _typed_column(c, grid[:, i]) for i, c in enumerate(spec.columns)})


def _fetch(connection: sa.Connection, spec: Table) -> pd.DataFrame:
    """All rows of one contract table, ordered by their key, in the typed shape of
    ``frames.typed``. Rows come from the driver's cursor as raw values (no per-row SQLAlchemy
    processing; SQLite dates arrive as ISO text) and each column is typed in one vectorised call."""
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(_select(connection, spec))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return _typed_rows(spec, rows)


def read_rows(store: Store, name: str, *where: sa.ColumnElement[bool]) -> pd.DataFrame:
    """The rows of contract table ``name`` meeting every condition of ``where`` (SQLAlchemy expressions
    over ``CONTRACT_TABLES``), unordered, typed as ``read_tables`` types the whole table. A filter only
    narrows the read: what was known on a date is still ``Snapshot``'s cut."""
    spec, table = TABLES[name], CONTRACT_TABLES[name]
    query = sa.select(*(table.c[c] for c in spec.column_names)).where(*where)
    with store.engine.connect() as connection, connection.execute(query) as result:
        rows = result.cursor.fetchall()  # raw values from the DBAPI cursor, as _fetch reads them
    return _typed_rows(spec, rows)


CHUNK_ROWS = 200_000


def read_table_chunks(store: Store, name: str, rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """One contract table in pieces of at most ``rows`` rows, in key order, each typed as
    ``read_tables`` types the whole table (nothing when it has no rows): the client holds one piece at
    a time. PostgreSQL streams through a server-side (named) cursor, which a plain cursor would not
    (psycopg fetches every row on ``execute``); SQLite's cursor already steps through the rows."""
    spec = TABLES[name]
    with store.engine.connect() as connection:
        driver = connection.connection.driver_connection
        cursor = (driver.cursor(name=f"saferank_chunks_{name}") if connection.dialect.name == "postgresql"
                  else driver.cursor())
        try:
            cursor.execute(_select(connection, spec))
            while batch := cursor.fetchmany(int(rows)):  # a loop over pieces, not rows
                yield _typed_rows(spec, batch)
        finally:
            cursor.close()


def _typed_column(column: Column, values: np.ndarray) -> object:
    """One column of driver values (``None`` for missing) in its ``frames`` dtype."""
    dtype = frames.dtype_of(column)
    if column.type == "date":  # a table holds few distinct days: each parsed once
        codes, days = pd.factorize(values)
        return pd.DatetimeIndex(pd.to_datetime(days, format="ISO8601").astype(dtype)).take(codes, allow_fill=True)
    if column.type == "code":
        return pd.Categorical(values, dtype=dtype)
    if column.type == "float":
        return values.astype("float64")
    if column.type == "bool":
        return pd.array(np.where(pd.isna(values), None, values.astype(bool)), dtype=dtype)
    if column.type == "text" and getattr(dtype, "storage", None) == "pyarrow":
        import pyarrow as pa  # present whenever pandas stores strings in it
        try:  # one C-level conversion; pd.array checks each value in Python (10 times slower)
            return pd.array(pa.array(values, type=pa.large_string(), from_pandas=True), dtype=dtype)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass  # a value that is not text (a driver's number): the general conversion
    return pd.array(values, dtype=dtype)


def read_tables(store: Store, names: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """The contract tables in their typed shape, every record stored; optional tables without rows
    are absent. What was known on a date is ``analytics.snapshot.Snapshot.from_store``."""
    wanted = list(LOAD_ORDER if names is None else names)
    unknown = [n for n in wanted if n not in TABLES]
    if unknown:
        raise KeyError(f"not a contract table: {unknown}")
    tables: dict[str, pd.DataFrame] = {}
    with store.engine.connect() as connection:
        for name in wanted:
            spec = TABLES[name]
            frame = _fetch(connection, spec)
            if len(frame) or spec.required:
                tables[name] = frame
    return tables


def latest_record_date(store: Store) -> pd.Timestamp:
    """The newest inspection date in the store: the default as-of of a list and of training."""
    inspections = CONTRACT_TABLES["inspections"]
    with store.engine.connect() as connection:
        latest = connection.execute(sa.select(sa.func.max(inspections.c.date))).scalar()
    if latest is None:
        raise UserError("库中没有检查记录，请指定 --as-of。", "The store holds no inspections; give --as-of.")
    return pd.Timestamp(latest).normalize()


def read_town_geojson(store: Store) -> dict | None:
    """The imported town map as a GeoJSON FeatureCollection (one feature per town, properties
    ``town_id`` and ``name``, in town_id order), or ``None`` when no map was imported.

    Outer rings run clockwise and holes counter-clockwise (as stored by the import), which is
    what Plotly's maps (d3-geo) draw as the inside of a town."""
    towns = CONTRACT_TABLES["towns"]
    query = (sa.select(town_geometries.c.town_id, town_geometries.c.geometry, towns.c.name)
             .select_from(town_geometries.outerjoin(towns, towns.c.town_id == town_geometries.c.town_id))
             .order_by(town_geometries.c.town_id))
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    if not rows:
        return None
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"town_id": town, "name": name}, "geometry": json.loads(geometry)}
        for town, geometry, name in rows
    ]}
