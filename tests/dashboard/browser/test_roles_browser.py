"""Each role's own tasks end to end in headless chromium, once in Chinese and once in English (issue 18,
"Done when"): the office finds a firm on the risk list by name, reads its evidence, draws a plan with the
date picker and exports it; the leader reads the town × sector heatmap (firm counts in the tooltip) and the
bulletin; the analyst compares model versions and groups; the inspector opens an own visit card, records a
finding whose deadline is picked in the calendar, sees it on the enterprise page at once, sees only the own
team's visits and is refused a page of the office's; the admin adds an account on the users page.

After every step the page's visible text is checked to be in the page's language: on a Chinese page no
English word outside data and the few allowed words, on an English page no Chinese outside data (firm,
town and team names of the county). What test_pages_browser.py and test_access_browser.py already hold
(every page loads in both languages; the heatmap click, filters, the language switch and the list export
in Chinese; the inspector's refusal on every page) is not repeated. One server and browser for the module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd
import pytest
import summary_county as county
from conftest import INSPECTOR_TEAM, settle
from playwright.sync_api import Page, expect

from analytics.accounts.users import ROLES
from analytics.contract.schema import SECTORS
from dashboard import i18n

pytestmark = pytest.mark.browser
LANGS = ("zh", "en")
CJK = re.compile(r"[\u4e00-\u9fff]+")
# ASCII words a Chinese page may show (as tests/dashboard/test_i18n.py): the product, the switch to
# English, formats, commands, date patterns, percentage points, a method's proper name; the cards' model kinds.
ALLOWED_WORDS = {"SafeRank", "English", "Excel", "CSV", "HTML", "YYYY", "MM", "DD", "xlsx", "csv", "pp", "saferank",
                 "score", "train", "Platt", "boosted", "logistic"}
# Data written as identifiers, which no language owns: account names (u-office), versions (rule_of_thumb-1),
# table and feature names (power_usage), package names (scikit-learn), digests, an audit entry's details (JSON).
IDENTIFIERS = re.compile(r"\{.*\}|\b[0-9a-f]{16,}\b|[A-Za-z0-9]+(?:[_\-][A-Za-z0-9]+)+")
FIRM_OF = {"zh": "E1", "en": "E2"}  # each language records at its own visit of team 第一组's two
OTHER_TEAM = "第二组"
DATA = sorted({*county.tables()["towns"]["name"], *county.tables()["enterprises"]["name"], INSPECTOR_TEAM, OTHER_TEAM,
               "中文"}, key=len, reverse=True)  # data, and the switch to Chinese written in Chinese


def _text(page: Page) -> str:
    """What a reader sees: the body's rendered text (hidden elements and scripts excluded)."""
    return page.locator("body").inner_text()


def assert_in_language(page: Page, lang: str, data: tuple[str, ...] = ()) -> None:
    text = _text(page)
    for word in (*data, *DATA):
        text = text.replace(word, " ")
    text = IDENTIFIERS.sub(" ", text)
    if lang == "en":
        assert CJK.findall(text) == [], f"Chinese on the English page {page.url}"
    else:
        assert CJK.search(text), page.url
        words = set(re.findall(r"[A-Za-z]{2,}", text)) - ALLOWED_WORDS
        assert sorted(words) == [], f"English on the Chinese page {page.url}"


@pytest.fixture(scope="module")
def planned(site) -> str:
    """A stored two-day plan from 2026-03-02: the inspector's team (第一组) visits E1 and E2 in 城关镇, 第二组 E3."""
    from analytics.operations.planning import PlanRules, build_plan
    from analytics.operations.plans_store import save_plan
    from analytics.operations.teams import typed_teams
    from analytics.risk.risklist import read_risk_list

    teams = typed_teams(pd.DataFrame([(INSPECTOR_TEAM, "T1", 2), (OTHER_TEAM, "T2", 2)],
                                     columns=["team", "town_id", "daily_capacity"]))
    plan = build_plan(read_risk_list(site.store), county.tables(), teams, pd.Timestamp("2026-03-02"), 2,
                      PlanRules(random_share=0, skip_recent_days=0, follow_up_share=1.0), seed=1)
    return save_plan(site.store, plan)


@pytest.fixture()
def as_role(site, open_as) -> Iterator:
    """``as_role(role, lang)``: a page signed in as ``role`` whose language cookie says ``lang``."""
    errors: list[str] = []

    def _open(role: str, lang: str) -> Page:
        page = open_as(role)
        page.context.add_cookies([{"name": i18n.COOKIE, "value": lang, "url": site.url}])
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield _open
    assert errors == []


