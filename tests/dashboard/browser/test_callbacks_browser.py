"""The callback guard against Dash's real renderer: every page a role may open, loaded in chromium,
sends only callback requests the guard lets through (issue 21, item 1).

The guard compares each request with the registered callback position by position and checks the
values' types; the API tests build those bodies by hand. Here the renderer builds them, so a rule
stricter than what Dash actually sends (a property it sends empty, an output it names differently)
shows up as a refused request and an ``access_denied`` row.

``test_pages_browser`` loads every page in both languages as the office (the admin's one page as the
admin) and fails on a refused callback there; here each other role loads every page it may open.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import dash
import pytest
from conftest import ROLES, settle
from playwright.sync_api import Response

from analytics.accounts import audit
from dashboard import auth

pytestmark = pytest.mark.browser


# the office may open every page but /admin, the admin /admin alone: test_pages_browser loads those
@pytest.mark.parametrize("role", [role for role in ROLES if role not in ("office", "admin")])
def test_every_page_of_a_role_runs_its_callbacks_without_a_refusal(site, open_as, role: str) -> None:
    refused: list[tuple[str, int, str]] = []
    answered: list[str] = []

    def record(response: Response) -> None:
        if urlsplit(response.url).path == "/_dash-update-component":
            answered.append(response.url)
            if response.status >= 400:
                refused.append((response.frame.url if response.frame else "", response.status, response.text()[:200]))

    page = open_as(role)
    page.on("response", record)
    paths = [p["relative_path"] for p in dash.page_registry.values() if role in auth.PAGE_ROLES[p["path"]]]
    for path in paths:
        page.goto(f"{site.url}{path}")
        settle(page)
    assert paths and answered, role
    assert refused == [], refused
    assert audit.search(site.store, {"username": f"u-{role}", "action": "access_denied"}).empty
