"""The data contract (``shared/DATA_CONTRACT.md``) as data.

Every table, column, type, rule, code and its Chinese label lives here once. Import validation,
the blank templates, the typed readers, the docs and the dashboard's labels all read it; no other
module spells a contract column name it invented.

Long because the contract is one piece of data: eleven tables and their code lists, read side by
side with ``DATA_CONTRACT.md``; split across modules it would no longer read like the document.
"""

from __future__ import annotations

from functools import cache

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "int", "float", "bool", "date", "code"]


@dataclass(frozen=True)
class Code:
    """One coded value: the English code and its labels."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Column:
    """One contract column and the per-value rules that apply to it."""

    name: str
    zh: str
    type: ColumnType
    required: bool = False
    unique: bool = False
    codes: tuple[Code, ...] = ()
    references: str | None = None  # "table.column" that must hold the value
    minimum: float | None = None
    maximum: float | None = None
    default: object = None
    en: str = ""  # English display label; defaults to the name with underscores as spaces

    @property
    def label_en(self) -> str:
        return self.en or self.name.replace("_", " ").capitalize()

    def code_values(self) -> list[str]:
        return [c.code for c in self.codes]


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row (date order, both-or-neither ...)."""

    kind: Literal["not_before", "both_or_neither", "not_above"]
    column: str  # the column the error is reported on
    other: str  # the column it is compared with


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    required: bool = False
    key: str = ""  # the id column; empty where the table has none of its own
    row_rules: tuple[RowRule, ...] = ()
    date_column: str | None = None  # the date that says when a record became known
    not_after_export: tuple[str, ...] = field(default=())  # dates that may not lie after the export date
    record_key: tuple[str, ...] = ()  # what identifies a record of a table without an id column
    no_overlap: tuple[str, str, str] | None = None  # (group, start, end): periods of one group may not overlap

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _codes(*triples: tuple[str, str, str]) -> tuple[Code, ...]:
    return tuple(Code(*t) for t in triples)


STATUS = _codes(
    ("operating", "正常生产", "Operating"),
    ("suspended", "停产停工", "Suspended"),
    ("retrofit", "停产改造", "Retrofit"),
    ("closed", "关停", "Closed"),
)

SIZES = _codes(
    ("large", "大型", "Large"),
    ("medium", "中型", "Medium"),
    ("small", "小型", "Small"),
    ("micro", "微型", "Micro"),
)

SECTORS = _codes(
    ("hazardous_chemicals", "危险化学品", "Hazardous chemicals"),
    ("mining", "非煤矿山", "Non-coal mining"),
    ("industry_trade", "工贸", "Industry & trade"),
    ("fire_venues", "消防重点单位及人员密集场所", "Fire-safety key units & crowded places"),
    ("road_transport", "道路运输", "Road transport"),
    ("construction", "建筑施工", "Construction"),
    ("gas", "城镇燃气", "Town gas"),
    ("special_equipment", "特种设备", "Special equipment"),
    ("fishing_vessels", "渔业船舶", "Fishing vessels"),
    ("fireworks", "烟花爆竹", "Fireworks"),
    ("tourism", "文化旅游", "Culture & tourism"),
)

STATUS_REASONS = _codes(
    ("environmental_retrofit", "环保改造", "Environmental retrofit"),
    ("power_rationing", "限电限产", "Power rationing"),
    ("rectification_order", "停产整顿", "Rectification order"),
    ("seasonal", "季节性停产", "Seasonal stop"),
    ("other", "其他", "Other"),
)

INSPECTION_MODES = _codes(
    ("routine", "日常检查", "Routine"),
    ("random", "双随机抽查", "Random (double-random)"),
    ("targeted", "重点检查", "Targeted"),
    ("unannounced", "四不两直", "Unannounced"),
    ("follow_up", "回头看", "Follow-up"),
    ("complaint", "举报核查", "Complaint"),
)

