"""A served dashboard for the browser tests: chromium from Debian, the app in a daemon thread.

Until the store and the scorer land, the app is a plain pages app over the content pages, its page
data pointed at the tiny hand-made county (tests/summary_county.py); no sign-in is needed there.
"""

from __future__ import annotations

import importlib
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import dash
import pandas as pd
import pytest
import summary_county as county
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CONTENT_PAGES = ("overview", "risk_list", "enterprise", "followup")
AUDITED: list[tuple[str, str | None]] = []  # what the pages asked the auth seam to audit


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    from dashboard.components import data

    lists = {county.AS_OF: county.risk_list(), county.PREVIOUS_AS_OF: county.previous_risk_list()}
    patch = pytest.MonkeyPatch()
    patch.setattr(data, "_store_key", lambda: "tiny-county")
    patch.setattr(data, "tables", county.tables)
    patch.setattr(data, "scored_dates", lambda: sorted(lists, reverse=True))
    patch.setattr(data, "risk_list", lambda as_of, lang="zh", model_version=None: lists[pd.Timestamp(as_of)])
    patch.setattr(data, "store", lambda: None)
    app = dash.Dash("dashboard", use_pages=True, pages_folder="", serve_locally=True,
                    assets_folder=str(ROOT / "dashboard" / "assets"), suppress_callback_exceptions=True)
    for name in CONTENT_PAGES:  # imported by hand (not from a pages folder), so their layout is set here
        module = importlib.import_module(f"dashboard.pages.{name}")
        dash.page_registry[module.__name__]["layout"] = module.layout
        if hasattr(module, "_audit"):  # the auth seam's audit needs the real store; record the calls instead
            patch.setattr(module, "_audit", lambda action, object_id=None, **details: AUDITED.append((action, object_id)))
    app.layout = dash.html.Div([dash.page_container])
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    patch.undo()
    data.clear()


@pytest.fixture(scope="session")
def downloads() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(dir=ROOT / "test-artifacts" if (ROOT / "test-artifacts").exists() else None) as folder:
        yield Path(folder)
