"""The inspector's page on a phone (390×844) in headless chromium, behind the real sign-in: the sign-in
lands on the team's visit cards, one tap opens a visit, one tap picks a level and a category, and after
saving the page is still no wider than the phone, the message wraps and the card says done; the deadline
is the date picker the other pages use, its calendar over the page and inside the phone. zh and en."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import PASSWORD, SCREENSHOTS, settle, sign_in
from playwright.sync_api import Browser, expect
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "analytics"))
PHONE = {"width": 390, "height": 844}
WIDTH = "document.documentElement.scrollWidth"


@pytest.fixture(scope="module")
def phone_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The served app over the plan county with a stored plan; ``insp`` works in 第1组 (town TA)."""
    import plan_county

    from analytics.accounts import users as accounts
    from analytics.operations.planning import PlanRules, build_plan
    from analytics.operations.plans_store import save_plan
    from analytics.operations.teams import typed_teams
    from analytics.risk.risklist import read_risk_list
    from dashboard.app import create_app

    folder = tmp_path_factory.mktemp("inspector-phone")
    url = f"sqlite:///{folder / 'store.db'}"
    store, _ = plan_county.stored(url)
    teams = typed_teams(pd.DataFrame([("第1组", "TA", 2), ("第2组", "TB", 2)], columns=["team", "town_id", "daily_capacity"]))
    save_plan(store, build_plan(read_risk_list(store), plan_county.tables(), teams, plan_county.START, 2,
                                PlanRules(random_share=0), seed=1))
    accounts.add_user(store, "insp", "inspector", PASSWORD, team="第1组")
    app = create_app({"db": url, "secret_key": "browser-" + "x" * 32, "models_dir": str(folder / "models")})
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize(("lang", "saved", "done"), [("zh", "已记录", "已完成"), ("en", "Recorded", "Done")])
def test_an_inspector_on_a_phone_lands_on_the_cards_and_saves_in_one_tap_per_choice(
        phone_site: str, browser: Browser, lang: str, saved: str, done: str) -> None:
    from analytics.contract.schema import HAZARD_CATEGORIES, HAZARD_LEVELS

    level_label = next(c.zh if lang == "zh" else c.en for c in HAZARD_LEVELS if c.code == "major")
    category_label = next(c.zh if lang == "zh" else c.en for c in HAZARD_CATEGORIES if c.code == "fire")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, phone_site, "insp", "/")
    assert page.url.split("?")[0] == phone_site + "/inspector"  # landed on the visits, not the enterprise page
    if lang == "en":
        page.goto(phone_site + "/inspector?lang=en")
    settle(page)
    cards = page.locator("#inspector-visit-pick .visit-card")
    expect(cards.first).to_be_visible(timeout=15_000)
    assert page.evaluate(WIDTH) <= PHONE["width"]
    open_card = page.locator("#inspector-visit-pick .visit-card:not(.is-done)").first
    firm = open_card.locator(".visit-firm").inner_text()
    expect(open_card.locator(".visit-open")).to_be_visible()
    done_before = page.locator("#inspector-visit-pick .visit-card.is-done").count()
    open_card.click()
    expect(page.locator("#inspector-visit-info")).to_contain_text(firm, timeout=10_000)
    # one tap each: the level and the category are radio buttons drawn as buttons, no dropdown to open
    page.locator("#inspector-level-1 label", has_text=level_label).click()
    assert page.locator("#inspector-level-1 input[value=major]").is_checked()
    assert page.locator("#inspector-level-1 select, #inspector-level-1 .Select").count() == 0
    page.locator("#inspector-category-1 label", has_text=category_label).click()
    assert page.locator("#inspector-category-1 input[value=fire]").is_checked()
    # the deadline is a date picker (YYYY-MM-DD): its calendar opens over the page, no wider than the phone
    page.click("#inspector-deadline-1")
    calendar = page.locator(".dash-datepicker-portal .dash-datepicker-calendar-container")
    expect(calendar).to_be_visible(timeout=5_000)
    expect(calendar).to_contain_text("一" if lang == "zh" else "Mo")  # weeks from Monday, in the page's words
    assert page.evaluate(WIDTH) <= PHONE["width"]
    box = calendar.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    page.fill("#inspector-deadline-1", "2026-12-31")
    page.press("#inspector-deadline-1", "Tab")  # the typed date counts once the box is left
    page.click("#inspector-save")
    expect(page.locator("#inspector-message")).to_contain_text(saved, timeout=20_000)
    settle(page)
    expect(page.locator("#inspector-visit-pick .visit-card.is-done")).to_have_count(done_before + 1, timeout=10_000)
    expect(page.locator("#inspector-visit-pick .visit-card.is-done", has_text=firm).first).to_contain_text(done)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"inspector-phone-{lang}.png"), full_page=True)
    width = page.evaluate(WIDTH)
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"
    message = page.locator("#inspector-message > div")
    assert message.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    assert message.evaluate("e => e.getBoundingClientRect().right") <= PHONE["width"]
    assert errors == []
    context.close()
