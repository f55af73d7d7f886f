"""数据导入 ("/import", office): upload an .xlsx workbook or a .zip of CSVs, confirm how its sheets,
headers and code labels map onto the template, check it (a dry run listing every problem), then
import all or nothing or skipping the bad rows; the problem list and the rejects are downloadable.

The upload is kept on the server in a folder of the signed-in account's own (``_work``), named by a
random token the page holds; later callbacks pass the token, not the file. Every check and import
is audited with who, when, which file, the mapping's source system and the counts.

Progress: while a check or import runs, ``import_files``'s progress hook writes how far it has got
(stage, table k of n, rows done of the table's rows) to ``progress.json`` in the upload's folder; an
interval, enabled only while the run callback runs, polls it (Dash serves callbacks on threads, so the
poll is answered meanwhile) and draws a bar: "写入 表 3/9：隐患 120,000/400,000 行". The poll reads the
signed-in account's own folder only, like every callback here.
"""

from __future__ import annotations

import base64
import io
import re
import secrets
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.accounts import users as accounts
from analytics.contract.errors import UserError
from analytics.contract.schema import LOAD_ORDER, TABLES
from analytics.store import mapping as mappings
from analytics.store.uploads import checked_import, safe_name, unpack
from dashboard import auth, i18n
from dashboard.components.aggrid import ag_grid
from dashboard.components.grid import records
from dashboard.components.import_progress import PROGRESS_FILE, progress_bar, read_progress, write_progress
from dashboard.components.language import register_language_switch
from dashboard.components.layout import page_frame, section
from dashboard.context import get_config, get_store

PREFIX = "import"
dash.register_page(__name__, path="/import", order=85, **i18n.page_names("import"))
register_language_switch(PREFIX)

TOKEN = re.compile(r"^[0-9a-f]{32}$")
KEEP_SECONDS = 24 * 3600  # uploads older than this are removed at the next upload
HOW = ("exact", "alias", "synonym", "close", "saved", "none")
MAPPING_ROWS = 2000  # rows of the mapping grid the server accepts back
QUALITY_PAGE = "/quality"  # the data-quality report page, linked after an import once it is registered
POLL_MS = 1000


def _user() -> accounts.User:
    """The signed-in account, which must hold the import permission (the guard checked the page too)."""
    user = auth.current_user()
    accounts.require(user, "import")
    return user


def max_upload_bytes() -> int:
    """The largest file the page takes: the import request limit (``import_max_bytes``, which the
    guard allows accounts that may import) less the base64 overhead (4/3)."""
    config = get_config()
    return int(max(config["max_content_length"], config["import_max_bytes"]) * 3 / 4) - 64 * 1024


def _root() -> Path:
    return Path(tempfile.gettempdir()) / "saferank-imports"


def _work(token: object, create: bool = False) -> Path:
    """The signed-in account's folder of an upload; a ``UserError`` for a token not its own."""
    user = auth.current_user()
    if user is None or not isinstance(token, str) or not TOKEN.match(token):
        raise UserError("请先上传文件。", "Upload a file first.")
    folder = _root() / re.sub(r"[^\w.\-]", "_", user.username) / token
    if create:
        folder.mkdir(parents=True, mode=0o700)
    elif not folder.is_dir():
        raise UserError("上传的文件已过期，请重新上传。", "The upload has expired; upload the file again.")
    return folder


def _clean_old() -> None:
    now = time.time()
    for folder in _root().glob("*/*"):
        if folder.is_dir() and now - folder.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)


def _data_path(work: Path) -> Path:
    return Path((work / "source.txt").read_text(encoding="utf-8"))


# The target cell edits as a list of what that row may map to ('' = not imported); a town's id, which
# the page does not list, is typed.
TARGET_EDITOR = ("params.data.allowed ? {component: 'agSelectCellEditor', params: {values: [''].concat("
                 "params.data.allowed.split(' '))}} : {component: 'agTextCellEditor'}")


def mapping_columns(lang: str) -> list[dict]:
    names = ("kind", "table", "column", "source", "target", "how", "allowed")
    widths = {"source": 180, "target": 170, "allowed": 420}
    target = {"editable": True, "cellClass": "editable-cell", "cellEditorSelector": {"function": TARGET_EDITOR}}
    return [{"field": f, "headerName": i18n.t(f"import.col_{f}", lang), "width": widths.get(f, 120),
             **(target if f == "target" else {})} for f in names]


PROBLEM_FIELDS = ("file", "row", "column", "value", "reason")


