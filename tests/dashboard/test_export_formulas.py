"""The dashboard's downloads neutralise formulas: firms, towns and teams named like formulas arrive in
the risk list (xlsx and CSV), 三个一批, places, people and bulletin workbooks as text."""

from __future__ import annotations

import base64
import csv
import importlib
import inspect
import io

import dash
import openpyxl
import pandas as pd
import pytest
import summary_county as county

from dashboard import auth

ATTACKS = {"E1": '=HYPERLINK("http://evil.example","点此")', "E2": "+1+1", "E3": "@SUM(1)", "E4": "-2+3"}
PAGES = ("risk_list", "dispositions", "places", "people", "bulletin")


def _tables() -> dict[str, pd.DataFrame]:
    tables = county.tables()
    firms = tables["enterprises"]
    tables["enterprises"] = firms.assign(name=firms["enterprise_id"].astype(str).map(ATTACKS),
                                         sector=firms["sector"].astype(object).where(firms["enterprise_id"] != "E2", "fire_venues"))
    tables["inspections"] = tables["inspections"].assign(team="=1+2")
    tables["towns"] = tables["towns"].assign(name="@town")
    return tables


@pytest.fixture(scope="module")
def pages() -> dict[str, object]:
    dash.Dash("dashboard", use_pages=True, pages_folder="", serve_locally=True)
    return {name: importlib.import_module(f"dashboard.pages.{name}") for name in PAGES}


@pytest.fixture(autouse=True)
def hostile_county(monkeypatch: pytest.MonkeyPatch, tmp_path):
    from analytics.accounts.users import User
    from analytics.store.database import open_store
    from dashboard import auth
    from dashboard.components import data

    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    data.clear()
    monkeypatch.setattr(data, "_store_key", lambda: "hostile-county")
    monkeypatch.setattr(data, "store", lambda: store)
    monkeypatch.setattr(data, "tables", _tables)
    monkeypatch.setattr(data, "scored_dates", lambda: [county.AS_OF])
    monkeypatch.setattr(data, "risk_list", lambda as_of, lang="zh", model_version=None: county.risk_list())
    monkeypatch.setattr(auth, "current_user", lambda: User("wang", "office", None, "王科长"))
    monkeypatch.setattr(auth, "audit", lambda *args, **kwargs: None)
    yield
    data.clear()


def _workbook_texts(content: bytes) -> tuple[set[str], list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    return {c.value for c in cells if c.data_type == "s"}, formulas


def _assert_neutral(content: bytes, expected: set[str]) -> None:
    texts, formulas = _workbook_texts(content)
    assert formulas == []
    assert {"'" + name for name in expected} <= texts, texts
    assert not expected & texts


def _download(result: dict) -> bytes:
    return base64.b64decode(result["content"]) if result.get("base64") else result["content"].encode("utf-8")


def test_risk_list_workbook_and_csv(pages: dict) -> None:
    page = pages["risk_list"]
    rows = page.filtered_list("2026-03-01", [], [], [], [], "", "zh")
    _assert_neutral(page.excel_bytes(rows, "zh"), {ATTACKS["E1"], ATTACKS["E2"], "@town"})
    hostile = rows.assign(enterprise_id=rows["enterprise_id"].astype(str).map(ATTACKS).fillna(rows["enterprise_id"]))
    extra = (auth.current_user(),) if "user" in inspect.signature(page.contract_csv).parameters else ()
    text = page.contract_csv(hostile, *extra).decode("utf-8-sig")
    ids = [r["enterprise_id"] for r in csv.DictReader(io.StringIO(text))]
    assert "'" + ATTACKS["E1"] in ids and ATTACKS["E1"] not in ids


def test_dispositions_places_people_and_bulletin_workbooks(pages: dict) -> None:
    _assert_neutral(_download(pages["dispositions"].export(1, "2026-03-01", "zh")), {ATTACKS["E1"]})
    _assert_neutral(_download(pages["places"].export(1, "2026-03-01", "zh")), {ATTACKS["E2"], "@town"})
    _assert_neutral(_download(pages["people"].export(1, "2026-03-01", 30, "zh")), {ATTACKS["E3"]})
    _assert_neutral(_download(pages["bulletin"].export_file("xlsx", "2026-01-01", "2026-02-28", "zh")), {"=1+2", "@town"})
