"""The people list: exactly the operations, crews and vessels its rules name, ranked by exposure."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.contract import frames
from analytics.operations.lists import PEOPLE_COLUMNS, people_list

AS_OF = pd.Timestamp("2026-06-30")  # window: 2026-06-01 .. 2026-06-30


def _op(permit_id, enterprise_id, start, end, operators, certified, kind="hot_work", contractor=None) -> dict:
    return {"permit_id": permit_id, "enterprise_id": enterprise_id, "kind": kind, "start_date": start, "end_date": end,
            "operators": operators, "certified_operators": certified, "contractor": contractor}


def _contract(contract_id, enterprise_id, contractor, start, end, qualified) -> dict:
    return {"contract_id": contract_id, "enterprise_id": enterprise_id, "contractor": contractor, "start_date": start,
            "end_date": end, "contractor_qualified": qualified}


def _alert(alert_id, kind, start, end, town=None) -> dict:
    return {"alert_id": alert_id, "kind": kind, "level": "orange", "start_date": start, "end_date": end, "town_id": town}


def tables() -> dict[str, pd.DataFrame]:
    firms = [
        {"enterprise_id": e, "name": f"企业{e}", "town_id": "T1", "sector": "industry_trade", "status": "operating"}
        for e in ("E1", "E2", "E3")
    ] + [
        {"enterprise_id": "V1", "name": "渔船1", "town_id": "T1", "sector": "fishing_vessels", "crew": 10, "status": "operating"},
        {"enterprise_id": "V2", "name": "渔船2", "town_id": "T2", "sector": "fishing_vessels", "crew": 8, "status": "operating"},
        {"enterprise_id": "V3", "name": "渔船3", "town_id": "T1", "sector": "fishing_vessels", "status": "operating"},
        {"enterprise_id": "V4", "name": "渔船4", "town_id": "T1", "sector": "fishing_vessels", "crew": 9, "status": "suspended"},
    ]
    operations = [
        _op("P1", "E1", "2026-06-10", "2026-06-12", 4, 2),  # 4 people × 3 days
        _op("P2", "E1", "2026-06-10", "2026-06-10", 3, 3, kind="lifting"),  # all certified
        _op("P3", "E1", "2026-05-01", "2026-05-02", 5, 0),  # before the window
        _op("P4", "E2", "2026-05-25", "2026-06-05", 2, 1, kind="maintenance"),  # 2 × 5 days in the window
        _op("P5", "E2", "2026-07-02", "2026-07-02", 2, 0),  # after as_of: not known yet
        _op("P6", "E3", "2026-06-20", "2026-06-21", 6, 6, contractor="坏队"),  # certified, but an unqualified crew
        _op("P7", "E2", "2026-06-10", "2026-06-11", 3, None),  # certification unknown
    ]
    contracts = [
        _contract("C1", "E3", "坏队", "2026-06-15", "2026-12-31", False),  # 6 people (P6) × 16 days
        _contract("C2", "E3", "好队", "2026-06-01", "2026-12-31", True),
        _contract("C3", "E1", "无名队", "2026-01-01", "2026-03-01", False),  # ended before the window
        _contract("C4", "E2", "散队", "2026-06-25", "2026-07-10", False),  # no permit: 1 person × 6 days
        _contract("C5", "E2", "未知队", "2026-06-01", "2026-06-30", None),  # qualification unknown
    ]
    alerts = [
        _alert("A1", "gale", "2026-06-20", "2026-06-22", "T1"),
        _alert("A2", "cold_wave", "2026-06-22", "2026-06-23"),  # county-wide; 06-22 overlaps A1
        _alert("A3", "rainstorm", "2026-06-10", "2026-06-12", "T2"),  # not a gale or cold wave
        _alert("A4", "gale", "2026-05-01", "2026-05-03", "T2"),  # before the window
    ]
    return {
        "towns": frames.typed("towns", [{"town_id": "T1", "name": "沿海镇", "coastal": True}, {"town_id": "T2", "name": "港口镇"}]),
        "enterprises": frames.typed("enterprises", firms),
        "inspections": frames.typed("inspections", []),
        "hazards": frames.typed("hazards", []),
        "special_operations": frames.typed("special_operations", operations),
        "contracts": frames.typed("contracts", contracts),
        "weather_alerts": frames.typed("weather_alerts", alerts),
    }


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return people_list(tables(), AS_OF)


def test_exactly_the_matching_records_ranked_by_exposure(people: pd.DataFrame) -> None:
    got = people[["rank", "kind", "enterprise_id", "people", "days", "exposure", "permit_ids", "contract_ids", "alert_ids"]]
    expected = [
        (1, "unqualified_contractor", "E3", 6, 16, 96, "P6", "C1", ""),
        (2, "vessel_alert", "V1", 10, 4, 40, "", "", "A1, A2"),
        (3, "vessel_alert", "V2", 8, 2, 16, "", "", "A2"),
        (4, "uncertified_operation", "E1", 4, 3, 12, "P1", "", ""),
        (5, "uncertified_operation", "E2", 2, 5, 10, "P4", "", ""),
        (6, "unqualified_contractor", "E2", 1, 6, 6, "", "C4", ""),
        (7, "vessel_alert", "V3", 1, 4, 4, "", "", "A1, A2"),
    ]
    assert [tuple(r) for r in got.itertuples(index=False)] == expected
    assert list(people.columns) == list(PEOPLE_COLUMNS)


def test_rows_name_the_enterprise_and_say_why_in_both_languages(people: pd.DataFrame) -> None:
    rows = people.set_index(["kind", "enterprise_id"])
    assert rows.loc[("uncertified_operation", "E1"), "name"] == "企业E1"
    assert rows.loc[("uncertified_operation", "E1"), "evidence_zh"] == "动火作业 4 人，其中无证 2 人"
    assert rows.loc[("uncertified_operation", "E1"), "evidence_en"] == "Hot work: 4 operators, 2 uncertified"
    assert rows.loc[("vessel_alert", "V1"), "evidence_zh"] == "大风、寒潮预警期间在海 4 天，船员 10 人"
    assert rows.loc[("vessel_alert", "V3"), "evidence_en"].endswith("crew unknown (counted as 1)")
    assert rows.loc[("unqualified_contractor", "E2"), "evidence_zh"] == "外包单位“散队”资质不合规，人数不详（按 1 人计）"
    assert rows.loc[("vessel_alert", "V1"), ["first_day", "last_day"]].tolist() == [
        pd.Timestamp("2026-06-20"), pd.Timestamp("2026-06-23")]


def test_a_shorter_window_drops_older_records() -> None:
    short = people_list(tables(), AS_OF, window_days=10)  # 2026-06-21 .. 2026-06-30
    assert set(zip(short["kind"], short["enterprise_id"], short["days"], strict=True)) == {
        ("unqualified_contractor", "E3", 10), ("vessel_alert", "V1", 3), ("vessel_alert", "V2", 2),
        ("unqualified_contractor", "E2", 6), ("vessel_alert", "V3", 3),
    }


def test_without_the_optional_tables_the_list_is_empty() -> None:
    base = {k: v for k, v in tables().items() if k in ("towns", "enterprises", "inspections", "hazards")}
    empty = people_list(base, AS_OF)
    assert empty.empty and list(empty.columns) == list(PEOPLE_COLUMNS)


def test_cli_people_and_places(tmp_path, capsys) -> None:
    from saferank.cli import main
    from analytics.risk.risklist import save_risk_list
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables

    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(url)
    write_tables(store, tables())
    assert main(["places", "--db", url, "--out", str(tmp_path / "p.xlsx")]) == 2  # no risk list yet
    assert "尚无风险清单" in capsys.readouterr().err
    ids = tables()["enterprises"]["enterprise_id"].astype(str).tolist()
    save_risk_list(store, pd.DataFrame({
        "enterprise_id": ids, "as_of": "2026-06-30", "score": 0.1, "rank": range(1, len(ids) + 1),
        "risk_level": "blue", "reasons": "", "reasons_en": "", "contributions": "{}", "model_version": "t"}))
    assert main(["people", "--db", url, "--out", str(tmp_path / "people.xlsx")]) == 0
    assert "人群清单（2026-06-30）：7 行" in capsys.readouterr().out
    sheet = pd.read_excel(tmp_path / "people.xlsx", sheet_name="人群清单", header=1)  # under the cover row
    assert sheet["暴露（人×天）"].tolist() == [96, 40, 16, 12, 10, 6, 4]
    assert main(["places", "--db", url, "--out", str(tmp_path / "p.xlsx"), "--lang", "en"]) == 0
    assert "Places list (2026-06-30): 0 rows" in capsys.readouterr().out


def test_rows_that_read_alike_collapse_into_one_with_their_count(people: pd.DataFrame) -> None:
    """Issue 18 item 7: the people list's top rows were 13 identical lines (same firm, crew, days and
    evidence; only the permit differs): they become one row with a count and every permit."""
    from analytics.operations.lists import GROUPED_PEOPLE_COLUMNS, group_people

    e1 = people.loc[people["enterprise_id"] == "E1"]
    twins = pd.concat([people, e1.assign(permit_ids="P9"), e1.assign(permit_ids="P7")], ignore_index=True)
    grouped = group_people(twins)
    assert list(grouped.columns) == list(GROUPED_PEOPLE_COLUMNS) and len(grouped) == len(people)
    row = grouped.loc[grouped["enterprise_id"] == "E1"].iloc[0]
    assert (row["records"], row["permit_ids"], row["exposure"], row["people"], row["days"]) == (3, "P1, P7, P9", 36, 4, 3)
    assert grouped["rank"].tolist() == list(range(1, len(people) + 1))
    assert grouped.set_index("enterprise_id").loc["E1", "rank"] == 3  # 36 person-days: after 96 and 40, before 16
    assert grouped["exposure"].sum() == twins["exposure"].sum()  # nobody dropped
    alone = group_people(people)
    assert (alone["records"] == 1).all()
    pd.testing.assert_frame_equal(alone.drop(columns="records"), people, check_dtype=False)
    assert group_people(people.iloc[:0]).empty
