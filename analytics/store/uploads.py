"""A file a person uploaded for import, laid out as ``import_files`` reads it (an .xlsx workbook or
one table's CSV as it came, a .zip of CSVs unpacked into a folder), then checked or imported with
the problem list and rejects kept for download (``checked_import``).

A zip is untrusted: only its ``.csv`` and ``.geojson`` members are taken, by their base name
(never a path: no ``../``), and reading stops at ``max_unpacked`` bytes, so a small zip that
unpacks to gigabytes is refused instead of filling the disk.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract.exports import write_csv
from analytics.contract.mapping import SourceMapping
from analytics.store import database as store_module
from analytics.store.checks import ISSUE_COLUMNS, ImportFailed
from analytics.store.ingest import import_files
from analytics.store.progress import Hook
from analytics.store.reading import WORKBOOK_SUFFIXES

MEMBER_SUFFIXES = (".csv", ".geojson", ".json")
_SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff ]")


def safe_name(name: str) -> str:
    """A file name with no folder and no character a file system might read as one."""
    base = PurePosixPath(str(name).replace("\\", "/")).name.strip() or "upload"
    return _SAFE_NAME.sub("_", base)[:120]


def unpack(name: str, content: bytes, folder: str | Path, max_unpacked: int = 200 * 1024 * 1024) -> Path:
    """Write the upload ``name`` (its bytes ``content``) under ``folder``; the path to import."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    file = safe_name(name)
    suffix = Path(file).suffix.lower()
    if suffix in (*WORKBOOK_SUFFIXES, ".csv"):
        path = folder / file
        path.write_bytes(content)
        return path
    if suffix == ".xls":
        raise UserError(f"{file} 是旧版 Excel 97-2003 工作簿（.xls），无法读取。请在 Excel 中另存为 .xlsx 后再上传。",
                        f"{file} is an old Excel 97-2003 workbook (.xls), which cannot be read. Save it as .xlsx in "
                        "Excel and upload that.")
    if suffix != ".zip":
        raise UserError(f"无法导入 {file}：请上传 .xlsx 工作簿、CSV 文件的 .zip 压缩包或单个以表名命名的 CSV。",
                        f"Cannot import {file}: upload an .xlsx workbook, a .zip of CSV files or one CSV named after its table.")
    target = folder / Path(file).stem
    target.mkdir(parents=True, exist_ok=True)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as error:
        raise UserError(f"{file} 不是有效的 zip 压缩包：{error}。", f"{file} is not a valid zip archive: {error}.") from error
    taken, budget = 0, max_unpacked
    with archive:
        for member in archive.infolist():
            base = safe_name(member.filename)
            if member.is_dir() or not base.lower().endswith(MEMBER_SUFFIXES) or base.startswith(("._", "__MACOSX")):
                continue
            with archive.open(member) as source:
                data = source.read(budget + 1)
            budget -= len(data)
            if budget < 0:
                raise UserError(f"{file} 解压后超过 {max_unpacked // (1024 * 1024)} MB，未导入。请分批上传或用命令行导入。",
                                f"{file} unpacks to more than {max_unpacked // (1024 * 1024)} MB; not imported. Upload it in "
                                "parts or use the command line.")
            (target / base).write_bytes(data)
            taken += 1
    if not taken:
        raise UserError(f"{file} 中没有 CSV 文件。", f"{file} holds no CSV file.")
    return target


@dataclass
class Outcome:
    """What a check or an import of an upload found and did (for the import page)."""

    mode: str  # "check" (dry run), "all" (all or nothing), "skip" (skip bad rows)
    loaded: bool  # whether the store was changed
    summary: pd.DataFrame  # per table: read, inserted, updated, unchanged, rejected
    issues: pd.DataFrame  # ISSUE_COLUMNS, every problem
    rejects: list[Path] = field(default_factory=list)
    problems_file: Path | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        totals = self.summary[["read", "inserted", "updated", "rejected"]].sum() if len(self.summary) else {}
        return {**{k: int(v) for k, v in dict(totals).items()}, "problems": len(self.issues)}


def checked_import(store: store_module.Store, path: str | Path, work: str | Path, mode: str,
                   mapping: SourceMapping | None = None, export_date: object | None = None,
                   progress: Hook | None = None) -> Outcome:
    """Check (``mode="check"``, nothing changes), import all or nothing (``"all"``) or skip the bad
    rows (``"skip"``) of the upload at ``path``; the problem list and the rejects go to ``work``
    (``problems.csv``, ``rejects/``), each replacing the last run's. ``progress`` is ``import_files``'s hook."""
    work = Path(work)
    rejects_dir = work / "rejects"
    shutil.rmtree(rejects_dir, ignore_errors=True)
    problems = work / "problems.csv"
    problems.unlink(missing_ok=True)
    try:
        report = import_files(store, path, skip_bad=mode == "skip", dry_run=mode == "check", rejects_dir=rejects_dir,
                              export_date=export_date, errors_path=problems, mapping=mapping, progress=progress)
    except ImportFailed as failed:
        if not problems.exists():
            write_csv(failed.issues[ISSUE_COLUMNS], problems, index=False, encoding="utf-8-sig")
        return Outcome(mode, False, pd.DataFrame(columns=SUMMARY_COLUMNS), failed.issues, [], problems)
    issues = report.rejected_issues[ISSUE_COLUMNS].reset_index(drop=True)
    return Outcome(mode, mode != "check", report.summary, issues, list(report.rejects),
                   problems if problems.exists() else None, report.notes)


SUMMARY_COLUMNS = ["table", "files", "read", "inserted", "updated", "unchanged", "rejected"]
