"""The warning feed's state in the store: one row per warning someone has handled, and the complaints.

Warnings (预警) are derived from the records on each day (``analytics.operations.alerts``); what the
store keeps is what people did with them: the ``state`` (``new`` → ``acknowledged`` → ``assigned`` →
``closed``), who changed it and when, the team it was assigned to, a note. A warning without a row
here is ``new``. A complaint (举报) is entered by a person, not derived, so its row also carries what
a derived warning computes: kind ``complaint``, the day, the enterprise, the reason.

The table (``analytics.store.app_tables.alerts``) is created on ``open_store`` like every table: a store written
before it existed gains it, empty, the first time it is opened (``database._upgrade`` for columns).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from analytics.contract.errors import UserError
from analytics.contract.schema import Code
from analytics.store.app_tables import alerts
from analytics.store.database import Store

ALERT_STATES = (
    Code("new", "新预警", "New"),
    Code("acknowledged", "已知悉", "Acknowledged"),
    Code("assigned", "已指派", "Assigned"),
    Code("closed", "已办结", "Closed"),
)
STATE_CODES = tuple(c.code for c in ALERT_STATES)
STATE_COLUMNS = ("alert_id", "state", "changed_by", "changed_at", "assigned_team", "note")
COMPLAINT_COLUMNS = ("alert_id", "date", "enterprise_id", "reason_zh", "reason_en")


def check_state(state: str) -> str:
    if state not in STATE_CODES:
        raise UserError(f"未知的预警状态：{state!r}（可选：{'、'.join(STATE_CODES)}）。",
                        f"Unknown warning state: {state!r} (choose from: {', '.join(STATE_CODES)}).")
    return state


def read_states(store: Store, alert_ids: list[str] | None = None) -> pd.DataFrame:
    """The stored states (``STATE_COLUMNS``), of ``alert_ids`` only when given."""
    query = sa.select(*(alerts.c[c] for c in STATE_COLUMNS))
    if alert_ids is not None:
        query = query.where(alerts.c.alert_id.in_(list(alert_ids)))
    with store.engine.connect() as connection:
        rows = pd.read_sql(query, connection)
    return rows.astype({"alert_id": object, "state": object})


def write_state(store: Store, alert_id: str, state: str, changed_by: str, assigned_team: str | None = None,
                note: str | None = None, connection: sa.Connection | None = None) -> dict:
    """Set ``alert_id``'s state (insert or update); returns the row written."""
    row = {"alert_id": str(alert_id)[:160], "state": check_state(state), "changed_by": str(changed_by)[:64],
           "changed_at": datetime.now(UTC).replace(tzinfo=None), "assigned_team": assigned_team, "note": note}

    def run(conn: sa.Connection) -> None:
        updated = conn.execute(alerts.update().where(alerts.c.alert_id == row["alert_id"]).values(
            **{k: v for k, v in row.items() if k != "alert_id"})).rowcount
        if not updated:
            conn.execute(alerts.insert().values(**row))

    if connection is not None:
        run(connection)
    else:
        with store.engine.begin() as own:
            run(own)
    return row


def write_complaint(store: Store, alert_id: str, date: pd.Timestamp, enterprise_id: str, reason_zh: str, reason_en: str,
                    changed_by: str, connection: sa.Connection) -> None:
    """Store a complaint as a ``new`` warning of kind ``complaint``; an id already stored is refused."""
    exists = connection.execute(sa.select(alerts.c.alert_id).where(alerts.c.alert_id == alert_id)).first()
    if exists is not None:
        raise UserError(f"该举报已登记：{alert_id}。", f"This complaint is already recorded: {alert_id}.")
    connection.execute(alerts.insert().values(
        alert_id=alert_id, state="new", changed_by=str(changed_by)[:64], changed_at=datetime.now(UTC).replace(tzinfo=None),
        kind="complaint", date=date.date(), enterprise_id=enterprise_id, reason_zh=reason_zh, reason_en=reason_en))


def read_complaints(store: Store) -> pd.DataFrame:
    """The complaints entered (``COMPLAINT_COLUMNS``), dates as Timestamps."""
    query = sa.select(*(alerts.c[c] for c in COMPLAINT_COLUMNS)).where(alerts.c.kind == "complaint")
    with store.engine.connect() as connection:
        rows = pd.read_sql(query, connection)
    rows["date"] = pd.to_datetime(rows["date"])
    return rows
