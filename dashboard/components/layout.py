"""Layout pieces the pages share: the page frame (header, stores, body), badges, cards, notices.

``page_frame`` is the one layout preamble of every page: the header (title, the as-of picker when the
page follows a scored date, the language switch), the page's ``{prefix}-lang-store`` and
``{prefix}-url-state`` stores, any stores of its own, and the body in ``.page-body``; a page with
nothing to show yet passes ``body=None`` and gets the notice instead (no risk list by default). Every
dropdown and date picker on the page gets the page language's words (``locale.localise``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from dash import dcc, html

from analytics.contract.schema import RISK_LEVELS
from dashboard import i18n
from dashboard.components import RISK_LEVEL_COLORS, RISK_LEVEL_TEXT
from dashboard.components.language import language_switch
from dashboard.components.locale import localise


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


def page_frame(prefix: str, title: str, lang: str, body: Sequence[object] | None, *,
               as_of: pd.Timestamp | None = None, dates: Sequence[pd.Timestamp] | None = None,
               stores: Sequence[object] = (), url_state: bool = True, language: bool = True,
               lang_store: bool = True, empty: str | None = None) -> html.Div:
    """A page: header, stores, then ``body`` (or, when it is ``None``, the ``empty`` notice).

    ``dates`` (the scored dates) puts the as-of picker ``{prefix}-as-of`` in the header, set to
    ``as_of``; ``language=False`` leaves the switch out and ``lang_store=False`` / ``url_state=False``
    the page's standard stores (a page that keeps its own)."""
    if dates is not None:
        header = page_header(prefix, title, lang, as_of, dates)
    else:
        header = html.Div([html.H1(title, className="page-title"), *([language_switch(prefix, lang)] if language else [])],
                          className="page-header")
    kept: list[object] = []
    if lang_store:
        kept.append(dcc.Store(id=f"{prefix}-lang-store", data=lang))
    if url_state:
        kept.append(dcc.Store(id=f"{prefix}-url-state"))
    content = list(body) if body is not None else [notice(empty or i18n.t("no_lists", lang), prefix)]
    return localise(html.Div([header, *kept, *stores, html.Div(content, className="page-body")]), lang)


def level_badge(level: str, lang: str) -> html.Span:
    """A 红橙黄蓝 badge with the level's label."""
    return html.Span(
        i18n.label(RISK_LEVELS, level, lang),
        className=f"level-badge level-{level}",
        style={"backgroundColor": RISK_LEVEL_COLORS.get(level, "#777"), "color": RISK_LEVEL_TEXT.get(level, "#fff")},
    )


def kpi_tone(trend: float | None, better_when: str | None) -> str:
    """``good``, ``bad`` or ``flat`` for a change, by the measure's direction (``better_when`` ``up`` or
    ``down``; ``None`` for a measure neither good nor bad, e.g. hazards found)."""
    if better_when is None or trend is None or pd.isna(trend) or trend == 0:
        return "flat"
    return "good" if (trend > 0) == (better_when == "up") else "bad"


def kpi_card(prefix: str, metric: str, title: str, value: str, change: str, trend: float | None,
             better_when: str | None = None) -> html.Div:
    """A headline card; its change is green when it is an improvement, red when a deterioration."""
    tone = kpi_tone(trend, better_when)
    return html.Div(
        [
            html.Div(title, className="kpi-title"),
            html.Div(value, className="kpi-value", id=f"{prefix}-kpi-{metric}"),
            html.Div(change, className=f"kpi-change kpi-{tone}"),
        ],
        className="kpi-card",
    )


def notice(text: str, prefix: str) -> html.Div:
    return html.Div(text, className="notice", id=f"{prefix}-notice")


def section(title: str, *children: object, class_name: str = "") -> html.Section:
    return html.Section([html.H2(title, className="section-title"), *children], className=f"panel {class_name}".strip())
