"""Derived facts: the one definition of what the records say about a hazard, a restart and a firm on a date.

Every function is pure and vectorised, and reads tables already cut to what was known on ``as_of``
(``timeline.as_known_on``: a rectification recorded later is blank, so the hazard is still open).
Features, the risk list, dispositions, follow-up, the campaign lists, the bulletin and the views
read these facts from here; none of them writes its own version.

Hazards on ``as_of`` (``HAZARD_STATES``):

- ``open``: not rectified, and its deadline not passed (or none given);
- ``overdue``: not rectified, and ``as_of`` is a day after its deadline;
- ``rectified_on_time``: rectified on or before its deadline (or it had none);
- ``rectified_late``: rectified after its deadline.

A hazard is *open* while it has no rectified date (``open`` or ``overdue``).

Status changes:

- a *restart* is a change to ``operating`` that follows a stop (``STOPPED``: suspended or
  retrofit) of the same enterprise, or that carries a restart approval at all (``approved`` given);
- an *unapproved restart* (未批擅自开工) is a change to ``operating`` with ``approved`` false (so
  always a restart); "recent" means dated in ``(as_of - RESTART_WINDOW_DAYS, as_of]``;
- ``after_stop_reason`` narrows it to restarts whose latest earlier stop (any status but
  operating, with a reason recorded) had that reason, e.g. a stop order (``rectification_order``).

The risk list's flags (``FLAGS``), per enterprise known on ``as_of``:

- ``unapproved_restart``: a recent unapproved restart;
- ``unqualified_outsourcing``: a contract in force on ``as_of`` with an unqualified contractor;
- ``hazardous_chemicals``: the enterprise handles hazardous chemicals (flag or sector);
- ``overdue_hazards``: at least one hazard overdue.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analytics.contract.dates import to_timestamp
from analytics.contract.schema import Code

HAZARD_STATES = (
    Code("open", "整改中", "Open"),
    Code("overdue", "逾期未改", "Overdue"),
    Code("rectified_on_time", "按期整改", "Rectified on time"),
    Code("rectified_late", "逾期整改", "Rectified late"),
)
STATE_CODES = tuple(c.code for c in HAZARD_STATES)
OPEN_STATES = ("open", "overdue")

STOPPED = ("suspended", "retrofit")
RESTART_WINDOW_DAYS = 365

FLAGS = (
    Code("unapproved_restart", "未批擅自开工", "Unapproved restart"),
    Code("unqualified_outsourcing", "外包资质不合规", "Unqualified outsourcing"),
    Code("hazardous_chemicals", "涉及危化品", "Hazardous chemicals"),
    Code("overdue_hazards", "隐患逾期未改", "Overdue hazards"),
)
FLAG_CODES = tuple(c.code for c in FLAGS)


# --- hazards ------------------------------------------------------------------------------------
def open_mask(hazards: pd.DataFrame) -> pd.Series:
    """True for the hazards not rectified (as known then)."""
    return hazards["rectified_date"].isna()


def overdue_mask(hazards: pd.DataFrame, as_of: object) -> pd.Series:
    """True for the hazards open and past their deadline on ``as_of``."""
    as_of = to_timestamp(as_of)
    return open_mask(hazards) & hazards["deadline"].notna() & (hazards["deadline"] < as_of)


def days_overdue(hazards: pd.DataFrame, as_of: object) -> pd.Series:
    """Whole days past the deadline of each overdue hazard on ``as_of``; NaN for the others."""
    as_of = to_timestamp(as_of)
    return (as_of - hazards["deadline"]).dt.days.where(overdue_mask(hazards, as_of))


def hazard_state(hazards: pd.DataFrame, as_of: object) -> pd.Series:
    """The state of each hazard on ``as_of`` (categorical over ``STATE_CODES``, index aligned)."""
    rectified = hazards["rectified_date"].notna()
    deadline = hazards["deadline"]
    late = rectified & deadline.notna() & (hazards["rectified_date"] > deadline)
    state = np.select(
        [late.to_numpy(), rectified.to_numpy(), overdue_mask(hazards, as_of).to_numpy()],
        ["rectified_late", "rectified_on_time", "overdue"],
        default="open",
    )
    return pd.Series(pd.Categorical(state, categories=STATE_CODES), index=hazards.index, name="state")


# --- period KPIs (one definition each; the overview, the bulletin and every export read these) ---------
KPI_BETTER_WHEN = {"inspected": "up", "rectification_rate": "up", "overdue": "down"}
"""Which way each KPI improves (a rate up is good, overdue up is bad)."""


def in_period(dates: pd.Series, start: object, end: object) -> pd.Series:
    """True for the dates in ``[start, end]`` (both days inclusive)."""
    return (dates >= to_timestamp(start)) & (dates <= to_timestamp(end))


def inspected_count(inspections: pd.DataFrame, start: object, end: object) -> int:
    """KPI 已检查企业: distinct enterprises inspected at least once in ``[start, end]``."""
    return int(inspections.loc[in_period(inspections["date"], start, end), "enterprise_id"].astype(str).nunique())


def rectification_rate(hazards: pd.DataFrame, start: object, end: object) -> float:
    """KPI 隐患整改率: of the hazards found in ``[start, end]``, the share rectified (as known on ``end``);
    NaN when none was found."""
    found = hazards.loc[in_period(hazards["found_date"], start, end)]
    return float((~open_mask(found)).mean()) if len(found) else float("nan")


def overdue_count(hazards: pd.DataFrame, end: object) -> int:
    """KPI 逾期未改隐患: hazards (whenever found) open and past their deadline on ``end``."""
    return int(overdue_mask(hazards, end).sum())


# --- status changes -----------------------------------------------------------------------------
def _by_firm(events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in (enterprise, date, table order) order, and where each row's firm repeats the row before."""
    order = np.lexsort((events["date"].to_numpy(dtype="datetime64[ns]"), events["enterprise_id"].astype(str).to_numpy()))
    firms = events["enterprise_id"].astype(str).to_numpy()[order]
    same_firm = np.zeros(len(order), dtype=bool)
    same_firm[1:] = firms[1:] == firms[:-1]
    return order, same_firm


