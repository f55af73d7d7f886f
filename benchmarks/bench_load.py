"""Load test on loopback: N concurrent signed-in users against ``saferank serve --prod`` for a while.

    .venv/bin/python benchmarks/bench_load.py --db sqlite:///benchmarks/out/load.db [--users 20 --seconds 60]
    .venv/bin/python benchmarks/bench_load.py --build 100000     # simulate, load and score a store first

Each virtual user signs in once (session cookie) and holds an API token, then loops over a mix a
dashboard user makes: the app shell (``/_dash-layout``), the page router rendering the risk list,
an API page of the risk list at a random offset, and one enterprise. It prints p50/p95/p99 latency
per request kind, throughput and errors. The server runs in a child process on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
HOST = "127.0.0.1"


def build_store(url: str, enterprises: int, models_dir: Path, train: bool) -> None:
    """Simulate a county, load it, get a serving model and score it (simulate → write_tables →
    train_models, or with ``train=False`` the office's rule of thumb → score_store)."""
    from analytics.simulate import simulate_county
    from analytics.store.database import open_store

    started = time.perf_counter()
    county = simulate_county(enterprises=enterprises)
    print(f"simulated {enterprises} enterprises in {time.perf_counter() - started:.0f} s", flush=True)
    store = open_store(url)
    try:
        from analytics.models.select import train_models
        from analytics.risk.risklist import score_store
        from analytics.store.writing import write_tables
    except ImportError as missing:
        sys.exit(f"missing: {missing} (cannot build the store)")

    def rule_of_thumb() -> None:
        # The load test measures the web layer; which model made the list does not change its cost.
        import pandas as pd

        from analytics.models.registry import ModelRegistry
        from analytics.models.scorecard import INPUTS, RuleOfThumb

        model = RuleOfThumb().fit(pd.DataFrame({name: [0.0] for name in INPUTS}))
        ModelRegistry(models_dir).register(model, {"version": "rule-of-thumb-bench", "model": "rule_of_thumb"})

    for step, run in (
        ("loaded", lambda: write_tables(store, county.tables)),
        ("trained" if train else "registered the rule of thumb",
         (lambda: train_models(store, county.as_of, models_dir=models_dir)) if train else rule_of_thumb),
        ("scored", lambda: score_store(store, county.as_of, models_dir=models_dir)),
    ):
        started = time.perf_counter()
        run()
        print(f"{step} in {time.perf_counter() - started:.0f} s", flush=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _wait_until_up(base: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited with {server.returncode}")
        try:
            if requests.get(f"{base}/api/v1/health", timeout=2).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.5)
    sys.exit("the server did not answer in time")


def _router_body(pathname: str, search: str) -> dict:
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "state": [], "changedPropIds": ["_pages_location.pathname"],
    }


def run_load(base: str, username: str, password: str, token: str, users: int, seconds: float) -> dict:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    total = requests.get(f"{base}/api/v1/risk-list?limit=1", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    listed = total.json().get("total", 0) if total.ok else 0
    ids = []
    if listed:
        page = requests.get(f"{base}/api/v1/risk-list?limit=1000", headers={"Authorization": f"Bearer {token}"}, timeout=60)
        ids = [item["enterprise_id"] for item in page.json()["items"]]
    stop = time.monotonic() + seconds

    def user(seed: int) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        login = session.get(f"{base}/login", timeout=30)
        csrf = login.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        session.post(f"{base}/login", data={"username": username, "password": password, "csrf": csrf}, timeout=30)
        api = {"Authorization": f"Bearer {token}"}
        while time.monotonic() < stop:
            kind = rng.choice(("layout", "router", "api_list", "api_enterprise"))
            started = time.perf_counter()
            try:
                if kind == "layout":
                    response = session.get(f"{base}/_dash-layout", timeout=60)
                elif kind == "router":
                    response = session.post(f"{base}/_dash-update-component", json=_router_body("/risk-list", ""), timeout=60)
                elif kind == "api_list":
                    offset = rng.randrange(max(listed - 50, 1))
                    response = session.get(f"{base}/api/v1/risk-list?limit=50&offset={offset}", headers=api, timeout=60)
                else:
                    target = rng.choice(ids) if ids else "none"
                    response = session.get(f"{base}/api/v1/enterprises/{target}", headers=api, timeout=60)
                ok = response.status_code == 200
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - started
            with lock:
                latencies[kind].append(elapsed)
                if not ok:
                    errors[kind] += 1

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"latencies": latencies, "errors": errors, "elapsed": time.perf_counter() - started, "listed": listed}


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=f"sqlite:///{OUT / 'load.db'}")
    parser.add_argument("--build", type=int, default=0, help="simulate, load and score this many enterprises first")
    parser.add_argument("--train", action="store_true", help="with --build: train models (slow) instead of the rule of thumb")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    models_dir = OUT / "models"
    if args.build:
        build_store(args.db, args.build, models_dir, args.train)

    from analytics.accounts import users as accounts
    from analytics.store.database import open_store

    store = open_store(args.db)
    username, password = f"bench-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    accounts.add_user(store, username, "office", password, display_name="load test")
    _, token = accounts.create_token(store, username, "bench_load")
    port = _free_port()
    env = {**os.environ, "SAFERANK_SECRET_KEY": secrets.token_hex(32), "SAFERANK_MODELS": str(models_dir)}
    server_log = (OUT / "server.log").open("w")  # waitress warns on every queued request under load
    server = subprocess.Popen(
        [sys.executable, "-m", "saferank.cli", "serve", "--prod", "--host", HOST, "--port", str(port), "--db", args.db],
        cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT,
    )
    base = f"http://{HOST}:{port}"
    try:
        _wait_until_up(base, server)
        result = run_load(base, username, password, token, args.users, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()
        accounts.disable_user(store, username)
    every = [v for values in result["latencies"].values() for v in values]
    print(f"store: {args.db}; enterprises on the newest list: {result['listed']}; server log: {OUT / 'server.log'}")
    print(f"{args.users} users for {result['elapsed']:.0f} s: {len(every)} requests, {len(every) / result['elapsed']:.1f} req/s, "
          f"errors {sum(result['errors'].values())}")
    print(f"{'kind':<16}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind, values in sorted(result["latencies"].items()) + [("all", every)]:
        failed = sum(result["errors"].values()) if kind == "all" else result["errors"].get(kind, 0)
        print(f"{kind:<16}{len(values):>7}{1000 * _quantile(values, 0.50):>9.0f}{1000 * _quantile(values, 0.95):>9.0f}"
              f"{1000 * _quantile(values, 0.99):>9.0f}{failed:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
