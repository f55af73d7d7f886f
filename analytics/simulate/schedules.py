"""What the simulated county plans ahead of time: weather alerts, work permits, outsourcing contracts.

Each is drawn once, vectorised, for the whole simulated span (including the 90 days after as-of,
which only feed the truth); ``world.py`` feeds their effects into the daily risk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.simulate import params as P
from analytics.simulate.population import Population

CONTRACTOR_NAMES = np.array(
    [f"台州{a}{b}{kind}" for a, b, kind in zip(
        "永兴宏达鑫盛华通顺恒信泰丰源利金瑞隆昌安", "建安力工程业筑达盛源泰丰华新邦远诚宇辰鼎", [
            "建设工程有限公司", "设备安装有限公司", "劳务有限公司", "机电工程有限公司", "环境工程有限公司",
        ] * 4, strict=True)],
    dtype=object,
)

# Interval counters the daily loop keeps per enterprise (columns of one int matrix).
PERMIT, PERMIT_UNCERTIFIED, CONTRACT, CONTRACT_UNQUALIFIED, CONTRACT_NO_AGREEMENT, HOT_WORK = range(6)
COUNTERS = 6


@dataclass
class Intervals:
    """+1/-1 steps on the interval counters, sorted by day; ``bounds[d]:bounds[d+1]`` is day d."""

    enterprise: np.ndarray
    column: np.ndarray
    delta: np.ndarray
    bounds: np.ndarray

    def on(self, day: int) -> slice:
        return slice(self.bounds[day], self.bounds[day + 1])


def _choose_rows(rng: np.random.Generator, probabilities: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One category per item, item i drawn from ``probabilities[rows[i]]``."""
    cumulative = probabilities.cumsum(axis=1)[rows]
    draw = rng.random(len(rows))[:, None] * cumulative[:, -1:]
    return (cumulative < draw).sum(axis=1)


