"""Electricity as evidence: a restart suspected from power drawn during a recorded shutdown or retrofit.

The one definition of a *suspected restart from power* (issue 19), beside the recorded facts in
``analytics.snapshot.facts``. Everything reads tables already cut to what was known on ``as_of``
(a ``Snapshot``): a metering period is known from its ``period_end``; a status change from its
recorded date. Pure and vectorised (one sorted lookup per question, as ``merge_asof`` by firm would
answer it; group medians; no loop over firms).

A period is *under a recorded stop* when the firm's last status change known on ``as_of`` on or
before the period's start is a stop (``facts.STOPPED``: suspended or retrofit) and no known change
falls inside the period. Its draw is judged in kWh a day against two baselines:

- the firm's own *operating baseline*: the median daily kWh of its periods with no recorded stop
  overlapping them (at least ``min_baseline_periods``), as known on ``as_of``;
- the sector's baseline: the median of its sector's own baselines (used where the firm has none).

``ratio = daily kWh / baseline``. A stopped firm draws standby power (lights, guards, a few per cent
of its operating draw); a firm at ``ratio >= ratio_threshold`` is running. A period with
``ratio >= ratio_threshold`` ending in ``(as_of - lookback_days, as_of]`` makes the firm a suspect.
Confidence (0 to 1) grows with the ratio and the number of suspicious periods, and is discounted
when only the sector baseline was available (``sector_only_discount``): a firm's own history is
better evidence than its neighbours'.

Firms whose status is known only from ``enterprises.status`` (no dated status change) are not judged:
the export status carries no date, so a period cannot be placed under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.contract.dates import to_timestamp
from analytics.contract.errors import UserError
from analytics.snapshot.facts import STOPPED


@dataclass(frozen=True)
class PowerThresholds:
    """The named, configurable thresholds of a suspected restart."""

    ratio_threshold: float = 0.35     # daily kWh during a stop / operating baseline that counts as running
    lookback_days: int = 62           # suspicious periods ending this recently make a suspect
    min_baseline_periods: int = 2     # operating periods a firm needs for a baseline of its own
    sector_only_discount: float = 0.6  # confidence kept when only the sector's baseline was available

    def __post_init__(self) -> None:
        if not 0 < self.ratio_threshold or not 0 < self.sector_only_discount <= 1 \
                or self.lookback_days < 1 or self.min_baseline_periods < 1:
            raise UserError("用电阈值无效：比值阈值须大于 0，回看天数与基线期数至少为 1，折扣在 0 到 1 之间。",
                            "Invalid power thresholds: the ratio must exceed 0, the look-back days and baseline "
                            "periods be at least 1, the discount lie in (0, 1].")


DEFAULT_THRESHOLDS = PowerThresholds()
SUSPECT_COLUMNS = ("enterprise_id", "first_flagged", "last_period_end", "periods", "suspicious_periods",
                   "kwh", "kwh_per_day", "baseline_kwh_per_day", "baseline_source", "ratio", "confidence")
PERIOD_COLUMNS = ("enterprise_id", "period_start", "period_end", "kwh", "kwh_per_day", "under_stop",
                  "baseline_kwh_per_day", "baseline_source", "ratio")


def _last_change(firm: np.ndarray, when: np.ndarray, change_firm: np.ndarray, change_date: np.ndarray,
                 change_stopped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each period (its integer ``firm`` code and a date ``when``), the date of the firm's last known
    change on or before ``when`` (NaT: none) and whether it was a stop (False: none); of equal dates the
    change later in the changes' order counts. What ``merge_asof(..., by=firm, direction="backward")``
    answers, as one ``searchsorted`` on a key that orders by firm, then by date: a change's date is its
    rank among the changes' distinct dates, a period's the count of those dates on or before it (1.5 M
    periods: two sorts of the periods and a merge each → a sort of the changes only)."""
    none = np.full(len(firm), np.datetime64("NaT"), dtype="datetime64[ns]"), np.zeros(len(firm), dtype=bool)
    if not len(change_firm) or not len(firm):
        return none
    days = np.unique(change_date)
    width = len(days) + 1  # keys of one firm: 0 (before its first change) .. len(days)
    order = np.lexsort((change_date, change_firm))  # by firm, then date; stable, so ties keep their order
    change_key = change_firm[order].astype("int64") * width + np.searchsorted(days, change_date[order]) + 1
    seen = np.searchsorted(days, when, side="right")
    seen[np.isnat(when)] = 0  # an undated period is after no change
    at = np.searchsorted(change_key, firm.astype("int64") * width + seen, side="right") - 1
    found = at >= 0
    found[found] = change_firm[order][at[found]] == firm[found]
    date, stopped = none
    date[found] = change_date[order][at[found]]
    stopped[found] = change_stopped[order][at[found]]
    return date, stopped


