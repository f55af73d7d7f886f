"""A stable, seeded sample of training rows (firm-origins), for training a province on a sample.

A training row is one firm at one snapshot date. It is kept when a stable hash of
``(enterprise_id, date, seed)`` (``pandas.util.hash_array``: the same in every process and on every
machine, unlike Python's salted ``hash``), read as a number in [0, 1), falls under
``fraction = size / total``. The decision depends on the row alone, so it is the same whether the
rows are drawn on one machine or partition by partition on a cluster, in whatever order, and the
same seed draws the same rows again. The sample's size is about ``size`` (binomial), stated exactly
on the model card (``TrainingSample.record``).

Because the draw is per row, it can be made before any feature is built: ``FirmDraw`` names, per
date, the share of firms whose matrix is built at all (the Dask engine builds only theirs, on the
workers, so the client never holds a province's matrix). At a training date that share is the
sample's fraction, so the firms drawn are exactly the rows the sample keeps, plus the unlabelled ones
the inverse-propensity model is fitted on. At an evaluation date (the backtest's origins and the
as-of date) it is ``evaluate`` firms' share (``--evaluate``; default every firm), never below the
training fraction, so the rows kept for training there are still a subset of the firms drawn.

| rows (total) | size asked | fraction | rows kept (about) |
| ---: | ---: | ---: | ---: |
| 50,000 | 100,000 | 1 (no sample) | 50,000 |
| 2,000,000 | 200,000 | 0.1 | 200,000 |
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.contract.dates import HORIZON_DAYS
from analytics.contract.errors import UserError
from analytics.models.labels import build_labels
from analytics.snapshot.snapshot import operating_ids

UNIT = float(2**53)


def sample_draws(ids: pd.Index | pd.Series | np.ndarray, dates: pd.Index | pd.Series | np.ndarray | object,
                 seed: int) -> np.ndarray:
    """A number in [0, 1) per row, from ``(enterprise_id, date, seed)`` alone (``dates``: one date or one per row)."""
    days = pd.Series(pd.to_datetime(dates if np.ndim(dates) else [dates] * len(ids))).dt.strftime("%Y-%m-%d")
    keys = pd.Series(np.asarray(ids, dtype=object)).astype(str) + "|" + days.to_numpy(dtype=object) + f"|{int(seed)}"
    hashed = pd.util.hash_array(keys.to_numpy(dtype=object))
    return (hashed >> np.uint64(11)).astype(np.float64) / UNIT


def _kept(ids: pd.Index | np.ndarray, dates: object, seed: int, fraction: float) -> np.ndarray:
    if fraction >= 1.0:
        return np.ones(len(ids), dtype=bool)
    return sample_draws(ids, dates, seed) < fraction


@dataclass(frozen=True)
class FirmDraw:
    """Which firms a date's feature matrix holds when training on a sample: those whose draw
    (``sample_draws`` with ``seed``) falls under ``fraction(date)``: ``train`` at every date, or the
    larger ``evaluate[date]`` at an evaluation date (1.0: every firm)."""

    seed: int
    train: float
    evaluate: Mapping[pd.Timestamp, float] = field(default_factory=dict)

    def fraction(self, date: object) -> float:
        return max(self.train, self.evaluate.get(pd.Timestamp(date), self.train))

    def keep(self, ids: pd.Index | np.ndarray, date: object) -> np.ndarray:
        """Which of ``ids`` (firms, one date) the matrix of ``date`` holds."""
        return _kept(ids, date, self.seed, self.fraction(date))


@dataclass(frozen=True)
class TrainingSample:
    """``size`` training rows wanted, drawn with ``seed``; ``fraction`` is set once the rows are counted.
    ``evaluate``: firms drawn at each evaluation date (``FirmDraw``); None, every firm."""

    size: int
    seed: int = 0
    total: int = 0
    evaluate: int | None = None

    def __post_init__(self) -> None:
        if int(self.size) < 1:
            raise UserError(f"--sample 须为正整数（训练样本行数），收到 {self.size}。",
                            f"--sample must be a positive number of training rows; got {self.size}.")
        if self.evaluate is not None and int(self.evaluate) < 1:
            raise UserError(f"--evaluate 须为正整数（每个评估日抽取的企业数），收到 {self.evaluate}。",
                            f"--evaluate must be a positive number of firms per evaluation date; got {self.evaluate}.")

    @property
    def fraction(self) -> float:
        return 1.0 if self.total <= self.size else self.size / self.total

    def counted(self, total: int) -> TrainingSample:
        """This sample with the number of training rows it draws from."""
        return TrainingSample(int(self.size), int(self.seed), int(total), self.evaluate)

    def keep(self, ids: pd.Index | np.ndarray, dates: object) -> np.ndarray:
        """Which rows the sample keeps (all of them when the rows are no more than ``size``)."""
        return _kept(ids, dates, self.seed, self.fraction)

    def draw(self, operating: Mapping[pd.Timestamp, int]) -> FirmDraw:
        """The firms each date's matrix holds (``FirmDraw``), given the evaluation dates and how many
        firms operate on each."""
        evaluate = {pd.Timestamp(day): (1.0 if self.evaluate is None or n <= self.evaluate else self.evaluate / n)
                    for day, n in operating.items()}
        return FirmDraw(int(self.seed), self.fraction, evaluate)

    def check_capacity(self, capacity: float | int) -> None:
        """With ``--evaluate`` the firms judged are a sample, so a capacity must be a share of them."""
        if self.evaluate is not None and capacity >= 1:
            raise UserError(f"按 --evaluate 抽取企业评估时，检查能力须为比例（如 0.05），收到 {capacity}。",
                            f"With --evaluate the firms evaluated are a sample, so capacity must be a share "
                            f"(such as 0.05); got {capacity}.")

    def record(self, kept: int) -> dict:
        """What the model card states: rows asked, kept, drawn from, the fraction and the seed, and the
        firms drawn per evaluation date (None: all)."""
        return {"size": int(self.size), "rows": int(kept), "of": int(self.total), "fraction": float(self.fraction),
                "seed": int(self.seed), "evaluate": None if self.evaluate is None else int(self.evaluate)}

    def note(self, kept: int) -> dict[str, str]:
        """The card's and the CLI's sentence about the sample, in both languages."""
        if self.fraction >= 1.0:
            out = {"zh": f"训练样本：全部 {self.total:,} 行（不超过 --sample {self.size:,}，未抽样）。",
                   "en": f"Training rows: all {self.total:,} (no more than --sample {self.size:,}; not sampled)."}
        else:
            out = {"zh": f"训练样本：从 {self.total:,} 行（企业 × 快照日）中按稳定哈希抽取 {kept:,} 行"
                         f"（比例 {self.fraction:.4f}，种子 {self.seed}），回测各起点的拟合使用同一抽样。",
                   "en": f"Training sample: {kept:,} of {self.total:,} rows (firm × snapshot date), drawn by a stable hash "
                         f"(fraction {self.fraction:.4f}, seed {self.seed}); the backtest's fits at every origin use the same draw."}
        if self.evaluate is not None:
            out["zh"] += (f"回测各起点与评估日只评估按同一哈希抽取的至多 {self.evaluate:,} 家在营企业"
                          "（检查能力按其比例计），命中率的区间相应变宽。")
            out["en"] += (f" The backtest's origins and the as-of date are evaluated on at most {self.evaluate:,} operating "
                          "firms drawn by the same hash (capacity as a share of them), so the precisions' intervals are wider.")
        return out


def row_counts(tables: Mapping[str, pd.DataFrame], training: list[pd.Timestamp], evaluation: list[pd.Timestamp],
               horizon_days: int = HORIZON_DAYS) -> tuple[int, dict[pd.Timestamp, int]]:
    """The labelled rows (inspected, or an accident) of the ``training`` snapshot dates, from the labels
    alone, and the operating firms of each ``evaluation`` date. Each firm's count depends on its own
    records only, so a partition's counts add up to the county's."""
    total = 0
    for day in training:  # a loop over dates
        labels = build_labels(tables, day, horizon_days, ids=operating_ids(tables, day))
        total += int((labels["inspected"] | labels["accident"]).sum())
    return total, {pd.Timestamp(day): len(operating_ids(tables, day)) for day in evaluation}


def counted_sample(known: Mapping[str, pd.DataFrame], sample: TrainingSample, training: list[pd.Timestamp],
                   evaluation: list[pd.Timestamp], horizon_days: int = HORIZON_DAYS,
                   counts: Callable | None = None) -> tuple[TrainingSample, FirmDraw]:
    """``sample`` with its total, the training rows counted before any feature is built (``row_counts``),
    and the firms each date's matrix will hold (``FirmDraw``; ``evaluation``: the backtest's origins and
    the as-of date). ``counts``: a function of the same arguments as ``row_counts`` but the tables, in
    its place (the Dask engine's: each partition counted on the workers)."""
    total, operating = (counts or functools.partial(row_counts, known))(training, evaluation, horizon_days)
    counted = sample.counted(total)
    return counted, counted.draw(operating)


def training_sample(size: int | None, evaluate: int | None = None) -> TrainingSample | None:
    """``saferank train --sample N [--evaluate M]``'s sample (None without ``--sample``)."""
    if size is None:
        if evaluate is not None:
            raise UserError("--evaluate 须与 --sample 一起使用（按同一哈希抽取训练行与评估企业）。",
                            "--evaluate goes with --sample (the training rows and the firms evaluated are drawn by one hash).")
        return None
    return TrainingSample(size, evaluate=evaluate)
