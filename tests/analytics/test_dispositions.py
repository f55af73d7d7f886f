"""三个一批: each batch rule on hand-made firms, evidence and deadlines, decisions that survive re-scoring."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    _firm("YELLOW"), _firm("MAJOR_SEEN"), _firm("PENALISED"),
]
HAZARDS = [
    _hazard("H1", "MAJOR", "2026-04-01", "major", "2026-05-01"),  # open, 60 days overdue
    _hazard("H2", "MAJOR_RECENT", "2026-06-01", "major", "2026-06-15"),  # open, 15 days overdue
    *[_hazard(f"R{i}", "REFUSE", "2026-03-01", "general", "2026-03-10", "2026-04-01") for i in range(3)],
    *[_hazard(f"U{i}", "UPGRADE", "2026-03-01", "general", "2026-03-20", "2026-03-15") for i in range(3)],
    *[_hazard(f"N{i}", "NO_MEANS", "2026-03-01", "general", "2026-03-20", "2026-03-15") for i in range(3)],
    _hazard("S1", "STD", "2026-06-20", "general", "2026-07-10"),
    _hazard("Y1", "YELLOW", "2026-04-01", "major", "2026-05-01"),
    _hazard("M1", "MAJOR_SEEN", "2026-04-01", "major", "2026-05-01"),  # open, 60 days overdue, seen open on 06-10
    _hazard("P1", "PENALISED", "2026-06-01", "major", "2026-07-15"),  # open major hazard, not yet due
]
INSPECTIONS = [
    {"inspection_id": "I1", "enterprise_id": "MAJOR_SEEN", "date": "2026-06-10", "mode": "follow_up"},
    {"inspection_id": "I2", "enterprise_id": "MAJOR", "date": "2026-04-01"},  # before the deadline: no follow-up
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
    *[{"penalty_id": f"PP{i}", "enterprise_id": "PENALISED", "date": f"2026-0{3 + i}-10", "kind": "fine",
       "amount_yuan": 5000.0} for i in range(3)],
]


def tables() -> dict[str, pd.DataFrame]:
    return {
        "towns": frames.typed("towns", [{"town_id": "T1", "name": "城关镇"}]),
        "enterprises": frames.typed("enterprises", FIRMS),
        "inspections": frames.typed("inspections", INSPECTIONS),
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
        # closure only on a legal ground (安全生产法 第七十条、第一百一十三条)
        ("MAJOR_SEEN", "close", "major_not_rectified"),
        ("PENALISED", "close", "repeated_penalties_major,rectifiable_hazards"),
        ("RESTART", "close", "unapproved_restart"),
        # a high score, an overdue major hazard no one has followed up, a 小散乱污 firm, late rectification:
        # evidence, never closure on its own
        ("MAJOR", "standardise", "rectifiable_hazards"),
        ("SMALL", "review", "small_scattered"),
        ("REFUSE", "review", "late_rectification"),
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


def test_a_high_score_without_a_legal_ground_is_not_closed(recommended: pd.DataFrame) -> None:
    """MAJOR ranks first (score 0.9) with a major hazard 60 days overdue that no inspection has seen since
    its deadline: none of the grounds of 第一百一十三条 is recorded, so it is standardised, not closed."""
    assert recommended.loc["MAJOR", "rank"] == 1
    assert recommended.loc["MAJOR", "recommended"] == "standardise"
    closed = recommended.loc[recommended["recommended"] == "close"]
    assert set(closed.index) == {"MAJOR_SEEN", "PENALISED", "RESTART"}


def test_town_names_not_codes(recommended: pd.DataFrame) -> None:
    from analytics.operations.dispositions import labelled

    shown = labelled(recommended.reset_index().assign(decision=lambda f: f["recommended"], state="pending",
                                                       decided_at=None, decided_by=None, note=""))
    assert set(shown["镇街"]) == {"城关镇"}
    assert "T1" not in shown.to_string()


def test_standardise_shows_deadline_follow_up_and_penalty_history(recommended: pd.DataFrame) -> None:
    std = recommended.loc["STD"]
    assert std["deadline"] == pd.Timestamp("2026-07-10") and std["follow_up_date"] == pd.Timestamp("2026-07-17")
    assert std["penalties_zh"] == "近365天处罚 2 次，罚款合计 3 万元，最近一次 2026-06-01"
    assert std["penalties_en"].startswith("2 penalties in 365 days")
    # a passed deadline becomes a fresh one: as_of + 30 days
    assert recommended.loc["MAJOR_RECENT", "deadline"] == pd.Timestamp("2026-07-30")
    assert pd.isna(recommended.loc["MAJOR_SEEN", "deadline"])  # not a standardise case


def test_evidence_is_bilingual_and_names_the_facts(recommended: pd.DataFrame) -> None:
    assert recommended.loc["MAJOR_SEEN", "evidence_zh"] == "重大隐患逾期 60 天，期限后检查仍未整改 1 项"
    assert recommended.loc["MAJOR_SEEN", "evidence_en"] == (
        "1 major hazard still open at an inspection after the deadline, overdue 60 days")
    assert recommended.loc["PENALISED", "evidence_zh"].startswith("存在重大隐患，180日内处罚 3 次、一年内 3 次")
    assert "2026-04-01" in recommended.loc["RESTART", "evidence_zh"]
    assert recommended.loc["NOTHING", "evidence_zh"] == "未见明确处置依据，需人工研判"
    assert recommended.loc["UPGRADE", "evidence_en"] == (
        "3 general hazards in 365 days, 100% rectified on time, has the means to upgrade")


def test_every_rule_that_holds_is_evidence_and_small_scattered_alone_closes_nothing() -> None:
    firms = [_firm("BOTH", small_scattered=True)]
    hazards = [_hazard("B1", "BOTH", "2026-06-20", "general", "2026-07-10")]
    both = {"towns": tables()["towns"], "enterprises": frames.typed("enterprises", firms),
            "hazards": frames.typed("hazards", hazards), "inspections": frames.typed("inspections", [])}
    listed = pd.DataFrame({"enterprise_id": ["BOTH"], "score": [0.5], "rank": [1], "risk_level": ["orange"]})
    row = recommend(both, AS_OF, listed).iloc[0]
    assert row["recommended"] == "standardise"
    assert row["rules"] == "rectifiable_hazards,small_scattered"
    assert row["evidence_zh"].startswith("未整改隐患 1 项")
    assert "属“小散乱污”企业" in row["evidence_zh"]


@pytest.mark.parametrize(("field", "value", "enterprise_id", "batch"), [
    ("major_overdue_days", 90, "MAJOR_SEEN", "standardise"),  # 60 days overdue is now still rectifiable
    ("penalty_count_short", 4, "PENALISED", "standardise"),
    ("restart_window_days", 30, "RESTART", "review"),
    ("upgrade_hazardous_chemicals", False, "UPGRADE", "review"),
    ("upgrade_sizes", ("micro",), "NO_MEANS", "upgrade"),
    ("levels", ("red", "orange", "yellow"), "YELLOW", "standardise"),
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
    assert early.loc["PENALISED", "recommended"] == "review"  # its major hazard was found on 2026-06-01


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
    workbook = excel_bytes(frame)
    assert pd.read_excel(io.BytesIO(workbook), header=None).iloc[0, 0].startswith("三个一批 2026-06-30 · ")  # the cover row
    sheets = pd.read_excel(io.BytesIO(workbook), sheet_name=None, header=1)
    assert list(sheets) == ["三个一批", "汇总", "规则"]
    assert len(sheets["三个一批"]) == len(frame)
    assert sheets["汇总"]["企业数"].sum() == len(frame)
    assert sheets["汇总"]["占比"].sum() == pytest.approx(1.0)
    rules = sheets["规则"].astype(str).to_string()
    assert "(" not in rules.replace("（", "") and "'" not in rules  # no Python tuple text
    assert "red、orange" in rules and "第一百一十三条" in rules and "关停取缔" in rules
    assert "城关镇" in set(sheets["三个一批"]["镇街"]) and "T1" not in sheets["三个一批"].to_string()
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
    rules.write_text('{"penalty_count_short": 9}', encoding="utf-8")
    assert main(["dispositions", "--db", url, "--out", str(tmp_path / "d.xlsx"), "--rules", str(rules)]) == 0
    assert capsys.readouterr().out.startswith("三个一批（2026-06-30）：规范达标 4 家，改造提升 1 家，关停取缔 2 家，待研判 6 家。")
    assert main(["dispositions", "--db", url, "--out", str(tmp_path / "d.xlsx"), "--lang", "en"]) == 0
    assert list(pd.read_excel(tmp_path / "d.xlsx", sheet_name=None)) == ["Dispositions", "Summary", "Rules"]


@given(st.lists(st.sampled_from(BATCH_CODES), max_size=60))
@settings(max_examples=60, deadline=None)
def test_batch_shares_count_every_firm_and_sum_to_100(decided: list[str]) -> None:
    from analytics.operations.dispositions import batch_shares, share_text

    shares = batch_shares(pd.DataFrame({"decision": decided}))
    assert list(shares.index) == list(BATCH_CODES) and shares["count"].sum() == len(decided)
    assert shares["share"].sum() == pytest.approx(100.0 if decided else 0.0)
    assert share_text(pd.DataFrame({"decision": decided}), "en").count("%") == len(BATCH_CODES)
