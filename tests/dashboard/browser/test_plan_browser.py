"""The plan and inspector pages in headless chromium, in the real app behind the sign-in: the office
draws a plan and sees its visits; the inspector opens a visit, enters a finding and sees it saved."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import PASSWORD, SCREENSHOTS, sign_in
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "analytics"))


@pytest.fixture(scope="module")
def plan_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(address of the served app, URL of its store)."""
    import plan_county

    from analytics.accounts import users as accounts
    from dashboard.app import create_app

    folder = tmp_path_factory.mktemp("plan-browser")
    url = f"sqlite:///{folder / 'store.db'}"
    store, _ = plan_county.stored(url)
    accounts.add_user(store, "office1", "office", PASSWORD)
    app = create_app({"db": url, "secret_key": "browser-" + "x" * 32, "models_dir": str(folder / "models")})
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", url
    server.shutdown()


def test_office_draws_a_plan_then_the_team_enters_a_finding(page: Page, plan_site: tuple[str, str]) -> None:
    plan_url, store_url = plan_site
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, plan_url, "office1", "/plan")
    expect(page.locator(".page-title")).to_have_text("检查计划（四不两直、双随机）")
    page.fill("#plan-start", "2026-03-02")  # a date picker (YYYY-MM-DD): the typed date counts once it is left
    page.press("#plan-start", "Tab")
    page.fill("#plan-days", "2")
    page.fill("#plan-seed", "5")
    page.click("#plan-build")
    expect(page.locator("#plan-message")).to_contain_text("已生成计划", timeout=15_000)
    expect(page.locator("#plan-summary")).to_contain_text("预计发现重大隐患", timeout=15_000)
    expect(page.locator("#plan-grid .ag-row").first).to_be_visible(timeout=15_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "plan-drawn-zh.png"), full_page=True)

    from analytics.accounts.users import add_user
    from analytics.operations.plans_store import visits_for
    from analytics.store.database import open_store

    store = open_store(store_url)
    visits = visits_for(store, None)
    team = visits.loc[visits["reason_code"] == "follow_up", "team"].iloc[0]
    add_user(store, "insp1", "inspector", PASSWORD, team=team)
    page.goto(f"{plan_url}/logout")
    sign_in(page, plan_url, "insp1", "/inspector")
    row = page.locator("#inspector-visit-pick .visit-card", has_text="回头看").first
    row.click()
    expect(page.locator("#inspector-visit-info")).to_contain_text("回头看", timeout=10_000)
    expect(page.locator("#inspector-rectify .ag-row")).to_have_count(1, timeout=10_000)  # HA1 still open
    page.click("#inspector-save")
    expect(page.locator("#inspector-message")).to_contain_text("已记录", timeout=15_000)
    page.screenshot(path=str(SCREENSHOTS / "inspector-finding-zh.png"), full_page=True)
    stored = visits_for(store, None)
    assert (stored["team"] == team).any()
    inspections = pd.read_sql("select inspection_id from inspections", store.engine)
    assert set(stored.loc[stored["reason_code"] == "follow_up", "visit_id"]) & set(inspections["inspection_id"])
    assert errors == []

