"""The audit log cannot be rewritten by the app's own database account.

SQLite: ``INSERT OR REPLACE`` / ``REPLACE`` / upsert on an existing id is refused like UPDATE and
DELETE (a store made before that trigger gets it at the next open). PostgreSQL, on the real server:
``saferank db grant-app-role`` makes an owner-migrated store and a restricted app role; as that role
UPDATE, DELETE, upsert, TRUNCATE, DISABLE/DROP TRIGGER, SET session_replication_role and SET ROLE to
the owner all fail, while the app's work (accounts, sign-in, import, audit) goes on."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from analytics.accounts import audit
from analytics.contract.errors import UserError
from analytics.store.database import open_store

SQLITE_REWRITES = (
    "INSERT OR REPLACE INTO audit_log (id, time, username, role, action) VALUES (1, '2020-01-01', 'x', 'x', 'login')",
    "REPLACE INTO audit_log (id, time, username, role, action) VALUES (1, '2020-01-01', 'x', 'x', 'login')",
    "INSERT INTO audit_log (id, time, username, role, action) VALUES (1, '2020-01-01', 'x', 'x', 'login') "
    "ON CONFLICT (id) DO UPDATE SET username = 'x'",
    "INSERT OR IGNORE INTO audit_log (id, time, username, role, action) VALUES (1, '2020-01-01', 'x', 'x', 'login')",
    "UPDATE audit_log SET username = 'x'",
    "DELETE FROM audit_log",
)


def _refused(engine: sa.Engine, statement: str) -> str | None:
    """The database's message when ``statement`` fails, None when it ran."""
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(statement)
    except sa.exc.DBAPIError as error:
        return str(error.orig)
    return None


def _entries(store) -> list[tuple]:
    with store.engine.connect() as connection:
        return connection.execute(sa.select(audit.audit_log).order_by(audit.audit_log.c.id)).all()


@pytest.mark.parametrize("statement", SQLITE_REWRITES)
def test_sqlite_refuses_replace_upsert_update_and_delete(tmp_path, statement: str) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    audit.record(store, None, "import", "first")
    before = _entries(store)
    message = _refused(store.engine, statement)
    assert message is not None and "append-only" in message
    assert _entries(store) == before
    audit.record(store, None, "import", "second")  # appending still works
    assert [row.object_id for row in _entries(store)] == ["first", "second"]


