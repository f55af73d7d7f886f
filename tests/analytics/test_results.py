"""Results entry: the importer's checks on form records, the same records as an import, closing hazards, rescoring."""

from __future__ import annotations

import pandas as pd
import pytest
from plan_county import AS_OF, START, stored, tables

from analytics.accounts.users import User
from analytics.contract.errors import UserError
from analytics.store.ingest import ImportFailed
from analytics.operations.planning import PlanRules, build_plan
from analytics.operations.plans_store import save_plan
from analytics.operations.results import check_records, record_results, results_records
from analytics.risk.risklist import default_score_date, read_risk_list
from analytics.snapshot.snapshot import AsOf
from analytics.views.enterprise import enterprise_timeline
from analytics.store.database import latest_record_date, read_tables
from analytics.operations.teams import typed_teams

TEAMS = typed_teams(pd.DataFrame([("第1组", "TA", 2), ("第2组", "TB", 2)], columns=["team", "town_id", "daily_capacity"]))


@pytest.fixture()
def county(tmp_path):
    """The stored county with a saved plan from ``START``; its visits by enterprise."""
    store, model = stored(f"sqlite:///{tmp_path / 'results.db'}")
    plan = build_plan(read_risk_list(store), tables(), TEAMS, START, 3, PlanRules(random_share=0), seed=4)
    save_plan(store, plan)
    from analytics.operations.plans_store import visits_for

    visits = visits_for(store, None).set_index("enterprise_id")
    yield store, model, visits
    store.dispose()


def test_form_records_go_through_the_importers_checks_in_both_languages() -> None:
    visit = {"visit_id": "P1-0001", "enterprise_id": "EA2", "team": "第1组", "reason_code": "risk_rank"}
    records = results_records(visit, "2026-03-02", [{"level": "重大隐患", "category": "消防", "deadline": "2026/03/20"}])
    hazards = check_records("hazards", records["hazards"], export_date="2026-03-05")
    assert hazards.loc[0, ["hazard_id", "level", "category"]].tolist() == ["P1-0001-01", "major", "fire"]
    assert hazards.loc[0, "deadline"] == pd.Timestamp("2026-03-20")
    inspection = check_records("inspections", records["inspections"], export_date="2026-03-05")
    assert inspection.loc[0, "mode"] == "unannounced"  # 四不两直 unless follow-up or random draw
    bad = results_records(visit, "2026-03-02", [{"level": "serious", "deadline": "2026-02-01"}])
    with pytest.raises(ImportFailed) as error:
        check_records("hazards", bad["hazards"], export_date="2026-03-05")
    assert "不是隐患等级的有效取值" in error.value.zh and "Not a valid level" in error.value.en
    assert "Must not be before found_date" in error.value.en  # both problems, at once
    with pytest.raises(ImportFailed) as error:
        check_records("inspections", records["inspections"], export_date="2026-03-01")
    assert "After the export date" in error.value.en


def test_results_land_as_contract_records_and_entering_twice_changes_nothing(county) -> None:
    store, model, visits = county
    visit_id = visits.loc["EA2", "visit_id"]
    findings = [{"level": "major", "category": "fire", "deadline": "2026-03-20"},
                {"level": "general", "deadline": "2026-03-10"}]
    record_results(store, visit_id, findings=findings, export_date="2026-03-05", rescore=False)
    stored_tables = read_tables(store)
    inspection = stored_tables["inspections"].set_index("inspection_id").loc[visit_id]
    assert (inspection["enterprise_id"], inspection["team"], inspection["date"]) == ("EA2", visits.loc["EA2", "team"],
                                                                                    visits.loc["EA2", "date"])
    new = stored_tables["hazards"].loc[lambda h: h["inspection_id"] == visit_id]
    assert new["level"].astype(str).tolist() == ["major", "general"]
    assert new["rectified_date"].isna().all()
    record_results(store, visit_id, findings=findings, export_date="2026-03-05", rescore=False)
    again = read_tables(store)
    for name in ("inspections", "hazards"):
        pd.testing.assert_frame_equal(again[name], stored_tables[name])


def test_followup_visit_records_mode_and_the_rectification_closes_the_hazard(county) -> None:
    store, _, visits = county
    visit_id = visits.loc["EA1", "visit_id"]
    assert visits.loc["EA1", "reason_code"] == "follow_up"
    record_results(store, visit_id, rectifications=[{"hazard_id": "HA1", "rectified_date": "2026-03-02"}],
                   export_date="2026-03-05", rescore=False)
    stored_tables = read_tables(store)
    assert stored_tables["inspections"].set_index("inspection_id").loc[visit_id, "mode"] == "follow_up"
    hazard = stored_tables["hazards"].set_index("hazard_id").loc["HA1"]
    assert hazard["rectified_date"] == pd.Timestamp("2026-03-02")
    assert (hazard["level"], hazard["deadline"]) == ("general", pd.Timestamp("2026-02-20"))  # nothing else changed
    with pytest.raises(ImportFailed):  # a rectification before the hazard was found breaks the contract
        record_results(store, visit_id, rectifications=[{"hazard_id": "HA1", "rectified_date": "2025-01-01"}],
                       export_date="2026-03-05", rescore=False)
    with pytest.raises(UserError) as error:
        record_results(store, visit_id, rectifications=[{"hazard_id": "HB9", "rectified_date": "2026-03-02"}],
                       export_date="2026-03-05", rescore=False)
    assert "HB9" in error.value.zh


