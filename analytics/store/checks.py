"""The contract's rules on one table's text cells, vectorised per column: every broken rule as an
issue row (table, file, Excel row, column, value, reason in zh and en).

``ImportFailed`` carries them to the user, ``render_issues`` writes one line each.
``check_table`` is the per-table part (cells, a repeated id on its later row, row rules, periods
that overlap, the export date) that the import and the results entry share; references across
tables are the import's (``analytics.store.ingest``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract import words
from analytics.contract.schema import (
    DATE_FORMATS,
    FALSE_WORDS,
    TABLES,
    TRUE_WORDS,
    Column,
    Table,
    code_spellings,
    header_aliases,
)
from analytics.store import database as store_module
from analytics.store.reading import Source
from analytics.store.town_map import FILE_SUFFIXES

ROW = "_row"  # Excel row number of a data row (header is row 1)
SOURCE = "_file"  # the file (or workbook:sheet) a row came from
EXCEL_DATETIME = "%Y-%m-%d 00:00:00"  # an Excel date cell read as text
ISSUE_COLUMNS = ["table", "file", "row", "column", "value", "reason_zh", "reason_en"]
REASON_HEADER = "错误原因 reason"  # the column a rejects file adds; ignored when the file comes back corrected
PRINTED_ISSUES = 200  # problems printed in a message; the rest go to --errors


def issue_rows(frame: pd.DataFrame, mask: np.ndarray | pd.Series, table: str, column: str, values: pd.Series | None,
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


def file_issue(table: str, file: str, column: str, zh: str, en: str) -> pd.DataFrame:
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
            lines = [f"Import not done: {words.count(count, 'problem')} found; the store was not changed."]
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
                         (f"{self.cascaded} more row has no problem of its own but refers to a row listed above: "
                          "with --skip-bad it is rejected with it (the reason is written beside it)." if self.cascaded == 1 else
                          f"{self.cascaded} more rows have no problem of their own but refer to a row listed above: "
                          "with --skip-bad they are rejected with it (the reason is written beside them)."))
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
    """Dates in any contract format (and ``extra_formats``); unparseable → NaT.

    Each format is tried on the cells no earlier format read, by position in plain arrays: a
    handful of calls per column whatever its length, not a Series rebuilt per format."""
    cells = text.to_numpy(dtype=object)
    parsed = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[ns]")
    todo = np.flatnonzero(cells != "")
    for fmt in (*DATE_FORMATS, *extra_formats):
        if not len(todo):
            break
        found = pd.to_datetime(cells[todo], format=fmt, errors="coerce")
        # a date the store's nanosecond dates cannot hold (year 2263, 9999) is no valid date, not a crash
        read = np.asarray((found >= pd.Timestamp.min) & (found <= pd.Timestamp.max), dtype=bool)
        parsed[todo[read]] = found[read].astype("datetime64[ns]").to_numpy()
        todo = todo[~read]
    return pd.Series(parsed, index=text.index)


def _parse_column(spec: Table, column: Column, frame: pd.DataFrame) -> tuple[pd.Series, list[pd.DataFrame]]:
    """A column's typed values and the issues of its cells (required, type, codes, ranges)."""
    text = frame[column.name]
    given = text != ""
    issues: list[pd.DataFrame] = []
    label = column.zh

    def bad(mask, zh: str, en: str) -> None:
        if np.asarray(mask).any():
            issues.append(issue_rows(frame, mask, spec.name, column.name, None, zh, en))

    if column.required:
        bad(~given, "必填项为空。", "A required value is missing.")
    if column.type == "text":
        values = text.where(given, None)
    elif column.type == "code":
        values = text.str.lower().map(code_spellings(column))
        listed = "、".join(f"{c.code}/{c.zh}" for c in column.codes)
        bad(given & values.isna(), f"不是{label}的有效取值，可填：{listed}。",
            f"Not a valid {column.name}; allowed: {', '.join(c.code for c in column.codes)} (or the Chinese label).")
    elif column.type == "bool":
        lowered = text.str.lower()
        yes, no = lowered.isin(TRUE_WORDS).to_numpy(), lowered.isin(FALSE_WORDS).to_numpy()
        values = pd.Series(pd.arrays.BooleanArray(yes & ~no, ~(yes | no)), index=text.index)  # no other word: NA
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


def combine(sources: list[Source]) -> pd.DataFrame:
    """The table's sources stacked under contract column names (stripped text, '' for missing)."""
    parts = []
    for source in sources:
        spec = TABLES[source.table]
        cells = {name: source.clean[header] if header else "" for name, header in
                 ((c.name, source.columns.get(c.name)) for c in spec.columns)}
        parts.append(pd.DataFrame({**cells, SOURCE: source.name, ROW: source.rows}, index=source.cells.index))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)  # one file: nothing to stack


def map_headers(source: Source, mapped: Mapping[str, str] | None = None) -> list[pd.DataFrame]:
    """Fill ``source.columns``/``extra`` from its header row; structural issues if any.

    ``mapped`` (a confirmed mapping's headers -> columns) comes before the contract's spellings: a
    column it gives to a header is no longer matched by its own name elsewhere in the file."""
    aliases = {k.lower(): v for k, v in header_aliases(source.table).items()}
    if mapped:  # a header mapped to '' is kept aside, whatever it is called
        taken = {v for v in mapped.values() if v}
        aliases = {k: v for k, v in aliases.items() if v not in taken} | {k.strip().lower(): v for k, v in mapped.items()}
    issues: list[pd.DataFrame] = []
    for header in source.cells.columns:
        name = aliases.get(header.lower())
        if not name:
            if header != REASON_HEADER:  # a corrected rejects file keeps its reasons column
                source.extra.append(header)
        elif name in source.columns:
            issues.append(file_issue(source.table, source.name, header, "该列出现了两次。", "This column appears twice."))
        else:
            source.columns[name] = header
    for column in TABLES[source.table].columns:
        if column.required and column.name not in source.columns:
            issues.append(file_issue(source.table, source.name, f"{column.name} ({column.zh})",
                                      "缺少必填列。", "A required column is missing."))
    return issues


def check_table(spec: Table, frame: pd.DataFrame, export_date: pd.Timestamp) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Typed values and the issues of one table's rows (cells, uniqueness, row rules, export date),
    one frame per broken rule (none for a rule no row breaks); references are checked across tables
    by ``import_files``."""
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
        if mask.any():  # a table without problems builds no empty issue frames
            issues.append(issue_rows(frame, mask, spec.name, rule.column, None, zh, en))
    for name in spec.not_after_export:
        late = (typed[name] > export_date).fillna(False)
        day = export_date.strftime("%Y-%m-%d")
        if late.any():
            issues.append(issue_rows(frame, late, spec.name, name, None, f"晚于导出日期 {day}。", f"After the export date {day}."))
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
    later = typed.duplicated(key, keep="first").to_numpy()
    if not later.any():  # the usual case: no need to look further
        return []
    later = later & typed[key].notna().all(axis=1).to_numpy()
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
    return [issue_rows(frame, later, spec.name, key[0], None, zh, en)]


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
    return [issue_rows(frame, mask, spec.name, start, None, zh, en)]



def overlapping_stored(spec: Table, frame: pd.DataFrame, typed: pd.DataFrame, stored: pd.DataFrame) -> list[pd.DataFrame]:
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
    return [issue_rows(frame, mask, spec.name, start, None, zh, en)]
