"""SafeRank on a Dask cluster (``dask.distributed``): the single-machine pandas code per partition.

Imported only when ``--engine dask`` is asked (``saferank score|backtest --engine dask``). The
data are a partitioned Parquet export (``analytics.engine.partition``) that every worker can read
(a shared folder or the same path on each machine). A run is a graph of plain tasks:

1. ``load_snapshot`` per partition (whole histories: firms are partitioned by a stable hash of
   their id), kept in the workers' memory;
2. ``county_counts`` per partition, reduced once by ``combine_counts`` into the county-wide values
   (context rates, the hazards' recorded columns), which every partition then receives (broadcast);
3. ``partition_rows`` (or ``partition_features``) per partition: ``build_features`` and
   ``score_rows``, the same functions the pandas path runs;
4. ``risk_list``: the client gathers the partitions as they finish and ranks and levels the whole
   list (``finish_list``): ranks and hysteresis are properties of the list, not of a partition.
   ``write_list`` (``saferank score --engine dask``): the client gathers ids and scores only, and each
   worker writes its share of the ranked list; the client then stores and writes it part by part.

Training and backtests on the cluster (``train_store``, ``backtest_store``) build each date's matrix
here; with a sample (``models.sample.FirmDraw``) only the drawn firms' rows (``ClusterMatrices.drawn``).

A worker lost mid-run loses its partitions; the scheduler recomputes them from the graph, so the
list is still complete and the same.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from dask.distributed import Client, LocalCluster, as_completed

from analytics.contract.errors import UserError
from analytics.engine import partition
from analytics.models.registry import ModelRegistry
from analytics.models.sample import FirmDraw
from analytics.models.report import backtest_store as local_backtest
from analytics.models.select import train_models
from analytics.risk.levels import DEFAULT_THRESHOLDS, LevelThresholds, assign_levels
from analytics.risk.risklist import (
    REASON_COUNT,
    ScoreReport,
    default_score_date,
    finish_list,
    nothing_operates,
    previous_levels,
    rank_scores,
    save_list_pieces,
    write_contract_csv_pieces,
)
from analytics.store.database import read_tables
from analytics.snapshot.snapshot import AsOf


class DaskEngine:
    """A client of a running scheduler (``scheduler="tcp://host:8786"``) or of a LocalCluster of
    ``workers`` processes on this machine (one thread each). Use as a context manager."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None,
                 memory_limit: str | int | None = "auto", dashboard: bool = False) -> None:
        if scheduler and workers:
            raise UserError("--scheduler 与 --workers 只能二选一。", "Give --scheduler or --workers, not both.")
        self.cluster = None
        self._scratch: tempfile.TemporaryDirectory | None = None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout="20s")
            else:
                self.cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                            memory_limit=memory_limit,
                                            dashboard_address=":8787" if dashboard else None)
                self.client = Client(self.cluster)
        except OSError as error:
            raise UserError(f"无法连接 Dask 调度器 {scheduler}：{error}",
                            f"Cannot reach the Dask scheduler {scheduler}: {error}") from error

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        if self._scratch is not None:  # the exports and lists written to the default folders
            self._scratch.cleanup()

    def scratch(self, prefix: str) -> Path:
        """A new folder for a command's Parquet export or list parts when none is given, removed when
        the engine closes; on this machine only, so good for a LocalCluster only."""
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="saferank-dask-")
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self._scratch.name))

    @property
    def worker_count(self) -> int:
        return len(self.client.scheduler_info()["workers"])

    # --- the graph ----------------------------------------------------------------------------
    def _county(self, root: str | Path, as_of: AsOf):
        """Snapshots per partition (futures) and the county-wide values (one future, broadcast)."""
        root = str(root)
        count = partition.read_manifest(root)["partitions"]
        run = uuid.uuid4().hex[:8]
        snapshots = [self.client.submit(partition.load_snapshot, root, k, as_of, key=f"snapshot-{run}-{k}")
                     for k in range(count)]
        counts = [self.client.submit(partition.county_counts, s, key=f"counts-{run}-{k}")
                  for k, s in enumerate(snapshots)]
        county = self.client.submit(partition.combine_counts, counts, key=f"county-{run}")
        return run, snapshots, county

    def _given(self, model: object, run: str):
        """The model as a task's result, not scattered data: a worker lost with scattered data loses
        it for good (the scheduler cannot make it again), a task's result is computed again."""
        return self.client.submit(partition.given, model, key=f"model-{run}")

    def _collect(self, futures: list, on_done: Callable[[int], None] | None) -> list[pd.DataFrame]:
        """Each partition's frame, in partition order, gathered as they finish."""
        position = {f.key: k for k, f in enumerate(futures)}
        frames: list[pd.DataFrame | None] = [None] * len(futures)
        for done, (future, frame) in enumerate(as_completed(futures, with_results=True), start=1):
            frames[position[future.key]] = frame
            future.release()
            if on_done is not None:
                on_done(done)
        return frames

    def risk_rows(self, root: str | Path, as_of: AsOf, model: object, top: int = REASON_COUNT,
                  on_done: Callable[[int], None] | None = None) -> pd.DataFrame:
        """Every partition's ``score_rows``, in one frame (unranked)."""
        run, snapshots, county = self._county(root, as_of)
        model_future = self._given(model, run)
        futures = [self.client.submit(partition.partition_rows, s, county, model_future, top, key=f"rows-{run}-{k}")
                   for k, s in enumerate(snapshots)]
        frames = [f for f in self._collect(futures, on_done) if len(f)]
        if not frames:
            raise nothing_operates(as_of)
        return pd.concat(frames, ignore_index=True)

    def risk_list(self, root: str | Path, as_of: AsOf, model: object, model_version: str = "",
                  thresholds: LevelThresholds = DEFAULT_THRESHOLDS, previous_levels: pd.Series | None = None,
                  top: int = REASON_COUNT, on_done: Callable[[int], None] | None = None) -> pd.DataFrame:
        """The risk list of ``as_of`` as ``score_enterprises`` makes it, computed partition by partition."""
        rows = self.risk_rows(root, as_of, model, top, on_done)
        return finish_list(rows, as_of, model_version, thresholds, previous_levels)

    def write_list(self, root: str | Path, as_of: AsOf, model: object, out: str | Path, model_version: str = "",
                   thresholds: LevelThresholds = DEFAULT_THRESHOLDS, previous_levels: pd.Series | None = None,
                   top: int = REASON_COUNT, on_done: Callable[[int], None] | None = None) -> Path:
        """The risk list of ``as_of``, the same rows as ``risk_list``, written by the workers as
        ``out/part-00000.parquet`` … (one per partition, each in rank order; ranks and levels over the
        whole list; ``partition.read_list`` reads them back whole). The client holds only every
        firm's id and score, so a province's list need not fit one process. ``out`` must be readable
        and writable at the same path by every worker (a shared folder, as for the Parquet export).

        Each partition's snapshot is loaded twice, for the county-wide counts and for its rows, and
        let go in between: a province's snapshots do not all fit the workers at once."""
        root, out = str(root), Path(out)
        out.mkdir(parents=True, exist_ok=True)
        count = partition.read_manifest(root)["partitions"]
        run = uuid.uuid4().hex[:8]
        counts = [self.client.submit(partition.snapshot_counts, root, k, as_of, key=f"counts-{run}-{k}")
                  for k in range(count)]
        county = self.client.submit(partition.combine_counts, counts, key=f"county-{run}")
        model_future = self._given(model, run)
        rows_paths = [str(out / f"rows-{k:05d}.parquet") for k in range(count)]
        scored = [self.client.submit(partition.scored_part, root, k, as_of, county, model_future, top, rows_paths[k],
                                     key=f"scored-{run}-{k}") for k in range(count)]
        keys = self._collect(scored, on_done)
        sizes = [len(frame) for frame in keys]
        if not sum(sizes):
            raise nothing_operates(as_of)
        ids = pd.concat([frame["enterprise_id"] for frame in keys], ignore_index=True).astype(str).to_numpy()
        ranked = rank_scores(pd.Series(np.concatenate([frame["score"].to_numpy(dtype=float) for frame in keys]), index=ids))
        levels = assign_levels(ranked["score"], thresholds, previous_levels)
        part = pd.Series(np.repeat(np.arange(count), sizes), index=ids).reindex(ranked.index).to_numpy()
        order = np.argsort(part, kind="stable")  # by partition, rank order kept within each
        bounds = np.searchsorted(part[order], np.arange(count + 1))
        shares = [order[bounds[k]:bounds[k + 1]] for k in range(count)]  # each partition's positions in the list
        finished = [self.client.submit(partition.finished_part, rows_paths[k], ranked.iloc[share], levels.iloc[share],
                                       as_of, model_version, str(out / f"part-{k:05d}.parquet"), key=f"finished-{run}-{k}")
                    for k, share in enumerate(shares)]
        self.client.gather(finished)
        for path in rows_paths:  # a loop over partitions
            Path(path).unlink(missing_ok=True)
        return out

    def row_counts(self, root: str | Path, training: list, evaluation: list, horizon_days: int) -> tuple[int, dict]:
        """The training rows of ``training`` dates and the operating firms of ``evaluation`` dates
        (``models.sample.row_counts``), counted per partition on the workers and summed here."""
        count = partition.read_manifest(root)["partitions"]
        run = uuid.uuid4().hex[:8]
        parts = self.client.gather([self.client.submit(partition.partition_row_counts, str(root), k, list(training),
                                                       list(evaluation), horizon_days, key=f"row-counts-{run}-{k}")
                                    for k in range(count)])
        operating = {pd.Timestamp(day): sum(part[1][pd.Timestamp(day)] for part in parts) for day in evaluation}
        return sum(part[0] for part in parts), operating

    def features(self, root: str | Path, as_of: AsOf, columns: Iterable[str] | None = None,
                 draw: FirmDraw | None = None) -> pd.DataFrame:
        """The feature matrix of ``as_of`` as ``build_features`` makes it (rows sorted by id).

        ``columns``: a model's ``feature_names_in_``; default, every feature, less the profile
        attributes no partition records (reduced with the county-wide values). ``draw``: only the
        rows of the firms it keeps, drawn and built on the workers (the county-wide values still
        come from every firm), so the client receives the sample alone."""
        run, snapshots, county = self._county(root, as_of)
        wanted = None if columns is None else list(columns)
        futures = [self.client.submit(partition.partition_features, s, county, wanted, draw, key=f"features-{run}-{k}")
                   for k, s in enumerate(snapshots)]
        frames = [f for f in self._collect(futures, None) if len(f)]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames).sort_index()


