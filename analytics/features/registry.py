"""Every feature, once: its name, family, bilingual label, the tables it needs and how a reason reads.

``FEATURES`` (name → ``FeatureSpec``, in matrix column order) is what models, reasons, the model card
and the dashboard read. ``FAMILY_TABLES`` says which contract tables a family needs; a family whose
table is absent from the tables dict is skipped (``analytics.features.skipped_families``), never faked.

Windows: ``_30d``/``_90d``/``_365d`` count records dated in ``(as_of - N days, as_of]``; ``_all`` counts
every record known on ``as_of``. ``days_since_*`` is missing (NaN) when there was no such record.
The inspection team is never a feature: it is record-keeping, and would teach a model who inspects,
not what is found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from analytics.contract import schema

Kind = Literal["numeric", "binary", "categorical"]


@dataclass(frozen=True)
class FeatureSpec:
    """One column of the feature matrix. ``reason_zh``/``reason_en`` are ``str.format`` templates of ``{value}``."""

    name: str
    family: str
    zh: str
    en: str
    tables: tuple[str, ...]
    kind: Kind
    reason_zh: str
    reason_en: str
    risk_direction: int = 0


FAMILY_TABLES: dict[str, tuple[str, ...]] = {
    "profile": ("enterprises",),
    "season": (),
    "status": ("status_events",),
    "history": ("inspections", "hazards"),
    "rectification": ("hazards",),
    "enforcement": ("penalties",),
    "incidents": ("accidents",),
    "operations": ("special_operations",),
    "outsourcing": ("contracts",),
    "weather": ("weather_alerts",),
    "context": ("inspections", "hazards"),
    "power": ("power_usage",),
}
FAMILY_LABELS: dict[str, tuple[str, str]] = {
    "profile": ("企业基本情况", "Profile"),
    "season": ("季节", "Season"),
    "status": ("生产状态", "Production status"),
    "history": ("检查与隐患记录", "Inspection and hazard history"),
    "rectification": ("隐患整改", "Rectification"),
    "enforcement": ("行政处罚", "Penalties"),
    "incidents": ("事故", "Accidents"),
    "operations": ("特殊作业", "Special operations"),
    "outsourcing": ("外包", "Outsourcing"),
    "weather": ("气象预警", "Weather alerts"),
    "context": ("行业与镇街背景", "Sector and town context"),
    "power": ("用电数据", "Electricity use"),
}

HISTORY_WINDOWS = (90, 365, None)  # None: everything known
PERMIT_WINDOWS = (30, 90)
RESTART_WINDOWS = (30, 90, 180)
# The campaign's hazard categories (特殊作业、三违、通风除尘、作业环境、持证上岗、外包管理).
CAMPAIGN_CATEGORIES = ("special_operation", "three_violations", "ventilation_dust", "work_environment",
                       "certification", "outsourcing")
ALERT_RECENT_DAYS = 7
POWER_WINDOW_DAYS = 90
HEATING_SEASON = ((11, 15), (3, 15))  # (month, day) it starts, (month, day) it ends, inclusive

_specs: list[FeatureSpec] = []


def _add(name: str, family: str, zh: str, en: str, kind: Kind, reason_zh: str, reason_en: str,
         risk_direction: int = 0, tables: tuple[str, ...] | None = None) -> None:
    _specs.append(FeatureSpec(name, family, zh, en, FAMILY_TABLES[family] if tables is None else tables, kind,
                              reason_zh, reason_en, risk_direction))


def window_suffix(days: int | None) -> str:
    return "all" if days is None else f"{days}d"


def _window_words(days: int | None) -> tuple[str, str]:
    return ("累计", "in all") if days is None else (f"近 {days} 天", f"in the last {days} days")


def _label(codes: tuple[schema.Code, ...], code: str) -> tuple[str, str]:
    found = next(c for c in codes if c.code == code)
    return found.zh, found.en


# profile --------------------------------------------------------------------------------------
_add("sector", "profile", "行业领域", "Sector", "categorical", "行业：{value}", "Sector: {value}")
_add("size", "profile", "企业规模", "Size", "categorical", "规模：{value}", "Size: {value}")
_add("town", "profile", "镇街", "Town", "categorical", "所在镇街：{value}", "Town: {value}")
_add("employees", "profile", "从业人员数", "Employees", "numeric", "从业人员 {value:.0f} 人", "{value:.0f} employees")
_add("hazardous_chemicals", "profile", "涉及危险化学品", "Hazardous chemicals", "binary",
     "涉及危险化学品", "Handles hazardous chemicals", 1)
_add("major_hazard_severity", "profile", "重大危险源严重度（一级=4，无=0）", "Major hazard source severity (level 1 = 4, none = 0)",
     "numeric", "构成重大危险源（严重度 {value:.0f}/4）", "Major hazard source (severity {value:.0f}/4)", 1)
_add("dust_explosion", "profile", "涉爆粉尘", "Combustible dust", "binary", "涉爆粉尘", "Combustible dust", 1)
_add("confined_space", "profile", "有限空间作业", "Confined-space work", "binary", "有限空间作业", "Confined-space work", 1)
_add("ammonia_refrigeration", "profile", "涉氨制冷", "Ammonia refrigeration", "binary", "涉氨制冷", "Ammonia refrigeration", 1)
_add("small_scattered", "profile", "小散乱污", "Small, scattered, disorderly, polluting", "binary",
     "小散乱污企业", "Small, scattered, disorderly, polluting firm", 1)
_add("years_in_operation", "profile", "成立年限", "Years in operation", "numeric",
     "成立 {value:.0f} 年", "{value:.0f} years in operation")

# season ---------------------------------------------------------------------------------------
_add("heating_season", "season", "供暖季（11月15日至3月15日）", "Heating season (15 Nov to 15 Mar)", "binary",
     "处于供暖季", "Heating season", 0)

# status ---------------------------------------------------------------------------------------
_add("status", "status", "当前生产状态", "Current status", "categorical", "生产状态：{value}", "Status: {value}")
_add("stopped_now", "status", "当前停产或停产改造", "Currently suspended or in retrofit", "binary",
     "目前停产或停产改造中", "Currently suspended or in retrofit")
_add("days_since_stop", "status", "距最近一次停产天数", "Days since the last stop", "numeric",
     "{value:.0f} 天前停产或改造", "Stopped or began retrofit {value:.0f} days ago")
for _days in RESTART_WINDOWS:
    _add(f"restart_{_days}d", "status", f"近 {_days} 天内复产", f"Restarted in the last {_days} days", "binary",
         f"近 {_days} 天内复产", f"Restarted within {_days} days", 1)
_add("unapproved_restart", "status", "未经验收擅自复产（最近一次复产）", "Last restart not approved", "binary",
     "最近一次复产未经验收（未批擅自开工）", "Last restart without approval", 1)
_add("days_since_unapproved_restart", "status", "距未批擅自复产天数", "Days since an unapproved restart", "numeric",
     "未批擅自复产 {value:.0f} 天", "Unapproved restart {value:.0f} days ago", -1)

# history --------------------------------------------------------------------------------------
for _days in HISTORY_WINDOWS:
    _s = window_suffix(_days)
    _wzh, _wen = _window_words(_days)
    _add(f"inspections_{_s}", "history", f"{_wzh}检查次数", f"Inspections {_wen}", "numeric",
         f"{_wzh}被检查 {{value:.0f}} 次", f"{{value:.0f}} inspections {_wen}")
    _add(f"hazards_{_s}", "history", f"{_wzh}隐患数", f"Hazards {_wen}", "numeric",
         f"{_wzh}查出隐患 {{value:.0f}} 项", f"{{value:.0f}} hazards found {_wen}", 1)
    _add(f"major_hazards_{_s}", "history", f"{_wzh}重大隐患数", f"Major hazards {_wen}", "numeric",
         f"{_wzh}查出重大隐患 {{value:.0f}} 项", f"{{value:.0f}} major hazards found {_wen}", 1)
    _add(f"hazards_per_inspection_{_s}", "history", f"{_wzh}每次检查隐患数", f"Hazards per inspection {_wen}",
         "numeric", f"{_wzh}平均每次检查发现隐患 {{value:.1f}} 项", f"{{value:.1f}} hazards per inspection {_wen}", 1)
for _category in CAMPAIGN_CATEGORIES:
    _czh, _cen = _label(schema.HAZARD_CATEGORIES, _category)
    _add(f"hazards_{_category}_365d", "history", f"近一年{_czh}类隐患数", f"{_cen} hazards in the last year",
         "numeric", f"近一年{_czh}类隐患 {{value:.0f}} 项", f"{{value:.0f}} {_cen.lower()} hazards in the last year", 1)
_add("days_since_inspection", "history", "距上次检查天数", "Days since the last inspection", "numeric",
     "{value:.0f} 天未被检查", "Not inspected for {value:.0f} days")
_add("never_inspected", "history", "从未被检查", "Never inspected", "binary", "从未被检查", "Never inspected")
_add("days_since_major", "history", "距上次发现重大隐患天数", "Days since a major hazard was found", "numeric",
     "{value:.0f} 天前查出重大隐患", "Major hazard found {value:.0f} days ago", -1)
_add("last_inspection_hazards", "history", "上次检查发现隐患数", "Hazards at the last inspection", "numeric",
     "上次检查发现隐患 {value:.0f} 项", "{value:.0f} hazards at the last inspection", 1)
_add("last_inspection_majors", "history", "上次检查发现重大隐患数", "Major hazards at the last inspection", "numeric",
     "上次检查发现重大隐患 {value:.0f} 项", "{value:.0f} major hazards at the last inspection", 1)

# rectification (needs rectified dates; the deadline features need deadlines) -------------------------
_add("open_hazards", "rectification", "未整改隐患数", "Open hazards", "numeric",
     "{value:.0f} 项隐患尚未整改", "{value:.0f} hazards still open", 1)
_add("open_major", "rectification", "未整改重大隐患数", "Open major hazards", "numeric",
     "{value:.0f} 项重大隐患尚未整改", "{value:.0f} major hazards still open", 1)
_add("overdue_hazards", "rectification", "逾期未整改隐患数", "Overdue hazards", "numeric",
     "{value:.0f} 项隐患逾期未整改", "{value:.0f} overdue hazards", 1)
_add("overdue_major", "rectification", "逾期未整改重大隐患数", "Overdue major hazards", "numeric",
     "{value:.0f} 项重大隐患逾期未整改", "{value:.0f} overdue major hazards", 1)
_add("max_days_overdue", "rectification", "最长逾期天数", "Longest overdue (days)", "numeric",
     "隐患最长逾期 {value:.0f} 天", "A hazard overdue by {value:.0f} days", 1)
_add("mean_days_overdue", "rectification", "平均逾期天数", "Mean days overdue", "numeric",
     "逾期隐患平均逾期 {value:.0f} 天", "Overdue hazards average {value:.0f} days late", 1)
_add("on_time_share", "rectification", "按期整改率", "Share rectified on time", "numeric",
     "按期整改率 {value:.0%}", "{value:.0%} rectified on time", -1)
DEADLINE_FEATURES = ("overdue_hazards", "overdue_major", "max_days_overdue", "mean_days_overdue", "on_time_share")

# enforcement, incidents -----------------------------------------------------------------------
for _kind in schema.PENALTY_KINDS:
    _add(f"penalty_{_kind.code}_365d", "enforcement", f"近一年{_kind.zh}次数", f"{_kind.en} penalties in the last year",
         "numeric", f"近一年受到{_kind.zh}处罚 {{value:.0f}} 次", f"{{value:.0f}} {_kind.en.lower()} penalties in the last year", 1)
_add("penalties_all", "enforcement", "累计行政处罚次数", "Penalties in all", "numeric",
     "累计受到行政处罚 {value:.0f} 次", "{value:.0f} penalties on record", 1)
_add("fine_amount_365d", "enforcement", "近一年罚款金额（元）", "Fines in the last year (yuan)", "numeric",
     "近一年罚款 {value:,.0f} 元", "Fined {value:,.0f} yuan in the last year", 1)
_add("days_since_penalty", "enforcement", "距上次处罚天数", "Days since the last penalty", "numeric",
     "{value:.0f} 天前受到行政处罚", "Penalised {value:.0f} days ago", -1)
_add("accidents_365d", "incidents", "近一年事故次数", "Accidents in the last year", "numeric",
     "近一年发生事故 {value:.0f} 起", "{value:.0f} accidents in the last year", 1)
_add("accidents_all", "incidents", "累计事故次数", "Accidents in all", "numeric",
     "累计发生事故 {value:.0f} 起", "{value:.0f} accidents on record", 1)
_add("serious_accidents_all", "incidents", "一般及以上事故次数", "Accidents of grade general or worse", "numeric",
     "发生一般及以上事故 {value:.0f} 起", "{value:.0f} accidents of grade general or worse", 1)
_add("casualties_all", "incidents", "事故伤亡人数", "Accident casualties", "numeric",
     "事故伤亡 {value:.0f} 人", "{value:.0f} accident casualties", 1)
_add("days_since_accident", "incidents", "距上次事故天数", "Days since the last accident", "numeric",
     "{value:.0f} 天前发生事故", "Accident {value:.0f} days ago", -1)

# operations -----------------------------------------------------------------------------------
for _days in PERMIT_WINDOWS:
    _add(f"permits_{_days}d", "operations", f"近 {_days} 天特殊作业票数", f"Special-operation permits in the last {_days} days",
         "numeric", f"近 {_days} 天特殊作业 {{value:.0f}} 次", f"{{value:.0f}} special-operation permits in {_days} days")
    for _kind in schema.OPERATION_KINDS:
        _add(f"permits_{_kind.code}_{_days}d", "operations", f"近 {_days} 天{_kind.zh}作业票数",
             f"{_kind.en} permits in the last {_days} days", "numeric",
             f"近 {_days} 天{_kind.zh}作业 {{value:.0f}} 次", f"{{value:.0f}} {_kind.en.lower()} permits in {_days} days")
_add("outsourced_permit_share_90d", "operations", "近 90 天外包作业占比", "Share of permits outsourced (90 days)",
     "numeric", "近 90 天特殊作业 {value:.0%} 由外单位承担", "{value:.0%} of special operations outsourced")
_add("uncertified_operators_90d", "operations", "近 90 天无证作业人次", "Uncertified operators (90 days)", "numeric",
     "近 90 天无证作业 {value:.0f} 人次", "{value:.0f} uncertified operators in 90 days", 1)

# outsourcing ----------------------------------------------------------------------------------
_add("active_contracts", "outsourcing", "在执行外包合同数", "Active outsourcing contracts", "numeric",
     "在执行外包合同 {value:.0f} 份", "{value:.0f} active outsourcing contracts")
_add("active_unqualified", "outsourcing", "承包单位资质不合规的在执行合同数", "Active contracts with unqualified contractors",
     "numeric", "{value:.0f} 份外包合同承包单位资质不合规", "{value:.0f} contracts with unqualified contractors", 1)
_add("active_without_agreement", "outsourcing", "未签安全管理协议的在执行合同数", "Active contracts without a safety agreement",
     "numeric", "{value:.0f} 份外包合同未签安全管理协议", "{value:.0f} contracts without a safety agreement", 1)
_add("contracts_365d", "outsourcing", "近一年新签外包合同数", "Contracts started in the last year", "numeric",
     "近一年新签外包合同 {value:.0f} 份", "{value:.0f} contracts started in the last year")

# weather --------------------------------------------------------------------------------------
for _kind in schema.ALERT_KINDS:
    _add(f"alert_{_kind.code}", "weather", f"{_kind.zh}预警级别（近 {ALERT_RECENT_DAYS} 天，蓝=1…红=4）",
         f"{_kind.en} alert level (last {ALERT_RECENT_DAYS} days, blue 1 … red 4)", "numeric",
         f"{_kind.zh}预警（级别 {{value:.0f}}/4）", f"{_kind.en} alert (level {{value:.0f}}/4)", 1)
_add("fishing_gale", "weather", "渔船遇大风或台风预警", "Fishing vessel under a gale or typhoon alert", "numeric",
     "渔船遭遇大风/台风预警（级别 {value:.0f}/4）", "Fishing vessel under a gale/typhoon alert (level {value:.0f}/4)", 1)
_add("gas_cold", "weather", "燃气或人员密集场所遇寒潮、雨雪冰冻预警",
     "Gas or crowded venue under a cold-wave or ice alert", "numeric",
     "用气或人员密集场所遭遇寒潮/雨雪冰冻预警（级别 {value:.0f}/4）",
     "Gas user or crowded venue under a cold/ice alert (level {value:.0f}/4)", 1)

# context --------------------------------------------------------------------------------------
_add("sector_major_rate", "context", "本行业近一年每次检查重大隐患数（平滑）", "Sector majors per inspection, last year (smoothed)",
     "numeric", "所在行业近一年每次检查查出重大隐患 {value:.2f} 项", "Sector finds {value:.2f} majors per inspection", 1)
_add("town_major_rate", "context", "本镇街近一年每次检查重大隐患数（平滑）", "Town majors per inspection, last year (smoothed)",
     "numeric", "所在镇街近一年每次检查查出重大隐患 {value:.2f} 项", "Town finds {value:.2f} majors per inspection", 1)

# power ----------------------------------------------------------------------------------------
_add("power_suspected_restart", "power", "用电显示停产期间疑似复产", "Power drawn during a recorded stop (suspected restart)",
     "binary", "停产（改造）期间用电接近正常生产水平，疑似未批擅自开工", "Draws near-operating power while recorded as stopped", 1)
_add("power_stop_ratio", "power", f"近 {POWER_WINDOW_DAYS} 天停产期间日用电量与正常生产基线之比",
     f"Daily power during a stop over the operating baseline ({POWER_WINDOW_DAYS} days)", "numeric",
     "停产期间日用电量为正常生产的 {value:.0%}", "Draws {value:.0%} of its operating power while stopped", 1)
_add("power_activity", "power", "最近一期日用电量与基线之比", "Latest period's daily power over the baseline", "numeric",
     "最近一期用电为基线的 {value:.0%}", "Latest period at {value:.0%} of its baseline power")

FEATURES: dict[str, FeatureSpec] = {spec.name: spec for spec in _specs}
if len(FEATURES) != len(_specs):  # a guard at import: two features with one name would silently overwrite
    raise RuntimeError("duplicate feature names in the registry")



def family_features(family: str) -> list[str]:
    """The registered feature names of ``family``, in matrix order."""
    return [name for name, spec in FEATURES.items() if spec.family == family]


def feature_label(name: str, lang: str = "zh") -> str:
    spec = FEATURES[name]
    return spec.zh if lang == "zh" else spec.en
