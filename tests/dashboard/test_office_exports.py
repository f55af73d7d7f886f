"""Issue 18 item 8: exports an office can print — a cover row naming the export, its date and its
filters; a bold frozen header with a filter; columns as wide as their text; probabilities as
percentages; ids beside names; a filtered export never shares the whole export's file name."""

from __future__ import annotations

import ast
import base64
import importlib
import io
import re
import types
from pathlib import Path

import dash
import openpyxl
import pandas as pd
import pytest
import summary_county as county

from analytics.contract.exports import county_of, cover_line, export_filename, write_xlsx


@pytest.fixture(scope="module")
def pages() -> dict[str, object]:
    dash.Dash("dashboard", use_pages=True, pages_folder="", serve_locally=True)
    return {name: importlib.import_module(f"dashboard.pages.{name}") for name in ("risk_list", "places", "people")}


@pytest.fixture(autouse=True)
def demo_county(monkeypatch: pytest.MonkeyPatch, tmp_path):
    from analytics.accounts.users import User
    from analytics.store.database import open_store
    from dashboard import auth
    from dashboard.components import data

    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    data.clear()
    monkeypatch.setattr(data, "_store_key", lambda: "office-county")
    monkeypatch.setattr(data, "store", lambda: store)
    monkeypatch.setattr(data, "tables", county.tables)
    monkeypatch.setattr(data, "scored_dates", lambda: [county.AS_OF])
    monkeypatch.setattr(data, "risk_list", lambda as_of, lang="zh", model_version=None: county.risk_list())
    monkeypatch.setattr(auth, "current_user", lambda: User("wang", "office", None, "王科长"))
    monkeypatch.setattr(auth, "audit", lambda *args, **kwargs: None)
    yield
    data.clear()


def _book(result: dict) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(base64.b64decode(result["content"])))


def _export(page, monkeypatch, town, level, lang="zh") -> dict:
    monkeypatch.setattr(page.dash, "ctx", types.SimpleNamespace(triggered_id="risk-list-export-xlsx"))
    return page.export(1, None, "2026-03-01", town, [], level, [], "", lang)


def test_risk_list_workbook_is_office_grade(pages, monkeypatch) -> None:
    page = pages["risk_list"]
    towns = county.tables()["towns"]
    town_id, town_name = str(towns["town_id"].iloc[0]), str(towns["name"].iloc[0])
    whole = _export(page, monkeypatch, [], [])
    filtered = _export(page, monkeypatch, [town_id], ["red", "orange"])
    assert whole["filename"] == "risk_list_20260301.xlsx"
    assert filtered["filename"] != whole["filename"] and town_name in filtered["filename"]
    sheet = _book(filtered).worksheets[0]
    assert sheet["A1"].value.startswith(f"风险清单 2026-03-01 · 镇街={town_name} · 风险等级=重大风险、较大风险 · 生成于 ")
    assert sheet["A1"].font.bold and sheet["A2"].font.bold
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref.startswith("A2:")
    header = [c.value for c in sheet[2]]
    assert "企业编码" in " ".join(map(str, header)) or any("编码" in str(h) for h in header)  # ids visible
    score = header.index(next(h for h in header if "概率" in str(h) or "分" in str(h))) + 1
    assert sheet.cell(row=3, column=score).number_format == "0.0%"
    assert 0 <= sheet.cell(row=3, column=score).value <= 1
    id_column = openpyxl.utils.get_column_letter(next(i for i, h in enumerate(header, 1) if "编码" in str(h)))
    assert sheet.column_dimensions[id_column].width >= 10
    english = _book(_export(page, monkeypatch, [town_id], ["red"], "en")).worksheets[0]
    assert english["A1"].value.startswith("Risk list 2026-03-01 · Town=") and "Risk level=" in english["A1"].value


def test_places_and_people_workbooks_carry_a_cover_row(pages) -> None:
    places = _book(pages["places"].export(1, "2026-03-01", "zh")).worksheets[0]
    assert places["A1"].value.startswith("场所清单 2026-03-01 · 生成于 ")
    assert places.freeze_panes == "A3" and places.auto_filter.ref.startswith("A2:")
    people = _book(pages["people"].export(1, "2026-03-01", 30, "zh")).worksheets[0]
    assert people["A1"].value.startswith("人群清单 2026-03-01 · 统计最近天数=30 · ") and people.freeze_panes == "A3"


