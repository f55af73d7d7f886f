"""Screenshots of every page on the demo county, for the README:
docs/screenshots/<page>-<lang>-<desktop|phone>.png, desktop 1440×900 and phone 390×844, zh and en.

    .venv/bin/saferank demo --no-serve          # builds data/demo/ (once)
    .venv/bin/python scripts/readme_screenshots.py [--folder data/demo] [--out docs/screenshots] [--only plan,admin]

Serves the demo store on a free loopback port, gives the demo accounts it signs in with fresh passwords
(printed nowhere), signs in through the login page in Debian's chromium and saves, for every page of
``dashboard.auth.PAGE_ROLES``, one picture per language and size. Each page is opened by an account whose
role may open it: the office for its pages, the demo inspector for the inspector's page (the team's own
visits, as an inspector sees them) and the admin for the admin page. A picture is the page from its top,
at most three screens tall, less when that keeps the file under ``MAX_BYTES``. Needs the test extra
(playwright).
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
LANGS = ("zh", "en")
MAX_BYTES = 300_000
SCREENS = (3, 2, 1.5, 1)  # how many screens tall a picture may be, tried in turn until it fits MAX_BYTES
ACCOUNT = {"/inspector": "demo-inspector", "/admin": "demo-admin"}  # every other page: the office
# Settled: the page's title is shown and Dash has had no callback in flight for 300 ms.
SETTLED = """() => {
    const idle = document.querySelector('#_pages_content .page-title') && window.store
        && !window.store.getState().isLoading;
    if (!idle) { window.__settledSince = undefined; return false; }
    window.__settledSince = window.__settledSince || performance.now();
    return performance.now() - window.__settledSince > 300;
}"""


def page_name(path: str) -> str:
    return path.strip("/") or "overview"


def account_for(path: str, roles: frozenset[str]) -> str:
    account = ACCOUNT.get(path, "demo-office")
    assert account.removeprefix("demo-") in roles, (path, account)
    return account


def shoot(page: Page, file: Path, size: dict[str, int]) -> int:
    """Save the page from its top, as tall as ``SCREENS`` allows under ``MAX_BYTES``; returns the bytes."""
    page.mouse.wheel(0, 20_000)  # grids below the fold render their rows once scrolled to
    page.wait_for_timeout(600)
    page.mouse.wheel(0, -20_000)
    page.wait_for_timeout(300)
    height = page.evaluate("document.documentElement.scrollHeight")
    for screens in SCREENS:
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(height, int(size["height"] * screens))}
        picture = page.screenshot(full_page=True, clip=clip)
        if len(picture) <= MAX_BYTES:
            break
    file.write_bytes(picture)
    return len(picture)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default=str(ROOT / "data" / "demo"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--only", default="", help="comma-separated page names (overview, risk-list, …)")
    args = parser.parse_args()

    from analytics.accounts.users import random_password, reset_password
    from analytics.risk.risklist import read_risk_list
    from analytics.store.database import open_store
    from dashboard import i18n
    from dashboard.app import create_app
    from dashboard.auth import PAGE_ROLES

    only = {name for name in args.only.split(",") if name}
    paths = [path for path in PAGE_ROLES if not only or page_name(path) in only]
    folder = Path(args.folder).resolve()
    db = f"sqlite:///{folder / 'saferank.db'}"
    store = open_store(db)
    accounts = {path: account_for(path, PAGE_ROLES[path]) for path in paths}
    passwords = {user: random_password() for user in set(accounts.values())}
    for user, password in passwords.items():
        reset_password(store, user, password)
    top = str(read_risk_list(store)["enterprise_id"].iloc[0])
    store.dispose()
    query = {"/enterprise": f"id={top}&"}

    os.environ["SAFERANK_MODELS"] = str(folder / "models")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    app = create_app({"db": db, "models_dir": str(folder / "models"), "secret_key": random_password() * 3})
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu", "--disable-quic"])
        for user, password in passwords.items():
            for size_name, size in SIZES.items():
                context = browser.new_context(viewport=size, locale="zh-CN")
                page = context.new_page()
                page.goto(f"{base}/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", password)
                page.locator("form button[type=submit]").click()
                page.wait_for_url(lambda url: "/login" not in url)
                for path in (p for p in paths if accounts[p] == user):
                    for lang in LANGS:
                        context.add_cookies([{"name": i18n.COOKIE, "value": lang, "url": base}])
                        page.goto(f"{base}{path}?{query.get(path, '')}lang={lang}")
                        page.wait_for_function(SETTLED, polling=100, timeout=60_000)
                        page.wait_for_load_state("networkidle")
                        file = out / f"{page_name(path)}-{lang}-{size_name}.png"
                        width = page.evaluate("document.documentElement.scrollWidth")
                        wider = f"  (the page is {width} px wide: cut at {size['width']})" if width > size["width"] else ""
                        print(f"{file}  {shoot(page, file, size) // 1000} KB{wider}")
                context.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
