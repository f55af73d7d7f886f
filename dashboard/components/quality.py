"""The data-quality report (``analytics.views.quality``) as page content: the summary, then one grid per
section. The quality page shows it; the import page can show it after an import, or link to it:

    from analytics.views.quality import quality_report
    from dashboard.components.quality import QUALITY_PATH, quality_panel

    children = quality_panel(quality_report(store), lang, prefix="import")   # ids import-quality-*

``QUALITY_PATH`` is the page's address (office and leader roles).
"""

from __future__ import annotations

import pandas as pd
from dash import html

from analytics.views.quality import SECTIONS, QualityReport
from dashboard import i18n
from dashboard.components.aggrid import ag_grid
from dashboard.components.grid import records
from dashboard.components.layout import section

QUALITY_PATH = "/quality"
PERCENT = {"function": "params.value == null ? '' : Math.round(params.value * 1000) / 10 + '%'"}


def _shown(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Dates as YYYY-MM-DD and yes/no in ``lang`` (the grid shows JSON values as they are)."""
    out = frame.copy()
    for position, column in enumerate(out.columns):
        values = out.iloc[:, position]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            out.isetitem(position, values.dt.strftime("%Y-%m-%d"))
        elif pd.api.types.is_bool_dtype(values.dtype):
            out.isetitem(position, values.map({True: i18n.t("yes", lang), False: i18n.t("no", lang)}))
    return out


def _grid(grid_id: str, frame: pd.DataFrame, lang: str) -> object:
    shown = _shown(frame, lang)
    fields = [f"c{i}" for i in range(shown.shape[1])]  # headers may hold any text; fields stay plain
    percent = set(frame.attrs.get("percent", ()))
    columns = [{"field": f, "headerName": str(c), **({"valueFormatter": PERCENT} if c in percent else {})}
               for f, c in zip(fields, shown.columns)]
    shown.columns = fields
    height = min(600, 60 + 32 * max(len(shown), 1))
    return ag_grid(lang, id=grid_id, columnDefs=columns, rowData=records(shown),
                   defaultColDef={"sortable": True, "resizable": True, "filter": True},
                   dashGridOptions={"pagination": len(shown) > 50, "paginationPageSize": 50},
                   style={"height": f"{height}px", "width": "100%", "fontSize": "14px"})


def quality_panel(report: QualityReport, lang: str, prefix: str = "quality") -> list[object]:
    """The summary lines and one titled grid per section (grid ids ``{prefix}-quality-<section>``)."""
    index = 0 if lang == "zh" else 1
    summary = section(i18n.t("quality.summary", lang), *[html.P(line) for line in report.render(lang).splitlines()])
    grids = [section(SECTIONS[name][index], _grid(f"{prefix}-quality-{name}", frame, lang))
             for name, frame in report.frames(lang).items()]
    return [summary, *grids]
