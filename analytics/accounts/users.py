"""Accounts, roles and API tokens: who may sign in, and what each role may see as data.

Passwords are stored as werkzeug's salted scrypt hashes; API tokens only as the SHA-256 of a random
token shown once. Every change to an account is written to the audit log in the same transaction.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from analytics.accounts import audit
from analytics.contract.errors import UserError
from analytics.store.database import metadata

ROLES: dict[str, tuple[str, str]] = {
    "admin": ("系统管理员", "Administrator"),
    "office": ("安委办", "Safety office"),
    "leader": ("分管领导", "Leader"),
    "inspector": ("检查组", "Inspector"),
    "analyst": ("数据分析", "Analyst"),
}

# What each role may see or do as data. Pages and API routes map onto these permissions; scoped
# roles (inspector: own team only; leader: no plan before its day) are filtered by the analytics
# query functions, which take the user.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"accounts", "audit"}),
    "office": frozenset(
        {"overview", "risk_list", "risk_list_export", "enterprise", "followup", "plans", "plans_edit",
         "plans_export", "results_entry", "dispositions", "bulletin", "models", "score", "import"}
    ),
    "leader": frozenset({"overview", "risk_list", "enterprise", "followup", "plans", "bulletin"}),
    "inspector": frozenset({"enterprise", "plans", "results_entry", "dispositions"}),
    "analyst": frozenset(
        {"overview", "risk_list", "risk_list_export", "enterprise", "models", "backtests", "train", "score"}
    ),
}
PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())

MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[\w.\-]{2,64}$")
_TOKEN_PREFIX = "sr_"

users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(128), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("team", sa.String(64), nullable=True),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("disabled", sa.Boolean(), nullable=False, default=False),
    sa.Column("failed_attempts", sa.Integer(), nullable=False, default=0),
    sa.Column("locked_until", sa.DateTime(), nullable=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_id", sa.String(24), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("username", sa.String(64), sa.ForeignKey("users.username"), nullable=False, index=True),
    sa.Column("label", sa.String(128), nullable=False, default=""),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("revoked_at", sa.DateTime(), nullable=True),
)


@dataclass(frozen=True)
class User:
    """A signed-in account as the rest of the system sees it (never its hash)."""

    username: str
    role: str
    team: str | None = None
    display_name: str = ""

    def can(self, permission: str) -> bool:
        return permission in ROLE_PERMISSIONS.get(self.role, frozenset())


class Forbidden(UserError):
    exit_code = 3

    def __init__(self, permission: str) -> None:
        super().__init__(f"当前账户无权访问此内容（{permission}）。", f"This account may not access this ({permission}).")
        self.permission = permission


class LoginRefused(UserError):
    exit_code = 4


def can(user: User | None, permission: str) -> bool:
    """Whether ``user`` may see ``permission``'s data. ``None`` (no one signed in) may see nothing."""
    return user is not None and user.can(permission)


def require(user: User | None, permission: str) -> None:
    if not can(user, permission):
        raise Forbidden(permission)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。",
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters.",
        )


