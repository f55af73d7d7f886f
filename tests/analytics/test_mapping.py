"""Column and code mapping of a provincial system's export (issue 17, item 2): proposals, the saved
mapping per source system, and ``saferank import --mapping`` / ``saferank mapping propose``."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ingest import EXPORT, base_rows

from analytics.contract.errors import UserError
from analytics.contract.mapping import SYNONYMS, SourceMapping, propose_codes, propose_headers, propose_table
from analytics.contract.schema import TABLES
from analytics.store.checks import ImportFailed
from analytics.store.database import open_store, read_tables
from analytics.store.ingest import import_files
from analytics.store.mapping import from_rows, propose, save_mapping, saved_mapping, saved_systems
from saferank.cli import main

TABLE_NAMES = st.sampled_from(sorted(TABLES))

# The headers of a provincial system's export, as the issue quotes them, and its code labels.
PROVINCIAL = {
    "towns": ("乡镇列表", {"town_id": "乡镇编码", "name": "乡镇名称", "coastal": "是否沿海"}),
    "enterprises": ("企业基本信息", {"enterprise_id": "统一社会信用代码", "name": "单位名称", "town_id": "所属乡镇",
                                  "sector": "行业类别", "employees": "从业人数"}),
    "inspections": ("执法检查记录", {"inspection_id": "检查记录编号", "enterprise_id": "统一社会信用代码",
                                   "date": "检查时间", "team": "检查人员"}),
    "hazards": ("隐患排查记录", {"hazard_id": "隐患编码", "enterprise_id": "统一社会信用代码", "found_date": "发现时间",
                               "level": "隐患级别"}),
}
LABELS = {("enterprises", "sector"): {"hazardous_chemicals": "危化品", "fishing_vessels": "渔船"},
          ("hazards", "level"): {"general": "一般", "major": "重大"}}


def provincial_workbook(path, rows=None):
    """``base_rows``' four required tables as a provincial system exports them: its sheet names,
    headers and code labels."""
    rows = rows or base_rows()
    with pd.ExcelWriter(path) as writer:
        for table, (sheet, headers) in PROVINCIAL.items():
            frame = pd.DataFrame(rows[table], dtype=str).fillna("")
            for (t, column), labels in LABELS.items():
                if t == table:
                    frame[column] = frame[column].map(labels).fillna(frame[column])
            frame.rename(columns=headers).to_excel(writer, sheet_name=sheet, index=False)
    return path


# --- proposals ----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(table=TABLE_NAMES, data=st.data())
def test_a_contract_named_file_maps_to_itself(table, data) -> None:
    columns = TABLES[table].columns
    picked = data.draw(st.permutations(columns))
    headers = [data.draw(st.sampled_from((c.name, c.zh, c.name.upper(), f" {c.zh} "))) for c in picked]
    proposals = propose_headers(table, headers)
    assert [p.target for p in proposals] == [c.name for c in picked]
    assert {p.how for p in proposals} <= {"exact", "alias"}


def _spellings(table: str, column: str) -> list[str]:
    spec = TABLES[table].column(column)
    return [spec.name, spec.zh] + [h for h, c in SYNONYMS.get(table, {}).items() if c == column]


@settings(max_examples=80, deadline=None)
@given(table=TABLE_NAMES, data=st.data())
def test_a_permuted_and_aliased_header_set_maps_back(table, data) -> None:
    names = TABLES[table].column_names
    picked = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
    headers = [data.draw(st.sampled_from(_spellings(table, c))) for c in picked]
    proposals = propose_headers(table, headers)
    assert [p.target for p in proposals] == picked
    assert all(p.how != "close" for p in proposals)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_code_labels_already_in_the_contract_need_no_mapping(data) -> None:
    coded = [(t, c) for t, spec in TABLES.items() for c in spec.columns if c.codes]
    table, column = data.draw(st.sampled_from(coded))
    values = data.draw(st.lists(st.sampled_from([x for c in column.codes for x in (c.code, c.zh, c.code.upper())]), min_size=1))
    assert propose_codes(column, values) == []


def test_provincial_headers_sheets_and_labels_are_proposed() -> None:
    assert propose_table("企业基本信息").target == "enterprises"
    assert propose_table("隐患排查记录表").target == "hazards"  # a close match: the synonym with a suffix
    assert propose_table("Sheet1").target == ""
    found = {p.source: (p.target, p.how) for p in propose_headers("enterprises", ["单位名称", "所属乡镇", "行业类别",
                                                                                  "企业名称称", "备注"])}
    assert found["单位名称"] == ("name", "synonym") and found["所属乡镇"] == ("town_id", "synonym")
    assert found["行业类别"] == ("sector", "synonym")
    assert found["备注"] == ("", "none")
    # a column is given once: 企业名称称 is close to 企业名称, which 单位名称 already took
    assert found["企业名称称"][0] != "name"
    sector = TABLES["enterprises"].column("sector")
    codes = {p.source: p.target for p in propose_codes(sector, ["工贸行业", "危化品", "工贸", "外星"])}
    assert codes == {"工贸行业": "industry_trade", "危化品": "hazardous_chemicals", "外星": ""}


def test_a_mapping_names_what_is_wrong_in_it() -> None:
    with pytest.raises(UserError, match="no column of enterprises"):
        SourceMapping(columns={"enterprises": {"单位名称": "firm_name"}})
    with pytest.raises(UserError, match="no code"):
        SourceMapping(codes={"hazards": {"level": {"很大": "huge"}}})
    with pytest.raises(UserError, match="same column"):
        SourceMapping(columns={"enterprises": {"单位名称": "name", "企业名": "name"}})
    with pytest.raises(UserError, match="not valid JSON"):
        SourceMapping.from_json("{", "m.json")


# --- applying it ------------------------------------------------------------------------------


def test_a_provincial_workbook_imports_through_the_proposal_and_problems_name_the_source(tmp_path) -> None:
    rows = base_rows()
    rows["hazards"].append({**rows["hazards"][0], "hazard_id": "H2", "level": "很大"})
    book = provincial_workbook(tmp_path / "省系统导出.xlsx", rows)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    with pytest.raises(UserError, match="table"):  # without a mapping: nothing of it is a table
        import_files(store, book, export_date=EXPORT)
    proposed = propose(book)
    confirm = proposed.to_confirm()
    assert set(confirm.loc[confirm["kind"] == "table", "target"]) == set(PROVINCIAL)
    assert proposed.mapping.codes["hazards"]["level"] == {"重大": "major", "很大": ""}
    with pytest.raises(ImportFailed) as failed:
        import_files(store, book, export_date=EXPORT, mapping=proposed.mapping)
    issue = failed.value.issues.iloc[0]
    assert len(failed.value.issues) == 1
    assert (issue["file"], issue["row"], issue["column"], issue["value"]) == ("省系统导出.xlsx:隐患排查记录", 3, "隐患级别", "很大")
    assert read_tables(store, ["enterprises"])["enterprises"].empty  # all or nothing

    dry = import_files(store, book, export_date=EXPORT, mapping=proposed.mapping, dry_run=True, rejects_dir=tmp_path / "r")
    assert len(dry.rejected_issues) == 1 and read_tables(store, ["hazards"])["hazards"].empty
    assert dry.summary.set_index("table").loc["hazards", "rejected"] == 1

    report = import_files(store, book, export_date=EXPORT, mapping=proposed.mapping, skip_bad=True, rejects_dir=tmp_path / "r")
    stored = read_tables(store, ["enterprises", "hazards"])
    assert stored["enterprises"].set_index("enterprise_id").loc["E1", "name"] == "甲化工"
    assert stored["enterprises"].set_index("enterprise_id").loc["E2", "sector"] == "fishing_vessels"
    assert list(stored["hazards"]["level"]) == ["major"]
    rejects = pd.read_csv(tmp_path / "r" / "隐患排查记录.rejects.csv", dtype=str)
    assert list(rejects["隐患级别"]) == ["很大"] and list(rejects["隐患编码"]) == ["H2"]  # as the source wrote it
    assert report.summary.set_index("table").loc["hazards", "rejected"] == 1


def test_a_mapping_is_kept_per_source_system_and_reused(tmp_path) -> None:
    book = provincial_workbook(tmp_path / "export.xlsx")
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    first = propose(book)
    rows = first.rows.to_dict("records")
    for row in rows:  # the clerk corrects one proposal: 从业人数 is not to be imported
        if row["source"] == "从业人数":
            row["target"] = ""
    confirmed = from_rows(rows, "浙江省执法系统")
    save_mapping(store, confirmed, "clerk")
    assert saved_systems(store) == ["浙江省执法系统"]
    again = propose(book, saved_mapping(store, "浙江省执法系统"))
    row = again.rows.set_index("source").loc["从业人数"]
    assert (row["target"], row["how"]) == ("", "saved")
    with pytest.raises(UserError, match="not a valid|no column"):
        from_rows([{"kind": "column", "table": "enterprises", "source": "单位名称", "target": "nonsense"}])


# --- the command line -------------------------------------------------------------------------


def test_cli_proposes_then_imports_with_the_mapping(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    book = provincial_workbook(tmp_path / "export.xlsx")
    out = tmp_path / "mapping.json"
    assert main(["mapping", "propose", str(book), "--out", str(out), "--system", "省系统", "--db", url, "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "'单位名称' -> name (synonym)" in printed and str(out) in printed
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["system"] == "省系统" and data["tables"]["企业基本信息"] == "enterprises"
    assert main(["import", str(book), "--db", url, "--export-date", EXPORT]) == 2  # without it: no table found
    assert main(["import", str(book), "--db", url, "--export-date", EXPORT, "--mapping", str(out)]) == 0
    store = open_store(url)
    assert len(read_tables(store, ["hazards"])["hazards"]) == 1
    assert saved_systems(store) == ["省系统"]  # kept: the next import may name the system instead of the file
    assert main(["import", str(book), "--db", url, "--export-date", EXPORT, "--mapping", "省系统"]) == 0
    assert main(["import", str(book), "--db", url, "--export-date", EXPORT, "--mapping", "别的系统"]) == 2
    assert "别的系统" in capsys.readouterr().err


def test_town_names_where_a_town_id_belongs_are_mapped_to_the_id(tmp_path) -> None:
    """Provincial exports write 所属乡镇 as the town's name; the proposal maps it to the town_id
    of the upload's towns sheet (or of the store), and the import loads the id."""
    rows = base_rows()
    names = {t["town_id"]: t["name"] for t in rows["towns"]}
    for firm in rows["enterprises"]:
        firm["town_id"] = names[firm["town_id"]]
    rows["enterprises"][1]["town_id"] = "河口"  # short for 河口镇: a close match
    book = provincial_workbook(tmp_path / "export.xlsx", rows)
    proposed = propose(book)
    assert proposed.mapping.codes["enterprises"]["town_id"] == {"城关镇": "T1", "河口": "T2"}
    confirm = proposed.to_confirm()
    assert set(confirm.loc[confirm["column"] == "town_id", "source"]) == {"城关镇", "河口"}
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    import_files(store, book, export_date=EXPORT, mapping=from_rows(confirm.to_dict("records")))
    firms = read_tables(store, ["enterprises"])["enterprises"].set_index("enterprise_id")
    assert firms.loc["E1", "town_id"] == "T1" and firms.loc["E2", "town_id"] == "T2"
    # the towns already stored serve an export without a towns sheet
    from analytics.store.mapping import stored_towns

    book.unlink()
    rows.pop("towns")
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame(rows["enterprises"]).rename(columns=PROVINCIAL["enterprises"][1]).to_excel(
            writer, sheet_name="企业基本信息", index=False)
    again = propose(book, stored_towns=stored_towns(store))
    assert again.mapping.codes["enterprises"]["town_id"] == {"城关镇": "T1", "河口": "T2"}


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_known_code_synonyms_map_back_to_their_code(data) -> None:
    from analytics.contract.mapping import CODE_SYNONYMS

    coded = [(c, label, code) for spec in TABLES.values() for c in spec.columns if c.codes
             for label, code in CODE_SYNONYMS.get(c.name, {}).items() if code in c.code_values()]
    column, label, code = data.draw(st.sampled_from(coded))
    assert [(p.source, p.target) for p in propose_codes(column, [label, f" {label} "])] == [(label, code)]


