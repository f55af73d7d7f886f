"""The real dashboard served for the browser tests: chromium from Debian, ``create_app`` in a daemon thread.

Each test module gets its own app over its own SQLite store holding the tiny hand-made county
(tests/summary_county.py) and its two risk lists, with one account per role. Nothing is patched: the
pages read the store through ``dashboard.components.data`` as they do in production, and people
sign in through the real login page (once per role; later contexts reuse the session cookie). The
model registry holds the hand-written cards of tests/model_cards.py, so the model page has content.

Page loads share one browser context per role (module-scoped), so Dash's fingerprinted bundles come
from the browser cache after the first page; tests that change cookies ask for a fresh context. Each
shared context keeps one idle page open so that its renderer process, and the scripts compiled in it,
outlive each test's page (chromium runs with --process-per-site).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import summary_county as county
from playwright.sync_api import Browser, BrowserContext, Page
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "correct-horse-battery"
ROLES = ("admin", "office", "leader", "inspector", "analyst")
INSPECTOR_TEAM = "第一组"
REASONS_EN = {"E1": "1 overdue hazard; 1 major hazard", "E2": "Restarted without approval", "E3": ""}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    # --process-per-site: a context's pages on 127.0.0.1 share one renderer process, which the idle page
    # ``open_as`` keeps open per role keeps warm (Dash's and plotly's scripts compiled once), instead of a
    # new process per page compiling them again. Each test still gets a page of its own.
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--process-per-site"],
    }


def stored_list(risk_list: pd.DataFrame) -> pd.DataFrame:
    """A hand-made list in the shape ``save_risk_list`` stores (English reasons, no contributions)."""
    return risk_list.assign(reasons_en=risk_list["enterprise_id"].map(REASONS_EN), contributions="{}")


# Settled: the page's title is shown and Dash has had no callback in flight for 150 ms (its renderer
# keeps ``isLoading`` in ``window.store``). Quicker than network idle, which always waits 500 ms.
_SETTLED = """() => {
    const idle = document.querySelector('#_pages_content .page-title') && window.store
        && !window.store.getState().isLoading;
    if (!idle) { window.__settledSince = undefined; return false; }
    window.__settledSince = window.__settledSince || performance.now();
    return performance.now() - window.__settledSince > 150;
}"""


def settle(page: Page, timeout: float = 15_000) -> None:
    page.wait_for_function(_SETTLED, polling=50, timeout=timeout)


def sign_in(page: Page, base: str, username: str, target: str = "/", wait: bool = True) -> None:
    """Sign in through the login page as a person would (nothing routed away, favicon included);
    ``wait``: until the page signed in to has rendered, else only until the browser left the login."""
    page.goto(f"{base}/login?next={target}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    if wait:
        page.wait_for_selector("#_pages_content .page-title", timeout=15_000)
    else:
        page.wait_for_url(lambda url: "/login" not in url, wait_until="commit", timeout=15_000)


@dataclass
class Site:
    """The served app: its address, its store, and a session per role once someone signed in."""

    url: str
    store: object
    app: object
    sessions: dict[str, dict] = field(default_factory=dict)  # role -> playwright storage state

    def session(self, browser: Browser, role: str) -> dict:
        if role not in self.sessions:
            context = browser.new_context()
            try:
                sign_in(context.new_page(), self.url, f"u-{role}", wait=False)
                self.sessions[role] = context.storage_state()
            finally:
                context.close()
        return self.sessions[role]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from analytics.accounts import users as accounts
    from analytics.risk.risklist import save_risk_list
    from analytics.store.writing import write_tables
    from dashboard.app import create_app
    from model_cards import build_registry

    folder = tmp_path_factory.mktemp("browser-site")
    app = create_app({"db": f"sqlite:///{folder / 'store.db'}", "secret_key": "browser-" + "x" * 32,
                      "models_dir": str(folder / "models")})
    store = app.server.extensions["saferank"]["store"]
    build_registry(folder / "models")
    write_tables(store, county.tables())
    save_risk_list(store, stored_list(county.previous_risk_list()))
    save_risk_list(store, stored_list(county.risk_list()))
    for role in ROLES:
        accounts.add_user(store, f"u-{role}", role, PASSWORD, team=INSPECTOR_TEAM if role == "inspector" else None)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{server.server_port}", store, app)
    server.shutdown()
    thread.join(timeout=5)
    store.dispose()


@pytest.fixture(scope="module")
def role_contexts(site: Site, browser: Browser) -> Iterator[dict[str, BrowserContext]]:
    """One signed-in browser context per role, shared by the module's tests (filled on demand)."""
    contexts: dict[str, BrowserContext] = {}
    yield contexts
    for context in contexts.values():
        context.close()


@pytest.fixture()
def open_as(site: Site, browser: Browser, role_contexts: dict, new_context: Callable) -> Iterator[Callable[..., Page]]:
    """``open_as(role, fresh=False)``: a new page signed in as that role's account, in the role's shared
    context (language cookie cleared) or, when ``fresh``, in a context of its own."""
    from dashboard import i18n

    pages: list[Page] = []

    def _open(role: str, fresh: bool = False) -> Page:
        if fresh:
            return new_context(storage_state=site.session(browser, role)).new_page()
        if role not in role_contexts:
            role_contexts[role] = browser.new_context(storage_state=site.session(browser, role))
            # An idle page of this server that stays open while the context lives, so the renderer
            # process the tests' pages share (--process-per-site) outlives each test's page: 14 pages
            # opened and closed one after another took 25 s with it, 46 s without (load 8, 2 cores).
            role_contexts[role].new_page().goto(f"{site.url}/api/v1/health")
        context = role_contexts[role]
        context.clear_cookies(name=i18n.COOKIE)
        pages.append(context.new_page())
        return pages[-1]

    yield _open
    for page in pages:
        page.close()
