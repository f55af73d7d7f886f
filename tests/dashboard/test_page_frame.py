"""One page frame: every page's header, standard stores and body come from ``layout.page_frame``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from dash import dcc, html

from dashboard.components.layout import page_frame

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p for p in (ROOT / "dashboard" / "pages").glob("*.py") if "dash.register_page(" in p.read_text(encoding="utf-8"))
DATES = [pd.Timestamp("2026-03-01"), pd.Timestamp("2026-01-30")]


def _ids(component: object) -> list[str]:
    if isinstance(component, list | tuple):
        return [i for c in component for i in _ids(c)]
    own = [component.id] if isinstance(getattr(component, "id", None), str) else []
    children = getattr(component, "children", None)
    return own + (_ids(children) if children is not None and not isinstance(children, str) else [])


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_every_page_lays_out_through_the_frame(path: Path):
    text = path.read_text(encoding="utf-8")
    assert "page_frame(" in text
    assert "page_header(" not in text and '-lang-store", data=lang)' not in text and 'className="page-body"' not in text


def test_a_dated_page_gets_header_picker_switch_stores_and_body_in_order():
    frame = page_frame("demo", "演示", "zh", [html.P("正文", id="demo-text")], as_of=DATES[0], dates=DATES,
                       stores=[dcc.Download(id="demo-download")])
    header, *stores, body = frame.children
    assert header.children[0].children == "演示"
    picker = header.children[1].children[1]
    assert picker.id == "demo-as-of" and picker.value == "2026-03-01"
    assert [o["label"] for o in picker.options] == ["2026年3月1日", "2026年1月30日"]
    assert header.children[2].children[0].id == "demo-lang"  # the language switch
    assert [s.id for s in stores] == ["demo-lang-store", "demo-url-state", "demo-download"] and stores[0].data == "zh"
    assert body.className == "page-body" and _ids(body) == ["demo-text"]


def test_nothing_to_show_gives_the_notice_in_the_pages_language():
    frame = page_frame("demo", "Demo", "en", None, as_of=None, dates=[])
    body = frame.children[-1]
    assert body.children[0].id == "demo-notice" and body.children[0].children.startswith("No risk list yet")
    own = page_frame("demo", "Demo", "zh", None, empty="暂无通报")
    assert own.children[-1].children[0].children == "暂无通报"


def test_a_page_without_a_date_or_a_switch_keeps_only_what_it_asks_for():
    frame = page_frame("admin", "系统管理", "zh", [html.Div(id="admin-box")], language=False, lang_store=False,
                       url_state=False, stores=[dcc.Store(id="admin-lang", data="zh")])
    header, store, body = frame.children
    assert [c.children for c in header.children] == ["系统管理"]
    assert store.id == "admin-lang" and _ids(body) == ["admin-box"]
