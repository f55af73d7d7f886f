# ruff: noqa: F811  (pytest fixtures imported from test_ingest are redefined as arguments)
"""Issue 17's import defects, each as a fact a clerk could state: every contract date rule, empty
required tables, correcting a subset against the store, cascades that name their cause, --skip-bad
that says why every row went, rejects in the input's encoding, and a single file as the input."""

from __future__ import annotations

import pandas as pd
import pytest
from test_ingest import EXPORT, base_rows, empty_store_file, import_rows, sqlite_store, write_set  # noqa: F401  (fixtures)

from analytics.contract.errors import UserError
from analytics.store.database import open_store, read_tables
from analytics.store.ingest import REASON_HEADER, ImportFailed, detect_encoding, import_files
from saferank.cli import main

LATE = "2026-11-16"  # the day after EXPORT


def with_power(rows: dict) -> dict:
    rows["power_usage"] = [{"enterprise_id": "E1", "period_start": "2024-01-01", "period_end": "2024-01-31", "kwh": "1200.5"}]
    return rows


# Every date that tells when something happened (not a deadline or a planned end) of every table.
DATED = [
    ("enterprises", "established"),
    ("status_events", "date"), ("status_events", "recorded_date"),
    ("inspections", "date"), ("inspections", "recorded_date"),
    ("hazards", "found_date"), ("hazards", "rectified_date"), ("hazards", "recorded_date"),
    ("special_operations", "start_date"),
    ("contracts", "start_date"),
    ("penalties", "date"), ("penalties", "recorded_date"),
    ("accidents", "date"), ("accidents", "recorded_date"),
    ("weather_alerts", "start_date"),
    ("power_usage", "period_end"),
]


@pytest.mark.parametrize(("table", "column"), DATED, ids=[f"{t}.{c}" for t, c in DATED])
def test_nothing_is_dated_after_the_export_date_in_any_dated_table(sqlite_store, tmp_path, table, column):
    rows = with_power(base_rows())
    rows[table][0][column] = LATE
    if column == "period_end":
        rows[table][0]["period_start"] = LATE
    with pytest.raises(ImportFailed) as caught:
        import_rows(sqlite_store, tmp_path, rows)
    issues = caught.value.issues
    late = issues.loc[(issues["file"] == f"{table}.csv") & (issues["column"] == column)
                      & issues["reason_en"].str.contains("After the export date 2026-11-15")]
    assert late["row"].tolist() == [2] and late["value"].tolist() == [LATE], issues.to_string()
    assert "晚于导出日期 2026-11-15" in late["reason_zh"].iloc[0]


def test_the_issue_s_penalty_and_hazard_dated_in_december_are_refused(sqlite_store, tmp_path):
    rows = base_rows()
    rows["penalties"][0]["date"] = "2026-12-20"
    rows["hazards"][0]["found_date"] = "2026-12-21"
    rows["hazards"][0]["deadline"] = rows["hazards"][0]["rectified_date"] = ""
    with pytest.raises(ImportFailed) as caught:
        import_rows(sqlite_store, tmp_path, rows)
    assert sorted(caught.value.issues["file"]) == ["hazards.csv", "penalties.csv"]
    assert all(frame.empty for frame in read_tables(sqlite_store).values())


def test_a_deadline_or_a_planned_end_may_lie_after_the_export_date(sqlite_store, tmp_path):
    rows = base_rows()
    rows["hazards"][0]["deadline"] = "2027-01-31"
    rows["contracts"][0]["end_date"] = "2027-12-31"
    rows["weather_alerts"][0]["end_date"] = "2026-11-20"
    import_rows(sqlite_store, tmp_path, rows)
    assert read_tables(sqlite_store)["contracts"]["end_date"].tolist() == [pd.Timestamp("2027-12-31")]


@pytest.mark.parametrize("content", [None, b"", b",\n,\n"], ids=["header only", "empty file", "empty cells only"])
def test_a_required_table_without_rows_is_an_error_that_names_the_file(sqlite_store, tmp_path, content, capsys):
    """A file of nothing but separators reads as an empty file (it once raised an IndexError)."""
    rows = base_rows()
    folder = write_set(tmp_path / "files", rows)
    blank = content is not None
    if blank:
        (folder / "hazards.csv").write_bytes(content)
    else:
        pd.DataFrame(columns=["hazard_id", "enterprise_id", "found_date", "level"]).to_csv(folder / "hazards.csv", index=False)
    rows["inspections"] = []
    with pytest.raises(ImportFailed) as caught:
        import_files(sqlite_store, folder, export_date=EXPORT)
    issues = caught.value.issues
    assert issues["file"].tolist() == ["hazards.csv"]
    expected = ("is empty (not even a header row)", "是空文件") if blank else ("has a header but no data rows", "只有表头")
    assert expected[0] in issues["reason_en"].iloc[0] and expected[1] in issues["reason_zh"].iloc[0]
    assert "may not be empty" in issues["reason_en"].iloc[0]
    assert all(frame.empty for frame in read_tables(sqlite_store).values())
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["import", str(folder), "--db", db, "--export-date", EXPORT]) == 3
    assert "导入完成" not in capsys.readouterr().out