def weather_alerts(rng: np.random.Generator, towns: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Alerts over ``dates``: kind, level, start/end day numbers, town index (-1 for the county)."""
    years = len(dates) / 365.25
    coastal = np.flatnonzero(towns["coastal"].to_numpy(bool))
    frames = []
    for kind, (per_year, months, coast_only, county_share, shortest, longest) in P.ALERTS_PER_YEAR.items():
        days = np.flatnonzero(np.isin(dates.month, months))
        count = rng.poisson(per_year * years)
        if count == 0 or len(days) == 0:
            continue
        start = np.sort(rng.choice(days, size=count))
        pool = coastal if coast_only else np.arange(len(towns))
        town = np.where(rng.random(count) < county_share, -1, pool[rng.integers(0, len(pool), count)])
        frames.append(pd.DataFrame({
            "kind": kind,
            "level": np.array(list(P.ALERT_LEVEL_WEIGHT))[rng.choice(4, size=count, p=P.ALERT_LEVEL_MIX)],
            "start_day": start,
            "end_day": np.minimum(start + rng.integers(shortest, longest + 1, count) - 1, len(dates) - 1),
            "town": town,
        }))
    alerts = pd.concat(frames, ignore_index=True)
    return alerts.sort_values(["start_day", "kind", "town"], kind="stable").reset_index(drop=True)


def weather_effect(alerts: pd.DataFrame, town_count: int, day_count: int) -> np.ndarray:
    """eta added by weather, per day, town and sector: shape (days, towns, sectors)."""
    kinds = P.ALERT_CODES
    exposure = np.array([[P.WEATHER_EXPOSURE.get(s, {}).get(k, 0.0) for k in kinds] for s in P.SECTOR_CODES])
    strength = np.zeros((len(kinds), day_count, town_count))
    length = (alerts["end_day"] - alerts["start_day"] + 1).to_numpy()
    row = np.repeat(np.arange(len(alerts)), length)
    day = alerts["start_day"].to_numpy()[row] + (np.arange(len(row)) - np.repeat(np.cumsum(length) - length, length))
    kind = pd.Categorical(alerts["kind"], categories=kinds).codes[row]
    weight = alerts["level"].map(P.ALERT_LEVEL_WEIGHT).to_numpy(float)[row]
    town = alerts["town"].to_numpy()[row]
    county = town < 0
    # A county-wide alert covers every town.
    k_all = np.concatenate([kind[~county], np.repeat(kind[county], town_count)])
    d_all = np.concatenate([day[~county], np.repeat(day[county], town_count)])
    t_all = np.concatenate([town[~county], np.tile(np.arange(town_count), county.sum())])
    w_all = np.concatenate([weight[~county], np.repeat(weight[county], town_count)])
    np.maximum.at(strength, (k_all, d_all, t_all), w_all)
    return np.einsum("kdt,sk->dts", strength, exposure)


def heating_effect(dates: pd.DatetimeIndex) -> np.ndarray:
    """eta added by the heating season, per day and sector: shape (days, sectors)."""
    month_day = dates.month * 100 + dates.day
    season = (month_day >= 1115) | (month_day <= 315)
    exposed = np.isin(P.SECTOR_CODES, ("gas", "fire_venues", "tourism"))
    return P.ETA["heating_season"] * np.outer(season, exposed)


def _spread(rng: np.random.Generator, people: Population, per_year: dict[str, float], days: int,
            size_factor: tuple[float, ...], earliest: int) -> tuple[np.ndarray, np.ndarray]:
    """Enterprise and start day of events drawn at a per-sector yearly rate while the firm exists."""
    rate = np.array([per_year[s] for s in P.SECTOR_CODES])[people.sector] * np.array(size_factor)[people.size]
    first = np.maximum(people.established_day, earliest)
    span = np.maximum(days - first, 0)
    count = rng.poisson(rate * span / 365.25)
    enterprise = np.repeat(np.arange(len(people)), count)
    start = first[enterprise] + np.floor(rng.random(len(enterprise)) * span[enterprise]).astype(np.int64)
    return enterprise, start


def permits(rng: np.random.Generator, people: Population, days: int) -> pd.DataFrame:
    enterprise, start = _spread(rng, people, P.PERMITS_PER_YEAR, days, (2.5, 1.6, 1.0, 0.6), 0)
    count = len(enterprise)
    kinds = np.array(P.OPERATION_CODES)
    # hot_work, work_at_height, lifting, maintenance, confined_space, temporary_power, other
    mix = {
        "hazardous_chemicals": (0.30, 0.10, 0.08, 0.25, 0.15, 0.10, 0.02),
        "construction": (0.15, 0.35, 0.28, 0.02, 0.02, 0.17, 0.01),
        "mining": (0.20, 0.15, 0.15, 0.35, 0.05, 0.08, 0.02),
    }
    default = (0.30, 0.20, 0.10, 0.28, 0.04, 0.06, 0.02)
    probabilities = np.array([mix.get(s, default) for s in P.SECTOR_CODES])
    kind = _choose_rows(rng, probabilities, people.sector[enterprise])
    by_contractor = rng.random(count) < 0.35
    operators = 1 + rng.poisson(2.0, count)
    culture = people.culture[enterprise]
    uncertified = rng.random(count) < P.trace("operators_uncertified", culture - 0.7 / 1.2 * by_contractor)
    certified = np.where(uncertified, np.floor(rng.random(count) * operators), operators).astype(np.int64)
    return pd.DataFrame({
        "enterprise": enterprise,
        "kind": kinds[kind],
        "start_day": start,
        "end_day": start + rng.integers(0, 5, count),
        "contractor": np.where(by_contractor, CONTRACTOR_NAMES[rng.integers(0, len(CONTRACTOR_NAMES), count)], None),
        "operators": operators,
        "certified_operators": certified,
        "uncertified": uncertified,
    })


def contracts(rng: np.random.Generator, people: Population, days: int) -> pd.DataFrame:
    enterprise, start = _spread(rng, people, P.CONTRACTS_PER_YEAR, days, (2.0, 1.5, 1.0, 0.7), -365)
    count = len(enterprise)
    culture = people.culture[enterprise]
    qualified = rng.random(count) < P.trace("contractor_qualified", culture)
    agreement = rng.random(count) < P.trace("safety_agreement", culture)
    return pd.DataFrame({
        "enterprise": enterprise,
        "contractor": CONTRACTOR_NAMES[rng.integers(0, len(CONTRACTOR_NAMES), count)],
        "start_day": start,
        "end_day": start + rng.integers(60, 541, count),
        "work": np.array(P.CONTRACT_WORK, dtype=object)[rng.integers(0, len(P.CONTRACT_WORK), count)],
        "qualified": qualified,
        "agreement": agreement,
        "qualified_known": rng.random(count) > 0.05,
        "agreement_known": rng.random(count) > 0.08,
    })


def intervals(permit_rows: pd.DataFrame, contract_rows: pd.DataFrame, days: int) -> Intervals:
    """The interval counters' steps: +1 on a permit's or contract's first day, -1 after its last."""
    parts = []
    for frame, columns in (
        (permit_rows, ((PERMIT, None), (PERMIT_UNCERTIFIED, "uncertified"), (HOT_WORK, "hot_work"))),
        (contract_rows, ((CONTRACT, None), (CONTRACT_UNQUALIFIED, "qualified"), (CONTRACT_NO_AGREEMENT, "agreement"))),
    ):
        for column, flag in columns:
            rows = frame
            if flag == "uncertified":
                rows = frame.loc[frame[flag]]
            elif flag == "hot_work":
                rows = frame.loc[frame["kind"] == "hot_work"]
            elif flag is not None:
                rows = frame.loc[~frame[flag]]
            enterprise = rows["enterprise"].to_numpy()
            start = np.clip(rows["start_day"].to_numpy(), 0, days)
            stop = np.clip(rows["end_day"].to_numpy() + 1, 0, days)
            parts.append((np.concatenate([start, stop]), np.concatenate([enterprise, enterprise]),
                          np.full(2 * len(rows), column), np.repeat([1, -1], len(rows))))
    day = np.concatenate([p[0] for p in parts])
    order = np.argsort(day, kind="stable")
    return Intervals(
        enterprise=np.concatenate([p[1] for p in parts])[order],
        column=np.concatenate([p[2] for p in parts])[order],
        delta=np.concatenate([p[3] for p in parts])[order].astype(np.int32),
        bounds=np.searchsorted(day[order], np.arange(days + 2)),
    )