def _judge(power: pd.DataFrame, events: pd.DataFrame | None, as_of: pd.Timestamp,
           thresholds: PowerThresholds) -> dict[str, np.ndarray | pd.Index]:
    """The per-period facts of ``power`` (its periods ending by ``as_of``) that depend only on each firm's
    own periods and changes: the firms' integer codes (``firm``, into ``firms``), the ids, dates, draw,
    ``under_stop``, and each firm's own operating baseline by code (``own_by_code``, NaN: none)."""
    power = power.loc[power["period_end"] <= as_of]
    ids = power["enterprise_id"].astype(str).to_numpy(dtype=object)
    firm, firms = pd.factorize(ids)
    firms = pd.Index(firms, dtype=object)
    starts = power["period_start"].to_numpy(dtype="datetime64[ns]")
    ends = power["period_end"].to_numpy(dtype="datetime64[ns]")
    kwh = power["kwh"].to_numpy(dtype="float64")
    days = (ends - starts).astype("timedelta64[D]").astype("int64") + 1
    kwh_per_day = kwh / days
    under_stop = np.zeros(len(power), dtype=bool)
    touched = np.zeros(len(power), dtype=bool)  # a recorded stop overlaps the period
    if events is not None and not events.empty:
        event_firm = firms.get_indexer(events["enterprise_id"].astype(str).to_numpy(dtype=object))
        dates = events["date"].to_numpy(dtype="datetime64[ns]")
        metered = (event_firm >= 0) & (dates <= as_of.to_datetime64())  # changes of unmetered firms judge nothing
        changes = (event_firm[metered], dates[metered], events["status"].astype(object).isin(STOPPED).to_numpy()[metered])
        start_date, start_stopped = _last_change(firm, starts, *changes)
        end_date, end_stopped = _last_change(firm, ends, *changes)
        same = (start_date == end_date) | (np.isnat(start_date) & np.isnat(end_date))
        under_stop = start_stopped & same
        touched = start_stopped | end_stopped | ~same
    operating = ~touched
    counts = pd.Series(kwh_per_day[operating]).groupby(firm[operating]).agg(["median", "size"])
    own_by_code = np.full(len(firms), np.nan)
    own_by_code[counts.index.to_numpy()] = counts["median"].where(counts["size"] >= thresholds.min_baseline_periods).to_numpy()
    return {"ids": ids, "firm": firm, "firms": firms, "starts": starts, "ends": ends, "kwh": kwh,
            "kwh_per_day": kwh_per_day, "under_stop": under_stop, "own_by_code": own_by_code}


def _sectors_of(enterprises: pd.DataFrame, firms: pd.Index) -> np.ndarray:
    """Each of ``firms``' sector (its first row in ``enterprises``; None when not there)."""
    sector_of = pd.Series(enterprises["sector"].astype(object).to_numpy(), index=enterprises["enterprise_id"].astype(str))
    sector_of = sector_of[~sector_of.index.duplicated()]
    return sector_of.reindex(firms).to_numpy(dtype=object)


def judged_periods(known: Mapping[str, pd.DataFrame], as_of: object,
                   thresholds: PowerThresholds = DEFAULT_THRESHOLDS,
                   sector_baseline: pd.Series | None = None) -> pd.DataFrame:
    """Every metering period known on ``as_of`` with whether it lies under a recorded stop, its daily
    draw, the baseline it is judged against and the ratio (``PERIOD_COLUMNS``). ``known``: tables
    cut to ``as_of`` (a ``Snapshot`` or ``timeline.as_known_on``'s dict).

    ``sector_baseline`` (sector → kWh per day): the sectors' baselines when ``known`` holds only part
    of the county's firms (a partition: ``analytics.engine``); the medians of the firms' own
    baselines (``own_baselines``) over the whole county. Default: computed from ``known``.

    Firms are worked on as integer codes (one ``factorize`` of the metered ids); every lookup by firm
    is then a numpy ``take``, not a string map (2.8 million periods of 100,000 firms: 10 s → a few)."""
    as_of = to_timestamp(getattr(as_of, "ts", as_of))
    power = known.get("power_usage")
    if power is None or power.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PERIOD_COLUMNS})
    judged = _judge(power, known.get("status_events"), as_of, thresholds)
    firm, firms, own_by_code = judged["firm"], judged["firms"], judged["own_by_code"]
    periods = pd.DataFrame({"enterprise_id": judged["ids"], "period_start": judged["starts"],
                            "period_end": judged["ends"], "kwh": judged["kwh"], "kwh_per_day": judged["kwh_per_day"],
                            "under_stop": judged["under_stop"]})
    sector_by_code = _sectors_of(known["enterprises"], firms)
    if sector_baseline is None:
        has_own = ~np.isnan(own_by_code)
        sector_baseline = sector_baselines(pd.Series(own_by_code[has_own], index=firms[has_own]),
                                           pd.Series(sector_by_code[has_own], index=firms[has_own]))
    sector_by_firm = pd.Series(sector_by_code).map(sector_baseline).to_numpy(dtype="float64")
    firm_own, firm_sector = own_by_code[firm], sector_by_firm[firm]
    baseline = np.where(np.isnan(firm_own), firm_sector, firm_own)
    periods["baseline_kwh_per_day"] = baseline
    periods["baseline_source"] = np.where(~np.isnan(firm_own), "own", np.where(~np.isnan(firm_sector), "sector", ""))
    with np.errstate(divide="ignore", invalid="ignore"):
        periods["ratio"] = np.where(baseline > 0, periods["kwh_per_day"].to_numpy() / baseline, np.nan)
    return periods[list(PERIOD_COLUMNS)].reset_index(drop=True)