def test_a_workbook_is_read_once_for_the_proposal_the_check_and_the_import(tmp_path, monkeypatch) -> None:
    from analytics.store import reading

    calls = []
    read_excel = pd.read_excel
    monkeypatch.setattr(reading.pd, "read_excel", lambda *a, **k: calls.append(a[0]) or read_excel(*a, **k))
    book = provincial_workbook(tmp_path / "export.xlsx")
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    proposed = propose(book)
    import_files(store, book, export_date=EXPORT, mapping=proposed.mapping, dry_run=True)
    import_files(store, book, export_date=EXPORT, mapping=proposed.mapping)
    assert len(calls) == 1
    rows = base_rows()
    rows["enterprises"][0]["name"] = "甲化工（更名）"
    provincial_workbook(book, rows)  # the file changed: read again, and its new cells count
    import_files(store, book, export_date=EXPORT, mapping=proposed.mapping)
    assert len(calls) == 2
    assert read_tables(store, ["enterprises"])["enterprises"].set_index("enterprise_id").loc["E1", "name"] == "甲化工（更名）"


def test_a_problem_on_a_mapped_label_names_the_label_as_written(tmp_path) -> None:
    """河口镇 is mapped to T2; T2's own row is bad, so with skip-bad E2 goes with it: the reason names
    T2's row, the value is what the source wrote (河口镇), not the id it was mapped to."""
    rows = base_rows()
    names = {t["town_id"]: t["name"] for t in rows["towns"]}
    for firm in rows["enterprises"]:
        firm["town_id"] = names[firm["town_id"]]
    rows["towns"][1]["coastal"] = "maybe"
    book = provincial_workbook(tmp_path / "export.xlsx", rows)
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    report = import_files(store, book, export_date=EXPORT, mapping=propose(book).mapping, skip_bad=True,
                          rejects_dir=tmp_path / "r")
    issues = report.rejected_issues.set_index("file")
    firm = issues.loc["export.xlsx:企业基本信息"]
    assert (firm["row"], firm["column"], firm["value"]) == (3, "所属乡镇", "河口镇")
    assert "export.xlsx:乡镇列表 row 3" in firm["reason_en"]
