"""Layout pieces the pages share: the page header (title, as-of date, language), badges, cards, notices."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from dash import dcc, html

from analytics.contract.schema import RISK_LEVELS
from dashboard import i18n
from dashboard.components import RISK_LEVEL_COLORS, RISK_LEVEL_TEXT
from dashboard.components.language import language_switch


def as_of_options(dates: Sequence[pd.Timestamp], lang: str) -> list[dict[str, str]]:
    return [{"label": i18n.date(d, lang), "value": f"{d:%Y-%m-%d}"} for d in dates]


def page_header(prefix: str, title: str, lang: str, as_of: pd.Timestamp | None, dates: Sequence[pd.Timestamp]) -> html.Div:
    """Title, the as-of date picker (``{prefix}-as-of``) and the language switch."""
    picker = html.Div(
        [
            html.Label(i18n.t("as_of", lang), htmlFor=f"{prefix}-as-of"),
            dcc.Dropdown(
                id=f"{prefix}-as-of",
                options=as_of_options(dates, lang),
                value=None if as_of is None else f"{as_of:%Y-%m-%d}",
                clearable=False,
                className="as-of-picker",
            ),
        ],
        className="as-of-box",
    )
    return html.Div(
        [html.H1(title, className="page-title"), picker, language_switch(prefix, lang)],
        className="page-header",
    )


def level_badge(level: str, lang: str) -> html.Span:
    """A 红橙黄蓝 badge with the level's label."""
    return html.Span(
        i18n.label(RISK_LEVELS, level, lang),
        className=f"level-badge level-{level}",
        style={"backgroundColor": RISK_LEVEL_COLORS.get(level, "#777"), "color": RISK_LEVEL_TEXT.get(level, "#fff")},
    )


def kpi_card(prefix: str, metric: str, title: str, value: str, change: str, trend: float | None) -> html.Div:
    direction = "flat" if trend is None or pd.isna(trend) or trend == 0 else ("up" if trend > 0 else "down")
    return html.Div(
        [
            html.Div(title, className="kpi-title"),
            html.Div(value, className="kpi-value", id=f"{prefix}-kpi-{metric}"),
            html.Div(change, className=f"kpi-change kpi-{direction}"),
        ],
        className="kpi-card",
    )


def notice(text: str, prefix: str) -> html.Div:
    return html.Div(text, className="notice", id=f"{prefix}-notice")


def section(title: str, *children: object, class_name: str = "") -> html.Section:
    return html.Section([html.H2(title, className="section-title"), *children], className=f"panel {class_name}".strip())
