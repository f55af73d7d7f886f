"""Benchmark: every dashboard page callback's server time and every page's first load, 100,000 firms.

    .venv/bin/python benchmarks/bench_dashboard.py                 # builds benchmarks/out/dashboard.db once
    .venv/bin/python benchmarks/bench_dashboard.py --build 100000  # rebuild the store first
    .venv/bin/python benchmarks/bench_dashboard.py --repeat 30 --pages /risk-list /enterprise

The store is built with ``bench_load.build_store`` (simulate → write_tables → the rule of thumb
registered → score_store), plus a second list four weeks earlier so that "vs previous" figures and
score histories have something to compare. Then the real app (``create_app``) is served on loopback
and headless chromium (Debian's) signs in as an office account and opens each page the office may
open (and the admin page as an admin): **first load** is the time from navigation start until the
page's title is shown and Dash has no callback in flight (graphs and grids drawn).

Every ``/_dash-update-component`` request the browser made while loading is recorded and replayed
``--repeat`` times through the Flask test client with the same signed-in session: **server time** per
callback (page router = the page's layout; the rest = the page's callbacks), p50/p95, plus the first call
(each page's first callback runs on an empty data cache, as after its 300 s TTL). Budgets: callback p95 < 300 ms, first load < 2 s.
Prints a table and writes ``benchmarks/out/bench_dashboard.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
BUDGET_CALLBACK_MS = 300.0
BUDGET_LOAD_MS = 2000.0
MAX_SECONDS_PER_CALLBACK = 20.0  # a slow callback is timed fewer times rather than for minutes
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ROUTER = ".._pages_content.children..._pages_store.data.."
# The moment the page has settled: title shown and no Dash callback in flight for 150 ms; returns the
# time (ms since navigation start) it first became idle.
SETTLED = """() => {
    const idle = document.querySelector('#_pages_content .page-title') && window.store
        && !window.store.getState().isLoading;
    if (!idle) { window.__settledSince = undefined; return false; }
    window.__settledSince = window.__settledSince || performance.now();
    return performance.now() - window.__settledSince > 150 ? window.__settledSince : false;
}"""


def build(url: str, enterprises: int, models_dir: Path) -> None:
    """The bench_load store (a rule-of-thumb list on the as-of date) and a list four weeks earlier."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_load import build_store

    from analytics.risk.risklist import scored_dates, score_store
    from analytics.store.database import open_store

    build_store(url, enterprises, models_dir, train=False)
    store = open_store(url)
    earlier = scored_dates(store)[-1] - pd.Timedelta(days=28)
    started = time.perf_counter()
    score_store(store, earlier, models_dir=models_dir)
    print(f"scored {earlier:%Y-%m-%d} too in {time.perf_counter() - started:.0f} s", flush=True)


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1] if len(values) > 1 else values[0]


def _page_of(output: str) -> str:
    from dashboard import auth

    if output == ROUTER:
        return "(router)"
    first = output.strip(".").split("...")[0].rsplit(".", 1)[0]
    page = auth.page_for_id(json.loads(first) if first.startswith("{") else first)
    return "(shell)" if page == "" else (page or "?")


def _query(store, path: str) -> str:
    """The address a person opens: the enterprise page with the list's top firm."""
    if path == "/enterprise":
        from analytics.risk.risklist import read_risk_list

        return "?id=" + str(read_risk_list(store)["enterprise_id"].iloc[0])
    return ""


