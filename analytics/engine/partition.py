"""Firms split into partitions that hold whole histories, and the work one partition does.

- ``partition_codes``: a stable hash of ``enterprise_id`` (``pandas.util.hash_array``, fixed key: the
  same in every process and on every machine, unlike Python's salted ``hash``) modulo the count.
- ``export_tables`` / ``export_store``: the contract tables as partitioned Parquet (pyarrow): every
  table keyed by enterprise in ``<dir>/<table>/part-00000.parquet`` …, the county-wide small tables
  (towns, weather alerts) whole in ``<dir>/<table>.parquet``, and ``<dir>/_partitions.json``.
  ``export_store`` reads each store table in pieces (``read_table_chunks``) and appends each piece's
  rows to one ``pyarrow.parquet.ParquetWriter`` per partition: the client holds one piece, not a table.
- ``load_snapshot``: one partition's snapshot; ``county_counts``: its share of the county-wide
  reductions (context counts, the firms' own power baselines whose sector medians judge firms
  without one, whether hazards record rectification dates and deadlines);
  ``combine_counts``: the county's totals; ``partition_features`` / ``partition_rows``: its feature
  matrix and per-firm list rows with the county-wide values given, by the single-machine code
  (``build_features``, ``score_rows``).

Nothing here imports dask: a worker runs these functions, the client only names them.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.contract.errors import UserError
from analytics.contract.frames import empty, typed
from analytics.contract.schema import LOAD_ORDER, TABLES
from analytics.features import context, profile
from analytics.features import power as power_features
from analytics.features.build import build_features
from analytics.features.workspace import NS_PER_DAY
from analytics.features.rectification import HELD_DEADLINE, HELD_RECTIFIED
from analytics.models.sample import FirmDraw, row_counts
from analytics.risk.levels import LEVEL_DTYPE
from analytics.risk.risklist import REASON_COUNT, list_frame, score_rows
from analytics.snapshot import power
from analytics.snapshot.snapshot import AsOf, Snapshot, held_tables
from analytics.store.database import CHUNK_ROWS, Store, read_table_chunks

MERGE_ROWS = 200_000  # rows a list's rank-order merge holds at a time (list_in_rank_order)
ENTERPRISE_TABLES = tuple(name for name, spec in TABLES.items() if "enterprise_id" in spec.column_names)
MANIFEST = "_partitions.json"


def partition_codes(ids: Iterable[object] | pd.Series, partitions: int) -> np.ndarray:
    """The partition (0 … partitions-1) of each enterprise id: a stable hash of its text."""
    if partitions < 1:
        raise ValueError("partitions must be at least 1")
    values = pd.Series(ids, copy=False).astype(str).to_numpy(dtype=object)
    return (pd.util.hash_array(values) % np.uint64(partitions)).astype(np.int64)


def _part_path(root: Path, name: str, k: int, chunk: int | None = None) -> Path:
    return root / name / (f"part-{k:05d}.parquet" if chunk is None else f"part-{k:05d}-{chunk:05d}.parquet")


def write_table(root: str | Path, name: str, frame: pd.DataFrame, partitions: int, chunk: int | None = None) -> None:
    """Write one typed contract table into the partitioned folder ``root`` (see the module docstring).

    ``chunk``: a number for rows appended in pieces (a province written county by county): each
    piece is a file of its own beside the others (``part-00007-00012.parquet``; a shared table
    ``<table>/chunk-00012.parquet``)."""
    root = Path(root)
    if name not in ENTERPRISE_TABLES:
        if chunk is None:
            frame.to_parquet(root / f"{name}.parquet", index=False)
        else:
            (root / name).mkdir(parents=True, exist_ok=True)
            frame.to_parquet(root / name / f"chunk-{chunk:05d}.parquet", index=False)
        return
    (root / name).mkdir(parents=True, exist_ok=True)
    codes = partition_codes(frame["enterprise_id"], partitions)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(partitions + 1))
    for k in range(partitions):  # one file per partition, not per firm
        frame.iloc[order[bounds[k]:bounds[k + 1]]].to_parquet(_part_path(root, name, k, chunk), index=False)


def write_manifest(root: str | Path, partitions: int, names: Iterable[str], held: Iterable[str]) -> None:
    Path(root, MANIFEST).write_text(json.dumps(
        {"partitions": partitions, "tables": sorted(names), "held": sorted(held)}, ensure_ascii=False))


def export_tables(tables: Mapping[str, pd.DataFrame], root: str | Path, partitions: int,
                  held: Iterable[str] | None = None) -> Path:
    """The typed tables ``tables`` as partitioned Parquet under ``root``; returns ``root``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        write_table(root, name, frame, partitions)
    held = set(tables) - {n for n, s in TABLES.items() if s.required} if held is None else set(held)
    write_manifest(root, partitions, tables, held)
    return root


