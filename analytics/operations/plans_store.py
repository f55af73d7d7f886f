"""Plans in the store (tables ``plans`` and ``plan_visits``) and the ``saferank plan`` orchestration.

A stored plan keeps everything needed to explain and re-draw it: who made it and when, the period,
the rules as JSON, the seed, the teams, the risk list (as-of and model version) it was drawn from,
its expected values, the follow-ups it left out and those it left to evidence review. Each visit has a
``visit_id`` (``<plan_id>-<n>``) that results entry uses as the inspection's id, so recording a visit
twice changes nothing the second time.

Re-drawing a plan for the same dates (same first day and length) is explicit, never a duplicate:
by default the new plan is the next version (``version`` + 1, ``supersedes`` the old one, which is
kept, marked ``superseded_by``); with ``replace=True`` (``saferank plan --replace``) the old plan
and its visits are deleted and the new one takes its version, recording whom it replaced. A plan
whose visits already have results entered cannot be replaced (only versioned).
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from analytics.accounts.users import can
from analytics.contract.errors import UserError
from analytics.operations.alerts import mandatory_targets
from analytics.operations.plan_inputs import HISTORY_DAYS
from analytics.operations.planning import EVIDENCE_COLUMNS, UNPLANNED_COLUMNS, VISIT_COLUMNS, Plan, PlanRules, build_plan
from analytics.store.app_tables import plan_visits, plans
from analytics.operations.teams import default_teams, read_teams, typed_teams
from analytics.contract.dates import to_timestamp
from analytics.contract.words import count
from analytics.operations.plan_export import write_plan_html, write_plan_xlsx
from analytics.risk.risklist import read_ranking
from analytics.store.database import CONTRACT_TABLES, read_rows, read_tables
from analytics.snapshot.snapshot import AsOf


STORED_VISIT_COLUMNS = ("visit_id", "plan_id", *VISIT_COLUMNS)
PLAN_LIST_COLUMNS = ("plan_id", "created_by", "created_at", "start", "days", "seed", "visits", "expected_found",
                     "expected_random", "risk_list_as_of", "model_version", "version", "supersedes", "redraw",
                     "superseded_by")


def new_plan_id(start: pd.Timestamp) -> str:
    return f"P{start:%Y%m%d}-{uuid.uuid4().hex[:6]}"


def _records(frame: pd.DataFrame, date_column: str = "deadline") -> str:
    return frame.assign(**{date_column: frame[date_column].dt.strftime("%Y-%m-%d")}).to_json(orient="records",
                                                                                           force_ascii=False)


def _same_dates(connection, plan: Plan) -> list[dict]:
    """The live plans (not superseded) of ``plan``'s first day and length, newest first."""
    query = sa.select(plans.c.plan_id, plans.c.version).where(
        plans.c.start == plan.start.date(), plans.c.days == plan.days, plans.c.superseded_by.is_(None)) \
        .order_by(plans.c.created_at.desc())
    return [dict(r) for r in connection.execute(query).mappings()]