def _hash(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def _user(row: sa.Row) -> User:
    return User(row.username, row.role, row.team, row.display_name)


def add_user(
    store,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str | None = None,
    team: str | None = None,
    actor: User | None = None,
    source: str | None = None,
) -> User:
    """Create an active account. Inspectors need the team they belong to (e.g. "第3组")."""
    if not _USERNAME.match(username or ""):
        raise UserError(
            "账户名须为 2–64 个字母、数字、汉字、点、下划线或连字符。",
            "A username is 2-64 letters, digits, Chinese characters, dots, underscores or hyphens.",
        )
    if role not in ROLES:
        raise UserError(f"未知角色：{role}（可选：{'、'.join(ROLES)}）。", f"Unknown role: {role} (one of {', '.join(ROLES)}).")
    team = (team or "").strip() or None
    if role == "inspector" and team is None:
        raise UserError("检查组账户须填写所属组别（如“第3组”）。", "An inspector account needs its team (e.g. 第3组).")
    _check_password(password)
    row = {
        "username": username,
        "display_name": (display_name or "").strip() or username,
        "role": role,
        "team": team,
        "password_hash": _hash(password),
        "disabled": False,
        "failed_attempts": 0,
        "locked_until": None,
        "created_at": _now(),
    }
    with store.engine.begin() as connection:
        if connection.execute(sa.select(users.c.username).where(users.c.username == username)).first():
            raise UserError(f"账户 {username} 已存在。", f"The account {username} already exists.")
        connection.execute(users.insert().values(**row))
        audit.record(store, actor, "user_add", username, source, {"role": role, "team": team}, connection=connection)
    return User(username, role, team, row["display_name"])


def get_user(store, username: str) -> User | None:
    """The active (not disabled) account called ``username``, else None."""
    with store.engine.connect() as connection:
        row = connection.execute(
            sa.select(users).where(users.c.username == username, users.c.disabled.is_(False))
        ).first()
    return None if row is None else _user(row)


def list_users(store) -> pd.DataFrame:
    """All accounts, without their hashes, sorted by username."""
    columns = ["username", "display_name", "role", "team", "disabled", "failed_attempts", "locked_until", "created_at"]
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(*(users.c[c] for c in columns)).order_by(users.c.username)).all()
    frame = pd.DataFrame(rows, columns=columns)
    for name in ("username", "display_name", "role", "team"):
        frame[name] = frame[name].astype("string")
    frame["disabled"] = frame["disabled"].astype("boolean")
    frame["failed_attempts"] = frame["failed_attempts"].astype("Int64")
    for name in ("locked_until", "created_at"):
        frame[name] = pd.to_datetime(frame[name])
    return frame


def _update(store, username: str, values: dict, action: str, actor: User | None, source: str | None, details=None) -> None:
    with store.engine.begin() as connection:
        result = connection.execute(users.update().where(users.c.username == username).values(**values))
        if result.rowcount == 0:
            raise UserError(f"没有账户 {username}。", f"There is no account {username}.")
        audit.record(store, actor, action, username, source, details, connection=connection)


def disable_user(store, username: str, *, actor: User | None = None, source: str | None = None) -> None:
    """Disable an account: it can no longer sign in, and its sessions and tokens stop working."""
    _update(store, username, {"disabled": True}, "user_disable", actor, source)


def enable_user(store, username: str, *, actor: User | None = None, source: str | None = None) -> None:
    _update(store, username, {"disabled": False, "failed_attempts": 0, "locked_until": None}, "user_enable", actor, source)


def reset_password(
    store, username: str, password: str | None = None, *, actor: User | None = None, source: str | None = None
) -> str:
    """Set a new password (a random one when ``password`` is None) and lift any lock; returns it."""
    password = password if password is not None else random_password()
    _check_password(password)
    _update(
        store, username, {"password_hash": _hash(password), "failed_attempts": 0, "locked_until": None},
        "password_reset", actor, source,
    )
    return password


def random_password() -> str:
    return secrets.token_urlsafe(12)


# A hash to check against when the account does not exist, so that a wrong username costs the same
# time as a wrong password and does not reveal which accounts exist.
@functools.cache
def _dummy_hash() -> str:
    return _hash(secrets.token_hex(16))


def verify_login(store, username: str, password: str, *, source: str | None = None, now: datetime | None = None) -> User:
    """The user if the password is right and the account is active and not locked; else
    ``LoginRefused``. After ``MAX_FAILED_ATTEMPTS`` failures in a row the account is locked for
    ``LOCK_MINUTES`` (a right password does not open it meanwhile). Both outcomes are audited."""
    now = now or _now()
    with store.engine.begin() as connection:  # the outcome is written even when the login is refused
        outcome = _attempt(store, connection, username, password, source, now)
    if isinstance(outcome, LoginRefused):
        raise outcome
    return outcome


