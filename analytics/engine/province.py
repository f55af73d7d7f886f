"""A simulated province as partitioned Parquet, written county by county in bounded memory.

``simulate_province(N, root)`` simulates counties of at most ``chunk`` firms each with the county
simulator (``analytics.simulate.simulate_county``, seeds ``seed``, ``seed + 1``, …), gives every id of
county *i* the prefix ``C{i:04d}-`` (firms, towns, inspections, hazards…: many counties' worth of
towns, references kept), and appends each county's rows to the partitioned folder
(``partition.write_table`` with a chunk number), so memory holds one county at a time whatever N is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract.frames import typed
from analytics.contract.schema import TABLES
from analytics.engine import partition
from analytics.simulate import simulate_county

CHUNK = 100_000
MIN_CHUNK = 500  # the county simulator's smallest county


def relabelled(tables: dict[str, pd.DataFrame], prefix: str) -> dict[str, pd.DataFrame]:
    """Every ``*_id`` column of every table prefixed (missing ids stay missing), typed again."""
    out = {}
    for name, frame in tables.items():
        frame = frame.copy()
        for column in (c for c in TABLES[name].column_names if c.endswith("_id")):
            values = frame[column].astype(object)
            frame[column] = values.where(values.isna(), prefix + values.astype(str))
        out[name] = typed(name, frame)
    return out


def simulate_province(enterprises: int, root: str | Path, chunk: int = CHUNK, seed: int = 7,
                      partitions: int | None = None, as_of: object = None) -> dict[str, int]:
    """Write a province of ``enterprises`` firms under ``root``; returns rows written per table."""
    enterprises, chunk = int(enterprises), int(chunk)
    if enterprises < MIN_CHUNK or chunk < MIN_CHUNK:
        raise UserError(f"省级模拟至少 {MIN_CHUNK} 家企业，每个县至少 {MIN_CHUNK} 家。",
                        f"A simulated province needs at least {MIN_CHUNK} firms, and each county at least {MIN_CHUNK}.")
    sizes = [chunk] * (enterprises // chunk)
    rest = enterprises - sum(sizes)
    if rest:
        if rest < MIN_CHUNK and sizes:
            sizes[-1] -= MIN_CHUNK - rest
            rest = MIN_CHUNK
        sizes.append(rest)
    partitions = partitions or max(4, -(-enterprises // 50_000))
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    names: set[str] = set()
    for number, size in enumerate(sizes):  # a loop over counties: one in memory at a time
        kwargs = {} if as_of is None else {"as_of": as_of}
        county = simulate_county(size, seed=seed + number, **kwargs)
        tables = relabelled(county.tables, f"C{number:04d}-")
        del county
        for name, frame in tables.items():
            partition.write_table(root, name, frame, partitions, chunk=number)
            written[name] = written.get(name, 0) + len(frame)
            names.add(name)
        del tables
    optional = names - {n for n, s in TABLES.items() if s.required}
    partition.write_manifest(root, partitions, names, optional)
    return written
