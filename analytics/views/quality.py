"""The data-quality report of what the store holds (issue 17 item 5): after every import, on a page and
as a workbook.

``quality_report(store)`` reads the store's tables once; ``quality_of_tables(tables, export_date)`` is
the same report of any tables dict (typed as ``read_tables`` returns them). Every section is a
DataFrame computed table by table and column by column with pandas (no loop over rows):

===============  ====================================================================================
section          one row per
===============  ====================================================================================
``tables``       contract table: held or not, rows, first and last record date, rows dated after the
                 export date, rows whose reference is missing, repeated rows, empty columns
``completeness`` column of a held table: rows with a value, the share (blank text counts as empty)
``dates``        date column: first, last, rows dated after the export date, whether the contract
                 allows a later date there (a deadline, a planned end) or not
``by_town``      town: rows of every enterprise table (and weather alerts) in it
``by_sector``    sector: rows of every enterprise table in it
``orphans``      reference column: rows naming a record the store does not hold, with examples
``duplicates``   check: rows repeating an earlier one (the natural key; likely duplicates: one
                 enterprise name twice in a town, two inspections of a firm on one day)
``families``     feature family: used, partly used or skipped, and what it lacks (a table, or a
                 column with no value: ``skipped_families``; the deadline and profile features that
                 drop out when their column is empty)
===============  ====================================================================================

``QualityReport.render(lang)`` is the short summary ``saferank import`` prints; ``frames(lang)`` the
labelled sections the page and ``write(path, lang)`` (the workbook, through the export neutraliser)
show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.contract import schema
from analytics.contract.exports import county_of, cover_line, write_xlsx
from analytics.contract.words import count
from analytics.features import profile, rectification
from analytics.features.build import skipped_families
from analytics.features.registry import DEADLINE_FEATURES, FAMILY_LABELS, FAMILY_TABLES, family_features
from analytics.store.database import get_meta, natural_key, read_tables

LOW_SHARE = 0.5  # an optional column filled in fewer rows than this is named in the summary
EXAMPLES = 5
# Records that should not repeat though the contract's keys allow it: (table, columns, what it means).
LIKELY_DUPLICATES: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("enterprises", ("name", "town_id"), "同一镇街内企业名称重复", "one enterprise name twice in a town"),
    ("inspections", ("enterprise_id", "date"), "同一企业同一天多次检查", "two inspections of a firm on one day"),
)
SECTIONS: dict[str, tuple[str, str]] = {
    "tables": ("数据表", "Tables"),
    "completeness": ("完整性", "Completeness"),
    "dates": ("日期范围", "Date ranges"),
    "by_town": ("按镇街", "By town"),
    "by_sector": ("按行业", "By sector"),
    "orphans": ("引用缺失", "Orphans"),
    "duplicates": ("重复", "Duplicates"),
    "families": ("模型特征族", "Feature families"),
}
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "table": ("数据表", "Table"), "table_name": ("表名", "Table name"), "held": ("已导入", "Held"),
    "required": ("必需", "Required"), "rows": ("行数", "Rows"), "first_date": ("最早日期", "First date"),
    "last_date": ("最晚日期", "Last date"), "after_export": ("晚于导出日期的行", "Rows after the export date"),
    "orphan_rows": ("引用缺失的行", "Orphan rows"), "duplicate_rows": ("重复的行", "Repeated rows"),
    "empty_columns": ("无数据的列", "Empty columns"), "column": ("列", "Column"), "column_name": ("列名", "Column name"),
    "filled": ("有值的行", "Rows with a value"), "share": ("填写率", "Share filled"),
    "dated": ("有日期的行", "Dated rows"), "later_allowed": ("允许晚于导出日期", "May lie after the export date"),
    "town_id": ("镇街编码", "Town ID"), "town": ("镇街", "Town"), "sector": ("行业", "Sector"),
    "references": ("引用", "References"), "examples": ("示例", "Examples"), "check": ("检查项", "Check"),
    "columns": ("列", "Columns"), "family": ("特征族", "Family"), "status": ("状态", "Status"), "features": ("可用特征数", "Features used"),
    "registered": ("登记特征数", "Features registered"), "lacking": ("缺少", "Lacking"),
    "missing_features": ("缺少的特征", "Features left out"),
}
STATUS_LABELS = {"used": ("可用", "used"), "partial": ("部分可用", "partly used"), "skipped": ("跳过", "skipped")}


@dataclass
class QualityReport:
    """The sections (codes and English names; ``frames(lang)`` labels them) and the export date."""

    export_date: pd.Timestamp | None
    tables: pd.DataFrame
    completeness: pd.DataFrame
    dates: pd.DataFrame
    by_town: pd.DataFrame
    by_sector: pd.DataFrame
    orphans: pd.DataFrame
    duplicates: pd.DataFrame
    families: pd.DataFrame
    path: Path | None = field(default=None)

    # --- the numbers the summary and the audit give -----------------------------------------
    def counts(self) -> dict[str, object]:
        held = self.tables[self.tables["held"]]
        return {"tables": int(len(held)), "rows": int(held["rows"].sum()),
                "orphan_rows": int(self.orphans["rows"].sum()) if len(self.orphans) else 0,
                "duplicate_rows": int(self.duplicates["rows"].sum()) if len(self.duplicates) else 0,
                "after_export": int(self.dates.loc[~self.dates["later_allowed"], "after_export"].sum()),
                "families_skipped": self.families.loc[self.families["status"] == "skipped", "family"].tolist(),
                "families_partial": self.families.loc[self.families["status"] == "partial", "family"].tolist()}

    def low_columns(self) -> pd.DataFrame:
        """Columns filled in fewer than ``LOW_SHARE`` of their rows (required ones first)."""
        low = self.completeness[(self.completeness["rows"] > 0) & (self.completeness["share"] < LOW_SHARE)]
        return low.sort_values(["required", "share"], ascending=[False, True], kind="stable")

    def render(self, lang: str = "zh") -> str:
        """A few lines for the terminal after an import."""
        counts = self.counts()
        zh = lang == "zh"
        day = "" if self.export_date is None else (f"（导出日期 {self.export_date:%Y-%m-%d}）" if zh
                                                   else f" (export date {self.export_date:%Y-%m-%d})")
        lines = [f"数据质量{day}：{counts['tables']} 张表，共 {counts['rows']:,} 行。" if zh else
                 f"Data quality{day}: {count(counts['tables'], 'table')}, {count(counts['rows'], 'row')}."]
        low = self.low_columns()
        if len(low):
            named = [f"{_column_words(r.table, r.column, lang)} {r.share:.0%}" for r in low.head(EXAMPLES).itertuples()]
            more = len(low) - len(named)
            tail = (f" 等 {len(low)} 列" if zh else f" and {more} more") if more > 0 else ""
            lines.append(("填写率低于 50% 的列：" if zh else "Columns filled in under 50% of rows: ")
                         + ("、" if zh else ", ").join(named) + tail + ("。" if zh else "."))
        lines.append(f"引用缺失 {counts['orphan_rows']} 行；重复 {counts['duplicate_rows']} 行；"
                     f"晚于导出日期 {counts['after_export']} 行。" if zh else
                     f"Orphan rows {counts['orphan_rows']}; repeated rows {counts['duplicate_rows']}; "
                     f"rows dated after the export date {counts['after_export']}.")
        lacking = self.families[self.families["status"] != "used"]
        if len(lacking):
            parts = [f"{FAMILY_LABELS[r.family][0]}（{_lacking_text(r.lacking, lang, 2)}）" if zh else
                     f"{FAMILY_LABELS[r.family][1]} ({_lacking_text(r.lacking, lang, 2)})" for r in lacking.itertuples()]
            lines.append(("模型将缺少：" if zh else "The model will lack: ") + ("；" if zh else "; ").join(parts)
                         + ("。" if zh else "."))
        else:
            lines.append("模型所需的数据齐全。" if zh else "The model has every table and column it reads.")
        if self.path is not None:
            lines.append(f"完整报告：{self.path}" if zh else f"Full report: {self.path}")
        return "\n".join(lines)

    # --- the labelled sections ----------------------------------------------------------------
    def frames(self, lang: str = "zh") -> dict[str, pd.DataFrame]:
        """Each section with table, column, family and status names in ``lang`` and headers in ``lang``."""
        index = 0 if lang == "zh" else 1
        out: dict[str, pd.DataFrame] = {}
        for name in SECTIONS:
            frame = getattr(self, name).copy()
            if "table" in frame:
                frame.insert(1, "table_name", frame["table"].map(lambda t: _table_label(t, lang)))
            if "column" in frame and "table" in frame:
                frame.insert(frame.columns.get_loc("column") + 1, "column_name",
                             [schema.column_label(t, c, lang) for t, c in zip(frame["table"], frame["column"])])
            if name == "families":
                frame["status"] = frame["status"].map(lambda s: STATUS_LABELS[s][index])
                frame["lacking"] = frame["lacking"].map(lambda items: _lacking_text(items, lang))
                frame["missing_features"] = frame["missing_features"].map(", ".join)
                frame.insert(1, "family_name", frame["family"].map(lambda f: FAMILY_LABELS[f][index]))
            if name == "duplicates":
                frame["check"] = frame[["check_zh", "check_en"]].iloc[:, index]
                frame = frame.drop(columns=["check_zh", "check_en"])
            if name == "by_sector":
                frame["sector"] = [schema.code_label(schema.SECTORS, s, lang) for s in frame["sector"]]
            labels = {**COLUMN_LABELS, **{t: (spec.zh, spec.en) for t, spec in schema.TABLES.items()},
                      "family_name": ("特征族名称", "Family name")}
            out[name] = frame.rename(columns={c: labels[c][index] for c in frame.columns if c in labels})
            out[name].attrs["percent"] = [labels["share"][index]] if "share" in frame else []
        return out

    def workbook(self, lang: str = "zh", target: str | Path | None = None) -> bytes | None:
        """The workbook: one sheet per section, headers and names in ``lang``, no cell a formula;
        its bytes, or written to ``target``."""
        index = 0 if lang == "zh" else 1
        title = "数据质量报告" if lang == "zh" else "Data-quality report"
        if self.export_date is not None:
            title += f"（导出日期 {self.export_date:%Y-%m-%d}）" if lang == "zh" else f" (export date {self.export_date:%Y-%m-%d})"
        county = county_of(self.by_town["town_id"]) if "town_id" in self.by_town else None
        return write_xlsx(target, [(SECTIONS[name][index], frame) for name, frame in self.frames(lang).items()],
                          office=True, cover=cover_line(title, None, lang=lang, county=county))

    def write(self, path: str | Path, lang: str = "zh") -> Path:
        """``workbook`` written to ``path`` (which the summary then names)."""
        self.workbook(lang, Path(path))
        self.path = Path(path)
        return self.path


def _table_label(table: str, lang: str) -> str:
    spec = schema.TABLES[table]
    return spec.zh if lang == "zh" else spec.en


def _column_words(table: str, column: str, lang: str) -> str:
    """``隐患·整改期限（hazards.deadline）`` in Chinese, ``hazards.deadline`` in English."""
    if lang != "zh":
        return f"{table}.{column}"
    return f"{schema.TABLES[table].zh}·{schema.column_label(table, column, 'zh')}（{table}.{column}）"


def _lacking_text(items: tuple[str, ...], lang: str, limit: int | None = None) -> str:
    """``("penalties", "hazards.deadline")`` as words: an absent table, or a column with no value (the
    first ``limit`` of them, and how many more)."""
    words = []
    for item in items[:limit]:
        if "." in item:
            words.append(f"{_column_words(*item.split('.', 1), lang)}无数据" if lang == "zh" else f"{item} holds no value")
        else:
            words.append(f"缺少数据表 {_table_label(item, 'zh')} {item}" if lang == "zh" else f"no {item} table")
    more = len(items) - len(words)
    if more:
        words.append(f"另 {more} 列" if lang == "zh" else f"{more} more")
    return ("、" if lang == "zh" else ", ").join(words)


def _main_date(table: str) -> str:
    """The date a table's record is of: its ``date_column``, else its first date column."""
    spec = schema.TABLES[table]
    return spec.date_column or next((c.name for c in spec.columns if c.type == "date"), "")