def test_an_inspector_records_only_the_own_teams_visits_up_to_today(county) -> None:
    store, _, visits = county
    other_team = "第2组" if visits.loc["EA2", "team"] == "第1组" else "第1组"
    with pytest.raises(UserError) as error:
        record_results(store, visits.loc["EA2", "visit_id"], findings=[], user=User("i2", "inspector", team=other_team),
                       rescore=False)
    assert "不属于本组" in error.value.zh
    with pytest.raises(UserError):
        record_results(store, visits.loc["EA2", "visit_id"], user=User("a1", "analyst"), rescore=False)


def test_results_by_form_and_by_import_give_identical_records(county, tmp_path) -> None:
    from analytics.store.ingest import import_files
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables

    store, _, visits = county
    visit_id = visits.loc["EB2", "visit_id"]
    findings = [{"level": "major", "category": "equipment", "deadline": "2026-03-25"}]
    record_results(store, visit_id, findings=findings, export_date="2026-03-05", rescore=False)
    by_form = read_tables(store)

    other = open_store(f"sqlite:///{tmp_path / 'imported.db'}")
    write_tables(other, tables())
    folder = tmp_path / "files"
    folder.mkdir()
    day = visits.loc["EB2", "date"].strftime("%Y/%m/%d")  # as an office's export would write it
    (folder / "inspections.csv").write_text(
        f"检查编号,企业编码,检查日期,检查组,检查方式\n{visit_id},EB2,{day},{visits.loc['EB2', 'team']},四不两直\n", encoding="utf-8-sig")
    (folder / "hazards.csv").write_text(
        f"隐患编号,企业编码,检查编号,发现日期,隐患等级,隐患类别,整改期限\n{visit_id}-01,EB2,{visit_id},{day},重大隐患,设备设施,2026-03-25\n",
        encoding="utf-8-sig")
    # the importer needs the required tables in the file set; towns and enterprises as already stored
    for name in ("towns", "enterprises"):
        tables()[name].to_csv(folder / f"{name}.csv", index=False)
    import_files(other, folder, export_date="2026-03-05")
    by_import = read_tables(other)
    for name in ("inspections", "hazards"):
        pd.testing.assert_frame_equal(by_import[name], by_form[name])
    other.dispose()


def test_the_enterprise_is_rescored_at_once_and_its_reasons_name_the_new_hazard(county) -> None:
    store, model, visits = county
    visit_id = visits.loc["EA3", "visit_id"]
    before = read_risk_list(store).set_index("enterprise_id").loc["EA3"]
    assert "隐患" not in before["reasons"]
    report = record_results(store, visit_id, date=AS_OF, findings=[{"level": "major", "deadline": "2026-03-31"}],
                            export_date="2026-03-05", model=model)
    after = read_risk_list(store).set_index("enterprise_id").loc["EA3"]
    assert after["score"] > before["score"] and after["rank"] < before["rank"]
    assert "重大隐患" in after["reasons"]
    assert report.after["score"] == pytest.approx(after["score"]) and report.after["rank"] == after["rank"] == 4
    text = report.render("zh")
    assert "重新评分" in text and f"{before['score']:.3f} → {after['score']:.3f}" in text
    assert "Rescored" in report.render("en")


