"""Signing in and who sees what, in headless chromium against the real app: the login form works while
the browser fetches its favicon, and an inspector is shown, and served, only the inspector's pages."""

from __future__ import annotations

import re

import dash
import pytest
from conftest import PASSWORD, settle
from playwright.sync_api import Page, expect

from dashboard import auth

pytestmark = pytest.mark.browser


def test_signing_in_works_although_the_browser_fetched_the_favicon_meanwhile(site, page: Page) -> None:
    """Regression: /favicon.ico used to redirect to /login, which issued a new form token, so the form
    already on screen failed with "form expired"."""
    page.goto(site.url + "/risk-list?sector=gas")
    expect(page).to_have_url(f"{site.url}/login?next=/risk-list?sector%3Dgas")
    assert page.evaluate("fetch('/favicon.ico').then(r => r.status)") == 401  # as chromium does on its own
    assert page.evaluate("fetch('/assets/theme.css').then(r => r.status)") == 401
    page.fill("input[name=username]", "u-office")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("#_pages_content .page-title")).to_have_text("风险清单", timeout=15_000)
    expect(page).to_have_url(re.compile(re.escape(f"{site.url}/risk-list?sector=gas")))
    assert page.locator(".app-user").inner_text() == "u-office"


def test_a_wrong_password_is_refused_on_the_login_page(site, page: Page) -> None:
    page.goto(site.url + "/login?lang=en")
    page.fill("input[name=username]", "u-office")
    page.fill("input[name=password]", "not-the-password")
    page.locator("form button[type=submit]").click()
    expect(page.locator("[role=alert]")).to_be_visible()
    assert "/login" in page.url and "expired" not in page.locator("[role=alert]").inner_text()


def test_an_inspector_is_shown_and_served_only_the_inspector_pages(site, open_as) -> None:
    allowed = {page["path"] for page in dash.page_registry.values() if "inspector" in auth.PAGE_ROLES[page["path"]]}
    assert "/inspector" in allowed and "/risk-list" not in allowed
    page = open_as("inspector", fresh=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(site.url + "/")  # the overview is not the inspector's: sent to the inspector's first page
    page.wait_for_selector("#_pages_content .page-title", timeout=15_000)
    home = auth.home_path(auth.User("u-inspector", "inspector", "第一组"))
    assert page.url.split("?")[0] == site.url + home
    shown = {href for href in page.eval_on_selector_all("#app-nav a.app-nav-link", "links => links.map(a => a.getAttribute('href'))")}
    assert shown == {p["relative_path"] for p in dash.page_registry.values() if p["path"] in allowed}
    for registered in dash.page_registry.values():
        if registered["path"] in allowed or registered["path"] == "/":
            continue
        response = page.goto(site.url + registered["relative_path"])
        assert response.status == 403, registered["path"]
        assert "当前账户无权访问此页面" in page.content()
    page.goto(site.url + "/inspector")
    expect(page.locator("#_pages_content .page-title")).to_have_text("本组检查安排与结果录入", timeout=15_000)
    settle(page)
    assert errors == []
    # an enterprise outside the team's visits: the guard refuses to render it at all
    with page.expect_response(lambda r: "/_dash-update-component" in r.url and r.status == 403) as refused:
        page.goto(site.url + "/enterprise?id=E1")
    assert refused.value.json()["error"]["code"] == "forbidden"
    assert "甲矿业" not in page.content()
