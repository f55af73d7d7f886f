"""The store: typed round trip, upsert by id with counts, one transaction, point-in-time reads,
schema version, URL resolution and extra tables of other modules; on SQLite and PostgreSQL."""

# ruff: noqa: F811  (pytest fixtures imported from test_store_backends are redefined as arguments)
from __future__ import annotations

import subprocess
import sys
import textwrap

import pandas as pd
import pytest
import sqlalchemy as sa
from test_store_backends import store, store_url  # noqa: F401  (fixtures)

from analytics.contract.errors import UserError
from analytics.contract.frames import typed
from analytics.store.database import open_store, read_tables, resolve_url, set_meta
from analytics.store.writing import WriteCounts, write_tables
from analytics.snapshot.snapshot import Snapshot


def county() -> dict[str, pd.DataFrame]:
    return {
        "towns": typed("towns", [
            {"town_id": "T1", "name": "城关镇", "coastal": True},
            {"town_id": "T2", "name": "河口镇", "coastal": False},
        ]),
        "enterprises": typed("enterprises", [
            {"enterprise_id": "E1", "name": "甲化工", "town_id": "T1", "sector": "hazardous_chemicals",
             "size": "small", "employees": 40, "longitude": 120.25, "latitude": 30.5,
             "hazardous_chemicals": True, "major_hazard_level": 2, "status": "operating",
             "established": "2015-06-01"},
            {"enterprise_id": "E2", "name": "乙渔船", "town_id": "T2", "sector": "fishing_vessels",
             "vessel_length_m": 24.5, "crew": 6, "established": "2025-01-01"},
        ]),
        "status_events": typed("status_events", [
            {"enterprise_id": "E1", "date": "2024-03-01", "status": "suspended", "reason": "seasonal"},
            {"enterprise_id": "E1", "date": "2024-05-01", "status": "operating", "approved": False},
        ]),
        "inspections": typed("inspections", [
            {"inspection_id": "I1", "enterprise_id": "E1", "date": "2024-02-01", "team": "第1组", "mode": "random"},
            {"inspection_id": "I2", "enterprise_id": "E1", "date": "2024-06-10", "mode": "follow_up"},
        ]),
        "hazards": typed("hazards", [
            {"hazard_id": "H1", "enterprise_id": "E1", "inspection_id": "I1", "found_date": "2024-02-01",
             "level": "major", "category": "chemicals", "deadline": "2024-03-01", "rectified_date": "2024-06-15"},
            {"hazard_id": "H2", "enterprise_id": "E1", "inspection_id": "I2", "found_date": "2024-06-10",
             "level": "general"},
        ]),
    }


def test_written_tables_read_back_identical_in_key_order(store):
    tables = county()
    write_tables(store, tables)
    back = read_tables(store)
    assert list(back) == ["towns", "enterprises", "status_events", "inspections", "hazards"]
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(back[name], frame)


def test_a_required_table_without_rows_is_present_and_an_empty_optional_one_absent(store):
    write_tables(store, {"towns": county()["towns"], "penalties": typed("penalties", [])})
    back = read_tables(store)
    assert set(back) == {"towns", "enterprises", "inspections", "hazards"}
    assert back["hazards"].empty and list(back["hazards"].columns) == list(typed("hazards").columns)
    assert back["hazards"].dtypes.equals(typed("hazards").dtypes)


def test_writing_the_same_tables_twice_changes_nothing_the_second_time(store):
    first = write_tables(store, county())
    assert first["hazards"] == WriteCounts(inserted=2, updated=0, unchanged=0)
    assert first["status_events"] == WriteCounts(inserted=2, updated=0, unchanged=0)
    second = write_tables(store, county())
    assert all(c == WriteCounts(0, 0, len(county()[n])) for n, c in second.items())
    assert len(read_tables(store)["status_events"]) == 2