def test_a_header_only_optional_table_is_a_note_not_an_error(sqlite_store, tmp_path):
    rows = base_rows()
    rows["accidents"] = []
    folder = write_set(tmp_path / "files", rows)
    pd.DataFrame(columns=["accident_id", "enterprise_id", "date", "severity"]).to_csv(folder / "accidents.csv", index=False)
    report = import_files(sqlite_store, folder, export_date=EXPORT)
    assert "accidents.csv has a header but no data rows; nothing imported from it." in report.render("en")
    assert "accidents.csv 只有表头，没有数据行" in report.render("zh")


def test_a_corrected_enterprises_csv_alone_imports_against_what_the_store_holds(sqlite_store, tmp_path):
    import_rows(sqlite_store, tmp_path / "first", base_rows())
    before = read_tables(sqlite_store)
    corrected = {"enterprises": base_rows()["enterprises"]}
    corrected["enterprises"][1]["name"] = "乙渔船（更正）"
    corrected["enterprises"][1]["town_id"] = "T1"  # a town the store holds, not in the files
    report = import_files(sqlite_store, write_set(tmp_path / "fix", corrected), export_date=EXPORT)
    assert report.summary["table"].tolist() == ["enterprises"]
    assert report.summary.loc[0, ["updated", "unchanged"]].tolist() == [1, 1]
    after = read_tables(sqlite_store)
    assert after["enterprises"].set_index("enterprise_id").loc["E2", "name"] == "乙渔船（更正）"
    for name in ("towns", "inspections", "hazards", "penalties"):
        pd.testing.assert_frame_equal(after[name], before[name])

    corrected["enterprises"][1]["town_id"] = "T9"
    with pytest.raises(ImportFailed) as caught:
        import_files(sqlite_store, write_set(tmp_path / "fix2", corrected), export_date=EXPORT)
    assert caught.value.issues["reason_en"].tolist() == ["Not found in towns (neither in the files nor in the store)."]


def test_a_subset_into_an_empty_store_still_needs_the_required_tables(sqlite_store, tmp_path):
    with pytest.raises(ImportFailed) as caught:
        import_files(sqlite_store, write_set(tmp_path, {"towns": base_rows()["towns"]}), export_date=EXPORT)
    missing = caught.value.issues
    assert missing["file"].tolist() == ["enterprises.csv", "inspections.csv", "hazards.csv"]
    assert missing["reason_en"].str.contains("the store holds none yet").all()


