"""The import page's callbacks through the real app and its guard (issue 17, item 1): an office
account uploads a provincial workbook, gets the proposed mapping, checks it (every problem located
as the source wrote it), imports skipping the bad row, downloads the rejects; every run audited;
another account cannot use the upload's token."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pandas as pd
from test_auth_support import auth_app_fixture, callback_body, signed_in_client  # noqa: F401 (fixture auth_app)

from analytics.accounts import audit
from analytics.accounts import users as accounts
from analytics.store.database import read_tables
from analytics.store.progress import Step
from dashboard.components.import_progress import PROGRESS_FILE, write_progress
from dashboard.authz.table import TABLE, outputs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analytics"))
from test_ingest import EXPORT, base_rows  # noqa: E402
from test_mapping import provincial_workbook  # noqa: E402

UPLOAD = outputs("import-token.data", "import-file.children")
PROPOSE = outputs("import-mapping.rowData", "import-system.value")
RUN = outputs("import-result.children", "import-summary.children", "import-problems.rowData")
REJECTS = "import-download-rejects.data"


def _call(client, app, key: str, values: dict[str, object], trigger: str | None = None, lang: str = "zh") -> dict:
    body = callback_body(app, key, "/import")
    for item in body["inputs"] + body["state"]:
        name = f"{item['id']}.{item['property']}"
        if name in values:
            item["value"] = values[name]
        elif item["property"] == "data" and str(item["id"]).endswith("-lang-store"):
            item["value"] = lang
    body["changedPropIds"] = [trigger] if trigger else []
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def _bad_rows() -> dict:
    rows = base_rows()
    rows["hazards"].append({**rows["hazards"][0], "hazard_id": "H2", "level": "很大"})
    return rows


def test_the_import_callbacks_are_in_the_table_for_the_office_only() -> None:
    for key in (UPLOAD, PROPOSE, RUN, REJECTS, "import-download-problems.data"):
        assert TABLE[key].roles == frozenset({"office"}) and TABLE[key].permission == "import"


def test_office_uploads_maps_checks_and_imports_skipping_the_bad_row(auth_app, tmp_path) -> None:
    app = auth_app.app
    office = auth_app.client("office")
    book = provincial_workbook(tmp_path / "省执法系统导出.xlsx", _bad_rows())
    url = "data:application/octet-stream;base64," + base64.b64encode(book.read_bytes()).decode()
    got = _call(office, app, UPLOAD, {"import-upload.contents": url, "import-upload.filename": book.name},
                "import-upload.contents")
    token = got["import-token"]["data"]
    assert len(token) == 32 and "省执法系统导出.xlsx" in got["import-file"]["children"]

    got = _call(office, app, PROPOSE, {"import-token.data": token}, "import-token.data")
    rows = got["import-mapping"]["rowData"]
    found = {(r["kind"], r["source"]): r["target"] for r in rows}
    assert found[("工作表", "企业基本信息")] == "enterprises" and found[("列", "单位名称")] == "name"
    assert found[("列", "检查时间")] == "date" and found[("代码取值", "很大")] == ""

    state = {"import-token.data": token, "import-mapping.rowData": rows, "import-system.value": "省执法系统",
             "import-export-date.value": EXPORT}
    got = _call(office, app, RUN, {**state, "import-check.n_clicks": 1}, "import-check.n_clicks")
    problems = got["import-problems"]["rowData"]
    assert [(p["file"], p["row"], p["column"], p["value"]) for p in problems] == \
        [("省执法系统导出.xlsx:隐患排查记录", 3, "隐患级别", "很大")]
    assert "不是隐患等级的有效取值" in problems[0]["reason"]
    assert read_tables(auth_app.store, ["hazards"])["hazards"].empty  # a check changes nothing

    got = _call(office, app, RUN, {**state, "import-all.n_clicks": 1}, "import-all.n_clicks", lang="en")
    assert "Not imported" in json.dumps(got["import-result"]["children"])
    assert read_tables(auth_app.store, ["hazards"])["hazards"].empty  # all or nothing

    got = _call(office, app, RUN, {**state, "import-skip.n_clicks": 1}, "import-skip.n_clicks", lang="en")
    assert "Imported" in json.dumps(got["import-result"]["children"], ensure_ascii=False)
    assert "Not a valid level" in got["import-problems"]["rowData"][0]["reason"]
    assert list(read_tables(auth_app.store, ["hazards"])["hazards"]["hazard_id"]) == ["H1"]

    got = _call(office, app, REJECTS, {"import-token.data": token, "import-get-rejects.n_clicks": 1},
                "import-get-rejects.n_clicks")
    download = got["import-download-rejects"]["data"]
    text = base64.b64decode(download["content"]).decode("utf-8-sig") if download.get("base64") else download["content"]
    assert "很大" in text and "H2" in text and "H1," not in text

    entries = audit.search(auth_app.store, {"action": "import", "username": "u-office"})
    details = [json.loads(d) for d in entries["details"]]
    assert {d["mode"] for d in details} == {"check", "all", "skip"}
    skip = next(d for d in details if d["mode"] == "skip")
    assert skip["loaded"] and skip["rejected"] == 1 and skip["system"] == "省执法系统"
    assert set(entries["object_id"]) == {"省执法系统导出.xlsx"}

    # the mapping was kept for its system and is offered next time
    got = _call(office, app, PROPOSE, {"import-token.data": token, "import-saved.value": "省执法系统"}, "import-saved.value")
    assert got["import-system"]["value"] == "省执法系统"
    assert any(r["how"] == "已保存的映射" for r in got["import-mapping"]["rowData"])

    # another office account cannot reach this upload by its token
    accounts.add_user(auth_app.store, "office-2", "office", "correct-horse-battery")
    other = signed_in_client(app, auth_app.store, "office-2")
    got = _call(other, app, RUN, {**state, "import-skip.n_clicks": 1}, "import-skip.n_clicks")
    assert "已过期" in json.dumps(got["import-result"]["children"], ensure_ascii=False)


def test_a_zip_of_csvs_with_a_path_in_it_is_unpacked_flat(tmp_path) -> None:
    import io
    import zipfile

    from analytics.store.uploads import unpack

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil/towns.csv", "town_id,name\nT1,城关镇\n")
        archive.writestr("export/notes.txt", "ignored")
    folder = unpack("county.zip", buffer.getvalue(), tmp_path / "work")
    assert [p.name for p in folder.iterdir()] == ["towns.csv"] and folder.parent == tmp_path / "work"
    assert pd.read_csv(folder / "towns.csv")["name"].tolist() == ["城关镇"]


def test_an_upload_above_the_app_limit_reaches_the_page_only_for_accounts_that_may_import(auth_app) -> None:
    """The app refuses bodies over max_content_length (2 MB); an office workbook is often larger, so
    the guard lets accounts with the import permission send up to import_max_bytes."""
    app = auth_app.app
    big = "data:application/zip;base64," + base64.b64encode(b"x" * 3 * 1024 * 1024).decode()
    got = _call(auth_app.client("office"), app, UPLOAD, {"import-upload.contents": big, "import-upload.filename": "big.zip"},
                "import-upload.contents")
    assert "不是有效的 zip" in got["import-file"]["children"]
    body = callback_body(app, UPLOAD, "/import")
    body["inputs"][0]["value"] = big
    assert auth_app.client("analyst").post("/_dash-update-component", json=body).status_code == 413


def test_a_sheet_given_another_table_gets_that_tables_columns_proposed(auth_app, tmp_path) -> None:
    """The clerk says which table a sheet is (here: 乡镇列表 is not to be imported, then it is towns
    again): 重新建议 proposes the headers for the table as changed."""
    app = auth_app.app
    office = auth_app.client("office")
    book = provincial_workbook(tmp_path / "export.xlsx")
    url = "data:application/octet-stream;base64," + base64.b64encode(book.read_bytes()).decode()
    token = _call(office, app, UPLOAD, {"import-upload.contents": url, "import-upload.filename": book.name},
                  "import-upload.contents")["import-token"]["data"]
    rows = _call(office, app, PROPOSE, {"import-token.data": token}, "import-token.data")["import-mapping"]["rowData"]
    assert any(r["table"] == "towns" and r["kind"] == "列" for r in rows)
    for row in rows:
        if row["source"] == "乡镇列表":
            row["target"] = ""
    again = _call(office, app, PROPOSE, {"import-token.data": token, "import-repropose.n_clicks": 1,
                                          "import-mapping.rowData": rows}, "import-repropose.n_clicks")
    again = again["import-mapping"]["rowData"]
    assert [r["target"] for r in again if r["source"] == "乡镇列表"] == [""]
    assert not any(r["table"] == "towns" and r["kind"] == "列" for r in again)


POLL = "import-progress.children"


def test_the_poll_shows_the_progress_of_the_accounts_own_upload_only(auth_app, tmp_path) -> None:
    """A run leaves its last progress step in the upload's folder (the hook is wired in); the poll shows
    the step written for the caller's token as a bar with its label, and refuses another account's."""
    from dashboard.pages import data_import  # registers a page: only once the app exists

    assert TABLE[POLL].roles == frozenset({"office"}) and TABLE[POLL].permission == "import"
    app = auth_app.app
    office = auth_app.client("office")
    book = provincial_workbook(tmp_path / "export.xlsx")
    url = "data:application/octet-stream;base64," + base64.b64encode(book.read_bytes()).decode()
    token = _call(office, app, UPLOAD, {"import-upload.contents": url, "import-upload.filename": book.name},
                  "import-upload.contents")["import-token"]["data"]
    rows = _call(office, app, PROPOSE, {"import-token.data": token}, "import-token.data")["import-mapping"]["rowData"]
    work = data_import._root() / "u-office" / token
    before = _call(office, app, POLL, {"import-token.data": token, "import-poll.n_intervals": 1}, "import-poll.n_intervals")
    assert "正在读取文件" in json.dumps(before, ensure_ascii=False)  # nothing written yet

    state = {"import-token.data": token, "import-mapping.rowData": rows, "import-export-date.value": EXPORT}
    _call(office, app, RUN, {**state, "import-skip.n_clicks": 1}, "import-skip.n_clicks")
    last = json.loads((work / PROGRESS_FILE).read_text(encoding="utf-8"))
    assert last["stage"] == "write" and last["number"] == last["tables"] and last["done"] == last["total"] > 0

    write_progress(work, Step("write", "hazards", 3, 9, 120_000, 400_000))
    got = json.dumps(_call(office, app, POLL, {"import-token.data": token, "import-poll.n_intervals": 2},
                           "import-poll.n_intervals"), ensure_ascii=False)
    assert "写入 表 3/9：隐患 120,000/400,000 行" in got and '"aria-valuenow": 26' in got  # (2 + 0.3) / 9 = 25.6 %
    got = json.dumps(_call(office, app, POLL, {"import-token.data": token, "import-poll.n_intervals": 3},
                           "import-poll.n_intervals", lang="en"), ensure_ascii=False)
    assert "Writing table 3/9: hazards 120,000/400,000 rows" in got

    accounts.add_user(auth_app.store, "office-3", "office", "correct-horse-battery")
    other = signed_in_client(app, auth_app.store, "office-3")
    got = json.dumps(_call(other, app, POLL, {"import-token.data": token, "import-poll.n_intervals": 1},
                           "import-poll.n_intervals"), ensure_ascii=False)
    assert "已过期" in got and "120,000" not in got
