"""One phrase book: every page's words live in dashboard/i18n.py, in both languages, and a Chinese page shows
no English of its own."""

from __future__ import annotations

import ast
import importlib
import re
import string
from pathlib import Path
from unittest import mock

import dash
import pandas as pd
import pytest
import summary_county as county

from dashboard import i18n

ROOT = Path(__file__).resolve().parents[2]
PAGE_FILES = sorted((ROOT / "dashboard" / "pages").glob("*.py"))
DASHBOARD_FILES = sorted((ROOT / "dashboard").rglob("*.py"))
CJK = re.compile(r"[\u4e00-\u9fff]")
# ASCII words a Chinese page may show: the product, the switch to English, file formats, commands, date patterns
ALLOWED_WORDS = {"SafeRank", "English", "Excel", "CSV", "HTML", "saferank", "score", "train", "YYYY", "MM", "DD",
                 "towns", "geojson", "pp", "yyyy", "mm", "dd", "Ctrl", "Brier", "MB", "xlsx", "csv", "zip"}

OTHER_LANGUAGE = {"login.switch"}  # the link to the other language is written in that language


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _phrase_tables(tree: ast.AST) -> list[int]:
    """Lines of dict literals mapping keys to (Chinese, English) pairs: a page's own phrase table."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict) or len(node.values) < 2:
            continue
        pairs = [v for v in node.values if isinstance(v, ast.Tuple) and len(v.elts) == 2
                 and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in v.elts)]
        if len(pairs) >= 2 and any(CJK.search(p.elts[0].value) for p in pairs):
            found.append(node.lineno)
    return found


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_no_page_keeps_a_phrase_table_of_its_own(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert _phrase_tables(tree) == [], f"{path.name} defines its own zh/en phrases; add them to dashboard/i18n.py"
    assert not hasattr(i18n, "phrase")  # the second lookup (a page's table) is gone


def _inline_pairs(tree: ast.AST) -> list[int]:
    """Lines of ``"中文" if lang == "zh" else "English"``: a phrase that bypasses the phrase book."""
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.IfExp) and isinstance(node.body, ast.Constant) and isinstance(node.body.value, str)
            and CJK.search(node.body.value)]


@pytest.mark.parametrize("path", [p for p in DASHBOARD_FILES if p.name != "i18n.py"], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_dashboard_module_spells_a_phrase_inline(path: Path):
    assert _inline_pairs(ast.parse(path.read_text(encoding="utf-8"))) == []


def test_every_phrase_has_both_languages_with_the_same_fields():
    for key, pair in i18n.CATALOGUE.items():
        assert isinstance(pair, tuple) and len(pair) == 2, key
        zh, en = pair
        assert zh.strip() and en.strip(), key
        assert _fields(zh) == _fields(en), key
        if key in OTHER_LANGUAGE:
            continue
        assert CJK.search(zh), f"{key}: the Chinese phrase has no Chinese"
        assert not CJK.search(en), f"{key}: the English phrase has Chinese in it"


def _literal_keys() -> set[tuple[str, str]]:
    """(file, key) of every ``i18n.t("literal", ...)`` and ``i18n.page_names("literal")`` in the dashboard."""
    keys = set()
    for path in DASHBOARD_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "i18n" and node.args and isinstance(node.args[0], ast.Constant)):
                if node.func.attr == "t":
                    keys.add((path.name, node.args[0].value))
                elif node.func.attr == "page_names":
                    keys.add((path.name, f"nav.{node.args[0].value}"))
    return keys


def test_every_key_the_dashboard_asks_for_is_in_the_phrase_book():
    keys = _literal_keys()
    assert len(keys) > 150  # the scan finds the pages' lookups
    missing = sorted(f"{name}: {key}" for name, key in keys if key not in i18n.CATALOGUE)
    assert missing == []


def test_every_page_registers_its_names_from_the_phrase_book():
    registering = [p for p in PAGE_FILES if "dash.register_page(" in p.read_text(encoding="utf-8")]
    assert len(registering) >= 12  # every Dash page (the sign-in page is plain HTML)
    for path in registering:
        assert re.search(r'dash\.register_page\(__name__, path="[^"]*", order=\d+, \*\*i18n\.page_names\("[\w-]+"\)\)',
                         path.read_text(encoding="utf-8")), path.name
    assert i18n.page_names("risk-list") == {"name": "风险清单", "name_en": "Risk list", "title": "SafeRank 风险清单"}


def test_grids_get_their_words_from_the_phrase_book():
    assert i18n.grid_locale("zh")["noRowsToShow"] == "没有数据" and i18n.grid_locale("en") == {}


# --- no English of the page's own on a Chinese page (the tiny county's data is Chinese too) ---------------------

# every page a user opens (the sign-in page is plain HTML); those marked read the store or the app's settings
PAGES = ("overview", "risk_list", "enterprise", "followup", "places", "people", "dispositions", "bulletin", "model",
         "quality", "alerts", "inspector", "plan", "admin", "data_import")
# what Dash's and AG Grid's own components show when a page does not give them words (their English defaults)
DROPDOWN_DEFAULTS = ("Search", "Select All", "Deselect All", "{num_selected} selected", "No options found")
GRID_DEFAULTS = ("Page", "of", "Search...", "(Select All)", "Press SPACE to deselect this row", "No Rows To Show")
# the AG Grid words of the set filter, row selection and paging the pages use
GRID_KEYS = ("selectAll", "selectAllSearchResults", "searchOoo", "blanks", "noMatches", "ariaRowSelect", "ariaRowDeselect",
             "ariaRowToggleSelection", "ariaRowSelectAll", "ariaChecked", "ariaUnchecked", "selectedRows", "page", "of",
             "to", "firstPage", "lastPage", "nextPage", "previousPage", "pageSizeSelectorLabel", "noRowsToShow")
FULL_WIDTH = re.compile(r"[（）：，。；！？、]")


@pytest.fixture(scope="module")
def pages() -> dict[str, object]:
    app = dash.Dash("dashboard", use_pages=True, pages_folder="", serve_locally=True)
    modules = {name: importlib.import_module(f"dashboard.pages.{name}") for name in PAGES}
    modules["_app"] = app
    return modules


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """The tiny county in a store, for the pages that read the store directly."""
    from analytics.store.database import open_store, set_meta
    from analytics.store.writing import write_tables

    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('i18n') / 'store.db'}")
    write_tables(store, county.tables())
    set_meta(store, {"last_export_date": "2026-03-01"})
    yield store
    store.dispose()


@pytest.fixture(autouse=True)
def county_data(monkeypatch: pytest.MonkeyPatch, request):
    from analytics.accounts.users import User
    from dashboard import auth
    from dashboard.app import DEFAULTS
    from dashboard.components import data

    lists = {county.AS_OF: county.risk_list(), county.PREVIOUS_AS_OF: county.previous_risk_list()}
    data.clear()
    monkeypatch.setattr(data, "_store_key", lambda: "tiny-county")
    monkeypatch.setattr(data, "tables", county.tables)
    monkeypatch.setattr(data, "scored_dates", lambda: sorted(lists, reverse=True))
    monkeypatch.setattr(data, "risk_list", lambda as_of, lang="zh", model_version=None: lists[pd.Timestamp(as_of)])
    if "stored" in request.fixturenames:
        store = request.getfixturevalue("stored")
        monkeypatch.setattr(data, "store", lambda: store)
        monkeypatch.setitem(request.getfixturevalue("pages")["_app"].server.extensions, "saferank",
                            {"store": store, "config": dict(DEFAULTS)})
        monkeypatch.setattr(auth, "current_user", lambda: User("admin1", "admin", None, "管理员"))
        monkeypatch.setattr(auth, "audit", lambda action, object_id=None, **details: None)
    yield
    data.clear()


def _shown(component: object, lang: str) -> list[str]:
    """Every string a reader sees: children, labels, placeholders, titles, options and grid headers, and
    the words a dropdown, date picker or grid brings (its English defaults when the page gave none)."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [t for c in component for t in _shown(c, lang)]
    if isinstance(component, dict):
        return [v for k, v in component.items() if k in {"label", "headerName", "headerTooltip"} and isinstance(v, str)]
    texts = []
    for prop in ("children", "placeholder", "title", "options", "columnDefs", "start_date_placeholder_text",
                 "end_date_placeholder_text"):
        value = getattr(component, prop, None)
        if value is not None:
            texts += _shown(value, lang)
    kind = type(component).__name__
    if kind == "Dropdown":
        labels = getattr(component, "labels", None)
        texts += list(labels.values()) if labels else list(DROPDOWN_DEFAULTS)
    if kind in {"DatePickerSingle", "DatePickerRange"}:
        defaults = {"placeholder": "Select Date"} if kind == "DatePickerSingle" else {
            "start_date_placeholder_text": "Start Date", "end_date_placeholder_text": "End Date"}
        texts += [default for prop, default in defaults.items() if getattr(component, prop, None) is None]
        month = getattr(component, "month_format", None) or "MMMM YYYY"
        texts.append("March" if "MMM" in month else month)  # month names are English; numbers are not
    if kind == "AgGrid":
        locale = (getattr(component, "dashGridOptions", None) or {}).get("localeText") or {}
        texts += list(locale.values()) if locale or lang == "en" else list(GRID_DEFAULTS)
    return texts