def save_plan(store, plan: Plan, created_by: str = "cli", replace: bool = False) -> str:
    """Store ``plan`` and its visits under a new plan id (set on ``plan``); returns the id.

    A live plan of the same dates is versioned (default) or, with ``replace``, deleted (see the
    module docstring); ``plan.version``, ``supersedes`` and ``redraw`` record which."""
    plan_id = plan.plan_id or new_plan_id(plan.start)
    plan.plan_id = plan_id
    inspections = CONTRACT_TABLES["inspections"]
    visits = plan.visits.reset_index(drop=True)
    rows = visits.assign(
        visit_id=[f"{plan_id}-{i:04d}" for i in range(1, len(visits) + 1)],
        plan_id=plan_id,
        date=visits["date"].dt.date,
        team=visits["team"].astype(str),
        slot=visits["slot"].astype(int),
        rank=visits["rank"].astype(int),
        score=visits["score"].astype(float),
        sector=visits["sector"].astype(object),
        leg_km=visits["leg_km"].astype("float64").astype(object).where(visits["leg_km"].notna(), None),
    )[list(STORED_VISIT_COLUMNS)]
    with store.engine.begin() as connection:
        earlier = _same_dates(connection, plan)
        older = [e["plan_id"] for e in earlier]
        plan.version = (int(earlier[0]["version"] or 1) + (0 if replace else 1)) if earlier else 1
        plan.supersedes = older[0] if earlier else None
        plan.redraw = ("replace" if replace else "new_version") if earlier else None
        if earlier and replace:
            entered = connection.execute(sa.select(sa.func.count()).select_from(inspections).where(
                sa.or_(*[inspections.c.inspection_id.like(f"{p}-%") for p in older]))).scalar_one()
            if entered:
                raise UserError(f"计划 {older[0]} 已有 {entered} 条检查结果录入，不能替换；请不加 --replace 重抽（生成新版本）。",
                                f"The plan {older[0]} already has {count(entered, 'result')} entered and cannot be replaced; "
                                "re-draw without --replace (a new version).")
            connection.execute(plan_visits.delete().where(plan_visits.c.plan_id.in_(older)))
            connection.execute(plans.delete().where(plans.c.plan_id.in_(older)))
        connection.execute(plans.insert().values(
            plan_id=plan_id, created_by=created_by,
            created_at=pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime(),
            start=plan.start.date(), days=plan.days, rules=plan.rules.to_json(), seed=plan.seed,
            teams=plan.teams.to_json(orient="records", force_ascii=False),
            risk_list_as_of=plan.risk_list_as_of, model_version=plan.model_version,
            expected_found=plan.expected_found, expected_random=plan.expected_random, visits=len(rows),
            unplanned=_records(plan.unplanned), evidence=_records(plan.evidence), version=plan.version,
            supersedes=plan.supersedes, redraw=plan.redraw,
        ))
        if earlier and not replace:
            connection.execute(plans.update().where(plans.c.plan_id.in_(older)).values(superseded_by=plan_id))
        if len(rows):
            connection.execute(plan_visits.insert(), rows.astype(object).to_dict("records"))
    return plan_id


# Roles that may not know of a plan before its first day (四不两直): a leader sees a plan (its id,
# dates, size, seed) from its first day on; an inspector sees no plan, only the team's visits of
# today and before (``read_visits``). The office (and the command line, ``user=None``) sees all.
PLAN_SCOPED_ROLES = ("leader", "inspector")


def _plans_visible_to(user, today: object | None):
    """The ``where`` clause of the plans ``user`` may know of on ``today`` (None: all of them)."""
    if user is None or (can(user, "plans") and user.role not in PLAN_SCOPED_ROLES):
        return None
    if user.role != "leader" or not can(user, "plans"):
        return sa.false()
    today = to_timestamp(today if today is not None else pd.Timestamp.now())
    return plans.c.start <= today.date()


def list_plans(store, user=None, today: object | None = None) -> pd.DataFrame:
    """The stored plans ``user`` may know of on ``today`` (default: now), newest first (no visits).

    ``user=None`` is the command line (every plan); see ``PLAN_SCOPED_ROLES`` for the others.
    """
    query = sa.select(*[plans.c[c] for c in PLAN_LIST_COLUMNS]).order_by(plans.c.created_at.desc())
    visible = _plans_visible_to(user, today)
    if visible is not None:
        query = query.where(visible)
    with store.engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    return frame


def read_plan(store, plan_id: str, user=None, today: object | None = None) -> Plan:
    """A stored plan with its visits, as ``build_plan`` returned it; a plan ``user`` may not know of
    yet (see ``list_plans``) is answered as one that does not exist."""
    query = sa.select(plans).where(plans.c.plan_id == plan_id)
    visible = _plans_visible_to(user, today)
    if visible is not None:
        query = query.where(visible)
    with store.engine.connect() as connection:
        row = connection.execute(query).mappings().first()
        if row is None:
            raise UserError(f"检查计划 {plan_id} 不存在。", f"The plan {plan_id} does not exist.")
        visits = pd.read_sql(sa.select(plan_visits).where(plan_visits.c.plan_id == plan_id), connection)
    unplanned = _read_records(row["unplanned"], UNPLANNED_COLUMNS)
    evidence = _read_records(row["evidence"], EVIDENCE_COLUMNS)
    evidence["hazard_ids"] = evidence["hazard_ids"].astype(str)
    return Plan(
        visits=_typed_visits(visits).sort_values(["date", "team", "slot"], kind="stable").reset_index(drop=True),
        unplanned=unplanned, start=pd.Timestamp(row["start"]), days=int(row["days"]),
        rules=PlanRules.from_json(row["rules"]), seed=int(row["seed"]),
        teams=typed_teams(pd.read_json(io.StringIO(row["teams"]), orient="records", dtype=False)),
        risk_list_as_of=row["risk_list_as_of"], model_version=row["model_version"],
        expected_found=float(row["expected_found"]), expected_random=float(row["expected_random"]), plan_id=plan_id,
        evidence=evidence, version=int(row["version"] or 1), supersedes=row["supersedes"], redraw=row["redraw"],
    )


