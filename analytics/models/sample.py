"""A stable, seeded sample of training rows (firm-origins), for training a province on a sample.

A training row is one firm at one snapshot date. It is kept when a stable hash of
``(enterprise_id, date, seed)`` (``pandas.util.hash_array``: the same in every process and on every
machine, unlike Python's salted ``hash``), read as a number in [0, 1), falls under
``fraction = size / total``. The decision depends on the row alone, so it is the same whether the
rows are drawn on one machine or partition by partition on a cluster, in whatever order, and the
same seed draws the same rows again. The sample's size is about ``size`` (binomial), stated exactly
on the model card (``TrainingSample.record``).

| rows (total) | size asked | fraction | rows kept (about) |
| ---: | ---: | ---: | ---: |
| 50,000 | 100,000 | 1 (no sample) | 50,000 |
| 2,000,000 | 200,000 | 0.1 | 200,000 |
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.contract.errors import UserError

UNIT = float(2**53)


def sample_draws(ids: pd.Index | pd.Series | np.ndarray, dates: pd.Index | pd.Series | np.ndarray | object,
                 seed: int) -> np.ndarray:
    """A number in [0, 1) per row, from ``(enterprise_id, date, seed)`` alone (``dates``: one date or one per row)."""
    days = pd.Series(pd.to_datetime(dates if np.ndim(dates) else [dates] * len(ids))).dt.strftime("%Y-%m-%d")
    keys = pd.Series(np.asarray(ids, dtype=object)).astype(str) + "|" + days.to_numpy(dtype=object) + f"|{int(seed)}"
    hashed = pd.util.hash_array(keys.to_numpy(dtype=object))
    return (hashed >> np.uint64(11)).astype(np.float64) / UNIT


@dataclass(frozen=True)
class TrainingSample:
    """``size`` training rows wanted, drawn with ``seed``; ``fraction`` is set once the rows are counted."""

    size: int
    seed: int = 0
    total: int = 0

    def __post_init__(self) -> None:
        if int(self.size) < 1:
            raise UserError(f"--sample 须为正整数（训练样本行数），收到 {self.size}。",
                            f"--sample must be a positive number of training rows; got {self.size}.")

    @property
    def fraction(self) -> float:
        return 1.0 if self.total <= self.size else self.size / self.total

    def counted(self, total: int) -> TrainingSample:
        """This sample with the number of training rows it draws from."""
        return TrainingSample(int(self.size), int(self.seed), int(total))

    def keep(self, ids: pd.Index | np.ndarray, dates: object) -> np.ndarray:
        """Which rows the sample keeps (all of them when the rows are no more than ``size``)."""
        if self.fraction >= 1.0:
            return np.ones(len(ids), dtype=bool)
        return sample_draws(ids, dates, self.seed) < self.fraction

    def record(self, kept: int) -> dict:
        """What the model card states: rows asked, kept, drawn from, the fraction and the seed."""
        return {"size": int(self.size), "rows": int(kept), "of": int(self.total), "fraction": float(self.fraction),
                "seed": int(self.seed)}

    def note(self, kept: int) -> dict[str, str]:
        """The card's and the CLI's sentence about the sample, in both languages."""
        if self.fraction >= 1.0:
            return {"zh": f"训练样本：全部 {self.total:,} 行（不超过 --sample {self.size:,}，未抽样）。",
                    "en": f"Training rows: all {self.total:,} (no more than --sample {self.size:,}; not sampled)."}
        return {"zh": f"训练样本：从 {self.total:,} 行（企业 × 快照日）中按稳定哈希抽取 {kept:,} 行"
                      f"（比例 {self.fraction:.4f}，种子 {self.seed}），回测各起点的拟合使用同一抽样。",
                "en": f"Training sample: {kept:,} of {self.total:,} rows (firm × snapshot date), drawn by a stable hash "
                      f"(fraction {self.fraction:.4f}, seed {self.seed}); the backtest's fits at every origin use the same draw."}