def _attempt(store, connection: sa.Connection, username: str, password: str, source: str | None, now: datetime):
    refused = LoginRefused("账户名或密码不正确。", "Wrong username or password.")
    row = connection.execute(sa.select(users).where(users.c.username == username)).first()
    if row is None:
        check_password_hash(_dummy_hash(), password)
        audit.record(store, None, "login_failed", username, source, {"reason": "unknown"}, connection=connection)
        return refused
    actor = _user(row)
    if row.disabled:
        check_password_hash(_dummy_hash(), password)
        audit.record(store, actor, "login_failed", username, source, {"reason": "disabled"}, connection=connection)
        return refused
    if row.locked_until is not None and row.locked_until > now:
        audit.record(store, actor, "login_failed", username, source, {"reason": "locked"}, connection=connection)
        minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
        return LoginRefused(
            f"连续登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试或联系管理员。",
            f"Too many failed sign-ins: the account is locked; try again in {minutes} minutes or ask an administrator.",
        )
    if not check_password_hash(row.password_hash, password):
        failures = row.failed_attempts + 1
        lock = now + timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILED_ATTEMPTS else None
        connection.execute(
            users.update().where(users.c.username == username).values(
                failed_attempts=0 if lock else failures, locked_until=lock
            )
        )
        audit.record(
            store, actor, "login_failed", username, source,
            {"reason": "password", "attempt": failures, "locked": lock is not None}, connection=connection,
        )
        return refused
    connection.execute(users.update().where(users.c.username == username).values(failed_attempts=0, locked_until=None))
    audit.record(store, actor, "login", username, source, connection=connection)
    return actor


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    store, username: str, label: str = "", *, actor: User | None = None, source: str | None = None
) -> tuple[str, str]:
    """A new API token for ``username``: ``(token_id, token)``. Only the hash is kept; the token is
    shown this once."""
    if get_user(store, username) is None:
        raise UserError(f"没有可用的账户 {username}。", f"There is no active account {username}.")
    token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = "tok_" + secrets.token_hex(8)
    with store.engine.begin() as connection:
        connection.execute(
            api_tokens.insert().values(
                token_id=token_id, token_hash=_token_hash(token), username=username, label=label[:128],
                created_at=_now(), revoked_at=None,
            )
        )
        audit.record(store, actor, "token_create", token_id, source, {"owner": username, "label": label}, connection=connection)
    return token_id, token


def revoke_token(store, token_id: str, *, actor: User | None = None, source: str | None = None) -> None:
    with store.engine.begin() as connection:
        result = connection.execute(
            api_tokens.update()
            .where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
        if result.rowcount == 0:
            raise UserError(f"没有未吊销的令牌 {token_id}。", f"There is no unrevoked token {token_id}.")
        audit.record(store, actor, "token_revoke", token_id, source, connection=connection)


def list_tokens(store, username: str | None = None) -> pd.DataFrame:
    columns = ["token_id", "username", "label", "created_at", "revoked_at"]
    query = sa.select(*(api_tokens.c[c] for c in columns)).order_by(api_tokens.c.created_at)
    if username:
        query = query.where(api_tokens.c.username == username)
    with store.engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=columns)


def user_for_token(store, token: str) -> User | None:
    """The active account an unrevoked token belongs to, else None."""
    if not token or not token.startswith(_TOKEN_PREFIX) or len(token) > 128:
        return None
    query = (
        sa.select(users)
        .join(api_tokens, api_tokens.c.username == users.c.username)
        .where(
            api_tokens.c.token_hash == _token_hash(token),
            api_tokens.c.revoked_at.is_(None),
            users.c.disabled.is_(False),
        )
    )
    with store.engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else _user(row)


DEMO_USERS: tuple[tuple[str, str, str | None, str], ...] = (
    ("demo-admin", "admin", None, "演示管理员"),
    ("demo-office", "office", None, "演示安委办"),
    ("demo-leader", "leader", None, "演示领导"),
    ("demo-inspector", "inspector", "第1组", "演示检查员（第1组）"),
    ("demo-analyst", "analyst", None, "演示分析员"),
)


def create_demo_users(store) -> dict[str, str]:
    """One account per role with a fresh random password each (existing demo accounts get a new
    one), for the demo command to print once: ``{username: password}``."""
    existing = set(list_users(store)["username"].astype(str))
    passwords: dict[str, str] = {}
    for username, role, team, display_name in DEMO_USERS:
        password = random_password()
        if username in existing:
            reset_password(store, username, password)
            enable_user(store, username)
        else:
            add_user(store, username, role, password, display_name=display_name, team=team)
        passwords[username] = password
    return passwords
