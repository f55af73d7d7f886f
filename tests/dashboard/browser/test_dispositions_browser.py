"""三个一批 in headless chromium at 1400×900 as the office: towns by name in the grid, the batch shares
beside the count, and a clicked row's evidence in the panel beside the grid, on screen without scrolling."""

from __future__ import annotations

import pytest
from conftest import settle
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
ROWS = "#dispositions-grid .ag-center-cols-container .ag-row"


def test_the_selected_firms_evidence_is_in_view_beside_the_grid(site, open_as) -> None:
    page = open_as("office")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(site.url + "/dispositions?lang=zh")
    settle(page)
    page.wait_for_selector(ROWS, timeout=15_000)
    expect(page.locator("#dispositions-count")).to_contain_text("规范达标 2 家（100.0%）")
    panel = page.locator("#dispositions-evidence")
    expect(panel).to_contain_text("选中一家企业")
    town = page.locator(f"{ROWS}[row-id='E1'] .ag-cell[col-id='town_name']")
    expect(town).to_have_text("城关镇")
    town.click()
    expect(panel).to_contain_text("甲矿业（E1）", timeout=10_000)
    expect(panel).to_contain_text("限期 2026-03-31 前整改")
    expect(panel).to_contain_text("第一百一十三条")
    box, grid = panel.bounding_box(), page.locator("#dispositions-grid").bounding_box()
    assert box["x"] >= grid["x"] + grid["width"] - 1  # beside the grid, not under it
    assert box["x"] + box["width"] <= 1400 and box["y"] < 900  # on screen without scrolling sideways
    assert page.locator(ROWS).count() == 2
    assert errors == []
