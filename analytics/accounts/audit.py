"""The audit log: who did or saw what, when, from where. Append-only.

There is no update or delete function here, and the store refuses UPDATE and DELETE on the table
with a trigger (SQLite and PostgreSQL), so a leaked admin session cannot cover its tracks.
"""

from __future__ import annotations

import getpass
import io
import json
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import sqlalchemy as sa

from analytics.contract.errors import UserError
from analytics.contract.exports import write_csv
from analytics.store.app_tables import audit_log


@dataclass(frozen=True)
class Action:
    code: str
    zh: str
    en: str


ACTIONS: dict[str, Action] = {
    a.code: a
    for a in (
        Action("login", "登录", "Sign-in"),
        Action("login_failed", "登录失败", "Failed sign-in"),
        Action("logout", "退出登录", "Sign-out"),
        Action("view_list", "查看风险清单", "Viewed a risk list"),
        Action("export_list", "导出风险清单", "Exported a risk list"),
        Action("view_plan", "查看检查计划", "Viewed a plan"),
        Action("plan", "制定检查计划", "Drew a plan"),
        Action("export_plan", "导出检查计划", "Exported a plan"),
        Action("view_enterprise", "查看企业", "Viewed an enterprise"),
        Action("view_model", "查看模型", "Viewed the model"),
        Action("score", "批量评分", "Scored a batch"),
        Action("import", "导入数据", "Imported data"),
        Action("train", "训练模型", "Trained a model"),
        Action("promote", "启用模型", "Promoted a model"),
        Action("rollback", "回退模型", "Rolled back a model"),
        Action("model_sign", "为模型文件签名", "Signed a model file"),
        Action("model_key_rotate", "轮换模型签名密钥", "Rotated the model signing key"),
        Action("results_entry", "录入检查结果", "Entered results"),
        Action("rescore_failed", "录入结果后未能重新评分", "Results entered but not rescored"),
        Action("disposition", "处置记录", "Recorded a disposition"),
        Action("user_add", "新增账户", "Added an account"),
        Action("user_disable", "停用账户", "Disabled an account"),
        Action("user_enable", "启用账户", "Enabled an account"),
        Action("password_reset", "重置密码", "Reset a password"),
        Action("token_create", "创建接口令牌", "Created an API token"),
        Action("token_revoke", "吊销接口令牌", "Revoked an API token"),
        Action("export_audit", "导出审计日志", "Exported the audit log"),
        Action("access_denied", "越权访问被拒绝", "Access refused"),
        Action("db_role", "数据库应用角色授权", "Granted the app's database role"),
        Action("alert_state", "处理预警", "Changed a warning's state"),
        Action("complaint", "登记举报", "Recorded a complaint"),
    )
}

COLUMNS = ("time", "username", "role", "action", "object_id", "source", "details")
COLUMN_LABELS = {
    "time": ("时间", "Time"),
    "username": ("账户", "Account"),
    "role": ("角色", "Role"),
    "action": ("操作", "Action"),
    "object_id": ("对象", "Object"),
    "source": ("来源地址", "Source address"),
    "details": ("详情", "Details"),
}


class _Actor(Protocol):
    username: str
    role: str


class _Store(Protocol):
    engine: sa.Engine


CLI_ACTOR = ("cli", "cli")  # actions taken from the command line, where no account is signed in


@dataclass(frozen=True)
class Actor:
    """Who acted, where no signed-in ``User`` exists (the command line)."""

    username: str
    role: str


def cli_actor() -> Actor:
    """The person at the command line: ``cli:<login name>`` with role ``cli``.

    On POSIX the name is the real user id's login name (``pwd``), not ``$USER``/``$LOGNAME``, which
    the caller sets at will; elsewhere ``getpass.getuser()``. A user id without a name is
    ``cli:uid<n>``."""
    try:
        import pwd

        name = pwd.getpwuid(os.getuid()).pw_name
    except ImportError:  # Windows
        name = getpass.getuser()
    except KeyError:  # a user id with no entry in the password database (some containers)
        name = f"uid{os.getuid()}"
    return Actor(f"cli:{name}"[:64], "cli")


def cli_source() -> str:
    """Where a command-line action came from: this host's name."""
    return socket.gethostname()[:64] or "localhost"