def _filled(values: pd.Series) -> pd.Series:
    """True where a cell holds a value (text that is only spaces does not)."""
    present = values.notna()
    if pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values):
        present &= values.astype("string").str.strip().fillna("").ne("").astype(bool)
    return present.astype(bool)


def _completeness(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for name, frame in tables.items():
        spec = schema.TABLES[name]
        filled = {c.name: int(_filled(frame[c.name]).sum()) for c in spec.columns if c.name in frame}
        rows += [(name, c.name, c.required, len(frame), filled[c.name]) for c in spec.columns if c.name in filled]
    out = pd.DataFrame(rows, columns=["table", "column", "required", "rows", "filled"])
    out["share"] = np.where(out["rows"] > 0, out["filled"] / out["rows"].where(out["rows"] > 0, 1), np.nan)
    return out


def _dates(tables: dict[str, pd.DataFrame], export_date: pd.Timestamp | None) -> pd.DataFrame:
    rows = []
    for name, frame in tables.items():
        spec = schema.TABLES[name]
        for column in spec.columns:
            if column.type != "date" or column.name not in frame:
                continue
            values = frame[column.name]
            later = int((values > export_date).sum()) if export_date is not None else 0
            allowed = column.name not in spec.not_after_export and column.name != spec.date_column
            rows.append((name, column.name, int(values.notna().sum()), values.min(), values.max(), later, allowed))
    return pd.DataFrame(rows, columns=["table", "column", "dated", "first_date", "last_date", "after_export",
                                       "later_allowed"])


def _orphans(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for name, frame in tables.items():
        for column in schema.TABLES[name].columns:
            if not column.references or column.name not in frame:
                continue
            target_table, target_column = column.references.split(".")
            target = tables.get(target_table)
            known = pd.Index(pd.array([], dtype="string") if target is None
                             else target[target_column].astype("string").dropna().unique())
            values = frame[column.name].astype("string").dropna()
            missing = values[known.get_indexer(values) < 0]
            rows.append((name, column.name, column.references, int(len(missing)),
                         ", ".join(missing.drop_duplicates().head(EXAMPLES))))
    return pd.DataFrame(rows, columns=["table", "column", "references", "rows", "examples"])


def _duplicates(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    checks = [(name, natural_key(schema.TABLES[name]), "编码（或记录键）重复", "repeated id (or record key)")
              for name in tables if natural_key(schema.TABLES[name])]
    checks += [check for check in LIKELY_DUPLICATES if check[0] in tables]
    rows = []
    for name, columns, zh, en in checks:
        frame = tables[name]
        keys = frame[list(columns)].astype("string")
        if "name" in columns:  # "某某 有限公司" and "某某有限公司" are one name
            keys["name"] = keys["name"].str.replace(r"\s+", "", regex=True).str.casefold()
        repeated = keys.duplicated(keep="first") & keys.notna().all(axis=1)
        first = frame.loc[repeated.to_numpy(), list(columns)].astype("string").drop_duplicates().head(EXAMPLES)
        shown = first.iloc[:, 0].astype(str)
        for position in range(1, first.shape[1]):
            shown = shown + " / " + first.iloc[:, position].astype(str)
        rows.append((name, " + ".join(columns), zh, en, int(repeated.sum()), ", ".join(shown)))
    return pd.DataFrame(rows, columns=["table", "columns", "check_zh", "check_en", "rows", "examples"])


def _by_group(tables: dict[str, pd.DataFrame], group: str) -> pd.DataFrame:
    """Rows of every table that names an enterprise, per town or sector of that enterprise."""
    enterprises = tables["enterprises"]
    firms = pd.Index(enterprises["enterprise_id"].astype("string"))
    of_firm = pd.Series(enterprises[group].astype("string").to_numpy(), index=firms)
    counts = {"enterprises": of_firm.value_counts()}
    for name, frame in tables.items():
        if name != "enterprises" and "enterprise_id" in frame:
            positions = firms.get_indexer(frame["enterprise_id"].astype("string"))
            counts[name] = of_firm.iloc[positions[positions >= 0]].value_counts()
    if group == "town_id" and "weather_alerts" in tables:
        counts["weather_alerts"] = tables["weather_alerts"]["town_id"].astype("string").value_counts()
    if group == "town_id":
        towns = tables["towns"]
        index = pd.Index(towns["town_id"].astype(str), name="town_id").union(of_firm.dropna().unique())
    else:
        index = pd.Index([c.code for c in schema.SECTORS], name="sector")
    out = pd.DataFrame({name: values.reindex(index, fill_value=0).astype(int) for name, values in counts.items()}, index=index)
    out.index.name = "town_id" if group == "town_id" else "sector"
    out = out.reset_index()
    if group == "town_id":
        names = pd.Series(tables["towns"]["name"].astype(str).to_numpy(), index=tables["towns"]["town_id"].astype(str))
        out.insert(1, "town", out["town_id"].map(names).fillna(""))
    return out


def _families(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    skipped = skipped_families(tables)
    unrecorded = profile.unrecorded_features(tables["enterprises"]) if "enterprises" in tables else set()
    no_deadlines = "hazards" in tables and not rectification.has_deadlines(tables)
    rows = []
    for family in FAMILY_TABLES:
        names = family_features(family)
        if family in skipped:
            rows.append((family, "skipped", 0, len(names), tuple(skipped[family]), tuple(names)))
            continue
        left_out, lacking = [], []
        if family == "profile" and unrecorded:
            left_out = [n for n in names if n in unrecorded]
            lacking = [f"enterprises.{profile.SOURCE_COLUMNS[n]}" for n in left_out]
        if family == "rectification" and no_deadlines:
            left_out, lacking = list(DEADLINE_FEATURES), [rectification.HELD_DEADLINE]
        rows.append((family, "partial" if left_out else "used", len(names) - len(left_out), len(names),
                     tuple(lacking), tuple(left_out)))
    return pd.DataFrame(rows, columns=["family", "status", "features", "registered", "lacking", "missing_features"])


def _tables(tables: dict[str, pd.DataFrame], completeness: pd.DataFrame, dates: pd.DataFrame,
            orphans: pd.DataFrame, duplicates: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"table": list(schema.TABLES)})
    out["held"] = out["table"].isin(list(tables))
    out["required"] = out["table"].map(lambda t: schema.TABLES[t].required)
    out["rows"] = out["table"].map(lambda t: len(tables[t]) if t in tables else 0)
    main = dates[dates["column"] == dates["table"].map(_main_date)]
    out["first_date"] = out["table"].map(main.set_index("table")["first_date"])
    out["last_date"] = out["table"].map(main.set_index("table")["last_date"])
    forbidden = dates[~dates["later_allowed"]].groupby("table")["after_export"].sum()
    out["after_export"] = out["table"].map(forbidden).fillna(0).astype(int)
    out["orphan_rows"] = out["table"].map(orphans.groupby("table")["rows"].sum()).fillna(0).astype(int)
    out["duplicate_rows"] = out["table"].map(duplicates.groupby("table")["rows"].sum()).fillna(0).astype(int)
    empty = completeness[(completeness["rows"] > 0) & (completeness["filled"] == 0)].groupby("table")["column"].count()
    out["empty_columns"] = out["table"].map(empty).fillna(0).astype(int)
    return out


def quality_of_tables(tables: dict[str, pd.DataFrame], export_date: object = None) -> QualityReport:
    """The report of ``tables`` (contract tables, typed; absent optional tables left out), judging
    dates against ``export_date`` (none judged when it is None)."""
    day = None if export_date is None or export_date == "" else pd.Timestamp(export_date).normalize()
    completeness, dates = _completeness(tables), _dates(tables, day)
    orphans, duplicates = _orphans(tables), _duplicates(tables)
    has_firms = "enterprises" in tables and "towns" in tables
    by_town = _by_group(tables, "town_id") if has_firms else pd.DataFrame(columns=["town_id", "town"])
    by_sector = _by_group(tables, "sector") if has_firms else pd.DataFrame(columns=["sector"])
    return QualityReport(day, _tables(tables, completeness, dates, orphans, duplicates), completeness, dates, by_town,
                         by_sector, orphans, duplicates, _families(tables))


def quality_report(store, export_date: object = None) -> QualityReport:
    """The report of everything the store holds, dates judged against ``export_date`` (default: the
    export date of the last import, kept in the store's meta table)."""
    day = export_date if export_date is not None else get_meta(store).get("last_export_date")
    return quality_of_tables(read_tables(store), day)
