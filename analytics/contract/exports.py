"""Export cells a spreadsheet shows as text and never runs as a formula (CSV and xlsx).

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or
carriage return) as a formula: an enterprise or team named ``=HYPERLINK("http://…","点此")`` would be
a live link in the office's workbook, and ``-2+3+cmd|' /C calc'!A0`` worse. openpyxl itself writes
any string starting with ``=`` as a formula. Every writer of a file meant for a spreadsheet (risk
list CSV and xlsx, plan, bulletin, 三个一批, places and people lists, the audit CSV) goes through this
module, which prefixes such text with ``'`` (OWASP's advice for CSV injection):

=====================  =====================  =================================================
cell                   written as             why
=====================  =====================  =================================================
``=HYPERLINK(...)``    ``'=HYPERLINK(...)``   text starting with a formula character
``+1+1``, ``@SUM(1)``  ``'+1+1``, ``'@SUM(1)``
``-2+3``               ``'-2+3``              not a plain number: an expression
``-12``, ``+3.5%``     unchanged              a plain number written as text runs nothing
``42``, ``0.37``       unchanged              numbers stay numbers (not text)
column header          the same rule          headers can carry names (a team per column)
=====================  =====================  =================================================

``neutralise_frame`` works column by column with pandas' string methods (no loop over rows);
``neutralise_workbook`` is the last pass over an openpyxl workbook, so that nothing written into a
cell afterwards (or by a writer that builds cells itself) leaves as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# A plain number written as text ("-12", "+3.5", "-1e3", "-4.0%"): nothing a spreadsheet would run.
PLAIN_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?"
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)


def needs_quote(value: Any) -> bool:
    """True for text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value)


def neutralise(value: Any) -> Any:
    """``value`` with ``'`` in front when it is text a spreadsheet would run; anything else as it is."""
    return QUOTE + value if needs_quote(value) else value


def neutralise_series(values: pd.Series) -> pd.Series:
    """The text cells of ``values`` that would run as formulas, prefixed with ``'`` (vectorised).
    Numbers, dates, booleans and missing values are left as they are, so is the dtype where no cell
    changes."""
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)
            or isinstance(values.dtype, pd.CategoricalDtype)):
        return values
    try:
        text = values.str  # non-text cells of an object column answer NaN
    except AttributeError:  # an object column without any text (dates, numbers)
        return values
    risky = text.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
    if not risky.any():
        return values
    risky &= ~text.fullmatch(PLAIN_NUMBER).fillna(False).astype(bool)
    if not risky.any():
        return values
    plain = values.astype(object)
    return plain.where(~risky, QUOTE + plain.where(risky, "").astype(str))


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column headers run nothing in a spreadsheet."""
    out = frame.copy()
    for position in range(out.shape[1]):
        out.isetitem(position, neutralise_series(out.iloc[:, position]))
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = pd.MultiIndex.from_tuples([tuple(neutralise(p) for p in c) for c in out.columns],
                                                names=out.columns.names)
    else:
        out.columns = [neutralise(c) for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
        out.index = neutralise_series(out.index.to_series()).to_numpy()
    return out


def neutralise_workbook(book: Any) -> Any:
    """Every cell of the openpyxl ``book`` that holds text a spreadsheet would run (openpyxl writes a
    string starting with ``=`` as a formula: ``data_type`` "f") becomes text with ``'`` in front."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if needs_quote(cell.value):
                    cell.value = QUOTE + cell.value  # a string starting with ' : openpyxl types it "s"
    return book


def _breaks_lines(frame: pd.DataFrame, terminator: str) -> bool:
    """True when a text cell or header holds a line-break character the CSV writer would not quote
    (Python's csv quotes only the characters of its line terminator)."""
    unquoted = [c for c in ("\r", "\n") if c not in terminator]
    if not unquoted:
        return False
    pattern = "|".join(unquoted)
    if any(isinstance(c, str) and any(u in c for u in unquoted) for c in frame.columns):
        return True
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            try:
                if values.str.contains(pattern, regex=True).fillna(False).astype(bool).any():
                    return True
            except AttributeError:  # no text in this column
                continue
    return False


