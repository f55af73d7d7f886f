"""Issue 18 item 8: exports an office can print — a cover row naming the export, its date and its
filters; a bold frozen header with a filter; columns as wide as their text; probabilities as
percentages; ids beside names; a filtered export never shares the whole export's file name."""

from __future__ import annotations

import base64
import importlib
import io
import types

import dash
import openpyxl
import pandas as pd
import pytest
import summary_county as county

from analytics.contract.exports import cover_line, export_filename, write_xlsx


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
    assert sheet["A1"].value == f"风险清单 2026-03-01 · 镇街={town_name} · 风险等级=重大风险、较大风险"
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
    assert places["A1"].value == "场所清单 2026-03-01" or places["A1"].value.endswith("2026-03-01")
    assert places.freeze_panes == "A3" and places.auto_filter.ref.startswith("A2:")
    people = _book(pages["people"].export(1, "2026-03-01", 30, "zh")).worksheets[0]
    assert people["A1"].value.endswith("统计最近天数=30") and people.freeze_panes == "A3"


def test_cover_line_and_file_name() -> None:
    assert cover_line("风险清单", "2026-11-15", {"乡镇": ["松门镇"], "等级": "红", "行业": []}) == \
        "风险清单 2026-11-15 · 乡镇=松门镇 · 等级=红"
    assert export_filename("risk_list", "2026-11-15") == "risk_list_20261115.xlsx"
    assert export_filename("risk_list", "2026-11-15", {"乡镇": ["松门镇"], "q": ["a/b"]}) == "risk_list_20261115_松门镇_a-b.xlsx"
    assert export_filename("PLAN-1", None, {"team": None, "day": ""}) == "PLAN-1.xlsx"


def test_write_xlsx_without_cover_keeps_the_header_on_row_one() -> None:
    frame = pd.DataFrame({"p": [0.25, 0.9993], "when": pd.to_datetime(["2026-01-02", "2026-01-03"])})
    frame.attrs["percent"] = ["p"]
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(None, {"s": frame}, office=True))).active
    assert sheet["A1"].value == "p" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:B3"
    assert sheet["A2"].number_format == "0%" and sheet["B2"].number_format == "yyyy-mm-dd"