def test_cover_line_and_file_name() -> None:
    assert cover_line("风险清单", "2026-11-15", {"乡镇": ["松门镇"], "等级": "红", "行业": []}, county="331081",
                      generated="2026-12-02 09:30:12") == "风险清单 2026-11-15 · 乡镇=松门镇 · 等级=红 · 区县 331081 · 生成于 2026-12-02 09:30"
    assert cover_line("Risk list", None, {"Town": ["A", "B"]}, lang="en", generated="2026-12-02 09:30") == \
        "Risk list · Town=A, B · generated 2026-12-02 09:30"
    assert county_of(["331081003", "331081009"]) == "331081"
    assert county_of(["331081003", "331082001"]) is None and county_of(["T1"]) is None and county_of([]) is None
    assert export_filename("risk_list", "2026-11-15") == "risk_list_20261115.xlsx"
    assert export_filename("risk_list", "2026-11-15", {"乡镇": ["松门镇"], "q": ["a/b"]}) == "risk_list_20261115_松门镇_a-b.xlsx"
    assert export_filename("PLAN-1", None, {"team": None, "day": ""}) == "PLAN-1.xlsx"


def test_write_xlsx_without_cover_keeps_the_header_on_row_one() -> None:
    frame = pd.DataFrame({"p": [0.25, 0.9993], "when": pd.to_datetime(["2026-01-02", "2026-01-03"])})
    frame.attrs["percent"] = ["p"]
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(None, {"s": frame}, office=True))).active
    assert sheet["A1"].value == "p" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:B3"
    assert sheet["A2"].number_format == "0%" and sheet["B2"].number_format == "yyyy-mm-dd"


# --- every workbook the app writes carries a cover row --------------------------------------------------------
CODES = {"T1": "331081001", "T2": "331081002"}  # nine-digit town codes: county 331081 (GB/T 2260)


def _coded_county() -> dict[str, pd.DataFrame]:
    """The summary county with administrative town codes, so the county can be named."""
    return {name: frame.assign(town_id=frame["town_id"].astype(str).map(CODES)) if "town_id" in frame else frame
            for name, frame in county.tables().items()}


def _risk_list_workbook(pages, monkeypatch, lang: str) -> bytes:
    monkeypatch.setattr(pages["risk_list"].dash, "ctx", types.SimpleNamespace(triggered_id="risk-list-export-xlsx"))
    return base64.b64decode(pages["risk_list"].export(1, None, "2026-03-01", [], [], [], [], "", lang)["content"])


def _plan_workbook(lang: str) -> bytes:
    from analytics.operations.plan_export import write_plan_xlsx

    visits = pd.DataFrame({"date": ["2026-03-02"], "team": ["第1组"], "slot": [1], "enterprise_id": ["E1"],
                           "town_id": [CODES["T1"]], "sector": ["mining"], "score": [0.31], "rank": [1],
                           "reason_zh": ["风险排序"], "reason_en": ["Risk rank"], "hazard_ids": [""]})
    buffer = io.BytesIO()
    write_plan_xlsx(visits, _coded_county(), buffer, lang, plan_id="P-1", filters={"检查组" if lang == "zh" else "Team": "第1组"})
    return buffer.getvalue()


def _dispositions_workbook(lang: str) -> bytes:
    from analytics.operations.dispositions import excel_bytes, merge_decisions, recommend

    listed = county.risk_list().assign(enterprise_id=lambda f: f["enterprise_id"].astype(str))
    undecided = pd.DataFrame(columns=["enterprise_id", "decision", "recommended", "decided_by", "decided_at", "note", "as_of"])
    frame = merge_decisions(recommend(_coded_county(), county.AS_OF, listed), undecided).assign(as_of=county.AS_OF)
    return excel_bytes(frame, lang=lang)


def _bulletin_workbook(lang: str) -> bytes:
    from analytics.operations.bulletin import group_bulletin

    return group_bulletin(_coded_county(), pd.Timestamp("2026-02-01"), county.AS_OF).excel_bytes(lang)


