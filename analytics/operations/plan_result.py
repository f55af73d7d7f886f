"""A drawn plan (``Plan``): its visits with their reasons in Chinese and English, the follow-ups left
for evidence review or not planned, and the summary ``saferank plan`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.contract.schema import RISK_LEVELS, SECTORS, code_label
from analytics.contract.words import count
from analytics.operations.plan_rules import (EVIDENCE_COLUMNS, SHOWN_UNPLANNED, TARGET_REASONS, UNPLANNED_COLUMNS,
                                             UNPLANNED_REASONS, VISIT_REASONS, PlanRules)

REDRAW_MODES = ("new_version", "replace")


@dataclass
class Plan:
    """A plan: its visits day by day (in route order), the follow-ups left to the firms' evidence, the
    follow-ups and cycle visits it could not plan, and what it is expected to find."""

    visits: pd.DataFrame
    unplanned: pd.DataFrame
    start: pd.Timestamp
    days: int
    rules: PlanRules
    seed: int
    teams: pd.DataFrame
    risk_list_as_of: str | None = None
    model_version: str | None = None
    expected_found: float = 0.0
    expected_random: float = 0.0
    plan_id: str | None = None
    evidence: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(EVIDENCE_COLUMNS)))
    cycle_due: dict[str, int] = field(default_factory=dict)  # level -> firms whose cycle ends within the plan
    version: int = 1
    supersedes: str | None = None  # the plan of the same dates this one re-draws
    redraw: str | None = None  # None (a first plan), "new_version" or "replace"

    @property
    def end(self) -> pd.Timestamp:
        return self.start + pd.Timedelta(days=self.days - 1)

    @property
    def ratio(self) -> float:
        return self.expected_found / self.expected_random if self.expected_random > 0 else float("nan")

    @property
    def route_km(self) -> float:
        return float(self.visits["leg_km"].sum()) if "leg_km" in self.visits else 0.0

    @property
    def target_share(self) -> float:
        """The share of visits sent to risk-ranked, mandatory or random targets (not follow-ups)."""
        return float(self.visits["reason_code"].isin(TARGET_REASONS).mean()) if len(self.visits) else float("nan")

    def reason_counts(self) -> dict[str, int]:
        counts = self.visits["reason_code"].value_counts()
        return {c.code: int(counts.get(c.code, 0)) for c in VISIT_REASONS}

    def cycle_coverage(self) -> dict[str, tuple[int, int]]:
        """Per level with a cycle: (firms due within the plan, of them visited in it)."""
        visited = self.visits.loc[self.visits["reason_code"] == "level_cycle", "kind"].value_counts()
        return {level: (due, int(visited.get(level, 0))) for level, due in self.cycle_due.items()}

    def render(self, lang: str = "zh") -> str:
        """The summary ``saferank plan`` prints: period, visits by reason, follow-ups, cycles, route, expected value."""
        counts = self.reason_counts()
        n = len(self.visits)
        teams = self.teams["team"].nunique()
        team_days = self.visits.groupby(["team", "date"]).ngroups if n else 0
        km = self.route_km
        zh = lang == "zh"
        levels = {c.code: (c.zh if zh else c.en) for c in RISK_LEVELS}
        parts = ("，" if zh else ", ").join(f"{c.zh if zh else c.en} {counts[c.code]}" for c in VISIT_REASONS if counts[c.code])
        share = f"{self.target_share:.0%}" if n else "—"
        cycles = self.cycle_coverage()
        version = (f"（第 {self.version} 版，{'替换' if self.redraw == 'replace' else '取代'} {self.supersedes}）"
                   if zh else f" (version {self.version}, {'replacing' if self.redraw == 'replace' else 'superseding'} "
                   f"{self.supersedes})") if self.supersedes else ""
        if zh:
            lines = [
                f"检查计划 {self.plan_id or ''}{version}：{self.start.date()} 至 {self.end.date()}，{teams} 个检查组，共 {n} 次检查（{parts or '无'}）。",
                f"风险排名、预警必查和随机抽取占 {share}；现场回头看 {counts['follow_up']} 家（每组每天至多 "
                f"{self.rules.follow_up_share:.0%}），另有 {len(self.evidence)} 家的一般隐患转为书面核查（企业提交整改材料）。",
                f"预计发现重大隐患 {self.expected_found:.1f} 处；同样次数的纯随机抽查预计 {self.expected_random:.1f} 处"
                + (f"（{self.ratio:.1f} 倍）。" if np.isfinite(self.ratio) else "。"),
                f"预计路程共 {km:.0f} 公里（按直线距离估算，每组每天平均 {km / max(team_days, 1):.1f} 公里）。",
                f"随机种子 {self.seed}（用同一种子重抽得到同一计划）。",
            ]
            if cycles:
                lines.insert(2, "周期必查：" + "；".join(
                    f"{levels[lv]}企业（每 {self.rules.cycle_days[lv]} 天）到期 {d} 家，已安排 {v} 家" for lv, (d, v) in cycles.items()) + "。")
            if len(self.unplanned):
                shown = self.unplanned.head(SHOWN_UNPLANNED)
                lines.append(f"有 {len(self.unplanned)} 家企业未能排入：" + "；".join(
                    shown["enterprise_id"] + "（" + shown["reason_zh"] + "）")
                    + ("……" if len(self.unplanned) > SHOWN_UNPLANNED else "。"))
        else:
            lines = [
                f"Inspection plan {self.plan_id or ''}{version}: {self.start.date()} to {self.end.date()}, {count(teams, 'team')}, {count(n, 'visit')} ({parts or 'none'}).",
                f"Risk-ranked, mandatory and random targets: {share}; on-site follow-ups {counts['follow_up']} (at most "
                f"{self.rules.follow_up_share:.0%} of a team's day); {count(len(self.evidence), 'firm')} with general hazards left "
                "to evidence review (the firm sends proof of rectification).",
                f"Expected major hazards found: {self.expected_found:.1f}; a purely random plan of the same size: "
                f"{self.expected_random:.1f}" + (f" ({self.ratio:.1f}×)." if np.isfinite(self.ratio) else "."),
                f"Estimated route: {km:.0f} km in all (straight-line, {km / max(team_days, 1):.1f} km a team-day on average).",
                f"Seed {self.seed} (re-drawing with it gives the same plan).",
            ]
            if cycles:
                lines.insert(2, "Cycles: " + "; ".join(
                    f"{levels[lv]} (every {self.rules.cycle_days[lv]} days) {d} due, {v} planned" for lv, (d, v) in cycles.items()) + ".")
            if len(self.unplanned):
                shown = self.unplanned.head(SHOWN_UNPLANNED)
                lines.append(f"{count(len(self.unplanned), 'firm')} could not be planned: " + "; ".join(
                    shown["enterprise_id"] + " (" + shown["reason_en"] + ")")
                    + (" ..." if len(self.unplanned) > SHOWN_UNPLANNED else "."))
        return "\n".join(lines)


def _hazard_list(hazard_ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    listed = hazard_ids.astype(str).str.split(",")
    count = listed.str.len()
    first = listed.str[:3]
    more = count.gt(3)
    return (first.str.join("、") + np.where(more, " 等 " + count.astype(str) + " 处", ""),
            first.str.join(", ") + np.where(more, " and " + (count - 3).astype(str) + " more", ""))


def with_reasons(visits: pd.DataFrame, deadlines: np.ndarray, rules: PlanRules) -> pd.DataFrame:
    """The reason of each visit in Chinese and English, as an inspector reads it."""
    rank = visits["rank"].astype(str)
    code = visits["reason_code"]
    sector_zh = visits["sector"].map(lambda s: code_label(SECTORS, s, "zh"))
    sector_en = visits["sector"].map(lambda s: code_label(SECTORS, s, "en"))
    level_zh = visits["kind"].map({c.code: c.zh for c in RISK_LEVELS}).fillna("")
    level_en = visits["kind"].map({c.code: c.en for c in RISK_LEVELS}).fillna("")
    cycle = visits["kind"].map(dict(rules.cycle_days)).fillna(0).astype(int).astype(str)
    last = pd.to_datetime(visits["last_visit"]).dt.strftime("%Y-%m-%d").fillna("—") if "last_visit" in visits \
        else pd.Series("—", index=visits.index)
    due = pd.Series(pd.to_datetime(deadlines), index=visits.index).dt.strftime("%Y-%m-%d")
    hazards_zh, hazards_en = _hazard_list(visits["hazard_ids"])
    follow_zh = np.where(visits["kind"] == "major", "重大隐患", "逾期隐患")
    follow_en = np.where(visits["kind"] == "major", "major", "overdue")
    zh = pd.Series("风险排名第" + rank + "位", index=visits.index)
    en = pd.Series("Risk rank " + rank, index=visits.index)
    warning_zh = visits["warning_zh"] if "warning_zh" in visits else pd.Series("", index=visits.index)
    warning_en = visits["warning_en"] if "warning_en" in visits else pd.Series("", index=visits.index)
    for reason, text_zh, text_en in (
        ("warning", "预警必查：" + warning_zh, "Mandatory after a warning: " + warning_en),
        ("level_cycle", level_zh + "企业每 " + cycle + " 天必查（上次检查 " + last + "）；" + zh,
         level_en + " firm, visited every " + cycle + " days (last " + last + "); " + en),
        ("town_minimum", "镇街保底；" + zh, "Town minimum; " + en),
        ("sector_quota", sector_zh + "行业配额；" + zh, sector_en + " quota; " + en),
        ("weather_alert", "预警期间重点行业（" + sector_zh + "）；" + zh, "Sector under weather alert (" + sector_en + "); " + en),
        ("random_draw", "双随机抽取（" + level_zh.where(level_zh != "", "未分级") + "）",
         "Random draw (" + level_en.where(level_en != "", "no level") + ")"),
        ("follow_up", "回头看（现场）：" + follow_zh + " " + hazards_zh + "（整改期限 " + due + "）",
         "On-site follow-up of " + follow_en + " hazard " + hazards_en + " (deadline " + due + ")"),
    ):
        chosen = code == reason
        zh = zh.where(~chosen, text_zh)
        en = en.where(~chosen, text_en)
    return visits.assign(reason_zh=zh, reason_en=en)


def evidence_list(followups: pd.DataFrame, due: pd.DataFrame, town: pd.Series) -> pd.DataFrame:
    """The follow-ups left to the firm's evidence (``EVIDENCE_COLUMNS``): general hazards still within
    their deadline at the plan's start, with the hazards named; ``town`` maps a firm to its town."""
    wanted = followups.loc[~followups["on_site"]]
    ids = wanted["enterprise_id"]
    joined = due.loc[due["enterprise_id"].isin(ids)].groupby("enterprise_id")["hazard_id"].agg(",".join)
    hazard_ids = ids.map(joined).fillna("")
    hazards_zh, hazards_en = _hazard_list(hazard_ids)
    deadline = wanted["deadline"].dt.strftime("%Y-%m-%d")
    out = pd.DataFrame({
        "enterprise_id": ids.astype(str), "town_id": ids.map(town).astype(object),
        "hazards": wanted["hazards"].astype("int64"), "hazard_ids": hazard_ids, "deadline": wanted["deadline"],
        "reason_zh": "书面核查：一般隐患 " + hazards_zh + "（整改期限 " + deadline + "），请企业提交整改材料",
        "reason_en": "Evidence review: general hazard " + hazards_en + " (deadline " + deadline
                     + "); the firm sends proof of rectification",
    })
    return out.sort_values(["deadline", "enterprise_id"], kind="stable").reset_index(drop=True)[list(EVIDENCE_COLUMNS)]