def write_csv(frame: pd.DataFrame, target: str | Path | io.TextIOBase | None = None, **options: Any) -> str | None:
    """``frame.to_csv(target, **options)`` with its cells neutralised (text when ``target`` is None).

    A carriage return inside a cell would end the row for a spreadsheet and start the next cell
    with whatever follows (``"'\\r=1+1"`` would put ``=1+1`` at the start of a cell): when a cell
    holds a line break the terminator does not contain, every field is quoted."""
    safe = neutralise_frame(frame)
    terminator = options.get("lineterminator") or "\n"
    if "quoting" not in options and _breaks_lines(safe, terminator):
        options["quoting"] = csv.QUOTE_ALL
    return safe.to_csv(target, **options)


def write_csv_pieces(pieces: Callable[[], Iterable[pd.DataFrame]], path: str | Path, encoding: str = "utf-8-sig",
                     **options: Any) -> Path:
    """``write_csv`` of the frames ``pieces()`` yields, one after another, as one file: the same bytes as
    ``write_csv(pd.concat(pieces()), path, ...)`` without holding them together. ``pieces`` is called
    once, or twice when a cell breaks a line: the file is then written again with every field quoted,
    as the whole-frame writer decides from the start (a province's list is read once, not twice, in
    the usual case of no such cell)."""
    path = Path(path)
    if "quoting" in options:
        _written(pieces(), path, encoding, options)
    elif not _written(pieces(), path, encoding, options, stop_at_break=True):
        _written(pieces(), path, encoding, {**options, "quoting": csv.QUOTE_ALL})
    return path


def _written(pieces: Iterable[pd.DataFrame], path: Path, encoding: str, options: dict[str, Any],
             stop_at_break: bool = False) -> bool:
    """Write ``pieces`` to ``path`` as one CSV (the BOM once, a header before the first); with
    ``stop_at_break``, stop and return False at the first piece with a cell that breaks a line."""
    terminator = options.get("lineterminator") or "\n"
    with path.open("w", encoding=encoding, newline="") as handle:
        for position, piece in enumerate(pieces):  # a loop over pieces of a list
            neutral = neutralise_frame(piece)
            if stop_at_break and _breaks_lines(neutral, terminator):
                return False
            neutral.to_csv(handle, header=position == 0, **options)
    return True


def tidy_sheet(sheet: Any, frame: pd.DataFrame, *, index: bool = False, header_row: int = 1) -> None:
    """Office-ready: the header row (``header_row``; 2 under a cover row) bold and frozen, a filter
    on it, columns as wide as their text (CJK characters count twice, at most 60), shares (columns
    named in ``frame.attrs["percent"]``) shown as percentages (``attrs["percent_format"]``, "0%"), dates as YYYY-MM-DD."""
    if sheet.max_row < header_row or sheet.max_column < 1:
        return
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(sheet.max_column)}{sheet.max_row}"
    shown = frame.reset_index() if index else frame
    percent = set(frame.attrs.get("percent", ()))
    for position, column in enumerate(shown.columns, start=1):
        values = shown[column]
        text = pd.concat([values.astype(object).where(values.notna(), "").astype(str).str.slice(0, 200),
                          pd.Series([str(column)])], ignore_index=True)
        widths = text.str.len() + text.str.count(r"[\u2e80-\uffff]")  # a CJK character is two columns wide
        sheet.column_dimensions[get_column_letter(position)].width = min(60, max(8, int(widths.max()) + 2))
        kind = shown[column].dtype
        style = (frame.attrs.get("percent_format", "0%") if column in percent else "yyyy-mm-dd" if pd.api.types.is_datetime64_any_dtype(kind) else None)
        if style:
            for (cell,) in sheet.iter_rows(min_row=header_row + 1, min_col=position, max_col=position):
                cell.number_format = style


COVER_WORDS = {"zh": ("区县", "生成于"), "en": ("County", "generated")}


