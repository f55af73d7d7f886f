"""The warning feed (预警): each kind on its day with reasons in both languages, town and team; never a
record not yet known on its date; states changed and audited; the digest; the store upgrade."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.accounts import audit
from analytics.accounts.users import Forbidden, User
from analytics.contract import frames
from analytics.contract.errors import UserError
from analytics.operations import alerts
from analytics.operations.teams import default_teams
from analytics.simulate.world import simulate_county
from analytics.snapshot.snapshot import AsOf, Snapshot
from analytics.store.database import open_store
from analytics.store.writing import write_tables

AS_OF = AsOf.parse("2026-06-30")
TEAMS = pd.DataFrame({"team": ["第1组", "第2组"], "town_id": ["TA", "TB"], "daily_capacity": [3, 3]})


def month(eid: str, first: str, kwh: float) -> dict:
    start = pd.Timestamp(first)
    return {"enterprise_id": eid, "period_start": start, "period_end": start + pd.offsets.MonthEnd(0), "kwh": kwh}


def tables() -> dict[str, pd.DataFrame]:
    firms = [("E1", "TA", "industry_trade"), ("E2", "TB", "fishing_vessels"), ("E3", "TA", "construction"),
             ("E4", "TB", "industry_trade")]
    power = [month("E1", f"2026-0{m}-01", 3000.0) for m in (1, 2, 3)] + [month("E1", "2026-04-01", 80.0),
                                                                          month("E1", "2026-05-01", 2900.0),
                                                                          month("E1", "2026-06-01", 3000.0)]
    return {
        "towns": frames.typed("towns", [{"town_id": "TA", "name": "城关镇"}, {"town_id": "TB", "name": "沿海镇", "coastal": True}]),
        "enterprises": frames.typed("enterprises", [{"enterprise_id": e, "name": f"{e}公司", "town_id": t, "sector": s}
                                                    for e, t, s in firms]),
        "status_events": frames.typed("status_events", [{"enterprise_id": "E1", "date": "2026-04-01", "status": "retrofit"}]),
        "inspections": frames.typed("inspections", [{"inspection_id": "I1", "enterprise_id": "E3", "date": "2026-06-01"}]),
        "hazards": frames.typed("hazards", [
            {"hazard_id": "H1", "enterprise_id": "E3", "inspection_id": "I1", "found_date": "2026-06-01", "level": "major",
             "deadline": "2026-06-27"},
            # entered on 06-29, already overdue then: it is new on the day it became known
            {"hazard_id": "H2", "enterprise_id": "E4", "found_date": "2026-06-10", "level": "major",
             "deadline": "2026-06-20", "recorded_date": "2026-06-29"},
            {"hazard_id": "H3", "enterprise_id": "E4", "found_date": "2026-06-10", "level": "general", "deadline": "2026-06-20"}]),
        "accidents": frames.typed("accidents", [{"accident_id": "A1", "enterprise_id": "E4", "date": "2026-06-26",
                                                 "severity": "general", "deaths": 0, "injuries": 2, "recorded_date": "2026-06-29"}]),
        "weather_alerts": frames.typed("weather_alerts", [
            {"alert_id": "W1", "kind": "gale", "level": "orange", "start_date": "2026-06-29", "end_date": "2026-07-01"},
            {"alert_id": "W2", "kind": "heat", "level": "yellow", "start_date": "2026-06-30", "end_date": "2026-07-03",
             "town_id": "TA"}]),
        "power_usage": frames.typed("power_usage", power),
    }


def test_each_kind_of_warning_on_its_day_with_its_reason_town_and_team():
    feed = alerts.warning_feed(Snapshot.from_tables(tables(), AS_OF), AS_OF.plus(-7), TEAMS)
    by_id = feed.set_index("alert_id")
    assert set(by_id.index) == {"overdue_major:H1", "overdue_major:H2", "accident:A1",
                                "weather:W1:TB:fishing_vessels", "weather:W2:TA:construction"}
    assert by_id.loc["overdue_major:H1", "date"] == pd.Timestamp("2026-06-28")  # the day after its deadline
    assert by_id.loc["overdue_major:H2", "date"] == pd.Timestamp("2026-06-29")  # the day it was entered
    assert by_id.loc["accident:A1", "date"] == pd.Timestamp("2026-06-29")
    gale = by_id.loc["weather:W1:TB:fishing_vessels"]
    assert gale["team"] == "第2组" and "1 家渔业船舶" in gale["reason_zh"] and "fishing" in gale["reason_en"]


def test_the_suspected_restart_is_dated_the_day_its_evidence_became_known():
    snapshot = Snapshot.from_tables(tables(), AS_OF)
    window = alerts.warning_feed(snapshot, AsOf.parse("2026-05-30"), TEAMS)
    restart = window.set_index("alert_id").loc["suspected_restart:E1:2026-05-31"]
    assert restart["date"] == pd.Timestamp("2026-05-31")  # May's meter reading is known at the month's end
    assert "2026-05-01..2026-05-31" in restart["reason_zh"] and "疑似未批擅自开工" in restart["reason_zh"]
    assert "suspected restart without approval" in restart["reason_en"]
    assert restart["town_id"] == "TA" and restart["team"] == "第1组" and 0 < restart["confidence"] <= 1
    # June's reading adds evidence, not a second warning
    assert (window["kind"] == "suspected_restart").sum() == 1
    before = alerts.warning_feed(snapshot.earlier(AsOf.parse("2026-05-30")), AsOf.parse("2026-05-01"), TEAMS)
    assert not (before["kind"] == "suspected_restart").any()


def test_a_warning_never_uses_a_record_not_yet_known_on_its_date():
    """Every warning of a month's feed on the simulated county is reproduced, reason and evidence alike, by
    the feed of its own day computed from the records known that day (nothing later given)."""
    county = simulate_county(500, seed=8)
    as_of = AsOf.parse(county.as_of)
    since = as_of.plus(-45)
    teams = default_teams(county.towns["town_id"].astype(str).tolist())
    feed = alerts.warning_feed(Snapshot.from_tables(county.tables, as_of), since, teams)
    assert {"suspected_restart", "overdue_major", "weather"} <= set(feed["kind"])
    for day, rows in feed.groupby("date"):
        day = AsOf.parse(day)
        own = alerts.warning_feed(Snapshot.from_tables(county.tables, day), day.plus(-1), teams)
        pd.testing.assert_frame_equal(rows.reset_index(drop=True),
                                      own.loc[own["alert_id"].isin(rows["alert_id"])].reset_index(drop=True))
        assert len(own) == len(rows)


def test_the_window_is_checked():
    snapshot = Snapshot.from_tables(tables(), AS_OF)
    with pytest.raises(UserError):
        alerts.warning_feed(snapshot, AS_OF, TEAMS)
    with pytest.raises(UserError):
        alerts.warning_feed(snapshot, AS_OF.plus(-200), TEAMS)


@pytest.fixture
def store(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    write_tables(store, {k: v for k, v in tables().items()})
    yield store
    store.dispose()


def test_states_are_stored_audited_and_scoped(store):
    feed = alerts.feed_from_store(store, AS_OF, AS_OF.plus(-7), teams=TEAMS)
    assert (feed["state"] == "new").all()
    office = User("office1", "office")
    alerts.set_state(store, "overdue_major:H1", "acknowledged", office)
    alerts.set_state(store, "overdue_major:H1", "assigned", office, assigned_team="第1组", note="明日复查")
    feed = alerts.feed_from_store(store, AS_OF, AS_OF.plus(-7), teams=TEAMS)
    row = feed.set_index("alert_id").loc["overdue_major:H1"]
    assert row["state"] == "assigned" and row["changed_by"] == "office1" and row["assigned_team"] == "第1组"
    log = audit.search(store)
    assert list(log.loc[log["action"] == "alert_state", "object_id"]) .count("overdue_major:H1") == 2
    inspector = User("insp2", "inspector", "第2组")
    mine = alerts.feed_from_store(store, AS_OF, AS_OF.plus(-7), teams=TEAMS, user=inspector)
    assert set(mine["town_id"]) == {"TB"}
    with pytest.raises(Forbidden):
        alerts.set_state(store, "overdue_major:H1", "closed", inspector, feed=feed)  # town TA: another team's
    alerts.set_state(store, "overdue_major:H2", "closed", inspector, feed=feed)
    with pytest.raises(Forbidden):
        alerts.set_state(store, "overdue_major:H2", "closed", User("boss", "leader"))
    assert alerts.visible_to(feed, User("an", "analyst")).empty
    with pytest.raises(UserError):
        alerts.set_state(store, "overdue_major:H1", "done", office)
    with pytest.raises(UserError):
        alerts.set_state(store, "nonsense", "closed", office)


def test_a_complaint_is_a_warning_of_its_day(store):
    alert_id = alerts.record_complaint(store, "E4", AsOf.parse("2026-06-30"), "夜间偷偷生产", "Works at night", None)
    feed = alerts.feed_from_store(store, AS_OF, teams=TEAMS)
    row = feed.set_index("alert_id").loc[alert_id]
    assert row["kind"] == "complaint" and row["reason_zh"] == "举报：夜间偷偷生产" and row["team"] == "第2组"
    with pytest.raises(UserError):
        alerts.record_complaint(store, "NOPE", AS_OF, "x", None, None)


def test_a_store_written_before_the_alerts_table_gains_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = open_store(url)
    with store.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE alerts"))
    store.dispose()
    store = open_store(url)
    assert "alerts" in sa.inspect(store.engine).get_table_names()
    store.dispose()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_digest_in_both_languages_neutralises_formulas(store, tmp_path, lang):
    alerts.record_complaint(store, "E4", AS_OF, "=HYPERLINK(\"http://x\")", None, None)
    feed = alerts.feed_from_store(store, AS_OF, AS_OF.plus(-7), teams=TEAMS)
    path = tmp_path / f"digest_{lang}.xlsx"
    alerts.write_digest(feed, path, lang, AS_OF.plus(-7), AS_OF)
    book = openpyxl.load_workbook(path)
    sheet = book["预警" if lang == "zh" else "Warnings"]
    assert sheet["A1"].value.startswith("预警日报 " if lang == "zh" else "Warning digest ")  # the cover row
    header = [c.value for c in sheet[2]]
    assert header[:3] == (["预警编号", "日期", "类型"] if lang == "zh" else ["Warning ID", "Date", "Kind"])
    values = [c.value for row in sheet.iter_rows(min_row=3) for c in row if isinstance(c.value, str)]
    assert not any(v.startswith("=") for v in values)
    assert any(("仍未整改" if lang == "zh" else "is still open") in v for v in values)
    assert sheet.max_row == len(feed) + 2


def test_the_cli_digest_is_written_and_audited(store, tmp_path, capsys):
    from saferank.cli import main

    out = tmp_path / "digest.xlsx"
    assert main(["alerts", "--db", store.url, "--as-of", "2026-06-30", "--since", "2026-06-23", "--out", str(out),
                 "--lang", "en"]) == 0
    assert "Warning digest 2026-06-24 to 2026-06-30: 5 warnings" in capsys.readouterr().out
    summary = openpyxl.load_workbook(out)["Summary"]
    assert summary.max_row == len(alerts.KIND_CODES) + 2 and summary["A1"].value.startswith("Warning digest 2026-06-24 to 2026-06-30")
    assert main(["alerts", "--db", store.url, "--as-of", "2026-06-30", "--since", "2026-07-30", "--out", str(out)]) == 2
    assert "须早于" in capsys.readouterr().err
    log = audit.search(store)
    assert (log["object_id"] == "alerts").sum() == 2


# --- warnings drive plans -----------------------------------------------------------------------
def _plan_county():
    import plan_county  # tests/analytics/plan_county.py, as test_planning reads it

    return plan_county


def test_a_warning_makes_a_mandatory_target_labelled_as_such_even_when_inspected_recently(tmp_path):
    from analytics.operations.planning import build_plan
    from analytics.risk.risklist import read_risk_list

    plan_county = _plan_county()
    store, _ = plan_county.stored(f"sqlite:///{tmp_path / 'plan.db'}")
    teams = default_teams(["TA", "TB"], count=2, daily_capacity=1)
    mandatory = pd.DataFrame({"enterprise_id": ["EB1"], "kind": ["complaint"], "reason_zh": ["举报：夜间生产"],
                              "reason_en": ["Complaint: works at night"]})
    without = build_plan(read_risk_list(store), plan_county.tables(), teams, plan_county.START, 2, seed=3)
    assert "EB1" not in set(without.visits["enterprise_id"])  # inspected on 02-25: skipped for 30 days
    plan = build_plan(read_risk_list(store), plan_county.tables(), teams, plan_county.START, 2, seed=3, mandatory=mandatory)
    visit = plan.visits.set_index("enterprise_id").loc["EB1"]
    assert visit["reason_code"] == "warning" and visit["date"] == plan_county.START
    assert visit["reason_zh"] == "预警必查：举报：夜间生产" and visit["reason_en"] == "Mandatory after a warning: Complaint: works at night"
    assert "预警必查" in plan.render("zh") and "Mandatory (warning)" in plan.render("en")
    store.dispose()


def test_the_next_stored_plan_visits_complaints_until_their_warning_is_closed(tmp_path):
    from analytics.operations.plans_store import create_plan

    plan_county = _plan_county()
    store, _ = plan_county.stored(f"sqlite:///{tmp_path / 'plan.db'}")
    alert_id = alerts.record_complaint(store, "EB1", AsOf.parse(plan_county.AS_OF), "夜间生产", None, None)
    plan, _ = create_plan(store, AsOf.parse(plan_county.START), 2, seed=3)
    assert plan.visits.set_index("enterprise_id").loc["EB1", "reason_code"] == "warning"
    alerts.set_state(store, alert_id, "closed", None)
    plan, _ = create_plan(store, AsOf.parse(plan_county.START), 2, seed=3)
    assert "EB1" not in set(plan.visits.loc[plan.visits["reason_code"] == "warning", "enterprise_id"])
    store.dispose()