def _go(page: Page, address: str) -> None:
    page.goto(address)
    settle(page)


@pytest.mark.parametrize("lang", LANGS)
def test_office_finds_a_firm_reads_its_evidence_draws_a_plan_and_exports_it(site, as_role, lang: str) -> None:
    page = as_role("office", lang)
    _go(page, site.url + "/risk-list")
    rows = page.locator("#risk-list-grid .ag-center-cols-container .ag-row")
    expect(rows).to_have_count(3, timeout=10_000)
    page.fill("#risk-list-search", "乙燃")  # by part of the name
    page.press("#risk-list-search", "Enter")
    expect(rows).to_have_count(1, timeout=10_000)
    expect(page.locator("#risk-list-count")).to_contain_text("共 1 家企业" if lang == "zh" else "1 enterprise")
    assert_in_language(page, lang)
    rows.first.locator(".ag-cell[col-id='name']").click()
    expect(page).to_have_url(re.compile(r"/enterprise\?id=E2"), timeout=10_000)
    settle(page)
    reason = county.risk_list().set_index("enterprise_id").loc["E2", "reasons"] if lang == "zh" else "Restarted without approval"
    expect(page.locator("#enterprise-reasons")).to_contain_text(str(reason).split("；")[0], timeout=10_000)
    assert_in_language(page, lang)

    _go(page, site.url + "/plan")
    page.fill("#plan-start", "2026-03-16")  # not the inspector's days: that plan stays the live one
    page.press("#plan-start", "Tab")
    page.fill("#plan-days", "2")
    page.fill("#plan-seed", "3")
    page.fill("#plan-random-share", "3")  # a bad value is refused in the page, never drawn at a default
    page.click("#plan-build")
    expect(page.locator("#plan-message")).to_contain_text("随机" if lang == "zh" else "random", timeout=20_000)
    page.fill("#plan-random-share", "0.25")
    page.click("#plan-build")
    expect(page.locator("#plan-message")).to_contain_text("已生成计划" if lang == "zh" else "drawn", timeout=20_000)
    expect(page.locator("#plan-grid .ag-row").first).to_be_visible(timeout=15_000)
    settle(page)
    assert_in_language(page, lang)
    with page.expect_download() as download:
        page.click("#plan-export")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = pd.read_excel(download.value.path(), header=None)
    assert len(sheet) >= 3 and any(CJK.search(str(v)) for v in sheet.iloc[1]) == (lang == "zh")


