"""The rules of 三个一批: thresholds (``DispositionRules``), the evidence each rule writes, and the rules sheet.

Closure (关停取缔) is recommended only on a recorded fact that the rules of practice reserve it for
(《中华人民共和国安全生产法》（2021 修正）第一百一十三条, 第七十条; 《安全生产许可证条例》第十九条):

- ``unapproved_restart``: restarted without approval after a stop order (拒不执行停产停业整顿决定,
  第一百一十三条第（四）项);
- ``major_not_rectified``: a major hazard open more than ``major_overdue_days`` past its deadline
  and a later inspection found it still open (重大事故隐患经责令整改仍不合格, 第七十条、第一百一十三条第（二）项);
- ``repeated_penalties_major``: an open major hazard and at least ``penalty_count_short``
  penalties in ``penalty_window_short_days`` days or ``penalty_count_year`` in 365 days
  (存在重大事故隐患，180 日内三次或者一年内四次受到行政处罚, 第一百一十三条第（一）项).

A high risk score, a 小散乱污 firm or hazards rectified late are evidence shown beside the list,
never grounds for closure on their own (``small_scattered`` and ``late_rectification`` select no
batch). ``upgrade`` and ``standardise`` are as in ``analytics.operations.dispositions``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract.words import counts
from analytics.snapshot.facts import RESTART_WINDOW_DAYS

LEGAL_SOURCE = (
    "《中华人民共和国安全生产法》（2021 修正）第七十条、第一百一十三条；《安全生产许可证条例》第十九条",
    "Work Safety Law of the PRC (2021 amendment), articles 70 and 113; Regulations on Work Safety Licences, article 19",
)
CLOSURE_RULE = (
    "关停取缔仅用于法定情形：经责令停产停业整顿仍不具备安全生产条件（重大事故隐患整改不合格）、"
    "拒不执行停产停业整顿决定（未经验收擅自复产）、存在重大事故隐患且180日内三次或一年内四次受到行政处罚、"
    "未取得安全生产许可擅自生产。风险评分高本身不构成关停依据。",
    "Closure is kept for the legal grounds: still lacking the required safety conditions after a stop "
    "order (a major hazard not rectified), refusing to carry out a stop order (restarting without approval), "
    "a major hazard with three penalties in 180 days or four in a year, operating without a required safety "
    "licence. A high risk score alone is no ground for closure.",
)


@dataclass(frozen=True)
class DispositionRules:
    """The thresholds of the three batches (see the module docstrings)."""

    levels: tuple[str, ...] = ("red", "orange")  # the risk levels that get a recommendation
    window_days: int = 365  # history the counts look at
    major_overdue_days: int = 30  # a major hazard open this long past its deadline, seen open after it: closure
    penalty_window_short_days: int = 180  # 第一百一十三条（一）: 180 日内三次 ...
    penalty_count_short: int = 3
    penalty_count_year: int = 4  # ... 或者一年内四次
    refusal_overdue_count: int = 3  # hazards overdue or rectified late in the window: shown as evidence only
    restart_window_days: int = RESTART_WINDOW_DAYS  # unapproved restarts this recent count
    upgrade_min_general: int = 3  # general hazards in the window: weak management
    upgrade_on_time_rate: float = 0.8  # share of decided hazards rectified on time: the will to improve
    upgrade_sizes: tuple[str, ...] = ("large", "medium", "small")  # sizes that have the means
    upgrade_hazardous_chemicals: bool = True  # a hazardous-chemicals firm (sector or flag) has the means
    default_deadline_days: int = 30  # new deadline when none is given or it has passed
    follow_up_days: int = 7  # 回头看 this many days after the deadline

    @classmethod
    def from_json(cls, path: str | Path) -> DispositionRules:
        """Rules from a JSON object of any of the fields above; unknown keys are an error."""
        try:
            given = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise UserError(f"无法读取处置规则文件 {path}：{error}", f"Cannot read the rules file {path}: {error}") from error
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(given) - known) if isinstance(given, dict) else ["(not an object)"]
        if unknown:
            raise UserError(f"处置规则文件含未知项：{unknown}", f"The rules file has unknown keys: {unknown}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()}
        return replace(cls(), **values)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


RULE_BATCH = {
    "unapproved_restart": "close", "major_not_rectified": "close", "repeated_penalties_major": "close",
    "weak_management_improving": "upgrade", "rectifiable_hazards": "standardise",
    "small_scattered": None, "late_rectification": None,  # evidence, no batch
}


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).map(str)


def _date(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").fillna("")


def evidence(facts: pd.DataFrame, rules: DispositionRules, lang: str) -> dict[str, tuple[pd.Series, pd.Series | str]]:
    """Per rule: the mask where it holds and its evidence text (``lang``)."""
    zh = lang == "zh"
    n = facts
    on_time_pct = (n["on_time_rate"] * 100).round(0).astype("Int64").astype(str)
    days = _text(n["major_overdue_days"].fillna(0).astype(int))
    short, year = n["penalties_short"], n["penalties_year"]
    return {
        "unapproved_restart": (
            n["unapproved_restart"],
            ("停产整顿后未经验收擅自复产（" + _date(n["restart_date"]) + "，拒不执行停产停业整顿决定）") if zh else
            ("restarted without approval after a stop order (" + _date(n["restart_date"]) + "; refuses the order)"),
        ),
        "major_not_rectified": (
            n["major_not_rectified"] > 0,
            ("重大隐患逾期 " + days + " 天，期限后检查仍未整改 " + _text(n["major_not_rectified"]) + " 项") if zh else
            (counts(n["major_not_rectified"], "major hazard") + " still open at an inspection after the deadline, overdue "
             + counts(n["major_overdue_days"].fillna(0), "day")),
        ),
        "repeated_penalties_major": (
            (n["open_major"] > 0) & ((short >= rules.penalty_count_short) | (year >= rules.penalty_count_year)),
            (f"存在重大隐患，{rules.penalty_window_short_days}日内处罚 " + _text(short) + " 次、一年内 " + _text(year) + " 次")
            if zh else ("open major hazard; " + counts(short, "penalty", "penalties")
                        + f" in {rules.penalty_window_short_days} days, " + _text(year) + " in a year"),
        ),
        "weak_management_improving": (
            (n["general_found"] >= rules.upgrade_min_general) & (n["on_time_rate"] >= rules.upgrade_on_time_rate).fillna(False)
            & n["has_means"],
            (f"近{rules.window_days}天一般隐患 " + _text(n["general_found"]) + " 项，按期整改率 " + on_time_pct + "%，具备改造条件") if zh else
            (counts(n["general_found"], "general hazard") + f" in {rules.window_days} days, " + on_time_pct
             + "% rectified on time, has the means to upgrade"),
        ),
        "rectifiable_hazards": (
            n["open_hazards"] > 0,
            ("未整改隐患 " + _text(n["open_hazards"]) + " 项，限期 " + _date(n["deadline"]) + " 前整改，"
             + _date(n["follow_up_date"]) + " 回头看") if zh else
            (counts(n["open_hazards"], "open hazard") + " to rectify by " + _date(n["deadline"]) + ", follow-up on "
             + _date(n["follow_up_date"])),
        ),
        "small_scattered": (
            n["small_scattered"],
            "属“小散乱污”企业（需核实证照，不单独构成关停依据）" if zh else
            "a small, scattered, disorderly, polluting firm (check its licences; no ground for closure alone)",
        ),
        "late_rectification": (
            n["overdue_or_late"] >= rules.refusal_overdue_count,
            (f"近{rules.window_days}天隐患逾期未改或逾期整改 " + _text(n["overdue_or_late"]) + " 项") if zh else
            (counts(n["overdue_or_late"], "hazard") + f" overdue or rectified late in {rules.window_days} days"),
        ),
    }


RULE_TEXT = {  # field: (zh, en) what it means
    "levels": ("给出建议的风险等级", "risk levels that get a recommendation"),
    "window_days": ("统计窗口（天）", "history window (days)"),
    "major_overdue_days": ("重大隐患逾期超过此天数且期限后检查仍未整改：关停取缔",
                           "major hazard overdue longer than this and open at a later inspection: close"),
    "penalty_window_short_days": ("短期处罚窗口（天）", "short penalty window (days)"),
    "penalty_count_short": ("存在重大隐患时短期窗口内处罚次数：关停取缔", "penalties in the short window with a major hazard: close"),
    "penalty_count_year": ("存在重大隐患时一年内处罚次数：关停取缔", "penalties in a year with a major hazard: close"),
    "refusal_overdue_count": ("逾期隐患数（仅列为依据，不决定批次）", "overdue or late hazards (evidence only)"),
    "restart_window_days": ("未经验收擅自复产的统计窗口（天）：关停取缔", "window for unapproved restarts (days): close"),
    "upgrade_min_general": ("一般隐患数下限：改造提升", "minimum general hazards: upgrade"),
    "upgrade_on_time_rate": ("按期整改率下限：改造提升", "minimum on-time rate: upgrade"),
    "upgrade_sizes": ("具备改造条件的企业规模", "sizes with the means to upgrade"),
    "upgrade_hazardous_chemicals": ("危化品企业视为具备改造条件", "hazardous-chemicals firms have the means"),
    "default_deadline_days": ("默认整改期限（天）", "default rectification deadline (days)"),
    "follow_up_days": ("期限后回头看（天）", "follow-up after the deadline (days)"),
}


def _value(value: object, lang: str) -> str:
    if isinstance(value, tuple):
        return "、".join(map(str, value)) if lang == "zh" else ", ".join(map(str, value))
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    return str(value)


def closure_rule(lang: str = "zh") -> str:
    """The closure rule and its source, one sentence each, for the page and the README."""
    zh = lang == "zh"
    return CLOSURE_RULE[0 if zh else 1] + ("依据：" if zh else " Source: ") + LEGAL_SOURCE[0 if zh else 1] + ("。" if zh else ".")


def rules_sheet(rules: DispositionRules, lang: str = "zh") -> pd.DataFrame:
    """The rules as an office reads them: each threshold, its value and meaning; then the closure rule and its source."""
    zh = lang == "zh"
    values = asdict(rules)
    rows = [(name, _value(values[name], lang), RULE_TEXT[name][0 if zh else 1]) for name in values]
    rows += [("关停取缔依据" if zh else "closure rule", "", CLOSURE_RULE[0 if zh else 1]),
             ("来源" if zh else "source", "", LEGAL_SOURCE[0 if zh else 1])]
    return pd.DataFrame(rows, columns=["规则", "取值", "说明"] if zh else ["Rule", "Value", "Meaning"])
