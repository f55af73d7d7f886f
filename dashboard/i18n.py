"""The dashboard's words in Chinese (default) and English, and how numbers and dates are written.

``t(key, lang)`` looks a phrase up in ``CATALOGUE``; contract labels (sectors, levels, columns) come
from ``analytics.schema`` through ``label``. The chosen language travels in the ``lang`` URL
parameter or the ``saferank_lang`` cookie (set by the language switch, read on every page load):
``current_lang(query_lang)`` picks it.
"""

from __future__ import annotations

import math

import pandas as pd

from analytics.schema import Code

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
COOKIE = "saferank_lang"

CATALOGUE: dict[str, tuple[str, str]] = {
    "app.title": ("SafeRank 安全生产风险靶向", "SafeRank risk targeting"),
    "lang.switch": ("语言", "Language"),
    "as_of": ("评估日期", "As of"),
    "no_lists": ("尚无风险清单：请先导入数据并评分（saferank score）。",
                 "No risk list yet: import data and score it first (saferank score)."),
    "no_data": ("暂无数据", "No data"),
    "change_since": ("较上期", "vs previous period"),
    "period_note": ("统计周期：截至评估日期的 {days} 天；上期为之前的 {days} 天。",
                    "Period: the {days} days up to the as-of date; previous period: the {days} days before."),
    # overview
    "overview.name": ("总览", "Overview"),
    "overview.heatmap": ("镇街 × 行业领域", "Town × sector"),
    "overview.heatmap_hint": ("点击单元格查看该镇街、该行业的风险清单", "Click a cell to open the risk list for that town and sector"),
    "overview.map": ("各镇街平均风险概率", "Mean calibrated risk by town"),
    "overview.map_missing": ("没有镇街边界数据，无法显示地图。", "No town boundaries are available, so no map is shown."),
    "overview.trend": ("每周发现与整改隐患", "Hazards found vs rectified per week"),
    "overview.found": ("发现", "Found"),
    "overview.rectified": ("整改", "Rectified"),
    "overview.week": ("周", "Week"),
    "overview.enterprises": ("企业数", "Enterprises"),
    # risk list
    "risk-list.name": ("风险清单", "Risk list"),
    "risk-list.town": ("镇街", "Town"),
    "risk-list.sector": ("行业领域", "Sector"),
    "risk-list.level": ("风险等级", "Risk level"),
    "risk-list.flags": ("重点标记", "Key flags"),
    "risk-list.search": ("企业名称或编码", "Enterprise name or ID"),
    "risk-list.all": ("全部", "All"),
    "risk-list.count": ("共 {total} 家企业", "{total} enterprises"),
    "risk-list.export_xlsx": ("导出 Excel", "Export Excel"),
    "risk-list.export_csv": ("导出清单 CSV（数据规范格式）", "Export list CSV (contract format)"),
    "risk-list.share": ("本页网址即为当前筛选，可直接分享。", "This page's address holds the filters: share it as is."),
    "risk-list.name_col": ("企业名称", "Enterprise"),
    "risk-list.top_reason": ("首要原因", "Top reason"),
    "risk-list.open": ("打开", "Open"),
    # enterprise
    "enterprise.name": ("企业画像", "Enterprise"),
    "enterprise.pick": ("请输入企业编码或从风险清单点击一家企业。", "Enter an enterprise ID, or click one in the risk list."),
    "enterprise.id": ("企业编码", "Enterprise ID"),
    "enterprise.profile": ("基本情况", "Profile"),
    "enterprise.history": ("风险概率与等级变化", "Score and level over time"),
    "enterprise.reasons": ("主要原因", "Reasons"),
    "enterprise.timeline": ("时间线", "Timeline"),
    "enterprise.not_listed": ("该日期的风险清单中没有这家企业。", "This enterprise is not on the list of that date."),
    "enterprise.inspections": ("检查次数", "Inspections"),
    "enterprise.hazards": ("隐患数", "Hazards"),
    "enterprise.major_hazards": ("重大隐患数", "Major hazards"),
    "enterprise.open_hazards": ("未整改隐患", "Open hazards"),
    "enterprise.overdue_hazards": ("逾期未改隐患", "Overdue hazards"),
    "enterprise.date": ("日期", "Date"),
    "enterprise.kind": ("类型", "Kind"),
    "enterprise.detail": ("内容", "Detail"),
    "enterprise.state": ("整改状态", "Rectification state"),
    "enterprise.rank": ("排名", "Rank"),
    # follow-up
    "followup.name": ("隐患整改", "Follow-up"),
    "followup.by": ("分组", "Group by"),
    "followup.states": ("隐患整改状态（近 {days} 天内曾未整改的隐患）", "Hazard states (hazards open at some time in the last {days} days)"),
    "followup.overdue": ("逾期未改隐患（最早到期在前）", "Overdue hazards (oldest deadline first)"),
    "followup.rate": ("按整改期限月份的整改率", "Rectification rate by month of deadline"),
    "followup.rate_all": ("已整改", "Rectified"),
    "followup.rate_on_time": ("按期整改", "On time"),
    "followup.days_overdue": ("逾期天数", "Days overdue"),
    "followup.month": ("月份", "Month"),
    "followup.count": ("隐患数", "Hazards"),
    # model
    "model.name": ("模型", "Model"),
    "model.card": ("在用模型", "Serving model"),
    "model.precision": ("前 k% 企业的命中率", "Precision at top k%"),
    "model.k": ("检查前 k% 的企业", "Top k% of enterprises inspected"),
    "model.random": ("随机抽查", "Random"),
    "model.rule": ("经验评分法", "Rule of thumb"),
    "model.calibration": ("校准曲线", "Calibration"),
    "model.predicted": ("预测概率", "Predicted probability"),
    "model.observed": ("实际发生率", "Observed rate"),
    "model.per_group": ("按镇街 / 行业的命中率", "Precision by town / sector"),
    "model.importance": ("特征重要性", "Feature importance"),
    "model.versions": ("模型版本对比", "Versions side by side"),
    "model.missing": ("尚无模型或回测结果。", "No model or backtest results yet."),
}


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The phrase ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    zh, en = CATALOGUE[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


def label(codes: tuple[Code, ...], code: object, lang: str = DEFAULT_LANG) -> str:
    """A coded value's label from a contract (or summary) code table; unknown codes as they are."""
    for c in codes:
        if c.code == code:
            return c.zh if lang == "zh" else c.en
    return "" if code is None or (isinstance(code, float) and math.isnan(code)) else str(code)


def labels(codes: tuple[Code, ...], lang: str = DEFAULT_LANG) -> dict[str, str]:
    return {c.code: (c.zh if lang == "zh" else c.en) for c in codes}


def options(codes: tuple[Code, ...], lang: str = DEFAULT_LANG) -> list[dict[str, str]]:
    """Dropdown/checklist options for a code table."""
    return [{"label": c.zh if lang == "zh" else c.en, "value": c.code} for c in codes]


def normal_lang(value: object) -> str | None:
    return value if value in LANGS else None


def current_lang(query_lang: object = None) -> str:
    """The language of this request: URL ``lang``, else the cookie, else Chinese."""
    chosen = normal_lang(query_lang)
    if chosen:
        return chosen
    try:
        import flask

        return (
            normal_lang(flask.request.cookies.get(COOKIE))
            or normal_lang(flask.current_app.config.get("SAFERANK_LANGUAGE"))
            or DEFAULT_LANG
        )
    except RuntimeError:  # outside a request (tests calling layouts directly)
        return DEFAULT_LANG


def number(value: object, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """A count or amount: ``12,345``; in Chinese, 10,000 and up as ``1.23万``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    value = float(value)
    if lang == "zh" and abs(value) >= 10_000:
        return f"{value / 10_000:,.2f}万".replace(".00万", "万")
    return f"{value:,.{digits}f}"


def percent(value: object, lang: str = DEFAULT_LANG, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


def change(value: object, lang: str = DEFAULT_LANG, as_percent: bool = False) -> str:
    """A signed change: ``+12`` / ``−3`` / ``+4.0 个百分点`` (percentage points for rates)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    value = float(value)
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    if as_percent:
        unit = " 个百分点" if lang == "zh" else " pp"
        return f"{sign}{abs(value) * 100:.1f}{unit}"
    return f"{sign}{number(abs(value), lang)}"


def date(value: object, lang: str = DEFAULT_LANG) -> str:
    """``2026年3月1日`` / ``1 Mar 2026``."""
    if value is None or pd.isna(value):
        return "—"
    stamp = pd.Timestamp(value)
    return f"{stamp.year}年{stamp.month}月{stamp.day}日" if lang == "zh" else f"{stamp.day} {stamp:%b %Y}"
