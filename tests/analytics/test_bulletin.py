"""The group bulletin: hand-checked team and town figures, totals equal to plain counts of the store."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from analytics.contract import frames
from analytics.operations.bulletin import COUNTS, bulletin_store, group_bulletin
from analytics.contract.errors import UserError

START, END = pd.Timestamp("2026-06-01"), pd.Timestamp("2026-06-30")


def _inspection(inspection_id, enterprise_id, date, team, mode="routine") -> dict:
    return {"inspection_id": inspection_id, "enterprise_id": enterprise_id, "date": date, "team": team, "mode": mode}


def _hazard(hazard_id, enterprise_id, inspection_id, found, level, deadline, rectified=None) -> dict:
    return {"hazard_id": hazard_id, "enterprise_id": enterprise_id, "inspection_id": inspection_id, "found_date": found,
            "level": level, "deadline": deadline, "rectified_date": rectified}


def tables() -> dict[str, pd.DataFrame]:
    return {
        "towns": frames.typed("towns", [{"town_id": "T1", "name": "城关镇"}, {"town_id": "T2", "name": "沿海镇"}]),
        "enterprises": frames.typed("enterprises", [
            {"enterprise_id": e, "name": f"企业{e}", "town_id": t, "sector": "gas"} for e, t in
            (("E1", "T1"), ("E2", "T1"), ("E3", "T2"))]),
        "inspections": frames.typed("inspections", [
            _inspection("I0", "E1", "2026-05-20", "第1组"),  # before the period
            _inspection("I1", "E1", "2026-06-02", "第1组"),
            _inspection("I2", "E2", "2026-06-05", "第1组", "targeted"),
            _inspection("I3", "E3", "2026-06-10", "第2组"),
            _inspection("I4", "E3", "2026-06-20", "第2组", "follow_up"),
            _inspection("I5", "E1", "2026-06-25", None),
            _inspection("I6", "E2", "2026-07-02", "第1组"),  # after the period
        ]),
        "hazards": frames.typed("hazards", [
            _hazard("H1", "E1", "I1", "2026-06-02", "general", "2026-06-10", "2026-06-08"),  # on time
            _hazard("H2", "E1", "I1", "2026-06-02", "major", "2026-06-20", "2026-06-25"),  # late
            _hazard("H3", "E2", "I2", "2026-06-05", "general", "2026-06-15"),  # overdue
            _hazard("H4", "E3", "I3", "2026-06-10", "general", "2026-07-10"),  # open, not due
            _hazard("H5", "E3", "I3", "2026-06-10", "major", "2026-06-20", "2026-07-05"),  # overdue at the end
            _hazard("H6", "E1", "I0", "2026-05-20", "general", "2026-05-30"),  # before the period
            _hazard("H7", "E1", None, "2026-06-25", "general", "2026-06-28", "2026-06-27"),  # no team
        ]),
        "penalties": frames.typed("penalties", [
            {"penalty_id": "PN1", "enterprise_id": "E1", "date": "2026-06-03", "kind": "fine", "amount_yuan": 5000},
            {"penalty_id": "PN2", "enterprise_id": "E3", "date": "2026-06-12", "kind": "warning"},
            {"penalty_id": "PN3", "enterprise_id": "E2", "date": "2026-06-01", "kind": "warning"},  # no inspection before
            {"penalty_id": "PN4", "enterprise_id": "E3", "date": "2026-07-01", "kind": "fine"},  # after the period
        ]),
    }


@pytest.fixture(scope="module")
def bulletin():
    return group_bulletin(tables(), START, END)


def test_teams_hand_checked_and_ranked_by_rectification_rate(bulletin) -> None:
    teams = bulletin.teams.set_index("team")
    assert teams.index.tolist() == ["—", "第1组", "第2组"]  # rates 1, 2/3, 0
    assert teams["place"].tolist() == [1, 2, 3]
    # overdue 2: H3, and H6 found before the period (overdue is the stock on END, as on the overview)
    assert teams.loc["第1组", list(COUNTS)].tolist() == [2, 2, 3, 2, 1, 2, 1, 2, 0, 1]
    assert teams.loc["第2组", list(COUNTS)].tolist() == [2, 1, 2, 1, 1, 0, 0, 1, 1, 1]
    assert teams.loc["—", list(COUNTS)].tolist() == [1, 1, 1, 1, 0, 1, 1, 0, 0, 1]
    assert teams.loc["第1组", "rate"] == pytest.approx(2 / 3)


def test_towns_hand_checked(bulletin) -> None:
    towns = bulletin.towns.set_index("town")
    assert towns.index.tolist() == ["城关镇", "沿海镇"]
    assert towns.loc["城关镇", ["visits", "enterprises", "hazards", "rectified", "penalties"]].tolist() == [3, 2, 4, 3, 2]
    assert towns.loc["沿海镇", "rate"] == 0


def test_headline_in_the_speech_s_own_terms(bulletin) -> None:
    assert bulletin.headline("zh") == "检查企业 3 家，发现隐患 6 项，其中重大隐患 2 项，已整改 3 项，整改率 50.0%"
    assert bulletin.headline("en") == (
        "3 enterprises inspected, 6 hazards found, of which 2 major; 3 rectified, rectification rate 50.0%")


def test_english_counts_of_one_are_singular(bulletin) -> None:
    one = type(bulletin)(bulletin.start, bulletin.end, bulletin.totals.replace(bulletin.totals.to_numpy(), 1),
                         bulletin.teams, bulletin.towns)
    assert one.headline("en").startswith("1 enterprise inspected, 1 hazard found,")
    assert one.details("en") == ("1 inspection visit, 1 follow-up among them; 1 hazard rectified on time, 1 overdue; "
                                 "1 penalty imposed.")


def _plain_counts(t: dict[str, pd.DataFrame], start: pd.Timestamp, end: pd.Timestamp) -> dict[str, int]:
    """The same figures straight from the tables with plain pandas (no analytics code)."""
    visits = t["inspections"][(t["inspections"]["date"] >= start) & (t["inspections"]["date"] <= end)]
    found = t["hazards"][(t["hazards"]["found_date"] >= start) & (t["hazards"]["found_date"] <= end)]
    fixed = found["rectified_date"].notna() & (found["rectified_date"] <= end)
    in_time = fixed & (found["deadline"].isna() | (found["rectified_date"] <= found["deadline"]))
    known = t["hazards"][t["hazards"]["found_date"] <= end]  # overdue: every hazard known on END, whenever found
    late_open = ~(known["rectified_date"].notna() & (known["rectified_date"] <= end)) & known["deadline"].notna() & (
        known["deadline"] < end)
    penalties = t["penalties"][(t["penalties"]["date"] >= start) & (t["penalties"]["date"] <= end)]
    return {
        "visits": len(visits), "enterprises": visits["enterprise_id"].nunique(), "hazards": len(found),
        "general": int((found["level"] == "general").sum()), "major": int((found["level"] == "major").sum()),
        "rectified": int(fixed.sum()), "on_time": int(in_time.sum()), "overdue": int(late_open.sum()),
        "follow_ups": int((visits["mode"] == "follow_up").sum()), "penalties": len(penalties),
    }


@pytest.mark.parametrize(("start", "end"), [(START, END), ("2026-05-01", "2026-07-31"), ("2026-06-10", "2026-06-10")])
def test_totals_equal_plain_counts_of_the_store(tmp_path, start, end) -> None:
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables

    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    write_tables(store, tables())
    report = bulletin_store(store, start, end, tmp_path / "b.xlsx", html_path=tmp_path / "b.html")
    expected = _plain_counts(tables(), pd.Timestamp(start), pd.Timestamp(end))
    assert {c: int(report.bulletin.totals[c]) for c in COUNTS} == expected
    # the teams and the towns add up to the totals (each record in exactly one group)
    for frame in (report.bulletin.teams, report.bulletin.towns):
        summed = frame[[c for c in COUNTS if c != "enterprises"]].sum()
        assert summed.to_dict() == {c: v for c, v in expected.items() if c != "enterprises"}
    sheets = pd.read_excel(io.BytesIO((tmp_path / "b.xlsx").read_bytes()), sheet_name=None, header=1)  # under the cover row
    assert list(sheets) == ["通报", "合计", "检查组", "镇街"]
    assert sheets["合计"].set_index("项目").loc["发现隐患（项）", "数值"] == expected["hazards"]
    assert [p.name for p in report.written] == ["b.xlsx", "b.html", "b.en.html"]


def test_printable_pages_in_both_languages(bulletin) -> None:
    page = bulletin.html("zh")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http" not in page
    assert "安全生产检查情况通报" in page and "2026年06月01日至2026年06月30日" in page
    assert bulletin.headline("zh") in page and page.count("<tr>") == 1 + 3 + 1 + 2
    english = bulletin.html("en")
    assert "Work-safety inspection bulletin" in english and "Inspection team" in english


def test_end_before_start_is_refused() -> None:
    with pytest.raises(UserError):
        group_bulletin(tables(), END, START)


def test_cli_writes_the_workbook_and_both_pages(tmp_path, capsys) -> None:
    from saferank.cli import main
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables

    url = f"sqlite:///{tmp_path / 'store.db'}"
    write_tables(open_store(url), tables())
    code = main(["bulletin", "--db", url, "--start", "2026-06-01", "--end", "2026-06-30", "--out",
                 str(tmp_path / "b.xlsx"), "--html", str(tmp_path / "b.html")])
    assert code == 0 and "检查企业 3 家，发现隐患 6 项" in capsys.readouterr().out
    assert (tmp_path / "b.en.html").read_text(encoding="utf-8").count("<table>") == 2
    assert main(["bulletin", "--db", url, "--start", "2026-06-30", "--end", "2026-06-01", "--out",
                 str(tmp_path / "x.xlsx"), "--lang", "en"]) == 2
    assert "end date is before" in capsys.readouterr().err