def _render(pages: dict, name: str, lang: str) -> object:
    page = pages[name]
    query = {"id": "E1"} if name == "enterprise" else {}  # the enterprise page with its timeline
    if "as_of" in page.layout.__code__.co_varnames:
        query["as_of"] = "2026-03-01"
    from dashboard import auth

    with mock.patch.object(auth, "current_language", lambda: lang):  # the admin page reads its language there
        return page.layout(lang=lang, **query)


@pytest.mark.parametrize("name", PAGES[:10])
def test_a_chinese_page_shows_no_english_words_of_its_own(pages: dict, name: str):
    _no_english_on_chinese_page(pages, name)


@pytest.mark.parametrize("name", PAGES[10:])
def test_a_chinese_page_of_the_store_shows_no_english_words_of_its_own(pages: dict, stored, name: str):
    _no_english_on_chinese_page(pages, name)


def _no_english_on_chinese_page(pages: dict, name: str):
    zh = _render(pages, name, "zh")
    assert sum(bool(CJK.search(text)) for text in _shown(zh, "zh")) >= 3  # the walk reaches the page's words
    words = {w for text in _shown(zh, "zh") for w in re.findall(r"[A-Za-z]{2,}", re.sub(r"\{\w+\}", "", text))}
    assert sorted(words - ALLOWED_WORDS) == [], f"English on the Chinese {name} page"
    data_texts = {"中文", *county.tables()["towns"]["name"], *county.tables()["enterprises"]["name"]}
    en = _shown(_render(pages, name, "en"), "en")
    assert not [text for text in en if CJK.search(text) and text not in data_texts]  # and the other way round
    assert not [text for text in en if FULL_WIDTH.search(text) and not CJK.search(text)], "full-width punctuation in English"