def problem_columns(lang: str) -> list[dict]:
    widths = {"file": 220, "row": 80, "column": 140, "value": 160, "reason": 520}
    return [{"field": f, "headerName": i18n.t(f"import.col_{f}", lang), "width": widths[f]} for f in PROBLEM_FIELDS]


def layout(lang: str | None = None, **_query: object) -> html.Div:
    lang = i18n.current_lang(lang)
    megabytes = max_upload_bytes() // (1024 * 1024)
    systems = mappings.saved_systems(get_store())
    body = [
        html.P(i18n.t("import.how", lang), className="hint"),
        section(i18n.t("import.step_upload", lang), html.Div([
            dcc.Upload(html.Div([i18n.t("import.drop", lang, mb=megabytes)], className="upload-box"),
                       id=f"{PREFIX}-upload", max_size=max_upload_bytes(), multiple=False,
                       accept=".xlsx,.xlsm,.zip,.csv"),
            dcc.Loading(html.Div(id=f"{PREFIX}-file", role="status", className="notice"), type="circle"),
        ])),
        section(i18n.t("import.step_mapping", lang), html.Div([
            html.Div([
                html.Div([html.Label(i18n.t("import.saved", lang), htmlFor=f"{PREFIX}-saved"),
                          dcc.Dropdown(id=f"{PREFIX}-saved", options=systems, placeholder=i18n.t("import.none_saved", lang))]),
                html.Div([html.Label(i18n.t("import.system", lang), htmlFor=f"{PREFIX}-system"),
                          dcc.Input(id=f"{PREFIX}-system", type="text", maxLength=128)]),
                html.Div([html.Label(i18n.t("import.export_date", lang), htmlFor=f"{PREFIX}-export-date"),
                          dcc.Input(id=f"{PREFIX}-export-date", type="text", placeholder="YYYY-MM-DD",
                                    value=f"{pd.Timestamp.today():%Y-%m-%d}", maxLength=10)]),
            ], className="filters"),
            html.P(i18n.t("import.mapping_hint", lang), className="hint"),
            html.Button(i18n.t("import.repropose", lang), id=f"{PREFIX}-repropose", n_clicks=0, className="button"),
            ag_grid(lang, id=f"{PREFIX}-mapping", columnDefs=mapping_columns(lang), rowData=[],
                    defaultColDef={"resizable": True, "sortable": True, "filter": True},
                    dashGridOptions={"singleClickEdit": True, "stopEditingWhenCellsLoseFocus": True},
                    style={"height": "360px", "width": "100%"}),
        ])),
        section(i18n.t("import.step_check", lang), html.Div([
            html.Div([
                html.Button(i18n.t("import.check", lang), id=f"{PREFIX}-check", n_clicks=0, className="button"),
                html.Button(i18n.t("import.all", lang), id=f"{PREFIX}-all", n_clicks=0, className="button"),
                html.Button(i18n.t("import.skip", lang), id=f"{PREFIX}-skip", n_clicks=0, className="button"),
            ], className="toolbar"),
            html.Div(id=f"{PREFIX}-progress", style={"display": "none"}),
            dcc.Interval(id=f"{PREFIX}-poll", interval=POLL_MS, disabled=True),
            dcc.Loading(html.Div([
                html.Div(id=f"{PREFIX}-result", role="status", className="notice"),
                html.Div(id=f"{PREFIX}-summary"),
            ]), type="circle"),
            html.Div([
                html.Button(i18n.t("import.get_problems", lang), id=f"{PREFIX}-get-problems", n_clicks=0, className="button"),
                html.Button(i18n.t("import.get_rejects", lang), id=f"{PREFIX}-get-rejects", n_clicks=0, className="button"),
            ], className="toolbar"),
            ag_grid(lang, id=f"{PREFIX}-problems", columnDefs=problem_columns(lang), rowData=[],
                    defaultColDef={"resizable": True, "sortable": True, "filter": True},
                    dashGridOptions={"pagination": True, "paginationPageSize": 50},
                    style={"height": "420px", "width": "100%"}),
        ])),
    ]
    return page_frame(PREFIX, i18n.t("import.title", lang), lang, body, url_state=False,
                      stores=[dcc.Store(id=f"{PREFIX}-token"), dcc.Download(id=f"{PREFIX}-download-problems"),
                              dcc.Download(id=f"{PREFIX}-download-rejects")])


