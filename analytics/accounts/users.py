"""Accounts, roles, sign-in and API tokens: who may sign in, and what each role may see as data.

Passwords are stored as werkzeug's salted scrypt hashes and must pass ``passwords.check_password``;
API tokens only as the SHA-256 of a random token shown once; sign-in sessions live in the store
(``sessions``), so that signing out, a password reset or disabling the account ends them. Failed
sign-ins are slowed per source and name (``throttle``), never locked. Every change to an account is
written to the audit log in the same transaction.

Long because every account operation writes its audit row in the same transaction and shares the
role/permission table; passwords, sessions and throttling already live in their own modules.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from analytics.accounts import audit, passwords, sessions, throttle
from analytics.contract.errors import UserError
from analytics.store.app_tables import api_tokens, users

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
         "plans_export", "results_entry", "dispositions", "bulletin", "models", "score", "import", "alerts",
         "alerts_edit"}
    ),
    "leader": frozenset({"overview", "risk_list", "enterprise", "followup", "plans", "bulletin", "alerts"}),
    "inspector": frozenset({"enterprise", "plans", "results_entry", "dispositions", "alerts", "alerts_edit"}),
    "analyst": frozenset(
        {"overview", "risk_list", "risk_list_export", "enterprise", "models", "backtests", "train", "score"}
    ),
}
PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
_USERNAME = re.compile(r"^[\w.\-]{2,64}$")
_TOKEN_PREFIX = "sr_"


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


class LoginThrottled(LoginRefused):
    """Too many failed sign-ins from this source, for this name, or both: try again later. Says
    nothing about the account; ``retry_after`` is in whole seconds."""

    def __init__(self, wait: timedelta) -> None:
        self.retry_after = max(1, math.ceil(wait.total_seconds()))
        if self.retry_after <= 90:
            zh, en = f"{self.retry_after} 秒", f"{self.retry_after} seconds"
        else:
            minutes = math.ceil(self.retry_after / 60)
            zh, en = f"{minutes} 分钟", f"{minutes} minutes"
        super().__init__(f"登录失败次数过多，请 {zh}后再试。", f"Too many failed sign-ins; try again in {en}.")


def can(user: User | None, permission: str) -> bool:
    """Whether ``user`` may see ``permission``'s data. ``None`` (no one signed in) may see nothing."""
    return user is not None and user.can(permission)


def require(user: User | None, permission: str) -> None:
    if not can(user, permission):
        raise Forbidden(permission)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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
    passwords.check_password(password, username)
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
    columns = ["username", "display_name", "role", "team", "disabled", "created_at"]
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(*(users.c[c] for c in columns)).order_by(users.c.username)).all()
    frame = pd.DataFrame(rows, columns=columns)
    for name in ("username", "display_name", "role", "team"):
        frame[name] = frame[name].astype("string")
    frame["disabled"] = frame["disabled"].astype("boolean")
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    return frame


def _update(connection: sa.Connection, username: str, values: dict) -> None:
    result = connection.execute(users.update().where(users.c.username == username).values(**values))
    if result.rowcount == 0:
        raise UserError(f"没有账户 {username}。", f"There is no account {username}.")