def test_a_later_export_inserts_new_ids_and_updates_changed_ones(store):
    write_tables(store, county())
    hazards = typed("hazards", [
        {"hazard_id": "H2", "enterprise_id": "E1", "inspection_id": "I2", "found_date": "2024-06-10",
         "level": "general", "rectified_date": "2024-07-01"},
        {"hazard_id": "H3", "enterprise_id": "E2", "found_date": "2024-07-02", "level": "major"},
    ])
    events = typed("status_events", [
        {"enterprise_id": "E1", "date": "2024-05-01", "status": "operating", "approved": True},
    ])
    counts = write_tables(store, {"hazards": hazards, "status_events": events})
    assert counts["hazards"] == WriteCounts(inserted=1, updated=1, unchanged=0)
    assert counts["status_events"] == WriteCounts(inserted=0, updated=1, unchanged=0)
    back = read_tables(store)
    assert back["hazards"]["hazard_id"].tolist() == ["H1", "H2", "H3"]
    assert back["hazards"].set_index("hazard_id").loc["H2", "rectified_date"] == pd.Timestamp("2024-07-01")
    approved = back["status_events"]["approved"]
    assert approved.isna().tolist() == [True, False] and bool(approved.iloc[1]) is True


def test_a_failing_table_leaves_the_whole_write_undone(store):
    tables = county()
    tables["hazards"] = typed("hazards", [{"hazard_id": None, "enterprise_id": "E1", "found_date": "2024-01-01",
                                           "level": "general"}])
    with pytest.raises(store.engine.dialect.loaded_dbapi.Error):
        write_tables(store, tables)
    back = read_tables(store)
    assert all(back[name].empty for name in ("towns", "enterprises", "inspections", "hazards"))


def test_reading_as_of_a_date_gives_what_was_known_then(store):
    write_tables(store, county())
    known = Snapshot.from_store(store, "2024-04-01").tables
    assert known["hazards"]["hazard_id"].tolist() == ["H1"]
    assert known["hazards"]["rectified_date"].isna().all()  # rectified in June, after the date
    assert known["inspections"]["inspection_id"].tolist() == ["I1"]
    assert known["enterprises"]["enterprise_id"].tolist() == ["E1"]  # E2 established in 2025
    assert known["enterprises"]["status"].tolist() == ["suspended"]


def test_reading_some_tables_as_of_a_date_returns_only_those(store):
    write_tables(store, county())
    known = Snapshot.from_store(store, "2024-12-31", names=["hazards"]).tables
    assert list(known) == ["hazards", "enterprises"]  # the enterprises: whom the snapshot knows
    assert len(known["hazards"]) == 2
    with pytest.raises(KeyError):
        read_tables(store, names=["risk_scores"])


def test_a_store_of_another_schema_version_is_refused_with_what_to_do(store_url):
    set_meta(open_store(store_url), {"schema_version": "99"})
    with pytest.raises(UserError) as caught:
        open_store(store_url)
    assert "99" in caught.value.zh and "重新导入" in caught.value.zh
    assert "99" in caught.value.en and "import the original data files again" in caught.value.en


def test_the_url_comes_from_the_argument_then_the_environment_then_the_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAFERANK_DB", "sqlite:///env.db")
    assert resolve_url("sqlite:///given.db") == "sqlite:///given.db"
    assert resolve_url() == "sqlite:///env.db"
    monkeypatch.delenv("SAFERANK_DB")
    assert resolve_url() == "sqlite:///data/saferank.db"
    assert (tmp_path / "data").is_dir()
    store = open_store()
    assert store.dialect == "sqlite" and (tmp_path / "data" / "saferank.db").exists()
    store.dispose()


def test_open_store_creates_every_table_without_importing_the_modules_that_use_them(tmp_path):
    """The application's tables live in the store layer (``analytics.store.app_tables``): opening a
    store imports nothing above it and still creates the risk lists, accounts, audit log ..."""
    script = textwrap.dedent(f"""
        import sys
        import sqlalchemy as sa
        from analytics.store.database import open_store
        opened = open_store("sqlite:///{tmp_path / 'store.db'}")
        names = set(sa.inspect(opened.engine).get_table_names())
        higher = sorted(m for m in sys.modules if m.startswith("analytics.") and m.split(".")[1] not in ("store", "contract"))
        assert not higher, higher
        assert {{"risk_lists", "risk_scores", "dispositions", "plans", "plan_visits", "users", "api_tokens", "sessions",
                 "login_failures", "audit_log", "alerts"}} <= names, names
        with opened.engine.connect() as connection:  # the audit log's triggers came with it
            triggers = set(connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
        assert {{"audit_log_no_update", "audit_log_no_delete", "audit_log_no_replace"}} <= triggers, triggers
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