def _alerts_workbook(lang: str) -> bytes:
    from analytics.operations import alerts
    from analytics.snapshot.snapshot import AsOf

    feed = pd.DataFrame(columns=list(alerts.FEED_COLUMNS))
    buffer = io.BytesIO()
    alerts.write_digest(feed, buffer, lang, AsOf.parse("2026-02-22"), AsOf.parse("2026-03-01"), "331081")
    return buffer.getvalue()


def _quality_workbook(lang: str) -> bytes:
    from analytics.views.quality import quality_of_tables

    return quality_of_tables(_coded_county(), county.AS_OF).workbook(lang)


# (export, what its cover row says in zh and en, the date or period it names, whether the county is known)
EXPORTS = {
    "risk_list": (lambda pages, mp, lang: _risk_list_workbook(pages, mp, lang), ("风险清单", "Risk list"), "2026-03-01", False),
    "places": (lambda pages, mp, lang: base64.b64decode(pages["places"].export(1, "2026-03-01", lang)["content"]),
               ("场所清单", "Places"), "2026-03-01", False),
    "people": (lambda pages, mp, lang: base64.b64decode(pages["people"].export(1, "2026-03-01", 30, lang)["content"]),
               ("人群清单", "People"), "2026-03-01", False),
    "plan": (lambda pages, mp, lang: _plan_workbook(lang), ("检查计划 P-1", "Inspection plan P-1"), "2026-03-02", True),
    "dispositions": (lambda pages, mp, lang: _dispositions_workbook(lang), ("三个一批", "Dispositions"), "2026-03-01", True),
    "bulletin": (lambda pages, mp, lang: _bulletin_workbook(lang), ("检查情况通报", "Inspection bulletin"), "2026", True),
    "alerts": (lambda pages, mp, lang: _alerts_workbook(lang), ("预警日报", "Warning digest"), "2026-02-23", True),
    "quality": (lambda pages, mp, lang: _quality_workbook(lang), ("数据质量报告", "Data-quality report"), "2026-03-01", True),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(EXPORTS))
def test_every_workbook_the_app_writes_has_a_cover_row(pages, monkeypatch, name: str, lang: str) -> None:
    """Every sheet's first row says what the export is, its date or period and filters, the county and when
    it was made, in the user's language; the header is the second row, frozen and filtered below it."""
    make, titles, day, county_known = EXPORTS[name]
    book = openpyxl.load_workbook(io.BytesIO(make(pages, monkeypatch, lang)))
    title = titles[0 if lang == "zh" else 1]
    made = re.compile(("生成于" if lang == "zh" else "generated") + r" \d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
    for sheet in book.worksheets:
        cover = sheet["A1"].value
        assert cover.startswith(title) and day in cover and made.search(cover), (sheet.title, cover)
        assert ((" · 区县 331081 · " if lang == "zh" else " · County 331081 · ") in cover) == county_known, cover
        assert sheet["A1"].font.bold and sheet.freeze_panes == "A3" and sheet.auto_filter.ref.startswith("A2:")
        assert sheet.max_column == 1 or sheet["B1"].value is None  # the cover is one cell, the header below it


def test_every_excel_writer_in_the_code_writes_a_cover_row() -> None:
    """The table above is every export: each ``write_xlsx`` call in the app passes ``cover=``, and nothing
    else writes a workbook but the import templates, which the importer reads back with the header on row 1."""
    root = Path(__file__).resolve().parents[2]
    calls, writers = [], []
    for path in sorted(p for folder in ("analytics", "dashboard", "saferank") for p in (root / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                where = f"{path.relative_to(root)}:{node.lineno}"
                if called == "write_xlsx":
                    calls.append((where, {k.arg for k in node.keywords}))
                elif called in {"to_excel", "ExcelWriter", "Workbook"}:
                    writers.append(str(path.relative_to(root)))
    assert [w for w, keywords in calls if "cover" not in keywords] == []
    assert len(calls) == 9, "a new workbook export? add it to EXPORTS above: " + ", ".join(w for w, _ in calls)
    assert set(writers) == {"analytics/contract/exports.py", "analytics/contract/templates.py"}


def test_the_import_template_keeps_its_header_on_the_first_row(tmp_path) -> None:
    from analytics.contract.templates import write_templates

    (path,) = write_templates(tmp_path, xlsx=True)
    sheet = openpyxl.load_workbook(path)["towns"]
    assert [c.value for c in sheet[1]][:2] == ["镇街编码", "镇街名称"]
