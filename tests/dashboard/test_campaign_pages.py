"""The campaign pages (三个一批, places, people, bulletin) on the tiny hand-made county.

The app is created first (pages cannot be imported before it); callbacks are then called as plain
functions with the page data layer pointed at the hand-made tables and list, and a SQLite store of
the test's own for the decisions.
"""

from __future__ import annotations

import importlib
import io

import dash
import pandas as pd
import pytest
import summary_county as county

PAGES = ("dispositions", "places", "people", "bulletin")


@pytest.fixture(scope="module")
def pages() -> dict[str, object]:
    dash.Dash("dashboard", use_pages=True, pages_folder="", serve_locally=True)
    return {name: importlib.import_module(f"dashboard.pages.{name}") for name in PAGES}


@pytest.fixture
def audited(monkeypatch: pytest.MonkeyPatch, tmp_path) -> list[tuple]:
    from analytics.accounts.users import User
    from analytics.store.database import open_store
    from dashboard import auth
    from dashboard.components import data

    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    calls: list[tuple] = []
    data.clear()
    monkeypatch.setattr(data, "_store_key", lambda: "tiny-county")
    monkeypatch.setattr(data, "store", lambda: store)
    monkeypatch.setattr(data, "tables", county.tables)
    monkeypatch.setattr(data, "scored_dates", lambda: [county.AS_OF])
    monkeypatch.setattr(data, "risk_list", lambda as_of, lang="zh", model_version=None: county.risk_list())
    monkeypatch.setattr(auth, "current_user", lambda: User("wang", "office", None, "王科长"))
    monkeypatch.setattr(auth, "audit", lambda action, object_id=None, **details: calls.append((action, object_id, details)))
    yield calls
    data.clear()


def _texts(component: object) -> list[str]:
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [t for c in component for t in _texts(c)]
    children = getattr(component, "children", None)
    return _texts(children) if children is not None else []


def _ids(component: object) -> list[str]:
    own = [component.id] if isinstance(getattr(component, "id", None), str) else []
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        return own + [i for c in children for i in _ids(c)]
    return own + (_ids(children) if children is not None and not isinstance(children, str) else [])


@pytest.mark.parametrize("name", PAGES)
def test_every_id_carries_its_page_prefix(pages: dict, audited: list, name: str) -> None:
    layout = pages[name].layout(lang="en")
    ids = _ids(layout)
    assert ids and all(i.startswith(f"{pages[name].PREFIX}-") for i in ids)


