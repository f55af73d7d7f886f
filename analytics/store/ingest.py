"""Import an office's contract files (a CSV folder, one .xlsx workbook, or one table's CSV; a
``towns.geojson`` beside the CSVs) into the store.

Reading: every cell as text, encoding detected per file (UTF-8 with or without BOM, else GB18030),
headers in English or Chinese in any order, unknown columns kept aside and reported.
Checking: every rule of the contract (``analytics.contract.schema``), vectorised per column; all broken rules
are collected with file, Excel row number, column as written, value and reason (zh and en). The
files are checked together with what the store already holds: a subset of tables (a corrected
``enterprises.csv``) refers to stored rows, and a required table may be left out once the store has
it. A repeated id is one problem, on the later row. The town map is checked by ``town_map``.
Loading: all or nothing by default; with ``skip_bad`` the good rows load and the bad rows go,
unchanged and in their file's encoding, to ``<file>.rejects.csv`` with their reason (a row referring
to a rejected row is rejected too, and its reason names that row). Writing is
``store.write_tables``: upsert by id, so importing twice changes nothing.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from analytics.contract import frames
from analytics.store import database as store_module
from analytics.store.town_map import FILE_SUFFIXES, TownMap, check_town_map, write_rejected_features
from analytics.contract.errors import UserError
from analytics.contract.exports import write_csv
from analytics.contract.schema import (
    DATE_FORMATS,
    FALSE_WORDS,
    LOAD_ORDER,
    TABLES,
    TRUE_WORDS,
    Column,
    Table,
    code_aliases,
    header_aliases,
)

ROW = "_row"  # Excel row number of a data row (header is row 1)
SOURCE = "_file"  # the file (or workbook:sheet) a row came from
EXCEL_DATETIME = "%Y-%m-%d 00:00:00"  # an Excel date cell read as text
GUIDE_PREFIXES = ("_", "说明", "readme", "README")  # template guide files and sheets, not tables
PRINTED_ISSUES = 200
ISSUE_COLUMNS = ["table", "file", "row", "column", "value", "reason_zh", "reason_en"]
REASON_HEADER = "错误原因 reason"  # the column a rejects file adds; ignored when the file comes back corrected
MAP_TABLE = "town_map"  # the summary's row for towns.geojson
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


# --- reading -----------------------------------------------------------------------------------


@dataclass
class Source:
    """One file or sheet of one table: its cells as text, as the user wrote them."""

    table: str
    name: str  # file name, or "workbook.xlsx:sheet"
    stem: str  # for the rejects file name
    cells: pd.DataFrame  # the original header row as columns; every cell text
    rows: np.ndarray  # Excel row number of each data row
    columns: dict[str, str] = field(default_factory=dict)  # contract name -> header as written
    extra: list[str] = field(default_factory=list)  # headers that are no contract column
    clean: pd.DataFrame | None = None  # the cells without surrounding spaces
    encoding: str = "utf-8-sig"  # of a CSV file as detected; its rejects are written in it

    @property
    def blank(self) -> bool:
        """Not even a header row."""
        return len(self.cells.columns) == 0

    @property
    def header_only(self) -> bool:
        return not self.blank and len(self.cells) == 0


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` (BOM), ``utf-8`` or ``gb18030``, from the file's bytes."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _table_of(stem: str) -> str | None:
    """The contract table a file or sheet name stands for (``hazards``, ``隐患``, ``hazards_2024``)."""
    lowered = stem.strip().lower()
    for name, spec in TABLES.items():
        for spelled in (name, spec.zh):
            if lowered == spelled or re.match(rf"^{re.escape(spelled)}[_\-. ]", lowered):
                return name
    return None


_EDGE_SPACE = re.compile(r"(?m)^[^\S\n]|[^\S\n]$")


def strip_cells(values: pd.Series) -> pd.Series:
    """Cells without surrounding spaces (also full-width ones); one C-level scan decides whether
    the column needs the (slower) element-wise strip at all."""
    if _EDGE_SPACE.search("\n".join(values.tolist())) is None:
        return values
    return values.str.strip()


def _frame_of(grid: pd.DataFrame, table: str, name: str, stem: str) -> Source:
    grid = grid.fillna("").astype(str)
    if grid.empty:
        return Source(table, name, stem, pd.DataFrame(), np.array([], dtype=int))
    headers = [h.strip() for h in grid.iloc[0].tolist()]
    while headers and headers[-1] == "" and (strip_cells(grid.iloc[1:, len(headers) - 1]) == "").all():
        headers.pop()  # trailing empty columns Excel leaves behind
    body = grid.iloc[1:, : len(headers)]
    body.columns = headers
    clean = pd.DataFrame({i: strip_cells(body.iloc[:, i]) for i in range(len(headers))})
    blank = (clean == "").all(axis=1).to_numpy()
    clean.columns = headers
    rows = np.arange(2, len(grid) + 1)[~blank]
    source = Source(table, name, stem, body.loc[~blank].reset_index(drop=True), rows)
    source.clean = clean.loc[~blank].reset_index(drop=True)
    return source


def _read_csv(file: Path, table: str) -> Source:
    encoding = detect_encoding(file)
    try:
        grid = pd.read_csv(file, header=None, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding=encoding)
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise UserError(f"无法读取 {file.name}：{error}（请检查某行的单元格是否多于表头，或文件是否损坏）。",
                        f"Cannot read {file.name}: {error} (a row with more cells than the header, or a "
                        "damaged file?).") from error
    except pd.errors.EmptyDataError:
        grid = pd.DataFrame()
    source = _frame_of(grid, table, file.name, file.stem)
    source.encoding = encoding
    return source


def _is_rejects(file: Path) -> bool:
    return ".rejects." in file.name


def read_sources(path: str | Path) -> tuple[list[Source], list[tuple[str, str]]]:
    """The tables' sources in a folder of CSVs, one .xlsx workbook or one CSV named like its table
    (``enterprises.csv``, ``企业.csv``, a corrected ``enterprises.rejects.csv``), and the files or
    sheets that are no table (reported, not read). A ``towns.geojson`` is found by ``town_map_of``."""
    path = Path(path)
    sources: list[Source] = []
    ignored: list[tuple[str, str]] = []
    suffix = path.suffix.lower()
    if path.is_dir():
        for file in sorted(path.iterdir()):
            if file.suffix.lower() != ".csv" or _is_rejects(file) or file.name.startswith(GUIDE_PREFIXES):
                if file.suffix.lower() in (".xls", *WORKBOOK_SUFFIXES):
                    ignored.append((file.name, "workbook"))
                continue
            table = _table_of(file.stem)
            if table is None:
                ignored.append((file.name, ""))
                continue
            sources.append(_read_csv(file, table))
    elif path.is_file() and suffix == ".csv":
        table = _table_of(path.stem)
        if table is None:
            names = "、".join(f"{n}.csv" for n in LOAD_ORDER)
            raise UserError(f"文件名 {path.name} 不对应任何数据表。单独导入一个 CSV 时，文件须以表名命名（{names}，或中文表名），"
                            "或导入整个文件夹。",
                            f"The file name {path.name} matches no table. A single CSV must be named after its table "
                            f"({', '.join(f'{n}.csv' for n in LOAD_ORDER)}, or the Chinese table name), or import the whole folder.")
        sources.append(_read_csv(path, table))
    elif path.is_file() and suffix in WORKBOOK_SUFFIXES:
        try:
            sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, keep_default_na=False, engine="openpyxl")
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise UserError(f"无法读取工作簿 {path.name}：{error}。请用 Excel 另存为 .xlsx 后重试。",
                            f"Cannot read the workbook {path.name}: {error}. Save it again as .xlsx in Excel and retry.") from error
        for sheet, grid in sheets.items():
            if sheet.startswith(GUIDE_PREFIXES):
                continue
            table = _table_of(sheet)
            if table is None:
                ignored.append((f"{path.name}:{sheet}", ""))
                continue
            sources.append(_frame_of(grid, table, f"{path.name}:{sheet}", sheet))
    elif path.is_file() and suffix == ".xls":
        raise UserError(f"{path.name} 是旧版 Excel 97-2003 工作簿（.xls），无法读取。请在 Excel 中“另存为” .xlsx 工作簿"
                        "（或每张表另存为 CSV）后再导入。",
                        f"{path.name} is an old Excel 97-2003 workbook (.xls), which cannot be read. In Excel, use "
                        "Save As to save it as an .xlsx workbook (or each sheet as CSV) and import that.")
    elif path.is_file() and suffix in FILE_SUFFIXES:
        pass  # a town map alone: town_map_of
    elif path.is_file():
        raise UserError(f"无法导入 {path.name}：只能导入 CSV 文件夹、单个以表名命名的 CSV、.xlsx 工作簿或 towns.geojson。",
                        f"Cannot import {path.name}: import a folder of CSVs, one CSV named after its table, an .xlsx "
                        "workbook or towns.geojson.")
    else:
        raise UserError(f"找不到要导入的文件夹或文件：{path}", f"No folder or file to import at {path}.")
    return sources, ignored


def town_map_of(path: str | Path) -> Path | None:
    """The ``towns.geojson`` (or ``镇街.geojson``) in a folder, or the path itself if it is one."""
    path = Path(path)
    if path.is_dir():
        found = [f for f in sorted(path.iterdir()) if f.suffix.lower() in FILE_SUFFIXES and not _is_rejects(f)
                 and _table_of(f.stem) == "towns"]
        return found[0] if found else None
    if path.is_file() and path.suffix.lower() in FILE_SUFFIXES:
        if _table_of(path.stem) != "towns":
            raise UserError(f"镇街边界文件须命名为 towns.geojson（或 镇街.geojson），而不是 {path.name}。",
                            f"The town map must be named towns.geojson (or 镇街.geojson), not {path.name}.")
        return path
    return None


# --- issues ------------------------------------------------------------------------------------


def _issues(frame: pd.DataFrame, mask: np.ndarray | pd.Series, table: str, column: str, values: pd.Series | None,
            zh: str, en: str) -> pd.DataFrame:
    mask = np.asarray(mask, dtype=bool)
    picked = frame.loc[mask]
    return pd.DataFrame({
        "table": table,
        "file": picked[SOURCE].to_numpy(),
        "row": picked[ROW].to_numpy(),
        "column": column,
        "value": (values if values is not None else frame[column]).loc[mask].to_numpy(),
        "reason_zh": zh,
        "reason_en": en,
        "_index": picked.index.to_numpy(),
    })


def _file_issue(table: str, file: str, column: str, zh: str, en: str) -> pd.DataFrame:
    return pd.DataFrame([{"table": table, "file": file, "row": pd.NA, "column": column, "value": "",
                          "reason_zh": zh, "reason_en": en}])


class ImportFailed(UserError):
    """The import broke contract rules; ``issues`` lists every one (nothing was changed)."""

    exit_code = 3

    def __init__(self, issues: pd.DataFrame, errors_path: Path | None = None, cascaded: int = 0) -> None:
        self.issues = issues[ISSUE_COLUMNS].reset_index(drop=True)
        self.errors_path = errors_path
        self.cascaded = cascaded  # rows without a problem of their own that refer to a row listed
        super().__init__(self._text("zh"), self._text("en"))

    def _text(self, lang: str) -> str:
        count = len(self.issues)
        if lang == "zh":
            lines = [f"导入未完成：发现 {count} 处错误，数据库未作任何改动。"]
        else:
            lines = [f"Import not done: {count} problem(s) found; the store was not changed."]
        lines += render_issues(self.issues.head(PRINTED_ISSUES), lang)
        if count > PRINTED_ISSUES:
            rest = count - PRINTED_ISSUES
            lines.append(f"……另有 {rest} 处错误未列出。" if lang == "zh" else f"... and {rest} more not shown.")
        if self.errors_path is not None:
            lines.append(f"完整错误清单：{self.errors_path}" if lang == "zh" else f"Full list of problems: {self.errors_path}")
        elif count > PRINTED_ISSUES:
            lines.append("用 --errors 文件路径 可导出完整清单。" if lang == "zh" else "Use --errors PATH to write the full list.")
        if self.cascaded:
            lines.append(f"另有 {self.cascaded} 行本身无误，但引用了上列有错误的行：用 --skip-bad 导入时它们会一并拒绝（原因写在拒绝文件中）。"
                         if lang == "zh" else
                         f"{self.cascaded} more row(s) have no problem of their own but refer to a row listed above: "
                         "with --skip-bad they are rejected with it (the reason is written beside them).")
        return "\n".join(lines)


def render_issues(issues: pd.DataFrame, lang: str = "zh") -> list[str]:
    """One line per issue: file, row, column, value, reason."""
    reason = issues["reason_zh"] if lang == "zh" else issues["reason_en"]
    row = issues["row"].astype("Int64").astype(str).fillna("-")
    feature = issues["file"].astype(str).str.lower().str.endswith(FILE_SUFFIXES)  # a map's "row" is a feature
    if lang == "zh":
        where = (" 第" + row + "行").where(~feature, " 第" + row + "个要素")
        text = issues["file"] + where + " [" + issues["column"] + "] “" + issues["value"].astype(str) + "”：" + reason
    else:
        where = (" row " + row).where(~feature, " feature " + row)
        text = issues["file"] + where + " [" + issues["column"] + "] '" + issues["value"].astype(str) + "': " + reason
    return text.tolist()


# --- parsing one column ------------------------------------------------------------------------


def parse_dates(text: pd.Series, extra_formats: tuple[str, ...] = ()) -> pd.Series:
    """Dates in any contract format (and ``extra_formats``); unparseable → NaT."""
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in (*DATE_FORMATS, *extra_formats):
        todo = parsed.isna() & (text != "")
        if not todo.any():
            break
        found = pd.to_datetime(text.loc[todo], format=fmt, errors="coerce")
        # a date the store's nanosecond dates cannot hold (year 2263, 9999) is no valid date, not a crash
        found = found.where((found >= pd.Timestamp.min) & (found <= pd.Timestamp.max))
        parsed.loc[todo] = found.astype("datetime64[ns]")
    return parsed


def _parse_column(spec: Table, column: Column, frame: pd.DataFrame) -> tuple[pd.Series, list[pd.DataFrame]]:
    """A column's typed values and the issues of its cells (required, type, codes, ranges)."""
    text = frame[column.name]
    given = text != ""
    issues: list[pd.DataFrame] = []
    label = column.zh

    def bad(mask, zh: str, en: str) -> None:
        if np.asarray(mask).any():
            issues.append(_issues(frame, mask, spec.name, column.name, None, zh, en))

    if column.required:
        bad(~given, "必填项为空。", "A required value is missing.")
    if column.type == "text":
        values = text.where(given, None)
    elif column.type == "code":
        aliases = {k.lower(): v for k, v in code_aliases(column).items()}
        values = text.str.lower().map(aliases)
        listed = "、".join(f"{c.code}/{c.zh}" for c in column.codes)
        bad(given & values.isna(), f"不是{label}的有效取值，可填：{listed}。",
            f"Not a valid {column.name}; allowed: {', '.join(c.code for c in column.codes)} (or the Chinese label).")
    elif column.type == "bool":
        lowered = text.str.lower()
        values = pd.Series(pd.NA, index=text.index, dtype="boolean")
        values[lowered.isin(TRUE_WORDS).to_numpy()] = True
        values[lowered.isin(FALSE_WORDS).to_numpy()] = False
        bad(given & values.isna(), "不是是/否值（可填 是/否、有/无、true/false、1/0、yes/no、y/n）。",
            "Not a yes/no value (use true/false, 1/0, yes/no, y/n, 是/否, 有/无).")
    elif column.type == "date":
        extra = (EXCEL_DATETIME,) if frame.attrs.get("xlsx") else ()
        values = parse_dates(text, extra)
        bad(given & values.isna(), "不是有效日期（格式如 2026-11-18、2026/11/18、2026.11.18、20261118、2026年11月18日）。",
            "Not a valid date (use 2026-11-18, 2026/11/18, 2026.11.18, 20261118 or 2026年11月18日).")
    else:
        numbers = pd.to_numeric(text.where(given, None), errors="coerce").astype("float64")
        finite = np.isfinite(numbers.to_numpy())
        if column.type == "int":
            whole = finite & (np.abs(numbers.to_numpy()) < 2**53) & (np.mod(numbers.fillna(0).to_numpy(), 1) == 0)
            bad(given & ~whole, "不是整数。", "Not a whole number.")
            values = numbers.where(whole).astype("Int64")
        else:
            bad(given & ~finite, "不是数字。", "Not a number.")
            values = numbers.where(finite)
        low = column.minimum
        high = column.maximum
        if low is not None and high is not None:
            outside = (values < low) | (values > high)
            bad(outside.fillna(False), f"超出允许范围 {low:g}–{high:g}。", f"Outside the allowed range {low:g} to {high:g}.")
        elif low is not None:
            bad((values < low).fillna(False), f"不能小于 {low:g}。", f"Must not be below {low:g}.")
    return values, issues


