"""Tiny hand-made counties for the feature tests: three firms, two towns, events added per test."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.contract.frames import typed

AS_OF = pd.Timestamp("2026-06-30")


def county(**events: list[dict]) -> dict[str, pd.DataFrame]:
    """Towns T1/T2; E1 (chemicals, level-1 source, T1), E2 (fishing vessel, T2), E3 (gas, T1, flags unknown);
    plus ``events``: table name → rows (inspections and hazards default to none)."""
    tables = {
        "towns": typed("towns", [{"town_id": "T1", "name": "一镇"}, {"town_id": "T2", "name": "二镇", "coastal": True}]),
        "enterprises": typed("enterprises", [
            {"enterprise_id": "E1", "name": "甲化工", "town_id": "T1", "sector": "hazardous_chemicals", "size": "medium",
             "employees": 120, "hazardous_chemicals": True, "major_hazard_level": 1, "dust_explosion": False,
             "established": "2016-06-30", "status": "operating"},
            {"enterprise_id": "E2", "name": "乙渔船", "town_id": "T2", "sector": "fishing_vessels", "size": "micro",
             "employees": 8, "hazardous_chemicals": False, "major_hazard_level": 0, "confined_space": False,
             "ammonia_refrigeration": False, "small_scattered": False, "status": "operating"},
            {"enterprise_id": "E3", "name": "丙燃气", "town_id": "T1", "sector": "gas", "major_hazard_level": 4,
             "established": "2026-01-01", "status": "operating"},
        ]),
        "inspections": typed("inspections", []),
        "hazards": typed("hazards", []),
    }
    for name, rows in events.items():
        tables[name] = typed(name, rows)
    return tables


def inspection(iid: str, eid: str, date: str, mode: str = "routine") -> dict:
    return {"inspection_id": iid, "enterprise_id": eid, "date": date, "mode": mode, "team": "第1组"}


def hazard(hid: str, eid: str, found: str, level: str = "general", category: str | None = None,
           inspection_id: str | None = None, deadline: str | None = None, rectified: str | None = None) -> dict:
    return {"hazard_id": hid, "enterprise_id": eid, "inspection_id": inspection_id, "found_date": found, "level": level,
            "category": category, "deadline": deadline, "rectified_date": rectified}


@pytest.fixture
def as_of() -> pd.Timestamp:
    return AS_OF
