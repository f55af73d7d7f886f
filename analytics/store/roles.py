"""Database roles on PostgreSQL: an owner role migrates, the app connects as a restricted role.

The audit log is append-only by triggers (``analytics.accounts.audit``), but a table's owner may
switch its triggers off (``ALTER TABLE audit_log DISABLE TRIGGER ALL``, ``DROP TRIGGER``) and a
superuser may skip them (``SET session_replication_role = replica``). The root fix is that the app
does not connect as either:

=======================  ==================================================================
role                     may
=======================  ==================================================================
owner (migrations)       create and upgrade the tables (``open_store`` runs ``create_all``
                         and the in-place upgrade), own them and their triggers
app (``--app-role``)     SELECT, INSERT, UPDATE, DELETE on the working tables; only SELECT
                         and INSERT on append-only tables (``table.info["append_only"]``:
                         the audit log); USAGE on the schema and its sequences. Not the
                         owner of anything, not a superuser, not a member of the owner or
                         of ``pg_write_all_data``, so no ALTER/DROP/DISABLE TRIGGER, no
                         TRUNCATE, no UPDATE/DELETE/upsert of the audit, no
                         ``session_replication_role``
=======================  ==================================================================

``grant_app_role(owner_url, app_role)`` (``saferank db grant-app-role``) connects as the owner,
creates or upgrades the tables, creates the app role where missing and sets exactly these grants;
run it again after every upgrade of the program (new tables get their grants then).
``app_role_statements`` gives the same SQL to read or hand to a DBA (``--print-sql``).
SQLite has no roles: there the file's permissions are the boundary (whoever may write the file may
drop a trigger), and the triggers stop the program's own statements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from analytics.contract.errors import UserError
from analytics.store.database import metadata, open_store

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
APPEND_ONLY_PRIVILEGES = "SELECT, INSERT"
# Predefined roles that would hand the app what its grants withhold.
FORBIDDEN_MEMBERSHIPS = ("pg_write_all_data",)


def append_only_tables() -> list[str]:
    """The tables declared append-only (``info={"append_only": True}``) on the store's metadata."""
    return sorted(t.name for t in metadata.sorted_tables if t.info.get("append_only"))


def _checked_role(app_role: str) -> str:
    if not isinstance(app_role, str) or not ROLE_NAME.fullmatch(app_role):
        raise UserError(
            f"角色名无效：{app_role!r}（小写字母、数字、下划线，以字母或下划线开头，最长 63 个字符）。",
            f"Not a valid role name: {app_role!r} (lower-case letters, digits and _, starting with a letter or _, "
            "at most 63 characters).",
        )
    return app_role


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def app_role_statements(app_role: str, schema: str, tables: list[str], *, create: bool,
                        password: str | None = None) -> list[str]:
    """The SQL that gives ``app_role`` exactly the app's privileges on ``tables`` of ``schema``
    (append-only tables: SELECT and INSERT only). ``create``: the role does not exist yet."""
    role = f'"{_checked_role(app_role)}"'
    quoted_schema = '"' + schema.replace('"', '""') + '"'
    secret = f" PASSWORD {_literal(password)}" if password else ""
    statements = []
    if create:
        statements.append(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS{secret}")
    elif password:  # an existing role keeps its attributes (``role_problems`` checks them afterwards)
        statements.append(f"ALTER ROLE {role}{secret}")
    statements.append(f"GRANT USAGE ON SCHEMA {quoted_schema} TO {role}")
    statements.append(f"REVOKE ALL ON ALL TABLES IN SCHEMA {quoted_schema} FROM {role}")
    append_only = set(append_only_tables())
    for table in tables:
        privileges = APPEND_ONLY_PRIVILEGES if table in append_only else APP_TABLE_PRIVILEGES
        statements.append(f'GRANT {privileges} ON {quoted_schema}."{table}" TO {role}')
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quoted_schema} TO {role}")
    return statements


@dataclass(frozen=True)
class RoleGrant:
    """What ``grant_app_role`` did."""

    app_role: str
    owner: str
    schema: str
    created: bool
    statements: list[str]
    append_only: list[str]

    def render(self, lang: str = "zh") -> str:
        tables = "、".join(self.append_only) if lang == "zh" else ", ".join(self.append_only)
        if lang == "zh":
            head = f"{'已创建' if self.created else '已更新'}应用角色 {self.app_role}（模式 {self.schema}，表的所有者 {self.owner}）："
            return (head + f"可读写业务表；对 {tables} 只能查询和追加；不是任何表的所有者，不能停用触发器。"
                    "应用连接数据库时请使用此角色；升级程序后请再次运行本命令。")
        head = f"{'Created' if self.created else 'Updated'} the app role {self.app_role} (schema {self.schema}, tables owned by {self.owner}): "
        return (head + f"reads and writes the working tables; only SELECT and INSERT on {tables}; owns no table and "
                "cannot disable triggers. Connect the app with this role; run this command again after each upgrade.")