def test_the_grids_speak_chinese_in_the_set_filter_selection_and_paging():
    locale = i18n.grid_locale("zh")
    assert {key for key in GRID_KEYS if not CJK.search(locale.get(key, "")) and key != "of"} == set()
    assert locale["of"] == "共" and "{num_selected}" in i18n.dropdown_labels("zh")["selected_count"]
    assert i18n.dropdown_labels("en") is None  # the dropdown's own English


def test_date_pickers_write_dates_the_chinese_way_and_start_weeks_on_monday():
    zh, en = i18n.date_picker("zh"), i18n.date_picker("en", "range")
    assert zh["display_format"] == "YYYY-MM-DD" and zh["month_format"] == "YYYY年M月" and zh["first_day_of_week"] == 1
    assert zh["placeholder"] == "选择日期" and en["start_date_placeholder_text"] == "Start date"


def test_english_phrases_use_english_punctuation():
    assert [key for key, (_zh, en) in i18n.CATALOGUE.items() if FULL_WIDTH.search(en)] == []


def test_english_counts_agree_with_their_number():
    assert i18n.t("risk-list.count", "en", total=i18n.number(1, "en")) == "1 enterprise"
    assert i18n.t("risk-list.count", "en", total=i18n.number(1200, "en")) == "1,200 enterprises"
    assert i18n.t("places.count", "en", total=0) == "0 places" and i18n.t("risk-list.count", "zh", total=1) == "共 1 家企业"
    ones = {}
    for key, (_zh, en) in i18n.CATALOGUE.items():
        fields = {f for _, f, _, _ in string.Formatter().parse(en) if f}
        ones[key] = i18n.t(key, "en", **dict.fromkeys(fields, 1)) if fields else en
    assert {key: text for key, text in ones.items() if re.search(r"\b1(\.0)? (?!was\b|is\b|has\b)[a-z]+s\b", text)} == {}
