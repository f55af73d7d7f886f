"""Chinese all the way, in headless chromium (issue 18 item 6): on a Chinese page a date picker's calendar
names the weekdays 一 … 日 from Monday and its months 2026年1月 (dashboard/assets/date_words.js and
``i18n.date_picker``); the same page in English keeps Mo … Su."""

from __future__ import annotations

import pytest
from conftest import settle
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _calendar(page, address: str) -> str:
    page.goto(address)
    settle(page)
    page.locator("#bulletin-period-wrapper").click()
    calendar = page.locator("[role=dialog]").first
    expect(calendar).to_be_visible(timeout=5_000)
    return calendar.inner_text()


def test_date_pickers_speak_the_page_language(site, open_as) -> None:
    page = open_as("office")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    zh = _calendar(page, site.url + "/bulletin?lang=zh")
    assert "一\n" in zh and "日\n" in zh and "Mo" not in zh and "Su\n" not in zh
    assert zh.index("一") < zh.index("日") and "2026年1月" in zh  # weeks start on Monday; months as 2026年1月
    en = _calendar(page, site.url + "/bulletin?lang=en")
    assert "Mo" in en and "Su" in en and "一\n" not in en
    assert errors == []
