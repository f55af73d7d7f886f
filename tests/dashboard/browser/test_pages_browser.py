"""Every page of the real app in headless chromium, signed in: each page a role may open loads in both
languages without console errors and from this server only; and the clicks the office relies on
(heatmap cell → list, filter, row → enterprise, language, export) work on the tiny county."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlparse

import dash
import pandas as pd
import pytest
from conftest import SCREENSHOTS, settle
from playwright.sync_api import Page, expect

from dashboard import auth

pytestmark = pytest.mark.browser
QUERY = {"/enterprise": {"id": "E1"}}  # pages that show nothing useful without a parameter
ROWS = "#risk-list-grid .ag-center-cols-container .ag-row"


def _watch(page: Page) -> tuple[list[str], list[str]]:
    """(console errors, page errors and callback requests the guard refused, every URL the page
    requested) from now on. A refusal means the guard's rule for a callback is stricter than what
    Dash's renderer really sends (``test_callbacks_browser`` checks the other roles' pages)."""
    errors: list[str] = []
    requested: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requested.append(request.url))
    page.on("response", lambda response: errors.append(f"refused {response.status}: {response.text()[:200]}")
            if urlparse(response.url).path == "/_dash-update-component" and response.status >= 400 else None)
    return errors, requested


def _open(page: Page, url: str) -> None:
    page.goto(url)
    settle(page)


def _has_han(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith("CJK UNIFIED") for ch in text)


def _role_for(path: str) -> str:
    """The office opens every page it may; other pages are opened by the first role that may."""
    allowed = auth.PAGE_ROLES[path]
    return "office" if "office" in allowed else sorted(allowed)[0]


def _registered(path: str) -> dict:
    page = next((p for p in dash.page_registry.values() if p["path"] == path), None)
    if page is None:
        pytest.skip(f"{path} is in auth.PAGE_ROLES but no page module registers it (yet)")
    return page


def test_every_registered_page_is_in_the_role_table_so_it_is_loaded_below(site) -> None:
    paths = {page["path"] for page in dash.page_registry.values()}
    assert {"/", "/risk-list", "/enterprise", "/followup"} <= paths
    assert paths <= set(auth.PAGE_ROLES), paths - set(auth.PAGE_ROLES)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", sorted(auth.PAGE_ROLES))
def test_page_loads_in_each_language_from_this_server_without_console_errors(site, open_as, path: str, lang: str) -> None:
    registered = _registered(path)
    page = open_as(_role_for(path))
    errors, requested = _watch(page)
    query = {**QUERY.get(path, {}), **({"lang": "en"} if lang == "en" else {})}  # zh is the default
    _open(page, site.url + path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""))
    title = page.locator("#_pages_content .page-title").inner_text()
    assert title and _has_han(title) == (lang == "zh"), title
    nav = page.locator(f"#app-nav a[href='{registered['relative_path']}']")
    expect(nav).to_have_text(registered["name"] if lang == "zh" else registered.get("name_en", registered["name"]))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{path.strip('/') or 'overview'}-{lang}.png"), full_page=True)
    host = urlparse(site.url).netloc
    sources = page.eval_on_selector_all("script[src], link[href]", "els => els.map(e => e.src || e.href)")
    foreign = [url for url in requested + sources if not url.startswith("data:") and urlparse(url).netloc != host]
    assert requested and not foreign, foreign
    assert errors == []


def test_heatmap_click_opens_the_filtered_list_and_a_row_opens_the_enterprise(site, open_as) -> None:
    page = open_as("office")
    errors, _ = _watch(page)
    _open(page, site.url + "/?metric=overdue")
    heatmap = page.locator("#overview-heatmap .nsewdrag").first
    heatmap.wait_for(timeout=10_000)
    box = heatmap.bounding_box()
    # Two towns down, two sectors across: the lower right cell is 沿海镇 × 城镇燃气.
    heatmap.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.75})
    expect(page).to_have_url(re.compile(r"/risk-list\?town=T2&sector=gas"), timeout=10_000)
    page.wait_for_selector(ROWS, timeout=10_000)
    expect(page.locator("#risk-list-count")).to_contain_text("共 1 家企业")
    expect(page.locator(ROWS)).to_have_count(1)
    page.locator(f"{ROWS} .ag-cell[col-id='name']").first.click()
    expect(page).to_have_url(re.compile(r"/enterprise\?id=E3"), timeout=10_000)
    expect(page.locator("#enterprise-profile")).to_contain_text("丙燃气")
    assert errors == []


def test_filters_go_into_the_address_and_narrow_the_list(site, open_as) -> None:
    page = open_as("office")
    _open(page, site.url + "/risk-list")
    page.wait_for_selector(ROWS, timeout=10_000)
    expect(page.locator(ROWS)).to_have_count(3)
    page.locator("#risk-list-flag input[value='unapproved_restart']").check()
    expect(page.locator("#risk-list-count")).to_contain_text("共 1 家企业")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS)).to_contain_text("乙燃气")
    assert "flag=unapproved_restart" in page.url
    _open(page, page.url)  # the shared address shows the same view
    expect(page.locator("#risk-list-count")).to_contain_text("共 1 家企业")


def test_language_switch_changes_the_page_and_sticks(site, open_as) -> None:
    page = open_as("office", fresh=True)  # the switch sets the language cookie: keep it to this test
    _open(page, site.url + "/followup")
    expect(page.locator(".page-title")).to_have_text("隐患整改")
    overdue = page.locator("#followup-overdue .ag-center-cols-container .ag-row")
    expect(overdue).to_have_count(3)  # H3, H5, H6, served block by block
    expect(overdue.first).to_contain_text("乙燃气")
    page.locator("#followup-lang input[value='en']").check()
    expect(page.locator(".page-title")).to_have_text("Follow-up", timeout=10_000)
    _open(page, site.url + "/risk-list")  # another page, no parameter: the cookie carries the choice
    expect(page.locator(".page-title")).to_have_text("Risk list")
    page.locator("#risk-list-lang input[value='zh']").check()
    expect(page.locator(".page-title")).to_have_text("风险清单", timeout=10_000)


def test_export_downloads_the_filtered_list_and_is_audited(site, open_as) -> None:
    from analytics.accounts import audit

    page = open_as("office")
    _open(page, site.url + "/risk-list?sector=gas")
    page.wait_for_selector(ROWS, timeout=10_000)
    with page.expect_download() as download:
        page.locator("#risk-list-export-xlsx").click()
    # the filter rides in the file name, and a cover row (title, date, filters) sits above the header
    assert download.value.suggested_filename == "risk_list_20260301_城镇燃气.xlsx"
    assert "城镇燃气" in str(pd.read_excel(download.value.path(), header=None, nrows=1).iloc[0, 0])
    sheet = pd.read_excel(download.value.path(), header=1)
    assert list(sheet["企业编码"]) == ["E2", "E3"]
    exported = audit.search(site.store, {"action": "export_list", "username": "u-office"})
    assert list(exported["object_id"]) == ["2026-03-01"]