# --- checking a whole table --------------------------------------------------------------------


def _combine(sources: list[Source]) -> pd.DataFrame:
    """The table's sources stacked under contract column names (stripped text, '' for missing)."""
    parts = []
    for source in sources:
        spec = TABLES[source.table]
        part = pd.DataFrame({name: source.clean[header] if header else "" for name, header in
                             ((c.name, source.columns.get(c.name)) for c in spec.columns)}, index=source.cells.index)
        part[SOURCE] = source.name
        part[ROW] = source.rows
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _map_headers(source: Source) -> list[pd.DataFrame]:
    """Fill ``source.columns``/``extra`` from its header row; structural issues if any."""
    aliases = {k.lower(): v for k, v in header_aliases(source.table).items()}
    issues: list[pd.DataFrame] = []
    for header in source.cells.columns:
        name = aliases.get(header.lower())
        if name is None:
            if header != REASON_HEADER:  # a corrected rejects file keeps its reasons column
                source.extra.append(header)
        elif name in source.columns:
            issues.append(_file_issue(source.table, source.name, header, "该列出现了两次。", "This column appears twice."))
        else:
            source.columns[name] = header
    for column in TABLES[source.table].columns:
        if column.required and column.name not in source.columns:
            issues.append(_file_issue(source.table, source.name, f"{column.name} ({column.zh})",
                                      "缺少必填列。", "A required column is missing."))
    return issues