def _read_records(text: str | None, columns: tuple[str, ...]) -> pd.DataFrame:
    """A frame stored as JSON records (``None``: stored before the column existed, i.e. empty)."""
    frame = pd.read_json(io.StringIO(text), orient="records", dtype=False) if text not in (None, "[]") else \
        pd.DataFrame(columns=list(columns))
    frame["deadline"] = pd.to_datetime(frame["deadline"]).astype("datetime64[ns]")
    frame["hazards"] = frame["hazards"].astype("int64")
    return frame[list(columns)]


def read_evidence(store, plan_id: str, user=None, today: object | None = None) -> pd.DataFrame:
    """The follow-ups plan ``plan_id`` left to evidence review (``EVIDENCE_COLUMNS``), for whoever may know
    of the plan (see ``list_plans``); empty for a plan ``user`` may not know of."""
    query = sa.select(plans.c.evidence).where(plans.c.plan_id == plan_id)
    visible = _plans_visible_to(user, today)
    if visible is not None:
        query = query.where(visible)
    with store.engine.connect() as connection:
        text = connection.execute(query).scalar_one_or_none()
    return _read_records(text, EVIDENCE_COLUMNS)


def _typed_visits(visits: pd.DataFrame) -> pd.DataFrame:
    return visits.assign(date=pd.to_datetime(visits["date"]).astype("datetime64[ns]"),
                         slot=visits["slot"].astype("int64"), rank=visits["rank"].astype("int64"),
                         kind=visits["kind"].fillna("").astype(object),
                         leg_km=pd.to_numeric(visits["leg_km"], errors="coerce").astype("float64"))


def visits_for(store, user=None, today: object | None = None, plan_id: str | None = None) -> pd.DataFrame:
    """The stored visits ``user`` may see: an inspector only the own team's visits up to ``today``, a
    leader only visits up to ``today`` (no plan before its day), the office (and ``None``, the CLI) all;
    roles without the ``plans`` permission none. Where stored plans overlap, each day's visits come
    from the newest plan covering it, unless ``plan_id`` picks one plan."""
    return read_visits(store, user=user, today=today, plan_id=plan_id)


def read_visits(store, user=None, today: object | None = None, plan_id: str | None = None) -> pd.DataFrame:
    """The stored visits ``user`` may see (see ``planning.visits_for``), by date, team and slot; with
    ``plan_id``, that plan's (same scoping), else each day's newest plan."""
    columns = list(STORED_VISIT_COLUMNS)
    if user is not None and not can(user, "plans"):
        return pd.DataFrame(columns=columns)
    query = sa.select(plan_visits, plans.c.created_at).join(plans, plans.c.plan_id == plan_visits.c.plan_id)
    today = to_timestamp(today if today is not None else pd.Timestamp.now())
    if user is not None and user.role in ("inspector", "leader"):
        query = query.where(plan_visits.c.date <= today.date())
    if user is not None and user.role == "inspector":
        query = query.where(plan_visits.c.team == (user.team or ""))
    if plan_id is not None:
        query = query.where(plan_visits.c.plan_id == plan_id)
    with store.engine.connect() as connection:
        visits = pd.read_sql(query, connection)
    if visits.empty:
        return pd.DataFrame(columns=columns)
    visits = _typed_visits(visits)
    newest = visits.groupby("date")["created_at"].transform("max")
    visits = visits.loc[visits["created_at"] == newest]
    return visits.sort_values(["date", "team", "slot"], kind="stable").reset_index(drop=True)[columns]