def sector_baselines(own: pd.Series, sector: pd.Series) -> pd.Series:
    """A sector's baseline: the median of its firms' own baselines (``own``; ``sector``: each firm's)."""
    return own.groupby(sector.to_numpy()).median()


def own_baselines(known: Mapping[str, pd.DataFrame], as_of: object,
                  thresholds: PowerThresholds = DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """The firms of ``known`` with a baseline of their own, in the order of their first period:
    ``enterprise_id``, ``sector``, ``baseline`` (what ``sector_baselines`` takes the median of; rows of
    disjoint parts of a county concatenate). Only the baselines: no period is judged against them."""
    as_of = to_timestamp(getattr(as_of, "ts", as_of))
    power = known.get("power_usage")
    if power is None or power.empty:
        return pd.DataFrame({"enterprise_id": pd.Series(dtype=object), "sector": pd.Series(dtype=object),
                             "baseline": pd.Series(dtype="float64")})
    judged = _judge(power, known.get("status_events"), as_of, thresholds)
    own = judged["own_by_code"]
    has_own = ~np.isnan(own)
    firms = judged["firms"][has_own]
    return pd.DataFrame({"enterprise_id": firms.to_numpy(dtype=object),
                         "sector": _sectors_of(known["enterprises"], firms),
                         "baseline": own[has_own]})


def suspected_restarts(known: Mapping[str, pd.DataFrame], as_of: object,
                       thresholds: PowerThresholds = DEFAULT_THRESHOLDS,
                       sector_baseline: pd.Series | None = None, periods: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per firm suspected on ``as_of`` of running during a recorded stop (``SUSPECT_COLUMNS``):
    the evidence (suspicious periods as ``start..end``, their kWh and daily draw, the baseline and its
    source, the ratio), the day the first of them became known (``first_flagged``, a period's end) and
    a confidence. Sorted by confidence, highest first. ``periods``: ``judged_periods`` of the same
    arguments when the caller has them already (the feature family does)."""
    as_of = to_timestamp(getattr(as_of, "ts", as_of))
    periods = judged_periods(known, as_of, thresholds, sector_baseline) if periods is None else periods
    suspicious = periods.loc[periods["under_stop"].astype(bool) & (periods["ratio"] >= thresholds.ratio_threshold)]
    recent_firms = suspicious.loc[suspicious["period_end"] > as_of - pd.Timedelta(days=thresholds.lookback_days),
                                  "enterprise_id"].unique()
    suspicious = suspicious.loc[suspicious["enterprise_id"].isin(recent_firms)]
    if suspicious.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SUSPECT_COLUMNS})
    suspicious = suspicious.sort_values(["enterprise_id", "period_start"], kind="stable")
    text = suspicious["period_start"].dt.strftime("%Y-%m-%d") + ".." + suspicious["period_end"].dt.strftime("%Y-%m-%d")
    grouped = suspicious.assign(text=text).groupby("enterprise_id", sort=True)
    out = pd.DataFrame({
        "first_flagged": grouped["period_end"].min(),
        "last_period_end": grouped["period_end"].max(),
        "periods": grouped["text"].agg(",".join),
        "suspicious_periods": grouped.size().astype("int64"),
        "kwh": grouped["kwh"].sum().round(1),
        "kwh_per_day": grouped["kwh_per_day"].mean().round(2),
        "baseline_kwh_per_day": grouped["baseline_kwh_per_day"].last().round(2),
        "baseline_source": grouped["baseline_source"].last(),
        "ratio": grouped["ratio"].max().round(3),
    })
    strength = np.clip(out["ratio"] / (2 * thresholds.ratio_threshold), 0, 1)
    repeat = 1 - 0.5 ** out["suspicious_periods"]
    discount = np.where(out["baseline_source"] == "own", 1.0, thresholds.sector_only_discount)
    out["confidence"] = np.round(strength * (0.5 + 0.5 * repeat) * discount, 3)
    out = out.rename_axis("enterprise_id").reset_index()
    return out.sort_values(["confidence", "enterprise_id"], ascending=[False, True], kind="stable") \
        .reset_index(drop=True)[list(SUSPECT_COLUMNS)]