def county_of(town_ids: Iterable[Any]) -> str | None:
    """The county the towns belong to: the six-digit administrative division code (GB/T 2260) that
    their nine-digit town codes share (``331081003`` → ``"331081"``); ``None`` when the ids are no
    such codes, belong to several counties or there are none."""
    ids = pd.Series(list(town_ids), dtype=object).dropna().astype(str)
    if ids.empty or not ids.str.fullmatch(r"\d{9}").all():
        return None
    prefixes = ids.str.slice(0, 6).unique()
    return str(prefixes[0]) if len(prefixes) == 1 else None


def cover_line(title: str, day: Any, filters: Mapping[str, Any] | None = None, *, sep: str | None = None,
               lang: str = "zh", county: str | None = None, generated: Any = None) -> str:
    """The cover row of an export: ``"风险清单 2026-11-15 · 乡镇=松门镇 · 等级=红 · 区县 331081 · 生成于
    2026-12-02 09:30"`` (the title, the date when there is one, each filter that is set as
    ``label=value`` with several values joined by ``sep``, the county (``county_of``) when known, and
    when the file was made: ``generated``, else now), in ``lang``."""
    words = COVER_WORDS["zh" if lang == "zh" else "en"]
    sep = sep if sep is not None else ("、" if lang == "zh" else ", ")
    parts = [title if day is None or pd.isna(day) else f"{title} {pd.Timestamp(day):%Y-%m-%d}"]
    for label, value in (filters or {}).items():
        values = [str(v) for v in ([value] if isinstance(value, str) else (value or ())) if str(v).strip()]
        if values:
            parts.append(f"{label}={sep.join(values)}")
    if county:
        parts.append(f"{words[0]} {county}")
    parts.append(f"{words[1]} {pd.Timestamp.now() if generated is None else pd.Timestamp(generated):%Y-%m-%d %H:%M}")
    return " · ".join(parts)


def export_filename(stem: str, day: Any, filters: Mapping[str, Any] | None = None, suffix: str = "xlsx") -> str:
    """``<stem>[_<YYYYMMDD>][_<filter values>].<suffix>`` (no date part when ``day`` is None): a
    filtered export never takes the whole export's name. Characters a file system refuses become ``-``; the filter part is cut at 80."""
    values = [str(v) for value in (filters or {}).values()
              for v in ([value] if isinstance(value, str) else (value or ())) if str(v).strip()]
    tail = re.sub(r"[^\w\u2e80-\uffff.]+", "-", "_".join(values)).strip("-_.")[:80]
    dated = stem if day is None else f"{stem}_{pd.Timestamp(day):%Y%m%d}"
    return dated + (f"_{tail}" if tail else "") + f".{suffix}"


def write_xlsx(target: str | Path | io.BufferedIOBase | None,
               sheets: Mapping[str, pd.DataFrame] | Iterable[tuple[str, pd.DataFrame]],
               *, index: bool = False, office: bool = False, cover: str | None = None) -> bytes | None:
    """A workbook with one sheet per ``(name, frame)``, every text cell neutralised. Written to
    ``target`` (a path or a binary file); with ``target=None`` the workbook's bytes are returned.
    ``office=True``: each sheet tidied for reading (``tidy_sheet``); ``cover``: a bold first row
    above the header on every sheet (what was exported, when, with which filters: ``cover_line``)."""
    pairs = list(sheets.items()) if isinstance(sheets, Mapping) else list(sheets)
    buffer = io.BytesIO() if target is None else target
    if isinstance(buffer, str | Path):
        Path(buffer).parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in pairs:
            safe = neutralise_frame(frame)
            safe.attrs["percent"] = [neutralise(c) for c in frame.attrs.get("percent", ())]
            safe.to_excel(writer, sheet_name=str(name)[:31], index=index, startrow=1 if cover else 0)
            sheet = writer.sheets[str(name)[:31]]
            if cover:
                sheet["A1"] = neutralise(cover)
                sheet["A1"].font = Font(bold=True)
            if office:
                tidy_sheet(sheet, safe, index=index, header_row=2 if cover else 1)
        neutralise_workbook(writer.book)
    return buffer.getvalue() if target is None else None