def plan_tables(store, start: pd.Timestamp, days: int, rules: PlanRules) -> dict[str, pd.DataFrame]:
    """What ``build_plan`` reads, and only that: towns, enterprises, the alerts, the inspections of the
    year before ``start`` (yearly caps, cycles; longer if ``skip_recent_days`` is) and the hazards still
    open the day before it whose deadline falls in the period (a county's full history would be most of
    the time of ``saferank plan``)."""
    tables = read_tables(store, names=("towns", "enterprises", "weather_alerts"))
    day_before = (start - pd.Timedelta(days=1)).date()
    end = (start + pd.Timedelta(days=days - 1)).date()
    inspections, hazards = CONTRACT_TABLES["inspections"].c, CONTRACT_TABLES["hazards"].c
    # read_rows: raw driver values typed column by column (pd.read_sql + frames.typed: twice the time)
    tables["inspections"] = read_rows(
        store, "inspections",
        inspections.date > (start - pd.Timedelta(days=max(rules.skip_recent_days, HISTORY_DAYS) + 1)).date(),
        inspections.date <= day_before)
    tables["hazards"] = read_rows(store, "hazards", hazards.found_date <= day_before, hazards.deadline <= end,
                                  sa.or_(hazards.rectified_date.is_(None), hazards.rectified_date > day_before))
    return tables


@dataclass
class PlanReport:
    """What ``saferank plan`` prints."""

    plan: Plan
    xlsx: Path
    html: Path

    def render(self, lang: str = "zh") -> str:
        written = (f"已写出 {self.xlsx}（每个检查组一页）和打印版 {self.html}。" if lang == "zh"
                   else f"Wrote {self.xlsx} (one sheet per team) and the print view {self.html}.")
        return self.plan.render(lang) + "\n" + written


def create_plan(store, start: AsOf | None = None, days: int = 20, teams: pd.DataFrame | None = None,
                rules: PlanRules | None = None, seed: int | None = None, created_by: str = "cli",
                replace: bool = False) -> tuple[Plan, dict]:
    """Draw a plan from the newest stored risk list and store it; returns it and the tables it read.

    ``start`` defaults to the day after the list's as-of date; ``teams`` to ``default_teams``;
    ``replace``: see ``save_plan``.
    """
    risk_list = read_ranking(store)  # the list without its reasons: the plan does not read them
    if risk_list.empty:
        raise UserError("尚无已保存的风险清单：请先运行 saferank score。", "No risk list is stored yet: run saferank score first.")
    start = (AsOf.parse(start) if start else AsOf.parse(risk_list["as_of"].iloc[0]).plus(1)).ts  # AsOf passes through
    rules = rules or PlanRules()
    tables = plan_tables(store, start, days, rules)
    town_ids = tables["towns"]["town_id"].astype(str).tolist()
    # known the day before its first day; the enterprises table plan_tables read, not a second read
    mandatory = mandatory_targets(store, AsOf.parse(start).plus(-1), enterprises=tables["enterprises"])
    plan = build_plan(risk_list, tables, default_teams(town_ids) if teams is None else teams, start, days, rules, seed,
                      mandatory=mandatory)
    save_plan(store, plan, created_by, replace=replace)
    return plan, tables


def plan_store(store, start: AsOf | None = None, days: int = 20, teams_file: str | Path | None = None,
               random_share: float = 0.25, seed: int | None = None, out: str | Path | None = None,
               lang: str = "zh", created_by: str = "cli", rules: PlanRules | None = None,
               replace: bool = False) -> PlanReport:
    """``saferank plan``: ``create_plan``, then the xlsx (one sheet per team) and the print view.

    ``out`` defaults to ``data/plans/<plan_id>.xlsx`` under the working directory (the print view is
    written next to it, ``.html``).
    """
    teams = read_teams(teams_file, read_tables(store, names=("towns",))["towns"]["town_id"].astype(str).tolist()) \
        if teams_file else None
    plan, tables = create_plan(store, start, days, teams, rules or PlanRules(random_share=random_share), seed, created_by,
                               replace=replace)
    xlsx = Path(out) if out else Path("data") / "plans" / f"{plan.plan_id}.xlsx"
    write_plan_xlsx(plan.visits, tables, xlsx, lang, teams=plan.teams["team"], evidence=plan.evidence, plan_id=plan.plan_id)
    html = write_plan_html(plan, tables, xlsx.with_suffix(".html"), lang)
    return PlanReport(plan, xlsx, html)


def visits_json_safe(visits: pd.DataFrame) -> list[dict]:
    """Visits as JSON-ready records (dates as ISO text) for grids and stores."""
    out = visits.assign(date=pd.to_datetime(visits["date"]).dt.strftime("%Y-%m-%d"))
    return json.loads(out.to_json(orient="records", force_ascii=False))
