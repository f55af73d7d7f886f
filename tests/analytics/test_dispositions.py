"""三个一批: each batch rule on hand-made firms, evidence and deadlines, decisions that survive re-scoring."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analytics.contract import frames
from analytics.operations.dispositions import (
    BATCH_CODES,
    DispositionRules,
    confirm,
    decisions,
    disposition_list,
    excel_bytes,
    recommend,
)
from analytics.contract.errors import UserError

AS_OF = pd.Timestamp("2026-06-30")


def _firm(enterprise_id: str, **extra: object) -> dict:
    return {"enterprise_id": enterprise_id, "name": f"企业{enterprise_id}", "town_id": "T1",
            "sector": "industry_trade", "size": "micro", "status": "operating", **extra}


def _hazard(hazard_id: str, enterprise_id: str, found: str, level: str = "general", deadline: str | None = None,
            rectified: str | None = None) -> dict:
    return {"hazard_id": hazard_id, "enterprise_id": enterprise_id, "found_date": found, "level": level,
            "deadline": deadline, "rectified_date": rectified}


FIRMS = [
    _firm("MAJOR"), _firm("MAJOR_RECENT"), _firm("SMALL", small_scattered=True), _firm("REFUSE"),
    _firm("RESTART"), _firm("RESTART_OK"), _firm("RESTART_OTHER"),
    _firm("UPGRADE", sector="hazardous_chemicals"), _firm("NO_MEANS"), _firm("STD"), _firm("NOTHING"),
    _firm("YELLOW"),
]
HAZARDS = [
    _hazard("H1", "MAJOR", "2026-04-01", "major", "2026-05-01"),  # open, 60 days overdue
    _hazard("H2", "MAJOR_RECENT", "2026-06-01", "major", "2026-06-15"),  # open, 15 days overdue
    *[_hazard(f"R{i}", "REFUSE", "2026-03-01", "general", "2026-03-10", "2026-04-01") for i in range(3)],
    *[_hazard(f"U{i}", "UPGRADE", "2026-03-01", "general", "2026-03-20", "2026-03-15") for i in range(3)],
    *[_hazard(f"N{i}", "NO_MEANS", "2026-03-01", "general", "2026-03-20", "2026-03-15") for i in range(3)],
    _hazard("S1", "STD", "2026-06-20", "general", "2026-07-10"),
    _hazard("Y1", "YELLOW", "2026-04-01", "major", "2026-05-01"),
]
EVENTS = [
    {"enterprise_id": "RESTART", "date": "2026-03-01", "status": "suspended", "reason": "rectification_order"},
    {"enterprise_id": "RESTART", "date": "2026-04-01", "status": "operating", "approved": False},
    {"enterprise_id": "RESTART_OK", "date": "2026-03-01", "status": "suspended", "reason": "rectification_order"},
    {"enterprise_id": "RESTART_OK", "date": "2026-04-01", "status": "operating", "approved": True},
    {"enterprise_id": "RESTART_OTHER", "date": "2026-03-01", "status": "suspended", "reason": "power_rationing"},
    {"enterprise_id": "RESTART_OTHER", "date": "2026-04-01", "status": "operating", "approved": False},
]
PENALTIES = [
    {"penalty_id": "P1", "enterprise_id": "STD", "date": "2026-05-01", "kind": "fine", "amount_yuan": 20000.0},
    {"penalty_id": "P2", "enterprise_id": "STD", "date": "2026-06-01", "kind": "fine", "amount_yuan": 10000.0},
]


def tables() -> dict[str, pd.DataFrame]:
    return {
        "towns": frames.typed("towns", [{"town_id": "T1", "name": "城关镇"}]),
        "enterprises": frames.typed("enterprises", FIRMS),
        "inspections": frames.typed("inspections", []),
        "hazards": frames.typed("hazards", HAZARDS),
        "status_events": frames.typed("status_events", EVENTS),
        "penalties": frames.typed("penalties", PENALTIES),
    }


def risk_list(levels: dict[str, str] | None = None, as_of: pd.Timestamp = AS_OF) -> pd.DataFrame:
    ids = [f["enterprise_id"] for f in FIRMS]
    level = {i: "red" for i in ids} | {"YELLOW": "yellow"} | (levels or {})
    return pd.DataFrame({
        "enterprise_id": ids, "as_of": as_of.date().isoformat(), "score": [0.9 - 0.01 * i for i in range(len(ids))],
        "rank": range(1, len(ids) + 1), "risk_level": [level[i] for i in ids], "reasons": "原因",
        "reasons_en": "reason", "contributions": "{}", "model_version": "test-1",
    })


@pytest.fixture(scope="module")
def recommended() -> pd.DataFrame:
    return recommend(tables(), AS_OF, risk_list()).set_index("enterprise_id")


@pytest.mark.parametrize(
    ("enterprise_id", "batch", "rule"),
    [
        ("MAJOR", "close", "major_unrectifiable"),
        ("SMALL", "close", "small_scattered"),
        ("REFUSE", "close", "refuses_rectification"),
        ("RESTART", "close", "unapproved_restart"),
        ("UPGRADE", "upgrade", "weak_management_improving"),
        ("MAJOR_RECENT", "standardise", "rectifiable_hazards"),
        ("STD", "standardise", "rectifiable_hazards"),
        ("RESTART_OK", "review", ""),  # an approved restart is no case
        ("RESTART_OTHER", "review", ""),  # unapproved, but the stop was not a rectification order
        ("NO_MEANS", "review", ""),  # the pattern of upgrade without the means to upgrade
        ("NOTHING", "review", ""),
    ],
)
def test_each_rule_gives_its_batch(recommended: pd.DataFrame, enterprise_id: str, batch: str, rule: str) -> None:
    row = recommended.loc[enterprise_id]
    assert row["recommended"] == batch
    assert row["rules"] == rule


def test_only_red_and_orange_firms_are_listed(recommended: pd.DataFrame) -> None:
    assert "YELLOW" not in recommended.index
    assert len(recommended) == len(FIRMS) - 1


def test_standardise_shows_deadline_follow_up_and_penalty_history(recommended: pd.DataFrame) -> None:
    std = recommended.loc["STD"]
    assert std["deadline"] == pd.Timestamp("2026-07-10") and std["follow_up_date"] == pd.Timestamp("2026-07-17")
    assert std["penalties_zh"] == "近365天处罚 2 次，罚款合计 3 万元，最近一次 2026-06-01"
    assert std["penalties_en"].startswith("2 penalties in 365 days")
    # a passed deadline becomes a fresh one: as_of + 30 days
    assert recommended.loc["MAJOR_RECENT", "deadline"] == pd.Timestamp("2026-07-30")
    assert pd.isna(recommended.loc["MAJOR", "deadline"])  # not a standardise case


def test_evidence_is_bilingual_and_names_the_facts(recommended: pd.DataFrame) -> None:
    assert recommended.loc["MAJOR", "evidence_zh"] == "重大隐患逾期未改 1 项，最长逾期 60 天"
    assert recommended.loc["MAJOR", "evidence_en"] == "1 major hazard(s) open and overdue, longest by 60 days"
    assert "2026-04-01" in recommended.loc["RESTART", "evidence_zh"]
    assert recommended.loc["NOTHING", "evidence_zh"] == "未见明确处置依据，需人工研判"
    assert recommended.loc["UPGRADE", "evidence_en"] == (
        "3 general hazards in 365 days, 100% rectified on time, has the means to upgrade")


def test_every_rule_that_holds_is_evidence_but_close_wins() -> None:
    firms = [_firm("BOTH", small_scattered=True)]
    hazards = [_hazard("B1", "BOTH", "2026-06-20", "general", "2026-07-10")]
    both = {"towns": tables()["towns"], "enterprises": frames.typed("enterprises", firms),
            "hazards": frames.typed("hazards", hazards), "inspections": frames.typed("inspections", [])}
    listed = pd.DataFrame({"enterprise_id": ["BOTH"], "score": [0.5], "rank": [1], "risk_level": ["orange"]})
    row = recommend(both, AS_OF, listed).iloc[0]
    assert row["recommended"] == "close"
    assert row["rules"] == "small_scattered,rectifiable_hazards"
    assert row["evidence_zh"].startswith("属“小散乱污”企业；未整改隐患 1 项")


@pytest.mark.parametrize(("field", "value", "enterprise_id", "batch"), [
    ("major_overdue_days", 90, "MAJOR", "standardise"),  # 60 days overdue is now still rectifiable
    ("close_small_scattered", False, "SMALL", "review"),
    ("refusal_overdue_count", 4, "REFUSE", "review"),
    ("upgrade_hazardous_chemicals", False, "UPGRADE", "review"),
    ("upgrade_sizes", ("micro",), "NO_MEANS", "upgrade"),
    ("levels", ("red", "orange", "yellow"), "YELLOW", "close"),
])
def test_rules_are_configurable(tmp_path, field: str, value: object, enterprise_id: str, batch: str) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({field: value}), encoding="utf-8")
    rules = DispositionRules.from_json(path)
    out = recommend(tables(), AS_OF, risk_list(), rules).set_index("enterprise_id")
    assert out.loc[enterprise_id, "recommended"] == batch


def test_unknown_rule_keys_are_refused(tmp_path) -> None:
    path = tmp_path / "rules.json"
    path.write_text('{"major_overdue": 5}', encoding="utf-8")
    with pytest.raises(UserError, match="major_overdue"):
        DispositionRules.from_json(path)


def test_later_records_do_not_count(recommended: pd.DataFrame) -> None:
    early = recommend(tables(), pd.Timestamp("2026-03-31"), risk_list()).set_index("enterprise_id")
    assert early.loc["RESTART", "recommended"] == "review"  # the restart of 2026-04-01 is not known yet
    assert early.loc["MAJOR", "recommended"] == "review"  # H1 was found on 2026-04-01


# --- the store: a confirmed decision survives re-scoring ---------------------------------------
@pytest.fixture
def store(tmp_path):
    from analytics.risk.risklist import save_risk_list
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables

    opened = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    write_tables(opened, tables())
    save_risk_list(opened, risk_list())
    return opened


def test_a_confirmed_decision_survives_rescoring(store) -> None:
    from analytics.accounts.users import User
    from analytics.accounts.audit import search
    from analytics.risk.risklist import save_risk_list

    office = User("wang", "office", None, "王科长")
    first = disposition_list(store)
    assert (first["state"] == "pending").all()
    assert first.set_index("enterprise_id").loc["STD", "decision"] == "standardise"
    confirm(store, "STD", "upgrade", user=office, recommended="standardise", as_of=AS_OF, note="已约谈")
    confirm(store, "MAJOR", "close", user=office, recommended="close", as_of=AS_OF)

    # re-scored a week later: STD drops to yellow, a new list replaces nothing of the decision
    later = AS_OF + pd.Timedelta(days=7)
    save_risk_list(store, risk_list({"STD": "yellow"}, as_of=later))
    rows = disposition_list(store).set_index("enterprise_id")
    assert rows["as_of"].iloc[0] == later
    assert rows.loc["STD", ["decision", "state", "decided_by", "note"]].tolist() == ["upgrade", "changed", "wang", "已约谈"]
    assert rows.loc["STD", "risk_level"] == "yellow"  # kept on the list: it was decided in this campaign
    assert rows.loc["MAJOR", ["decision", "state"]].tolist() == ["close", "confirmed"]
    assert rows.loc["SMALL", "state"] == "pending"
    assert decisions(store, "other-campaign").empty
    assert len(search(store, {"action": "disposition"})) == 2


def test_deciding_again_replaces_and_bad_input_is_refused(store) -> None:
    from analytics.accounts.users import Forbidden, User

    confirm(store, "STD", "close")
    confirm(store, "STD", "standardise")
    stored = decisions(store)
    assert stored["decision"].tolist() == ["standardise"] and stored["decided_by"].tolist() == ["cli"]
    with pytest.raises(UserError):
        confirm(store, "STD", "demolish")
    with pytest.raises(Forbidden):
        confirm(store, "STD", "close", user=User("li", "analyst", None, "李"))


def test_inspector_sees_nothing_until_planning_names_their_enterprises(store) -> None:
    from analytics.accounts.users import User

    rows = disposition_list(store, user=User("zhao", "inspector", "第1组", "赵"))
    try:
        from analytics.operations.plans_store import visits_for

        team = set(visits_for(store, User("zhao", "inspector", "第1组", "赵"))["enterprise_id"].astype(str))
    except ImportError:
        team = set()
    assert set(rows["enterprise_id"]) == team & set(disposition_list(store)["enterprise_id"])


def test_workbook_has_list_summary_and_rules(store) -> None:
    import io

    frame = disposition_list(store)
    sheets = pd.read_excel(io.BytesIO(excel_bytes(frame)), sheet_name=None)
    assert list(sheets) == ["三个一批", "汇总", "规则"]
    assert len(sheets["三个一批"]) == len(frame)
    assert sheets["汇总"]["企业数"].sum() == len(frame)
    assert set(sheets["三个一批"]["系统建议"]) <= {"规范达标", "改造提升", "关停取缔", "待研判"}
    assert set(BATCH_CODES) == {"standardise", "upgrade", "close", "review"}


@pytest.mark.postgres
def test_decisions_on_postgresql(pg_url) -> None:
    from analytics.risk.risklist import save_risk_list
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables

    store = open_store(pg_url)
    write_tables(store, tables())
    save_risk_list(store, risk_list())
    confirm(store, "REFUSE", "close", recommended="close", as_of=AS_OF, campaign="pg")
    confirm(store, "REFUSE", "upgrade", recommended="close", as_of=AS_OF, campaign="pg")
    rows = disposition_list(store, campaign="pg").set_index("enterprise_id")
    assert rows.loc["REFUSE", ["decision", "state"]].tolist() == ["upgrade", "changed"]
    assert len(decisions(store, "pg")) == 1


def test_cli_writes_the_workbook_in_either_language(store, tmp_path, capsys) -> None:
    from saferank.cli import main

    url = str(store.engine.url)
    rules = tmp_path / "rules.json"
    rules.write_text('{"close_small_scattered": false}', encoding="utf-8")
    assert main(["dispositions", "--db", url, "--out", str(tmp_path / "d.xlsx"), "--rules", str(rules)]) == 0
    assert capsys.readouterr().out.startswith("三个一批（2026-06-30）：规范达标 2 家，改造提升 1 家，关停取缔 3 家，待研判 5 家。")
    assert main(["dispositions", "--db", url, "--out", str(tmp_path / "d.xlsx"), "--lang", "en"]) == 0
    assert list(pd.read_excel(tmp_path / "d.xlsx", sheet_name=None)) == ["Dispositions", "Summary", "Rules"]
