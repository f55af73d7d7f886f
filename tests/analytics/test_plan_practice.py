"""Plans from practice (issue 16.3): yearly caps by 标准化 grade, the follow-up share and evidence review,
red/orange coverage over their cycles, level-weighted random draws, route order, explicit re-draws,
and the demo's first week."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.contract import frames
from analytics.contract.errors import UserError
from analytics.operations.plan_route import haversine_km, route
from analytics.operations.planning import PlanRules, build_plan, follow_up_budget
from analytics.operations.teams import typed_teams

START = pd.Timestamp("2026-03-02")


def firms(rows: list[dict], inspections: list[dict] | None = None, hazards: list[dict] | None = None,
          towns: tuple[str, ...] = ("T1",)) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """A county of the given firms (``enterprise_id``, ``score``, ``risk_level`` and any enterprise
    column); the risk list ranks them by score."""
    enterprises = frames.typed("enterprises", [
        {"name": r["enterprise_id"], "town_id": "T1", "sector": "industry_trade",
         **{k: v for k, v in r.items() if k not in ("score", "risk_level")}} for r in rows])
    risk_list = pd.DataFrame({"enterprise_id": [r["enterprise_id"] for r in rows], "score": [r["score"] for r in rows],
                              "risk_level": [r.get("risk_level", "yellow") for r in rows]})
    risk_list["rank"] = risk_list["score"].rank(ascending=False, method="first").astype(int)
    tables = {"towns": frames.typed("towns", [{"town_id": t, "name": t} for t in towns]), "enterprises": enterprises,
              "inspections": frames.typed("inspections", inspections or []), "hazards": frames.typed("hazards", hazards or [])}
    return risk_list.sort_values("rank").reset_index(drop=True), tables


def one_team(daily: int, towns: tuple[str, ...] = ("T1",)) -> pd.DataFrame:
    return typed_teams(pd.DataFrame([("A", t, daily) for t in towns], columns=["team", "town_id", "daily_capacity"]))


def past_visits(enterprise_id: str, count: int, last: str = "2026-01-20", every: int = 30) -> list[dict]:
    return [{"inspection_id": f"I{enterprise_id}-{k}", "enterprise_id": enterprise_id,
             "date": pd.Timestamp(last) - pd.Timedelta(days=every * k)} for k in range(count)]


# --- yearly caps ------------------------------------------------------------------------------------
def test_a_firm_that_had_its_grades_visits_this_year_is_not_planned_unless_red() -> None:
    rows = [{"enterprise_id": "L1", "score": 0.19, "risk_level": "orange", "standardization": "level1"},
            {"enterprise_id": "L1RED", "score": 0.30, "risk_level": "red", "standardization": "level1"},
            {"enterprise_id": "NOGRADE", "score": 0.18, "risk_level": "orange"},
            {"enterprise_id": "L3", "score": 0.17, "risk_level": "orange", "standardization": "level3"},
            *[{"enterprise_id": f"LOW{i}", "score": 0.01, "risk_level": "blue"} for i in range(6)]]
    visits = past_visits("L1", 4) + past_visits("L1RED", 4) + past_visits("NOGRADE", 12, every=25) + past_visits("L3", 4)
    risk_list, tables = firms(rows, inspections=visits)
    rules = PlanRules(random_share=0, cycle_days={})
    plan = build_plan(risk_list, tables, one_team(4), START, 1, rules, seed=1)
    planned = set(plan.visits["enterprise_id"])
    assert "L1" not in planned  # level 1: four visits a year, had them
    assert "NOGRADE" not in planned  # no grade: the default cap of 12, had them
    assert {"L1RED", "L3"} <= planned  # red is exempt; level 3 allows 12
    looser = build_plan(risk_list, tables, one_team(4), START, 1,
                        PlanRules(random_share=0, cycle_days={}, yearly_caps={"level1": 5}, default_yearly_cap=13), seed=1)
    assert {"L1", "NOGRADE"} <= set(looser.visits["enterprise_id"])  # the caps are the office's to set
    with pytest.raises(UserError) as error:
        PlanRules(yearly_caps={"level9": 2})
    assert "标准化等级" in error.value.zh and "standardization grade" in error.value.en


# --- follow-ups: on site within the share, the rest to evidence review --------------------------------------
def test_on_site_follow_ups_keep_within_the_share_day_by_day_and_general_ones_go_to_evidence_review(tmp_path) -> None:
    import openpyxl

    from analytics.operations.plan_export import write_plan_html, write_plan_xlsx

    rows = [{"enterprise_id": f"F{i:02d}", "score": 0.05 + 0.001 * i} for i in range(40)]
    hazards = [{"hazard_id": f"HM{i}", "enterprise_id": f"F{i:02d}", "found_date": "2026-01-05", "level": "major",
                "deadline": "2026-02-25"} for i in range(10)]  # overdue too
    hazards += [{"hazard_id": f"HO{i}", "enterprise_id": f"F{i:02d}", "found_date": "2026-01-05", "level": "general",
                 "deadline": "2026-02-01"} for i in range(10, 20)]  # overdue
    hazards += [{"hazard_id": f"HG{i}", "enterprise_id": f"F{i:02d}", "found_date": "2026-02-20", "level": "general",
                 "deadline": "2026-03-05"} for i in range(20, 26)]  # general, within their deadline
    risk_list, tables = firms(rows, hazards=hazards)
    plan = build_plan(risk_list, tables, one_team(3), START, 5, PlanRules(random_share=0.2), seed=1)
    follow = plan.visits.loc[plan.visits["reason_code"] == "follow_up"]
    made = np.bincount((follow["date"] - START).dt.days, minlength=5).cumsum()
    assert made.tolist() == [0, 1, 2, 3, 4]  # ⌊0.3 × 3 × d⌋ by day d: 30 % of the visits, never more
    assert follow_up_budget(0.3, 3, 5).tolist() == [0, 1, 2, 3, 4]
    assert (follow["kind"] == "major").all()  # among the overdue, major hazards first
    assert "重大隐患" in follow.loc[follow["kind"] == "major", "reason_zh"].iloc[0]
    # the 16 on-site follow-ups that do not fit are listed, not dropped
    assert set(plan.unplanned["enterprise_id"]) | set(follow["enterprise_id"]) == {f"F{i:02d}" for i in range(20)}
    assert (plan.unplanned["reason_code"] == "capacity").all()
    # general hazards within their deadline: evidence review, named, not visited as follow-ups
    evidence = plan.evidence.set_index("enterprise_id")
    assert set(evidence.index) == {f"F{i:02d}" for i in range(20, 26)}
    assert "HG20" in evidence.loc["F20", "reason_zh"] and "书面核查" in evidence.loc["F20", "reason_zh"]
    assert evidence.loc["F20", "deadline"] == pd.Timestamp("2026-03-05")
    assert "6 家的一般隐患转为书面核查" in plan.render("zh") and "6 firms with general hazards left to evidence" in plan.render("en")
    assert plan.target_share >= 0.7
    page = write_plan_html(plan, tables, tmp_path / "plan.html").read_text(encoding="utf-8")
    assert "<h1>书面核查</h1>" in page and "HG25" in page  # on paper too, after the teams' days
    book = openpyxl.load_workbook(write_plan_xlsx(plan.visits, tables, tmp_path / "plan.xlsx", "en", evidence=plan.evidence))
    assert book.sheetnames[-1] == "Evidence review" and book["Evidence review"].max_row == 8  # cover, header, 6 firms
    wider = build_plan(risk_list, tables, one_team(3), START, 5, PlanRules(random_share=0.2, follow_up_share=0.6), seed=1)
    assert (wider.visits["reason_code"] == "follow_up").sum() == 9  # ⌊0.6 × 15⌋: the share is the office's


# --- red and orange firms within their cycle -------------------------------------------------------
def test_every_red_firm_is_visited_within_its_cycle_over_successive_plans() -> None:
    """Red firms ranked below a crowd of higher scores (a level kept by hysteresis, a rule-set level):
    without the cycle they would wait behind the crowd; with it each is seen at least every 30 days."""
    crowd = [{"enterprise_id": f"Y{i:02d}", "score": 0.5 - 0.001 * i, "risk_level": "yellow", "standardization": "level3"}
             for i in range(60)]
    reds = [{"enterprise_id": f"R{i}", "score": 0.1, "risk_level": "red"} for i in range(6)]
    oranges = [{"enterprise_id": f"O{i}", "score": 0.09, "risk_level": "orange"} for i in range(6)]
    risk_list, tables = firms(crowd + reds + oranges)
    rules = PlanRules(random_share=0)
    seen = []
    start = START
    for _ in range(9):  # 90 days in plans of 10, each plan's visits become the next one's history
        plan = build_plan(risk_list, tables, one_team(2), start, 10, rules, seed=1)
        done = plan.visits.assign(inspection_id="V" + plan.visits["date"].dt.strftime("%Y%m%d") + plan.visits["enterprise_id"])
        tables["inspections"] = frames.typed("inspections", pd.concat(
            [tables["inspections"], done[["inspection_id", "enterprise_id", "date"]]], ignore_index=True))
        seen.append(plan.visits)
        start += pd.Timedelta(days=10)
    visits = pd.concat(seen)
    end = start - pd.Timedelta(days=1)
    for firm, cycle in [*((r["enterprise_id"], 30) for r in reds), *((o["enterprise_id"], 90) for o in oranges)]:
        dates = visits.loc[visits["enterprise_id"] == firm, "date"].sort_values()
        gaps = np.diff(np.concatenate([[START - pd.Timedelta(days=1)], dates, [end]]).astype("datetime64[D]")).astype(int)
        assert len(dates) and gaps.max() <= cycle, (firm, dates.tolist())
    cycle_visits = visits.loc[visits["reason_code"] == "level_cycle"]
    assert set(cycle_visits["kind"]) == {"red", "orange"}
    assert cycle_visits["reason_zh"].str.contains("每 30 天必查").any() and cycle_visits["reason_en"].str.contains("every 90 days").any()


def test_red_firms_due_that_do_not_fit_are_listed_and_the_cycle_is_the_offices() -> None:
    reds = [{"enterprise_id": f"R{i}", "score": 0.3 - 0.01 * i, "risk_level": "red"} for i in range(5)]
    risk_list, tables = firms(reds + [{"enterprise_id": "B", "score": 0.01, "risk_level": "blue"}],
                              inspections=past_visits("R4", 1, last="2026-02-25"))
    plan = build_plan(risk_list, tables, one_team(1), START, 3, PlanRules(random_share=0), seed=1)
    assert (plan.visits["reason_code"] == "level_cycle").sum() == 3
    assert set(plan.unplanned.loc[plan.unplanned["reason_code"] == "cycle_full", "enterprise_id"]) == {"R3"}
    assert plan.cycle_coverage() == {"red": (4, 3), "orange": (0, 0)}  # R4 was seen 5 days ago: due in 25 days
    assert "到期 4 家，已安排 3 家" in plan.render("zh")
    weekly = build_plan(risk_list, tables, one_team(2), START, 3, PlanRules(random_share=0, cycle_days={"red": 7}), seed=1)
    assert weekly.cycle_due == {"red": 5}  # a 7-day cycle makes R4 (seen 5 days ago) due in this plan


# --- random draws tilted by level ---------------------------------------------------------------------
def test_random_draws_favour_red_firms_by_their_weight_and_say_the_level() -> None:
    rows = [{"enterprise_id": f"R{i:02d}", "score": 0.3, "risk_level": "red", "standardization": "level3"} for i in range(50)]
    rows += [{"enterprise_id": f"B{i:02d}", "score": 0.3, "risk_level": "blue", "standardization": "level3"} for i in range(50)]
    risk_list, tables = firms(rows)
    rules = PlanRules(random_share=1, cycle_days={})
    shares = [build_plan(risk_list, tables, one_team(10), START, 1, rules, seed=s).visits["kind"].eq("red").mean()
              for s in range(20)]
    assert 0.72 < np.mean(shares) < 0.88  # weights 4 : 1 give about 80 % red
    flat = PlanRules(random_share=1, cycle_days={}, random_weights={"red": 1, "blue": 1})
    flat_shares = [build_plan(risk_list, tables, one_team(10), START, 1, flat, seed=s).visits["kind"].eq("red").mean()
                   for s in range(20)]
    assert 0.4 < np.mean(flat_shares) < 0.6
    visit = build_plan(risk_list, tables, one_team(10), START, 1, rules, seed=1).visits.iloc[0]
    assert visit["reason_code"] == "random_draw" and "风险）" in visit["reason_zh"] and "risk)" in visit["reason_en"]


def test_a_mandatory_target_is_labelled_with_its_warnings_kind() -> None:
    risk_list, tables = firms([{"enterprise_id": f"E{i}", "score": 0.3 - 0.01 * i} for i in range(5)])
    mandatory = pd.DataFrame({"enterprise_id": ["E4"], "kind": ["complaint"], "reason_zh": ["群众举报：夜间违规动火"],
                              "reason_en": ["complaint: hot work at night"]})
    plan = build_plan(risk_list, tables, one_team(1), START, 1, PlanRules(random_share=0), seed=1, mandatory=mandatory)
    visit = plan.visits.iloc[0]
    assert (visit["enterprise_id"], visit["reason_code"], visit["kind"]) == ("E4", "warning", "complaint")
    assert "预警必查：群众举报" in visit["reason_zh"]


# --- route -------------------------------------------------------------------------------------------
def test_each_days_stops_follow_the_nearest_neighbour_with_the_distance() -> None:
    places = {"W": 120.0, "E": 120.5, "M": 120.1, "C": 120.2}
    rows = [{"enterprise_id": e, "score": 0.3 - 0.01 * i, "longitude": lon, "latitude": 30.0}
            for i, (e, lon) in enumerate(places.items())]
    rows.append({"enterprise_id": "NOWHERE", "score": 0.01})
    risk_list, tables = firms(rows)
    plan = build_plan(risk_list, tables, one_team(5), START, 1, PlanRules(random_share=0, cycle_days={}), seed=1)
    day = plan.visits.sort_values("slot")
    # the base is the mean of the day's positions (120.2): C first, then the nearest left each time
    assert day["enterprise_id"].tolist() == ["C", "M", "W", "E", "NOWHERE"]
    expected = [0.0, *haversine_km([120.2, 120.1, 120.0], [30.0] * 3, [120.1, 120.0, 120.5], [30.0] * 3)]
    assert day["leg_km"].iloc[:4].to_numpy() == pytest.approx(expected)
    assert np.isnan(day["leg_km"].iloc[4])  # no coordinates: last, no distance
    assert plan.route_km == pytest.approx(sum(expected))
    assert f"预计路程共 {sum(expected):.0f} 公里" in plan.render("zh")


def test_routes_of_many_team_days_are_each_nearest_neighbour_tours() -> None:
    rng = np.random.default_rng(3)
    n = 4 * 6 * 5
    visits = pd.DataFrame({"team": np.repeat(["A", "B", "C", "D"], 30), "date": np.tile(np.repeat(
        pd.date_range(START, periods=6), 5), 4), "slot": np.tile(np.arange(1, 6), 24),
        "longitude": 120 + rng.random(n), "latitude": 30 + rng.random(n)})
    routed = route(visits)
    assert len(routed) == n and not routed.duplicated(["team", "date", "slot"]).any()
    for (_, _), day in routed.groupby(["team", "date"]):  # the check, not the code, loops
        day = day.sort_values("slot")
        lon, lat = day["longitude"].to_numpy(), day["latitude"].to_numpy()
        for k in range(1, len(day)):
            left = np.arange(k, len(day))
            distances = haversine_km(lon[k - 1], lat[k - 1], lon[left], lat[left])
            assert distances.min() == pytest.approx(distances[0])  # the next stop is the nearest left
            assert day["leg_km"].iloc[k] == pytest.approx(distances[0])


# --- re-drawing the same dates -----------------------------------------------------------------------
@pytest.fixture()
def stored_county(tmp_path):
    import plan_county

    store, _ = plan_county.stored(f"sqlite:///{tmp_path / 'plan.db'}")
    yield store
    store.dispose()


def test_redrawing_the_same_dates_versions_by_default_and_replaces_on_request(stored_county, tmp_path, capsys) -> None:
    import sqlalchemy as sa

    from analytics.operations.plans_store import list_plans, read_plan
    from analytics.store.database import CONTRACT_TABLES
    from saferank.cli import main

    def draw(*extra: str) -> None:
        assert main(["plan", "--db", stored_county.url, "--start", "2026-03-02", "--days", "3", "--out",
                     str(tmp_path / "p.xlsx"), *extra]) == 0

    draw("--seed", "1")
    draw("--seed", "2")
    plans = list_plans(stored_county).set_index("plan_id")
    assert len(plans) == 2
    newer = plans.loc[plans["version"] == 2].index[0]
    older = plans.loc[plans["version"] == 1].index[0]
    assert plans.loc[older, "superseded_by"] == newer and plans.loc[newer, "supersedes"] == older
    assert plans.loc[newer, "redraw"] == "new_version" and pd.isna(plans.loc[newer, "superseded_by"])
    assert "第 2 版" in capsys.readouterr().out
    draw("--seed", "3", "--replace")
    plans = list_plans(stored_county).set_index("plan_id")
    assert len(plans) == 2 and newer not in plans.index  # version 2 replaced, version 1 kept as history
    replacing = plans.loc[plans["redraw"] == "replace"].iloc[0]
    assert replacing["version"] == 2 and replacing["supersedes"] == newer
    assert read_plan(stored_county, replacing.name).seed == 3
    with stored_county.engine.begin() as connection:  # results entered against the plan: it stays
        connection.execute(CONTRACT_TABLES["inspections"].insert().values(
            inspection_id=f"{replacing.name}-0001", enterprise_id="EA2", date=pd.Timestamp("2026-03-02").date()))
    assert main(["plan", "--db", stored_county.url, "--start", "2026-03-02", "--days", "3", "--replace",
                 "--lang", "en", "--out", str(tmp_path / "p.xlsx")]) == 2
    assert "cannot be replaced" in capsys.readouterr().err
    with stored_county.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(sa.table("plans"))).scalar_one() == 2


# --- the demo's first week ------------------------------------------------------------------------------
def test_the_demos_first_week_goes_mostly_to_ranked_or_random_targets_and_counts_evidence_reviews(
        tmp_path_factory, tmp_path) -> None:
    """On the demo tests' built demo (tests/demo_folders.py: county imported, a model given, one demo
    run; built once per test run), read from a copy of the folder."""
    import demo_folders
    from analytics.operations.plans_store import list_plans, read_plan
    from analytics.store.database import open_store

    built, _, setup = demo_folders.built(tmp_path_factory)
    store = open_store(f"sqlite:///{demo_folders.copy(built, tmp_path) / 'saferank.db'}")
    plan = read_plan(store, list_plans(store)["plan_id"].iloc[0])
    store.dispose()
    assert plan.target_share >= 0.6
    text = setup.render("zh")
    assert f"另有 {len(plan.evidence)} 家的一般隐患转为书面核查" in text
    firms = f"{len(plan.evidence)} firm" + ("" if len(plan.evidence) == 1 else "s")
    assert f"{firms} with general hazards left to evidence review" in setup.render("en")
