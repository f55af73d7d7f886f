"""Blank import templates for offices to fill in, generated from the contract (``analytics.contract.schema``).

CSV: one ``<table>.csv`` per table with the Chinese headers (UTF-8 with BOM, so Excel shows them),
plus ``_说明.csv``, a guide to every column. xlsx: one workbook with one sheet per table and a
``说明 README`` sheet. ``analytics.store.ingest`` skips the guide file and sheet.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analytics.contract.schema import LOAD_ORDER, TABLES, Column

WORKBOOK = "saferank_template.xlsx"
GUIDE_CSV = "_说明.csv"
GUIDE_SHEET = "说明 README"
TYPE_LABELS = {
    "text": ("文本", "text"),
    "code": ("代码", "code"),
    "date": ("日期", "date"),
    "bool": ("是/否", "yes/no"),
    "int": ("整数", "whole number"),
    "float": ("数字", "number"),
}


def _rule(column: Column) -> str:
    parts = ["必填" if column.required else "选填"]
    if column.unique:
        parts.append("唯一")
    if column.references:
        parts.append(f"须在 {column.references} 中存在")
    if column.minimum is not None:
        parts.append(f"≥ {column.minimum:g}")
    if column.maximum is not None:
        parts.append(f"≤ {column.maximum:g}")
    if column.codes:
        parts.append("可填：" + "、".join(f"{c.zh}（{c.code}）" for c in column.codes))
    return "；".join(parts)


def guide() -> pd.DataFrame:
    """One row per contract column: table, Chinese and English header, type, rule."""
    return pd.DataFrame([
        {"数据表 table": f"{TABLES[name].zh}（{name}）" + ("，必需" if TABLES[name].required else "，可选"),
         "表头 header": column.zh, "英文表头 English header": column.name,
         "类型 type": "/".join(TYPE_LABELS[column.type]), "规则 rule": _rule(column)}
        for name in LOAD_ORDER for column in TABLES[name].columns
    ])


def write_templates(out_dir: str | Path, xlsx: bool = False) -> list[Path]:
    """Write the blank templates into ``out_dir``; returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    blanks = {name: pd.DataFrame(columns=[c.zh for c in TABLES[name].columns]) for name in LOAD_ORDER}
    if xlsx:
        path = out / WORKBOOK
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, blank in blanks.items():
                blank.to_excel(writer, sheet_name=name, index=False)
            guide().to_excel(writer, sheet_name=GUIDE_SHEET, index=False)
        return [path]
    written = []
    for name, blank in blanks.items():
        path = out / f"{name}.csv"
        blank.to_csv(path, index=False, encoding="utf-8-sig")
        written.append(path)
    guide().to_csv(out / GUIDE_CSV, index=False, encoding="utf-8-sig")
    return [*written, out / GUIDE_CSV]


def render_written(paths: list[Path], lang: str = "zh") -> str:
    head = "已生成导入模板：" if lang == "zh" else "Import templates written:"
    return "\n".join([head, *(f"  {p}" for p in paths)])