def check_table(spec: Table, frame: pd.DataFrame, export_date: pd.Timestamp) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Typed values and the issues of one table's rows (cells, uniqueness, row rules, export date);
    references are checked across tables by ``import_files``."""
    values: dict[str, pd.Series] = {}
    issues: list[pd.DataFrame] = []
    for column in spec.columns:
        values[column.name], found = _parse_column(spec, column, frame)
        issues += found
    typed = pd.DataFrame(values, index=frame.index)
    issues += _repeated(spec, frame, typed)
    if spec.no_overlap:
        issues += _overlapping(spec, frame, typed)
    for rule in spec.row_rules:
        first, other = typed[rule.column], typed[rule.other]
        if rule.kind == "both_or_neither":  # on the cells as given: a cell that is no number is reported once
            mask = (frame[rule.column] == "") != (frame[rule.other] == "")
            zh = f"{spec.column(rule.column).zh}和{spec.column(rule.other).zh}须同时填写或同时留空。"
            en = f"{rule.column} and {rule.other} must both be given or both be empty."
        elif rule.kind == "not_before":
            mask = (first < other).fillna(False)
            zh = f"不能早于{spec.column(rule.other).zh}（{rule.other}）。"
            en = f"Must not be before {rule.other}."
        else:
            mask = (first > other).fillna(False)
            zh = f"不能大于{spec.column(rule.other).zh}（{rule.other}）。"
            en = f"Must not be greater than {rule.other}."
        issues.append(_issues(frame, mask, spec.name, rule.column, None, zh, en))
    for name in spec.not_after_export:
        late = (typed[name] > export_date).fillna(False)
        day = export_date.strftime("%Y-%m-%d")
        issues.append(_issues(frame, late, spec.name, name, None, f"晚于导出日期 {day}。", f"After the export date {day}."))
    return typed, issues


def _where(frame: pd.DataFrame, positions: np.ndarray, lang: str) -> np.ndarray:
    """"file row N" of the given row positions of ``frame``, as the user finds them."""
    files = frame[SOURCE].to_numpy()[positions].astype(str)
    rows = frame[ROW].to_numpy()[positions].astype(str)
    joined = np.char.add(np.char.add(files, " 第" if lang == "zh" else " row "), rows)
    return np.char.add(joined, "行") if lang == "zh" else joined


def _repeated(spec: Table, frame: pd.DataFrame, typed: pd.DataFrame) -> list[pd.DataFrame]:
    """A repeated id (or record, for tables without one) is one problem, on each later row; the first
    occurrence stays and is named in the reason."""
    key = list(store_module.natural_key(spec))
    complete = typed[key].notna().all(axis=1).to_numpy()
    later = typed.duplicated(key, keep="first").to_numpy() & complete
    if not later.any():
        return []
    position = pd.Series(np.arange(len(typed)), index=typed.index)
    first = position.groupby([typed[k] for k in key], sort=False, dropna=True).transform("first")
    first = first.reindex(typed.index).to_numpy()[later].astype(int)
    where_zh, where_en = _where(frame, first, "zh"), _where(frame, first, "en")
    if spec.key:
        zh = np.char.add(np.char.add("编码重复：已在 ", where_zh), " 出现，以第一次出现的为准。")
        en = np.char.add(np.char.add("Repeated id: already in ", where_en), "; the first one counts.")
    else:
        names_zh = "、".join(spec.column(k).zh for k in key)
        names_en = ", ".join(key)
        zh = np.char.add(np.char.add(f"同一记录（{names_zh}相同）已在 ", where_zh), " 出现，以第一次出现的为准。")
        en = np.char.add(np.char.add(f"The same record ({names_en}) is already in ", where_en), "; the first one counts.")
    return [_issues(frame, later, spec.name, key[0], None, zh, en)]


def _overlapping(spec: Table, frame: pd.DataFrame, typed: pd.DataFrame) -> list[pd.DataFrame]:
    """Rows whose period overlaps an earlier-starting period of the same group (``Table.no_overlap``);
    the reason names the row it overlaps."""
    group, start, end = spec.no_overlap
    dated = typed[[group, start, end]].notna().all(axis=1) & (typed[end] >= typed[start]).fillna(False)
    periods = typed.loc[dated, [group, start, end]].assign(_position=np.flatnonzero(dated.to_numpy()))
    periods = periods.sort_values([group, start, "_position"], kind="stable")
    reach = periods.groupby(group, sort=False)[end].cummax()
    # the row holding the latest end so far, per group: the one a later start runs into
    holder = periods["_position"].where(periods[end] == reach).groupby(periods[group], sort=False).ffill()
    before_reach = reach.groupby(periods[group], sort=False).shift(1)
    before_holder = holder.groupby(periods[group], sort=False).shift(1)
    clash = (periods[start] <= before_reach).fillna(False).to_numpy()
    if not clash.any():
        return []
    mask = np.zeros(len(typed), dtype=bool)
    mask[periods["_position"].to_numpy()[clash]] = True
    other = before_holder.to_numpy()[clash].astype(int)
    order = np.argsort(periods["_position"].to_numpy()[clash])  # _issues lists rows in frame order
    other = other[order]
    zh = np.char.add(np.char.add("与 ", _where(frame, other, "zh")), " 的期间重叠（同一企业的期间不能重叠）。")
    en = np.char.add(np.char.add("Overlaps the period in ", _where(frame, other, "en")), " (periods of one enterprise may not overlap).")
    return [_issues(frame, mask, spec.name, start, None, zh, en)]


# --- the import --------------------------------------------------------------------------------


def _overlapping_stored(spec: Table, frame: pd.DataFrame, typed: pd.DataFrame, stored: pd.DataFrame) -> list[pd.DataFrame]:
    """Rows whose period overlaps a period of the same group already in the store (one the row does
    not replace: a stored record with the same key is updated, not overlapped)."""
    group, start, end = spec.no_overlap
    key = list(store_module.natural_key(spec))
    valid = typed[[group, start, end]].notna().all(axis=1) & (typed[end] >= typed[start]).fillna(False)
    incoming = typed.loc[valid, [group, start, end]].assign(_position=np.flatnonzero(valid.to_numpy()))
    if incoming.empty or stored.empty:
        return []
    stored = stored.loc[stored[group].isin(incoming[group]), [group, start, end]]
    replaced = pd.MultiIndex.from_frame(stored[key]).isin(pd.MultiIndex.from_frame(incoming[key]))
    stored = stored.loc[~replaced].assign(_position=-1)
    if stored.empty:
        return []
    both = pd.concat([stored, incoming], ignore_index=True).sort_values([group, start], kind="stable")
    kept = both["_position"] < 0
    by = both[group]
    before_start = both[start].where(kept).groupby(by, sort=False).shift(1).groupby(by, sort=False).ffill()
    before_end = both[end].where(kept).groupby(by, sort=False).shift(1).groupby(by, sort=False).ffill()
    after_start = both[start].where(kept).groupby(by, sort=False).shift(-1).groupby(by, sort=False).bfill()
    after_end = both[end].where(kept).groupby(by, sort=False).shift(-1).groupby(by, sort=False).bfill()
    hits_before = ~kept & (both[start] <= before_end).fillna(False)
    hits_after = ~kept & ~hits_before & (both[end] >= after_start).fillna(False)
    clash = hits_before | hits_after
    if not clash.any():
        return []
    first = before_start.where(hits_before, after_start)[clash]
    last = before_end.where(hits_before, after_end)[clash]
    order = np.argsort(both.loc[clash, "_position"].to_numpy())
    period = (first.dt.strftime("%Y-%m-%d") + " – " + last.dt.strftime("%Y-%m-%d")).to_numpy()[order].astype(str)
    mask = np.zeros(len(typed), dtype=bool)
    mask[both.loc[clash, "_position"].to_numpy()] = True
    zh = np.char.add(np.char.add("与数据库中已有的同一企业期间（", period), "）重叠。")
    en = np.char.add(np.char.add("Overlaps a period of the same enterprise already in the store (", period), ").")
    return [_issues(frame, mask, spec.name, start, None, zh, en)]


@dataclass
class ImportReport:
    """What an import did: per table rows read, inserted, updated, unchanged and rejected; with
    ``skip_bad``, why every rejected row went (``rejected_issues``, cascades included)."""

    summary: pd.DataFrame
    export_date: pd.Timestamp
    unknown_columns: list[tuple[str, str]]  # (file, header) kept aside
    ignored: list[str]  # files or sheets that are no contract table
    rejects: list[Path]
    rejected_issues: pd.DataFrame
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en): header-only files ...
    errors_path: Path | None = None

    def render(self, lang: str = "zh") -> str:
        day = self.export_date.strftime("%Y-%m-%d")
        zh = lang == "zh"
        lines = [f"导入完成（导出日期 {day}）。" if zh else f"Import done (export date {day})."]
        shown = self.summary.copy()
        shown["table"] = [_table_label(n, lang) for n in shown["table"]]
        if zh:
            shown.columns = ["表", "文件", "读取", "新增", "更新", "未变", "拒绝"]
        lines.append(shown.to_string(index=False))
        for file, header in self.unknown_columns:
            lines.append(f"注意：{file} 中的列“{header}”不是模板中的列，已保留在原文件中、未导入。" if zh else
                         f"Note: column '{header}' in {file} is not a template column; it was not imported.")
        for file in self.ignored:
            lines.append(f"注意：{file} 不对应任何数据表，已跳过。" if zh else f"Note: {file} matches no table; skipped.")
        lines += [f"注意：{note_zh}" if zh else f"Note: {note_en}" for note_zh, note_en in self.notes]
        if len(self.rejected_issues):
            lines += self._rejected(lang)
        return "\n".join(lines)

    def _rejected(self, lang: str) -> list[str]:
        zh = lang == "zh"
        count = int(self.summary["rejected"].sum())
        issues = self.rejected_issues
        cascade = issues["reason_en"].str.contains(CASCADE_MARK, regex=False)
        located = issues.dropna(subset=["row"])
        own = located.loc[~cascade.loc[located.index]].drop_duplicates(["file", "row"])
        only_cascade = count - len(own)
        if zh:
            lines = [f"{count} 行未导入：{len(own)} 行本身有错误" + (f"，{only_cascade} 行因引用了未导入的行" if only_cascade else "")
                     + "。每一行的原因如下（拒绝文件中也写在每行旁边）："]
        else:
            lines = [f"{count} row(s) were not imported: {len(own)} with problems of their own"
                     + (f", {only_cascade} because they refer to a row not imported" if only_cascade else "")
                     + ". The reason for each (also beside each row in the rejects files):"]
        lines += render_issues(issues.head(PRINTED_ISSUES), lang)
        if len(issues) > PRINTED_ISSUES:
            rest = len(issues) - PRINTED_ISSUES
            lines.append(f"……另有 {rest} 条未列出。" if zh else f"... and {rest} more not shown.")
            if self.errors_path is None:
                lines.append("用 --errors 文件路径 可导出完整清单。" if zh else "Use --errors PATH to write the full list.")
        if self.errors_path is not None:
            lines.append(f"完整清单：{self.errors_path}" if zh else f"Full list: {self.errors_path}")
        if self.rejects:
            lines.append("未导入的行原样写入（附错误原因）：" if zh else "The rows not imported, unchanged with their reasons:")
            lines += [f"  {path}" for path in self.rejects]
        return lines


def _table_label(name: str, lang: str) -> str:
    if name == MAP_TABLE:
        return "镇街边界图" if lang == "zh" else "town map"
    return TABLES[name].zh if lang == "zh" else name


def _export_date(value: object | None) -> pd.Timestamp:
    if value is None:
        return pd.Timestamp.today().normalize()
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "year"):
        return pd.Timestamp(value).normalize()
    parsed = parse_dates(pd.Series([str(value).strip()]))
    if parsed.isna().iloc[0]:
        raise UserError(f"导出日期“{value}”不是有效日期（如 2026-11-18）。",
                        f"The export date '{value}' is not a valid date (e.g. 2026-11-18).")
    return parsed.iloc[0]


def _stored_keys(store: store_module.Store) -> dict[str, pd.Index]:
    """The ids already in the store of every table something refers to."""
    keys = {}
    with store.engine.connect() as connection:
        for target in {c.references.split(".")[0] for s in TABLES.values() for c in s.columns if c.references}:
            table = store_module.CONTRACT_TABLES[target]
            column = table.c[TABLES[target].key]
            keys[target] = pd.Index(connection.execute(sa.select(column)).scalars().all(), dtype=object)
    return keys


def _stored_tables(store: store_module.Store) -> set[str]:
    """The contract tables that hold rows in the store."""
    with store.engine.connect() as connection:
        return {name for name, table in store_module.CONTRACT_TABLES.items()
                if connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None}


def _with_headers(issues: pd.DataFrame, sources: list[Source]) -> pd.DataFrame:
    """Issues with the column named as the user wrote it in that file."""
    written = {(s.name, name): header for s in sources for name, header in s.columns.items()}
    pairs = list(zip(issues["file"], issues["column"], strict=True))
    issues = issues.copy()
    issues["column"] = [written.get(pair, pair[1]) for pair in pairs]  # one lookup per issue, not per row
    return issues


def _write_issues(issues: pd.DataFrame, path: Path | None) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(issues[ISSUE_COLUMNS], path, index=False, encoding="utf-8-sig")  # quoted values run no formula


def _write_rejects(sources: list[Source], frame: pd.DataFrame, bad: pd.DataFrame, folder: Path) -> list[Path]:
    """The bad rows of each source, cells as read, plus the reasons, to ``<stem>.rejects.csv``, in
    the encoding the source was read in (GB18030 stays GB18030, so Excel opens it as it opened the
    original; a workbook's sheet is written UTF-8 with BOM).

    Cells are written exactly as read (not formula-neutralised like the exports): the file goes back
    to the person who sent them, to correct and import again, and a ``'`` added here would be
    imported as part of the value."""
    written = []
    reasons = bad.groupby("_index")["reason_zh"].agg("；".join)
    reasons_en = bad.groupby("_index")["reason_en"].agg("; ".join)
    for source in sources:
        rows = frame.index[(frame[SOURCE] == source.name).to_numpy()]
        picked = rows[rows.isin(reasons.index)]
        if not len(picked):
            continue
        positions = frame.loc[picked, "_pos"].to_numpy()
        out = source.cells.iloc[positions].copy()
        out[REASON_HEADER] = (reasons.loc[picked] + " / " + reasons_en.loc[picked]).to_numpy()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{source.stem}.rejects.csv"
        out.to_csv(path, index=False, encoding=source.encoding)
        written.append(path)
    return written


CASCADE_MARK = "was rejected; rejected with it"


def _cascade(frame: pd.DataFrame, name: str, column: Column, values: pd.Series, rejected_at: pd.DataFrame,
             ok: pd.Index) -> pd.DataFrame | None:
    """Rows of ``frame`` referring (by ``column``) to a row of another table that is rejected; the
    reason names that row (``rejected_at``: id -> file and row of its first rejected occurrence)."""
    target = column.references.split(".")[0]
    hit = (values.notna() & values.isin(rejected_at.index) & ~values.isin(ok)).to_numpy()
    if not hit.any():
        return None
    where = rejected_at.loc[values[hit].to_numpy()]
    ids = pd.Series(values[hit].astype(str).to_numpy())
    files, rows = pd.Series(where["file"].astype(str).to_numpy()), pd.Series(where["row"].astype(str).to_numpy())
    zh = f"所引用的{TABLES[target].zh} " + ids + "（" + files + " 第" + rows + f"行）有错误、未导入，本行一并拒绝。"
    en = f"Refers to {target} " + ids + " (" + files + " row " + rows + f"), which {CASCADE_MARK}."
    return _issues(frame, hit, name, column.name, None, zh.to_numpy(), en.to_numpy())


def _structure(sources: list[Source], stored: set[str]) -> tuple[list[pd.DataFrame], list[tuple[str, str]]]:
    """Problems that stop an import before any row is read (missing or empty required tables, missing
    required columns, blank files), and notes on empty files that do no harm.

    A required table may be left out, or given header-only, when the store already holds its rows:
    that is how a corrected subset (only ``enterprises.csv``) is imported."""
    issues: list[pd.DataFrame] = []
    notes: list[tuple[str, str]] = []
    for source in sources:
        if not source.blank:
            issues += _map_headers(source)
    for name in LOAD_ORDER:
        mine = [s for s in sources if s.table == name]
        spec = TABLES[name]
        rows = sum(len(s.cells) for s in mine)
        if spec.required and name not in stored and not mine:
            issues.append(_file_issue(name, f"{name}.csv", "", f"缺少必需的数据表“{spec.zh}”（{name}），数据库中也还没有。",
                                      f"The required table {name} ({spec.zh}) is missing, and the store holds none yet."))
            continue
        for source in (s for s in mine if s.blank or s.header_only):
            what_zh, what_en = ("是空文件（没有表头）", "is empty (not even a header row)") if source.blank else \
                ("只有表头，没有数据行", "has a header but no data rows")
            if spec.required and name not in stored and rows == 0:
                issues.append(_file_issue(name, source.name, "", f"{what_zh}：必需的数据表“{spec.zh}”不能为空（数据库中也还没有）。",
                                          f"It {what_en}: the required table {name} may not be empty (the store holds none yet)."))
            else:
                notes.append((f"{source.name} {what_zh}，未导入任何记录。", f"{source.name} {what_en}; nothing imported from it."))
    return issues, notes


def import_files(store: store_module.Store, path: str | Path, *, skip_bad: bool = False,
                 rejects_dir: str | Path | None = None, export_date: object | None = None,
                 errors_path: str | Path | None = None) -> ImportReport:
    """Check and load a folder of contract CSVs (with an optional ``towns.geojson``), one .xlsx
    workbook, or one CSV named after its table into ``store``.

    Tables not given keep what the store holds, and references are checked against the files and
    the store together; a required table must be given unless the store already holds it.
    Raises ``ImportFailed`` (store unchanged) on any broken rule, unless ``skip_bad``: then the
    good rows load and the bad ones are written to ``rejects_dir`` (default: next to the input),
    each with its reason, and so is every row that refers to a rejected row. Missing tables or
    required columns always fail the import.
    """
    path = Path(path)
    errors_file = Path(errors_path) if errors_path else None
    export = _export_date(export_date)
    sources, ignored = read_sources(path)
    map_path = town_map_of(path)
    if not sources and map_path is None:
        raise UserError(f"{path} 中没有可导入的数据表文件（如 towns.csv、enterprises.csv）。",
                        f"{path} holds no table file to import (such as towns.csv, enterprises.csv).")
    stored_tables = _stored_tables(store)
    structural, notes = _structure(sources, stored_tables)
    notes += [(f"{file} 是工作簿，不随文件夹中的 CSV 导入；请单独导入它（.xls 须先在 Excel 中另存为 .xlsx）。",
               f"{file} is a workbook and is not read with the folder's CSVs; import it on its own (an .xls must "
               "first be saved as .xlsx in Excel).") for file, why in ignored if why == "workbook"]
    ignored = [(file, why) for file, why in ignored if why != "workbook"]
    sources = [s for s in sources if not s.blank]
    if structural:
        issues = pd.concat(structural, ignore_index=True)
        _write_issues(issues, errors_file)
        raise ImportFailed(issues, errors_file)

    stored = _stored_keys(store)
    checked: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    accepted: dict[str, pd.Index] = {}
    given: dict[str, pd.Index] = {}
    rejected_at: dict[str, pd.DataFrame] = {}
    all_issues: list[pd.DataFrame] = []
    cascades: list[pd.DataFrame] = []
    for name in LOAD_ORDER:
        mine = [s for s in sources if s.table == name]
        if not mine:
            continue
        spec = TABLES[name]
        frame = _combine(mine)
        frame["_pos"] = np.concatenate([np.arange(len(s.cells)) for s in mine])
        frame.attrs["xlsx"] = path.suffix.lower() in WORKBOOK_SUFFIXES
        typed, issues = check_table(spec, frame, export)
        if spec.no_overlap and name in stored_tables:
            issues += _overlapping_stored(spec, frame, typed, store_module.read_tables(store, names=[name])[name])
        mine_cascades = []
        for column in (c for c in spec.columns if c.references):
            target = column.references.split(".")[0]
            values = typed[column.name]
            if target not in given:  # a table that is not in the file set: the store's rows only
                given[target] = accepted[target] = pd.Index([], dtype=object)
                rejected_at[target] = pd.DataFrame(columns=["file", "row"])
            known = given[target].union(stored[target])
            missing = values.notna() & ~values.isin(known)
            issues.append(_issues(frame, missing, name, column.name, None,
                                  f"在{TABLES[target].zh}中找不到该编码（文件和数据库中都没有）。",
                                  f"Not found in {target} (neither in the files nor in the store)."))
            if len(rejected_at[target]):
                found = _cascade(frame, name, column, values, rejected_at[target], accepted[target].union(stored[target]))
                if found is not None:
                    mine_cascades.append(found)
        own = [i for i in issues if len(i)]
        everything = own + mine_cascades
        found = pd.concat(everything, ignore_index=True) if everything else None
        good = ~frame.index.isin(found["_index"]) if found is not None else np.ones(len(frame), dtype=bool)
        if spec.key:
            given[name] = pd.Index(typed[spec.key].dropna().unique(), dtype=object)
            accepted[name] = pd.Index(typed.loc[good, spec.key].dropna().unique(), dtype=object)
            bad = typed[spec.key].notna().to_numpy() & ~good
            rejected_at[name] = pd.DataFrame({"file": frame.loc[bad, SOURCE].to_numpy(), "row": frame.loc[bad, ROW].to_numpy()},
                                             index=typed.loc[bad, spec.key].to_numpy())
            rejected_at[name] = rejected_at[name].loc[~rejected_at[name].index.duplicated()]
        checked[name] = (frame, typed.loc[good])
        all_issues += own
        cascades += mine_cascades

    town_map = None
    if map_path is not None:
        towns_known = accepted.get("towns", pd.Index([], dtype=object)).union(stored["towns"])
        town_map = check_town_map(map_path, detect_encoding(map_path), towns_known,
                                  given.get("towns", pd.Index([], dtype=object)).difference(towns_known))
        if town_map.structural:
            _write_issues(town_map.issues, errors_file)
            raise ImportFailed(town_map.issues, errors_file)

    issues = _with_headers(pd.concat(all_issues, ignore_index=True), sources) if all_issues else \
        pd.DataFrame(columns=[*ISSUE_COLUMNS, "_index"])
    cascaded = _with_headers(pd.concat(cascades, ignore_index=True), sources) if cascades else issues.iloc[:0]
    map_issues = town_map.issues if town_map is not None else pd.DataFrame(columns=ISSUE_COLUMNS)
    if (len(issues) or len(map_issues)) and not skip_bad:
        listed = pd.concat([issues[ISSUE_COLUMNS], map_issues], ignore_index=True)
        _write_issues(listed, errors_file)
        followers = pd.MultiIndex.from_frame(cascaded[["file", "row"]]).unique()
        own_rows = pd.MultiIndex.from_frame(issues[["file", "row"]])
        raise ImportFailed(listed, errors_file, cascaded=int((~followers.isin(own_rows)).sum()))

    issues = pd.concat([issues, cascaded], ignore_index=True)
    rejects: list[Path] = []
    reported = pd.concat([issues[ISSUE_COLUMNS], map_issues], ignore_index=True) if len(map_issues) else issues[ISSUE_COLUMNS]
    if len(reported):
        _write_issues(reported, errors_file)
        folder = Path(rejects_dir) if rejects_dir else (path if path.is_dir() else path.parent)
        for name, (frame, _) in checked.items():
            mine = issues.loc[issues["table"] == name]
            rejects += _write_rejects([s for s in sources if s.table == name], frame, mine, folder)
        if town_map is not None:
            written = write_rejected_features(town_map, folder)
            rejects += [written] if written is not None else []
    loading = {}
    for name, (_, good) in checked.items():
        for column in TABLES[name].columns:
            if column.default is not None:
                good = good.assign(**{column.name: good[column.name].fillna(column.default)})
        loading[name] = frames.typed(name, good)
    geometries = town_map.geometries if town_map is not None and town_map.geometries else None
    counts = store_module.write_tables(store, loading, geometries=geometries)
    store_module.set_meta(store, {"last_export_date": export.strftime("%Y-%m-%d")})
    summary = [
        {"table": name, "files": ", ".join(s.name for s in sources if s.table == name),
         "read": len(frame), "inserted": counts[name].inserted, "updated": counts[name].updated,
         "unchanged": counts[name].unchanged, "rejected": len(frame) - len(loading[name])}
        for name, (frame, _) in checked.items()
    ]
    if town_map is not None:
        drawn = counts.get("town_geometries", store_module.WriteCounts())
        summary.append({"table": MAP_TABLE, "files": town_map.name, "read": len(town_map.features),
                        "inserted": drawn.inserted, "updated": drawn.updated, "unchanged": drawn.unchanged,
                        "rejected": len(town_map.rejected)})
    return ImportReport(pd.DataFrame(summary, columns=["table", "files", "read", "inserted", "updated", "unchanged", "rejected"]),
                        export, [(s.name, h) for s in sources for h in s.extra], [f for f, _ in ignored],
                        rejects, reported, notes, errors_file)
