"""三个一批 (standardise, upgrade, close): a recommended batch per red/orange enterprise, and the office's decision.

The system recommends from transparent rules (``DispositionRules``, every threshold named, loadable
from JSON); a person of the office confirms or changes the batch, and the decision is stored by
(campaign, enterprise), not by risk list, so it survives re-scoring.

Rules, in priority order (the first batch whose rule holds is recommended; every rule that holds is
listed as evidence):

- ``close`` 关停取缔: only on a legal ground recorded in the data (an unapproved restart after a
  stop order; a major hazard overdue and found still open by a later inspection; an open major hazard
  with repeated penalties); the rules and their source (安全生产法 第七十条、第一百一十三条) are in
  ``analytics.operations.disposition_rules``. A high score alone never closes a firm.
- ``upgrade`` 改造提升: weak management but the means and the will to improve: at least
  ``upgrade_min_general`` general hazards found in the window, at least ``upgrade_on_time_rate`` of
  the decided ones rectified on time, and the means (size in ``upgrade_sizes`` or a
  hazardous-chemicals firm when ``upgrade_hazardous_chemicals``).
- ``standardise`` 规范达标: open hazards that can be rectified by a deadline. The deadline is the
  latest of their deadlines; a deadline already passed (or missing) becomes ``as_of +
  default_deadline_days``; the follow-up (回头看) is ``follow_up_days`` after it.
- otherwise ``review`` 待研判: no clear case; a person decides.

Long because the facts the rules read, the recommendation and the stored decisions are one unit an
office reviews together; the thresholds and evidence texts live in
``analytics.operations.disposition_rules``, the facts themselves in ``analytics.snapshot.facts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from analytics.accounts import audit  # noqa: F401  (its table: a decision is audited in the same transaction)
from analytics.contract.errors import UserError
from analytics.contract.exports import county_of, cover_line, write_xlsx
from analytics.contract.schema import RISK_LEVELS, SECTORS, Code
from analytics.store.app_tables import dispositions
from analytics.contract.dates import to_timestamp
from analytics.contract.words import counts
from analytics.operations.disposition_rules import (  # noqa: F401  (closure_rule: re-exported for the page)
    RULE_BATCH,
    DispositionRules,
    closure_rule,
    evidence,
    rules_sheet,
)
from analytics.snapshot.facts import (
    days_overdue,
    handles_chemicals,
    hazard_state,
    open_mask,
    unapproved_restarts,
)
from analytics.snapshot.snapshot import AsOf, Snapshot, as_snapshot
from analytics.accounts import users as accounts
from analytics.operations import plans_store  # visits_for through the module: tests replace it there
from analytics.risk.risklist import read_risk_list

BATCHES = (
    Code("standardise", "规范达标", "Bring up to standard"),
    Code("upgrade", "改造提升", "Upgrade"),
    Code("close", "关停取缔", "Close down"),
    Code("review", "待研判", "Needs review"),
)
BATCH_CODES = tuple(c.code for c in BATCHES)
DECISION_STATES = (
    Code("pending", "待确认", "Awaiting confirmation"),
    Code("confirmed", "已确认", "Confirmed"),
    Code("changed", "已改判", "Changed"),
)
DEFAULT_CAMPAIGN = "default"
STOP_ORDER = "rectification_order"  # the stop reason after which an unapproved restart closes a firm

# Columns of the list, with their labels (zh, en), in the order the page and the workbook show them.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "enterprise_id": ("企业编码", "Enterprise ID"),
    "name": ("企业名称", "Enterprise"),
    "town_name": ("镇街", "Town"),
    "sector": ("行业领域", "Sector"),
    "risk_level": ("风险等级", "Risk level"),
    "rank": ("排名", "Rank"),
    "score": ("风险概率", "Score"),
    "recommended": ("系统建议", "Recommended"),
    "decision": ("处置决定", "Decision"),
    "state": ("确认状态", "State"),
    "evidence": ("依据", "Evidence"),
    "deadline": ("整改期限", "Deadline"),
    "follow_up_date": ("回头看日期", "Follow-up date"),
    "penalties": ("处罚记录", "Penalty history"),
    "decided_by": ("确认人", "Decided by"),
    "decided_at": ("确认时间", "Decided at"),
    "note": ("备注", "Note"),
}


def _label(codes: tuple[Code, ...], values: pd.Series, lang: str) -> pd.Series:
    return values.astype(object).map({c.code: c.zh if lang == "zh" else c.en for c in codes})


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).map(str)


def _part(mask: pd.Series, text: pd.Series | str) -> pd.Series:
    """``text`` + "；" where ``mask`` holds, else "" (evidence parts are summed, then the last ； cut)."""
    text = text if isinstance(text, pd.Series) else pd.Series(text, index=mask.index)
    return (text + "；").where(mask.fillna(False).astype(bool), "")


def _date(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").fillna("")


def enterprise_facts(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object, rules: DispositionRules) -> pd.DataFrame:
    """Per operating enterprise (index ``enterprise_id``): the figures every rule reads. ``as_of``:
    None with a ``Snapshot``; with a tables dict, the date to cut it to."""
    snapshot = as_snapshot(snapshot, as_of)
    as_of, known = snapshot.as_of.ts, snapshot.tables
    enterprises = snapshot.operating.set_index("enterprise_id")
    facts = pd.DataFrame(index=enterprises.index)
    start = as_of - pd.Timedelta(days=rules.window_days)

    hazards = known["hazards"]
    state = hazard_state(hazards, as_of).astype(object)
    is_open = open_mask(hazards)
    days_over = days_overdue(hazards, as_of)
    major_long = is_open & (hazards["level"].astype(object) == "major") & (days_over > rules.major_overdue_days)
    in_window = hazards["found_date"] > start
    decided = in_window & state.isin(["overdue", "rectified_on_time", "rectified_late"])
    fresh = as_of + pd.Timedelta(days=rules.default_deadline_days)
    target = hazards["deadline"].fillna(hazards["found_date"] + pd.Timedelta(days=rules.default_deadline_days))
    target = target.where(target >= as_of, fresh)
    firm = hazards["enterprise_id"].astype(object)
    inspections = known["inspections"]
    last_seen = inspections.groupby(inspections["enterprise_id"].astype(object))["date"].max()
    seen_open = pd.Series(last_seen.reindex(firm).to_numpy(), index=hazards.index) > hazards["deadline"]  # an inspection after the deadline found it still open
    not_rectified = major_long & seen_open.fillna(False).astype(bool)
    rectifiable = is_open & ~not_rectified
    per_hazard = pd.DataFrame({
        "enterprise_id": firm,
        "major_not_rectified": not_rectified.astype(int),
        "open_major": (is_open & (hazards["level"].astype(object) == "major")).astype(int),
        "major_overdue_days": days_over.where(not_rectified),
        "overdue_or_late": (in_window & state.isin(["overdue", "rectified_late"])).astype(int),
        "general_found": (in_window & (hazards["level"].astype(object) == "general")).astype(int),
        "decided": decided.astype(int),
        "on_time": (decided & (state == "rectified_on_time")).astype(int),
        "open_hazards": rectifiable.astype(int),
        "deadline": target.where(rectifiable),
    })
    grouped = per_hazard.groupby("enterprise_id").agg(
        major_not_rectified=("major_not_rectified", "sum"), open_major=("open_major", "sum"), major_overdue_days=("major_overdue_days", "max"),
        overdue_or_late=("overdue_or_late", "sum"), general_found=("general_found", "sum"),
        decided=("decided", "sum"), on_time=("on_time", "sum"), open_hazards=("open_hazards", "sum"),
        deadline=("deadline", "max"),
    )
    facts = facts.join(grouped)
    counts = ["major_not_rectified", "open_major", "overdue_or_late", "general_found", "decided", "on_time", "open_hazards"]
    facts[counts] = facts[counts].fillna(0).astype("int64")
    facts["on_time_rate"] = facts["on_time"] / facts["decided"].where(facts["decided"] > 0)
    facts["follow_up_date"] = facts["deadline"] + pd.Timedelta(days=rules.follow_up_days)

    facts["small_scattered"] = enterprises["small_scattered"].fillna(False).astype(bool)
    facts["has_means"] = enterprises["size"].astype(object).isin(rules.upgrade_sizes) | (
        handles_chemicals(enterprises) & rules.upgrade_hazardous_chemicals)
    facts = facts.join(_unapproved_restarts(known, as_of, rules))
    facts["unapproved_restart"] = facts["unapproved_restart"].fillna(False).astype(bool)
    facts = facts.join(_penalty_history(known, start))
    penalties = known.get("penalties")
    for column, days in (("penalties_short", rules.penalty_window_short_days), ("penalties_year", 365)):
        recent = penalties.loc[penalties["date"] > as_of - pd.Timedelta(days=days)] if penalties is not None else None
        counted = recent.groupby(recent["enterprise_id"].astype(object)).size() if recent is not None else pd.Series(dtype=int)
        facts[column] = facts.index.map(counted).fillna(0).astype("int64")
    return facts


def _unapproved_restarts(known: dict[str, pd.DataFrame], as_of: pd.Timestamp, rules: DispositionRules) -> pd.DataFrame:
    """``unapproved_restart`` and its latest ``restart_date`` per enterprise (only those that have one)."""
    found = unapproved_restarts(known.get("status_events"), as_of, rules.restart_window_days, after_stop_reason=STOP_ORDER)
    return pd.DataFrame({"unapproved_restart": pd.Series(True, index=found.index, dtype=bool), "restart_date": found})


def _penalty_history(known: dict[str, pd.DataFrame], start: pd.Timestamp) -> pd.DataFrame:
    """Penalties in the window per enterprise: ``penalty_count``, ``penalty_yuan``, ``last_penalty``."""
    penalties = known.get("penalties")
    if penalties is None or penalties.empty:
        return pd.DataFrame({"penalty_count": pd.Series(dtype="int64"), "penalty_yuan": pd.Series(dtype=float),
                             "last_penalty": pd.Series(dtype="datetime64[ns]")}).rename_axis("enterprise_id")
    recent = penalties.loc[penalties["date"] > start]
    return recent.groupby(recent["enterprise_id"].astype(object)).agg(
        penalty_count=("penalty_id", "size"), penalty_yuan=("amount_yuan", "sum"), last_penalty=("date", "max"))


def _penalty_text(facts: pd.DataFrame, rules: DispositionRules, lang: str) -> pd.Series:
    count = facts["penalty_count"].fillna(0).astype(int)
    amount = (facts["penalty_yuan"].fillna(0) / 10_000).round(2).map("{:g}".format)
    last = _date(facts["last_penalty"])
    if lang == "zh":
        text = f"近{rules.window_days}天处罚 " + _text(count) + " 次，罚款合计 " + amount + " 万元，最近一次 " + last
        return text.where(count > 0, f"近{rules.window_days}天无处罚")
    text = counts(count, "penalty", "penalties") + f" in {rules.window_days} days, fines " + amount + " × 10k yuan, latest " + last
    return text.where(count > 0, f"no penalties in {rules.window_days} days")


def recommend(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object, risk_list: pd.DataFrame,
              rules: DispositionRules | None = None, include: object = (),
              facts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The recommended batch for every enterprise of ``risk_list`` at ``rules.levels`` (plus ``include`` ids).

    One row per enterprise in list order: ``enterprise_id``, ``name``, ``town_id``, ``town_name``, ``sector``,
    ``risk_level``, ``rank``, ``score``, ``recommended`` (a ``BATCH_CODES`` code), ``rules`` (the
    rule codes that hold, comma-separated), ``evidence_zh``/``evidence_en``, ``deadline``,
    ``follow_up_date`` (standardise only), ``penalties_zh``/``penalties_en`` and the rule figures.
    ``facts``: ``enterprise_facts(tables, as_of, rules)`` when the caller already has it (the pages
    cache it: it is the whole cost, ~0.7 s at 100,000 firms, and changes only with the data).
    """
    rules = rules or DispositionRules()
    snapshot = as_snapshot(snapshot, as_of)
    as_of = snapshot.as_of.ts
    chosen = risk_list.loc[risk_list["risk_level"].astype(object).isin(rules.levels)
                           | risk_list["enterprise_id"].astype(object).isin(list(include))]
    chosen = chosen.sort_values("rank", kind="stable")
    facts = enterprise_facts(snapshot, None, rules) if facts is None else facts
    facts = facts.reindex(chosen["enterprise_id"].astype(object))
    enterprises = snapshot["enterprises"].set_index("enterprise_id")
    towns = snapshot["towns"].assign(town_id=snapshot["towns"]["town_id"].astype(object)).set_index("town_id")["name"]
    out = pd.DataFrame({
        "enterprise_id": facts.index.astype(str),
        "name": facts.index.map(enterprises["name"].astype(object)),
        "town_id": facts.index.map(enterprises["town_id"].astype(object)),
        "town_name": facts.index.map(enterprises["town_id"].astype(object)).map(towns),
        "sector": facts.index.map(enterprises["sector"].astype(object)),
        "risk_level": chosen["risk_level"].astype(object).to_numpy(),
        "rank": chosen["rank"].astype("int64").to_numpy(),
        "score": chosen["score"].astype(float).to_numpy(),
    }, index=facts.index)
    facts = facts.fillna({"small_scattered": False, "unapproved_restart": False, "has_means": False,
                          "major_not_rectified": 0, "open_major": 0, "penalties_short": 0, "penalties_year": 0})
    holds = {}
    for lang in ("zh", "en"):
        texts = evidence(facts, rules, lang)
        holds = {rule: mask.fillna(False).astype(bool) for rule, (mask, _) in texts.items()}
        parts = sum((_part(holds[rule], text) for rule, (_, text) in texts.items()), start=pd.Series("", index=facts.index))
        review = ("未见明确处置依据，需人工研判" if lang == "zh" else "no clear case; a person should decide") + "；"
        nothing = ~pd.concat(holds, axis=1).any(axis=1) if holds else pd.Series(True, index=facts.index)
        out[f"evidence_{lang}"] = parts.where(~nothing, review).str.rstrip("；")
        out[f"penalties_{lang}"] = _penalty_text(facts, rules, lang)
    batch_holds = {batch: np.zeros(len(facts), dtype=bool) for batch in ("close", "upgrade", "standardise")}
    for rule, batch in RULE_BATCH.items():
        if batch is None:  # evidence only
            continue
        batch_holds[batch] |= holds[rule].to_numpy()
    out["recommended"] = np.select([batch_holds["close"], batch_holds["upgrade"], batch_holds["standardise"]],
                                   ["close", "upgrade", "standardise"], default="review")
    matched = sum((_part(holds[rule], rule) for rule in RULE_BATCH), start=pd.Series("", index=facts.index))
    out["rules"] = matched.str.rstrip("；").str.replace("；", ",")
    standardise = out["recommended"] == "standardise"
    out["deadline"] = facts["deadline"].where(standardise)
    out["follow_up_date"] = facts["follow_up_date"].where(standardise)
    figures = ["major_not_rectified", "open_major", "penalties_short", "penalties_year", "overdue_or_late", "general_found", "on_time_rate", "open_hazards",
               "small_scattered", "unapproved_restart", "has_means", "penalty_count", "penalty_yuan", "last_penalty"]
    out = out.join(facts[figures])
    out["penalty_count"] = out["penalty_count"].fillna(0).astype("int64")
    return out.reset_index(drop=True)


