"""A plan on paper: the xlsx (one sheet per team, in route order with each leg's distance, and a sheet
of the follow-ups left to evidence review) and the print view (one page per team and day).

Headers come from the contract's labels (``analytics.contract.schema``) in Chinese by default, English with
``lang="en"``. Both carry the confidentiality mark: unannounced visits (四不两直) must not leak.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from analytics.contract.exports import county_of, cover_line, write_xlsx
from analytics.contract.schema import RISK_LIST_LABELS, SECTORS, code_label, column_label

CONFIDENTIAL = ("内部资料 注意保密：检查计划不得提前告知被检查单位（四不两直）。",
                "Confidential: the plan must not be disclosed to the enterprises in advance (unannounced visits).")
_OWN_LABELS = {
    "slot": ("序号", "No."),
    "reason": ("检查原因", "Reason"),
    "record": ("检查记录", "Findings"),
    "leg_km": ("距上一站（公里）", "From previous stop (km)"),
    "evidence": ("书面核查", "Evidence review"),
    "deadline": ("整改期限", "Deadline"),
    "hazards": ("隐患数", "Hazards"),
}


def _label(key: str, lang: str) -> str:
    i = 0 if lang == "zh" else 1
    contract = {
        "date": column_label("inspections", "date", lang),
        "team": column_label("inspections", "team", lang),
        "enterprise_id": column_label("enterprises", "enterprise_id", lang),
        "name": column_label("enterprises", "name", lang),
        "town": column_label("towns", "name", lang),
        "sector": column_label("enterprises", "sector", lang),
        "score": RISK_LIST_LABELS["score"][i],
        "rank": RISK_LIST_LABELS["rank"][i],
        "hazard_ids": column_label("hazards", "hazard_id", lang),
    }
    return contract[key] if key in contract else _OWN_LABELS[key][i]


def printable_visits(visits: pd.DataFrame, tables: dict[str, pd.DataFrame], lang: str = "zh") -> pd.DataFrame:
    """The visits with names, town names and labels, headers in ``lang`` (the sheet's columns)."""
    names = tables["enterprises"].assign(enterprise_id=tables["enterprises"]["enterprise_id"].astype(str)) \
        .set_index("enterprise_id")["name"].astype(str)
    towns = tables["towns"].assign(town_id=tables["towns"]["town_id"].astype(str)).set_index("town_id")["name"].astype(str)
    sectors = {c.code: code_label(SECTORS, c.code, lang) for c in SECTORS}
    frame = pd.DataFrame({
        "date": pd.to_datetime(visits["date"]).dt.strftime("%Y-%m-%d"),
        "team": visits["team"].astype(str),
        "slot": visits["slot"].astype(int),
        "enterprise_id": visits["enterprise_id"].astype(str),
        "name": visits["enterprise_id"].astype(str).map(names),
        "town": visits["town_id"].astype(str).map(towns),
        "sector": visits["sector"].map(sectors),
        "score": visits["score"].astype(float).round(4),
        "rank": visits["rank"].astype(int),
        "reason": visits["reason_zh" if lang == "zh" else "reason_en"],
        "hazard_ids": visits["hazard_ids"].astype(str),
        "leg_km": (pd.to_numeric(visits["leg_km"], errors="coerce") if "leg_km" in visits
                   else pd.Series(float("nan"), index=visits.index)).round(1),
    })
    return frame.rename(columns=lambda c: _label(c, lang))


def printable_evidence(evidence: pd.DataFrame, tables: dict[str, pd.DataFrame], lang: str = "zh") -> pd.DataFrame:
    """The follow-ups left to evidence review with names and town names, headers in ``lang``."""
    names = tables["enterprises"].assign(enterprise_id=tables["enterprises"]["enterprise_id"].astype(str)) \
        .set_index("enterprise_id")["name"].astype(str)
    towns = tables["towns"].assign(town_id=tables["towns"]["town_id"].astype(str)).set_index("town_id")["name"].astype(str)
    frame = pd.DataFrame({
        "enterprise_id": evidence["enterprise_id"].astype(str),
        "name": evidence["enterprise_id"].astype(str).map(names),
        "town": evidence["town_id"].astype(str).map(towns),
        "hazards": evidence["hazards"].astype(int),
        "hazard_ids": evidence["hazard_ids"].astype(str),
        "deadline": pd.to_datetime(evidence["deadline"]).dt.strftime("%Y-%m-%d"),
        "reason": evidence["reason_zh" if lang == "zh" else "reason_en"],
    })
    return frame.rename(columns=lambda c: _label(c, lang))


def _team_order(teams: pd.Series) -> list[str]:
    """Teams in their natural order (第2组 before 第10组)."""
    unique = pd.Series(teams.astype(str).unique())
    number = pd.to_numeric(unique.str.extract(r"(\d+)")[0], errors="coerce")
    return unique.iloc[pd.DataFrame({"n": number, "t": unique}).sort_values(["n", "t"]).index].tolist()


def write_plan_xlsx(visits: pd.DataFrame, tables: dict[str, pd.DataFrame], path: str | Path | BinaryIO, lang: str = "zh",
                    teams: pd.Series | None = None, evidence: pd.DataFrame | None = None, plan_id: str | None = None,
                    filters: Mapping[str, object] | None = None) -> Path | BinaryIO:
    """One sheet per team (every team of ``teams``, else of the visits), rows by date and slot (route
    order), a first sheet with the confidentiality note and, with ``evidence``, a last sheet of the
    follow-ups left to evidence review; every sheet under a cover row (the plan, its first day, the
    ``filters`` the shown visits were chosen by, the county, when made)."""
    if isinstance(path, str | Path):  # else a binary file object (the page's download)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
    frame = printable_visits(visits, tables, lang)
    team_column = _label("team", lang)
    note = "说明" if lang == "zh" else "Note"
    sheets = [(note, pd.DataFrame({note: [CONFIDENTIAL[0 if lang == "zh" else 1]]}))]
    sheets += [(team, frame.loc[frame[team_column] == team])
               for team in _team_order(visits["team"] if teams is None else pd.Series(teams))]
    if evidence is not None:
        sheets.append((_label("evidence", lang), printable_evidence(evidence, tables, lang)))
    title = " ".join(filter(None, ["检查计划" if lang == "zh" else "Inspection plan", plan_id]))
    first = pd.to_datetime(visits["date"]).min() if len(visits) else None
    cover = cover_line(title, first, filters, lang=lang, county=county_of(tables["towns"]["town_id"]))
    write_xlsx(path, sheets, office=True, cover=cover)  # names and team names run no formula
    return path


_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1.5cm; }
section.sheet { page-break-after: always; }
h1 { font-size: 20pt; margin: 0 0 4pt; } p.mark { color: #b00; font-weight: bold; }
table { border-collapse: collapse; width: 100%; font-size: 11pt; }
th, td { border: 1px solid #444; padding: 4pt 6pt; vertical-align: top; } td:last-child { width: 28%; height: 3em; }
@media print { body { margin: 0; } }
"""


def _escape(values: pd.Series) -> pd.Series:
    """``html.escape`` as vectorised string replacements."""
    text = values.astype(object).where(values.notna(), "").astype(str)  # a missing value is an empty cell
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")):
        text = text.str.replace(raw, entity, regex=False)
    return text


def plan_html(visits: pd.DataFrame, tables: dict[str, pd.DataFrame], lang: str = "zh", title: str = "") -> str:
    """The print view: one page per team and day, with a blank column for the findings."""
    frame = printable_visits(visits, tables, lang).assign(**{_label("record", lang): ""})
    date_column, team_column = _label("date", lang), _label("team", lang)
    columns = [c for c in frame.columns if c not in (date_column, team_column)]
    order = {t: i for i, t in enumerate(_team_order(visits["team"]))}
    frame = frame.assign(_order=frame[team_column].map(order)).sort_values([date_column, "_order", _label("slot", lang)])
    rows = pd.Series("<tr>", index=frame.index)
    for column in columns:  # a loop over the dozen columns; each is one vectorised step over all visits
        rows = rows + "<td>" + _escape(frame[column]) + "</td>"
    head = "<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr></thead>"
    mark = html.escape(CONFIDENTIAL[0 if lang == "zh" else 1])
    bodies = (rows + "</tr>").groupby([frame[date_column], frame["_order"]], sort=False).agg("".join)
    headings = frame.groupby([date_column, "_order"], sort=False)[team_column].first()
    sheets = ("<section class='sheet'><h1>" + _escape(headings) + " · " + headings.index.get_level_values(0)
              + f"</h1><p class='mark'>{mark}</p><table>{head}<tbody>" + bodies + "</tbody></table></section>").tolist()
    if not sheets:
        sheets.append(f"<p>{'没有检查安排。' if lang == 'zh' else 'No visits.'}</p>")
    return (f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title or ('检查计划' if lang == 'zh' else 'Inspection plan'))}</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(sheets)}</body></html>")


def evidence_html(evidence: pd.DataFrame, tables: dict[str, pd.DataFrame], lang: str = "zh") -> str:
    """A last page of the print view: the follow-ups left to evidence review (empty text when none)."""
    if evidence.empty:
        return ""
    frame = printable_evidence(evidence, tables, lang)
    rows = pd.Series("<tr>", index=frame.index)
    for column in frame.columns:  # a loop over the seven columns, each vectorised over the firms
        rows = rows + "<td>" + _escape(frame[column]) + "</td>"
    head = "<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns) + "</tr></thead>"
    return (f"<section class='sheet'><h1>{html.escape(_label('evidence', lang))}</h1><table>{head}<tbody>"
            + "".join((rows + "</tr>").tolist()) + "</tbody></table></section>")


def write_plan_html(plan, tables: dict[str, pd.DataFrame], path: str | Path, lang: str = "zh") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    title = f"{'检查计划' if lang == 'zh' else 'Inspection plan'} {plan.plan_id or ''}"
    page = plan_html(plan.visits, tables, lang, title)
    page = page.replace("</body>", evidence_html(plan.evidence, tables, lang) + "</body>")
    path.write_text(page, encoding="utf-8")
    return path