def _in_table_order(order: np.ndarray, values: np.ndarray, index: pd.Index) -> pd.Series:
    out = np.empty_like(values)
    out[order] = values
    return pd.Series(out, index=index)


def unapproved_restart_mask(status_events: pd.DataFrame) -> pd.Series:
    """True for the changes to ``operating`` with ``approved`` false (missing ``approved``: not known to be)."""
    unapproved = status_events["approved"].astype("boolean").eq(False).fillna(False).astype(bool)
    return (status_events["status"].astype(object) == "operating") & unapproved


def restart_mask(status_events: pd.DataFrame) -> pd.Series:
    """True for the restarts: a change to ``operating`` after a stop of the same firm, or with ``approved`` given."""
    order, same_firm = _by_firm(status_events)
    stop = status_events["status"].astype(object).isin(STOPPED).to_numpy()[order]
    after_stop = np.zeros(len(order), dtype=bool)
    after_stop[1:] = same_firm[1:] & stop[:-1]
    after_stop = _in_table_order(order, after_stop, status_events.index)
    operating = status_events["status"].astype(object) == "operating"
    return operating & (after_stop | status_events["approved"].notna())


def stop_reason_before(status_events: pd.DataFrame) -> pd.Series:
    """For each change, the reason of the firm's latest earlier stop (a non-operating change with a reason); NaN if none."""
    order, same_firm = _by_firm(status_events)
    status = status_events["status"].astype(object).to_numpy()[order]
    reason = pd.Series(status_events["reason"].astype(object).to_numpy()[order])
    stop_reason = reason.where(status != "operating")
    firm = pd.Series(np.cumsum(~same_firm))
    before = stop_reason.groupby(firm).shift(1).groupby(firm).ffill()
    return _in_table_order(order, before.to_numpy(dtype=object), status_events.index)


