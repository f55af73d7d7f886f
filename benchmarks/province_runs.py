"""What the province's training benchmarks share (``bench_sample.py``, ``bench_train_scale.py``): their
common options, the simulated province they run on, the tables the client reads from its export, the
origins, and the paired comparison of a sampled backtest with a larger one.

Not a benchmark: imported by the scripts beside it (``benchmarks/`` is their ``sys.path[0]``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from analytics.contract.dates import HORIZON_DAYS
from analytics.contract.frames import typed
from analytics.engine.partition import ENTERPRISE_TABLES, MANIFEST, read_manifest
from analytics.engine.province import simulate_province
from analytics.models.uncertainty import paired_difference


def province_options(parser: argparse.ArgumentParser) -> None:
    """The options both benchmarks take: the province, its origins, the cluster, where figures go."""
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=100_000, help="firms per simulated county")
    parser.add_argument("--origins", type=int, default=4)
    parser.add_argument("--spacing", type=int, default=90, help="days between origins")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--root", default=None, help="the province's Parquet folder (simulated there when empty)")
    parser.add_argument("--json", default=None, help="write the figures to this JSON file")


def province_root(args: argparse.Namespace, prefix: str) -> tuple[Path, float]:
    """The province's export folder (``--root``, else a new temporary one), simulated there when it holds
    none yet, and the seconds simulating took."""
    root = Path(args.root) if args.root else Path(tempfile.mkdtemp(prefix=prefix))
    began = time.perf_counter()
    if not (root / MANIFEST).exists():
        simulate_province(args.firms, root, chunk=args.chunk)
    return root, time.perf_counter() - began


def exported_tables(root: Path, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The tables ``names`` the export holds, each whole and typed (a firm's table from its partitions)."""
    out = {}
    for name in names:
        if name not in read_manifest(root)["tables"]:
            continue
        paths = sorted((root / name).glob("part-*.parquet")) if name in ENTERPRISE_TABLES else [root / f"{name}.parquet"]
        out[name] = typed(name, pd.concat([pd.read_parquet(path) for path in paths], ignore_index=True))
    return out


def origins_before(inspections: pd.DataFrame, count: int, spacing: int) -> list[pd.Timestamp]:
    """``count`` origins ``spacing`` days apart, the last a label horizon before the newest inspection."""
    last = inspections["date"].max() - pd.Timedelta(days=HORIZON_DAYS)
    return [last - pd.Timedelta(days=spacing * i) for i in reversed(range(count))]


def compared(base: pd.DataFrame, sampled: pd.DataFrame, learned: list[str], tag: str, base_name: str) -> list[dict]:
    """Per learned model: mean precision at capacity over origins, in ``base`` (``precision_<base_name>``)
    and ``sampled`` (its models renamed ``<model><tag>``), and the paired pooled difference (sampled −
    base) with its block-bootstrap interval and each origin's difference."""
    metrics = pd.concat([base, sampled.assign(model=sampled["model"] + tag)])
    rows = []
    for name in learned:  # a few models
        d = paired_difference(metrics, name + tag, name, HORIZON_DAYS)
        per = metrics.loc[metrics["model"].isin([name, name + tag])].pivot(
            index="origin", columns="model", values="precision_at_capacity")
        rows.append({"model": name, f"precision_{base_name}": round(float(per[name].mean()), 4),
                     "precision_sample": round(float(per[name + tag].mean()), 4),
                     "difference": round(d["difference"], 4), "low": round(d["low"], 4), "high": round(d["high"], 4),
                     "within_noise": d["within_noise"],
                     "per_origin": [round(v, 4) for v in d["per_origin"] if v is not None],
                     "top_labelled_per_origin": base.loc[base["model"] == name, "n_top_labelled"].astype(int).tolist()})
    return rows