HAZARD_LEVELS = _codes(
    ("general", "一般隐患", "General hazard"),
    ("major", "重大隐患", "Major hazard"),
)

HAZARD_CATEGORIES = _codes(
    ("special_operation", "特殊作业", "Special operations"),
    ("three_violations", "三违", "Three violations"),
    ("ventilation_dust", "通风除尘", "Ventilation & dust"),
    ("work_environment", "作业环境", "Work environment"),
    ("certification", "持证上岗", "Certification"),
    ("outsourcing", "外包管理", "Outsourcing"),
    ("fire", "消防", "Fire"),
    ("electrical", "用电", "Electrical"),
    ("gas", "用气", "Gas use"),
    ("chemicals", "危化品", "Chemicals"),
    ("equipment", "设备设施", "Equipment"),
    ("other", "其他", "Other"),
)

OPERATION_KINDS = _codes(
    ("hot_work", "动火", "Hot work"),
    ("work_at_height", "高处作业", "Work at height"),
    ("lifting", "吊装", "Lifting"),
    ("maintenance", "设备检维修", "Maintenance"),
    ("confined_space", "受限空间", "Confined space"),
    ("temporary_power", "临时用电", "Temporary power"),
    ("other", "其他", "Other"),
)

PENALTY_KINDS = _codes(
    ("warning", "警告", "Warning"),
    ("fine", "罚款", "Fine"),
    ("suspension", "责令停产停业整顿", "Suspension order"),
    ("closure", "关闭", "Closure"),
)

ACCIDENT_SEVERITIES = _codes(
    ("minor", "轻微", "Minor"),
    ("general", "一般", "General"),
    ("larger", "较大", "Larger"),
    ("major", "重大", "Major"),
    ("especially_major", "特别重大", "Especially major"),
)

ALERT_KINDS = _codes(
    ("cold_wave", "寒潮", "Cold wave"),
    ("gale", "大风", "Gale"),
    ("rain_snow_ice", "雨雪冰冻", "Rain, snow & ice"),
    ("rainstorm", "暴雨", "Rainstorm"),
    ("heat", "高温", "Heat"),
    ("fog", "大雾", "Fog"),
    ("typhoon", "台风", "Typhoon"),
)

ALERT_LEVELS = _codes(
    ("blue", "蓝色", "Blue"),
    ("yellow", "黄色", "Yellow"),
    ("orange", "橙色", "Orange"),
    ("red", "红色", "Red"),
)

STANDARDIZATION = _codes(
    ("level1", "一级", "Level 1"),
    ("level2", "二级", "Level 2"),
    ("level3", "三级", "Level 3"),
    ("none", "未达标", "Not graded"),
)

RISK_LEVELS = _codes(
    ("red", "重大风险", "Major risk"),
    ("orange", "较大风险", "Considerable risk"),
    ("yellow", "一般风险", "Moderate risk"),
    ("blue", "低风险", "Low risk"),
)

C = Column


RECORDED = "recorded_date"
# Contract v2: the day a record was entered ("When a record became known").
RECORDED_DATE = C(RECORDED, "录入日期", "date", en="Recorded")