# --- decisions in the store ------------------------------------------------------------------
def confirm(store, enterprise_id: str, decision: str, *, user=None, campaign: str = DEFAULT_CAMPAIGN,
            recommended: str | None = None, as_of: object | None = None, note: str = "",
            source: str | None = None) -> dict:
    """Store a person's decision for (campaign, enterprise), replacing an earlier one; audited.

    ``user`` is the signed-in ``accounts.User`` (``None``: the command line). Returns the stored row.
    """
    if user is not None:
        accounts.require(user, "dispositions")
    if decision not in BATCH_CODES:
        raise UserError(f"处置决定必须是 {', '.join(BATCH_CODES)} 之一，而不是“{decision}”。",
                        f"The decision must be one of {', '.join(BATCH_CODES)}, not '{decision}'.")
    if not str(enterprise_id or "").strip():
        raise UserError("请先选择一家企业。", "Choose an enterprise first.")
    if user is not None and user.role == "inspector" and str(enterprise_id) not in _team_enterprises(store, user):
        # the same scope as ``disposition_list``: an inspector decides only for the team's firms
        audit.record(store, user, "access_denied", str(enterprise_id), source, {"action": "disposition"})
        raise accounts.Forbidden("dispositions")
    row = {
        "campaign": campaign, "enterprise_id": str(enterprise_id), "decision": decision,
        "recommended": recommended, "as_of": None if as_of is None else to_timestamp(as_of).date(),
        "note": note or "", "decided_by": user.username if user is not None else audit.CLI_ACTOR[0],
        "decided_at": pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime(),
    }
    key = (dispositions.c.campaign == campaign) & (dispositions.c.enterprise_id == row["enterprise_id"])
    with store.engine.begin() as connection:
        connection.execute(dispositions.delete().where(key))
        connection.execute(dispositions.insert().values(**row))
        audit.record(store, user, "disposition", row["enterprise_id"], source,
                     {"campaign": campaign, "decision": decision, "recommended": recommended}, connection=connection)
    return row


