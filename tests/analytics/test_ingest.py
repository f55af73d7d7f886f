# ruff: noqa: F811  (pytest fixtures imported from test_store_backends are redefined as arguments)
"""Import of contract files: every rule fails and passes, encodings, header languages, xlsx,
all or nothing, --skip-bad with rejects files and cascades, idempotent re-import, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_store_backends import store, store_url  # noqa: F401  (fixtures)

from saferank.cli import main
from analytics.contract.errors import UserError
from analytics.store.ingest import PRINTED_ISSUES, ImportFailed, detect_encoding, import_files
from analytics.contract.schema import TABLES
from analytics.store.database import open_store, read_tables
from analytics.contract.templates import write_templates
from analytics.simulate.sample import SAMPLE_COUNTY

EXPORT = "2026-11-15"


def base_rows() -> dict[str, list[dict[str, str]]]:
    """A valid file set: one or two rows per table, every value as text."""
    return {
        "towns": [{"town_id": "T1", "name": "城关镇", "coastal": "否"}, {"town_id": "T2", "name": "河口镇", "coastal": "是"}],
        "enterprises": [
            {"enterprise_id": "E1", "name": "甲化工", "town_id": "T1", "sector": "hazardous_chemicals", "size": "small",
             "employees": "40", "longitude": "120.5", "latitude": "28.5", "hazardous_chemicals": "true",
             "major_hazard_level": "2", "status": "operating", "established": "2015-06-01"},
            {"enterprise_id": "E2", "name": "乙渔船", "town_id": "T2", "sector": "fishing_vessels",
             "vessel_length_m": "24.5", "crew": "6"},
        ],
        "status_events": [{"enterprise_id": "E1", "date": "2024-03-01", "status": "suspended", "reason": "seasonal",
                           "approved": ""}],
        "inspections": [{"inspection_id": "I1", "enterprise_id": "E1", "date": "2024-02-01", "team": "第1组",
                         "mode": "random"}],
        "hazards": [{"hazard_id": "H1", "enterprise_id": "E1", "inspection_id": "I1", "found_date": "2024-02-01",
                     "level": "major", "category": "chemicals", "deadline": "2024-03-01", "rectified_date": "2024-03-10"}],
        "special_operations": [{"permit_id": "P1", "enterprise_id": "E1", "kind": "hot_work", "start_date": "2024-04-01",
                                "end_date": "2024-04-02", "contractor": "", "operators": "3", "certified_operators": "2"}],
        "contracts": [{"contract_id": "C1", "enterprise_id": "E1", "contractor": "丙公司", "start_date": "2024-01-01",
                       "end_date": "2024-12-31", "contractor_qualified": "是", "safety_agreement": "否"}],
        "penalties": [{"penalty_id": "F1", "enterprise_id": "E1", "date": "2024-05-01", "kind": "fine", "amount_yuan": "5000"}],
        "accidents": [{"accident_id": "A1", "enterprise_id": "E2", "date": "2024-06-01", "severity": "minor",
                       "deaths": "0", "injuries": "1"}],
        "weather_alerts": [{"alert_id": "W1", "kind": "typhoon", "level": "orange", "start_date": "2024-07-01",
                            "end_date": "2024-07-03", "town_id": "T2"}],
    }


def write_set(folder: Path, rows: dict[str, list[dict[str, str]]], encoding: str = "utf-8",
              chinese: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, records in rows.items():
        frame = pd.DataFrame(records, dtype=str).fillna("")
        if chinese:
            frame = frame.rename(columns={c.name: c.zh for c in TABLES[name].columns})
        frame.to_csv(folder / f"{name}.csv", index=False, encoding=encoding)
    return folder


def import_rows(store, tmp_path, rows, **options):
    return import_files(store, write_set(tmp_path / "files", rows), export_date=EXPORT, **options)


# (table, column, bad value, good value, part of the English reason)
CASES = [
    ("towns", "town_id", "", "T1", "required value is missing"),
    ("towns", "name", "", "城关镇", "required value is missing"),
    ("towns", "coastal", "maybe", "是", "Not a yes/no value"),
    ("enterprises", "sector", "bogus", "危险化学品", "Not a valid sector"),
    ("enterprises", "size", "huge", "小型", "Not a valid size"),
    ("enterprises", "employees", "3.5", "12", "Not a whole number"),
    ("enterprises", "employees", "-1", "0", "Must not be below 0"),
    ("enterprises", "longitude", "150", "135.9", "Outside the allowed range 73 to 136"),
    ("enterprises", "latitude", "2.5", "53.9", "Outside the allowed range 3 to 54"),
    ("enterprises", "latitude", "abc", "28.1", "Not a number"),
    ("enterprises", "latitude", "", "28.1", "latitude and longitude must both be given or both be empty"),
    ("enterprises", "hazardous_chemicals", "sometimes", "有", "Not a yes/no value"),
    ("enterprises", "major_hazard_level", "5", "4", "Outside the allowed range 0 to 4"),
    ("enterprises", "status", "working", "停产改造", "Not a valid status"),
    ("enterprises", "established", "2026-13-01", "2015年6月1日", "Not a valid date"),
    ("enterprises", "town_id", "T9", "T2", "Not found in towns"),
    ("enterprises", "sector", "", "mining", "required value is missing"),
    ("status_events", "date", "2026-11-16", "2026-11-15", "After the export date 2026-11-15"),
    ("status_events", "status", "", "closed", "required value is missing"),
    ("status_events", "reason", "x", "环保改造", "Not a valid reason"),
    ("status_events", "approved", "ok", "Y", "Not a yes/no value"),
    ("status_events", "enterprise_id", "E9", "E2", "Not found in enterprises"),
    ("inspections", "date", "2099-01-01", "20240201", "After the export date"),
    ("inspections", "date", "01/02/2024", "2024/02/01", "Not a valid date"),
    ("inspections", "mode", "surprise", "四不两直", "Not a valid mode"),
    ("inspections", "enterprise_id", "E9", "E2", "Not found in enterprises"),
    ("hazards", "level", "", "重大隐患", "required value is missing"),
    ("hazards", "level", "severe", "general", "Not a valid level"),
    ("hazards", "category", "misc", "其他", "Not a valid category"),
    ("hazards", "inspection_id", "I9", "", "Not found in inspections"),
    ("hazards", "found_date", "", "2024.02.01", "required value is missing"),
    ("hazards", "deadline", "2024-01-31", "2024-02-01", "Must not be before found_date"),
    ("hazards", "rectified_date", "2024-01-01", "", "Must not be before found_date"),
    ("special_operations", "end_date", "2024-03-31", "2024-04-01", "Must not be before start_date"),
    ("special_operations", "operators", "0", "2", "Must not be below 1"),
    ("special_operations", "certified_operators", "4", "3", "Must not be greater than operators"),
    ("special_operations", "kind", "welding", "动火", "Not a valid kind"),
    ("contracts", "contractor", "", "丁公司", "required value is missing"),
    ("contracts", "end_date", "2023-12-31", "2024-01-01", "Must not be before start_date"),
    ("contracts", "safety_agreement", "2", "0", "Not a yes/no value"),
    ("penalties", "amount_yuan", "-5", "0", "Must not be below 0"),
    ("penalties", "kind", "", "警告", "required value is missing"),
    ("accidents", "severity", "bad", "特别重大", "Not a valid severity"),
    ("accidents", "deaths", "-1", "0", "Must not be below 0"),
    ("accidents", "injuries", "x", "2", "Not a whole number"),
    ("weather_alerts", "town_id", "T9", "", "Not found in towns"),
    ("weather_alerts", "level", "purple", "红色", "Not a valid level"),
    ("weather_alerts", "end_date", "2024-06-30", "2024-07-01", "Must not be before start_date"),
    ("weather_alerts", "kind", "", "台风", "required value is missing"),
]


@pytest.fixture(scope="module")
def empty_store_file(tmp_path_factory) -> Path:
    """An empty SQLite store as open_store creates it, made once per module: creating the schema
    was a tenth of each small import test. Every test gets its own copy (``sqlite_store``)."""
    path = tmp_path_factory.mktemp("empty_store") / "store.db"
    open_store(f"sqlite:///{path}").dispose()
    assert not path.with_name("store.db-wal").exists(), "the write-ahead log must be merged for a plain copy"
    return path


@pytest.fixture
def sqlite_store(tmp_path, empty_store_file):
    """A fresh, empty store of this test's own: a file copy of the module's empty store."""
    path = tmp_path / "store.db"
    shutil.copyfile(empty_store_file, path)
    opened = open_store(f"sqlite:///{path}")
    yield opened
    opened.dispose()


@pytest.mark.parametrize(("table", "column", "bad", "good", "reason"), CASES,
                         ids=[f"{c[0]}.{c[1]}={c[2]!r}" for c in CASES])
def test_every_rule_fails_on_a_bad_value_and_passes_on_a_good_one(sqlite_store, tmp_path, table, column, bad, good, reason):
    rows = base_rows()
    rows[table][0][column] = bad
    with pytest.raises(ImportFailed) as caught:
        import_rows(sqlite_store, tmp_path / "bad", rows)
    issues = caught.value.issues
    hit = issues.loc[(issues["file"] == f"{table}.csv") & (issues["column"] == column)]
    assert len(hit) == 1, issues.to_string()
    assert hit.iloc[0]["row"] == 2 and hit.iloc[0]["value"] == bad
    assert reason in hit.iloc[0]["reason_en"] and hit.iloc[0]["reason_zh"]
    others = issues.loc[issues["file"] != f"{table}.csv"]  # only rows that referred to the blanked id
    assert others["reason_en"].str.startswith("Not found").all() and (bad == "" or others.empty), issues.to_string()
    assert all(frame.empty for frame in read_tables(sqlite_store).values())  # nothing changed

    rows[table][0][column] = good
    report = import_rows(sqlite_store, tmp_path / "good", rows)
    assert report.summary.set_index("table").loc[table, "inserted"] == len(rows[table])


def test_a_repeated_id_is_one_problem_on_the_later_row_and_the_first_row_stays(sqlite_store, tmp_path):
    rows = base_rows()
    rows["hazards"].append({**rows["hazards"][0], "level": "general"})
    with pytest.raises(ImportFailed) as caught:
        import_rows(sqlite_store, tmp_path / "strict", rows)
    issues = caught.value.issues
    assert issues["row"].tolist() == [3] and issues["column"].tolist() == ["hazard_id"]
    assert "already in hazards.csv row 2" in issues["reason_en"].iloc[0]
    assert "hazards.csv 第2行" in issues["reason_zh"].iloc[0]
    report = import_rows(sqlite_store, tmp_path / "skip", rows, skip_bad=True)
    assert report.summary.set_index("table").loc["hazards", ["inserted", "rejected"]].tolist() == [1, 1]
    assert read_tables(sqlite_store)["hazards"]["level"].tolist() == ["major"]  # the genuine first row
    rejected = pd.read_csv(tmp_path / "skip" / "files" / "hazards.rejects.csv", dtype=str, keep_default_na=False)
    assert rejected["level"].tolist() == ["general"]


def test_ids_are_unique_across_the_files_of_one_table(sqlite_store, tmp_path):
    folder = write_set(tmp_path / "files", base_rows())
    pd.DataFrame([{"hazard_id": "H1", "enterprise_id": "E2", "found_date": "2024-05-05", "level": "general"}]).to_csv(
        folder / "hazards_2025.csv", index=False)
    with pytest.raises(ImportFailed) as caught:
        import_files(sqlite_store, folder, export_date=EXPORT)
    assert caught.value.issues["file"].tolist() == ["hazards_2025.csv"]
    assert "hazards.csv row 2" in caught.value.issues["reason_en"].iloc[0]


def test_the_same_status_change_twice_is_reported(sqlite_store, tmp_path):
    rows = base_rows()
    rows["status_events"].append(dict(rows["status_events"][0]))
    with pytest.raises(ImportFailed) as caught:
        import_rows(sqlite_store, tmp_path, rows)
    assert caught.value.issues["reason_en"].str.contains("same record").all()


def test_a_missing_required_column_or_table_fails_before_any_row_is_read(sqlite_store, tmp_path):
    rows = base_rows()
    for record in rows["hazards"]:
        del record["level"]
    del rows["inspections"]
    rows["hazards"][0]["inspection_id"] = ""
    with pytest.raises(ImportFailed) as caught:
        import_rows(sqlite_store, tmp_path, rows)
    reasons = caught.value.issues.set_index("file")["reason_en"]
    assert "required column is missing" in reasons["hazards.csv"]
    assert "required table inspections" in reasons["inspections.csv"]
    assert "level" in caught.value.issues.set_index("file").loc["hazards.csv", "column"]


def test_gbk_and_bom_files_with_chinese_headers_and_labels_read_like_plain_utf8(sqlite_store, tmp_path):
    rows = base_rows()
    rows["enterprises"][0]["sector"] = "危险化学品"
    rows["hazards"][0]["level"] = "重大隐患"
    plain = tmp_path / "plain"
    write_set(plain, base_rows())
    gbk = write_set(tmp_path / "gbk", rows, encoding="gbk", chinese=True)
    bom = write_set(tmp_path / "bom", rows, encoding="utf-8-sig", chinese=True)
    assert detect_encoding(gbk / "hazards.csv") == "gb18030"
    assert detect_encoding(bom / "hazards.csv") == "utf-8-sig"
    assert detect_encoding(plain / "hazards.csv") == "utf-8"
    import_files(sqlite_store, plain, export_date=EXPORT)
    expected = read_tables(sqlite_store)
    for folder in (gbk, bom):
        other = open_store(f"sqlite:///{tmp_path / (folder.name + '.db')}")
        import_files(other, folder, export_date=EXPORT)
        for name, frame in read_tables(other).items():
            pd.testing.assert_frame_equal(frame, expected[name])
        other.dispose()


def test_headers_in_any_order_with_spaces_and_extra_columns_are_accepted_and_reported(sqlite_store, tmp_path):
    folder = write_set(tmp_path / "files", base_rows())
    towns = pd.read_csv(folder / "towns.csv", dtype=str, keep_default_na=False)
    towns = towns[["name", "coastal", "town_id"]].rename(columns={"name": " 镇街名称 ", "town_id": "town_id  "})
    towns["备注"] = "x"
    towns.to_csv(folder / "towns.csv", index=False)
    report = import_files(sqlite_store, folder, export_date=EXPORT)
    assert report.unknown_columns == [("towns.csv", "备注")]
    assert "备注" in report.render("zh") and "备注" in report.render("en")
    assert read_tables(sqlite_store)["towns"]["name"].tolist() == ["城关镇", "河口镇"]


def test_cells_with_surrounding_spaces_and_defaults(sqlite_store, tmp_path):
    rows = base_rows()
    rows["towns"][0]["coastal"] = ""
    rows["inspections"][0]["mode"] = ""
    rows["enterprises"][0]["sector"] = "  mining\u3000"
    import_rows(sqlite_store, tmp_path, rows)
    tables = read_tables(sqlite_store)
    assert tables["towns"]["coastal"].tolist() == [False, True]  # the contract's default
    assert tables["inspections"]["mode"].tolist() == ["routine"]
    assert tables["enterprises"]["sector"].tolist()[0] == "mining"
    assert tables["status_events"]["approved"].isna().all()  # empty means unknown


def test_an_xlsx_workbook_with_excel_date_and_number_cells(sqlite_store, tmp_path):
    rows = base_rows()
    plain = write_set(tmp_path / "plain", rows)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, records in rows.items():
        sheet = book.create_sheet(name)
        columns = list(dict.fromkeys(k for record in records for k in record))
        sheet.append([TABLES[name].column(c).zh for c in columns])
        for record in records:
            cells = []
            for column in columns:
                value, kind = record.get(column, ""), TABLES[name].column(column).type
                if value and kind == "date":
                    value = dt.datetime.fromisoformat(value)
                elif value and kind in ("int", "float"):
                    value = float(value) if "." in value else int(value)
                cells.append(value if value != "" else None)
            sheet.append(cells)
    path = tmp_path / "导出.xlsx"
    book.save(path)
    report = import_files(sqlite_store, path, export_date=EXPORT)
    assert report.summary["rejected"].sum() == 0
    other = open_store(f"sqlite:///{tmp_path / 'plain.db'}")
    import_files(other, plain, export_date=EXPORT)
    expected = read_tables(other)
    for name, frame in read_tables(sqlite_store).items():
        pd.testing.assert_frame_equal(frame, expected[name])
    other.dispose()


def test_nothing_changes_when_one_row_is_bad(store, tmp_path):
    import_rows(store, tmp_path / "first", base_rows())
    before = read_tables(store)
    rows = base_rows()
    rows["towns"][0]["name"] = "新名字"  # a valid correction ...
    rows["hazards"][0]["level"] = "unknown"  # ... and one bad cell
    with pytest.raises(ImportFailed):
        import_rows(store, tmp_path / "second", rows)
    for name, frame in read_tables(store).items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_importing_twice_changes_nothing_and_a_later_export_updates_by_id(store, tmp_path):
    first = import_rows(store, tmp_path / "a", base_rows())
    assert first.summary["inserted"].tolist() == [len(r) for r in base_rows().values()]
    second = import_rows(store, tmp_path / "b", base_rows())
    assert second.summary[["inserted", "updated"]].to_numpy().sum() == 0
    assert second.summary["unchanged"].tolist() == first.summary["inserted"].tolist()
    rows = base_rows()
    rows["hazards"][0]["rectified_date"] = "2024-03-20"
    rows["hazards"].append({"hazard_id": "H2", "enterprise_id": "E2", "found_date": "2024-08-01", "level": "general"})
    third = import_rows(store, tmp_path / "c", rows).summary.set_index("table")
    assert third.loc["hazards", ["inserted", "updated", "unchanged"]].tolist() == [1, 1, 0]
    hazards = read_tables(store)["hazards"].set_index("hazard_id")
    assert hazards.loc["H1", "rectified_date"] == pd.Timestamp("2024-03-20")


def test_references_may_point_to_rows_already_in_the_store(store, tmp_path):
    import_rows(store, tmp_path / "a", base_rows())
    later = {name: [] for name in ("towns", "enterprises", "inspections")}
    later["hazards"] = [{"hazard_id": "H9", "enterprise_id": "E2", "inspection_id": "I1", "found_date": "2024-09-09",
                         "level": "general"}]
    folder = write_set(tmp_path / "b", later)
    for name in ("towns", "enterprises", "inspections"):
        pd.DataFrame(columns=TABLES[name].column_names).to_csv(folder / f"{name}.csv", index=False)
    report = import_files(store, folder, export_date=EXPORT)
    assert report.summary.set_index("table").loc["hazards", "inserted"] == 1


def test_skip_bad_loads_the_good_rows_and_writes_the_bad_ones_unchanged_with_reasons(store, tmp_path):
    rows = base_rows()
    rows["enterprises"].append({"enterprise_id": "E3", "name": " 丁厂 ", "town_id": "T1", "sector": "不存在的行业"})
    rows["hazards"].append({"hazard_id": "H3", "enterprise_id": "E3", "found_date": "2024-02-02", "level": "general"})
    rows["hazards"].append({"hazard_id": "H4", "enterprise_id": "E1", "found_date": "2024-02-02", "level": "general"})
    folder = write_set(tmp_path / "files", rows)
    original = pd.read_csv(folder / "enterprises.csv", dtype=str, keep_default_na=False)
    report = import_files(store, folder, export_date=EXPORT, skip_bad=True, rejects_dir=tmp_path / "rejects")
    summary = report.summary.set_index("table")
    assert summary.loc["enterprises", ["inserted", "rejected"]].tolist() == [2, 1]
    assert summary.loc["hazards", ["inserted", "rejected"]].tolist() == [2, 1]
    assert sorted(p.name for p in report.rejects) == ["enterprises.rejects.csv", "hazards.rejects.csv"]
    assert str(tmp_path / "rejects") in report.render("zh")

    rejected = pd.read_csv(tmp_path / "rejects" / "enterprises.rejects.csv", dtype=str, keep_default_na=False)
    reason = rejected.columns[-1]
    pd.testing.assert_frame_equal(rejected.drop(columns=reason), original.iloc[[2]].reset_index(drop=True))
    assert "sector" in rejected[reason].iloc[0] and "行业领域" in rejected[reason].iloc[0]
    cascade = pd.read_csv(tmp_path / "rejects" / "hazards.rejects.csv", dtype=str, keep_default_na=False)
    assert cascade["hazard_id"].tolist() == ["H3"]
    assert "rejected" in cascade.iloc[0, -1]
    tables = read_tables(store)
    assert tables["enterprises"]["enterprise_id"].tolist() == ["E1", "E2"]
    assert tables["hazards"]["hazard_id"].tolist() == ["H1", "H4"]


def test_the_printed_list_is_capped_and_the_full_list_can_be_written(sqlite_store, tmp_path):
    rows = base_rows()
    rows["hazards"] = [{"hazard_id": f"H{i}", "enterprise_id": "E1", "found_date": "2024-01-01", "level": "bad"}
                       for i in range(PRINTED_ISSUES + 50)]
    errors = tmp_path / "errors.csv"
    with pytest.raises(ImportFailed) as caught:
        import_rows(sqlite_store, tmp_path, rows, errors_path=errors)
    text = caught.value.render("en")
    assert "... and 50 more not shown." in text and str(errors) in text
    assert "另有 50 处错误未列出" in caught.value.render("zh")
    assert len(pd.read_csv(errors)) == PRINTED_ISSUES + 50


def test_the_export_date_defaults_to_today_and_must_be_a_date(sqlite_store, tmp_path):
    rows = base_rows()
    rows["inspections"][0]["date"] = (pd.Timestamp.today() + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    with pytest.raises(ImportFailed, match="After the export date"):
        import_files(sqlite_store, write_set(tmp_path / "a", rows))
    with pytest.raises(UserError) as caught:
        import_files(sqlite_store, write_set(tmp_path / "b", base_rows()), export_date="15/11/2026")
    assert "15/11/2026" in caught.value.zh and "15/11/2026" in caught.value.en


def test_cli_import_prints_the_summary_and_fails_with_the_problems(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    good = write_set(tmp_path / "good", base_rows())
    assert main(["import", str(good), "--db", db, "--export-date", EXPORT, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Import done (export date 2026-11-15)" in out and "hazards" in out
    rows = base_rows()
    rows["enterprises"][1]["sector"] = "bogus"
    bad = write_set(tmp_path / "bad", rows)
    errors = tmp_path / "errors.csv"
    assert main(["import", str(bad), "--db", db, "--export-date", EXPORT, "--errors", str(errors)]) == 3
    err = capsys.readouterr().err
    assert "enterprises.csv 第3行 [sector] “bogus”" in err
    assert pd.read_csv(errors)["row"].tolist() == [3]
    assert main(["import", str(bad), "--db", db, "--export-date", EXPORT, "--skip-bad"]) == 0
    assert (bad / "enterprises.rejects.csv").exists()


def test_templates_have_chinese_headers_and_import_once_filled(tmp_path, capsys):
    assert main(["template", str(tmp_path / "blank")]) == 0
    assert main(["template", str(tmp_path / "book"), "--xlsx"]) == 0
    assert "saferank_template.xlsx" in capsys.readouterr().out
    header = (tmp_path / "blank" / "hazards.csv").read_text(encoding="utf-8-sig").strip()
    assert header.split(",") == [c.zh for c in TABLES["hazards"].columns]
    book = openpyxl.load_workbook(tmp_path / "book" / "saferank_template.xlsx")
    assert [c.value for c in book["towns"][1]] == [c.zh for c in TABLES["towns"].columns]
    filled = tmp_path / "blank"
    for name in ("towns", "enterprises", "inspections", "hazards"):
        pd.DataFrame(base_rows()[name][:1]).rename(columns={c.name: c.zh for c in TABLES[name].columns}).to_csv(
            filled / f"{name}.csv", index=False, encoding="utf-8-sig")
    store = open_store(f"sqlite:///{tmp_path / 't.db'}")
    report = import_files(store, filled, export_date=EXPORT)
    assert report.ignored == [] and report.summary.set_index("table").loc["towns", "inserted"] == 1
    assert "power_usage.csv has a header but no data rows" in report.render("en")  # optional: a note, no error
    assert import_files(store, tmp_path / "book" / "saferank_template.xlsx", export_date=EXPORT).ignored == []
    store.dispose()
    assert write_templates(tmp_path / "again")[-1].name == "_说明.csv"


def test_the_shipped_sample_county_imports_without_a_rejected_row_and_again_without_a_change(sqlite_store):
    county = SAMPLE_COUNTY
    first = import_files(sqlite_store, county, export_date="2026-11-15").summary.set_index("table")
    # Every CSV row, and since the harder sample (issue 16) every town outline of towns.geojson.
    written = {name: len(json.loads((county / files).read_text(encoding="utf-8"))["features"]) if files.endswith(".geojson")
               else len(pd.read_csv(county / files, dtype=str)) for name, files in first["files"].items()}
    assert "town_map" in written and "power_usage" in written
    assert first["inserted"].to_dict() == written and first["rejected"].sum() == 0
    again = import_files(sqlite_store, county, export_date="2026-11-15").summary.set_index("table")
    assert again["unchanged"].to_dict() == written


def test_an_unreadable_file_is_named_in_the_error(sqlite_store, tmp_path):
    folder = write_set(tmp_path / "files", base_rows())
    (folder / "towns.csv").write_text("town_id,name\nT1,城关镇,多出的格\n", encoding="utf-8")
    with pytest.raises(UserError, match="towns.csv"):
        import_files(sqlite_store, folder, export_date=EXPORT)
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(UserError, match="broken.xlsx"):
        import_files(sqlite_store, tmp_path / "broken.xlsx", export_date=EXPORT)
    with pytest.raises(UserError, match="No folder or file to import"):
        import_files(sqlite_store, tmp_path / "nowhere", export_date=EXPORT)


def test_a_date_beyond_what_the_store_holds_is_reported_not_a_crash(sqlite_store, tmp_path):
    rows = base_rows()
    rows["enterprises"][0]["established"] = "2263-01-01"
    rows["inspections"][0]["date"] = "9999-12-31"
    with pytest.raises(ImportFailed) as caught:
        import_rows(sqlite_store, tmp_path, rows)
    issues = caught.value.issues
    assert set(zip(issues["column"], issues["value"], strict=True)) >= {("established", "2263-01-01"), ("date", "9999-12-31")}
    assert issues["reason_en"].str.startswith("Not a valid date").all()