def test_an_older_sqlite_store_gets_the_replace_trigger_at_the_next_open(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(url)
    audit.record(store, None, "import", "first")
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER audit_log_no_replace")  # as a store made before it existed
    assert _refused(store.engine, SQLITE_REWRITES[0]) is None  # the hole this closes
    store.dispose()
    again = open_store(url)
    audit.record(again, None, "import", "second")
    assert "append-only" in (_refused(again.engine, SQLITE_REWRITES[1].replace("VALUES (1", "VALUES (2")) or "")


def test_grant_app_role_is_postgresql_only_and_checks_the_name(tmp_path) -> None:
    from analytics.store.roles import grant_app_role

    with pytest.raises(UserError, match="PostgreSQL"):
        grant_app_role(f"sqlite:///{tmp_path / 's.db'}", "saferank_app")
    with pytest.raises(UserError, match="role name"):
        grant_app_role("postgresql+psycopg://nobody@127.0.0.1:1/x", 'app"; DROP TABLE audit_log; --')


# --- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture
def two_roles(pg_url):
    """A schema owned by a fresh non-superuser owner role; yields (owner URL, app role, app URL)."""
    tag = uuid.uuid4().hex[:10]
    owner, app, schema = f"sr_owner_{tag}", f"sr_app_{tag}", f"t_roles_{tag}"
    PG_BASE = pg_url.split("?")[0]  # noqa: N806  (the server the session's schema lives on)
    admin = sa.create_engine(PG_BASE)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{owner}" LOGIN CREATEROLE')
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{owner}"')
    base = sa.engine.make_url(PG_BASE)

    def url(role: str) -> str:
        return base.set(username=role).render_as_string(hide_password=False) + f"?options=-csearch_path%3D{schema}"

    yield url(owner), app, url(app)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        for role in (app, owner):
            if connection.exec_driver_sql(f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'").first():
                connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                connection.exec_driver_sql(f'DROP ROLE "{role}"')
    admin.dispose()


@pytest.mark.postgres
def test_the_restricted_app_role_cannot_touch_the_audit_and_the_app_still_works(two_roles, capsys) -> None:
    from analytics.accounts import users as accounts
    from analytics.store.database import read_tables
    from analytics.store.writing import write_tables
    from analytics.store.roles import connected_role_problems
    from saferank.cli import main

    owner_url, app_role, app_url = two_roles
    assert main(["db", "grant-app-role", "--owner-url", owner_url, "--app-role", app_role, "--lang", "en"]) == 0
    assert f"Created the app role {app_role}" in capsys.readouterr().out
    granted = audit.search(open_store(owner_url), {"action": "db_role"})
    assert granted["object_id"].tolist() == [app_role] and granted["role"].tolist() == ["cli"]
    assert '"created": true' in granted["details"].iloc[0] and '"outcome": "done"' in granted["details"].iloc[0]

    app = open_store(app_url)
    assert connected_role_problems(app) == []
    owner = open_store(owner_url)
    assert [problem[1] for problem in connected_role_problems(owner)][0].endswith(f"owns tables of the schema {owner_url.split('%3D')[1]}")
    from analytics.store.roles import role_warning

    assert role_warning(app) is None  # what saferank serve prints at start
    assert "grant-app-role" in role_warning(owner) and "审计日志" in role_warning(owner)

    # the app's work: accounts, sign-in (audited), an import of two towns, its own audit entries
    accounts.add_user(app, "wang", "office", "a-Long-enough-passphrase-7", actor=audit.cli_actor())
    assert accounts.verify_login(app, "wang", "a-Long-enough-passphrase-7", source="10.0.0.1").username == "wang"
    from analytics.contract import frames

    write_tables(app, {"towns": frames.typed("towns", [{"town_id": "T1", "name": "城关镇"}, {"town_id": "T2", "name": "沿海镇"}])})
    assert read_tables(app, names=("towns",))["towns"]["town_id"].tolist() == ["T1", "T2"]
    audit.record(app, None, "import", "towns")
    before = _entries(owner)
    assert len(before) >= 3
    first = before[0].id

    # a GRANT by a role without the grant option only warns: what counts is that nothing changes
    _refused(app.engine, f"GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO \"{app_role}\"")
    attempts = {
        "update": "UPDATE audit_log SET username = 'nobody'",
        "delete": "DELETE FROM audit_log",
        "upsert": f"INSERT INTO audit_log (id, time, username, role, action) VALUES ({first}, now(), 'x', 'x', 'login') "
                  "ON CONFLICT (id) DO UPDATE SET username = 'x'",
        "truncate": "TRUNCATE audit_log",
        "disable trigger": "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "disable one trigger": "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "drop trigger": "DROP TRIGGER audit_log_append_only ON audit_log",
        "replica": "SET session_replication_role = replica",
        "become the owner": f"SET ROLE \"{owner_url.split('://')[1].split('@')[0]}\"",
        "new trigger": "CREATE FUNCTION x() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql",
    }
    for name, statement in attempts.items():
        message = _refused(app.engine, statement)
        assert message is not None, f"{name} ran as the app role"
        assert "permission denied" in message or "must be owner" in message, (name, message)
    # a replica session, had it been allowed, would delete without triggers: both steps in one go
    assert _refused(app.engine, "SET session_replication_role = replica; DELETE FROM audit_log") is not None
    assert _entries(owner) == before

    # the owner itself still meets the trigger for UPDATE/DELETE; only the owner could switch it off
    assert "append-only" in (_refused(owner.engine, "DELETE FROM audit_log") or "")
    app.dispose()
    owner.dispose()


@pytest.mark.postgres
def test_the_app_role_is_refused_when_it_could_switch_triggers_off(two_roles) -> None:
    from analytics.store.roles import grant_app_role

    owner_url, app_role, _ = two_roles
    owner_name = owner_url.split("://")[1].split("@")[0]
    with pytest.raises(UserError, match="owner"):
        grant_app_role(owner_url, owner_name)
    grant = grant_app_role(owner_url, app_role, dry_run=True)
    assert grant.created and grant.append_only == ["audit_log"]
    assert any(s.startswith(f'GRANT SELECT, INSERT ON "{grant.schema}"."audit_log"') for s in grant.statements)
    assert not any("UPDATE" in s and "audit_log" in s for s in grant.statements)
    # a role that is a member of the owner would inherit DISABLE TRIGGER: refused, nothing granted
    admin = sa.create_engine(owner_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{app_role}" LOGIN IN ROLE "{owner_name}"')
    admin.dispose()
    with pytest.raises(UserError, match="member"):
        grant_app_role(owner_url, app_role)


@pytest.mark.postgres
def test_an_app_role_store_needing_an_upgrade_says_who_must_run_it(two_roles) -> None:
    from analytics.store.roles import grant_app_role

    owner_url, app_role, app_url = two_roles
    grant_app_role(owner_url, app_role)
    owner = open_store(owner_url)
    with owner.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE towns DROP COLUMN coastal")  # as a store of an older version
    owner.dispose()
    with pytest.raises(UserError, match="grant-app-role"):
        open_store(app_url)
    grant_app_role(owner_url, app_role)  # the owner upgrades; the app opens again
    app = open_store(app_url)
    assert "coastal" in {c["name"] for c in sa.inspect(app.engine).get_columns("towns")}
    app.dispose()