def require_postgresql(url: str) -> None:
    """A ``UserError`` unless ``url`` is a PostgreSQL URL."""
    if sa.engine.make_url(url).get_backend_name() != "postgresql":
        raise UserError("数据库角色只适用于 PostgreSQL（SQLite 没有角色，靠文件权限保护）。",
                        "Database roles apply to PostgreSQL only (SQLite has no roles; its file permissions protect it).")


def grant_app_role(owner_url: str, app_role: str, *, password: str | None = None, dry_run: bool = False) -> RoleGrant:
    """Connect as the owner (``owner_url``), create or upgrade the tables, then create ``app_role``
    where missing and give it the app's privileges (module docstring). ``dry_run``: work out the
    statements without running them. Refused when ``app_role`` is the owner, a superuser or a member
    of the owner or of ``pg_write_all_data``."""
    require_postgresql(owner_url)
    _checked_role(app_role)
    store = open_store(owner_url)  # the owner migrates: create_all and the in-place upgrade
    try:
        with store.engine.begin() as connection:
            owner, schema = connection.execute(sa.text("SELECT current_user, current_schema()")).one()
            if owner == app_role:
                raise UserError(f"应用角色不能是表的所有者 {owner} 本身。",
                                f"The app role cannot be the tables' owner {owner} itself.")
            exists = connection.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": app_role}).first()
            present = set(sa.inspect(connection).get_table_names(schema=schema))
            tables = [t.name for t in metadata.sorted_tables if t.name in present]
            statements = app_role_statements(app_role, schema, tables, create=exists is None, password=password)
            if not dry_run:
                for statement in statements:
                    connection.exec_driver_sql(statement)
                problems = role_problems(connection, app_role, schema)
                if problems:
                    raise UserError("应用角色权限过大：" + "；".join(p[0] for p in problems) + "。",
                                    "The app role has too much power: " + "; ".join(p[1] for p in problems) + ".")
    finally:
        store.dispose()
    shown = [s.replace(_literal(password), "'***'") for s in statements] if password else statements
    return RoleGrant(app_role, owner, schema, exists is None, shown, [t for t in append_only_tables() if t in tables])


def role_problems(connection: sa.Connection, role: str, schema: str) -> list[tuple[str, str]]:
    """Why ``role`` could switch the audit triggers off (zh, en), empty when it cannot: superuser,
    owner of a table of ``schema``, member of a table owner's role or of ``pg_write_all_data``."""
    problems: list[tuple[str, str]] = []
    row = connection.execute(sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if row is None:
        return [(f"角色 {role} 不存在", f"the role {role} does not exist")]
    if row.rolsuper:
        problems.append((f"{role} 是超级用户", f"{role} is a superuser"))
    owners = connection.execute(sa.text(
        "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = :s"), {"s": schema}).scalars().all()
    for owner in owners:
        if owner == role:
            problems.append((f"{role} 是模式 {schema} 中表的所有者", f"{role} owns tables of the schema {schema}"))
        elif connection.execute(sa.text("SELECT pg_has_role(:r, :o, 'MEMBER')"), {"r": role, "o": owner}).scalar():
            problems.append((f"{role} 是所有者 {owner} 的成员", f"{role} is a member of the owner {owner}"))
    for predefined in FORBIDDEN_MEMBERSHIPS:
        if connection.execute(sa.text("SELECT pg_has_role(:r, :p, 'MEMBER')"), {"r": role, "p": predefined}).scalar():
            problems.append((f"{role} 是 {predefined} 的成员", f"{role} is a member of {predefined}"))
    return problems


def connected_role_problems(store) -> list[tuple[str, str]]:
    """``role_problems`` of the role ``store`` is connected as (PostgreSQL; empty on SQLite)."""
    if store.dialect != "postgresql":
        return []
    with store.engine.connect() as connection:
        role, schema = connection.execute(sa.text("SELECT current_user, current_schema()")).one()
        return role_problems(connection, role, schema)


def role_warning(store) -> str | None:
    """A bilingual warning when the app's connection could switch the audit triggers off (it is the
    tables' owner, a superuser, ...), else None. ``saferank serve`` prints it at start."""
    problems = connected_role_problems(store)
    if not problems:
        return None
    return ("警告：应用连接数据库所用的角色可以绕过审计日志的只追加保护（" + "；".join(p[0] for p in problems) + "）。"
            "请用 saferank db grant-app-role 建立受限角色并以它连接。\n"
            "Warning: the app's database role could get around the audit log's append-only protection ("
            + "; ".join(p[1] for p in problems) + "). Create a restricted role with saferank db grant-app-role and "
            "connect as that role.")