def unplanned_frame(followups: pd.DataFrame, listed: np.ndarray, follow_pos: np.ndarray, taken: np.ndarray,
                    late: np.ndarray, towns_of: pd.Series, town: np.ndarray, cycle_missed: pd.DataFrame) -> pd.DataFrame:
    """The on-site follow-ups due and the cycle visits due that are not in the plan, and why."""
    covered = set().union(*towns_of.to_list())
    reason = np.full(len(followups), "", dtype=object)
    reason[~listed] = "not_listed"
    positions = np.where(listed, follow_pos, 0).astype("int64")
    missed = listed & ~taken[positions]
    has_team = np.isin(town[positions], list(covered))
    reason[missed & ~has_team] = "no_team"
    reason[missed & has_team] = "capacity"
    reason[missed & has_team & np.isin(positions, late)] = "capacity_after_due"
    out = followups.assign(reason_code=reason).loc[reason != "", list(UNPLANNED_COLUMNS[:-2])]
    cycle = cycle_missed.assign(hazards=0, first_hazard_id="", reason_code="cycle_full")[list(UNPLANNED_COLUMNS[:-2])]
    out = pd.concat([out, cycle], ignore_index=True) if len(cycle) else out
    labels = {c.code: (c.zh, c.en) for c in UNPLANNED_REASONS}
    return out.assign(hazards=out["hazards"].astype("int64"),
                      deadline=pd.to_datetime(out["deadline"]).astype("datetime64[ns]"),
                      reason_zh=out["reason_code"].map(lambda c: labels[c][0]),
                      reason_en=out["reason_code"].map(lambda c: labels[c][1])).reset_index(drop=True)