def load_pages(base: str, paths: dict[str, str], password: str, users: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """Open each page twice, each time in a fresh browser context (nothing in the browser's cache): once
    right after the pages' data cache was emptied, once with it filled. Returns (loads, callback bodies)."""
    from playwright.sync_api import sync_playwright

    from dashboard.components import data

    loads, bodies = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        states = {}
        for role, username in users.items():
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            page.locator("form button[type=submit]").click()
            page.wait_for_url(lambda url: "/login" not in url, wait_until="commit")
            states[role] = context.storage_state()
            context.close()
        for path, role in paths.items():
            times, idle = {}, {}
            for server_cache in ("cold", "warm"):  # cold: the pages' data cache just emptied (TTL over)
                if server_cache == "cold":
                    data.clear()
                context = browser.new_context(storage_state=states[role], viewport={"width": 1400, "height": 900})
                page = context.new_page()
                recorded: list[dict] = []
                page.on("request", lambda request, into=recorded: into.append(request.post_data_json)
                        if "/_dash-update-component" in request.url else None)
                errors: list[str] = []
                page.on("pageerror", lambda error, into=errors: into.append(str(error)))
                page.goto(base + path)
                times[server_cache] = float(page.wait_for_function(SETTLED, polling=50, timeout=120_000).json_value())
                # a grid may ask for its first rows just after Dash went idle: wait for the network to be
                # quiet for 500 ms, so those calls are recorded too (and say when that was)
                page.wait_for_load_state("networkidle")
                idle[server_cache] = max(times[server_cache], page.evaluate("performance.now()") - 500)
                context.close()
            loads.append({"page": path.split("?")[0], "role": role, "first_load_ms": round(times["warm"]),
                          "network_idle_ms": round(idle["warm"]), "cold_cache_ms": round(times["cold"]),
                          "callbacks": len(recorded), "page_errors": errors})
            bodies += [{"page": path.split("?")[0], "role": role, "body": body} for body in recorded]
            print(f"  loaded {path:<40} {times['warm']:7.0f} ms  (data cache cold: {times['cold']:.0f} ms; "
                  f"{len(recorded)} callbacks)", flush=True)
        browser.close()
    return loads, bodies


def time_callbacks(app, bodies: list[dict], users: dict[str, str], repeat: int) -> list[dict]:
    """Replay each recorded callback ``repeat`` times through the test client (server time only)."""
    from dashboard.components import data

    from analytics.accounts import users as accounts
    from dashboard import auth

    store = app.server.extensions["saferank"]["store"]
    clients = {}
    for role, username in users.items():
        client = app.server.test_client()
        with client.session_transaction() as session:
            session[auth.SESSION_KEY] = accounts.start_session(store, username)
        clients[role] = client
    seen, rows, last_page = set(), [], None
    for item in bodies:
        body = item["body"]
        key = (item["page"], body["output"], json.dumps(body.get("inputs"), sort_keys=True, default=str))
        if key in seen:
            continue
        seen.add(key)
        client = clients[item["role"]]

        def call() -> tuple[float, int]:
            started = time.perf_counter()
            response = client.post("/_dash-update-component", json=body,
                                   headers={"Referer": f"http://127.0.0.1{item['page']}"})
            return (time.perf_counter() - started) * 1000, response.status_code

        if item["page"] != last_page:  # each page starts on an empty data cache, as after its TTL
            data.clear()
            last_page = item["page"]
        first, status = call()
        times: list[float] = []
        while len(times) < repeat and sum(times) < MAX_SECONDS_PER_CALLBACK * 1000:
            times.append(call()[0])
        rows.append({"page": item["page"], "callback": body["output"], "owner": _page_of(body["output"]),
                     "status": status, "first_ms": round(first, 1), "p50_ms": round(_quantile(times, 0.5), 1),
                     "p95_ms": round(_quantile(times, 0.95), 1), "max_ms": round(max(times), 1), "n": len(times)})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=f"sqlite:///{OUT / 'dashboard.db'}")
    parser.add_argument("--build", type=int, default=0, help="simulate, load and score this many enterprises first")
    parser.add_argument("--repeat", type=int, default=20, help="calls per callback for its p95")
    parser.add_argument("--pages", nargs="*", help="only these page paths")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    models_dir = OUT / "dashboard-models"
    db_file = Path(args.db.removeprefix("sqlite:///"))
    if args.build or (args.db.startswith("sqlite:///") and not db_file.exists()):
        build(args.db, args.build or 100_000, models_dir)

    import dash
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    from analytics.accounts import users as accounts
    from dashboard import auth
    from dashboard.app import create_app

    app = create_app({"db": args.db, "secret_key": secrets.token_hex(32), "models_dir": str(models_dir)})
    store = app.server.extensions["saferank"]["store"]
    password = secrets.token_urlsafe(16)
    users = {role: f"bench-{role}-{secrets.token_hex(3)}" for role in ("office", "admin")}
    for role, username in users.items():
        accounts.add_user(store, username, role, password, display_name="dashboard bench")
    enterprises = pd.read_sql("select count(*) as n from enterprises", store.engine)["n"].iloc[0]
    paths = {}
    for page in sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0):
        if args.pages and page["path"] not in args.pages:
            continue
        role = "office" if "office" in auth.PAGE_ROLES.get(page["path"], ()) else "admin"
        if role in auth.PAGE_ROLES.get(page["path"], ()):
            paths[page["path"] + _query(store, page["path"])] = role
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        print(f"store {args.db}: {enterprises:,} enterprises; pages: {', '.join(paths)}", flush=True)
        loads, bodies = load_pages(base, paths, password, users)
        server.shutdown()
        callbacks = time_callbacks(app, bodies, users, args.repeat)
    finally:
        for username in users.values():
            accounts.disable_user(store, username)

    print(f"\nfirst load in chromium, fresh browser context (budget {BUDGET_LOAD_MS:.0f} ms; 'cold': data cache empty)")
    print(f"{'page':<16}{'role':<8}{'load ms':>9}{'net idle':>9}{'cold ms':>9}{'callbacks':>11}  verdict")
    for row in loads:
        verdict = "OK" if row["first_load_ms"] < BUDGET_LOAD_MS else "OVER"
        print(f"{row['page']:<16}{row['role']:<8}{row['first_load_ms']:>9}{row['network_idle_ms']:>9}{row['cold_cache_ms']:>9}"
              f"{row['callbacks']:>11}  {verdict}"
              + (f"  page errors: {row['page_errors']}" if row["page_errors"] else ""))
    print(f"\nserver time per callback: first call, then p50/p95 of {args.repeat} (budget p95 {BUDGET_CALLBACK_MS:.0f} ms)")
    print(f"{'page':<14}{'callback':<58}{'status':>7}{'first':>8}{'p50':>8}{'p95':>8}  verdict")
    for row in callbacks:
        verdict = "OK" if row["p95_ms"] < BUDGET_CALLBACK_MS else "OVER"
        name = row["callback"] if len(row["callback"]) <= 56 else row["callback"][:53] + "..."
        print(f"{row['page']:<14}{name:<58}{row['status']:>7}{row['first_ms']:>8.0f}{row['p50_ms']:>8.0f}"
              f"{row['p95_ms']:>8.0f}  {verdict}")
    over = [r for r in callbacks if r["p95_ms"] >= BUDGET_CALLBACK_MS] + [r for r in loads if r["first_load_ms"] >= BUDGET_LOAD_MS]
    result = {"store": args.db, "enterprises": int(enterprises), "repeat": args.repeat,
              "budgets": {"callback_p95_ms": BUDGET_CALLBACK_MS, "first_load_ms": BUDGET_LOAD_MS},
              "first_loads": loads, "callbacks": callbacks, "over_budget": len(over)}
    (OUT / "bench_dashboard.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\n{len(over)} over budget; written {OUT / 'bench_dashboard.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