def _write_pieces(root: Path, name: str, pieces: Iterable[pd.DataFrame], partitions: int) -> int:
    """Append typed pieces of table ``name`` to its Parquet files (one writer per partition, or one
    for a shared table), the files ``write_table`` would write for the whole table; returns the rows.
    A table without rows is written only when the contract requires it (empty files, as before)."""
    schema = pa.Schema.from_pandas(empty(name), preserve_index=False)
    keyed = name in ENTERPRISE_TABLES
    paths = [_part_path(root, name, k) for k in range(partitions)] if keyed else [root / f"{name}.parquet"]
    writers: dict[int, pq.ParquetWriter] = {}

    def writer(k: int) -> pq.ParquetWriter:
        if k not in writers:
            paths[k].parent.mkdir(parents=True, exist_ok=True)
            writers[k] = pq.ParquetWriter(paths[k], schema)
        return writers[k]

    rows = 0
    try:
        for piece in pieces:  # a loop over pieces of the table, each split by partition at once
            if keyed:
                codes = partition_codes(piece["enterprise_id"], partitions)
                order = np.argsort(codes, kind="stable")
                bounds = np.searchsorted(codes[order], np.arange(partitions + 1))
                parts = {k: piece.iloc[order[bounds[k]:bounds[k + 1]]] for k in range(partitions) if bounds[k + 1] > bounds[k]}
            else:
                parts = {0: piece}
            for k, part in parts.items():
                writer(k).write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))
            rows += len(piece)
        if rows or TABLES[name].required:
            for k in range(len(paths)):  # a partition without rows of this table still has its (empty) file
                writer(k)
    finally:
        for open_writer in writers.values():
            open_writer.close()
    return rows


def export_store(store: Store, root: str | Path, partitions: int, chunk_rows: int = CHUNK_ROWS) -> Path:
    """The store's contract tables as partitioned Parquet, each table read in pieces of ``chunk_rows``
    rows and appended partition by partition, so the client's memory is bounded by a piece."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    names = []
    for name in LOAD_ORDER:  # as read_tables: an optional table without rows is absent
        if _write_pieces(root, name, read_table_chunks(store, name, chunk_rows), partitions) or TABLES[name].required:
            names.append(name)
    write_manifest(root, partitions, names, held_tables(store))
    return root


def read_manifest(root: str | Path) -> dict:
    path = Path(root, MANIFEST)
    if not path.exists():
        raise UserError(f"{root} 不是分区导出的目录（缺少 {MANIFEST}）。",
                        f"{root} is not a partitioned export (no {MANIFEST}).")
    return json.loads(path.read_text())


def read_partition(root: str | Path, k: int) -> dict[str, pd.DataFrame]:
    """The tables of partition ``k``: its firms' rows of each enterprise table, the shared tables whole."""
    root = Path(root)
    out = {}
    for name in read_manifest(root)["tables"]:
        if name in ENTERPRISE_TABLES:
            paths = sorted((root / name).glob(f"part-{k:05d}*.parquet"))
        else:
            whole = root / f"{name}.parquet"
            paths = [whole] if whole.exists() else sorted((root / name).glob("chunk-*.parquet"))
        frames = [pd.read_parquet(path) for path in paths]
        out[name] = typed(name, pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0])
    return out


def load_snapshot(root: str | Path, k: int, as_of: AsOf) -> Snapshot:
    """Partition ``k``'s snapshot on ``as_of`` (``held``: the export's record of imported tables)."""
    return Snapshot.from_tables(read_partition(root, k), as_of, held=read_manifest(root)["held"])


