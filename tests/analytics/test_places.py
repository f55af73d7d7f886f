"""The places list: crowded places and venues ranked among themselves by the risk score."""

from __future__ import annotations

import pandas as pd

from analytics.contract import frames
from analytics.operations.lists import PLACE_COLUMNS, labelled, places_list

AS_OF = pd.Timestamp("2026-06-30")


def tables() -> dict[str, pd.DataFrame]:
    firms = [
        ("F1", "fire_venues", "operating"), ("F2", "fire_venues", "operating"), ("TO1", "tourism", "operating"),
        ("TO2", "tourism", "closed"), ("M1", "industry_trade", "operating"),
    ]
    hazards = [
        {"hazard_id": "H1", "enterprise_id": "F2", "found_date": "2026-06-01", "level": "general", "deadline": "2026-06-10"},
        {"hazard_id": "H2", "enterprise_id": "F2", "found_date": "2026-06-20", "level": "general", "deadline": "2026-07-10"},
        {"hazard_id": "H3", "enterprise_id": "F2", "found_date": "2026-06-01", "level": "major", "deadline": "2026-06-10",
         "rectified_date": "2026-06-05"},
    ]
    return {
        "towns": frames.typed("towns", [{"town_id": "T1", "name": "城关镇"}]),
        "enterprises": frames.typed("enterprises", [
            {"enterprise_id": e, "name": f"单位{e}", "town_id": "T1", "sector": s, "status": st, "employees": 50}
            for e, s, st in firms]),
        "inspections": frames.typed("inspections", []),
        "hazards": frames.typed("hazards", hazards),
    }


def risk_list() -> pd.DataFrame:
    scores = {"M1": 0.9, "TO1": 0.4, "F1": 0.2, "F2": 0.4}
    frame = pd.DataFrame({"enterprise_id": list(scores), "score": list(scores.values())})
    frame["rank"] = frame["score"].rank(ascending=False, method="first").astype(int)
    return frame.assign(risk_level=["red", "orange", "blue", "orange"], reasons="原因")


def test_only_operating_places_and_venues_ranked_by_score() -> None:
    places = places_list(tables(), AS_OF, risk_list())
    assert list(places.columns) == list(PLACE_COLUMNS)
    # equal scores: enterprise id decides; M1 (a factory) and TO2 (closed) are not places here
    assert places["enterprise_id"].tolist() == ["F2", "TO1", "F1"]
    assert places["place_rank"].tolist() == [1, 2, 3]
    assert places.set_index("enterprise_id").loc["F2", ["open_hazards", "overdue_hazards"]].tolist() == [2, 1]
    assert places.set_index("enterprise_id").loc["F1", "rank"] == 4  # its county rank stays beside


def test_labelled_in_both_languages() -> None:
    places = places_list(tables(), AS_OF, risk_list())
    zh = labelled(places, "zh", tables()["towns"])
    en = labelled(places, "en", tables()["towns"])
    assert zh["行业领域"].iloc[0] == "消防重点单位及人员密集场所" and zh["镇街"].iloc[0] == "城关镇"
    assert en["Sector"].tolist() == ["Fire-safety key units & crowded places", "Culture & tourism",
                                     "Fire-safety key units & crowded places"]
