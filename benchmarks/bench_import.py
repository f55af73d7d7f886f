"""Import benchmark: 100,000 enterprises and 1,000,000 hazards into a fresh SQLite store.

Generates a valid file set with numpy (towns, enterprises, inspections, hazards as CSV), then runs
``saferank import`` on it in a child process and prints its wall time and peak memory
(``ru_maxrss``), then the time of a second, idempotent import and of ``read_tables``.
Budget: under 60 s and under 4 GB on 2 cores.

    .venv/bin/python benchmarks/bench_import.py [--enterprises 100000] [--hazards 1000000] [--out DIR]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def generate(out: Path, enterprises: int, hazards: int, seed: int = 1) -> dict[str, int]:
    """Write a valid contract file set; returns rows per file."""
    from analytics.contract.schema import TABLES

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    towns = pd.DataFrame({"town_id": [f"3310{i:05d}" for i in range(40)], "name": [f"第{i}镇" for i in range(40)],
                          "coastal": np.where(rng.random(40) < 0.3, "true", "false")})
    ids = np.char.add("91331081MA", np.char.zfill(np.arange(enterprises).astype(str), 8))
    sectors = np.array(TABLES["enterprises"].column("sector").code_values())
    start = np.datetime64("2023-01-01")
    firms = pd.DataFrame({
        "enterprise_id": ids,
        "name": np.char.add("企业", np.arange(enterprises).astype(str)),
        "town_id": towns["town_id"].to_numpy()[rng.integers(0, 40, enterprises)],
        "sector": sectors[rng.integers(0, len(sectors), enterprises)],
        "employees": rng.integers(0, 500, enterprises),
        "longitude": np.round(rng.uniform(120.5, 121.5, enterprises), 6),
        "latitude": np.round(rng.uniform(28.2, 28.9, enterprises), 6),
        "hazardous_chemicals": np.where(rng.random(enterprises) < 0.1, "是", "否"),
        "established": (start - rng.integers(0, 7000, enterprises).astype("timedelta64[D]")).astype(str),
    })
    inspections_n = hazards // 3
    inspection_firm = rng.integers(0, enterprises, inspections_n)
    inspection_day = start + rng.integers(0, 1000, inspections_n).astype("timedelta64[D]")
    inspections = pd.DataFrame({
        "inspection_id": np.char.add("JC", np.char.zfill(np.arange(inspections_n).astype(str), 9)),
        "enterprise_id": ids[inspection_firm],
        "date": inspection_day.astype(str),
        "team": np.char.add("第", np.char.add(rng.integers(1, 16, inspections_n).astype(str), "组")),
        "mode": np.array(["routine", "random", "targeted"])[rng.integers(0, 3, inspections_n)],
    })
    which = rng.integers(0, inspections_n, hazards)
    found = inspection_day[which]
    rectified = found + rng.integers(0, 60, hazards).astype("timedelta64[D]")
    open_ = rng.random(hazards) < 0.2
    hazard_table = pd.DataFrame({
        "hazard_id": np.char.add("YH", np.char.zfill(np.arange(hazards).astype(str), 10)),
        "enterprise_id": ids[inspection_firm[which]],
        "inspection_id": inspections["inspection_id"].to_numpy()[which],
        "found_date": found.astype(str),
        "level": np.where(rng.random(hazards) < 0.05, "major", "general"),
        "category": np.array(TABLES["hazards"].column("category").code_values())[rng.integers(0, 12, hazards)],
        "deadline": (found + 30).astype(str),
        "rectified_date": np.where(open_, "", rectified.astype(str)),
    })
    files = {"towns": towns, "enterprises": firms, "inspections": inspections, "hazards": hazard_table}
    for name, frame in files.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    return {name: len(frame) for name, frame in files.items()}


def _import_once(source: str, db: str) -> None:
    """Child process: one import, then its own figures on stdout."""
    from analytics.store.ingest import import_files
    from analytics.store.database import open_store, read_tables

    store = open_store(db)
    began = time.perf_counter()
    report = import_files(store, source, export_date="2026-11-15")
    took = time.perf_counter() - began
    print(report.render("en"))
    began = time.perf_counter()
    tables = read_tables(store)
    read = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"import: {took:.1f} s; read_tables ({sum(len(t) for t in tables.values()):,} rows): {read:.1f} s; "
          f"peak memory of this process {peak:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "import"))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _import_once(*args.child)
        return
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    began = time.perf_counter()
    rows = generate(out / "files", args.enterprises, args.hazards)
    print(f"generated {rows} in {time.perf_counter() - began:.1f} s")
    db = f"sqlite:///{out / 'store.db'}"
    for attempt in ("first import (fresh store)", "second import (same files, nothing changes)"):
        began = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--child", str(out / "files"), db], check=True)
        wall = time.perf_counter() - began
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{attempt}: wall {wall:.1f} s including interpreter start; peak memory of children so far {peak:,.0f} MB\n")


if __name__ == "__main__":
    main()