def test_one_csv_named_like_its_table_imports_that_table(sqlite_store, tmp_path):
    import_rows(sqlite_store, tmp_path / "first", base_rows())
    fix = tmp_path / "fix"
    fix.mkdir()
    pd.DataFrame([{"企业编码": "E3", "企业名称": "丙厂", "镇街编码": "T2", "行业领域": "工贸"}]).to_csv(
        fix / "企业.csv", index=False, encoding="gbk")
    report = import_files(sqlite_store, fix / "企业.csv", export_date=EXPORT)
    assert report.summary.loc[0, ["table", "inserted"]].tolist() == ["enterprises", 1]
    assert "E3" in read_tables(sqlite_store)["enterprises"]["enterprise_id"].tolist()
    (fix / "list.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(UserError) as caught:
        import_files(sqlite_store, fix / "list.csv", export_date=EXPORT)
    assert "enterprises.csv" in caught.value.en and "list.csv" in caught.value.zh


def test_an_xls_workbook_is_refused_with_what_to_do(sqlite_store, tmp_path):
    old = tmp_path / "导出.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)  # an OLE2 (Excel 97-2003) header
    with pytest.raises(UserError) as caught:
        import_files(sqlite_store, old, export_date=EXPORT)
    assert "另存为" in caught.value.zh and ".xlsx" in caught.value.zh and "导出.xls" in caught.value.zh
    assert "Save As" in caught.value.en and ".xlsx" in caught.value.en
    assert "找不到" not in caught.value.zh
    folder = write_set(tmp_path / "files", base_rows())
    (folder / "导出.xls").write_bytes(old.read_bytes())
    report = import_files(sqlite_store, folder, export_date=EXPORT)
    assert report.ignored == [] and "导出.xls is a workbook and is not read with the folder's CSVs" in report.render("en")


def test_a_rejected_row_s_followers_name_it_and_the_strict_run_counts_them(sqlite_store, tmp_path):
    rows = base_rows()
    rows["enterprises"].append({"enterprise_id": "E3", "name": "丁厂", "town_id": "T1", "sector": "不存在的行业"})
    rows["inspections"].append({"inspection_id": "I3", "enterprise_id": "E3", "date": "2024-02-02"})
    rows["hazards"].append({"hazard_id": "H3", "enterprise_id": "E1", "inspection_id": "I3", "found_date": "2024-02-02",
                            "level": "general"})
    rows["status_events"].append({"enterprise_id": "E3", "date": "2099-01-01", "status": "closed"})  # its own problem too
    with pytest.raises(ImportFailed) as caught:
        import_rows(sqlite_store, tmp_path / "strict", rows)
    assert caught.value.issues["file"].tolist() == ["enterprises.csv", "status_events.csv"]  # problems of their own
    assert caught.value.cascaded == 2  # inspection I3 and hazard H3; the status change is counted once, above
    assert "2 more rows have no problem of their own" in caught.value.render("en")
    assert "另有 2 行本身无误" in caught.value.render("zh")

    report = import_rows(sqlite_store, tmp_path / "skip", rows, skip_bad=True)
    issues = report.rejected_issues.set_index("file")
    assert "Refers to enterprises E3 (enterprises.csv row 4)" in issues.loc["inspections.csv", "reason_en"]
    assert "企业 E3（enterprises.csv 第4行）" in issues.loc["inspections.csv", "reason_zh"]
    assert "Refers to inspections I3 (inspections.csv row 3)" in issues.loc["hazards.csv", "reason_en"]
    hazards = pd.read_csv(tmp_path / "skip" / "files" / "hazards.rejects.csv", dtype=str, keep_default_na=False)
    assert "inspections I3 (inspections.csv row 3)" in hazards[REASON_HEADER].iloc[0]


def test_skip_bad_says_why_every_rejected_row_went(sqlite_store, tmp_path, capsys):
    rows = base_rows()
    rows["enterprises"].append({"enterprise_id": "E3", "name": "丁厂", "town_id": "T1", "sector": "bogus"})
    rows["inspections"] += [{"inspection_id": f"I{i}", "enterprise_id": "E3", "date": "2024-02-02"} for i in (3, 4)]
    rows["hazards"].append({**rows["hazards"][0], "level": "general"})  # a repeated id
    rows["penalties"][0]["date"] = "2026-12-20"
    folder = write_set(tmp_path / "files", rows)
    report = import_files(sqlite_store, folder, export_date=EXPORT, skip_bad=True)
    rejected = int(report.summary["rejected"].sum())
    assert rejected == 5
    located = report.rejected_issues.dropna(subset=["row"])
    assert len(located.drop_duplicates(["file", "row"])) == rejected  # a reason for every row that went
    text = report.render("en")
    assert "5 rows were not imported: 3 with problems of their own, 2 because they refer to a row not imported" in text
    for file, row in located[["file", "row"]].itertuples(index=False):
        assert f"{file} row {row} [" in text
    assert "5 行未导入：3 行本身有错误，2 行因引用了未导入的行" in report.render("zh")
    assert main(["import", str(folder), "--db", f"sqlite:///{tmp_path / 'cli.db'}", "--export-date", EXPORT,
                 "--skip-bad", "--lang", "en"]) == 0
    assert "inspections.csv row 4 [enterprise_id] 'E3': Refers to enterprises E3" in capsys.readouterr().out


def test_rejects_are_written_in_the_input_s_encoding(sqlite_store, tmp_path):
    rows = base_rows()
    rows["enterprises"].append({"enterprise_id": "E3", "name": "丁厂", "town_id": "T1", "sector": "不存在的行业"})
    folder = write_set(tmp_path / "gbk", rows, encoding="gbk", chinese=True)
    import_files(sqlite_store, folder, export_date=EXPORT, skip_bad=True)
    rejects = folder / "enterprises.rejects.csv"
    assert detect_encoding(rejects) == "gb18030"
    text = rejects.read_bytes().decode("gb18030")
    assert "丁厂" in text and "不存在的行业" in text and "企业编码" in text
    with pytest.raises(UnicodeDecodeError):
        rejects.read_bytes().decode("utf-8")

    bom = write_set(tmp_path / "bom", rows, encoding="utf-8-sig")
    other = open_store(f"sqlite:///{tmp_path / 'bom.db'}")
    import_files(other, bom, export_date=EXPORT, skip_bad=True)
    other.dispose()
    assert (bom / "enterprises.rejects.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_corrected_rejects_file_imports_as_it_comes_back(sqlite_store, tmp_path):
    rows = base_rows()
    rows["enterprises"].append({"enterprise_id": "E3", "name": "丁厂", "town_id": "T1", "sector": "不存在的行业"})
    folder = write_set(tmp_path / "files", rows, encoding="gbk")
    import_files(sqlite_store, folder, export_date=EXPORT, skip_bad=True)
    rejects = folder / "enterprises.rejects.csv"
    fixed = pd.read_csv(rejects, dtype=str, keep_default_na=False, encoding="gb18030")
    fixed["sector"] = "工贸"
    fixed.to_csv(rejects, index=False, encoding="gb18030")
    report = import_files(sqlite_store, rejects, export_date=EXPORT)
    assert report.summary.loc[0, ["table", "inserted"]].tolist() == ["enterprises", 1]
    assert report.unknown_columns == []  # the reasons column is the rejects file's own
    assert read_tables(sqlite_store)["enterprises"]["enterprise_id"].tolist() == ["E1", "E2", "E3"]