def unapproved_restarts(status_events: pd.DataFrame | None, as_of: object, window_days: int = RESTART_WINDOW_DAYS,
                        after_stop_reason: str | None = None) -> pd.Series:
    """The date of each firm's latest unapproved restart in ``(as_of - window_days, as_of]``.

    Index ``enterprise_id`` (object), only the firms that have one. ``after_stop_reason``: count only
    restarts whose latest earlier stop had that reason.
    """
    as_of = to_timestamp(as_of)
    empty = pd.Series(dtype="datetime64[ns]", index=pd.Index([], dtype=object, name="enterprise_id"), name="date")
    if status_events is None or status_events.empty:
        return empty
    dates = status_events["date"]
    chosen = unapproved_restart_mask(status_events) & (dates > as_of - pd.Timedelta(days=window_days)) & (dates <= as_of)
    if after_stop_reason is not None:
        chosen &= stop_reason_before(status_events).eq(after_stop_reason)
    found = status_events.loc[chosen]
    if found.empty:
        return empty
    latest = found["date"].groupby(found["enterprise_id"].astype(object)).max()
    return latest.rename_axis("enterprise_id").rename("date")


# --- enterprises and the risk list's flags ------------------------------------------------------
def handles_chemicals(enterprises: pd.DataFrame) -> pd.Series:
    """True for the enterprises that handle hazardous chemicals: the flag, or the sector."""
    flagged = enterprises["hazardous_chemicals"].astype("boolean").fillna(False).astype(bool)
    return flagged | (enterprises["sector"].astype(object) == "hazardous_chemicals")


def _having(ids: pd.Index, frame: pd.DataFrame | None, mask: pd.Series | None) -> np.ndarray:
    """For each of ``ids``: whether ``frame`` holds a row of it where ``mask`` is true."""
    if frame is None or frame.empty or mask is None:
        return np.zeros(len(ids), dtype=bool)
    return ids.isin(frame.loc[mask.fillna(False).astype(bool), "enterprise_id"].astype(object))


def enterprise_flags(known: Mapping[str, pd.DataFrame], as_of: object = None) -> pd.DataFrame:
    """One boolean column per flag (``FLAG_CODES``), indexed by every enterprise of ``known``.

    ``known``: the tables as known on ``as_of`` (``timeline.as_known_on``), or a
    ``analytics.snapshot.Snapshot`` (then ``as_of`` is its own date and may be left out).
    """
    as_of = to_timestamp(getattr(known.as_of, "ts", known.as_of) if as_of is None else getattr(as_of, "ts", as_of))
    enterprises = known["enterprises"]
    ids = pd.Index(enterprises["enterprise_id"].astype(object), name="enterprise_id")
    flags = pd.DataFrame(index=ids)
    flags["unapproved_restart"] = ids.isin(unapproved_restarts(known.get("status_events"), as_of).index)
    contracts = known.get("contracts")
    in_force = None if contracts is None or contracts.empty else (
        (contracts["contractor_qualified"] == False)  # noqa: E712 (nullable boolean)
        & (contracts["start_date"] <= as_of) & (contracts["end_date"] >= as_of))
    flags["unqualified_outsourcing"] = _having(ids, contracts, in_force)
    flags["hazardous_chemicals"] = handles_chemicals(enterprises).to_numpy()
    hazards = known.get("hazards")
    flags["overdue_hazards"] = _having(ids, hazards, None if hazards is None else overdue_mask(hazards, as_of))
    return flags


def encode_flags(flags: pd.DataFrame) -> pd.Series:
    """Each row's raised flags as stored with a list: their codes joined by "," in ``FLAG_CODES`` order ("" for none)."""
    text = pd.Series("", index=flags.index, dtype=object)
    for code in FLAG_CODES:
        text = text + np.where(flags[code].fillna(False).astype(bool).to_numpy(), code + ",", "")
    return text.str.rstrip(",")


def decode_flags(text: pd.Series) -> pd.DataFrame:
    """``encode_flags`` read back: one nullable boolean column per flag, missing where ``text`` is missing."""
    stored = text.notna().to_numpy()
    codes = "," + text.astype(object).fillna("").astype(str) + ","
    return pd.DataFrame({code: pd.array(np.where(stored, codes.str.contains("," + code + ",", regex=False), None),
                                        dtype="boolean") for code in FLAG_CODES}, index=text.index)
