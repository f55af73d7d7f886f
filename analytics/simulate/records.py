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


def export_tables(world: World, start: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The records as the office would export them on the as-of day."""
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

    enterprises = people.table.assign(status=codes["status"][world.status_at_as_of])
    status = _frame(world.records["status"], ("day", "enterprise", "status", "reason", "approved"))
    status = status.loc[status["day"] <= last].reset_index(drop=True)
    status_events = pd.DataFrame({
        "enterprise_id": ids[status["enterprise"]], "date": date(status["day"]),
        "status": codes["status"][status["status"]], "reason": codes["reason"][status["reason"]],
        "approved": pd.array(np.where(status["approved"] < 0, None, status["approved"] > 0), dtype="boolean"),
    })
    visits = _frame(world.records["inspections"], ("day", "enterprise", "mode", "team"))
    inspection_ids = _ids("JC", len(visits))
    visits = visits.assign(inspection_id=inspection_ids).loc[visits["day"] <= last].reset_index(drop=True)
    inspections = pd.DataFrame({
        "inspection_id": visits["inspection_id"], "enterprise_id": ids[visits["enterprise"]],
        "date": date(visits["day"]), "team": "第" + (visits["team"] + 1).astype(str) + "组",
        "mode": codes["mode"][visits["mode"]],
    })
    found = _frame(world.records["hazards"], ("day", "enterprise", "inspection", "major", "category", "deadline", "rectified"))
    found = found.loc[found["day"] <= last].reset_index(drop=True).assign(hazard_id=lambda f: _ids("YH", len(f)))
    rectified = np.where(found["rectified"] > last, NEVER, found["rectified"])
    hazards = pd.DataFrame({
        "hazard_id": found["hazard_id"], "enterprise_id": ids[found["enterprise"]],
        "inspection_id": inspection_ids[found["inspection"]], "found_date": date(found["day"]),
        "level": codes["level"][found["major"].astype(int)], "category": np.array(P.CATEGORY_CODES)[found["category"]],
        "deadline": date(found["deadline"]), "rectified_date": date(rectified),
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
    penalties = pd.DataFrame({
        "penalty_id": _ids("CF", len(fines)), "enterprise_id": ids[fines["enterprise"]], "date": date(fines["day"]),
        "kind": codes["penalty"][fines["kind"]], "amount_yuan": fines["amount"].to_numpy(float),
    })
    harm = _frame(world.records["accidents"], ("day", "enterprise", "severity", "deaths", "injuries"))
    harm = harm.loc[harm["day"] <= last].reset_index(drop=True)
    accidents = pd.DataFrame({
        "accident_id": _ids("SG", len(harm)), "enterprise_id": ids[harm["enterprise"]], "date": date(harm["day"]),
        "severity": codes["severity"][harm["severity"]], "deaths": harm["deaths"], "injuries": harm["injuries"],
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
    for name, frame in frames.items():  # the literal column names above must be the contract's
        differ = set(TABLES[name].column_names) ^ set(frame.columns)
        if differ:
            raise RuntimeError(f"simulated {name} columns differ from the contract: {sorted(differ)}")
    tables = {name: typed(name, frame) for name, frame in frames.items()}
    return {name: t for name, t in tables.items() if not (name in OPTIONAL_TABLES and t.empty)}
