"""Issue 18.1: results entered for a visit show at once on the pages that read the store.

The enterprise page and the risk list are called as plain functions on the tiny stored county
(``tests/analytics/plan_county.py``); the results go through ``record_results`` followed by the
data layer's ``clear``, as the inspector page's save does.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import dash
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analytics"))
import plan_county  # noqa: E402


@pytest.fixture(scope="module")
def enterprise_page():
    dash.Dash("dashboard", use_pages=True, pages_folder="", serve_locally=True)
    return importlib.import_module("dashboard.pages.enterprise")


def test_a_saved_visit_shows_on_the_enterprise_page_and_in_the_risk_list_at_once(enterprise_page, tmp_path, monkeypatch):
    from analytics.operations.planning import PlanRules, build_plan
    from analytics.operations.plans_store import save_plan, visits_for
    from analytics.operations.results import record_results
    from analytics.operations.teams import typed_teams
    from analytics.risk.risklist import read_risk_list
    from dashboard import auth, i18n
    from dashboard.components import data

    store, model = plan_county.stored(f"sqlite:///{tmp_path / 'take-effect.db'}")
    teams = typed_teams(pd.DataFrame([("第1组", "TA", 2), ("第2组", "TB", 2)], columns=["team", "town_id", "daily_capacity"]))
    save_plan(store, build_plan(read_risk_list(store), plan_county.tables(), teams, plan_county.START, 3,
                                PlanRules(random_share=0), seed=4))
    visit = visits_for(store, None).set_index("enterprise_id").loc["EA3"]
    monkeypatch.setattr(data, "store", lambda: store)
    monkeypatch.setattr(auth, "audit", lambda action, object_id=None, **details: None)
    data.clear()
    try:
        _, _, reasons, _, rows = enterprise_page.show_enterprise("EA3", None, "zh")  # the cache now holds the tables
        assert visit["visit_id"] not in {r["record_id"] for r in rows}
        before = data.risk_list(data.pick_as_of(None)).set_index("enterprise_id").loc["EA3"]

        record_results(store, visit["visit_id"], findings=[{"level": "major", "deadline": "2026-03-31"}],
                       export_date="2026-03-05", model=model)
        data.clear()  # what the inspector page's save does

        assert data.pick_as_of(None) == pd.Timestamp("2026-03-05")
        listed = data.risk_list(data.pick_as_of(None)).set_index("enterprise_id").loc["EA3"]
        assert listed["score"] > before["score"] and listed["rank"] < before["rank"]
        _, _, reasons, history, rows = enterprise_page.show_enterprise("EA3", None, "zh")
        shown = {r["record_id"]: r["kind"] for r in rows}
        assert shown[visit["visit_id"]] == "inspection" and shown[f"{visit['visit_id']}-01"] == "hazard"
        texts = str(reasons)
        assert i18n.percent(listed["score"], "zh") in texts and i18n.percent(before["score"], "zh") not in texts
        assert f"{i18n.t('enterprise.rank', 'zh')} {i18n.number(listed['rank'], 'zh')}" in texts
        assert list(history.data[0].y)[-1] == pytest.approx(listed["score"])  # the history ends on the new score
    finally:
        data.clear()
        store.dispose()


def test_the_inspector_page_s_save_reports_the_new_score_and_the_pages_show_it(enterprise_page, tmp_path, monkeypatch):
    """The inspector's save callback itself (no export date: the day of entry is today)."""
    from analytics.accounts.users import User
    from analytics.operations.planning import PlanRules, build_plan
    from analytics.operations.plans_store import save_plan, visits_for
    from analytics.operations.teams import typed_teams
    from analytics.risk import risklist
    from dashboard import auth
    from dashboard.components import data

    inspector = importlib.import_module("dashboard.pages.inspector")
    store, model = plan_county.stored(f"sqlite:///{tmp_path / 'inspector.db'}")

    class Registry:  # the app's registry, holding the model that made the stored list
        def __init__(self, *_args, **_kwargs) -> None:
            pass

        def load(self, version=None):
            return model, {"version": version}

    monkeypatch.setattr(risklist, "ModelRegistry", Registry)
    teams = typed_teams(pd.DataFrame([("第1组", "TA", 2), ("第2组", "TB", 2)], columns=["team", "town_id", "daily_capacity"]))
    save_plan(store, build_plan(risklist.read_risk_list(store), plan_county.tables(), teams, plan_county.START, 3,
                                PlanRules(random_share=0), seed=4))
    visit = visits_for(store, None).set_index("enterprise_id").loc["EA3"]
    monkeypatch.setattr(data, "store", lambda: store)
    monkeypatch.setattr(auth, "audit", lambda action, object_id=None, **details: None)
    monkeypatch.setattr(auth, "current_user", lambda: User("i1", "inspector", team=visit["team"]))
    monkeypatch.setattr(auth, "source_address", lambda: None)
    data.clear()
    try:
        before = data.risk_list(data.pick_as_of(None)).set_index("enterprise_id").loc["EA3"]
        enterprise_page.show_enterprise("EA3", None, "zh")  # cached before the save
        picked = ["major", "", "2026-03-31", *[""] * (3 * (inspector.BLANK_FINDINGS - 1))]
        message, _ = inspector.save(1, visit["visit_id"], "", *picked, [], "zh")
        today = pd.Timestamp.today().normalize()
        listed = data.risk_list(data.pick_as_of(None)).set_index("enterprise_id").loc["EA3"]
        assert data.pick_as_of(None) == today
        assert listed["score"] > before["score"] and listed["rank"] < before["rank"]
        text = str(message)
        assert f"{before['score']:.3f} → {listed['score']:.3f}" in text and "未能重新评分" not in text
        assert f"排名 {int(before['rank'])} → {int(listed['rank'])}" in text
        _, _, _, _, rows = enterprise_page.show_enterprise("EA3", None, "zh")
        shown = {r["record_id"]: r["kind"] for r in rows}
        assert shown[visit["visit_id"]] == "inspection" and shown[f"{visit['visit_id']}-01"] == "hazard"
    finally:
        data.clear()
        store.dispose()
