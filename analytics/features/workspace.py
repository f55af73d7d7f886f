"""The per-as-of workspace the families share: known tables, the operating enterprises, fast group sums.

Event rows are mapped once per table to the position of their enterprise in the sorted operating
list (``-1``: an enterprise not on the list), so that every count is one ``np.bincount`` and every
"latest" one ``np.maximum.at`` — no Python loop over enterprises or events. Dates become day numbers
(days since 1970-01-01, NaN where missing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

NS_PER_DAY = 86_400 * 10**9


def day_numbers(dates: pd.Series) -> np.ndarray:
    """Dates as float day numbers; NaT → NaN."""
    values = dates.to_numpy(dtype="datetime64[ns]")
    out = values.astype("int64").astype("float64") / NS_PER_DAY
    out[np.isnat(values)] = np.nan
    return out


def flags(values: pd.Series, truth: bool = True) -> np.ndarray:
    """A nullable boolean column as a numpy bool array: ``values == truth``, missing → False."""
    return values.astype("boolean").eq(truth).fillna(False).to_numpy(dtype=bool)


@dataclass
class Workspace:
    """``tables``: as known on ``as_of``; ``enterprises``: the operating ones, sorted, index ``enterprise_id``;
    ``held``: the snapshot's ``held`` (what the source holds beyond the rows in ``tables``)."""

    tables: dict[str, pd.DataFrame]
    as_of: pd.Timestamp
    enterprises: pd.DataFrame
    held: frozenset[str] = frozenset()
    _positions: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.enterprises)

    @property
    def today(self) -> float:
        return float(self.as_of.value // NS_PER_DAY)

    def has(self, name: str) -> bool:
        return name in self.tables

    def events(self, name: str) -> tuple[pd.DataFrame, np.ndarray]:
        """The known rows of ``name`` whose enterprise is operating, and each row's enterprise position."""
        frame = self.tables[name]
        if name not in self._positions:
            self._positions[name] = self.enterprises.index.get_indexer(frame["enterprise_id"].astype(object))
        positions = self._positions[name]
        on_list = positions >= 0
        if on_list.all():
            return frame, positions
        return frame.loc[on_list], positions[on_list]

    def count(self, positions: np.ndarray, mask: np.ndarray | None = None,
              weights: np.ndarray | None = None) -> np.ndarray:
        """Per enterprise: the number of rows (or the sum of ``weights``) where ``mask`` holds."""
        if mask is not None:
            positions = positions[mask]
            weights = None if weights is None else weights[mask]
        return np.bincount(positions, weights=weights, minlength=self.n).astype("float64")

    def latest(self, positions: np.ndarray, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Per enterprise: the largest of ``values`` (NaN where none, NaN values ignored)."""
        keep = ~np.isnan(values) if mask is None else (mask & ~np.isnan(values))
        out = np.full(self.n, -np.inf)
        np.maximum.at(out, positions[keep], values[keep])
        out[np.isinf(out)] = np.nan
        return out

    def within(self, days: np.ndarray, window: int | None) -> np.ndarray:
        """Rows dated in ``(as_of - window, as_of]`` (all known rows when ``window`` is None)."""
        if window is None:
            return ~np.isnan(days)
        return days > self.today - window


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN where the denominator is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)