def test_dispositions_rows_confirm_and_export(pages: dict, audited: list) -> None:
    page = pages["dispositions"]
    rows, count = page.show_rows("2026-03-01", ["standardise", "upgrade", "close", "review"], 0, "zh")
    assert [r["enterprise_id"] for r in rows] == ["E1", "E2"]  # E3 is blue
    assert count == ("共 2 家企业 · 全部 2 家：规范达标 2 家（100.0%）、改造提升 0 家（0.0%）、"
                     "关停取缔 0 家（0.0%）、待研判 0 家（0.0%）")  # each batch's share of the whole list
    e1 = rows[0]
    assert [r["town_name"] for r in rows] == ["城关镇", "城关镇"] and "T1" not in str(rows)  # names, not codes
    assert e1["recommended"] == "规范达标" and e1["state"] == "待确认"
    assert e1["deadline"] == "2026-03-31" and e1["follow_up_date"] == "2026-04-07"
    assert e1["penalties"] == "近365天处罚 1 次，罚款合计 2 万元，最近一次 2026-01-10"
    assert page.pick([e1], "zh")[1] == "standardise"
    panel = " ".join(_texts(page.show_evidence([e1], "zh")))  # the selected firm's evidence beside the grid
    assert "甲矿业（E1）" in panel and "城关镇" in panel and "限期 2026-03-31 前整改" in panel
    assert "第一百一十三条" in panel  # the closure rule and its source
    assert "选中一家企业" in " ".join(_texts(page.show_evidence([], "zh")))
    assert "Select a firm" in " ".join(_texts(page.show_evidence(None, "en")))

    message, saved = page.save(1, [e1], "close", "拒不整改", "2026-03-01", 0, "zh")
    assert message == "已保存：甲矿业 → 关停取缔" and saved == 1
    rows, _ = page.show_rows("2026-03-01", ["close"], saved, "zh")
    assert [(r["enterprise_id"], r["decision"], r["state"], r["decided_by"], r["note"]) for r in rows] == [
        ("E1", "关停取缔", "已改判", "wang", "拒不整改")]
    rows_en, _ = page.show_rows("2026-03-01", ["standardise"], saved, "en")
    assert [r["recommended"] for r in rows_en] == ["Bring up to standard"]

    refused, unchanged = page.save(2, [], "close", "", "2026-03-01", 1, "en")
    assert refused == "Choose an enterprise first." and unchanged is dash.no_update

    download = page.export(1, "2026-03-01", "zh")
    sheets = pd.read_excel(io.BytesIO(__import__("base64").b64decode(download["content"])), sheet_name=None, header=1)
    assert list(sheets) == ["三个一批", "汇总", "规则"] and len(sheets["三个一批"]) == 2
    assert sheets["三个一批"]["镇街"].tolist() == ["城关镇", "城关镇"]
    assert sheets["汇总"]["占比"].sum() == pytest.approx(1.0)
    assert audited == [("export_list", "dispositions:2026-03-01", {"rows": 2})]


def test_places_and_people_pages(pages: dict, audited: list) -> None:
    rows, count = pages["places"].show("2026-03-01", "en")
    assert rows == [] and count == "0 places"  # the tiny county has no crowded places
    rows, count = pages["people"].show("2026-03-01", 30, "zh")
    assert [(r["kind"], r["name"], r["contract_ids"], r["people"], r["days"], r["exposure"]) for r in rows] == [
        ("无资质外包队伍", "丙燃气", "C1", 1, 29, 29)]
    assert [r["records"] for r in rows] == [1]  # rows that read alike would be counted here (issue 18.7)
    assert count == "共 1 条，暴露合计 29 人·天"
    pages["people"].export(1, "2026-03-01", 30, "en")
    assert audited[-1][0:2] == ("export_list", "people:2026-03-01")


def test_bulletin_headline_tables_and_printable_pages(pages: dict, audited: list) -> None:
    page = pages["bulletin"]
    headline, teams, towns, message = page.show("2026-01-01", "2026-02-28", "zh")
    assert message == ""
    assert "检查企业 3 家，发现隐患 6 项，其中重大隐患 2 项，已整改 2 项，整改率 33.3%。" in _texts(headline)
    # 第一组 found H1, H2, H4, H5 (2 rectified by the end); 第二组 H3 and no team (I4) H6: both 0, ties by name
    assert [(t["team"], t["hazards"], t["rate"]) for t in teams] == [("第一组", 4, "50.0%"), ("—", 1, "0.0%"),
                                                                     ("第二组", 1, "0.0%")]
    assert {t["town"] for t in towns} == {"城关镇", "沿海镇"}
    _, _, _, refused = page.show("2026-02-28", "2026-01-01", "en")
    assert refused == "The bulletin's end date is before its start date."
    page_zh = page.export_file("bulletin-export-html-zh", "2026-01-01", "2026-02-28", "zh")
    assert page_zh["filename"] == "bulletin_20260101_20260228.html" and "安全生产检查情况通报" in page_zh["content"]
    page_en = page.export_file("bulletin-export-html-en", "2026-01-01", "2026-02-28", "zh")
    assert "Work-safety inspection bulletin" in page_en["content"]
    workbook = page.export_file("bulletin-export-xlsx", "2026-01-01", "2026-02-28", "en")
    assert workbook["filename"].endswith(".xlsx") and len(audited) == 3
