"""Benchmark: build the point-in-time feature matrix for a county with three years of records.

Budgets (2 cores): 100,000 enterprises under 20 s; 1,000,000 (``--large``) under 4 minutes and 16 GB.

The tables come from ``analytics.simulate.simulate_county`` (default for 100,000) or from a vectorised
synthetic generator with the simulator's record rates per firm (default for ``--large``: simulating a
million firms day by day takes far longer than the build we time). They are pickled to a temporary
folder and the build runs in a fresh process, so the peak memory printed (``ru_maxrss``) is the
build's own (tables loaded + matrix), not the generator's.

    .venv/bin/python benchmarks/bench_features.py [--enterprises 100000] [--large] [--source simulate|synthetic]
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

AS_OF = pd.Timestamp("2026-11-15")
BUDGETS = {100_000: (20.0, None), 1_000_000: (240.0, 16 * 1024**3)}
# records per enterprise over three years, as in the simulated county
RATES = {"inspections": 3.6, "hazards": 3.5, "status_events": 1.2, "special_operations": 3.2, "contracts": 1.2,
         "penalties": 0.25, "accidents": 0.01}


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(n).astype(str), 8))


def synthetic_tables(enterprises: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Typed contract tables with random records over the three years before ``AS_OF`` (no loops per row)."""
    from analytics.contract import schema
    from analytics.contract.frames import typed

    rng = np.random.default_rng(seed)
    n = enterprises
    towns = [f"T{i:02d}" for i in range(20)]
    start = AS_OF - pd.DateOffset(years=3)
    span = (AS_OF - start).days

    def dates(size: int) -> np.ndarray:
        return (start + pd.to_timedelta(rng.integers(0, span + 1, size), unit="D")).to_numpy()

    def codes(table: str, column: str, size: int) -> np.ndarray:
        return rng.choice(schema.TABLES[table].column(column).code_values(), size)

    ids = _ids("E", n)
    tables = {
        "towns": typed("towns", pd.DataFrame({"town_id": towns, "name": towns})),
        "enterprises": typed("enterprises", pd.DataFrame({
            "enterprise_id": ids, "name": ids, "town_id": rng.choice(towns, n), "sector": codes("enterprises", "sector", n),
            "size": codes("enterprises", "size", n), "employees": rng.integers(1, 500, n),
            "hazardous_chemicals": rng.random(n) < 0.15, "major_hazard_level": rng.choice([0, 0, 0, 0, 1, 2, 3, 4], n),
            "dust_explosion": rng.random(n) < 0.05, "confined_space": rng.random(n) < 0.1,
            "ammonia_refrigeration": rng.random(n) < 0.01, "small_scattered": rng.random(n) < 0.1,
            "status": "operating", "established": start - pd.to_timedelta(rng.integers(0, 9000, n), unit="D"),
        })),
    }
    size = {name: int(rate * n) for name, rate in RATES.items()}
    owner = {name: ids[rng.integers(0, n, k)] for name, k in size.items()}
    k = size["inspections"]
    tables["inspections"] = typed("inspections", pd.DataFrame({
        "inspection_id": _ids("I", k), "enterprise_id": owner["inspections"], "date": dates(k),
        "team": "第1组", "mode": codes("inspections", "mode", k)}))
    k = size["hazards"]
    linked = rng.integers(0, size["inspections"], k)
    found = tables["inspections"]["date"].to_numpy()[linked]
    deadline = found + pd.to_timedelta(rng.integers(7, 60, k), unit="D").to_numpy()
    rectified = found + pd.to_timedelta(rng.integers(0, 120, k), unit="D").to_numpy()
    tables["hazards"] = typed("hazards", pd.DataFrame({
        "hazard_id": _ids("H", k), "enterprise_id": tables["inspections"]["enterprise_id"].to_numpy()[linked],
        "inspection_id": tables["inspections"]["inspection_id"].to_numpy()[linked], "found_date": found,
        "level": np.where(rng.random(k) < 0.06, "major", "general"), "category": codes("hazards", "category", k),
        "deadline": deadline, "rectified_date": np.where(rng.random(k) < 0.85, rectified, np.datetime64("NaT"))}))
    k = size["status_events"]
    tables["status_events"] = typed("status_events", pd.DataFrame({
        "enterprise_id": owner["status_events"], "date": dates(k),
        "status": rng.choice(["operating", "suspended", "retrofit"], k),
        "approved": pd.array(np.where(rng.random(k) < 0.1, False, True), dtype="boolean")}))
    k = size["special_operations"]
    begin = dates(k)
    operators = rng.integers(1, 6, k)
    tables["special_operations"] = typed("special_operations", pd.DataFrame({
        "permit_id": _ids("W", k), "enterprise_id": owner["special_operations"], "kind": codes("special_operations", "kind", k),
        "start_date": begin, "end_date": begin + pd.to_timedelta(rng.integers(0, 3, k), unit="D").to_numpy(),
        "contractor": np.where(rng.random(k) < 0.3, "外包单位", None), "operators": operators,
        "certified_operators": rng.integers(0, operators + 1)}))
    k = size["contracts"]
    begin = dates(k)
    tables["contracts"] = typed("contracts", pd.DataFrame({
        "contract_id": _ids("C", k), "enterprise_id": owner["contracts"], "contractor": "承包单位", "start_date": begin,
        "end_date": begin + pd.to_timedelta(rng.integers(30, 400, k), unit="D").to_numpy(),
        "contractor_qualified": rng.random(k) < 0.9, "safety_agreement": rng.random(k) < 0.9}))
    k = size["penalties"]
    tables["penalties"] = typed("penalties", pd.DataFrame({
        "penalty_id": _ids("P", k), "enterprise_id": owner["penalties"], "date": dates(k),
        "kind": codes("penalties", "kind", k), "amount_yuan": rng.integers(0, 100_000, k).astype(float)}))
    k = size["accidents"]
    tables["accidents"] = typed("accidents", pd.DataFrame({
        "accident_id": _ids("A", k), "enterprise_id": owner["accidents"], "date": dates(k),
        "severity": codes("accidents", "severity", k), "deaths": 0, "injuries": rng.integers(0, 3, k)}))
    k = 300
    alert_start = dates(k)
    tables["weather_alerts"] = typed("weather_alerts", pd.DataFrame({
        "alert_id": _ids("WA", k), "kind": codes("weather_alerts", "kind", k), "level": codes("weather_alerts", "level", k),
        "start_date": alert_start, "end_date": alert_start + pd.to_timedelta(rng.integers(0, 4, k), unit="D").to_numpy(),
        "town_id": np.where(rng.random(k) < 0.5, rng.choice(towns, k), None)}))
    return tables


