"""The 预警 page in headless chromium, in the real app behind the sign-in: the office reads the week's
warnings in Chinese, marks one assigned, switches to English, and downloads the digest in both
languages; an inspector sees only the own team's towns."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from conftest import PASSWORD, SCREENSHOTS, sign_in
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
ADDRESS = "/alerts?since=2026-06-23&until=2026-06-30"


@pytest.fixture(scope="module")
def alerts_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from analytics.accounts import users as accounts
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables
    from dashboard.app import create_app
    from tests.analytics.test_alerts import tables

    folder = tmp_path_factory.mktemp("alerts-browser")
    url = f"sqlite:///{folder / 'store.db'}"
    store = open_store(url)
    write_tables(store, tables())
    accounts.add_user(store, "office1", "office", PASSWORD)
    accounts.add_user(store, "team2", "inspector", PASSWORD, team="第2组")
    app = create_app({"db": url, "secret_key": "browser-" + "x" * 32, "models_dir": str(folder / "models")})
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _digest(page: Page, tmp_path: Path, name: str) -> list[str]:
    with page.expect_download() as download:
        page.click("#alerts-export")
    path = tmp_path / name
    download.value.save_as(path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]


def test_the_office_works_the_warnings_in_both_languages(page: Page, alerts_site: str, tmp_path: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, alerts_site, "office1", "/alerts")  # the login's next= keeps one query parameter
    page.goto(alerts_site + ADDRESS)
    expect(page.locator(".page-title")).to_have_text("预警")
    expect(page.locator("#alerts-count")).to_contain_text("共 5 条预警", timeout=15_000)
    expect(page.locator("#alerts-grid")).to_contain_text("重大隐患 H1 整改期限 2026-06-27 已过，仍未整改", timeout=15_000)
    cells = _digest(page, tmp_path, "digest_zh.xlsx")
    assert "预警编号" in cells and any("仍未整改" in c for c in cells)

    page.locator("#alerts-grid .ag-row", has_text="事故").first.click()
    page.click("#alerts-state")
    page.locator(".Select-menu-outer, [role=listbox], .dash-dropdown-options", has_text="已指派").last \
        .get_by_text("已指派", exact=True).click()
    page.click("#alerts-apply")
    expect(page.locator("#alerts-message")).to_contain_text("已将预警 accident:A1 改为“已指派”", timeout=15_000)
    expect(page.locator("#alerts-grid .ag-row", has_text="事故")).to_contain_text("已指派", timeout=15_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "alerts-zh.png"), full_page=True)

    page.goto(f"{alerts_site}{ADDRESS}&lang=en")
    expect(page.locator(".page-title")).to_have_text("Warnings")
    expect(page.locator("#alerts-count")).to_contain_text("5 warnings", timeout=15_000)
    expect(page.locator("#alerts-grid")).to_contain_text("passed its deadline of 2026-06-27", timeout=15_000)
    cells = _digest(page, tmp_path, "digest_en.xlsx")
    assert "Warning ID" in cells and "Assigned" in cells
    page.screenshot(path=str(SCREENSHOTS / "alerts-en.png"), full_page=True)
    assert errors == []


def test_an_inspector_sees_the_own_teams_towns_only(page: Page, alerts_site: str) -> None:
    sign_in(page, alerts_site, "team2", "/alerts")
    page.goto(alerts_site + ADDRESS)
    expect(page.locator("#alerts-grid .ag-row").first).to_be_visible(timeout=15_000)
    expect(page.locator("#alerts-grid")).to_contain_text("沿海镇")
    expect(page.locator("#alerts-grid")).not_to_contain_text("城关镇")