def disable_user(store, username: str, *, actor: User | None = None, source: str | None = None) -> None:
    """Disable an account: it can no longer sign in, its sessions end and its API tokens are revoked
    (enabling it again brings none of them back)."""
    now = _now()
    with store.engine.begin() as connection:
        _update(connection, username, {"disabled": True})
        ended = sessions.end_all(connection, username, "disabled", now)
        revoked = connection.execute(
            api_tokens.update()
            .where(api_tokens.c.username == username, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
        details = {"sessions_ended": ended, "tokens_revoked": revoked}
        audit.record(store, actor, "user_disable", username, source, details, connection=connection)


def enable_user(store, username: str, *, actor: User | None = None, source: str | None = None) -> None:
    with store.engine.begin() as connection:
        _update(connection, username, {"disabled": False, "failed_attempts": 0, "locked_until": None})
        audit.record(store, actor, "user_enable", username, source, connection=connection)


def reset_password(
    store, username: str, password: str | None = None, *, actor: User | None = None, source: str | None = None
) -> str:
    """Set a new password (a random one when ``password`` is None) and end the account's sessions,
    so that a cookie taken with the old password stops working; returns the password."""
    password = password if password is not None else random_password()
    passwords.check_password(password, username)
    with store.engine.begin() as connection:
        _update(connection, username, {"password_hash": _hash(password), "failed_attempts": 0, "locked_until": None})
        ended = sessions.end_all(connection, username, "password_reset", _now())
        audit.record(store, actor, "password_reset", username, source, {"sessions_ended": ended}, connection=connection)
    return password


def random_password() -> str:
    while True:  # a random password breaks the policy about once in never; draw again if it does
        password = secrets.token_urlsafe(12)
        if passwords.password_problem(password) is None:
            return password


# What a wrong or unknown username's password is checked against, so that it costs the same time as
# a wrong password and does not reveal which accounts exist. The hash of a random password nobody
# kept, with the parameters ``_hash`` uses (a test holds them equal); a constant so that the first
# unknown name does not also pay for making it.
_DUMMY_HASH = (
    "scrypt:32768:8:1$mQCP2qyI9ZzFKslI$4bbf2686b31bc02ab1302afecedad448da11f16912ec3c19b7d3678ddfacd7443aff41b889e7fe"
    "445054ffcea04856875db1675d1e596920a8df72d56fe01997"
)


# Who a failed sign-in under a name without an account is recorded as (``None`` would say "cli").
_ANONYMOUS = audit.Actor("anonymous", "anonymous")


def verify_login(store, username: str, password: str, *, source: str | None = None, now: datetime | None = None) -> User:
    """The user if the password is right and the account is active; else ``LoginRefused`` with the
    same message whether the name is unknown, the account disabled or the password wrong. Every
    attempt checks one scrypt hash (a dummy one when there is no account to check), so all three
    take the same time. Failures are counted per source and name (``throttle``); while a count
    asks to wait, attempts are refused with ``LoginThrottled`` before the password is looked at.
    Every outcome is audited."""
    now = now or _now()
    username = str(username or "")
    password = str(password or "")
    with store.engine.begin() as connection:  # the outcome is written even when the login is refused
        outcome = _attempt(store, connection, username, password, source, now)
    if isinstance(outcome, LoginRefused):
        raise outcome
    return outcome


def _attempt(store, connection: sa.Connection, username: str, password: str, source: str | None, now: datetime):
    attempt = throttle.keys(source, username)
    wait = throttle.wait(connection, attempt, now)
    row = connection.execute(sa.select(users).where(users.c.username == username)).first()
    actor = _ANONYMOUS if row is None else _user(row)
    usable = row is not None and not row.disabled
    if wait > timedelta(0):
        check_password_hash(_DUMMY_HASH, password)  # a throttled reply takes as long as any other
        details = {"reason": "throttled", "wait_seconds": round(wait.total_seconds(), 1)}
        audit.record(store, actor, "login_failed", username, source, details, connection=connection)
        return LoginThrottled(wait)
    right = check_password_hash(row.password_hash if usable else _DUMMY_HASH, password)
    if not (usable and right):
        throttle.record_failure(connection, attempt, now)
        reason = "unknown" if row is None else "disabled" if row.disabled else "password"
        audit.record(store, actor, "login_failed", username, source, {"reason": reason}, connection=connection)
        return LoginRefused("账户名或密码不正确。", "Wrong username or password.")
    throttle.clear(connection, attempt, now)
    audit.record(store, actor, "login", username, source, connection=connection)
    return actor


def start_session(store, username: str, *, source: str | None = None, now: datetime | None = None) -> str:
    """A new sign-in session for ``username`` (after ``verify_login``); returns the token the
    session cookie carries."""
    with store.engine.begin() as connection:
        return sessions.start(connection, username, source, now or _now())


def session_user(store, token: object, *, idle: timedelta, now: datetime | None = None) -> User | None:
    """The active account of the live session ``token``, else None (never signed in, signed out,
    ended by a password reset or disabling, or idle longer than ``idle``)."""
    query = sessions.live(token)
    if query is None:
        return None
    # One read per request; a write only when the session has gone idle or its use is to be noted.
    query = query.add_columns(users.c.role, users.c.team, users.c.display_name).join(
        users, users.c.username == sessions.sessions.c.username
    ).where(users.c.disabled.is_(False))
    with store.engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        return None
    now = now or _now()
    if now - row.last_seen > idle or (now - row.last_seen).total_seconds() >= sessions.TOUCH_SECONDS:
        with store.engine.begin() as connection:
            if not sessions.keep_alive(connection, token, row.last_seen, idle, now):
                return None
    return _user(row)


def end_session(store, token: object, *, source: str | None = None, now: datetime | None = None) -> User | None:
    """Sign out: end the session ``token`` (audited); returns its account if it was live."""
    with store.engine.begin() as connection:
        username = sessions.end(connection, token, "logout", now or _now())
        if username is None:
            return None
        row = connection.execute(sa.select(users).where(users.c.username == username)).first()
        actor = None if row is None else _user(row)
        audit.record(store, actor, "logout", username, source, connection=connection)
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
