"""The data-quality page (issue 17 item 5): office and leader only, the report of the store in either
language, the workbook downloaded and audited; the panel the import page can reuse."""

from __future__ import annotations

import base64
import importlib
import io
import re

import dash
import openpyxl
import summary_county as county
import pytest

from analytics.accounts.users import User
from analytics.store.database import open_store, set_meta
from dashboard import auth
from dashboard.authz.table import TABLE


@pytest.fixture(scope="module")
def page():
    dash.Dash("dashboard", use_pages=True, pages_folder="", serve_locally=True)
    return importlib.import_module("dashboard.pages.quality")


@pytest.fixture
def audited(monkeypatch: pytest.MonkeyPatch, tmp_path) -> list[tuple]:
    from analytics.store.writing import write_tables
    from dashboard.components import data

    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    write_tables(store, county.tables())
    set_meta(store, {"last_export_date": "2026-03-01"})
    calls: list[tuple] = []
    monkeypatch.setattr(data, "store", lambda: store)
    monkeypatch.setattr(auth, "current_user", lambda: User("wang", "office", None, "王科长"))
    monkeypatch.setattr(auth, "audit", lambda action, object_id=None, **details: calls.append((action, object_id, details)))
    return calls


def _texts(component: object) -> list[str]:
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [t for c in component for t in _texts(c)]
    children = getattr(component, "children", None)
    return _texts(children) if children is not None else []


def _grids(component: object) -> list[object]:
    if isinstance(component, list | tuple):
        return [g for c in component for g in _grids(c)]
    own = [component] if hasattr(component, "rowData") else []
    children = getattr(component, "children", None)
    return own + (_grids(children) if children is not None and not isinstance(children, str) else [])


def test_office_and_leader_open_it_and_its_callbacks_no_one_else() -> None:
    assert auth.PAGE_ROLES["/quality"] == frozenset({"office", "leader"})
    assert auth.PAGE_PREFIXES["quality-"] == "/quality"
    for key in ("quality-body.children", "quality-download.data"):
        assert {role for role in ("office", "leader", "analyst", "inspector", "admin") if TABLE[key].allows(role)} == \
            {"office", "leader"}


@pytest.mark.parametrize(("lang", "words"), [("zh", ("数据质量", "引用缺失", "模型将缺少")),
                                            ("en", ("Data quality", "Orphan rows", "The model will lack"))])
def test_the_page_shows_the_store_s_report(page, audited, lang, words) -> None:
    layout = page.layout(lang=lang)
    assert any("quality" in str(getattr(c, "id", "")) for c in layout.children)
    body = page.show(0, lang)
    text = " ".join(_texts(body))
    assert all(w in text for w in words), text[:400]
    grids = _grids(body)
    assert len(grids) == 8 and all(g.id.startswith("quality-quality-") for g in grids)
    completeness = next(g for g in grids if g.id == "quality-quality-completeness")
    assert any(c.get("valueFormatter") for c in completeness.columnDefs)  # shares shown as percentages
    dates = next(g for g in grids if g.id == "quality-quality-dates")
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(row["c5"])) for row in dates.rowData if row["c5"])


def test_an_empty_store_says_to_import_first(page, monkeypatch, tmp_path) -> None:
    from dashboard.components import data

    empty = open_store(f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setattr(data, "store", lambda: empty)
    assert _texts(page.show(0, "zh")) == ["库中尚无数据，请先导入。"]


def test_the_download_is_the_workbook_and_is_audited(page, audited) -> None:
    sent = page.export(1, "en")
    assert sent["filename"] == "quality_20260301.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(sent["content"])))
    assert book.sheetnames[:2] == ["Tables", "Completeness"]
    assert audited and audited[0][:2] == ("export_list", "quality") and audited[0][2]["rows"] > 0
