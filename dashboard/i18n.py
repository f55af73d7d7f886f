"""The dashboard's words in Chinese (default) and English, and how numbers and dates are written.

``t(key, lang)`` looks a phrase up in ``CATALOGUE``; contract labels (sectors, levels, columns) come
from ``analytics.contract.schema`` through ``label``. The chosen language travels in the ``lang`` URL
parameter or the ``saferank_lang`` cookie (set by the language switch, read on every page load):
``current_lang(query_lang)`` picks it.
"""

from __future__ import annotations

import math

import pandas as pd

from analytics.contract.schema import Code

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
    "model.card": ("模型卡", "Model card"),
    "model.version": ("模型版本", "Model version"),
    "model.precision": ("检查前 k% 企业的命中率（回测）", "Precision at the top k% of enterprises (backtest)"),
    "model.precision_hint": (
        "命中率：排名前 k% 的企业中，随后 90 天内被检查者发现重大隐患或发生事故的比例（按被检查倾向的倒数加权），"
        "为各回测起点的平均值。数字来自训练时的回测，随模型卡保存。",
        "Precision: among the top k% of enterprises, the share of those inspected in the next 90 days where a major "
        "hazard was found or an accident happened (weighted by inverse inspection propensity), averaged over the "
        "backtest origins. The numbers come from the backtest run at training and are kept with the model card.",
    ),
    "model.precision_axis": ("命中率（加权）", "Precision (weighted)"),
    "model.k": ("检查前 k% 的企业", "Top k% of enterprises inspected"),
    "model.capacity": ("检查能力", "Capacity"),
    "model.random": ("随机顺序", "Random order"),
    "model.rule": ("经验评分卡", "Rule of thumb"),
    "model.calibration": ("校准曲线", "Calibration"),
    "model.calibration_hint": ("按预测概率十分位分组（回测中已检查的企业）：点越接近虚线，概率越可信。",
                               "Score deciles among the firms inspected in the backtest: the closer to the dotted "
                               "line, the more the probabilities can be taken at their word."),
    "model.perfect": ("完全校准", "Perfectly calibrated"),
    "model.predicted": ("预测概率", "Predicted probability"),
    "model.observed": ("实际发生率", "Observed rate"),
    "model.per_group": ("按镇街 / 行业的命中率", "Precision by town / sector"),
    "model.group_hint": ("回测各起点合计的容量内命中率；已检查企业少的组波动大。",
                         "Precision at capacity pooled over backtest origins; groups with few inspected firms vary a lot."),
    "model.by": ("分组", "Group by"),
    "model.inspected": ("已检查", "Inspected"),
    "model.positives": ("阳性", "Positives"),
    "model.importance": ("特征重要性", "Feature importance"),
    "model.importance_hint": ("训练日在营企业上，各特征对风险概率对数几率的平均绝对贡献（前 20 个）。",
                              "Mean absolute contribution of each feature to the log-odds of the score, over the firms "
                              "operating on the training date (top 20)."),
    "model.versions": ("模型版本对比", "Versions side by side"),
    "model.versions_hint": ("各版本训练时的回测指标（各起点平均）；“在用”者生成当前风险清单。",
                            "Each version's backtest at training (means over origins); the serving one makes the risk lists."),
    "model.list_version": ("{date} 的风险清单由版本 {version} 生成。", "The risk list of {date} was made by version {version}."),
    "model.not_serving": ("您查看的不是在用版本（在用：{serving}）。", "This is not the serving version (serving: {serving})."),
    "model.none": (
        "尚未登记任何模型（新县或尚未训练）。运行 saferank train：检查结果足够时训练并登记模型，不足时登记经验评分卡作为兜底；"
        "之后本页显示模型卡、回测与特征重要性。",
        "No model is registered yet (a new county, or no training run). Run saferank train: with enough inspection "
        "results it trains and registers a model, otherwise it registers the rule-of-thumb scorecard as the fallback; "
        "then this page shows the model card, the backtest and feature importance.",
    ),
    "model.fallback": ("本版本为经验评分卡兜底（已标注阳性样本不足），没有回测结果。",
                       "This version is the rule-of-thumb fallback (too few labelled positives), so there is no backtest."),
    "model.no_backtest": ("本版本训练时尚未随模型卡保存回测明细：重新训练（saferank train）后即可显示回测图表与特征重要性。",
                          "This version was trained before backtest details were kept on the card: train again "
                          "(saferank train) to see the backtest charts and feature importance."),
    "model.missing": ("尚无模型或回测结果。", "No model or backtest results yet."),
}


def phrase(table: dict[str, tuple[str, str]], key: str, lang: str, **values: object) -> str:
    """A page's own phrase ``table[key]`` (zh, en) in ``lang``, with ``{name}`` fields filled from ``values``."""
    zh, en = table[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


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
