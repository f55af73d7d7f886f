"""What-if comparisons: list changes, expected finds of a pick and of a plan."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.contract import frames
from analytics.views import whatif
from analytics.operations.planning import PlanRules, build_plan
from analytics.operations.teams import default_teams


def risk_list(order: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"enterprise_id": order, "rank": range(1, len(order) + 1)})


def test_list_changes_name_who_entered_and_left_the_top_k() -> None:
    before, after = risk_list(["A", "B", "C", "D"]), risk_list(["B", "D", "A", "C"])
    changes = whatif.list_changes(before, after, k=2).set_index("enterprise_id")
    assert changes["change"].astype(str).to_dict() == {"B": "kept", "D": "entered", "A": "left"}
    assert changes.loc["D", ["rank_before", "rank_after"]].tolist() == [4, 2]
    summary = whatif.list_change_summary(before, after, k=2)
    assert {k: summary[k] for k in ("kept", "entered", "left", "overlap")} == {"kept": 1, "entered": 1, "left": 1,
                                                                                "overlap": 0.5}


def test_an_unchanged_list_keeps_everyone_and_correlates_fully() -> None:
    same = risk_list(["A", "B", "C"])
    assert whatif.list_change_summary(same, same, k=2) == {"k": 2, "kept": 2, "entered": 0, "left": 0, "overlap": 1.0,
                                                           "rank_correlation": 1.0}


def test_a_firm_missing_from_the_new_list_has_left_it() -> None:
    changes = whatif.list_changes(risk_list(["A", "B"]), risk_list(["B"]), k=1).set_index("enterprise_id")
    assert changes["change"].astype(str).to_dict() == {"B": "entered", "A": "left"}
    assert pd.isna(changes.loc["A", "rank_after"])


def test_expected_found_sums_the_probabilities_of_the_top_k_ties_by_id() -> None:
    scores = pd.Series({"A": 0.5, "B": 0.9, "C": 0.5, "D": 0.1})
    probabilities = pd.Series({"A": 0.2, "B": 0.3, "C": 0.4})
    assert whatif.top_k(scores, 2).tolist() == ["B", "A"]
    assert whatif.expected_found(scores, probabilities, 2) == pytest.approx(0.5)
    assert whatif.expected_found(scores, probabilities, 4) == pytest.approx(0.9)  # D has no probability: 0


def test_picks_compared_put_random_first_and_the_best_pick_at_one() -> None:
    truth = pd.Series({"A": 0.1, "B": 0.4, "C": 0.2, "D": 0.3})
    model = pd.Series({"A": 0.9, "B": 0.8, "C": 0.1, "D": 0.2})
    table = whatif.picks_compared({"model": model, "truth": truth}, {"truth": truth}, ks=[1, 2])
    assert table["ranking"].tolist() == ["random", "model", "truth"] * 2
    two = table.loc[table["k"] == 2].set_index("ranking")
    assert two["by_truth"].to_dict() == pytest.approx({"random": 0.5, "model": 0.5, "truth": 0.7})
    assert two.loc["truth", "share_of_best_truth"] == 1.0
    assert two.loc["model", "share_of_best_truth"] == pytest.approx(0.5 / 0.7)


def test_campaign_visits_scale_with_the_county() -> None:
    assert whatif.campaign_visits(20_000) == 295
    assert whatif.campaign_visits(2_000) == 30
    assert whatif.campaign_visits(10) == 1


def test_plan_outcome_adds_what_its_visits_would_find_by_other_probabilities() -> None:
    towns = ["T1", "T2"]
    enterprises = frames.typed("enterprises", [{"enterprise_id": f"E{i}", "name": f"企业{i}", "town_id": towns[i % 2],
                                                "sector": "industry_trade"} for i in range(8)])
    tables = {"towns": frames.typed("towns", [{"town_id": t, "name": t} for t in towns]), "enterprises": enterprises,
              "inspections": frames.typed("inspections", []), "hazards": frames.typed("hazards", [])}
    listed = pd.DataFrame({"enterprise_id": [f"E{i}" for i in range(8)], "score": [0.8 - 0.1 * i for i in range(8)],
                           "rank": range(1, 9)})
    plan = build_plan(listed, tables, default_teams(towns, count=2, daily_capacity=1), "2026-03-02", 2,
                      PlanRules(random_share=0.0), seed=1)
    truth = pd.Series(0.5, index=listed["enterprise_id"])
    outcome = whatif.plan_outcome(plan, truth)
    assert outcome["visits"] == 4 and outcome["risk_rank"] == 4 and outcome["random_draw"] == 0
    assert outcome["expected_found"] == pytest.approx(0.8 + 0.7 + 0.6 + 0.5)
    assert outcome["expected_true"] == pytest.approx(2.0)
    table = whatif.plans_compared({"a": plan, "b": plan})
    assert list(table.index) == ["a", "b"] and "expected_true" not in table.columns