# --- the store's commands on the engine (saferank score|backtest --engine dask) --------------------
def default_partitions(firms: int, workers: int) -> int:
    """Partitions of about ``FIRMS_PER_PARTITION`` firms, at least two per worker (a lost worker's
    share is spread over the others)."""
    return max(2 * max(workers, 1), -(-int(firms) // FIRMS_PER_PARTITION))


FIRMS_PER_PARTITION = 50_000


def _export(store, engine: DaskEngine, parquet: str | Path | None, partitions: int | None, tables=None) -> Path:
    """Export the store (or ``tables``) to partitioned Parquet under ``parquet`` (default: the engine's
    ``scratch``, removed when it closes, good for a LocalCluster only)."""

    root = Path(parquet) if parquet else engine.scratch("parquet-")
    if partitions is None:
        firms = len(tables["enterprises"]) if tables is not None else len(read_tables(store, names=["enterprises"])["enterprises"])
        partitions = default_partitions(firms, engine.worker_count)
    if tables is not None:
        return partition.export_tables(tables, root, partitions)
    return partition.export_store(store, root, partitions)


def score_store(store, engine: DaskEngine, as_of: AsOf | None = None, out: str | Path | None = None,
                models_dir: str | Path | None = None, levels: str | Path | None = None,
                parquet: str | Path | None = None, partitions: int | None = None, lang: str = "zh",
                list_dir: str | Path | None = None):
    """``saferank score --engine dask``: as ``risklist.score_store``, the list computed and written by
    the workers (``DaskEngine.write_list``, into ``list_dir``, readable by every worker as the export is;
    default the engine's ``scratch``), then stored in batches and written as the same CSV (reasons in
    ``lang``) part by part in rank order: no process holds a province's list whole."""
    thresholds = LevelThresholds.from_file(levels) if levels else LevelThresholds()
    model, card = ModelRegistry(models_dir).load()
    as_of = as_of if as_of is not None else AsOf(default_score_date(store))
    root = _export(store, engine, parquet, partitions)
    folder = Path(list_dir) if list_dir else engine.scratch("list-")
    engine.write_list(root, as_of, model, folder, card["version"], thresholds, previous_levels(store, as_of))
    n = partition.list_size(folder)
    list_id = save_list_pieces(store, partition.list_in_rank_order(folder), n, as_of, card["version"], seed=card.get("seed"),
                               thresholds=thresholds)
    path = write_contract_csv_pieces(lambda: partition.list_in_rank_order(folder), out, lang=lang) if out else None
    return ScoreReport(list_id, as_of.ts, card["version"], n, partition.list_levels(folder), path, card.get("notes") or {})


class ClusterMatrices:
    """date → the cluster's feature matrix of a partitioned export (``backtest.new_cache``'s ``features``);
    ``drawn(date, draw)``: only the drawn firms' rows, built on the workers (``_Cache.matrix``)."""

    def __init__(self, engine: DaskEngine, root: str | Path) -> None:
        self.engine, self.root = engine, root

    def __call__(self, day: object) -> pd.DataFrame:
        return self.engine.features(self.root, AsOf.parse(day))

    def drawn(self, day: object, draw: FirmDraw) -> pd.DataFrame:
        return self.engine.features(self.root, AsOf.parse(day), draw=draw)

    def counts(self, training: list, evaluation: list, horizon_days: int) -> tuple[int, dict]:
        """``models.sample.row_counts`` partition by partition on the workers, summed."""
        return self.engine.row_counts(self.root, training, evaluation, horizon_days)


def _matrices(store, engine: DaskEngine, parquet: str | Path | None, partitions: int | None):
    """Given the tables a command read: export them once, then the cluster's matrices (``ClusterMatrices``)."""

    def matrices(tables):
        return ClusterMatrices(engine, _export(store, engine, parquet, partitions, tables=tables))

    return matrices


def backtest_store(store, engine: DaskEngine, parquet: str | Path | None = None, partitions: int | None = None,
                   **kwargs):
    """``saferank backtest --engine dask``: ``models.report.backtest_store`` with every date's feature
    matrix built on the cluster (the tables it reads exported once); labels and fits stay local."""
    return local_backtest(store, features=_matrices(store, engine, parquet, partitions), **kwargs)


def train_store(store, engine: DaskEngine, parquet: str | Path | None = None, partitions: int | None = None,
                **kwargs):
    """``saferank train --engine dask``: ``models.select.train_models`` with every snapshot's and origin's
    feature matrix built on the cluster (the known tables exported once); labels, the fits and the
    registration as on one machine. With ``sample=TrainingSample(n, evaluate=m)`` the firms are drawn
    on the workers (``models.sample.FirmDraw``) and the client receives only the drawn rows: about
    ``n`` training rows in all, and ``m`` firms at each backtest origin and the as-of date."""
    return train_models(store, matrices=_matrices(store, engine, parquet, partitions), **kwargs)
