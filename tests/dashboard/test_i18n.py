"""One phrase book: every page's words live in dashboard/i18n.py, in both languages, and a Chinese page shows
no English of its own."""

from __future__ import annotations

import ast
import importlib
import re
import string
from pathlib import Path

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
ALLOWED_WORDS = {"SafeRank", "English", "Excel", "CSV", "HTML", "ID", "saferank", "score", "train", "YYYY", "MM", "DD",
                 "towns", "geojson", "pp"}

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

PAGES = ("overview", "risk_list", "enterprise", "followup", "places", "people", "dispositions")


@pytest.fixture(scope="module")
def pages() -> dict[str, object]:
    dash.Dash("dashboard", use_pages=True, pages_folder="", serve_locally=True)
    return {name: importlib.import_module(f"dashboard.pages.{name}") for name in PAGES}


@pytest.fixture(autouse=True)
def county_data(monkeypatch: pytest.MonkeyPatch):
    from dashboard.components import data

    lists = {county.AS_OF: county.risk_list(), county.PREVIOUS_AS_OF: county.previous_risk_list()}
    data.clear()
    monkeypatch.setattr(data, "_store_key", lambda: "tiny-county")
    monkeypatch.setattr(data, "tables", county.tables)
    monkeypatch.setattr(data, "scored_dates", lambda: sorted(lists, reverse=True))
    monkeypatch.setattr(data, "risk_list", lambda as_of, lang="zh", model_version=None: lists[pd.Timestamp(as_of)])
    yield
    data.clear()


def _shown(component: object) -> list[str]:
    """Every string a reader sees: children, labels, placeholders, titles, options and grid headers."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [t for c in component for t in _shown(c)]
    if isinstance(component, dict):
        return [v for k, v in component.items() if k in {"label", "headerName"} and isinstance(v, str)]
    texts = []
    for prop in ("children", "placeholder", "title", "options", "columnDefs"):
        value = getattr(component, prop, None)
        if value is not None:
            texts += _shown(value)
    return texts


@pytest.mark.parametrize("name", PAGES)
def test_a_chinese_page_shows_no_english_words_of_its_own(pages: dict, name: str):
    zh = pages[name].layout(as_of="2026-03-01", lang="zh")
    assert sum(bool(CJK.search(text)) for text in _shown(zh)) >= 3  # the walk reaches the page's words
    words = {w for text in _shown(zh) for w in re.findall(r"[A-Za-z]{2,}", text)}
    assert words - ALLOWED_WORDS == set(), f"English on the Chinese {name} page"
    data_texts = {"中文", *county.tables()["towns"]["name"], *county.tables()["enterprises"]["name"]}
    en = pages[name].layout(as_of="2026-03-01", lang="en")
    assert not [text for text in _shown(en) if CJK.search(text) and text not in data_texts]  # and the other way round
