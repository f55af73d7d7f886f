"""The pages' cache stays bounded whatever clients send (issue 21, item 2).

300 calls of ``risk-list-count`` with the language store set to ``"x{i}"`` took the demo server from
431 MB to 2.4 GB: each value became a new cache key and nothing was ever evicted. Here 1,000
distinct client-sent values go through the real app over a real store, and the cache ends within
its bound: made-up languages and dates never become keys, and even valid values that do (bulletin
periods) push out the least recently used entries instead of piling up.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import summary_county as county
from test_auth_support import signed_in_client

from analytics.accounts import users as accounts
from analytics.contract.errors import UserError
from dashboard.components import data

COUNT = 1_000


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from analytics.risk.risklist import save_risk_list
    from analytics.store.writing import write_tables
    from dashboard.app import create_app

    data.clear()
    folder = tmp_path_factory.mktemp("cache")
    app = create_app({"db": f"sqlite:///{folder / 'store.db'}", "secret_key": "bound-" + "x" * 32,
                      "models_dir": str(folder / "models")})
    store = app.server.extensions["saferank"]["store"]
    write_tables(store, county.tables())
    save_risk_list(store, county.risk_list().assign(reasons_en="", contributions="{}"))
    accounts.add_user(store, "u-office", "office", "correct-horse-battery")
    yield app, signed_in_client(app, store, "u-office")
    data.clear()


def _count_body(lang: object) -> dict:
    names = ("as-of", "town", "sector", "level", "flag", "search")
    return {"output": "risk-list-count.children", "outputs": {"id": "risk-list-count", "property": "children"},
            "inputs": [{"id": f"risk-list-{n}", "property": "value", "value": "2026-03-01" if n == "as-of" else None}
                       for n in names],
            "state": [{"id": "risk-list-lang-store", "property": "data", "value": lang}], "changedPropIds": []}


def _bulletin_body(start: str, end: str) -> dict:
    outputs = [("bulletin-headline", "children"), ("bulletin-teams", "rowData"), ("bulletin-towns", "rowData"),
               ("bulletin-message", "children")]
    return {"output": "..bulletin-headline.children...bulletin-teams.rowData...bulletin-towns.rowData...bulletin-message.children..",
            "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [{"id": "bulletin-period", "property": "start_date", "value": start},
                       {"id": "bulletin-period", "property": "end_date", "value": end}],
            "state": [{"id": "bulletin-lang-store", "property": "data", "value": "zh"}], "changedPropIds": []}


def test_a_thousand_made_up_languages_add_no_cache_entry(served) -> None:
    _, client = served
    assert client.post("/_dash-update-component", json=_count_body("zh")).status_code == 200
    keys = set(data._cache)
    rss = _rss_mb()
    for i in range(COUNT):
        response = client.post("/_dash-update-component", json=_count_body(f"x{i}"))
        assert response.status_code == 400 and response.get_json()["error"]["field"] == "risk-list-lang-store.data"
    assert set(data._cache) == keys and not data._locks
    print(f"RSS {rss:.0f} MB before, {_rss_mb():.0f} MB after {COUNT} made-up languages; {len(keys)} cache entries")


def test_the_data_layer_itself_keys_only_stored_dates_and_known_languages(served) -> None:
    app, _ = served
    with app.server.app_context():
        for i in range(COUNT):
            data.risk_list(county.AS_OF, f"x{i}")  # an unknown language falls back to the default: no new key
            data.browse(county.AS_OF, f"y{i}")
        with pytest.raises(UserError):
            data.risk_list(pd.Timestamp("2019-01-01"), "zh")  # a date no list exists for: refused, not a key
    lists = [k for k in data._cache if k[0] in ("list", "browse")]
    assert {k[-1] for k in lists} == {"zh"} and len(lists) == 2


def test_valid_periods_stay_within_the_bound(served) -> None:
    """Bulletin periods are valid dates a client may pick freely; the least recently used go. Through
    the server: more periods than the bound (each builds a real bulletin, ~0.1 s)."""
    app, client = served
    periods = data.LIMITS["summary"] + 44
    rss = _rss_mb()
    for i in range(periods):
        start = (pd.Timestamp("2023-01-01") + pd.Timedelta(days=i)).strftime("%Y-%m-%d")
        response = client.post("/_dash-update-component", json=_bulletin_body(start, "2026-03-01"))
        assert response.status_code == 200
    summaries = [k for k in data._cache if k[0] == "summary"]
    assert len(summaries) == data.LIMITS["summary"] < periods
    assert len(data._cache) <= data.MAX_ENTRIES and not data._locks
    with app.server.app_context():
        store_key = data._store_key()
    newest = ("summary", store_key, "bulletin", pd.Timestamp("2026-03-01"),
              pd.Timestamp("2023-01-01") + pd.Timedelta(days=periods - 1))
    assert newest in data._cache  # the most recent stays; the oldest went
    assert ("summary", store_key, "bulletin", pd.Timestamp("2026-03-01"), pd.Timestamp("2023-01-01")) not in data._cache
    print(f"RSS {rss:.0f} MB before, {_rss_mb():.0f} MB after {periods} periods; {len(data._cache)} cache entries")


def test_a_thousand_distinct_summaries_stay_within_the_bound(served) -> None:
    app, _ = served
    with app.server.app_context():
        for i in range(COUNT):
            start = pd.Timestamp("2020-01-01") + pd.Timedelta(days=i)
            assert data.summary("bulletin", county.AS_OF, lambda i=i: i, start) == i
    assert sum(1 for k in data._cache if k[0] == "summary") == data.LIMITS["summary"]
    assert len(data._cache) <= data.MAX_ENTRIES and not data._locks


def test_a_used_entry_outlives_newer_ones() -> None:
    data.clear()
    try:
        limit = data.LIMITS["list"]
        data._cached(("list", "kept"), lambda: "kept")
        for i in range(limit * 3):
            data._cached(("list", i), lambda i=i: i)
            data._cached(("list", "kept"), lambda: "rebuilt")  # read again: the most recently used
        assert data._cache[("list", "kept")][1] == "kept"
        assert sum(1 for k in data._cache if k[0] == "list") == limit
    finally:
        data.clear()
