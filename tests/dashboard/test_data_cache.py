"""The pages' data cache: an expired entry never makes a visitor wait, and one enterprise's rows come
from an index that gives exactly what filtering every table would."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest
import summary_county as county

from dashboard.components import data


@pytest.fixture(autouse=True)
def empty_cache():
    data.clear()
    yield
    data.clear()


def test_an_expired_entry_is_answered_at_once_and_rebuilt_in_the_background(monkeypatch) -> None:
    built = []
    release = threading.Event()

    def build() -> int:
        built.append(len(built))
        if len(built) > 1:
            release.wait(5)  # a slow re-read
        return len(built)

    assert data._cached("k", build) == 1
    monkeypatch.setattr(data, "TTL_SECONDS", 0.0)
    started = time.monotonic()
    assert data._cached("k", build) == 1  # the old value, without waiting for the slow build
    assert data._cached("k", build) == 1  # and only one rebuild at a time
    assert time.monotonic() - started < 1
    release.set()
    deadline = time.monotonic() + 5
    while data._cache["k"][1] != 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert data._cache["k"][1] == 2 and len(built) == 2


def test_a_read_that_began_before_a_clear_is_not_kept(monkeypatch) -> None:
    """Saving results clears the cache: tables read while the results were being written are old."""
    built = []

    def build_racing_a_write() -> str:
        built.append("old")
        data.clear()  # results saved while this read was running
        return "old"

    assert data._cached("tables-race", build_racing_a_write) == "old"  # the caller gets what was read
    assert data._cached("tables-race", lambda: "new") == "new"  # the next one reads again
    release = threading.Event()

    def slow_refresh() -> str:
        release.wait(5)
        return "old"

    monkeypatch.setattr(data, "TTL_SECONDS", 0.0)
    assert data._cached("tables-race", slow_refresh) == "new"  # expired: refreshed in the background
    data.clear()
    assert data._cached("tables-race", lambda: "newest") == "newest"
    release.set()
    deadline = time.monotonic() + 5
    while "tables-race" in {k for k in data._refreshing} and time.monotonic() < deadline:
        time.sleep(0.01)
    monkeypatch.setattr(data, "TTL_SECONDS", 300.0)
    assert data._cached("tables-race", lambda: "unused") == "newest"  # the old refresh did not overwrite it


@pytest.mark.parametrize("enterprise_id", ["E1", "E2", "E3", "E4", "nobody"])
def test_one_enterprise_s_rows_are_those_filtering_would_give(monkeypatch, enterprise_id: str) -> None:
    tables = county.tables()
    monkeypatch.setattr(data, "_store_key", lambda: "tiny-county")
    monkeypatch.setattr(data, "tables", lambda: tables)
    mine = data.enterprise_tables(enterprise_id)
    assert set(mine) == set(tables)
    for name, frame in tables.items():
        expected = frame.loc[frame["enterprise_id"] == enterprise_id] if "enterprise_id" in frame.columns else frame
        pd.testing.assert_frame_equal(mine[name], expected)


def test_serving_warms_the_cache_with_the_tables_and_the_newest_list(tmp_path) -> None:
    from analytics.risk.risklist import save_risk_list
    from analytics.store.writing import write_tables
    from dashboard.app import create_app
    from dashboard.serve import warm_cache

    app = create_app({"db": f"sqlite:///{tmp_path / 'store.db'}", "secret_key": "warm-" + "x" * 32,
                      "models_dir": str(tmp_path / "models")})
    store = app.server.extensions["saferank"]["store"]
    write_tables(store, county.tables())
    listed = county.risk_list().assign(reasons_en="", contributions="{}")
    save_risk_list(store, listed)
    assert not data._cache

    warm_cache(app).join(timeout=60)

    kinds = {key[0] for key in data._cache}
    assert {"dates", "tables"} <= kinds and len(data._cache) >= 3  # and the newest list
