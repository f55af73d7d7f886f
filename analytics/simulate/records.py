"""The simulated world's records as the office would export them on the as-of day: typed contract tables.

Nothing dated after the as-of day is kept: later events are dropped, later rectifications blanked,
and permits or contracts of a firm after its closure never existed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.contract.frames import typed
from analytics.contract.schema import (
    ACCIDENT_SEVERITIES,
    HAZARD_LEVELS,
    INSPECTION_MODES,
    OPTIONAL_TABLES,
    PENALTY_KINDS,
    STATUS,
    STATUS_REASONS,
    TABLES,
)
from analytics.simulate import params as P
from analytics.simulate.dynamics import NEVER, World


def _frame(parts: list[dict[str, np.ndarray]], columns: tuple[str, ...]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: np.empty(0, dtype=np.int64) for c in columns})
    return pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in columns})


def _ids(prefix: str, count: int) -> np.ndarray:
    if count == 0:
        return np.empty(0, dtype=object)
    return np.char.add(prefix, np.char.zfill((np.arange(count) + 1).astype(str), 8))


def _lag(world: World, table: str, count: int) -> np.ndarray:
    """Days between a record's own day and its entry: lognormal around the table's median, at most 180."""
    median, spread = world.knobs.entry_lag[table]
    return np.minimum(np.floor(world.extra.lognormal(np.log(median), spread, count)), 180).astype(np.int64)


def _entered(world: World, table: str, known: np.ndarray) -> np.ndarray | None:
    """The day each record was entered, or None in a world where records are entered the day they happen."""
    if not world.knobs.entry_lag:
        return None
    return np.asarray(known, dtype=np.int64) + _lag(world, table, len(known))


def _in_order(enterprise: np.ndarray, day: np.ndarray, entered: np.ndarray) -> np.ndarray:
    """Entry days made non-decreasing per enterprise in the order of ``day``: a status change is not entered
    before an earlier one of the same firm, so what is known on any day is a prefix of its history."""
    frame = pd.DataFrame({"enterprise": enterprise, "day": day, "entered": entered})
    order = frame.sort_values(["enterprise", "day"], kind="stable")
    return order.groupby("enterprise")["entered"].cummax().reindex(frame.index).to_numpy()


def _status_at_export(enterprise: np.ndarray, day: np.ndarray, status: np.ndarray, count: int) -> np.ndarray:
    """Each enterprise's status after its last exported event (operating without one)."""
    out = np.zeros(count, dtype=np.int64)
    order = np.lexsort((day, enterprise))
    last_of = np.r_[enterprise[order][1:] != enterprise[order][:-1], True]
    out[enterprise[order][last_of]] = status[order][last_of]
    return out


def power_usage(world: World, start: pd.Timestamp, ids: np.ndarray) -> pd.DataFrame:
    """Monthly metered electricity from each firm's TRUE days of operation: a firm running after a secret
    restart draws full power while its records say it is shut down. Only whole months up to as-of."""
    people, extra = world.people, world.extra
    month_count, n = world.operating_days.shape
    first = start.to_period("M")
    periods = pd.period_range(first, periods=month_count, freq="M")
    begins = np.maximum(periods.start_time.normalize(), start)
    ends = periods.end_time.normalize()
    whole = ends <= start + pd.Timedelta(days=world.as_of_day)
    table = people.table
    employees = table["employees"].astype("Float64").fillna(5.0).to_numpy(float)
    sector_kwh = np.array([P.KWH_PER_EMPLOYEE_DAY[s] for s in P.SECTOR_CODES])[people.sector]
    base = sector_kwh * employees * extra.lognormal(0.0, 0.4, n)
    matched = (extra.random(n) < P.POWER_MATCHED) & (sector_kwh > 0)
    season = 1.0 + 0.15 * np.cos(2 * np.pi * (periods.month.to_numpy() - 7.5) / 12)  # summer and winter peaks
    month, firm = np.nonzero((world.existing_days > 0) & matched[None, :] & whole[:, None])
    operating = world.operating_days[month, firm].astype(float)
    stopped = world.existing_days[month, firm] - operating
    kwh = base[firm] * (operating + P.STANDBY_SHARE * stopped) * season[month] * extra.lognormal(0.0, 0.12, len(firm))
    order = np.lexsort((month, firm))
    month, firm, kwh = month[order], firm[order], kwh[order]
    return pd.DataFrame({
        "enterprise_id": ids[firm], "period_start": begins[month], "period_end": ends[month],
        "kwh": np.round(kwh, 1),
    })


