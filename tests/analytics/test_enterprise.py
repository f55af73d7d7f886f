"""One enterprise's profile and timeline on the tiny county (see summary_county)."""

from __future__ import annotations

import pandas as pd
import pytest
import summary_county as county

from analytics.views import enterprise
from analytics.contract.errors import UserError


def test_profile_counts_what_was_known_on_the_day() -> None:
    profile = enterprise.enterprise_profile(county.tables(), "E1", county.AS_OF)
    assert profile["name"] == "甲矿业" and profile["town_name"] == "城关镇"
    assert (profile["inspections"], profile["hazards"], profile["major_hazards"]) == (2, 3, 1)
    assert (profile["open_hazards"], profile["overdue_hazards"]) == (1, 1)


def test_an_enterprise_not_yet_established_is_a_user_error_in_both_languages() -> None:
    with pytest.raises(UserError) as error:
        enterprise.enterprise_profile(county.tables(), "E3", "2026-01-15")
    assert "E3" in error.value.zh and "E3" in error.value.en


def test_timeline_newest_first_with_hazard_states_and_rectifications() -> None:
    timeline = enterprise.enterprise_timeline(county.tables(), "E1", county.AS_OF, "zh")
    assert timeline["date"].is_monotonic_decreasing
    kinds = timeline.groupby("kind").size().to_dict()
    assert kinds == {"inspection": 2, "hazard": 3, "rectification": 2, "penalty": 1, "contract": 1}
    h6 = timeline.loc[(timeline["record_id"] == "H6") & (timeline["kind"] == "hazard")].iloc[0]
    assert h6["state"] == "overdue" and "2026-02-28" in h6["detail"] and h6["kind_label"] == "发现隐患"
    penalty = timeline.loc[timeline["kind"] == "penalty"].iloc[0]
    assert "罚款" in penalty["detail"] and "20000" in penalty["detail"]


def test_timeline_on_the_same_day_follows_the_kind_order() -> None:
    timeline = enterprise.enterprise_timeline(county.tables(), "E1", county.AS_OF, "en")
    same_day = timeline.loc[timeline["date"] == pd.Timestamp("2026-02-25"), "kind"].tolist()
    assert same_day == ["inspection", "hazard"]
    assert timeline.loc[timeline["kind"] == "penalty", "detail"].iloc[0].startswith("Fine")


def test_timeline_leaves_out_what_happened_later() -> None:
    timeline = enterprise.enterprise_timeline(county.tables(), "E3", county.AS_OF, "en")
    assert "rectification" not in set(timeline["kind"])  # H5's fix is dated 03-05
    contract = timeline.loc[timeline["kind"] == "contract", "detail"].iloc[0]
    assert "NOT qualified" in contract


def test_status_changes_name_an_unapproved_restart() -> None:
    timeline = enterprise.enterprise_timeline(county.tables(), "E2", county.AS_OF, "zh")
    restart = timeline.loc[timeline["kind"] == "status"].iloc[0]
    assert restart["date"] == pd.Timestamp("2026-01-10") and "未批擅自开工" in restart["detail"]


def test_score_history_is_oldest_first() -> None:
    stacked = pd.concat([county.risk_list(), county.previous_risk_list()], ignore_index=True)
    history = enterprise.score_history(stacked, "E2")
    assert history["as_of"].tolist() == [county.PREVIOUS_AS_OF, county.AS_OF]
    assert history["risk_level"].tolist() == ["red", "orange"]


def test_find_enterprises_by_name_tells_apart_firms_of_the_same_name() -> None:
    """Issue 18 item 7: search by name, case-insensitive, not only by the 18-character code; two
    firms of one name come back with their ids and towns."""
    find_enterprises = enterprise.find_enterprises
    firms = pd.DataFrame({"enterprise_id": ["91331081MA2XXXXX01", "91331081MA2XXXXX02", "E3", "E4"],
                          "name": ["宏达机械厂", "宏达机械厂", "Acme Gas Ltd", None],
                          "town_id": ["T1", "T2", "T1", "T9"]})
    towns = pd.DataFrame({"town_id": ["T1", "T2"], "name": ["松门镇", "箬横镇"]})
    found = find_enterprises(firms, towns, " 宏达 ")
    assert found.to_dict("records") == [
        {"enterprise_id": "91331081MA2XXXXX01", "name": "宏达机械厂", "town_name": "松门镇"},
        {"enterprise_id": "91331081MA2XXXXX02", "name": "宏达机械厂", "town_name": "箬横镇"}]
    assert find_enterprises(firms, towns, "acme GAS")["enterprise_id"].tolist() == ["E3"]
    assert find_enterprises(firms, towns, "xxxxx02")["enterprise_id"].tolist() == ["91331081MA2XXXXX02"]  # ids too
    assert find_enterprises(firms, towns, "E4")["town_name"].tolist() == ["T9"]  # an unknown town shows its code
    assert find_enterprises(firms, towns, "(.*")["enterprise_id"].tolist() == []  # text, not a pattern
    assert find_enterprises(firms, towns, "").empty and find_enterprises(firms, towns, None).empty
    assert find_enterprises(firms, towns, "宏达", among=frozenset({"91331081MA2XXXXX02"}))["town_name"].tolist() == ["箬横镇"]
    assert len(find_enterprises(firms, towns, "宏达", limit=1)) == 1
