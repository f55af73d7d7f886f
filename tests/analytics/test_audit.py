"""The audit log: entries as recorded, search filters, CSV export, and no way to change the past."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.accounts import audit
from analytics.accounts.users import User
from analytics.contract.errors import UserError
from analytics.store.database import open_store

OFFICE = User("wang", "office")
INSPECTOR = User("li", "inspector", "第2组")


@pytest.fixture
def store(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


def _fill(store) -> None:
    audit.record(store, OFFICE, "view_list", "2026-03-01", "10.0.0.1", {"page": "/risk-list"})
    audit.record(store, INSPECTOR, "view_enterprise", "E7", "10.0.0.2")
    audit.record(store, OFFICE, "export_list", "2026-03-01", "10.0.0.1", {"rows": 120, "format": "csv"})
    audit.record(store, None, "import", None, None, {"files": ["企业.csv"]})


def test_entries_keep_who_what_which_where_and_details(store) -> None:
    _fill(store)
    entries = audit.search(store)
    assert entries["action"].tolist() == ["import", "export_list", "view_enterprise", "view_list"]  # newest first
    newest_export = entries.iloc[1]
    assert (newest_export["username"], newest_export["role"], newest_export["object_id"], newest_export["source"]) == (
        "wang", "office", "2026-03-01", "10.0.0.1",
    )
    assert '"rows": 120' in newest_export["details"]
    assert entries.iloc[0][["username", "role"]].tolist() == ["cli", "cli"]
    assert "企业.csv" in entries.iloc[0]["details"]
    assert (entries["time"].diff().dropna() <= pd.Timedelta(0)).all()


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"username": "wang"}, ["export_list", "view_list"]),
        ({"action": "view_enterprise"}, ["view_enterprise"]),
        ({"action": ["view_list", "import"]}, ["import", "view_list"]),
        ({"object_id": "E7"}, ["view_enterprise"]),
        ({"role": "inspector"}, ["view_enterprise"]),
        ({"text": "csv"}, ["import", "export_list"]),
        ({"since": "2000-01-01", "until": "2100-01-01"}, ["import", "export_list", "view_enterprise", "view_list"]),
        ({"until": "2000-01-01"}, []),
    ],
)
def test_search_filters(store, filters, expected) -> None:
    _fill(store)
    assert audit.search(store, filters)["action"].tolist() == expected


def test_a_bare_until_date_covers_that_whole_day(store) -> None:
    _fill(store)
    today = pd.Timestamp.now("UTC").tz_localize(None).normalize()
    assert len(audit.search(store, {"since": today, "until": f"{today:%Y-%m-%d}"})) == 4


def test_bad_filters_are_user_errors(store) -> None:
    with pytest.raises(UserError):
        audit.search(store, {"who": "wang"})
    with pytest.raises(UserError):
        audit.search(store, {"since": "yesterday-ish"})
    with pytest.raises(ValueError):
        audit.record(store, OFFICE, "delete_everything")


def test_csv_export_has_chinese_headers_and_is_itself_audited(store, tmp_path) -> None:
    _fill(store)
    path = tmp_path / "audit.csv"
    audit.export_csv(store, path, {"username": "wang"}, actor=User("root", "admin"))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    exported = pd.read_csv(path, encoding="utf-8-sig")
    assert list(exported.columns) == ["时间", "账户", "角色", "操作", "对象", "来源地址", "详情"]
    assert exported["操作"].tolist() == ["导出风险清单", "查看风险清单"]
    assert audit.search(store, {"action": "export_audit"})["username"].tolist() == ["root"]
    english = audit.export_csv(store, None, {"action": "view_list"}, lang="en")
    assert english.splitlines()[0] == "Time,Account,Role,Action,Object,Source address,Details"
    buffer = io.StringIO()
    audit.export_csv(store, buffer, {"object_id": "E7"})
    assert "查看企业" in buffer.getvalue()


def _try_to_rewrite_history(store) -> list[str]:
    refused = []
    for statement in ("UPDATE audit_log SET username = 'nobody'", "DELETE FROM audit_log"):
        try:
            with store.engine.begin() as connection:
                connection.execute(sa.text(statement))
        except sa.exc.DBAPIError as error:
            refused.append(str(error.orig))
    return refused


def test_the_database_refuses_to_change_or_delete_entries(store) -> None:
    _fill(store)
    assert len(_try_to_rewrite_history(store)) == 2
    assert audit.search(store)["username"].tolist() == ["cli", "wang", "li", "wang"]
    assert not any(name.startswith(("update", "delete")) for name in dir(audit))  # no API for it either


@pytest.mark.postgres
def test_postgres_refuses_to_change_or_delete_entries(pg_url) -> None:
    store = open_store(pg_url)
    before = len(audit.search(store))  # the session's schema is shared: other tests' rows may be there
    _fill(store)
    refused = _try_to_rewrite_history(store)
    assert len(refused) == 2 and all("append-only" in message for message in refused)
    with pytest.raises(sa.exc.DBAPIError):
        with store.engine.begin() as connection:
            connection.execute(sa.text("TRUNCATE audit_log"))
    assert len(audit.search(store)) == before + 4