def decisions(store, campaign: str = DEFAULT_CAMPAIGN) -> pd.DataFrame:
    """The stored decisions of a campaign (one row per enterprise)."""
    with store.engine.connect() as connection:
        rows = pd.read_sql(sa.select(dispositions).where(dispositions.c.campaign == campaign)
                           .order_by(dispositions.c.enterprise_id), connection)
    return rows


def merge_decisions(recommended: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """Recommendations with the stored decision beside them: ``decision`` (the stored one, else the
    recommendation), ``state`` (pending / confirmed / changed), ``decided_by``, ``decided_at``, ``note``."""
    stored = stored.rename(columns={"recommended": "recommended_then", "as_of": "decided_as_of"})
    keep = ["enterprise_id", "decision", "recommended_then", "decided_by", "decided_at", "note"]
    out = recommended.merge(stored[keep], on="enterprise_id", how="left")
    has = out["decision"].notna()
    changed = has & (out["decision"] != out["recommended_then"].fillna(out["recommended"]))
    out["state"] = np.select([changed.to_numpy(), has.to_numpy()], ["changed", "confirmed"], default="pending")
    out["decision"] = out["decision"].fillna(out["recommended"])
    out["note"] = out["note"].fillna("")
    return out.drop(columns=["recommended_then"])


def disposition_list(store, as_of: AsOf | None = None, rules: DispositionRules | None = None,
                     campaign: str = DEFAULT_CAMPAIGN, user=None, tables: Snapshot | dict[str, pd.DataFrame] | None = None,
                     risk_list: pd.DataFrame | None = None, facts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The campaign list of a stored risk list (latest when ``as_of`` is None): every red/orange
    enterprise and every one already decided in ``campaign``, with recommendation and decision.

    ``user``: an inspector sees only the enterprises of their team's visits (``plans_store.visits_for``);
    ``None`` is the command line (everything). ``tables`` (a ``Snapshot`` of the list's date, or all
    tables) / ``risk_list``: already read (the pages' cache); else read from ``store``. ``facts``:
    see ``recommend``. Decisions are always read fresh.
    """
    risk_list = read_risk_list(store, as_of=as_of) if risk_list is None else risk_list
    if risk_list.empty:
        raise UserError("尚无风险清单：请先评分（saferank score）。", "No risk list yet: score first (saferank score).")
    day = AsOf.parse(risk_list["as_of"].iloc[0])  # the list's own date column
    stored = decisions(store, campaign)
    snapshot = Snapshot.from_store(store, day) if tables is None else as_snapshot(tables, day)
    recommended = recommend(snapshot, None, risk_list, rules, include=stored["enterprise_id"], facts=facts)
    out = merge_decisions(recommended, stored).assign(as_of=day.ts)
    if user is not None and user.role == "inspector":
        out = out.loc[out["enterprise_id"].isin(_team_enterprises(store, user))]
    return out.reset_index(drop=True)


def _team_enterprises(store, user) -> set[str]:
    """An inspector's enterprises: those of the team's planned visits."""
    visits = plans_store.visits_for(store, user)
    return set(visits["enterprise_id"].astype(str)) if len(visits) else set()


def labelled(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The list as people read it: codes as labels, dates as text, headers in ``lang``."""
    out = frame.assign(
        sector=_label(SECTORS, frame["sector"], lang),
        risk_level=_label(RISK_LEVELS, frame["risk_level"], lang),
        recommended=_label(BATCHES, frame["recommended"], lang),
        decision=_label(BATCHES, frame["decision"], lang),
        state=_label(DECISION_STATES, frame["state"], lang),
        evidence=frame[f"evidence_{lang}"],
        penalties=frame[f"penalties_{lang}"],
        deadline=_date(frame["deadline"]),
        follow_up_date=_date(frame["follow_up_date"]),
        decided_at=_date(pd.to_datetime(frame["decided_at"])),
        decided_by=frame["decided_by"].fillna(""),
        score=frame["score"].round(4),
        town_name=frame["town_name"].fillna(frame["town_id"]),
    )
    out = out[list(COLUMN_LABELS)]
    return out.rename(columns={k: v[0] if lang == "zh" else v[1] for k, v in COLUMN_LABELS.items()})


def batch_shares(frame: pd.DataFrame, column: str = "decision") -> pd.DataFrame:
    """Per batch (``BATCH_CODES`` order): ``count`` and ``share`` in % of the list (0 for an empty list)."""
    counts = frame[column].value_counts().reindex(list(BATCH_CODES), fill_value=0).astype("int64")
    total = int(counts.sum())
    return pd.DataFrame({"count": counts, "share": counts / total * 100 if total else counts * 0.0})


def share_text(frame: pd.DataFrame, lang: str = "zh") -> str:
    """"规范达标 12 家（40.0%）、…" for the page."""
    shares = batch_shares(frame)
    parts = [(f"{c.zh} {shares.at[c.code, 'count']} 家（{shares.at[c.code, 'share']:.1f}%）" if lang == "zh" else
              f"{c.en}: {shares.at[c.code, 'count']} ({shares.at[c.code, 'share']:.1f}%)") for c in BATCHES]
    return ("、" if lang == "zh" else ", ").join(parts)


def excel_bytes(frame: pd.DataFrame, rules: DispositionRules | None = None, lang: str = "zh") -> bytes:
    """The list as a workbook: the list sheet, a count per batch, and the rules used, each under a
    cover row (what, the list's date, the county, when made)."""
    day = frame["as_of"].iloc[0] if "as_of" in frame and len(frame) else None
    rules = rules or DispositionRules()
    shares = batch_shares(frame)
    zh = lang == "zh"
    summary = pd.DataFrame({
        "批次" if zh else "Batch": [c.zh if zh else c.en for c in BATCHES],
        "企业数" if zh else "Enterprises": shares["count"].to_numpy(),
        "占比" if zh else "Share": (shares["share"] / 100).to_numpy(),
    })
    summary.attrs.update(percent=["占比" if zh else "Share"], percent_format="0.0%")
    return write_xlsx(None, [  # names run no formula
        ("三个一批" if lang == "zh" else "Dispositions", labelled(frame, lang)),
        ("汇总" if lang == "zh" else "Summary", summary),
        ("规则" if lang == "zh" else "Rules", rules_sheet(rules, lang)),
    ], office=True, cover=cover_line("三个一批" if zh else "Dispositions", day, lang=lang,
                                     county=county_of(frame["town_id"]) if "town_id" in frame else None))


@dataclass(frozen=True)
class ExportReport:
    path: Path
    as_of: pd.Timestamp
    counts: dict[str, int]

    def render(self, lang: str = "zh") -> str:
        parts = "，".join(f"{c.zh} {self.counts.get(c.code, 0)} 家" for c in BATCHES) if lang == "zh" else \
            ", ".join(f"{c.en}: {self.counts.get(c.code, 0)}" for c in BATCHES)
        if lang == "zh":
            return f"三个一批（{self.as_of:%Y-%m-%d}）：{parts}。已写入 {self.path}"
        return f"Dispositions ({self.as_of:%Y-%m-%d}): {parts}. Written to {self.path}"


def export_dispositions(store, out: str | Path, as_of: AsOf | None = None, rules_path: str | Path | None = None,
                        campaign: str = DEFAULT_CAMPAIGN, lang: str = "zh") -> ExportReport:
    """``saferank dispositions``: the campaign list of a stored risk list written as a workbook."""
    rules = DispositionRules.from_json(rules_path) if rules_path else DispositionRules()
    frame = disposition_list(store, as_of, rules, campaign)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(excel_bytes(frame, rules, lang))
    counts = frame["decision"].value_counts().to_dict()
    return ExportReport(path, frame["as_of"].iloc[0] if len(frame) else (as_of.ts if as_of else pd.Timestamp.today().normalize()),
                        {str(k): int(v) for k, v in counts.items()})