def record(
    store: _Store,
    actor: _Actor | None,
    action: str,
    object_id: str | None = None,
    source: str | None = None,
    details: Mapping[str, Any] | None = None,
    *,
    connection: sa.Connection | None = None,
) -> None:
    """Append one entry. ``actor=None`` is the command line. ``connection`` joins a transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    username, role = (actor.username, actor.role) if actor is not None else CLI_ACTOR
    row = {
        "time": datetime.now(UTC).replace(tzinfo=None),
        "username": username,
        "role": role,
        "action": action,
        "object_id": None if object_id is None else str(object_id)[:128],
        "source": None if source is None else str(source)[:64],
        "details": json.dumps(dict(details), ensure_ascii=False, default=str, sort_keys=True) if details else None,
    }
    if connection is not None:
        connection.execute(audit_log.insert().values(**row))
        return
    with store.engine.begin() as own:
        own.execute(audit_log.insert().values(**row))


def search(
    store: _Store,
    filters: Mapping[str, Any] | None = None,
    *,
    limit: int = 10_000,
) -> pd.DataFrame:
    """Entries matching ``filters`` (newest first): ``username``, ``role``, ``action`` (a code or a
    list of codes), ``object_id``, ``since`` / ``until`` (dates or times, inclusive; a bare date
    ``until`` covers that whole day), ``text`` (a substring of the details)."""
    filters = dict(filters or {})
    unknown = set(filters) - {"username", "role", "action", "object_id", "since", "until", "text"}
    if unknown:
        raise UserError(f"未知的审计筛选条件：{', '.join(sorted(unknown))}。", f"Unknown audit filters: {', '.join(sorted(unknown))}.")
    query = sa.select(*(audit_log.c[name] for name in COLUMNS))
    for name in ("username", "role", "object_id"):
        if filters.get(name):
            query = query.where(audit_log.c[name] == str(filters[name]))
    actions = filters.get("action")
    if actions:
        actions = [actions] if isinstance(actions, str) else list(actions)
        query = query.where(audit_log.c.action.in_(actions))
    if filters.get("since"):
        query = query.where(audit_log.c.time >= _time(filters["since"]))
    if filters.get("until"):
        until = _time(filters["until"])
        if until == until.normalize():
            query = query.where(audit_log.c.time < until + pd.Timedelta(days=1))
        else:
            query = query.where(audit_log.c.time <= until)
    if filters.get("text"):
        query = query.where(audit_log.c.details.contains(str(filters["text"]), autoescape=True))
    query = query.order_by(audit_log.c.id.desc()).limit(int(limit))
    with store.engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).all(), columns=list(COLUMNS))
    frame["time"] = pd.to_datetime(frame["time"])
    for name in COLUMNS[1:]:
        frame[name] = frame[name].astype("string")
    return frame


def _time(value: Any) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as error:
        raise UserError(f"无法识别的时间：{value}。", f"Not a date or time: {value}.") from error
    if stamp is pd.NaT:
        raise UserError(f"无法识别的时间：{value}。", f"Not a date or time: {value}.")
    return stamp.tz_convert(None) if stamp.tzinfo else stamp


def labelled(entries: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``entries`` with action names and column headers in ``lang`` (for screens and exports)."""
    shown = entries.copy()
    names = {code: (a.zh if lang == "zh" else a.en) for code, a in ACTIONS.items()}
    shown["action"] = shown["action"].map(names).fillna(shown["action"])
    column = 0 if lang == "zh" else 1
    return shown.rename(columns={name: labels[column] for name, labels in COLUMN_LABELS.items()})


def export_csv(
    store: _Store,
    destination: str | Path | io.TextIOBase | None = None,
    filters: Mapping[str, Any] | None = None,
    *,
    lang: str = "zh",
    actor: _Actor | None = None,
    source: str | None = None,
) -> str | None:
    """Write the matching entries as CSV (UTF-8 with BOM so that Excel shows Chinese); the export
    itself is audited. Returns the text when ``destination`` is None."""
    entries = search(store, filters, limit=1_000_000)
    text = write_csv(labelled(entries, lang), index=False)  # a name typed at the login runs no formula
    record(store, actor, "export_audit", source=source, details={"filters": dict(filters or {}), "rows": len(entries)})
    if destination is None:
        return text
    if isinstance(destination, str | Path):
        Path(destination).write_text(text, encoding="utf-8-sig")
        return None
    destination.write(text)
    return None
