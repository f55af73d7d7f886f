"""The data-quality report (issue 17 item 5): completeness, date ranges, rows per town and sector,
orphans, duplicates, dates after the export date, what the model will lack; the workbook in both
languages with no cell a formula; ``saferank import`` prints it and writes it, ``saferank quality``."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import plan_county
import pytest

from analytics.accounts import audit
from analytics.contract import frames
from analytics.store.database import open_store
from analytics.views.quality import quality_of_tables
from saferank.cli import main

EXPORT = "2026-03-01"


def _tables() -> dict[str, pd.DataFrame]:
    """The plan county with defects: a blank-text team, an orphan hazard, a penalty after the export
    date, a repeated firm name in a town, formula-looking firm and town names; no deadlines, no penalties'
    amounts, no status events at all."""
    tables = plan_county.tables()
    firms = tables["enterprises"].copy()
    firms.loc[firms["enterprise_id"] == "EA2", "name"] = "EA1 公司"  # "EA1公司" with a space: the same name
    firms.loc[firms["enterprise_id"] == "EB2", "name"] = "=HYPERLINK(\"http://x\",\"y\")"
    firms.loc[firms["enterprise_id"] == "EB3", "name"] = "=HYPERLINK(\"http://x\",\"y\")"
    tables["enterprises"] = firms
    towns = tables["towns"].copy()
    towns.loc[towns["town_id"] == "TB", "name"] = "=1+1"
    tables["towns"] = towns
    tables["inspections"] = frames.typed("inspections", [
        {"inspection_id": "IA1", "enterprise_id": "EA1", "date": "2026-01-10", "team": "第1组"},
        {"inspection_id": "IB1", "enterprise_id": "EB1", "date": "2026-02-25", "team": "   "},
        {"inspection_id": "IB2", "enterprise_id": "EB1", "date": "2026-02-25", "team": "第2组"},
    ])
    tables["hazards"] = frames.typed("hazards", [
        {"hazard_id": "HA1", "enterprise_id": "EA1", "inspection_id": "IA1", "found_date": "2026-01-10", "level": "general",
         "rectified_date": "2026-01-20"},
        {"hazard_id": "HX9", "enterprise_id": "EA1", "inspection_id": "I-GONE", "found_date": "2026-01-11", "level": "major"},
    ])
    tables["penalties"] = frames.typed("penalties", [
        {"penalty_id": "P1", "enterprise_id": "EA1", "date": "2026-12-20", "kind": "fine", "amount_yuan": 5000},
    ])
    return tables


@pytest.fixture(scope="module")
def report():
    return quality_of_tables(_tables(), EXPORT)


def test_completeness_counts_blank_text_as_empty(report) -> None:
    rows = report.completeness.set_index(["table", "column"])
    assert rows.loc[("inspections", "team"), ["rows", "filled"]].tolist() == [3, 2]
    assert rows.loc[("inspections", "team"), "share"] == pytest.approx(2 / 3)
    assert rows.loc[("hazards", "deadline"), "filled"] == 0
    low = report.low_columns()
    assert ("hazards", "deadline") in set(zip(low["table"], low["column"]))
    assert ("inspections", "team") not in set(zip(low["table"], low["column"]))  # two of three filled


def test_dates_after_the_export_date_are_counted_where_the_contract_forbids_them(report) -> None:
    dates = report.dates.set_index(["table", "column"])
    assert dates.loc[("penalties", "date"), "after_export"] == 1 and not dates.loc[("penalties", "date"), "later_allowed"]
    assert dates.loc[("hazards", "deadline"), "later_allowed"]
    assert dates.loc[("inspections", "date"), ["first_date", "last_date"]].tolist() == [
        pd.Timestamp("2026-01-10"), pd.Timestamp("2026-02-25")]
    tables = report.tables.set_index("table")
    assert tables.loc["penalties", "after_export"] == 1 and report.counts()["after_export"] == 1
    assert not tables.loc["status_events", "held"] and tables.loc["status_events", "rows"] == 0


def test_orphans_and_duplicates_are_found_and_shown(report) -> None:
    orphans = report.orphans.set_index(["table", "column"])
    assert orphans.loc[("hazards", "inspection_id"), "rows"] == 1
    assert orphans.loc[("hazards", "inspection_id"), "examples"] == "I-GONE"
    assert orphans["rows"].sum() == 1
    duplicates = report.duplicates.set_index(["table", "columns"])
    assert duplicates.loc[("enterprises", "name + town_id"), "rows"] == 2  # EA2 in town TA, EB3 in town TB
    assert duplicates.loc[("inspections", "enterprise_id + date"), "rows"] == 1
    assert duplicates.loc[("enterprises", "enterprise_id"), "rows"] == 0


def test_rows_per_town_and_sector(report) -> None:
    towns = report.by_town.set_index("town_id")
    assert towns.loc["TA", ["town", "enterprises", "hazards"]].tolist() == ["城关镇", 4, 2]
    assert towns.loc["TB", "inspections"] == 2
    sectors = report.by_sector.set_index("sector")
    assert sectors.loc["gas", "enterprises"] == 2 and sectors.loc["gas", "inspections"] == 3
    assert sectors["enterprises"].sum() == 8


def test_the_model_s_lacks_name_the_skipped_families_and_why(report) -> None:
    families = report.families.set_index("family")
    assert families.loc["status", "status"] == "skipped" and families.loc["status", "lacking"] == ("status_events",)
    assert families.loc["power", "status"] == "skipped" and families.loc["enforcement", "status"] == "used"
    assert families.loc["rectification", "status"] == "partial"
    assert families.loc["rectification", "lacking"] == ("hazards.deadline",)
    assert "overdue_hazards" in families.loc["rectification", "missing_features"]
    assert families.loc["profile", "status"] == "partial"  # no employees, no coordinates recorded
    text_zh, text_en = report.render("zh"), report.render("en")
    assert "生产状态（缺少数据表 生产状态变更 status_events）" in text_zh and "隐患·整改期限（hazards.deadline）无数据" in text_zh
    assert "Production status (no status_events table)" in text_en and "晚于导出日期 1 行" in text_zh
    assert "Orphan rows 1" in text_en


def test_the_workbook_in_both_languages_runs_no_formula(report, tmp_path) -> None:
    for lang, sheet, header in (("zh", "完整性", "填写率"), ("en", "Completeness", "Share filled")):
        path = report.write(tmp_path / f"q-{lang}.xlsx", lang)
        book = openpyxl.load_workbook(path)
        assert sheet in book.sheetnames and len(book.sheetnames) == 8
        headers = [c.value for c in book[sheet][2]]  # under the cover row
        assert header in headers and book[sheet].freeze_panes == "A3"
        share = headers.index(header) + 1
        assert book[sheet].cell(row=3, column=share).number_format == "0%"
        cells = [c for s in book.worksheets for row in s.iter_rows() for c in row]
        assert not [c for c in cells if c.data_type == "f"]
        assert "'=1+1" in {c.value for c in cells}  # the town's name, shown as text


def test_import_prints_the_quality_summary_and_writes_and_records_the_report(tmp_path, monkeypatch, capsys) -> None:
    from test_ingest import EXPORT as INGEST_EXPORT, base_rows, write_set

    url = f"sqlite:///{tmp_path / 'store.db'}"
    folder = write_set(tmp_path / "good", base_rows())
    monkeypatch.chdir(tmp_path)
    assert main(["import", str(folder), "--db", url, "--export-date", INGEST_EXPORT, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Data quality (export date" in out and "The model will lack" in out
    written = tmp_path / "quality" / f"quality-{pd.Timestamp(INGEST_EXPORT):%Y-%m-%d}.xlsx"  # beside the store
    assert written.exists() and f"Full report: {written}" in out and not (tmp_path / "data").exists()
    entry = audit.search(open_store(url), {"action": "export_list"}).iloc[0]
    details = json.loads(entry["details"])
    assert entry["object_id"] == "quality" and details["outcome"] == "done" and details["rows"] > 0

    assert main(["quality", "--db", url, "--out", str(tmp_path / "质量.xlsx")]) == 0
    assert "数据质量" in capsys.readouterr().out
    assert "数据表" in openpyxl.load_workbook(tmp_path / "质量.xlsx").sheetnames
