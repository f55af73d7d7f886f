"""The content pages in headless chromium: load in both languages without console errors, and the
clicks the office relies on (heatmap cell → list, filter, row → enterprise, language, export)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
PAGES = {"overview": "/", "risk-list": "/risk-list", "enterprise": "/enterprise?id=E1", "followup": "/followup"}


def _watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#_pages_content .page-header", timeout=15_000)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_without_console_errors(page: Page, base_url: str, name: str, lang: str) -> None:
    errors = _watch(page)
    path = PAGES[name]
    _open(page, f"{base_url}{path}{'&' if '?' in path else '?'}lang={lang}")
    title = {"overview": ("总览", "Overview"), "risk-list": ("风险清单", "Risk list"),
             "enterprise": ("企业画像", "Enterprise"), "followup": ("隐患整改", "Follow-up")}[name]
    expect(page.locator(".page-title")).to_have_text(title[0] if lang == "zh" else title[1])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}.png"), full_page=True)
    assert errors == []


def test_every_script_and_stylesheet_is_served_by_the_app(page: Page, base_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    for path in PAGES.values():
        _open(page, base_url + path)
    host = urlparse(base_url).netloc
    assert requested and all(urlparse(url).netloc == host for url in requested if not url.startswith("data:")), [
        url for url in requested if urlparse(url).netloc != host]


def test_heatmap_click_opens_the_filtered_list_and_a_row_opens_the_enterprise(page: Page, base_url: str) -> None:
    errors = _watch(page)
    _open(page, base_url + "/?metric=overdue")
    heatmap = page.locator("#overview-heatmap .nsewdrag").first
    heatmap.wait_for(timeout=10_000)
    box = heatmap.bounding_box()
    # Two towns down, two sectors across: the lower right cell is 沿海镇 × 城镇燃气.
    heatmap.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.75})
    expect(page).to_have_url(re.compile(r"/risk-list\?town=T2&sector=gas"), timeout=10_000)
    page.wait_for_selector("#risk-list-grid .ag-center-cols-container .ag-row", timeout=10_000)
    expect(page.locator("#risk-list-count")).to_contain_text("共 1 家企业")
    expect(page.locator("#risk-list-grid .ag-center-cols-container .ag-row")).to_have_count(1)
    page.locator("#risk-list-grid .ag-center-cols-container .ag-row .ag-cell[col-id='name']").first.click()
    expect(page).to_have_url(re.compile(r"/enterprise\?id=E3"), timeout=10_000)
    expect(page.locator("#enterprise-profile")).to_contain_text("丙燃气")
    assert errors == []


def test_filters_go_into_the_address_and_narrow_the_list(page: Page, base_url: str) -> None:
    _open(page, base_url + "/risk-list")
    page.wait_for_selector("#risk-list-grid .ag-center-cols-container .ag-row", timeout=10_000)
    expect(page.locator("#risk-list-grid .ag-center-cols-container .ag-row")).to_have_count(3)
    page.locator("#risk-list-flag input[value='unapproved_restart']").check()
    expect(page.locator("#risk-list-count")).to_contain_text("共 1 家企业")
    expect(page.locator("#risk-list-grid .ag-center-cols-container .ag-row")).to_have_count(1)
    expect(page.locator("#risk-list-grid .ag-center-cols-container .ag-row")).to_contain_text("乙燃气")
    assert "flag=unapproved_restart" in page.url
    shared = page.url
    _open(page, shared)  # the shared address shows the same view
    expect(page.locator("#risk-list-count")).to_contain_text("共 1 家企业")


def test_language_switch_changes_the_page_and_sticks(page: Page, base_url: str) -> None:
    _open(page, base_url + "/followup")
    expect(page.locator(".page-title")).to_have_text("隐患整改")
    page.locator("#followup-lang input[value='en']").check()
    expect(page.locator(".page-title")).to_have_text("Follow-up", timeout=10_000)
    _open(page, base_url + "/risk-list")  # another page, no parameter: the cookie carries the choice
    expect(page.locator(".page-title")).to_have_text("Risk list")
    page.locator("#risk-list-lang input[value='zh']").check()
    expect(page.locator(".page-title")).to_have_text("风险清单", timeout=10_000)


def test_export_downloads_the_filtered_list(page: Page, base_url: str) -> None:
    _open(page, base_url + "/risk-list?sector=gas")
    page.wait_for_selector("#risk-list-grid .ag-center-cols-container .ag-row", timeout=10_000)
    with page.expect_download() as download:
        page.locator("#risk-list-export-xlsx").click()
    assert download.value.suggested_filename == "risk_list_20260301.xlsx"
    import pandas as pd

    sheet = pd.read_excel(download.value.path())
    assert list(sheet["企业编码"]) == ["E2", "E3"]
    from conftest import AUDITED

    assert ("export_list", "2026-03-01") in AUDITED
