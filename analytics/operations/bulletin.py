"""The group bulletin (检查情况通报): a period's inspection work per inspection team and per town.

For the period ``[start, end]`` (both inclusive), with the records as known at the end of ``end``:

- ``visits``: inspections dated in the period; ``enterprises``: distinct enterprises inspected;
- ``hazards`` (``general``, ``major``): hazards found in the period;
- ``rectified``: of those, rectified by ``end``; ``on_time``: rectified by their deadline (or with
  none given); ``overdue``: hazards (whenever found) still open and past their deadline on ``end``;
- ``follow_ups``: inspections of mode ``follow_up`` (回头看) in the period;
- ``penalties``: penalties dated in the period;
- ``rate`` = rectified / hazards (整改率; NaN when nothing was found).

The totals' ``enterprises``, ``rate`` and ``overdue`` are the KPIs of ``analytics.snapshot.facts``
(``inspected_count``, ``rectification_rate``, ``overdue_count``), the definitions the overview reads.

A hazard belongs to the team of the inspection that found it (none: ``UNKNOWN_TEAM``). Penalties
carry no team: a penalty belongs to the team of the enterprise's latest inspection on or before the
penalty's date (none: ``UNKNOWN_TEAM``). Towns are the enterprise's town. Groups and towns are
ranked by rate (highest first; none found last), then by hazards found.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract.exports import county_of, cover_line, write_xlsx
from analytics.contract.words import count
from analytics.operations.followup import UNKNOWN_TEAM
from analytics.snapshot.facts import (
    hazard_state,
    inspected_count,
    open_mask,
    overdue_count,
    overdue_mask,
    rectification_rate,
)
from analytics.snapshot.snapshot import AsOf, Snapshot, as_snapshot

COUNTS = ("visits", "enterprises", "hazards", "general", "major", "rectified", "on_time", "overdue",
          "follow_ups", "penalties")
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "place": ("名次", "Place"),
    "team": ("检查组", "Inspection team"),
    "town": ("镇街", "Town"),
    "visits": ("检查次数", "Visits"),
    "enterprises": ("检查企业（家）", "Enterprises inspected"),
    "hazards": ("发现隐患（项）", "Hazards found"),
    "general": ("一般隐患", "General"),
    "major": ("重大隐患", "Major"),
    "rectified": ("已整改", "Rectified"),
    "on_time": ("按期整改", "Rectified on time"),
    "overdue": ("逾期未改", "Overdue"),
    "follow_ups": ("回头看", "Follow-ups"),
    "penalties": ("行政处罚", "Penalties"),
    "rate": ("整改率", "Rectification rate"),
}


@dataclass(frozen=True)
class Bulletin:
    """A period's figures: ``totals`` (a Series over ``COUNTS`` plus ``rate``), ``teams`` and ``towns``
    (one row each, ranked, column ``place`` 1 = best rate)."""

    start: pd.Timestamp
    end: pd.Timestamp
    totals: pd.Series
    teams: pd.DataFrame
    towns: pd.DataFrame
    county: str | None = None  # the towns' county code (``county_of``), for the workbook's cover row

    def headline(self, lang: str = "zh") -> str:
        """The period's totals in the speech's own terms."""
        t = self.totals
        rate = "—" if pd.isna(t["rate"]) else f"{t['rate'] * 100:.1f}%"
        if lang == "zh":
            return (f"检查企业 {t['enterprises']} 家，发现隐患 {t['hazards']} 项，其中重大隐患 {t['major']} 项，"
                    f"已整改 {t['rectified']} 项，整改率 {rate}")
        return (f"{count(t['enterprises'], 'enterprise')} inspected, {count(t['hazards'], 'hazard')} found, "
                f"of which {t['major']} major; {t['rectified']} rectified, rectification rate {rate}")

    def details(self, lang: str = "zh") -> str:
        t = self.totals
        if lang == "zh":
            return (f"共开展检查 {t['visits']} 次，其中回头看 {t['follow_ups']} 次；按期整改 {t['on_time']} 项，"
                    f"逾期未改 {t['overdue']} 项；实施行政处罚 {t['penalties']} 起。")
        return (f"{count(t['visits'], 'inspection visit')}, {count(t['follow_ups'], 'follow-up')} among them; "
                f"{count(t['on_time'], 'hazard')} rectified on time, {t['overdue']} overdue; "
                f"{count(t['penalties'], 'penalty', 'penalties')} imposed.")

    def period(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"{self.start:%Y年%m月%d日}至{self.end:%Y年%m月%d日}"
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"

    def labelled(self, which: str, lang: str = "zh") -> pd.DataFrame:
        """The ``teams`` or ``towns`` table as printed: headers in ``lang``, the rate in percent."""
        frame = (self.teams if which == "teams" else self.towns).copy()
        frame["rate"] = (frame["rate"] * 100).map("{:.1f}%".format).where(frame["rate"].notna(), "—")
        key = "team" if which == "teams" else "town"
        frame = frame[["place", key, *COUNTS, "rate"]]
        return frame.rename(columns={k: v[0] if lang == "zh" else v[1] for k, v in COLUMN_LABELS.items()})

    def html(self, lang: str = "zh", office: str | None = None) -> str:
        """A printable page (A4, no scripts, no external files) fit for circulation."""
        office = office or ("县安委会办公室" if lang == "zh" else "County Work Safety Committee Office")
        title = "安全生产检查情况通报" if lang == "zh" else "Work-safety inspection bulletin"
        lead = (f"{self.period(lang)}，全县{self.headline(lang)}。{self.details(lang)}" if lang == "zh"
                else f"From {self.period(lang)}: {self.headline(lang)}. {self.details(lang)}")
        team_title = "一、各检查组情况（按整改率排名）" if lang == "zh" else "1. Inspection teams (ranked by rectification rate)"
        town_title = "二、各镇街情况（按整改率排名）" if lang == "zh" else "2. Towns (ranked by rectification rate)"
        note = ("说明：整改率＝期内发现隐患中截至期末已整改的比例；逾期未改为期末仍未整改且已过整改期限的隐患（不论何时发现）。"
                if lang == "zh" else
                "Note: rectification rate = share of the hazards found in the period rectified by its end; overdue = "
                "hazards (whenever found) still open and past their deadline at the end of the period.")
        style = ("body{font-family:'Noto Serif CJK SC','SimSun',serif;margin:2cm;color:#000}"
                 "h1{text-align:center;font-size:22pt}p{font-size:13pt;line-height:1.8;text-indent:2em}"
                 "table{border-collapse:collapse;width:100%;font-size:10.5pt;margin:0.5em 0 1.5em}"
                 "th,td{border:1px solid #000;padding:3px 5px;text-align:center}"
                 ".sign{text-align:right;margin-top:2em}@page{size:A4 landscape;margin:1.5cm}")
        return (
            f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{style}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(lead)}</p>"
            f"<h2>{html.escape(team_title)}</h2>{_table(self.labelled('teams', lang))}"
            f"<h2>{html.escape(town_title)}</h2>{_table(self.labelled('towns', lang))}"
            f"<p>{html.escape(note)}</p>"
            f'<div class="sign">{html.escape(office)}<br>{html.escape(_today(lang))}</div></body></html>'
        )

    def excel_bytes(self, lang: str = "zh") -> bytes:
        """A workbook: totals, teams, towns, each under a cover row (the bulletin, its period, the county,
        when made)."""
        zh = lang == "zh"
        totals = pd.DataFrame({
            "项目" if zh else "Item": [COLUMN_LABELS[c][0 if zh else 1] for c in (*COUNTS, "rate")],
            "数值" if zh else "Value": [*(int(self.totals[c]) for c in COUNTS), _percent(self.totals["rate"])],
        })
        return write_xlsx(None, [  # team and town names run no formula
            ("通报" if zh else "Bulletin",
             pd.DataFrame({("通报" if zh else "Bulletin"): [self.period(lang), self.headline(lang), self.details(lang)]})),
            ("合计" if zh else "Totals", totals),
            ("检查组" if zh else "Teams", self.labelled("teams", lang)),
            ("镇街" if zh else "Towns", self.labelled("towns", lang)),
        ], office=True, cover=cover_line(("检查情况通报 " if zh else "Inspection bulletin, ") + self.period(lang), None,
                                         lang=lang, county=self.county))


def _percent(value: float) -> str:
    return "—" if pd.isna(value) else f"{value * 100:.1f}%"


def _today(lang: str) -> str:
    today = pd.Timestamp.today()
    return f"{today:%Y年%m月%d日}" if lang == "zh" else f"{today:%Y-%m-%d}"


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    cells = frame.astype(str).map(html.escape)
    rows = ("<td>" + cells.agg("</td><td>".join, axis=1) + "</td>") if len(cells) else pd.Series(dtype=str)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join('<tr>' + rows + '</tr>')}</tbody></table>"


def _ranked(counts: pd.DataFrame, key: str) -> pd.DataFrame:
    counts = counts.reindex(columns=list(COUNTS), fill_value=0).fillna(0).astype("int64")
    counts["rate"] = counts["rectified"] / counts["hazards"].where(counts["hazards"] > 0)
    counts.index.name = key
    ranked = counts.reset_index().sort_values(["rate", "hazards", key], ascending=[False, False, True],
                                              na_position="last", kind="stable").reset_index(drop=True)
    ranked.insert(0, "place", np.arange(1, len(ranked) + 1))
    return ranked


def group_bulletin(snapshot: Snapshot | dict[str, pd.DataFrame], start: AsOf, end: object = None) -> Bulletin:
    """The bulletin of ``[start, snapshot's date]`` (see the module docstring for each figure); a tables
    dict is cut to ``end`` first."""
    snapshot = as_snapshot(snapshot, end)
    start, end = AsOf.parse(start).ts, snapshot.as_of.ts
    if end < start:
        raise UserError("通报的结束日期早于开始日期。", "The bulletin's end date is before its start date.")
    known = snapshot.tables
    enterprises = known["enterprises"].assign(enterprise_id=lambda e: e["enterprise_id"].astype(str)).set_index("enterprise_id")
    town_names = known["towns"].assign(town_id=lambda t: t["town_id"].astype(str)).set_index("town_id")["name"].astype(str)
    town_id = enterprises["town_id"].astype(str)
    town_of = town_id.map(town_names).fillna(town_id)  # the town's name per enterprise

    inspections = known["inspections"].assign(enterprise_id=lambda i: i["enterprise_id"].astype(str))
    team = inspections["team"].astype(object).fillna(UNKNOWN_TEAM)
    visits = inspections.loc[inspections["date"] >= start].assign(team=team)
    visit_rows = pd.DataFrame({
        "team": visits["team"], "town": visits["enterprise_id"].map(town_of), "enterprise_id": visits["enterprise_id"],
        "visits": 1, "follow_ups": (visits["mode"].astype(object) == "follow_up").astype(int),
    })

    all_hazards = known["hazards"]
    hazards = all_hazards.loc[all_hazards["found_date"] >= start]
    rectified = ~open_mask(hazards)
    on_time = hazard_state(hazards, end) == "rectified_on_time"
    level = hazards["level"].astype(object)
    team_of_inspection = pd.Series(team.to_numpy(), index=inspections["inspection_id"].astype(str)).groupby(level=0).first()
    hazard_rows = pd.DataFrame({
        "team": hazards["inspection_id"].astype(object).map(team_of_inspection).fillna(UNKNOWN_TEAM),
        "town": hazards["enterprise_id"].astype(str).map(town_of), "hazards": 1,
        "general": (level == "general").astype(int), "major": (level == "major").astype(int),
        "rectified": rectified.astype(int), "on_time": on_time.astype(int),
    })
    late = all_hazards.loc[overdue_mask(all_hazards, end)]
    overdue_rows = pd.DataFrame({
        "team": late["inspection_id"].astype(object).map(team_of_inspection).fillna(UNKNOWN_TEAM),
        "town": late["enterprise_id"].astype(str).map(town_of), "overdue": 1,
    })

    penalty_rows = _penalty_rows(known, inspections.assign(team=team), start, town_of)
    rows = pd.concat([visit_rows, hazard_rows, overdue_rows, penalty_rows], ignore_index=True)

    def grouped(key: str) -> pd.DataFrame:
        sums = rows.groupby(key).sum(numeric_only=True)
        firms = visit_rows.groupby(key)["enterprise_id"].nunique().rename("enterprises")
        return sums.drop(columns=["enterprises"], errors="ignore").join(firms)

    totals = rows.sum(numeric_only=True).reindex(list(COUNTS), fill_value=0).astype("int64")
    totals["enterprises"] = inspected_count(inspections, start, end)
    totals["overdue"] = overdue_count(all_hazards, end)
    totals = totals.astype(object)
    totals["rate"] = rectification_rate(all_hazards, start, end)
    return Bulletin(start, end, totals, _ranked(grouped("team"), "team"), _ranked(grouped("town"), "town"),
                    county_of(known["towns"]["town_id"]))


def _penalty_rows(known: dict[str, pd.DataFrame], inspections: pd.DataFrame, start: pd.Timestamp,
                  town_of: pd.Series) -> pd.DataFrame:
    penalties = known.get("penalties")
    if penalties is None or penalties.empty:
        return pd.DataFrame(columns=["team", "town", "penalties"])
    penalties = penalties.loc[penalties["date"] >= start].assign(enterprise_id=lambda p: p["enterprise_id"].astype(str))
    left = penalties[["enterprise_id", "date"]].sort_values("date", kind="stable")
    right = inspections[["enterprise_id", "date", "team"]].sort_values("date", kind="stable")
    matched = pd.merge_asof(left, right, on="date", by="enterprise_id", direction="backward")
    return pd.DataFrame({"team": matched["team"].fillna(UNKNOWN_TEAM).to_numpy(),
                         "town": matched["enterprise_id"].map(town_of).to_numpy(), "penalties": 1})


@dataclass(frozen=True)
class BulletinReport:
    bulletin: Bulletin
    written: tuple[Path, ...]

    def render(self, lang: str = "zh") -> str:
        files = ", ".join(str(p) for p in self.written)
        if lang == "zh":
            return f"{self.bulletin.period('zh')}：{self.bulletin.headline('zh')}。已写入 {files}"
        return f"{self.bulletin.period('en')}: {self.bulletin.headline('en')}. Written to {files}"


def bulletin_store(store, start: AsOf, end: AsOf, out: str | Path, html_path: str | Path | None = None,
                   lang: str = "zh") -> BulletinReport:
    """``saferank bulletin``: the workbook (in ``lang``) and, with ``html_path``, the printable page in
    Chinese there and in English beside it (``*.en.html``)."""
    bulletin = group_bulletin(Snapshot.from_store(store, end), start)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(bulletin.excel_bytes(lang))
    written = [out]
    if html_path:
        zh_path = Path(html_path)
        en_path = zh_path.with_suffix(".en.html")
        zh_path.parent.mkdir(parents=True, exist_ok=True)
        zh_path.write_text(bulletin.html("zh"), encoding="utf-8")
        en_path.write_text(bulletin.html("en"), encoding="utf-8")
        written += [zh_path, en_path]
    return BulletinReport(bulletin, tuple(written))
