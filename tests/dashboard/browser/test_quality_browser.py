"""The data-quality page in headless chromium (issue 17 item 5): the office sees the summary and every
section's grid filled, in Chinese and English, and downloads the workbook; an analyst is kept out."""

from __future__ import annotations

import openpyxl
import pytest
from conftest import settle
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("lang", "summary", "sheet"), [("zh", "引用缺失", "完整性"), ("en", "Orphan rows", "Completeness")])
def test_the_office_reads_every_section_and_downloads_the_workbook(site, open_as, tmp_path, lang, summary, sheet) -> None:
    page = open_as("office")
    page.goto(site.url + "/quality" + ("?lang=en" if lang == "en" else ""))
    settle(page)
    expect(page.locator("#quality-body")).to_contain_text(summary, timeout=30_000)
    for section, rows in (("tables", 11), ("families", 12), ("by-town", 2)):
        grid = page.locator(f"#quality-quality-{section.replace('-', '_')}")
        grid.scroll_into_view_if_needed()
        expect(grid.locator(".ag-center-cols-container .ag-row")).to_have_count(rows, timeout=15_000)
    with page.expect_download() as download:
        page.locator("#quality-export").click()
    path = tmp_path / "quality.xlsx"
    download.value.save_as(path)
    assert sheet in openpyxl.load_workbook(path).sheetnames


def test_an_analyst_does_not_open_it(site, open_as) -> None:
    page = open_as("analyst")
    response = page.goto(site.url + "/quality")
    assert response.status == 403
    expect(page.locator("#quality-body")).to_have_count(0)
