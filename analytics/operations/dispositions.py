"""三个一批 (standardise, upgrade, close): a recommended batch per red/orange enterprise, and the office's decision.

The system recommends from transparent rules (``DispositionRules``, every threshold named, loadable
from JSON); a person of the office confirms or changes the batch, and the decision is stored by
(campaign, enterprise), not by risk list, so it survives re-scoring.

Rules, in priority order (the first batch whose rule holds is recommended; every rule that holds is
listed as evidence):

- ``close`` 关停取缔: an open major hazard overdue more than ``major_overdue_days`` (cannot be
  rectified); a 小散乱污 firm (``close_small_scattered``); refusal to rectify (at least
  ``refusal_overdue_count`` hazards found in the window that are overdue now or were rectified
  late); an unapproved restart after a stop order (``facts.unapproved_restarts``: a status change
  back to operating with ``approved`` false, whose latest earlier stop had the reason
  ``STOP_ORDER``, within ``restart_window_days``).
- ``upgrade`` 改造提升: weak management but the means and the will to improve: at least
  ``upgrade_min_general`` general hazards found in the window, at least ``upgrade_on_time_rate`` of
  the decided ones rectified on time, and the means (size in ``upgrade_sizes`` or a
  hazardous-chemicals firm when ``upgrade_hazardous_chemicals``).
- ``standardise`` 规范达标: open hazards that can be rectified by a deadline. The deadline is the
  latest of their deadlines; a deadline already passed (or missing) becomes ``as_of +
  default_deadline_days``; the follow-up (回头看) is ``follow_up_days`` after it.
- otherwise ``review`` 待研判: no clear case; a person decides.

Long because the rules, their evidence columns and the stored decisions are one unit an office
reviews together (each threshold, the fact it reads and the decision it proposes side by side); the
facts themselves live in ``analytics.snapshot.facts``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from analytics.accounts import audit  # noqa: F401  (its table: a decision is audited in the same transaction)
from analytics.contract.errors import UserError
from analytics.contract.exports import write_xlsx
from analytics.contract.schema import RISK_LEVELS, SECTORS, Code
from analytics.store.app_tables import dispositions
from analytics.contract.dates import to_timestamp
from analytics.snapshot.facts import (
    RESTART_WINDOW_DAYS,
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
    "town_id": ("镇街编码", "Town ID"),
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


@dataclass(frozen=True)
class DispositionRules:
    """The thresholds of the three batches; defaults as documented in the module docstring."""

    levels: tuple[str, ...] = ("red", "orange")  # the risk levels that get a recommendation
    window_days: int = 365  # history the counts look at
    major_overdue_days: int = 30  # an open major hazard overdue longer than this cannot be rectified
    close_small_scattered: bool = True  # 小散乱污 firms are closed
    refusal_overdue_count: int = 3  # hazards overdue or rectified late in the window: refusal to rectify
    restart_window_days: int = RESTART_WINDOW_DAYS  # unapproved restarts this recent count
    upgrade_min_general: int = 3  # general hazards in the window: weak management
    upgrade_on_time_rate: float = 0.8  # share of decided hazards rectified on time: the will to improve
    upgrade_sizes: tuple[str, ...] = ("large", "medium", "small")  # sizes that have the means
    upgrade_hazardous_chemicals: bool = True  # a hazardous-chemicals firm (sector or flag) has the means
    default_deadline_days: int = 30  # new deadline when none is given or it has passed
    follow_up_days: int = 7  # 回头看 this many days after the deadline

    @classmethod
    def from_json(cls, path: str | Path) -> DispositionRules:
        """Rules from a JSON object of any of the fields above; unknown keys are an error."""
        try:
            given = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise UserError(f"无法读取处置规则文件 {path}：{error}", f"Cannot read the rules file {path}: {error}") from error
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(given) - known)
        if not isinstance(given, dict) or unknown:
            raise UserError(f"处置规则文件含未知项：{unknown}", f"The rules file has unknown keys: {unknown}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()}
        return replace(cls(), **values)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


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
    rectifiable = is_open & ~major_long
    per_hazard = pd.DataFrame({
        "enterprise_id": hazards["enterprise_id"].astype(object),
        "major_unrectifiable": major_long.astype(int),
        "major_overdue_days": days_over.where(major_long),
        "overdue_or_late": (in_window & state.isin(["overdue", "rectified_late"])).astype(int),
        "general_found": (in_window & (hazards["level"].astype(object) == "general")).astype(int),
        "decided": decided.astype(int),
        "on_time": (decided & (state == "rectified_on_time")).astype(int),
        "open_hazards": rectifiable.astype(int),
        "deadline": target.where(rectifiable),
    })
    grouped = per_hazard.groupby("enterprise_id").agg(
        major_unrectifiable=("major_unrectifiable", "sum"), major_overdue_days=("major_overdue_days", "max"),
        overdue_or_late=("overdue_or_late", "sum"), general_found=("general_found", "sum"),
        decided=("decided", "sum"), on_time=("on_time", "sum"), open_hazards=("open_hazards", "sum"),
        deadline=("deadline", "max"),
    )
    facts = facts.join(grouped)
    counts = ["major_unrectifiable", "overdue_or_late", "general_found", "decided", "on_time", "open_hazards"]
    facts[counts] = facts[counts].fillna(0).astype("int64")
    facts["on_time_rate"] = facts["on_time"] / facts["decided"].where(facts["decided"] > 0)
    facts["follow_up_date"] = facts["deadline"] + pd.Timedelta(days=rules.follow_up_days)

    facts["small_scattered"] = enterprises["small_scattered"].fillna(False).astype(bool)
    facts["has_means"] = enterprises["size"].astype(object).isin(rules.upgrade_sizes) | (
        handles_chemicals(enterprises) & rules.upgrade_hazardous_chemicals)
    facts = facts.join(_unapproved_restarts(known, as_of, rules))
    facts["unapproved_restart"] = facts["unapproved_restart"].fillna(False).astype(bool)
    return facts.join(_penalty_history(known, start))


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


def _evidence(facts: pd.DataFrame, rules: DispositionRules, lang: str) -> dict[str, pd.Series]:
    """Per rule: the mask and its evidence text (``lang``)."""
    zh = lang == "zh"
    n = facts
    on_time_pct = (n["on_time_rate"] * 100).round(0).astype("Int64").astype(str)
    texts = {
        "major_unrectifiable": (
            n["major_unrectifiable"] > 0,
            ("重大隐患逾期未改 " + _text(n["major_unrectifiable"]) + " 项，最长逾期 "
             + _text(n["major_overdue_days"].fillna(0).astype(int)) + " 天") if zh else
            (_text(n["major_unrectifiable"]) + " major hazard(s) open and overdue, longest by "
             + _text(n["major_overdue_days"].fillna(0).astype(int)) + " days"),
        ),
        "small_scattered": (
            n["small_scattered"] & rules.close_small_scattered,
            "属“小散乱污”企业" if zh else "a small, scattered, disorderly, polluting firm",
        ),
        "refuses_rectification": (
            n["overdue_or_late"] >= rules.refusal_overdue_count,
            (f"近{rules.window_days}天隐患逾期未改或逾期整改 " + _text(n["overdue_or_late"]) + " 项（拒不整改）") if zh else
            (_text(n["overdue_or_late"]) + f" hazards overdue or rectified late in {rules.window_days} days (refuses to rectify)"),
        ),
        "unapproved_restart": (
            n["unapproved_restart"],
            ("停产整顿后未经验收擅自复产（" + _date(n["restart_date"]) + "）") if zh else
            ("restarted without approval after a stop order (" + _date(n["restart_date"]) + ")"),
        ),
        "weak_management_improving": (
            (n["general_found"] >= rules.upgrade_min_general) & (n["on_time_rate"] >= rules.upgrade_on_time_rate).fillna(False)
            & n["has_means"],
            (f"近{rules.window_days}天一般隐患 " + _text(n["general_found"]) + " 项，按期整改率 " + on_time_pct + "%，具备改造条件") if zh else
            (_text(n["general_found"]) + f" general hazards in {rules.window_days} days, " + on_time_pct
             + "% rectified on time, has the means to upgrade"),
        ),
        "rectifiable_hazards": (
            n["open_hazards"] > 0,
            ("未整改隐患 " + _text(n["open_hazards"]) + " 项，限期 " + _date(n["deadline"]) + " 前整改，"
             + _date(n["follow_up_date"]) + " 回头看") if zh else
            (_text(n["open_hazards"]) + " open hazard(s) to rectify by " + _date(n["deadline"]) + ", follow-up on "
             + _date(n["follow_up_date"])),
        ),
    }
    return texts


RULE_BATCH = {
    "major_unrectifiable": "close", "small_scattered": "close", "refuses_rectification": "close",
    "unapproved_restart": "close", "weak_management_improving": "upgrade", "rectifiable_hazards": "standardise",
}


def _penalty_text(facts: pd.DataFrame, rules: DispositionRules, lang: str) -> pd.Series:
    count = facts["penalty_count"].fillna(0).astype(int)
    amount = (facts["penalty_yuan"].fillna(0) / 10_000).round(2).map("{:g}".format)
    last = _date(facts["last_penalty"])
    if lang == "zh":
        text = f"近{rules.window_days}天处罚 " + _text(count) + " 次，罚款合计 " + amount + " 万元，最近一次 " + last
        return text.where(count > 0, f"近{rules.window_days}天无处罚")
    text = _text(count) + f" penalties in {rules.window_days} days, fines " + amount + " × 10k yuan, latest " + last
    return text.where(count > 0, f"no penalties in {rules.window_days} days")


def recommend(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object, risk_list: pd.DataFrame,
              rules: DispositionRules | None = None, include: object = (),
              facts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The recommended batch for every enterprise of ``risk_list`` at ``rules.levels`` (plus ``include`` ids).

    One row per enterprise in list order: ``enterprise_id``, ``name``, ``town_id``, ``sector``,
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
    out = pd.DataFrame({
        "enterprise_id": facts.index.astype(str),
        "name": facts.index.map(enterprises["name"].astype(object)),
        "town_id": facts.index.map(enterprises["town_id"].astype(object)),
        "sector": facts.index.map(enterprises["sector"].astype(object)),
        "risk_level": chosen["risk_level"].astype(object).to_numpy(),
        "rank": chosen["rank"].astype("int64").to_numpy(),
        "score": chosen["score"].astype(float).to_numpy(),
    }, index=facts.index)
    facts = facts.fillna({"small_scattered": False, "unapproved_restart": False, "has_means": False})
    holds = {}
    for lang in ("zh", "en"):
        evidence = _evidence(facts, rules, lang)
        holds = {rule: mask.fillna(False).astype(bool) for rule, (mask, _) in evidence.items()}
        parts = sum((_part(holds[rule], text) for rule, (_, text) in evidence.items()), start=pd.Series("", index=facts.index))
        review = ("未见明确处置依据，需人工研判" if lang == "zh" else "no clear case; a person should decide") + "；"
        nothing = ~pd.concat(holds, axis=1).any(axis=1) if holds else pd.Series(True, index=facts.index)
        out[f"evidence_{lang}"] = parts.where(~nothing, review).str.rstrip("；")
        out[f"penalties_{lang}"] = _penalty_text(facts, rules, lang)
    batch_holds = {batch: np.zeros(len(facts), dtype=bool) for batch in ("close", "upgrade", "standardise")}
    for rule, batch in RULE_BATCH.items():
        batch_holds[batch] |= holds[rule].to_numpy()
    out["recommended"] = np.select([batch_holds["close"], batch_holds["upgrade"], batch_holds["standardise"]],
                                   ["close", "upgrade", "standardise"], default="review")
    matched = sum((_part(holds[rule], rule) for rule in RULE_BATCH), start=pd.Series("", index=facts.index))
    out["rules"] = matched.str.rstrip("；").str.replace("；", ",")
    standardise = out["recommended"] == "standardise"
    out["deadline"] = facts["deadline"].where(standardise)
    out["follow_up_date"] = facts["follow_up_date"].where(standardise)
    figures = ["major_unrectifiable", "overdue_or_late", "general_found", "on_time_rate", "open_hazards",
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
    )
    out = out[list(COLUMN_LABELS)]
    return out.rename(columns={k: v[0] if lang == "zh" else v[1] for k, v in COLUMN_LABELS.items()})


def excel_bytes(frame: pd.DataFrame, rules: DispositionRules | None = None, lang: str = "zh") -> bytes:
    """The list as a workbook: the list sheet, a count per batch, and the rules used."""
    rules = rules or DispositionRules()
    counts = frame.groupby("decision").size().reindex(list(BATCH_CODES), fill_value=0)
    summary = pd.DataFrame({
        "批次" if lang == "zh" else "Batch": [c.zh if lang == "zh" else c.en for c in BATCHES],
        "企业数" if lang == "zh" else "Enterprises": counts.to_numpy(),
    })
    rules_sheet = pd.DataFrame({"rule": list(asdict(rules)), "value": [str(v) for v in asdict(rules).values()]})
    return write_xlsx(None, [  # names run no formula
        ("三个一批" if lang == "zh" else "Dispositions", labelled(frame, lang)),
        ("汇总" if lang == "zh" else "Summary", summary),
        ("规则" if lang == "zh" else "Rules", rules_sheet),
    ], office=True)


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
