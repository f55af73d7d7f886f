"""Reading an import's files as text: a CSV folder, one .xlsx workbook or one table's CSV, and where
the ``towns.geojson`` is.

Every cell is read as text, the encoding detected per file (UTF-8 with or without BOM, else
GB18030) and kept, so that rejects go back in it. Which table a file or sheet holds comes from its
name (``hazards``, ``隐患``, ``hazards_2024``, a corrected ``hazards.rejects``).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract.schema import LOAD_ORDER, TABLES
from analytics.store.town_map import FILE_SUFFIXES

GUIDE_PREFIXES = ("_", "说明", "readme", "README")  # template guide files and sheets, not tables
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


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
    replaced: dict[str, pd.Series] = field(default_factory=dict)  # contract column -> clean cells before a mapping's labels

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
    columns = [body.iloc[:, i] for i in range(len(headers))]
    stripped = [strip_cells(column) for column in columns]
    if all(after is before for after, before in zip(stripped, columns)):
        clean = body  # the usual file (strip_cells gave every column back as it was): no frame rebuilt
    else:
        clean = pd.DataFrame(dict(enumerate(stripped)))
        clean.columns = headers
    blank = (clean == "").all(axis=1).to_numpy()
    rows = np.arange(2, len(grid) + 1)[~blank]
    if blank.any():
        body, clean = body.loc[~blank], clean.loc[~blank]
    source = Source(table, name, stem, body.reset_index(drop=True), rows)
    source.clean = clean.reset_index(drop=True)
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


# The last workbook read, by (path, size, modification time): the import page reads one upload for the
# proposal, the check and the import, and openpyxl is most of each (26 s for a 0.8 MB county at load 18).
# One entry: a later workbook replaces it; a changed file has another key.
_LAST_WORKBOOK: dict[tuple[str, int, int], dict[str, pd.DataFrame]] = {}


def _workbook_sheets(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of an .xlsx as text cells (the frames are not changed by their readers)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _LAST_WORKBOOK:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, keep_default_na=False, engine="openpyxl")
        _LAST_WORKBOOK.clear()
        _LAST_WORKBOOK[key] = sheets
    return _LAST_WORKBOOK[key]


def _is_rejects(file: Path) -> bool:
    return ".rejects." in file.name


def read_sources(path: str | Path, tables: Mapping[str, str] | None = None,
                 every: bool = False) -> tuple[list[Source], list[tuple[str, str]]]:
    """The tables' sources in a folder of CSVs, one .xlsx workbook or one CSV named like its table
    (``enterprises.csv``, ``企业.csv``, a corrected ``enterprises.rejects.csv``), and the files or
    sheets that are no table (reported, not read). A ``towns.geojson`` is found by ``town_map_of``.

    ``tables`` (a confirmed ``SourceMapping.tables``) names the table of a sheet or file stem that
    the contract's names do not ('' skips it); ``every`` reads the sheets and files of no table
    too, with table '' (to propose a mapping from their headers)."""
    path = Path(path)
    tables = dict(tables or {})

    def table_of(stem: str) -> str | None:
        named = tables.get(stem, tables.get(stem.strip()))
        if named is not None:
            return named or ("" if every else None)
        found = _table_of(stem)
        return found if found is not None else ("" if every else None)

    sources: list[Source] = []
    ignored: list[tuple[str, str]] = []
    suffix = path.suffix.lower()
    if path.is_dir():
        for file in sorted(path.iterdir()):
            if file.suffix.lower() != ".csv" or _is_rejects(file) or file.name.startswith(GUIDE_PREFIXES):
                if file.suffix.lower() in (".xls", *WORKBOOK_SUFFIXES):
                    ignored.append((file.name, "workbook"))
                continue
            table = table_of(file.stem)
            if table is None:
                ignored.append((file.name, ""))
                continue
            sources.append(_read_csv(file, table))
    elif path.is_file() and suffix == ".csv":
        table = table_of(path.stem)
        if table is None:
            names = "、".join(f"{n}.csv" for n in LOAD_ORDER)
            raise UserError(f"文件名 {path.name} 不对应任何数据表。单独导入一个 CSV 时，文件须以表名命名（{names}，或中文表名），"
                            "或导入整个文件夹。",
                            f"The file name {path.name} matches no table. A single CSV must be named after its table "
                            f"({', '.join(f'{n}.csv' for n in LOAD_ORDER)}, or the Chinese table name), or import the whole folder.")
        sources.append(_read_csv(path, table))
    elif path.is_file() and suffix in WORKBOOK_SUFFIXES:
        try:
            sheets = _workbook_sheets(path)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise UserError(f"无法读取工作簿 {path.name}：{error}。请用 Excel 另存为 .xlsx 后重试。",
                            f"Cannot read the workbook {path.name}: {error}. Save it again as .xlsx in Excel and retry.") from error
        for sheet, grid in sheets.items():
            if sheet.startswith(GUIDE_PREFIXES):
                continue
            table = table_of(sheet)
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
