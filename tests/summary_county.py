"""A tiny hand-made county for the summary and page tests (overview, follow-up, enterprise, risk list).

On 2026-03-01 (``AS_OF``) its hazards stand as follows (hand-checked, used by the tests' expectations):

====  ===  =====  ========  =======  ==========  =============  ==================
id    ent  town   sector    level    deadline    rectified      state on AS_OF
====  ===  =====  ========  =======  ==========  =============  ==================
H1    E1   T1     mining    major    2026-01-20  2026-01-15     rectified_on_time
H2    E1   T1     mining    general  2026-01-20  2026-02-01     rectified_late
H3    E2   T1     gas       general  2026-02-10  —              overdue (19 days)
H4    E3   T2     gas       major    2026-03-10  —              open
H5    E3   T2     gas       general  2026-02-20  2026-03-05     overdue (9 days; later fix unknown)
H6    E1   T1     mining    general  2026-02-28  —              overdue (1 day), no team
H7    E2   T1     gas       general  2024-01-15  2024-02-01     outside the follow-up window
====  ===  =====  ========  =======  ==========  =============  ==================

E3 is established 2026-02-01; E4 is closed. E2 restarted without approval on 2026-01-10 and handles
hazardous chemicals; E3 has an unqualified contractor from 2026-02-01.
"""

from __future__ import annotations

import pandas as pd

from analytics.contract import frames

AS_OF = pd.Timestamp("2026-03-01")
PREVIOUS_AS_OF = pd.Timestamp("2026-01-30")


def tables() -> dict[str, pd.DataFrame]:
    return {
        "towns": frames.typed("towns", [{"town_id": "T1", "name": "城关镇"}, {"town_id": "T2", "name": "沿海镇", "coastal": True}]),
        "enterprises": frames.typed(
            "enterprises",
            [
                {"enterprise_id": "E1", "name": "甲矿业", "town_id": "T1", "sector": "mining", "status": "operating",
                 "employees": 120, "size": "medium"},
                {"enterprise_id": "E2", "name": "乙燃气", "town_id": "T1", "sector": "gas", "status": "operating",
                 "hazardous_chemicals": True},
                {"enterprise_id": "E3", "name": "丙燃气", "town_id": "T2", "sector": "gas", "status": "operating",
                 "established": "2026-02-01"},
                {"enterprise_id": "E4", "name": "丁矿业", "town_id": "T2", "sector": "mining", "status": "closed"},
            ],
        ),
        "status_events": frames.typed(
            "status_events",
            [
                {"enterprise_id": "E2", "date": "2025-10-01", "status": "suspended", "reason": "power_rationing"},
                {"enterprise_id": "E2", "date": "2026-01-10", "status": "operating", "approved": False},
            ],
        ),
        "inspections": frames.typed(
            "inspections",
            [
                {"inspection_id": "I1", "enterprise_id": "E1", "date": "2026-01-05", "team": "第一组", "mode": "routine"},
                {"inspection_id": "I2", "enterprise_id": "E2", "date": "2026-01-20", "team": "第二组", "mode": "targeted"},
                {"inspection_id": "I3", "enterprise_id": "E3", "date": "2026-02-10", "team": "第一组", "mode": "random"},
                {"inspection_id": "I4", "enterprise_id": "E1", "date": "2026-02-25"},
            ],
        ),
        "hazards": frames.typed(
            "hazards",
            [
                {"hazard_id": "H1", "enterprise_id": "E1", "inspection_id": "I1", "found_date": "2026-01-05",
                 "level": "major", "category": "fire", "deadline": "2026-01-20", "rectified_date": "2026-01-15"},
                {"hazard_id": "H2", "enterprise_id": "E1", "inspection_id": "I1", "found_date": "2026-01-05",
                 "level": "general", "deadline": "2026-01-20", "rectified_date": "2026-02-01"},
                {"hazard_id": "H3", "enterprise_id": "E2", "inspection_id": "I2", "found_date": "2026-01-20",
                 "level": "general", "deadline": "2026-02-10"},
                {"hazard_id": "H4", "enterprise_id": "E3", "inspection_id": "I3", "found_date": "2026-02-10",
                 "level": "major", "deadline": "2026-03-10"},
                {"hazard_id": "H5", "enterprise_id": "E3", "inspection_id": "I3", "found_date": "2026-02-10",
                 "level": "general", "deadline": "2026-02-20", "rectified_date": "2026-03-05"},
                {"hazard_id": "H6", "enterprise_id": "E1", "inspection_id": "I4", "found_date": "2026-02-25",
                 "level": "general", "deadline": "2026-02-28"},
                {"hazard_id": "H7", "enterprise_id": "E2", "found_date": "2024-01-01",
                 "level": "general", "deadline": "2024-01-15", "rectified_date": "2024-02-01"},
            ],
        ),
        "contracts": frames.typed(
            "contracts",
            [
                {"contract_id": "C1", "enterprise_id": "E3", "contractor": "某工程队", "start_date": "2026-02-01",
                 "end_date": "2026-12-31", "contractor_qualified": False, "safety_agreement": True},
                {"contract_id": "C2", "enterprise_id": "E1", "contractor": "某维保公司", "start_date": "2026-01-01",
                 "end_date": "2026-12-31", "contractor_qualified": True},
            ],
        ),
        "penalties": frames.typed(
            "penalties", [{"penalty_id": "P1", "enterprise_id": "E1", "date": "2026-01-10", "kind": "fine", "amount_yuan": 20000}]
        ),
    }


def risk_list(as_of: pd.Timestamp = AS_OF, model_version: str = "rule_of_thumb-1") -> pd.DataFrame:
    """A risk list in the contract's columns for E1–E3 (scores set by hand for the tests)."""
    return pd.DataFrame(
        {
            "enterprise_id": ["E1", "E2", "E3"],
            "as_of": as_of,
            "score": [0.8, 0.4, 0.1],
            "rank": [1, 2, 3],
            "risk_level": ["red", "orange", "blue"],
            "reasons": ["逾期未改隐患 1 项；重大隐患 1 项", "未批擅自开工", ""],
            "model_version": model_version,
        }
    )


def previous_risk_list() -> pd.DataFrame:
    previous = risk_list(PREVIOUS_AS_OF).iloc[:2].copy()
    previous["risk_level"] = ["red", "red"]
    return previous