@pytest.mark.parametrize("lang", LANGS)
def test_leader_reads_the_town_by_sector_heatmap_and_the_bulletin(site, as_role, lang: str) -> None:
    page = as_role("leader", lang)
    _go(page, site.url + "/?metric=overdue")
    heatmap = page.locator("#overview-heatmap")
    for sector in ("mining", "gas"):  # sectors across in the page's language, towns down by name
        expect(heatmap).to_contain_text(i18n.label(SECTORS, sector, lang), timeout=10_000)
    expect(heatmap).to_contain_text("城关镇")
    cell = page.locator("#overview-heatmap .nsewdrag").first
    box = cell.bounding_box()
    cell.hover(position={"x": box["width"] * 0.75, "y": box["height"] * 0.75})  # 沿海镇 × 城镇燃气: E3 alone
    tooltip = page.locator("#overview-heatmap .hoverlayer")
    expect(tooltip).to_contain_text(i18n.t("overview.cell_firms", lang, n=1), timeout=5_000)
    assert_in_language(page, lang)
    # one number, one meaning: the overview's 30-day rectification rate is the bulletin's for the same 30 days
    _go(page, site.url + f"/?as_of={county.AS_OF:%Y-%m-%d}")
    card = page.locator("#overview-kpi-rectification_rate")
    expect(card).to_contain_text("%", timeout=10_000)
    overview_rate = card.inner_text().strip()
    start = county.AS_OF - pd.Timedelta(days=29)
    _go(page, site.url + f"/bulletin?start={start:%Y-%m-%d}&end={county.AS_OF:%Y-%m-%d}")
    headline = page.locator("#bulletin-headline")
    expect(headline).to_contain_text("%", timeout=20_000)
    bulletin_rate = re.search(r"(?:整改率|rectification rate) (\d+\.\d%)", headline.inner_text()).group(1)
    assert overview_rate == bulletin_rate
    assert_in_language(page, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_analyst_compares_model_versions_and_groups(site, as_role, lang: str) -> None:
    page = as_role("analyst", lang)
    _go(page, site.url + "/model")
    expect(page.locator("#model-card")).to_contain_text("v2", timeout=10_000)
    versions = page.locator("#model-versions .ag-center-cols-container .ag-row")
    expect(versions).to_have_count(3, timeout=10_000)
    assert_in_language(page, lang)
    page.locator("#model-by input[value=sector]").check()  # the serving model's precision by sector
    expect(page.locator("#model-groups")).to_contain_text(i18n.label(SECTORS, "gas", lang), timeout=10_000)
    page.locator("#model-version").click()  # and the version served before
    page.get_by_role("option", name=re.compile(r"\bv1\b")).first.click()
    expect(page.locator("#model-card")).to_contain_text("v1", timeout=10_000)
    settle(page)
    assert_in_language(page, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_inspector_records_a_finding_with_the_date_picker_and_sees_it_at_once(site, planned, as_role, lang: str) -> None:
    from analytics.contract.schema import HAZARD_CATEGORIES, HAZARD_LEVELS

    page = as_role("inspector", lang)
    _go(page, site.url + "/inspector")
    cards = page.locator("#inspector-visit-pick .visit-card")
    expect(cards.first).to_be_visible(timeout=10_000)
    metas = cards.locator(".visit-meta").all_inner_texts()
    assert metas and all(INSPECTOR_TEAM in m and OTHER_TEAM not in m for m in metas), metas  # own team's only
    assert_in_language(page, lang)
    firm_id = FIRM_OF[lang]
    card = page.locator("#inspector-visit-pick .visit-card", has=page.locator(".visit-address", has_text=firm_id))
    card.click()
    expect(page.locator("#inspector-visit-info")).to_contain_text(firm_id, timeout=10_000)
    page.locator("#inspector-level-1 label", has_text=i18n.label(HAZARD_LEVELS, "major", lang)).click()
    page.locator("#inspector-category-1 label", has_text=i18n.label(HAZARD_CATEGORIES, "fire", lang)).click()
    page.click("#inspector-deadline-1")  # the calendar, in the page's words; pick its 28th
    calendar = page.locator(".dash-datepicker-portal")
    expect(calendar).to_contain_text("一" if lang == "zh" else "Mo", timeout=5_000)
    calendar.locator(".dash-datepicker-calendar-date-inside", has_text=re.compile(r"^28$")).first.click()
    deadline = page.input_value("#inspector-deadline-1")
    assert re.fullmatch(r"\d{4}-\d{2}-28", deadline), deadline
    page.click("#inspector-save")
    expect(page.locator("#inspector-message")).to_contain_text("已记录" if lang == "zh" else "Recorded", timeout=20_000)
    settle(page)
    assert_in_language(page, lang)

    _go(page, site.url + f"/enterprise?id={firm_id}")  # the new hazard is there at once
    timeline = page.locator("#enterprise-timeline")
    expect(timeline).to_contain_text(deadline, timeout=10_000)
    expect(timeline).to_contain_text(i18n.label(HAZARD_CATEGORIES, "fire", lang))
    assert_in_language(page, lang)
    response = page.goto(site.url + "/risk-list")  # the office's page: refused, in the page's language
    assert response.status == 403
    assert i18n.t("errors.page_forbidden", lang) in _text(page)


@pytest.mark.parametrize("lang", LANGS)
def test_admin_adds_an_account_on_the_users_page(site, as_role, lang: str) -> None:
    page = as_role("admin", lang)
    _go(page, site.url + "/admin")
    users = page.locator("#admin-users-box")
    expect(users).to_contain_text("u-inspector", timeout=10_000)
    assert_in_language(page, lang, data=("u-admin", "u-office", "u-leader", "u-inspector", "u-analyst"))
    name = f"new-{lang}"
    page.fill("#admin-new-username", name)
    page.locator("#admin-new-role").click()
    page.get_by_role("option", name=ROLES["analyst"][0 if lang == "zh" else 1], exact=True).first.click()
    page.fill("#admin-new-password", "another-long-password-1")
    page.click("#admin-add")
    expect(users).to_contain_text(name, timeout=10_000)
    expect(page.locator("#admin-message")).not_to_be_empty()
    expect(users).to_contain_text(ROLES["analyst"][0 if lang == "zh" else 1])
    expect(users).to_contain_text(i18n.t("admin.created_column", lang))  # headers from the phrase book
    assert_in_language(page, lang, data=(name,))