def _recorded_after(own_date: str) -> RowRule:
    """A record is not entered before the day it describes."""
    return RowRule("not_before", RECORDED, own_date)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "towns", "镇街", "Towns",
            (
                C("town_id", "镇街编码", "text", required=True, unique=True, en="Town ID"),
                C("name", "镇街名称", "text", required=True, en="Town name"),
                C("coastal", "是否沿海", "bool", default=False, en="Coastal"),
            ),
            required=True, key="town_id",
        ),
        Table(
            "enterprises", "企业", "Enterprises",
            (
                C("enterprise_id", "企业编码", "text", required=True, unique=True, en="Enterprise ID"),
                C("name", "企业名称", "text", required=True, en="Enterprise name"),
                C("town_id", "镇街编码", "text", required=True, references="towns.town_id", en="Town ID"),
                C("sector", "行业领域", "code", required=True, codes=SECTORS, en="Sector"),
                C("industry_code", "国民经济行业代码", "text", en="Industry code (GB/T 4754)"),
                C("size", "企业规模", "code", codes=SIZES, en="Size"),
                C("employees", "从业人员数", "int", minimum=0, en="Employees"),
                C("longitude", "经度", "float", minimum=73, maximum=136, en="Longitude"),
                C("latitude", "纬度", "float", minimum=3, maximum=54, en="Latitude"),
                C("hazardous_chemicals", "涉及危险化学品", "bool", en="Hazardous chemicals"),
                C("major_hazard_level", "重大危险源等级", "int", minimum=0, maximum=4, en="Major hazard source level"),
                C("dust_explosion", "涉爆粉尘", "bool", en="Combustible dust"),
                C("confined_space", "有限空间作业", "bool", en="Confined-space work"),
                C("ammonia_refrigeration", "涉氨制冷", "bool", en="Ammonia refrigeration"),
                C("small_scattered", "小散乱污", "bool", en="Small, scattered, disorderly, polluting"),
                C("standardization", "安全生产标准化等级", "code", codes=STANDARDIZATION, en="Safety standardization grade"),
                C("status", "生产状态", "code", codes=STATUS, en="Status at export"),
                C("established", "成立日期", "date", en="Established"),
                C("vessel_length_m", "船长米", "float", minimum=0, en="Vessel length (m)"),
                C("crew", "船员数", "int", minimum=0, en="Crew"),
            ),
            required=True, key="enterprise_id",
            row_rules=(RowRule("both_or_neither", "latitude", "longitude"),),
            not_after_export=("established",),
        ),
        Table(
            "status_events", "生产状态变更", "Status changes",
            (
                C("enterprise_id", "企业编码", "text", required=True, references="enterprises.enterprise_id", en="Enterprise ID"),
                C("date", "变更日期", "date", required=True, en="Date of change"),
                C("status", "生产状态", "code", required=True, codes=STATUS, en="Status"),
                C("reason", "原因", "code", codes=STATUS_REASONS, en="Reason"),
                C("approved", "复产验收", "bool", en="Restart approved"),
                RECORDED_DATE,
            ),
            date_column="date", not_after_export=("date", RECORDED), record_key=("enterprise_id", "date", "status"),
            row_rules=(_recorded_after("date"),),
        ),
        Table(
            "inspections", "执法检查", "Inspections",
            (
                C("inspection_id", "检查编号", "text", required=True, unique=True, en="Inspection ID"),
                C("enterprise_id", "企业编码", "text", required=True, references="enterprises.enterprise_id", en="Enterprise ID"),
                C("date", "检查日期", "date", required=True, en="Inspection date"),
                C("team", "检查组", "text", en="Team"),
                C("mode", "检查方式", "code", codes=INSPECTION_MODES, default="routine", en="Mode"),
                RECORDED_DATE,
            ),
            required=True, key="inspection_id", date_column="date", not_after_export=("date", RECORDED),
            row_rules=(_recorded_after("date"),),
        ),
        Table(
            "hazards", "隐患", "Hazards",
            (
                C("hazard_id", "隐患编号", "text", required=True, unique=True, en="Hazard ID"),
                C("enterprise_id", "企业编码", "text", required=True, references="enterprises.enterprise_id", en="Enterprise ID"),
                C("inspection_id", "检查编号", "text", references="inspections.inspection_id", en="Inspection ID"),
                C("found_date", "发现日期", "date", required=True, en="Found"),
                C("level", "隐患等级", "code", required=True, codes=HAZARD_LEVELS, en="Level"),
                C("category", "隐患类别", "code", codes=HAZARD_CATEGORIES, en="Category"),
                C("deadline", "整改期限", "date", en="Deadline"),
                C("rectified_date", "整改完成日期", "date", en="Rectified"),
                RECORDED_DATE,
            ),
            required=True, key="hazard_id", date_column="found_date",
            row_rules=(
                RowRule("not_before", "deadline", "found_date"),
                RowRule("not_before", "rectified_date", "found_date"),
                _recorded_after("found_date"),
            ),
            not_after_export=("found_date", "rectified_date", RECORDED),
        ),
        Table(
            "special_operations", "特殊作业", "Special operations",
            (
                C("permit_id", "作业票编号", "text", required=True, unique=True, en="Permit ID"),
                C("enterprise_id", "企业编码", "text", required=True, references="enterprises.enterprise_id", en="Enterprise ID"),
                C("kind", "作业类型", "code", required=True, codes=OPERATION_KINDS, en="Kind"),
                C("start_date", "开始日期", "date", required=True, en="Start"),
                C("end_date", "结束日期", "date", required=True, en="End"),
                C("contractor", "作业单位", "text", en="Contractor"),
                C("operators", "作业人数", "int", minimum=1, en="Operators"),
                C("certified_operators", "持证人数", "int", minimum=0, en="Certified operators"),
            ),
            key="permit_id", date_column="start_date", not_after_export=("start_date",),
            row_rules=(
                RowRule("not_before", "end_date", "start_date"),
                RowRule("not_above", "certified_operators", "operators"),
            ),
        ),
        Table(
            "contracts", "外包", "Outsourcing contracts",
            (
                C("contract_id", "合同编号", "text", required=True, unique=True, en="Contract ID"),
                C("enterprise_id", "企业编码", "text", required=True, references="enterprises.enterprise_id", en="Enterprise ID"),
                C("contractor", "承包单位", "text", required=True, en="Contractor"),
                C("start_date", "开始日期", "date", required=True, en="Start"),
                C("end_date", "结束日期", "date", required=True, en="End"),
                C("work", "外包内容", "text", en="Work"),
                C("contractor_qualified", "资质合规", "bool", en="Contractor qualified"),
                C("safety_agreement", "安全管理协议", "bool", en="Safety agreement"),
            ),
            key="contract_id", date_column="start_date", not_after_export=("start_date",),
            row_rules=(RowRule("not_before", "end_date", "start_date"),),
        ),
        Table(
            "penalties", "行政处罚", "Penalties",
            (
                C("penalty_id", "处罚编号", "text", required=True, unique=True, en="Penalty ID"),
                C("enterprise_id", "企业编码", "text", required=True, references="enterprises.enterprise_id", en="Enterprise ID"),
                C("date", "处罚日期", "date", required=True, en="Date"),
                C("kind", "处罚种类", "code", required=True, codes=PENALTY_KINDS, en="Kind"),
                C("amount_yuan", "罚款金额", "float", minimum=0, en="Amount (yuan)"),
                RECORDED_DATE,
            ),
            key="penalty_id", date_column="date", not_after_export=("date", RECORDED),
            row_rules=(_recorded_after("date"),),
        ),
        Table(
            "accidents", "事故", "Accidents",
            (
                C("accident_id", "事故编号", "text", required=True, unique=True, en="Accident ID"),
                C("enterprise_id", "企业编码", "text", required=True, references="enterprises.enterprise_id", en="Enterprise ID"),
                C("date", "事故日期", "date", required=True, en="Date"),
                C("severity", "事故等级", "code", required=True, codes=ACCIDENT_SEVERITIES, en="Severity"),
                C("deaths", "死亡人数", "int", minimum=0, en="Deaths"),
                C("injuries", "受伤人数", "int", minimum=0, en="Injuries"),
                RECORDED_DATE,
            ),
            key="accident_id", date_column="date", not_after_export=("date", RECORDED),
            row_rules=(_recorded_after("date"),),
        ),
        Table(
            "weather_alerts", "气象预警", "Weather alerts",
            (
                C("alert_id", "预警编号", "text", required=True, unique=True, en="Alert ID"),
                C("kind", "预警类型", "code", required=True, codes=ALERT_KINDS, en="Kind"),
                C("level", "预警级别", "code", required=True, codes=ALERT_LEVELS, en="Level"),
                C("start_date", "开始日期", "date", required=True, en="Start"),
                C("end_date", "结束日期", "date", required=True, en="End"),
                C("town_id", "镇街编码", "text", references="towns.town_id", en="Town ID"),
            ),
            key="alert_id", date_column="start_date", not_after_export=("start_date",),
            row_rules=(RowRule("not_before", "end_date", "start_date"),),
        ),
        Table(
            "power_usage", "用电数据", "Power usage",
            (
                C("enterprise_id", "企业编码", "text", required=True, references="enterprises.enterprise_id", en="Enterprise ID"),
                C("period_start", "开始日期", "date", required=True, en="Period start"),
                C("period_end", "结束日期", "date", required=True, en="Period end"),
                C("kwh", "用电量千瓦时", "float", required=True, minimum=0, en="Electricity (kWh)"),
            ),
            # A metering period is known once it has ended.
            date_column="period_end", not_after_export=("period_end",), record_key=("enterprise_id", "period_start"),
            row_rules=(RowRule("not_before", "period_end", "period_start"),),
            no_overlap=("enterprise_id", "period_start", "period_end"),
        ),
    )
}

