"""Who may know that a plan exists (issue 21, item 9): 四不两直 — plans are not announced.

A leader saw a future plan's id, dates, size and seed before its first day. The office (and the
command line) sees every plan; a leader a plan from its first day on; an inspector no plan at all,
only the team's visits of today and before (``visits_for``); roles without ``plans`` nothing.
"""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.accounts.users import User
from analytics.contract.errors import UserError
from analytics.operations import plans_store

TODAY = pd.Timestamp("2026-03-10")
BEGUN, FUTURE = "P20260301-begun", "P20260316-future"
TEAMS = '[{"team": "第1组", "town_id": "T1", "daily_capacity": 3}]'


@pytest.fixture
def store(tmp_path):
    from analytics.store.database import open_store

    opened = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    with opened.engine.begin() as connection:
        for plan_id, start, team in ((BEGUN, "2026-03-01", "第1组"), (FUTURE, "2026-03-16", "第1组")):
            connection.execute(plans_store.plans.insert().values(
                plan_id=plan_id, created_by="office1", created_at=pd.Timestamp(start).to_pydatetime(),
                start=pd.Timestamp(start).date(), days=5, rules="{}", seed=12345, teams=TEAMS, risk_list_as_of=None,
                model_version=None, expected_found=1.0, expected_random=0.5, visits=1, unplanned="[]"))
            connection.execute(plans_store.plan_visits.insert().values(
                visit_id=f"{plan_id}-0001", plan_id=plan_id, date=pd.Timestamp(start).date(), team=team, slot=1,
                enterprise_id="E1", town_id="T1", sector="mining", score=0.5, rank=1, reason_code="risk_rank",
                reason_zh="高风险", reason_en="high risk", hazard_ids=""))
    yield opened
    opened.engine.dispose()


@pytest.mark.parametrize(("user", "expected"), [
    (None, {BEGUN, FUTURE}),
    (User("o1", "office"), {BEGUN, FUTURE}),
    (User("l1", "leader"), {BEGUN}),
    (User("i1", "inspector", team="第1组"), set()),
    (User("a1", "analyst"), set()),
    (User("root", "admin"), set()),
])
def test_a_plan_is_known_only_to_those_who_may_know_it_on_the_day(store, user, expected) -> None:
    assert set(plans_store.list_plans(store, user, today=TODAY)["plan_id"]) == expected
    for plan_id in {BEGUN, FUTURE} - expected:
        with pytest.raises(UserError):  # answered like a plan that does not exist
            plans_store.read_plan(store, plan_id, user, today=TODAY)
    for plan_id in expected:
        assert plans_store.read_plan(store, plan_id, user, today=TODAY).seed == 12345


def test_a_leader_sees_the_plan_from_its_first_day(store) -> None:
    leader = User("l1", "leader")
    first_day = pd.Timestamp("2026-03-16")
    assert FUTURE not in set(plans_store.list_plans(store, leader, today=first_day - pd.Timedelta(days=1))["plan_id"])
    assert FUTURE in set(plans_store.list_plans(store, leader, today=first_day)["plan_id"])


def test_an_inspector_sees_the_team_s_visits_up_to_today_but_no_plan(store) -> None:
    inspector = User("i1", "inspector", team="第1组")
    visits = plans_store.visits_for(store, inspector, today=TODAY)
    assert set(visits["visit_id"]) == {f"{BEGUN}-0001"}
    assert plans_store.list_plans(store, inspector, today=TODAY).empty
    with store.engine.connect() as connection:  # the rows are there: the scoping is the query's
        assert connection.execute(sa.select(sa.func.count()).select_from(plans_store.plans)).scalar() == 2