def county_counts(snapshot: Snapshot) -> dict:
    """This partition's share of the county-wide values: the context counts per sector and town, and
    whether its known hazards record rectification dates and deadlines."""
    out: dict = {"held": set(), "unrecorded": set(profile.unrecorded_features(snapshot["enterprises"]))}
    hazards = snapshot.get("hazards")
    if hazards is not None:
        if hazards["rectified_date"].notna().any():
            out["held"].add(HELD_RECTIFIED)
        if hazards["deadline"].notna().any():
            out["held"].add(HELD_DEADLINE)
    if "power_usage" in snapshot:
        out["power"] = power.own_baselines(snapshot.tables, snapshot.as_of.ts)
    if "inspections" in snapshot and "hazards" in snapshot:
        for name, column in context.CONTEXT_COLUMNS.items():
            out[name] = context.group_counts(snapshot.tables, float(snapshot.as_of.ts.value // NS_PER_DAY), column)
    return out


def combine_counts(parts: Iterable[dict]) -> dict:
    """The county's values from every partition's ``county_counts``: held columns united, counts summed,
    rates computed once (``context.rates_from_counts``)."""
    parts = list(parts)
    out: dict = {"held": set().union(*(p["held"] for p in parts)), "rates": {},
                 "unrecorded": set.intersection(*(p["unrecorded"] for p in parts)) if parts else set()}
    for name in context.CONTEXT_COLUMNS:
        shares = [p[name] for p in parts if name in p]
        if shares:
            visits = pd.concat([s[0] for s in shares]).groupby(level=0).sum()
            found = pd.concat([s[1] for s in shares]).groupby(level=0).sum()
            out["rates"][name] = context.rates_from_counts(visits.astype("int64"), found.astype("int64"))
    shares = [p["power"] for p in parts if "power" in p]
    if shares:
        own = pd.concat(shares, ignore_index=True)
        out["sector_baseline"] = power.sector_baselines(own["baseline"], own["sector"])
    return out


def county_snapshot(snapshot: Snapshot, county: dict) -> Snapshot:
    """The partition's snapshot holding what the county holds (``combine_counts``'s ``held``)."""
    return dataclasses.replace(snapshot, held=frozenset(snapshot.held | county["held"]))


def drawn_snapshot(snapshot: Snapshot, draw: FirmDraw) -> Snapshot:
    """The partition's snapshot holding only the firms ``draw`` keeps on its date (every firm-keyed
    table cut to them; the shared tables whole). A firm's features depend on its own records and the
    county's values (``combine_counts``, taken from the whole partition), so its row is the same."""
    ids = snapshot["enterprises"]["enterprise_id"].astype(str)
    chosen = pd.Index(ids.to_numpy()[draw.keep(ids.to_numpy(), snapshot.as_of.ts)])
    tables = {name: (frame.loc[frame["enterprise_id"].astype(str).isin(chosen)] if name in ENTERPRISE_TABLES else frame)
              for name, frame in snapshot.tables.items()}
    operating = snapshot.operating.loc[snapshot.operating["enterprise_id"].astype(str).isin(chosen)]
    return Snapshot(snapshot.as_of, MappingProxyType(tables), snapshot.held, operating)


def partition_features(snapshot: Snapshot, county: dict, columns: Iterable[str] | None = None,
                       draw: FirmDraw | None = None) -> pd.DataFrame:
    """The partition's feature matrix; the county-wide family (context) from the broadcast rates.
    ``draw``: only the drawn firms' rows (``drawn_snapshot``), built for them alone."""
    if draw is not None:
        snapshot = drawn_snapshot(snapshot, draw)
    def given_context(ws) -> dict[str, object]:
        return {name: context.apply_rates(ws.enterprises, column, *county["rates"][name])
                for name, column in context.CONTEXT_COLUMNS.items()}

    given = {"context": given_context} if county["rates"] else {}
    if "sector_baseline" in county:
        given["power"] = functools.partial(power_features.compute, sector_baseline=county["sector_baseline"])
    return build_features(county_snapshot(snapshot, county), columns=columns, given=given,
                          unrecorded=county["unrecorded"])


def partition_rows(snapshot: Snapshot, county: dict, model: object, top: int = REASON_COUNT) -> pd.DataFrame:
    """The partition's per-firm list rows (``score_rows``); an empty frame where no firm operates."""
    snapshot = county_snapshot(snapshot, county)
    if len(snapshot.operating) == 0:
        return pd.DataFrame()
    X = partition_features(snapshot, county, getattr(model, "feature_names_in_", None))
    return score_rows(snapshot, model, top=top, features=X)


def partition_row_counts(root: str | Path, k: int, training: list[pd.Timestamp], evaluation: list[pd.Timestamp],
                         horizon_days: int) -> tuple[int, dict[pd.Timestamp, int]]:
    """``models.sample.row_counts`` of partition ``k``'s tables (its firms' whole histories)."""
    return row_counts(read_partition(root, k), training, evaluation, horizon_days)


def given(value: object) -> object:
    """``value`` itself, as a task's result (``DaskEngine`` sends the model this way: a lost worker's
    copy is made again from the task, which scattered data cannot be)."""
    return value


# --- a province's list, written partition by partition (``DaskEngine.write_list``) -----------------
def snapshot_counts(root: str | Path, k: int, as_of: AsOf) -> dict:
    """``county_counts`` of partition ``k``; its snapshot is loaded here and let go, since a
    province's snapshots do not all fit the workers' memory at once."""
    return county_counts(load_snapshot(root, k, as_of))


def scored_part(root: str | Path, k: int, as_of: AsOf, county: dict, model: object, top: int,
                rows_path: str | Path) -> pd.DataFrame:
    """Partition ``k``'s list rows (``partition_rows``) written to ``rows_path`` (Parquet: compressed,
    an eighth of the rows' text in memory) for ``finished_part``; returns only their ids and scores,
    all that ranking the whole list needs."""
    rows = partition_rows(load_snapshot(root, k, as_of), county, model, top)
    if not len(rows):
        rows = pd.DataFrame({"enterprise_id": pd.Series(dtype=object), "score": pd.Series(dtype=float)})
    rows.to_parquet(rows_path, index=False)
    return rows[["enterprise_id", "score"]]


def finished_part(rows_path: str | Path, ranked: pd.DataFrame, levels: pd.Series, as_of: AsOf,
                  model_version: str, list_path: str | Path) -> int:
    """Partition ``k``'s share of the list (``list_frame``), given its firms' ranks and levels in the
    whole list, written to ``list_path`` (Parquet, rank order). The rows (``scored_part``) stay until
    the whole list is written (a task lost with its worker is run again from them)."""
    if len(ranked):
        list_frame(pd.read_parquet(rows_path), ranked, levels, as_of, model_version).to_parquet(list_path, index=False)
    return len(ranked)


def list_parts(folder: str | Path) -> list[Path]:
    """The parts of a list written by ``DaskEngine.write_list`` (UserError naming the folder if none)."""
    parts = sorted(Path(folder).glob("part-*.parquet"))
    if not parts:
        raise UserError(f"{folder} 中没有风险清单分区文件。", f"{folder} holds no risk-list parts.")
    return parts


def list_size(folder: str | Path) -> int:
    """The rows of a list written in parts, from the Parquet footers (nothing read into memory)."""
    return sum(pq.ParquetFile(path).metadata.num_rows for path in list_parts(folder))


def list_levels(folder: str | Path) -> dict[str, int]:
    """Firms per risk level of a list written in parts (its level column alone, part by part)."""
    counts = sum(pd.read_parquet(path, columns=["risk_level"])["risk_level"].astype(LEVEL_DTYPE).value_counts()
                 for path in list_parts(folder))
    return {level: int(counts.get(level, 0)) for level in LEVEL_DTYPE.categories}


def list_in_rank_order(folder: str | Path, rows: int = MERGE_ROWS) -> Iterator[pd.DataFrame]:
    """A list written in parts, in pieces in rank order, holding about ``rows`` rows at a time.

    Each part is in rank order, so this is a merge: every part is read in batches, and the rows up to
    the smallest last rank of the parts still being read are sorted and given out; no part can hold a
    smaller rank later. The work is per batch (vectorised), never per row."""
    files = [pq.ParquetFile(path) for path in list_parts(folder)]
    batch = max(1_000, rows // len(files))
    readers = [f.iter_batches(batch_size=batch) for f in files]
    held = [pd.DataFrame() for _ in files]
    reading = [True] * len(files)
    while True:
        for k, reader in enumerate(readers):  # a loop over parts: refill the emptied ones
            while reading[k] and held[k].empty:
                try:
                    held[k] = next(reader).to_pandas()
                except StopIteration:
                    reading[k] = False
        if not any(len(h) for h in held):
            return
        open_ends = [h["rank"].iat[-1] for k, h in enumerate(held) if reading[k]]
        bound = min(open_ends) if open_ends else np.inf
        out = []
        for k, h in enumerate(held):  # a loop over parts: take what is safe to give out
            cut = int(np.searchsorted(h["rank"].to_numpy(), bound, side="right"))
            out.append(h.iloc[:cut])
            held[k] = h.iloc[cut:]
        yield pd.concat(out, ignore_index=True).sort_values("rank", kind="stable", ignore_index=True)


def read_list(folder: str | Path) -> pd.DataFrame:
    """A list written by ``DaskEngine.write_list``, whole, in rank order (for a county-sized list:
    a province's is read part by part, ``sorted(Path(folder).glob("part-*.parquet"))``)."""
    parts = [pd.read_parquet(path) for path in list_parts(folder)]
    return pd.concat(parts, ignore_index=True).sort_values("rank", kind="stable", ignore_index=True)
