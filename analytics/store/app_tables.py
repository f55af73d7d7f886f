"""The application's own SQL tables, beside the contract's: risk lists, dispositions, plans, accounts,
sessions, sign-in throttling, the audit log (append-only, with its triggers) and the warning feed's
state. All live here, in the store layer, so that ``open_store`` creates every table without
importing the modules above it that use them (those import their table from here); their logic
stays in those modules.

``metadata`` is the store's one ``sqlalchemy.MetaData``: ``analytics.store.database`` declares the
contract tables on it too and imports it from here.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()


# --- used by analytics.risk.risklist ---
risk_lists = sa.Table(
    "risk_lists",
    metadata,
    sa.Column("list_id", sa.String(160), primary_key=True),
    sa.Column("as_of", sa.Date(), nullable=False, index=True),
    sa.Column("model_version", sa.String(128), nullable=False),
    sa.Column("seed", sa.Integer(), nullable=True),
    sa.Column("tie_break", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("n", sa.Integer(), nullable=False),
    # the level thresholds the list was levelled with (LevelThresholds.to_json): a one-firm re-score and
    # the map's colour bands use them; NULL in lists stored before lists kept them (the defaults)
    sa.Column("levels", sa.Text(), nullable=True),
    sa.UniqueConstraint("as_of", "model_version", name="uq_risk_lists_as_of_model"),
)

risk_scores = sa.Table(
    "risk_scores",
    metadata,
    sa.Column("list_id", sa.String(160), sa.ForeignKey("risk_lists.list_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("enterprise_id", sa.String(64), primary_key=True),
    sa.Column("score", sa.Float(), nullable=False),
    sa.Column("rank", sa.Integer(), nullable=False),
    sa.Column("risk_level", sa.String(8), nullable=False),
    sa.Column("reasons_zh", sa.Text(), nullable=False),
    sa.Column("reasons_en", sa.Text(), nullable=False),
    sa.Column("contributions", sa.Text(), nullable=False),
    # county-wide feature values (family "context") the row was scored with: one-enterprise
    # re-scoring reads only that firm's rows and takes these from here
    sa.Column("context", sa.Text(), nullable=True),
    # the list's flags on its date (facts.encode_flags); NULL in lists stored before they were kept
    sa.Column("flags", sa.Text(), nullable=True),
    # one-firm re-scoring counts the firms ahead of it and shifts ranks: both by range in one list
    sa.Index("ix_risk_scores_list_score", "list_id", "score", "enterprise_id"),
    sa.Index("ix_risk_scores_list_rank", "list_id", "rank"),
)

# --- used by analytics.operations.dispositions ---
dispositions = sa.Table(
    "dispositions",
    metadata,
    sa.Column("campaign", sa.String(64), primary_key=True),
    sa.Column("enterprise_id", sa.String(64), primary_key=True),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("recommended", sa.String(16), nullable=True),  # what the system said when the person decided
    sa.Column("as_of", sa.Date(), nullable=True),  # the list the person was looking at
    sa.Column("note", sa.Text(), nullable=False, default=""),
    sa.Column("decided_by", sa.String(64), nullable=False),
    sa.Column("decided_at", sa.DateTime(), nullable=False),
)

# --- used by analytics.operations.plans_store ---
plans = sa.Table(
    "plans",
    metadata,
    sa.Column("plan_id", sa.String(64), primary_key=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("start", sa.Date(), nullable=False),
    sa.Column("days", sa.Integer(), nullable=False),
    sa.Column("rules", sa.Text(), nullable=False),
    sa.Column("seed", sa.BigInteger(), nullable=False),
    sa.Column("teams", sa.Text(), nullable=False),
    sa.Column("risk_list_as_of", sa.String(10), nullable=True),
    sa.Column("model_version", sa.String(128), nullable=True),
    sa.Column("expected_found", sa.Float(), nullable=False),
    sa.Column("expected_random", sa.Float(), nullable=False),
    sa.Column("visits", sa.Integer(), nullable=False),
    sa.Column("unplanned", sa.Text(), nullable=False),
    # issue 16: the follow-ups left to evidence review (JSON records) and how a re-draw of the same
    # dates was made (version 1 and no redraw: a first plan, or one stored before plans were versioned)
    sa.Column("evidence", sa.Text(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=True),
    sa.Column("supersedes", sa.String(64), nullable=True),
    sa.Column("redraw", sa.String(16), nullable=True),
    sa.Column("superseded_by", sa.String(64), nullable=True),
)

plan_visits = sa.Table(
    "plan_visits",
    metadata,
    sa.Column("visit_id", sa.String(80), primary_key=True),
    sa.Column("plan_id", sa.String(64), sa.ForeignKey("plans.plan_id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("date", sa.Date(), nullable=False, index=True),
    sa.Column("team", sa.String(64), nullable=False, index=True),
    sa.Column("slot", sa.Integer(), nullable=False),
    sa.Column("enterprise_id", sa.String(64), nullable=False),
    sa.Column("town_id", sa.String(64), nullable=False),
    sa.Column("sector", sa.String(32), nullable=True),
    sa.Column("score", sa.Float(), nullable=False),
    sa.Column("rank", sa.Integer(), nullable=False),
    sa.Column("reason_code", sa.String(16), nullable=False),
    sa.Column("reason_zh", sa.Text(), nullable=False),
    sa.Column("reason_en", sa.Text(), nullable=False),
    sa.Column("hazard_ids", sa.Text(), nullable=False),
    sa.Column("kind", sa.String(32), nullable=True),  # the warning's, the hazards' or the level (planning.VISIT_COLUMNS)
    sa.Column("leg_km", sa.Float(), nullable=True),  # from the day's previous stop, straight-line
)

# --- used by analytics.accounts.users ---
users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(128), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("team", sa.String(64), nullable=True),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("disabled", sa.Boolean(), nullable=False, default=False),
    # Left from the account lock that ``throttle`` replaced; kept (always 0 / empty) so that stores
    # written before still take new rows.
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

# --- used by analytics.accounts.sessions ---
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), sa.ForeignKey("users.username"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("last_seen", sa.DateTime(), nullable=False, index=True),
    sa.Column("source", sa.String(64), nullable=True),
    sa.Column("ended_at", sa.DateTime(), nullable=True),
    sa.Column("end_reason", sa.String(16), nullable=True),
)

# --- used by analytics.accounts.throttle ---
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("scope", sa.String(8), nullable=False),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("last_failure", sa.DateTime(), nullable=False, index=True),
)

# --- used by analytics.accounts.audit ---
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("time", sa.DateTime(), nullable=False, index=True),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(32), nullable=False, index=True),
    sa.Column("object_id", sa.String(128), nullable=True, index=True),
    sa.Column("source", sa.String(64), nullable=True),
    sa.Column("details", sa.Text(), nullable=True),
    info={"append_only": True},  # the app's database role may only SELECT and INSERT (analytics.store.roles)
)

# Append-only at the database: UPDATE and DELETE abort, whoever sends them. On SQLite also an INSERT
# that names an id already there: ``INSERT OR REPLACE`` / ``REPLACE INTO`` would otherwise delete the
# old row without firing the DELETE trigger (SQLite's REPLACE fires no delete triggers unless
# ``recursive_triggers`` is on), and ``INSERT ... ON CONFLICT`` should not get as far as its update.
# The SQLite triggers are ensured on every open (``IF NOT EXISTS``), so a store made before one of
# them existed gets it too. On PostgreSQL ``INSERT ... ON CONFLICT DO UPDATE`` fires the UPDATE
# trigger; what stops the table's owner (who may disable triggers) is that the app does not connect
# as the owner: see ``analytics.store.roles``.
SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    for event in ("UPDATE", "DELETE")
) + (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_replace BEFORE INSERT ON audit_log "
    "WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)


@sa.event.listens_for(metadata, "after_create")
def _ensure_sqlite_triggers(_metadata: sa.MetaData, connection: sa.Connection, **_: Any) -> None:
    """Create the SQLite triggers where missing (``create_all`` runs on every ``open_store``)."""
    if connection.dialect.name != "sqlite" or not sa.inspect(connection).has_table(audit_log.name):
        return
    for statement in SQLITE_TRIGGERS:
        connection.exec_driver_sql(statement)


sa.event.listen(
    audit_log,
    "after_create",
    sa.DDL(
        "CREATE OR REPLACE FUNCTION saferank_audit_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql"
    ).execute_if(dialect="postgresql"),
)
sa.event.listen(
    audit_log,
    "after_create",
    sa.DDL(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION saferank_audit_append_only()"
    ).execute_if(dialect="postgresql"),
)
sa.event.listen(
    audit_log,
    "after_create",
    sa.DDL(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION saferank_audit_append_only()"
    ).execute_if(dialect="postgresql"),
)

# --- used by analytics.store.alerts ---
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_id", sa.String(160), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("changed_by", sa.String(64), nullable=False),
    sa.Column("changed_at", sa.DateTime(), nullable=False),
    sa.Column("assigned_team", sa.String(64), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    # complaints only (kind "complaint"): what a derived warning computes from the records
    sa.Column("kind", sa.String(32), nullable=True),
    sa.Column("date", sa.Date(), nullable=True),
    sa.Column("enterprise_id", sa.String(64), nullable=True),
    sa.Column("reason_zh", sa.Text(), nullable=True),
    sa.Column("reason_en", sa.Text(), nullable=True),
)

# --- used by analytics.store.mapping: a confirmed column and code mapping per source system. A new
# table: open_store's create_all makes it in an older store, no column is added to an existing one ---
import_mappings = sa.Table(
    "import_mappings",
    metadata,
    sa.Column("system", sa.String(128), primary_key=True),
    sa.Column("mapping", sa.Text(), nullable=False),  # SourceMapping.to_json()
    sa.Column("saved_by", sa.String(64), nullable=False),
    sa.Column("saved_at", sa.DateTime(), nullable=False),
)