def _build(path: Path) -> None:
    """Child process: load the pickled tables, time build_features, print JSON."""
    from analytics.features import build_features

    with path.open("rb") as handle:
        tables = pickle.load(handle)
    loaded = _peak_bytes()
    began = time.perf_counter()
    X = build_features(tables, AS_OF)
    seconds = time.perf_counter() - began
    print(json.dumps({"seconds": seconds, "peak_bytes": _peak_bytes(), "loaded_peak_bytes": loaded,
                      "rows": int(X.shape[0]), "columns": int(X.shape[1]),
                      "records": int(sum(len(t) for t in tables.values()))}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=None)
    parser.add_argument("--large", action="store_true", help="1,000,000 enterprises")
    parser.add_argument("--source", choices=("simulate", "synthetic"), default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--build", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        _build(args.build)
        return 0
    enterprises = args.enterprises or (1_000_000 if args.large else 100_000)
    source = args.source or ("synthetic" if enterprises > 200_000 else "simulate")
    began = time.perf_counter()
    if source == "simulate":
        from analytics.simulate import simulate_county

        tables = simulate_county(enterprises=enterprises, seed=args.seed, as_of=AS_OF).tables
    else:
        tables = synthetic_tables(enterprises, args.seed)
    generated = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tables.pkl"
        with path.open("wb") as handle:
            pickle.dump(tables, handle, protocol=pickle.HIGHEST_PROTOCOL)
        del tables
        out = subprocess.run([sys.executable, __file__, "--build", str(path)], capture_output=True, text=True, check=True)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    seconds_budget, bytes_budget = BUDGETS.get(enterprises, (None, None))
    print(f"enterprises: {enterprises:,} ({source}, generated in {generated:.1f} s); records: {figures['records']:,}")
    print(f"build_features: {figures['seconds']:.1f} s -> {figures['rows']:,} rows x {figures['columns']} columns"
          + (f" (budget {seconds_budget:.0f} s)" if seconds_budget else ""))
    print(f"peak memory (ru_maxrss): {figures['peak_bytes'] / 1024**3:.2f} GB, of which tables loaded "
          f"{figures['loaded_peak_bytes'] / 1024**3:.2f} GB" + (f" (budget {bytes_budget / 1024**3:.0f} GB)" if bytes_budget else ""))
    within = (seconds_budget is None or figures["seconds"] <= seconds_budget) and (
        bytes_budget is None or figures["peak_bytes"] <= bytes_budget)
    print("within budget" if within else "OVER BUDGET")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