REQUIRED_TABLES = tuple(name for name, t in TABLES.items() if t.required)
OPTIONAL_TABLES = tuple(name for name, t in TABLES.items() if not t.required)
# Tables in an order where every reference points to an earlier table.
LOAD_ORDER = (
    "towns", "enterprises", "status_events", "inspections", "hazards", "special_operations",
    "contracts", "penalties", "accidents", "weather_alerts", "power_usage",
)

# Spellings the contract accepts.
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "是", "有"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "否", "无"})
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")

# The risk list the system gives back: columns in this order, UTF-8 with BOM.
RISK_LIST_COLUMNS = ("enterprise_id", "as_of", "score", "rank", "risk_level", "reasons", "model_version")
RISK_LIST_LABELS = {
    "enterprise_id": ("企业编码", "Enterprise ID"),
    "as_of": ("评估日期", "As of"),
    "score": ("风险概率", "Score"),
    "rank": ("排名", "Rank"),
    "risk_level": ("风险等级", "Risk level"),
    "reasons": ("主要原因", "Reasons"),
    "model_version": ("模型版本", "Model version"),
}


def table(name: str) -> Table:
    return TABLES[name]


def header_aliases(table_name: str) -> dict[str, str]:
    """Every accepted header spelling (English name, Chinese name) -> English name."""
    aliases: dict[str, str] = {}
    for col in TABLES[table_name].columns:
        aliases[col.name] = col.name
        aliases[col.zh] = col.name
    return aliases


def code_aliases(column: Column) -> dict[str, str]:
    """Every accepted spelling of a code (English code, Chinese label) -> English code."""
    aliases: dict[str, str] = {}
    for c in column.codes:
        aliases[c.code] = c.code
        aliases[c.zh] = c.code
    return aliases


@cache  # the contract does not change: one dict per column, not one per column per import
def code_spellings(column: Column) -> dict[str, str]:
    """``code_aliases`` with every spelling lower-cased (how the import and the mapping compare cells)."""
    return {k.lower(): v for k, v in code_aliases(column).items()}


def code_label(codes: tuple[Code, ...], code: str, lang: str = "zh") -> str:
    for c in codes:
        if c.code == code:
            return c.zh if lang == "zh" else c.en
    return code


def column_label(table_name: str, column_name: str, lang: str = "zh") -> str:
    col = TABLES[table_name].column(column_name)
    return col.zh if lang == "zh" else col.label_en
