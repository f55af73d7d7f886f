"""The import page's progress: ``import_files``'s progress hook writes each ``Step`` to the upload's
folder (``progress.json``, replaced whole), the page's poll reads it back and draws a bar with its
label ("写入 表 3/9：隐患 120,000/400,000 行")."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from dash import html

from analytics.contract.schema import TABLES
from analytics.store.progress import Step
from dashboard import i18n

PROGRESS_FILE = "progress.json"  # in the upload's folder: the last step of the running check or import


def write_progress(work: Path, step: Step) -> None:
    """The step as the upload's ``progress.json``, replaced whole (the poll never reads half a file)."""
    partial = work / f"{PROGRESS_FILE}.part"
    partial.write_text(json.dumps(dataclasses.asdict(step)), encoding="utf-8")
    os.replace(partial, work / PROGRESS_FILE)


def read_progress(work: Path) -> Step | None:
    """The last step written in the upload's folder ``work``; None before the first."""
    try:
        return Step(**json.loads((work / PROGRESS_FILE).read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError, TypeError):
        return None


def progress_bar(step: Step | None, lang: str, prefix: str = "import") -> html.Div:
    """A bar over the current stage's tables (a table counts by its share of rows done) and its label."""
    if step is None:
        share, label = 0.0, i18n.t("import.progress_start", lang)
    else:
        share = (step.number - 1 + (step.done / step.total if step.total else 1.0)) / max(step.tables, 1)
        table = TABLES[step.table].zh if lang == "zh" and step.table in TABLES else step.table
        label = i18n.t("import.progress", lang, stage=i18n.t(f"import.stage_{step.stage}", lang), number=step.number,
                       tables=step.tables, table=table, done=f"{step.done:,}", total=f"{step.total:,}")
    percent = round(100 * min(max(share, 0.0), 1.0))
    return html.Div([
        html.Div(html.Div(style={"width": f"{percent}%", "height": "100%", "background": "#1f6fb2"}),
                 role="progressbar", **{"aria-valuenow": percent, "aria-valuemin": 0, "aria-valuemax": 100},
                 style={"height": "12px", "background": "#e6e6e6", "borderRadius": "6px", "overflow": "hidden"},
                 id=f"{prefix}-progress-bar"),
        html.Div(label, id=f"{prefix}-progress-label", role="status"),
    ])
