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
``store.write_tables``: upsert by id, so importing twice changes nothing. An optional ``progress``
hook hears after each table checked and each chunk of rows written (``analytics.store.progress``).
Long because the checking of a file set against the store is one sequence (structure, rows per table
in load order, references and cascades, the town map, then rejects and writing) best read in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from analytics.contract import frames
from analytics.contract.errors import UserError
from analytics.contract.exports import write_csv
from analytics.contract.mapping import SourceMapping
from analytics.contract.schema import LOAD_ORDER, TABLES, Column
from analytics.contract import words
from analytics.store import database as store_module
from analytics.store import writing
from analytics.store.database import WriteCounts
from analytics.store.checks import (
    ISSUE_COLUMNS,
    PRINTED_ISSUES,
    REASON_HEADER,
    ROW,
    SOURCE,
    ImportFailed,
    check_table,
    combine,
    file_issue,
    issue_rows,
    map_headers,
    overlapping_stored,
    parse_dates,
    render_issues,
)
from analytics.store.mapping import apply_codes, as_written
from analytics.store.progress import Hook, reporter
from analytics.store.reading import WORKBOOK_SUFFIXES, Source, detect_encoding, read_sources, town_map_of
from analytics.store.town_map import check_town_map, write_rejected_features

# Re-exported: the results entry and the scoring of one firm check records with the import's rules.
__all__ = ["ROW", "SOURCE", "ImportFailed", "ImportReport", "check_table", "detect_encoding", "import_files",
           "read_sources", "render_issues"]