def export_tables(world: World, start: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The records as the office would export them on the as-of day: only records entered by then."""
    people, last = world.people, world.as_of_day
    ids = people.table["enterprise_id"].to_numpy()
    codes = {
        "status": np.array([c.code for c in STATUS]), "reason": np.array([c.code for c in STATUS_REASONS]),
        "mode": np.array([c.code for c in INSPECTION_MODES]), "level": np.array([c.code for c in HAZARD_LEVELS]),
        "penalty": np.array([c.code for c in PENALTY_KINDS]),
        "severity": np.array([c.code for c in ACCIDENT_SEVERITIES]),
    }

    def date(day: np.ndarray) -> np.ndarray:
        day = np.asarray(day, dtype=float)
        return (start + pd.to_timedelta(np.where(day >= NEVER, np.nan, day), unit="D")).values

    status = _frame(world.records["status"], ("day", "enterprise", "status", "reason", "approved", "known"))
    status = status.sort_values("day", kind="stable")
    entered = _entered(world, "status_events", status["known"].to_numpy())
    if entered is not None:  # a status change is entered late; one discovered later, when discovered
        status["entered"] = _in_order(status["enterprise"].to_numpy(), status["day"].to_numpy(), entered)
    status = status.loc[status["day"] <= last]
    if entered is not None:
        status = status.loc[status["entered"] <= last]
    status = status.reset_index(drop=True)
    status_events = pd.DataFrame({
        "enterprise_id": ids[status["enterprise"]], "date": date(status["day"]),
        "status": codes["status"][status["status"]], "reason": codes["reason"][status["reason"]],
        "approved": pd.array(np.where(status["approved"] < 0, None, status["approved"] > 0), dtype="boolean"),
        "recorded_date": date(status["entered"]) if entered is not None else None,
    })
    exported_status = world.status_at_as_of
    if entered is not None:  # the status the office's records show, not the firm's true one
        exported_status = _status_at_export(status["enterprise"].to_numpy(), status["day"].to_numpy(),
                                            status["status"].to_numpy(), len(people))
    enterprises = people.table.assign(status=codes["status"][exported_status])
    visits = _frame(world.records["inspections"], ("day", "enterprise", "mode", "team"))
    inspection_ids = _ids("JC", len(visits))
    visit_entered = _entered(world, "inspections", visits["day"].to_numpy())
    visits = visits.assign(inspection_id=inspection_ids)
    if visit_entered is not None:
        visits["entered"] = visit_entered
    visits = visits.loc[visits["day"] <= last]
    if visit_entered is not None:
        visits = visits.loc[visits["entered"] <= last]
    visits = visits.reset_index(drop=True)
    inspections = pd.DataFrame({
        "inspection_id": visits["inspection_id"], "enterprise_id": ids[visits["enterprise"]],
        "date": date(visits["day"]), "team": "第" + (visits["team"] + 1).astype(str) + "组",
        "mode": codes["mode"][visits["mode"]],
        "recorded_date": date(visits["entered"]) if visit_entered is not None else None,
    })
    found = _frame(world.records["hazards"], ("day", "enterprise", "inspection", "major", "category", "deadline", "rectified"))
    found = found.loc[found["day"] <= last].reset_index(drop=True).assign(hazard_id=lambda f: _ids("YH", len(f)))
    if visit_entered is not None:  # a hazard is entered with its inspection's results, or a little later
        found["entered"] = visit_entered[found["inspection"]] + _lag(world, "hazards", len(found))
        found = found.loc[found["entered"] <= last].reset_index(drop=True)
    rectified = np.where(found["rectified"] > last, NEVER, found["rectified"])
    hazards = pd.DataFrame({
        "hazard_id": found["hazard_id"], "enterprise_id": ids[found["enterprise"]],
        "inspection_id": inspection_ids[found["inspection"]], "found_date": date(found["day"]),
        "level": codes["level"][found["major"].astype(int)], "category": np.array(P.CATEGORY_CODES)[found["category"]],
        "deadline": date(found["deadline"]), "rectified_date": date(rectified),
        "recorded_date": date(found["entered"]) if visit_entered is not None else None,
    })

    def planned(frame: pd.DataFrame) -> pd.DataFrame:
        keep = (frame["start_day"] <= last) & (frame["start_day"] < world.closed_day[frame["enterprise"]])
        return frame.loc[keep].sort_values(["start_day", "enterprise"], kind="stable").reset_index(drop=True)

    permits = planned(world.permits)
    special_operations = pd.DataFrame({
        "permit_id": _ids("ZY", len(permits)), "enterprise_id": ids[permits["enterprise"]], "kind": permits["kind"],
        "start_date": date(permits["start_day"]), "end_date": date(permits["end_day"]),
        "contractor": permits["contractor"], "operators": permits["operators"],
        "certified_operators": permits["certified_operators"],
    })
    deals = planned(world.contracts)
    contracts = pd.DataFrame({
        "contract_id": _ids("HT", len(deals)), "enterprise_id": ids[deals["enterprise"]],
        "contractor": deals["contractor"], "start_date": date(deals["start_day"]), "end_date": date(deals["end_day"]),
        "work": deals["work"],
        "contractor_qualified": pd.array(np.where(deals["qualified_known"], deals["qualified"], None), dtype="boolean"),
        "safety_agreement": pd.array(np.where(deals["agreement_known"], deals["agreement"], None), dtype="boolean"),
    })
    fines = _frame(world.records["penalties"], ("day", "enterprise", "kind", "amount"))
    fines = fines.loc[fines["day"] <= last].sort_values(["day", "enterprise", "kind"], kind="stable").reset_index(drop=True)
    fines = fines.assign(penalty_id=_ids("CF", len(fines)))
    fine_entered = _entered(world, "penalties", fines["day"].to_numpy())
    if fine_entered is not None:  # decisions reach the system weeks to months later
        fines = fines.assign(entered=fine_entered).loc[lambda f: f["entered"] <= last].reset_index(drop=True)
    penalties = pd.DataFrame({
        "penalty_id": fines["penalty_id"], "enterprise_id": ids[fines["enterprise"]], "date": date(fines["day"]),
        "kind": codes["penalty"][fines["kind"]], "amount_yuan": fines["amount"].to_numpy(float),
        "recorded_date": date(fines["entered"]) if fine_entered is not None else None,
    })
    harm = _frame(world.records["accidents"], ("day", "enterprise", "severity", "deaths", "injuries"))
    harm = harm.loc[harm["day"] <= last].reset_index(drop=True).assign(accident_id=lambda f: _ids("SG", len(f)))
    harm_entered = _entered(world, "accidents", harm["day"].to_numpy())
    if harm_entered is not None:
        harm = harm.assign(entered=harm_entered).loc[lambda f: f["entered"] <= last].reset_index(drop=True)
    accidents = pd.DataFrame({
        "accident_id": harm["accident_id"], "enterprise_id": ids[harm["enterprise"]], "date": date(harm["day"]),
        "severity": codes["severity"][harm["severity"]], "deaths": harm["deaths"], "injuries": harm["injuries"],
        "recorded_date": date(harm["entered"]) if harm_entered is not None else None,
    })
    alerts = world.alerts.loc[world.alerts["start_day"] <= last].reset_index(drop=True)
    town_ids = world.towns["town_id"].to_numpy(object)
    weather_alerts = pd.DataFrame({
        "alert_id": _ids("YJ", len(alerts)), "kind": alerts["kind"], "level": alerts["level"],
        "start_date": date(alerts["start_day"]), "end_date": date(alerts["end_day"]),
        "town_id": np.where(alerts["town"] >= 0, town_ids[np.maximum(alerts["town"], 0)], None),
    })
    frames = {
        "towns": world.towns, "enterprises": enterprises.sort_values("enterprise_id"), "status_events": status_events,
        "inspections": inspections, "hazards": hazards, "special_operations": special_operations,
        "contracts": contracts, "penalties": penalties, "accidents": accidents, "weather_alerts": weather_alerts,
    }
    if world.knobs.power_usage:
        frames["power_usage"] = power_usage(world, start, ids)
    for name, frame in frames.items():  # the literal column names above must be the contract's
        required = {c.name for c in TABLES[name].columns if c.required}
        differ = (set(frame.columns) - set(TABLES[name].column_names)) | (required - set(frame.columns))
        if differ:  # optional columns the world does not simulate (yet) stay blank
            raise RuntimeError(f"simulated {name} columns differ from the contract: {sorted(differ)}")
    tables = {name: typed(name, frame) for name, frame in frames.items()}
    return {name: t for name, t in tables.items() if not (name in OPTIONAL_TABLES and t.empty)}