@callback(
    Output(f"{PREFIX}-token", "data"),
    Output(f"{PREFIX}-file", "children"),
    Input(f"{PREFIX}-upload", "contents"),
    State(f"{PREFIX}-upload", "filename"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def receive(contents: str | None, filename: str | None, lang: str):
    """Keep the upload in the account's folder; the page gets its token."""
    _user()
    if not contents:
        return dash.no_update, i18n.t("import.too_large", lang, mb=max_upload_bytes() // (1024 * 1024))
    _clean_old()
    token = secrets.token_hex(16)
    work = _work(token, create=True)
    try:
        content = base64.b64decode(contents.split(",", 1)[-1], validate=False)
        path = unpack(filename or "upload.xlsx", content, work / "data")
    except UserError as error:
        shutil.rmtree(work, ignore_errors=True)
        return None, error.render(lang)
    (work / "source.txt").write_text(str(path), encoding="utf-8")
    return token, i18n.t("import.received", lang, name=safe_name(filename or ""), kb=max(1, len(content) // 1024))


def _allowed(kind: str, table: str, column: str) -> str:
    if kind == "table":
        return " ".join(LOAD_ORDER)
    if kind == "column":
        return " ".join(TABLES[table].column_names) if table in TABLES else ""
    spec = TABLES.get(table)
    return " ".join(spec.column(column).code_values()) if spec is not None and column in spec.column_names else ""


@callback(
    Output(f"{PREFIX}-mapping", "rowData"),
    Output(f"{PREFIX}-system", "value"),
    Input(f"{PREFIX}-token", "data"),
    Input(f"{PREFIX}-saved", "value"),
    Input(f"{PREFIX}-repropose", "n_clicks"),
    State(f"{PREFIX}-mapping", "rowData"),
    State(f"{PREFIX}-system", "value"),
    State(f"{PREFIX}-lang-store", "data"),
)
def propose(token: str | None, saved: str | None, _again, rows: list[dict] | None, system: str | None, lang: str):
    """The proposed mapping of the upload (a saved system's mapping taken over where it applies);
    again, after the person changed which table a sheet is, with the headers of that table."""
    _user()
    if not token:
        return [], dash.no_update
    store = get_store()
    try:
        kept = mappings.saved_mapping(store, saved) if saved else None
        if dash.ctx.triggered_id == f"{PREFIX}-repropose":
            sheets = mappings.SourceMapping(tables=_confirmed(rows, system).tables)
            kept = kept.merged(sheets) if kept is not None else sheets
        proposed = mappings.propose(_data_path(_work(token)), kept, mappings.stored_towns(store)).to_confirm()
    except UserError:
        return [], dash.no_update
    proposed["allowed"] = [_allowed(k, t, c) for k, t, c in
                           zip(proposed["kind"], proposed["table"], proposed["column"], strict=True)]
    proposed["kind"] = proposed["kind"].map(lambda v: i18n.t(f"import.kind_{v}", lang))
    proposed["how"] = proposed["how"].map(lambda v: i18n.t(f"import.how_{v}", lang))
    return records(proposed), saved or system or ""


_KINDS = {"table", "column", "code"}


def _confirmed(rows: list[dict] | None, system: str | None) -> mappings.SourceMapping:
    """The grid's rows back as a mapping (the kind column is shown translated)."""
    back = {i18n.t(f"import.kind_{k}", lang): k for k in _KINDS for lang in i18n.LANGS}
    cleaned = [{**row, "kind": back.get(str(row.get("kind")), row.get("kind"))} for row in rows or []]
    return mappings.from_rows(cleaned, system or "")


def _summary(outcome, lang: str) -> html.Table:
    shown = outcome.summary.copy()
    if shown.empty:
        return html.Div()
    shown["table"] = [TABLES[n].zh if lang == "zh" and n in TABLES else n for n in shown["table"]]
    fields = ["table", "read", "inserted", "updated", "unchanged", "rejected"]
    head = html.Tr([html.Th(i18n.t(f"import.sum_{f}", lang)) for f in fields])
    body = [html.Tr([html.Td(str(v)) for v in row]) for row in shown[fields].itertuples(index=False)]
    return html.Table([html.Thead(head), html.Tbody(body)], className="summary-table", id=f"{PREFIX}-summary-table")


def _quality_link(lang: str) -> object:
    """After an import: the data-quality report (once that page is registered)."""
    if any(page["path"] == QUALITY_PAGE for page in dash.page_registry.values()):
        return dcc.Link(i18n.t("import.quality", lang), href=QUALITY_PAGE, id=f"{PREFIX}-quality-link")
    return i18n.t("import.quality_cli", lang)


@callback(
    Output(f"{PREFIX}-result", "children"),
    Output(f"{PREFIX}-summary", "children"),
    Output(f"{PREFIX}-problems", "rowData"),
    Input(f"{PREFIX}-check", "n_clicks"),
    Input(f"{PREFIX}-all", "n_clicks"),
    Input(f"{PREFIX}-skip", "n_clicks"),
    State(f"{PREFIX}-token", "data"),
    State(f"{PREFIX}-mapping", "rowData"),
    State(f"{PREFIX}-system", "value"),
    State(f"{PREFIX}-export-date", "value"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
    running=[(Output(f"{PREFIX}-poll", "disabled"), False, True),
             (Output(f"{PREFIX}-progress", "style"), {"display": "block"}, {"display": "none"})],
)
def run(_check, _all, _skip, token, rows, system, export_date, lang):
    """Check (dry run), import all or nothing, or import skipping bad rows; audited either way; how far
    it has got goes to the upload's ``progress.json`` for the poll."""
    user = _user()
    mode = {f"{PREFIX}-check": "check", f"{PREFIX}-all": "all", f"{PREFIX}-skip": "skip"}.get(dash.ctx.triggered_id)
    if mode is None:
        return dash.no_update, dash.no_update, dash.no_update
    try:
        work = _work(token)
        mapping = _confirmed(rows, system)
        store = get_store()
        (work / PROGRESS_FILE).unlink(missing_ok=True)
        outcome = checked_import(store, _data_path(work), work, mode, mapping, export_date or None,
                                 progress=lambda step: write_progress(work, step))
    except UserError as error:
        return error.render(lang), html.Div(), []
    name = _data_path(work).name
    auth.audit("import", name, mode=mode, system=mapping.system or None, loaded=outcome.loaded, **outcome.counts())
    if outcome.loaded and mapping.system:
        mappings.save_mapping(store, mapping, user.username)
    problems = outcome.issues.assign(reason=outcome.issues["reason_zh" if lang == "zh" else "reason_en"])
    problems["row"] = problems["row"].astype("Int64")
    counts = outcome.counts()
    if mode == "check":
        message = i18n.t("import.checked", lang, problems=counts["problems"], rejected=counts.get("rejected", 0))
    elif outcome.loaded:
        message = html.Span([i18n.t("import.done", lang, inserted=counts["inserted"], updated=counts["updated"],
                                    rejected=counts["rejected"]), " ", _quality_link(lang)])
    else:
        message = i18n.t("import.refused", lang, problems=counts["problems"])
    return message, _summary(outcome, lang), records(problems[list(PROBLEM_FIELDS)])


@callback(
    Output(f"{PREFIX}-progress", "children"),
    Input(f"{PREFIX}-poll", "n_intervals"),
    State(f"{PREFIX}-token", "data"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def poll(_ticks, token, lang):
    """How far the running check or import of this account's upload has got."""
    _user()
    try:
        work = _work(token)
    except UserError as error:
        return error.render(lang)
    return progress_bar(read_progress(work), lang, PREFIX)


@callback(
    Output(f"{PREFIX}-download-problems", "data"),
    Input(f"{PREFIX}-get-problems", "n_clicks"),
    State(f"{PREFIX}-token", "data"),
    State(f"{PREFIX}-lang-store", "data"),
    prevent_initial_call=True,
)
def download_problems(_clicks, token, lang):
    """The problem list of the last check or import, as CSV (UTF-8 with BOM; reasons in both languages)."""
    _user()
    path = _work(token) / "problems.csv" if token else None
    if path is None or not path.is_file():
        return dash.no_update
    return dcc.send_file(str(path), filename=i18n.t("import.problems_file", lang))


@callback(
    Output(f"{PREFIX}-download-rejects", "data"),
    Input(f"{PREFIX}-get-rejects", "n_clicks"),
    State(f"{PREFIX}-token", "data"),
    prevent_initial_call=True,
)
def download_rejects(_clicks, token):
    """The rejected rows, unchanged with their reasons: one CSV, or a zip when several files have some."""
    _user()
    files = sorted((_work(token) / "rejects").glob("*")) if token else []
    if not files:
        return dash.no_update
    if len(files) == 1:
        return dcc.send_file(str(files[0]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, file.name)
    return dcc.send_bytes(buffer.getvalue(), "rejects.zip")