MAP_TABLE = "town_map"  # the summary's row for towns.geojson


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
            lines = [f"{words.count(count, 'row')} {'was' if count == 1 else 'were'} not imported: {len(own)} with "
                     f"problems of {'its' if len(own) == 1 else 'their'} own"
                     + (f", {only_cascade} because {'it refers' if only_cascade == 1 else 'they refer'} to a row not imported"
                        if only_cascade else "")
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
    """Issues with the column named as the user wrote it in that file, and the value as written where
    a mapping replaced a label (a town's name by its town_id)."""
    written = {(s.name, name): header for s in sources for name, header in s.columns.items()}
    pairs = list(zip(issues["file"], issues["column"], strict=True))
    issues = as_written(issues.copy(), sources)
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
    zh = f"所引用的{TABLES[target].zh} " + ids + "（" + files + " 第" + rows + "行）有错误、未导入，本行一并拒绝。"
    en = f"Refers to {target} " + ids + " (" + files + " row " + rows + f"), which {CASCADE_MARK}."
    return issue_rows(frame, hit, name, column.name, None, zh.to_numpy(), en.to_numpy())


def _structure(sources: list[Source], stored: set[str],
               mapping: SourceMapping | None = None) -> tuple[list[pd.DataFrame], list[tuple[str, str]]]:
    """Problems that stop an import before any row is read (missing or empty required tables, missing
    required columns, blank files), and notes on empty files that do no harm.

    A required table may be left out, or given header-only, when the store already holds its rows:
    that is how a corrected subset (only ``enterprises.csv``) is imported."""
    issues: list[pd.DataFrame] = []
    notes: list[tuple[str, str]] = []
    for source in sources:
        if not source.blank:
            issues += map_headers(source, mapping.headers(source.table) if mapping is not None else None)
    for name in LOAD_ORDER:
        mine = [s for s in sources if s.table == name]
        spec = TABLES[name]
        rows = sum(len(s.cells) for s in mine)
        if spec.required and name not in stored and not mine:
            issues.append(file_issue(name, f"{name}.csv", "", f"缺少必需的数据表“{spec.zh}”（{name}），数据库中也还没有。",
                                      f"The required table {name} ({spec.zh}) is missing, and the store holds none yet."))
            continue
        for source in (s for s in mine if s.blank or s.header_only):
            what_zh, what_en = ("是空文件（没有表头）", "is empty (not even a header row)") if source.blank else \
                ("只有表头，没有数据行", "has a header but no data rows")
            if spec.required and name not in stored and rows == 0:
                issues.append(file_issue(name, source.name, "", f"{what_zh}：必需的数据表“{spec.zh}”不能为空（数据库中也还没有）。",
                                          f"It {what_en}: the required table {name} may not be empty (the store holds none yet)."))
            else:
                notes.append((f"{source.name} {what_zh}，未导入任何记录。", f"{source.name} {what_en}; nothing imported from it."))
    return issues, notes


def import_files(store: store_module.Store, path: str | Path, *, skip_bad: bool = False,
                 rejects_dir: str | Path | None = None, export_date: object | None = None,
                 errors_path: str | Path | None = None, mapping: SourceMapping | None = None,
                 dry_run: bool = False, progress: Hook | None = None) -> ImportReport:
    """Check and load a folder of contract CSVs (with an optional ``towns.geojson``), one .xlsx
    workbook, or one CSV named after its table into ``store``.

    Tables not given keep what the store holds, and references are checked against the files and
    the store together; a required table must be given unless the store already holds it.
    Raises ``ImportFailed`` (store unchanged) on any broken rule, unless ``skip_bad``: then the
    good rows load and the bad ones are written to ``rejects_dir`` (default: next to the input),
    each with its reason, and so is every row that refers to a rejected row. Missing tables or
    required columns always fail the import.

    ``mapping`` (a confirmed ``SourceMapping``) names the tables, columns and codes the files spell
    their own way; the checks are the same after it. ``dry_run`` checks everything and writes the
    problem list and the rejects as ``skip_bad`` would, but changes nothing in the store: the report
    lists every problem (``rejected_issues``) and what would load. ``progress`` (a ``Step`` hook) is
    called after each table is checked and, while writing, after each chunk of rows.
    """
    path = Path(path)
    errors_file = Path(errors_path) if errors_path else None
    export = _export_date(export_date)
    sources, ignored = read_sources(path, tables=mapping.tables if mapping is not None else None)
    map_path = town_map_of(path)
    if not sources and map_path is None:
        raise UserError(f"{path} 中没有可导入的数据表文件（如 towns.csv、enterprises.csv）。",
                        f"{path} holds no table file to import (such as towns.csv, enterprises.csv).")
    stored_tables = _stored_tables(store)
    structural, notes = _structure(sources, stored_tables, mapping)
    if mapping is not None:
        apply_codes(sources, mapping)
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
    check_report = reporter(progress, "check", [n for n in LOAD_ORDER if any(s.table == n for s in sources)])
    for name in LOAD_ORDER:
        mine = [s for s in sources if s.table == name]
        if not mine:
            continue
        spec = TABLES[name]
        frame = combine(mine)
        frame["_pos"] = np.concatenate([np.arange(len(s.cells)) for s in mine])
        frame.attrs["xlsx"] = path.suffix.lower() in WORKBOOK_SUFFIXES
        typed, issues = check_table(spec, frame, export)
        if spec.no_overlap and name in stored_tables:
            issues += overlapping_stored(spec, frame, typed, store_module.read_tables(store, names=[name])[name])
        mine_cascades = []
        for column in (c for c in spec.columns if c.references):
            target = column.references.split(".")[0]
            values = typed[column.name]
            if target not in given:  # a table that is not in the file set: the store's rows only
                given[target] = accepted[target] = pd.Index([], dtype=object)
                rejected_at[target] = pd.DataFrame(columns=["file", "row"])
            known = given[target].union(stored[target])
            missing = values.notna() & ~values.isin(known)
            if missing.any():
                issues.append(issue_rows(frame, missing, name, column.name, None,
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
        if check_report is not None:
            check_report(name, len(frame), len(frame))

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
    if (len(issues) or len(map_issues)) and not skip_bad and not dry_run:
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
    if dry_run:  # what would load: every good row counts as new, nothing is written
        counts = {name: WriteCounts(inserted=len(rows)) for name, rows in loading.items()}
        counts["town_geometries"] = WriteCounts(inserted=len(geometries or {}))
    else:
        counts = writing.write_tables(store, loading, geometries=geometries,
                                      progress=reporter(progress, "write", list(loading)))
        store_module.set_meta(store, {"last_export_date": export.strftime("%Y-%m-%d")})
    summary = [
        {"table": name, "files": ", ".join(s.name for s in sources if s.table == name),
         "read": len(frame), "inserted": counts[name].inserted, "updated": counts[name].updated,
         "unchanged": counts[name].unchanged, "rejected": len(frame) - len(loading[name])}
        for name, (frame, _) in checked.items()
    ]
    if town_map is not None:
        drawn = counts.get("town_geometries", WriteCounts())
        summary.append({"table": MAP_TABLE, "files": town_map.name, "read": len(town_map.features),
                        "inserted": drawn.inserted, "updated": drawn.updated, "unchanged": drawn.unchanged,
                        "rejected": len(town_map.rejected)})
    return ImportReport(pd.DataFrame(summary, columns=["table", "files", "read", "inserted", "updated", "unchanged", "rejected"]),
                        export, [(s.name, h) for s in sources for h in s.extra], [f for f, _ in ignored],
                        rejects, reported, notes, errors_file)