def test_a_visit_after_the_lists_date_takes_effect_on_the_day_of_entry(county) -> None:
    """Issue 18.1: a visit dated after the stored list is rescored on the day it is entered, in a
    list of that date the pages read (the latest), with the new inspection and hazard known."""
    store, model, visits = county
    visit = visits.loc["EA3"]
    assert visit["date"] > AS_OF  # the plan's visits lie after the list's date
    before = read_risk_list(store).set_index("enterprise_id").loc["EA3"]
    report = record_results(store, visit["visit_id"], findings=[{"level": "major", "deadline": "2026-03-31"}],
                            export_date="2026-03-05", model=model)
    latest = read_risk_list(store)
    assert latest["as_of"].iloc[0] == "2026-03-05" and len(latest) == len(read_risk_list(store, as_of=AsOf(AS_OF)))
    after = latest.set_index("enterprise_id").loc["EA3"]
    assert after["score"] > before["score"] and after["rank"] < before["rank"] and "重大隐患" in after["reasons"]
    assert sorted(latest["rank"]) == list(range(1, len(latest) + 1))  # the firms it passed moved down
    old = read_risk_list(store, as_of=AsOf(AS_OF)).set_index("enterprise_id").loc["EA3"]
    assert old["score"] == before["score"]  # the list of the earlier date is left as it was
    assert report.after["score"] == pytest.approx(after["score"]) and report.after["rank"] == after["rank"]
    assert f"{before['score']:.3f} → {after['score']:.3f}" in report.render("zh")
    assert "下次评分" not in report.render("zh")
    timeline = enterprise_timeline(read_tables(store), "EA3", AsOf.parse(latest["as_of"].iloc[0]))
    shown = timeline.set_index("record_id")
    assert shown.loc[visit["visit_id"], "kind"] == "inspection"
    assert shown.loc[f"{visit['visit_id']}-01", "kind"] == "hazard"
    # a second visit entered the same day rescores in the same dated list: no new list
    record_results(store, visit["visit_id"], findings=[{"level": "major", "deadline": "2026-03-31"}],
                   export_date="2026-03-05", model=model)
    assert read_risk_list(store)["as_of"].iloc[0] == "2026-03-05"


def test_a_full_scoring_after_results_entry_is_dated_no_earlier_than_the_carried_list(county) -> None:
    """A visit dated before its day of entry leaves the newest inspection before the carried list's
    date; ``saferank score`` with no date must not write a list the pages (newest list first) hide."""
    store, model, visits = county
    visit = visits.loc["EA3"]
    record_results(store, visit["visit_id"], findings=[{"level": "major", "deadline": "2026-03-31"}],
                   export_date="2026-03-09", model=model)
    assert latest_record_date(store) < pd.Timestamp("2026-03-09")
    assert default_score_date(store) == pd.Timestamp("2026-03-09")


def test_a_finding_due_in_the_next_period_becomes_a_followup_of_the_next_plan_until_rectified(county) -> None:
    from analytics.operations.plans_store import create_plan

    store, _, visits = county
    visit_id = visits.loc["EA2", "visit_id"]
    # a major hazard is checked on site (回头看); a general one within its deadline goes to evidence review
    record_results(store, visit_id, findings=[{"level": "major", "category": "fire", "deadline": "2026-03-10"}],
                   export_date="2026-03-05", rescore=False)
    following = pd.Timestamp("2026-03-08")
    plan, _ = create_plan(store, following, 5, teams=TEAMS, rules=PlanRules(random_share=0, follow_up_share=1), seed=1)
    follow = plan.visits.loc[plan.visits["reason_code"] == "follow_up"].set_index("enterprise_id")
    assert follow.loc["EA2", "date"] == pd.Timestamp("2026-03-10")  # planned on the day its deadline is reached
    assert f"{visit_id}-01" in follow.loc["EA2", "reason_zh"]
    record_results(store, visit_id, rectifications=[{"hazard_id": f"{visit_id}-01", "rectified_date": "2026-03-04"}],
                   export_date="2026-03-05", rescore=False)
    closed, _ = create_plan(store, following, 5, teams=TEAMS, rules=PlanRules(random_share=0), seed=1)
    assert "EA2" not in set(closed.visits.loc[closed.visits["reason_code"] == "follow_up", "enterprise_id"])


def test_results_kept_when_the_model_cannot_score_say_so_without_the_server_s_paths(county, tmp_path) -> None:
    """No serving model in the registry: the results are stored, the inspector reads that the score was
    not updated and who sees to it, in either language, and the reason (which names the server's model
    folder) is in the audit log, not on the phone."""
    from analytics.accounts import audit

    store, _, visits = county
    models = tmp_path / "no-models-here"
    inspector = User("i1", "inspector", team="第1组")
    def hazards() -> int:
        found = read_tables(store, names=["hazards"])["hazards"]
        return int((found["enterprise_id"].astype(str) == "EA3").sum())

    before = hazards()
    report = record_results(store, visits.loc["EA3", "visit_id"], date=AS_OF, findings=[{"level": "major", "deadline": "2026-03-31"}],
                            export_date="2026-03-05", models_dir=str(models), user=inspector, source="10.0.0.7")
    assert report.after is None and hazards() == before + 1
    for lang in ("zh", "en"):
        text = report.render(lang)
        assert ("未能重新评分" if lang == "zh" else "not rescored") in text and "saferank score" in text
        assert str(models) not in text and "no-models-here" not in text
    logged = audit.search(store, {"action": "rescore_failed"})
    assert logged["username"].tolist() == ["i1"] and logged["source"].tolist() == ["10.0.0.7"]
    assert "no-models-here" in logged["details"].iloc[0]
