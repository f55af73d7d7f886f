"""The office's rules for a plan, in one place (``PlanRules``), and the plan's codes and columns.

Every knob has a default from practice and is stored with the plan as JSON; ``saferank plan`` has a
flag for the ones an office changes (``--random-share``, ``--follow-up-share``, ``--red-cycle``,
``--orange-cycle``) and the plan page a field for them.

=====================  ==============================================  ===========================
rule                   default                                         meaning
=====================  ==============================================  ===========================
``random_share``       0.25                                            share of each team's capacity drawn at random (双随机)
``random_weights``     red 4, orange 3, yellow 2, blue 1               a red firm is 4× as likely to be drawn as a blue one
``cycle_days``         red 30, orange 90                               a red firm is visited at least every 30 days
``follow_up_share``    0.30                                            at most 30 % of each team's visits, day by day, are on-site 回头看
``yearly_caps``        level1 4, level2 6, level3 12, none 24          visits a firm of that 标准化 grade gets in 365 days
``default_yearly_cap`` 12                                              the same for a firm without a grade
``cap_exempt_levels``  red                                             levels the caps do not hold back
``skip_recent_days``   30                                              no visit (but a follow-up, a warning, a due cycle) within 30 days of the last
=====================  ==============================================  ===========================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from analytics.contract.errors import UserError
from analytics.contract.schema import ALERT_KINDS, RISK_LEVELS, SECTORS, STANDARDIZATION, Code

VISIT_REASONS = (
    Code("warning", "预警必查", "Mandatory (warning)"),
    Code("follow_up", "回头看", "Follow-up"),
    Code("level_cycle", "红橙企业周期必查", "Red/orange cycle"),
    Code("town_minimum", "镇街保底", "Town minimum"),
    Code("sector_quota", "行业配额", "Sector quota"),
    Code("weather_alert", "预警期间重点行业", "Sector under weather alert"),
    Code("risk_rank", "风险排名", "Risk rank"),
    Code("random_draw", "双随机抽取", "Random draw"),
)
# Reasons that are not follow-ups: the visits the "risk-ranked or random targets" counts.
TARGET_REASONS = tuple(reason.code for reason in VISIT_REASONS if reason.code != "follow_up")
UNPLANNED_REASONS = (
    Code("not_listed", "企业不在风险清单中（已关停或未成立）", "the enterprise is not on the risk list (closed or not yet established)"),
    Code("no_team", "没有检查组负责该镇街", "no team covers its town"),
    Code("capacity", "负责该镇街的检查组回头看名额已满", "the follow-up share of the teams covering its town is used up"),
    Code("capacity_after_due", "到期日之后检查组已满", "the team is fully booked from the due day on"),
    Code("cycle_full", "周期必查未能排入（检查组已满）", "due in its level's cycle, but the teams covering its town are fully booked"),
)
# ``kind`` of a visit: the warning's kind (a mandatory target), the hazards' kind (a follow-up) or the
# firm's risk level (a cycle visit, a random draw); empty for the other reasons.
FOLLOW_UP_KINDS = (Code("major", "重大隐患", "major hazard"), Code("overdue", "逾期隐患", "overdue hazard"))
MANDATORY_KINDS = (Code("suspected_restart", "疑似擅自复产", "suspected restart"), Code("complaint", "举报", "complaint"))
ALERT_SECTORS: dict[str, tuple[str, ...]] = {
    "gale": ("fishing_vessels",),
    "cold_wave": ("gas", "fire_venues"),
    "rain_snow_ice": ("gas", "fire_venues"),
}
VISIT_COLUMNS = ("date", "team", "slot", "enterprise_id", "town_id", "sector", "score", "rank", "reason_code", "kind",
                 "reason_zh", "reason_en", "hazard_ids", "leg_km")
UNPLANNED_COLUMNS = ("enterprise_id", "hazards", "first_hazard_id", "deadline", "reason_code", "reason_zh", "reason_en")
EVIDENCE_COLUMNS = ("enterprise_id", "town_id", "hazards", "hazard_ids", "deadline", "reason_zh", "reason_en")
MANDATORY_COLUMNS = ("enterprise_id", "kind", "reason_zh", "reason_en")
SHOWN_UNPLANNED = 10  # the summary names this many; the plan holds them all
LEVELS = tuple(c.code for c in RISK_LEVELS)
GRADES = tuple(c.code for c in STANDARDIZATION)


@dataclass(frozen=True)
class PlanRules:
    """The office's rules for one plan (stored with it as JSON); see the module's table."""

    random_share: float = 0.25
    skip_recent_days: int = 30
    min_visits_per_town: int = 0
    sector_quotas: Mapping[str, int] = field(default_factory=dict)
    alert_sectors: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(ALERT_SECTORS))
    alert_max_share: float = 0.5
    cycle_days: Mapping[str, int] = field(default_factory=lambda: {"red": 30, "orange": 90})
    random_weights: Mapping[str, float] = field(default_factory=lambda: {"red": 4.0, "orange": 3.0, "yellow": 2.0, "blue": 1.0})
    follow_up_share: float = 0.30
    yearly_caps: Mapping[str, int] = field(default_factory=lambda: {"level1": 4, "level2": 6, "level3": 12, "none": 24})
    default_yearly_cap: int = 12
    cap_exempt_levels: tuple[str, ...] = ("red",)

    def __post_init__(self) -> None:
        sectors = {c.code for c in SECTORS}
        for name, value in (("random_share", self.random_share), ("alert_max_share", self.alert_max_share),
                            ("follow_up_share", self.follow_up_share)):
            if not 0 <= value <= 1:
                zh = {"random_share": "随机抽取比例", "alert_max_share": "预警行业占比", "follow_up_share": "回头看占比"}[name]
                en = {"random_share": "random share", "alert_max_share": "weather-alert share",
                      "follow_up_share": "follow-up share"}[name]
                raise UserError(f"{zh}须在 0 到 1 之间。", f"The {en} must lie between 0 and 1.")
        if (self.skip_recent_days < 0 or self.min_visits_per_town < 0 or any(v < 0 for v in self.sector_quotas.values())
                or self.default_yearly_cap < 0 or any(v < 0 for v in self.yearly_caps.values())
                or any(v < 0 for v in self.random_weights.values())):
            raise UserError("天数、保底数、配额、年度上限和权重不能为负。",
                            "Days, minimums, quotas, yearly caps and weights cannot be negative.")
        if any(v < 1 for v in self.cycle_days.values()):
            raise UserError("必查周期至少为 1 天。", "A level's cycle is at least one day.")
        unknown = sorted((set(self.sector_quotas) | {s for v in self.alert_sectors.values() for s in v}) - sectors)
        if unknown:
            raise UserError(f"未知的行业领域：{unknown[0]}。", f"Unknown sector: {unknown[0]}.")
        kinds = sorted(set(self.alert_sectors) - {c.code for c in ALERT_KINDS})
        if kinds:
            raise UserError(f"未知的预警类型：{kinds[0]}。", f"Unknown alert kind: {kinds[0]}.")
        levels = sorted((set(self.cycle_days) | set(self.random_weights) | set(self.cap_exempt_levels)) - set(LEVELS))
        if levels:
            raise UserError(f"未知的风险等级：{levels[0]}。", f"Unknown risk level: {levels[0]}.")
        grades = sorted(set(self.yearly_caps) - set(GRADES))
        if grades:
            raise UserError(f"未知的标准化等级：{grades[0]}。", f"Unknown standardization grade: {grades[0]}.")

    def to_json(self) -> str:
        data = asdict(self)
        for name in ("sector_quotas", "cycle_days", "random_weights", "yearly_caps"):
            data[name] = dict(getattr(self, name))
        data["alert_sectors"] = {k: list(v) for k, v in self.alert_sectors.items()}
        data["cap_exempt_levels"] = list(self.cap_exempt_levels)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PlanRules:
        """The rules of a stored plan; a plan stored before a rule existed gets that rule's default."""
        data = json.loads(text)
        data["alert_sectors"] = {k: tuple(v) for k, v in data.get("alert_sectors", ALERT_SECTORS).items()}
        if "cap_exempt_levels" in data:
            data["cap_exempt_levels"] = tuple(data["cap_exempt_levels"])
        if "random_weights" in data:
            data["random_weights"] = {k: float(v) for k, v in data["random_weights"].items()}
        return cls(**data)
