"""A tiny stored county for the plan and results tests: two towns, eight firms, a scored risk list.

On ``AS_OF`` (2026-03-01): EA1 has an open general hazard HA1 past its deadline (2026-02-20), so a
plan from 2026-03-02 holds a follow-up of EA1; EB1 was inspected on 2026-02-25 (skipped for 30 days).
The list is scored by the office's rule of thumb (no labels needed), so rescoring is real.
"""

from __future__ import annotations

import pandas as pd

from analytics.contract import frames

AS_OF = pd.Timestamp("2026-03-01")
START = AS_OF + pd.Timedelta(days=1)


def tables() -> dict[str, pd.DataFrame]:
    firms = [("EA1", "TA", "gas", True), ("EA2", "TA", "mining", False), ("EA3", "TA", "industry_trade", False),
             ("EA4", "TA", "fire_venues", True), ("EB1", "TB", "gas", True), ("EB2", "TB", "fishing_vessels", False),
             ("EB3", "TB", "industry_trade", False), ("EB4", "TB", "construction", False)]
    return {
        "towns": frames.typed("towns", [{"town_id": "TA", "name": "城关镇"}, {"town_id": "TB", "name": "沿海镇", "coastal": True}]),
        "enterprises": frames.typed("enterprises", [
            {"enterprise_id": e, "name": f"{e}公司", "town_id": t, "sector": s, "status": "operating", "hazardous_chemicals": c,
             "major_hazard_level": 2 if c else 0}
            for e, t, s, c in firms]),
        "inspections": frames.typed("inspections", [
            {"inspection_id": "IA1", "enterprise_id": "EA1", "date": "2026-01-10", "team": "第1组", "mode": "routine"},
            {"inspection_id": "IB1", "enterprise_id": "EB1", "date": "2026-02-25", "team": "第2组", "mode": "routine"},
        ]),
        "hazards": frames.typed("hazards", [
            {"hazard_id": "HA1", "enterprise_id": "EA1", "inspection_id": "IA1", "found_date": "2026-01-10",
             "level": "general", "category": "gas", "deadline": "2026-02-20"},
        ]),
    }


def stored(url: str):
    """A store holding ``tables()`` and the rule of thumb's list of ``AS_OF``; returns (store, model)."""
    from analytics.features import build_features
    from analytics.models.scorecard import RuleOfThumb
    from analytics.risk.risklist import save_risk_list, score_enterprises
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables
    from analytics.snapshot.snapshot import Snapshot

    store = open_store(url)
    write_tables(store, tables())
    known = Snapshot.from_tables(tables(), AS_OF)
    features = build_features(known)
    model = RuleOfThumb().fit(features)
    save_risk_list(store, score_enterprises(known, model, "rule_of_thumb-test", features=features))
    return store, model
