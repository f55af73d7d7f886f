"""Screenshots of every page on the demo county, for the README (docs/screenshots/<page>-<lang>.png).

    .venv/bin/saferank demo --no-serve          # builds data/demo/ (once)
    .venv/bin/python scripts/readme_screenshots.py [--folder data/demo] [--out docs/screenshots]

Serves the demo store on a free loopback port, gives the demo office and admin accounts fresh
passwords (printed nowhere), signs in through the login page in Debian's chromium and saves one
full-page screenshot per page and language. Needs the test extra (playwright).
"""

from __future__ import annotations

import argparse
import os
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
PAGES = {  # path -> (file name, account)
    "/": ("overview", "demo-office"),
    "/risk-list": ("risk-list", "demo-office"),
    "/followup": ("followup", "demo-office"),
    "/model": ("model", "demo-office"),
    "/plan": ("plan", "demo-office"),
    "/dispositions": ("dispositions", "demo-office"),
    "/places": ("places", "demo-office"),
    "/people": ("people", "demo-office"),
    "/bulletin": ("bulletin", "demo-office"),
    "/inspector": ("inspector", "demo-inspector"),
    "/admin": ("admin", "demo-admin"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default=str(ROOT / "data" / "demo"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()

    from analytics.accounts.users import random_password, reset_password
    from analytics.risk.risklist import read_risk_list
    from analytics.store.database import open_store
    from dashboard.app import create_app

    folder = Path(args.folder).resolve()
    db = f"sqlite:///{folder / 'saferank.db'}"
    store = open_store(db)
    passwords = {user: random_password() for user in {account for _, account in PAGES.values()}}
    for user, password in passwords.items():
        reset_password(store, user, password)
    top = str(read_risk_list(store)["enterprise_id"].iloc[0])
    store.dispose()
    pages = {**PAGES, f"/enterprise?id={top}": ("enterprise", "demo-office")}

    os.environ["SAFERANK_MODELS"] = str(folder / "models")
    app = create_app({"db": db, "models_dir": str(folder / "models"), "secret_key": random_password() * 3})
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        for user, password in passwords.items():
            context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", password)
            page.locator("form button[type=submit]").click()
            page.wait_for_url(lambda url: "/login" not in url)
            for path, (name, account) in pages.items():
                if account != user:
                    continue
                for lang in ("zh", "en"):
                    page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
                    page.wait_for_selector("#_pages_content .page-title", timeout=30_000)
                    page.wait_for_load_state("networkidle")
                    page.mouse.wheel(0, 20_000)  # grids below the fold render their rows once scrolled to
                    page.wait_for_timeout(800)  # let plotly and the grids finish drawing
                    page.mouse.wheel(0, -20_000)
                    page.screenshot(path=str(out / f"{name}-{lang}.png"), full_page=True)
                    print(out / f"{name}-{lang}.png")
            context.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
