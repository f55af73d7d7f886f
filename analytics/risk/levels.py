"""Risk levels from the calibrated score: 红 red 重大风险, 橙 orange 较大风险, 黄 yellow 一般风险, 蓝 blue 低风险.

A level is a band of the calibrated probability (``score``), lower bound included:

=======  ==========  =========================================================
level    default     meaning
=======  ==========  =========================================================
red      ≥ 0.20      about 5× the county's typical rate (a major hazard or accident in 90 days)
orange   ≥ 0.10
yellow   ≥ 0.05
blue     below 0.05
=======  ==========  =========================================================

The thresholds are configurable (``LevelThresholds(...)``, or a JSON/TOML file with keys ``red``,
``orange``, ``yellow``, ``margin`` read by ``LevelThresholds.from_file``; the CLI's ``--levels``).

Levels must not flicker from one day to the next while the records stay the same (day-counting
features creep daily). Hysteresis against the previous list: an enterprise keeps its previous level
while its score stays within the band widened by ``margin`` (a fraction of the bounds, default 0.10:
a yellow firm stays yellow from 0.045 to 0.11); it changes only when the score leaves that widened
band. Scores of few percent make a relative margin the fair one at every threshold. Without a previous level the plain band applies.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract.schema import RISK_LEVELS

LEVEL_CODES = tuple(c.code for c in RISK_LEVELS)  # red, orange, yellow, blue: most worrying first
LEVEL_DTYPE = pd.CategoricalDtype(LEVEL_CODES)


@dataclass(frozen=True)
class LevelThresholds:
    """Lower bounds of the red, orange and yellow bands; ``margin`` is the hysteresis width."""

    red: float = 0.20
    orange: float = 0.10
    yellow: float = 0.05
    margin: float = 0.10

    def __post_init__(self) -> None:
        if not (0.0 < self.yellow < self.orange < self.red <= 1.0):
            raise UserError(
                f"风险等级阈值须满足 0 < 黄 < 橙 < 红 ≤ 1，当前为 黄 {self.yellow}、橙 {self.orange}、红 {self.red}。",
                f"Risk level thresholds must satisfy 0 < yellow < orange < red <= 1; got yellow {self.yellow}, "
                f"orange {self.orange}, red {self.red}.",
            )
        if not (0.0 <= self.margin < 0.5):
            raise UserError(f"等级滞后幅度须在 0 到 0.5 之间，当前为 {self.margin}。",
                            f"The level hysteresis margin must lie in [0, 0.5); got {self.margin}.")

    @classmethod
    def from_file(cls, path: str | Path) -> LevelThresholds:
        """Thresholds from a ``.json`` or ``.toml`` file (missing keys keep their defaults)."""
        path = Path(path)
        try:
            text = path.read_bytes()
            values = tomllib.loads(text.decode("utf-8")) if path.suffix.lower() == ".toml" else json.loads(text)
        except (OSError, ValueError) as error:
            raise UserError(f"无法读取风险等级配置 {path}：{error}", f"Cannot read the risk level settings {path}: {error}") from error
        return cls._from_mapping(values.get("levels", values))

    @classmethod
    def _from_mapping(cls, values: dict) -> LevelThresholds:
        unknown = set(values) - set(asdict(cls()))
        if unknown:
            raise UserError(f"风险等级配置含未知项：{', '.join(sorted(unknown))}。",
                            f"Unknown keys in the risk level settings: {', '.join(sorted(unknown))}.")
        return cls(**{k: float(v) for k, v in values.items()})

    def to_json(self) -> str:
        """The thresholds as stored with a list (``risk_lists.levels``)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> LevelThresholds:
        """A list's stored thresholds; ``None`` (a list stored before lists kept them): the defaults,
        which such a list was levelled with unless ``--levels`` was given then (not recorded)."""
        return cls() if text is None else cls._from_mapping(json.loads(text))

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) bound of each level's band, in ``LEVEL_CODES`` order."""
        lower = np.array([self.red, self.orange, self.yellow, -np.inf])
        upper = np.array([np.inf, self.red, self.orange, self.yellow])
        return lower, upper


DEFAULT_THRESHOLDS = LevelThresholds()


def plain_levels(scores: pd.Series, thresholds: LevelThresholds = DEFAULT_THRESHOLDS) -> pd.Series:
    """Each score's band, with no memory of earlier lists."""
    values = scores.to_numpy(dtype=float)
    codes = np.select(
        [values >= thresholds.red, values >= thresholds.orange, values >= thresholds.yellow],
        [0, 1, 2], default=3,
    )
    return pd.Series(pd.Categorical.from_codes(codes, dtype=LEVEL_DTYPE), index=scores.index, name="risk_level")


def assign_levels(scores: pd.Series, thresholds: LevelThresholds = DEFAULT_THRESHOLDS,
                  previous: pd.Series | None = None) -> pd.Series:
    """Levels for ``scores`` (index: enterprise_id), holding each ``previous`` level inside its band ± margin.

    ``previous`` is the level of the same enterprises on the previous list (index: enterprise_id;
    enterprises absent from it get the plain band).
    """
    levels = plain_levels(scores, thresholds)
    if previous is None or previous.empty:
        return levels
    before = previous.astype(object).reindex(scores.index)
    before_codes = pd.Categorical(before, dtype=LEVEL_DTYPE).codes
    known = before_codes >= 0
    lower, upper = thresholds.bounds()
    safe = np.where(known, before_codes, 3)
    values = scores.to_numpy(dtype=float)
    inside = (values >= lower[safe] * (1 - thresholds.margin)) & (values < upper[safe] * (1 + thresholds.margin))
    codes = np.where(known & inside, safe, levels.cat.codes.to_numpy())
    return pd.Series(pd.Categorical.from_codes(codes, dtype=LEVEL_DTYPE), index=scores.index, name="risk_level")


def level_label(code: str, lang: str = "zh") -> str:
    for c in RISK_LEVELS:
        if c.code == code:
            return c.zh if lang == "zh" else c.en
    return code
