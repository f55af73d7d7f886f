"""The warning feed (预警): what turned urgent since a day, each with its reason, town, team and state.

``warning_feed(snapshot, since, teams, ...)`` is pure. For every day ``d`` in ``(since, as_of]`` it
compares what was known at the end of ``d`` with what was known the day before
(``Snapshot.earlier``), so a warning dated ``d`` is built only from records known on ``d``:

- ``suspected_restart``: a firm newly suspected of running during a recorded shutdown or retrofit
  (``analytics.snapshot.power``; the evidence and confidence come with it);
- ``overdue_major``: a major hazard (重大隐患) newly overdue (``facts.overdue_mask``), or entered
  late when already overdue;
- ``weather``: a weather alert newly issued, crossed with the sectors it endangers
  (``WEATHER_SECTORS``: fishing vessels in gales, construction and hazardous chemicals in cold
  waves and heat, crowded places in typhoons), one warning per town and sector with firms there;
- ``newly_red``: a firm red in the newest stored risk list of the period and not red in the one
  before it (``lists``: the two lists, newest first, with their as-of dates);
- ``accident``: an accident newly known;
- ``complaint``: a complaint (举报) entered by a person (``complaints``).

The days are looped (at most ``MAX_DAYS``, a digest's window), never the firms. Each warning's
town is its firm's (or the alert's) and its team every team covering that town (``teams``); the
state comes from the store (``with_states``): ``new`` until someone acknowledges, assigns or closes it
(``set_state``, audited).

Long because the feed is one idea read in four places: its six kinds, its store side (states,
complaints, scoping), the digest and the plan's mandatory targets share the codes and reasons here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analytics.accounts import audit
from analytics.accounts.users import Forbidden, User, can
from analytics.contract.errors import UserError
from analytics.contract.exports import county_of, cover_line, write_xlsx
from analytics.contract.words import count
from analytics.contract.schema import ACCIDENT_SEVERITIES, ALERT_KINDS, ALERT_LEVELS, SECTORS, Code
from analytics.operations.teams import default_teams, read_teams
from analytics.risk.risklist import read_risk_list, scored_dates
from analytics.snapshot.facts import overdue_mask
from analytics.snapshot.power import DEFAULT_THRESHOLDS, PowerThresholds, suspected_restarts
from analytics.snapshot.power_store import suspected_restarts_from_store
from analytics.snapshot.snapshot import AsOf, Snapshot
from analytics.store import alerts as alert_store
from analytics.store.database import latest_record_date
from analytics.store.alerts import ALERT_STATES

WARNING_KINDS = (
    Code("suspected_restart", "疑似未批擅自开工（用电）", "Suspected restart (electricity)"),
    Code("overdue_major", "重大隐患逾期未改", "Major hazard overdue"),
    Code("weather", "气象预警涉及重点行业", "Weather alert over an exposed sector"),
    Code("newly_red", "新升为红色风险", "Newly red"),
    Code("accident", "事故", "Accident"),
    Code("complaint", "举报", "Complaint"),
)
KIND_CODES = tuple(c.code for c in WARNING_KINDS)
WEATHER_SECTORS: dict[str, tuple[str, ...]] = {
    "gale": ("fishing_vessels",),
    "cold_wave": ("construction", "hazardous_chemicals"),
    "heat": ("construction", "hazardous_chemicals"),
    "typhoon": ("fire_venues", "tourism"),
}
MAX_DAYS = 92
FEED_COLUMNS = ("alert_id", "date", "kind", "enterprise_id", "enterprise_name", "town_id", "town_name", "sector",
                "team", "reason_zh", "reason_en", "confidence")
STATE_VIEW_COLUMNS = ("state", "changed_by", "changed_at", "assigned_team", "note")
DIGEST_HEADERS = {
    "alert_id": ("预警编号", "Warning ID"), "date": ("日期", "Date"), "kind": ("类型", "Kind"),
    "enterprise_id": ("企业编码", "Enterprise ID"), "enterprise_name": ("企业名称", "Enterprise"),
    "town_name": ("镇街", "Town"), "team": ("责任检查组", "Team"), "reason": ("原因", "Reason"),
    "confidence": ("置信度", "Confidence"), "state": ("状态", "State"), "changed_by": ("处理人", "Changed by"),
    "changed_at": ("处理时间", "Changed at"),
}


def _labels(codes: tuple[Code, ...], lang: str) -> dict[str, str]:
    return {c.code: (c.zh if lang == "zh" else c.en) for c in codes}


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FEED_COLUMNS})


def _new_rows(today: pd.DataFrame, yesterday: pd.DataFrame, key: str) -> pd.DataFrame:
    return today.loc[~today[key].astype(str).isin(yesterday[key].astype(str))]


def _suspects(now: pd.DataFrame, earlier: pd.DataFrame, day: AsOf) -> pd.DataFrame:
    """The firms suspected on ``day`` (``now``) and not the day before (``earlier``)."""
    if now.empty:
        return _empty()
    new = _new_rows(now, earlier, "enterprise_id")
    if new.empty:
        return _empty()
    ratio = (new["ratio"].astype(float) * 100).round().astype(int).astype(str)
    source_zh = np.where(new["baseline_source"] == "own", "本企业正常生产", "同行业")
    source_en = np.where(new["baseline_source"] == "own", "its own operating", "its sector's")
    return pd.DataFrame({
        "alert_id": "suspected_restart:" + new["enterprise_id"].astype(str) + ":" + day.iso,
        "enterprise_id": new["enterprise_id"].astype(str),
        "reason_zh": "记录为停产或停产改造，但 " + new["periods"] + " 用电 " + new["kwh"].map("{:,.0f}".format)
                     + " 千瓦时（日均 " + new["kwh_per_day"].map("{:,.1f}".format) + "，为" + source_zh + "基线 "
                     + new["baseline_kwh_per_day"].map("{:,.1f}".format) + " 的 " + ratio + "%），疑似未批擅自开工",
        "reason_en": "Recorded as stopped, yet drew " + new["kwh"].map("{:,.0f}".format) + " kWh in " + new["periods"]
                     + " (" + new["kwh_per_day"].map("{:,.1f}".format) + " a day, " + ratio + "% of " + source_en
                     + " baseline of " + new["baseline_kwh_per_day"].map("{:,.1f}".format)
                     + "): suspected restart without approval",
        "confidence": new["confidence"].astype(float),
    })


def _overdue_majors(snapshot: Snapshot, day: AsOf, before: Snapshot) -> pd.DataFrame:
    def overdue(snap: Snapshot) -> pd.DataFrame:
        hazards = snap["hazards"]
        return hazards.loc[(hazards["level"].astype(object) == "major") & overdue_mask(hazards, snap.as_of.ts)]

    new = _new_rows(overdue(snapshot), overdue(before), "hazard_id")
    if new.empty:
        return _empty()
    deadline = new["deadline"].dt.strftime("%Y-%m-%d")
    return pd.DataFrame({
        "alert_id": "overdue_major:" + new["hazard_id"].astype(str),
        "enterprise_id": new["enterprise_id"].astype(str),
        "reason_zh": "重大隐患 " + new["hazard_id"].astype(str) + " 整改期限 " + deadline + " 已过，仍未整改",
        "reason_en": "Major hazard " + new["hazard_id"].astype(str) + " passed its deadline of " + deadline
                     + " and is still open",
        "confidence": 1.0,
    })


def _accidents(snapshot: Snapshot, day: AsOf, before: Snapshot) -> pd.DataFrame:
    if "accidents" not in snapshot or "accidents" not in before:
        return _empty()
    new = _new_rows(snapshot["accidents"], before["accidents"], "accident_id")
    if new.empty:
        return _empty()
    zh, en = _labels(ACCIDENT_SEVERITIES, "zh"), _labels(ACCIDENT_SEVERITIES, "en")
    when = new["date"].dt.strftime("%Y-%m-%d")
    deaths = new["deaths"].astype("Float64").fillna(0).astype(int).astype(str)
    injuries = new["injuries"].astype("Float64").fillna(0).astype(int).astype(str)
    severity = new["severity"].astype(object)
    return pd.DataFrame({
        "alert_id": "accident:" + new["accident_id"].astype(str),
        "enterprise_id": new["enterprise_id"].astype(str),
        "reason_zh": when + " 发生" + severity.map(zh) + "事故，死亡 " + deaths + " 人、受伤 " + injuries + " 人",
        "reason_en": severity.map(en) + " accident on " + when + ": " + deaths + " dead, " + injuries + " injured",
        "confidence": 1.0,
    })


def _weather(snapshot: Snapshot, day: AsOf, before: Snapshot, sectors: Mapping[str, tuple[str, ...]]) -> pd.DataFrame:
    if "weather_alerts" not in snapshot or "weather_alerts" not in before:
        return _empty()
    new = _new_rows(snapshot["weather_alerts"], before["weather_alerts"], "alert_id")
    exposure = pd.DataFrame([(k, s) for k, v in sectors.items() for s in v], columns=["kind", "sector"])
    new = new.assign(kind=new["kind"].astype(object), town_id=new["town_id"].astype(object)).merge(exposure, on="kind")
    firms = snapshot.operating.assign(town_id=snapshot.operating["town_id"].astype(object),
                                      sector=snapshot.operating["sector"].astype(object))
    counts = firms.groupby(["town_id", "sector"]).size().rename("firms").reset_index()
    county_wide = new.loc[new["town_id"].isna()].drop(columns="town_id").merge(counts, on="sector")
    local = new.loc[new["town_id"].notna()].merge(counts, on=["town_id", "sector"])
    hit = pd.concat([local, county_wide], ignore_index=True)
    if hit.empty:
        return _empty()
    kind_zh, kind_en = _labels(ALERT_KINDS, "zh"), _labels(ALERT_KINDS, "en")
    level_zh, level_en = _labels(ALERT_LEVELS, "zh"), _labels(ALERT_LEVELS, "en")
    sector_zh, sector_en = _labels(SECTORS, "zh"), _labels(SECTORS, "en")
    span = hit["start_date"].dt.strftime("%Y-%m-%d") + ".." + hit["end_date"].dt.strftime("%Y-%m-%d")
    level = hit["level"].astype(object)
    n = hit["firms"].astype(str)
    return pd.DataFrame({
        "alert_id": "weather:" + hit["alert_id"].astype(str) + ":" + hit["town_id"].astype(str) + ":" + hit["sector"],
        "enterprise_id": None, "town_id": hit["town_id"].astype(str), "sector": hit["sector"],
        "reason_zh": level.map(level_zh) + hit["kind"].map(kind_zh) + "预警（" + span + "）：本镇街有 " + n + " 家"
                     + hit["sector"].map(sector_zh) + "单位",
        "reason_en": level.map(level_en) + " " + hit["kind"].map(kind_en).str.lower() + " alert (" + span + "): " + n
                     + " " + hit["sector"].map(sector_en).str.lower() + " units in the town",
        "confidence": 1.0,
    })


def _newly_red(lists: tuple[pd.DataFrame, pd.DataFrame] | None, since: AsOf, as_of: AsOf) -> pd.DataFrame:
    """Red in the newest list (dated in ``(since, as_of]``), not red in the one before it."""
    if lists is None:
        return _empty()
    newest, previous = lists
    if newest.empty or previous.empty:
        return _empty()
    listed = pd.Timestamp(newest["as_of"].iloc[0])
    if not since.ts < listed <= as_of.ts:
        return _empty()
    before = previous.set_index(previous["enterprise_id"].astype(str))["risk_level"].astype(object)
    red = newest.loc[newest["risk_level"].astype(object) == "red"]
    was = red["enterprise_id"].astype(str).map(before)
    red = red.loc[was.ne("red")]
    if red.empty:
        return _empty()
    was = was.loc[red.index]
    prior_zh = was.map({"orange": "较大风险", "yellow": "一般风险", "blue": "低风险"}).fillna("未列入")
    prior_en = was.map({"orange": "orange", "yellow": "yellow", "blue": "blue"}).fillna("not listed")
    rank = red["rank"].astype(int).astype(str)
    return pd.DataFrame({
        "alert_id": "newly_red:" + red["enterprise_id"].astype(str) + ":" + listed.date().isoformat(),
        "date": listed, "enterprise_id": red["enterprise_id"].astype(str),
        "reason_zh": "风险等级由" + prior_zh + "升为重大风险（红色），排名第 " + rank + " 位",
        "reason_en": "Risk level rose from " + prior_en + " to red, rank " + rank,
        "confidence": red["score"].astype(float),
    })


def _complaints(complaints: pd.DataFrame | None, since: AsOf, as_of: AsOf) -> pd.DataFrame:
    if complaints is None or complaints.empty:
        return _empty()
    chosen = complaints.loc[(complaints["date"] > since.ts) & (complaints["date"] <= as_of.ts)]
    return chosen.assign(enterprise_id=chosen["enterprise_id"].astype(str), confidence=1.0)


def check_window(since: AsOf, as_of: AsOf) -> None:
    if since >= as_of:
        raise UserError(f"起始日期 {since} 须早于截止日期 {as_of}。", f"The start {since} must be before the end {as_of}.")
    if (as_of.ts - since.ts).days > MAX_DAYS:
        raise UserError(f"预警一次最多查看 {MAX_DAYS} 天（{since} 至 {as_of} 超出）。",
                        f"The warning feed covers at most {MAX_DAYS} days ({since} to {as_of} is longer).")


def warning_feed(snapshot: Snapshot, since: AsOf, teams: pd.DataFrame,
                 lists: tuple[pd.DataFrame, pd.DataFrame] | None = None, complaints: pd.DataFrame | None = None,
                 thresholds: PowerThresholds = DEFAULT_THRESHOLDS,
                 weather_sectors: Mapping[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """The warnings dated in ``(since, snapshot.as_of]`` (``FEED_COLUMNS``), newest first; see the module docstring."""
    as_of = snapshot.as_of
    check_window(since, as_of)
    sectors = WEATHER_SECTORS if weather_sectors is None else weather_sectors
    parts = []
    day = since.plus(1)
    before = snapshot.earlier(since)
    suspected_before = suspected_restarts(before, since.ts, thresholds)
    while day <= as_of:  # one snapshot per day of the window (at most MAX_DAYS), vectorised within
        today = snapshot.earlier(day)
        suspected = suspected_restarts(today, day.ts, thresholds)
        for kind, rows in (("suspected_restart", _suspects(suspected, suspected_before, day)),
                           ("overdue_major", _overdue_majors(today, day, before)),
                           ("weather", _weather(today, day, before, sectors)),
                           ("accident", _accidents(today, day, before))):
            if len(rows):
                parts.append(rows.assign(kind=kind, date=day.ts))
        before, suspected_before, day = today, suspected, day.plus(1)
    for kind, rows in (("newly_red", _newly_red(lists, since, as_of)),
                       ("complaint", _complaints(complaints, since, as_of))):
        if len(rows):
            parts.append(rows.assign(kind=kind))
    if not parts:
        return _empty()
    feed = pd.concat(parts, ignore_index=True)
    return _placed(feed, snapshot, teams)


def _placed(feed: pd.DataFrame, snapshot: Snapshot, teams: pd.DataFrame) -> pd.DataFrame:
    """Fill in each warning's firm name, town (the firm's, else the alert's), sector and teams."""
    firms = snapshot["enterprises"]
    firms = firms.set_index(firms["enterprise_id"].astype(str))
    ids = feed["enterprise_id"]
    feed["enterprise_name"] = ids.map(firms["name"].astype(object))
    town = ids.map(firms["town_id"].astype(object))
    feed["town_id"] = town.fillna(feed["town_id"]) if "town_id" in feed else town
    sector = ids.map(firms["sector"].astype(object))
    feed["sector"] = sector.fillna(feed["sector"]) if "sector" in feed else sector
    towns = snapshot["towns"] if "towns" in snapshot else pd.DataFrame({"town_id": [], "name": []})
    feed["town_name"] = feed["town_id"].map(towns.set_index(towns["town_id"].astype(str))["name"].astype(object))
    covering = teams.assign(town_id=teams["town_id"].astype(str)).groupby("town_id")["team"] \
        .agg(lambda s: ",".join(sorted(s.astype(str))))
    feed["team"] = feed["town_id"].map(covering).fillna("")
    feed["date"] = pd.to_datetime(feed["date"])
    feed["confidence"] = feed["confidence"].astype("float64")
    for column in FEED_COLUMNS:  # one dtype whatever kinds a day holds
        if column not in ("date", "confidence"):
            feed[column] = feed[column].astype(object).where(feed[column].notna(), None)
    feed = feed.sort_values(["date", "kind", "alert_id"], ascending=[False, True, True], kind="stable")
    return feed.reset_index(drop=True)[list(FEED_COLUMNS)]


# --- the store: lists, complaints, states, scoping ------------------------------------------------
def stored_lists(store, as_of: AsOf) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The two newest stored risk lists dated on or before ``as_of`` (newest first), or None."""
    dates = [d for d in scored_dates(store) if d <= as_of.ts]
    if len(dates) < 2:
        return None
    return read_risk_list(store, AsOf.parse(dates[-1])), read_risk_list(store, AsOf.parse(dates[-2]))


def with_states(feed: pd.DataFrame, states: pd.DataFrame) -> pd.DataFrame:
    """``feed`` with each warning's stored state (``new`` and blanks where none is stored)."""
    joined = feed.merge(states, on="alert_id", how="left")
    joined["state"] = joined["state"].fillna("new")
    return joined


def visible_to(feed: pd.DataFrame, user: User | None) -> pd.DataFrame:
    """The warnings ``user`` may see: none without the ``alerts`` permission; an inspector only those of
    the own team's towns; the office, leaders and the command line (``None``) all."""
    if user is None:
        return feed
    if not can(user, "alerts"):
        return feed.iloc[0:0]
    if user.role == "inspector":
        team = user.team or ""
        return feed.loc[feed["team"].astype(str).str.split(",").map(lambda teams: team in teams)]
    return feed


def feed_from_store(store, as_of: AsOf, since: AsOf | None = None, teams: pd.DataFrame | None = None,
                    user: User | None = None, thresholds: PowerThresholds = DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """The feed of ``(since, as_of]`` (default: the day before) read from ``store``, with states, as
    ``user`` may see it."""
    since = as_of.plus(-1) if since is None else since
    check_window(since, as_of)
    snapshot = Snapshot.from_store(store, as_of)
    if teams is None:
        teams = default_teams(snapshot["towns"]["town_id"].astype(str).tolist())
    feed = warning_feed(snapshot, since, teams, stored_lists(store, as_of), alert_store.read_complaints(store),
                        thresholds)
    feed = with_states(feed, alert_store.read_states(store, feed["alert_id"].tolist()))
    return visible_to(feed, user)


def set_state(store, alert_id: str, state: str, actor: User | None, assigned_team: str | None = None,
              note: str | None = None, source: str | None = None, feed: pd.DataFrame | None = None) -> dict:
    """Change a warning's state, audited (``alert_state``). ``actor=None`` is the command line. Refused
    without the ``alerts_edit`` permission, and for an inspector unless ``alert_id`` is among the
    warnings of ``feed`` (the feed the server computed) that the inspector may see."""
    if actor is not None and not can(actor, "alerts_edit"):
        raise Forbidden("alerts_edit")
    if actor is not None and actor.role == "inspector" and (
            feed is None or str(alert_id) not in set(visible_to(feed, actor)["alert_id"].astype(str))):
        raise Forbidden("alerts_edit")
    alert_store.check_state(state)
    if not str(alert_id).split(":", 1)[0] in KIND_CODES:
        raise UserError(f"不是预警编号：{alert_id!r}。", f"Not a warning ID: {alert_id!r}.")
    name = actor.username if actor is not None else audit.CLI_ACTOR[0]
    with store.engine.begin() as connection:
        row = alert_store.write_state(store, alert_id, state, name, assigned_team, note, connection=connection)
        audit.record(store, actor, "alert_state", alert_id, source,
                     {"state": state, "assigned_team": assigned_team, "note": note}, connection=connection)
    return row


def record_complaint(store, enterprise_id: str, day: AsOf, reason_zh: str, reason_en: str | None,
                     actor: User | None, source: str | None = None) -> str:
    """Enter a complaint about ``enterprise_id`` received on ``day``; it becomes a ``complaint`` warning
    and a mandatory target of the next plan. Audited (``complaint``). Returns its warning id."""
    if actor is not None and not can(actor, "alerts_edit"):
        raise Forbidden("alerts_edit")
    if not reason_zh.strip():
        raise UserError("请填写举报内容。", "Write what the complaint says.")
    known = Snapshot.from_store(store, day, names=("towns", "enterprises"))["enterprises"]
    if not known["enterprise_id"].astype(str).eq(str(enterprise_id)).any():
        raise UserError(f"企业编码不存在：{enterprise_id}。", f"No enterprise with ID {enterprise_id}.")
    count = len(alert_store.read_complaints(store))
    alert_id = f"complaint:{enterprise_id}:{day.iso}:{count + 1}"
    name = actor.username if actor is not None else audit.CLI_ACTOR[0]
    with store.engine.begin() as connection:
        alert_store.write_complaint(store, alert_id, day.ts, str(enterprise_id), "举报：" + reason_zh.strip(),
                                    "Complaint: " + (reason_en or reason_zh).strip(), name, connection)
        audit.record(store, actor, "complaint", alert_id, source, {"enterprise_id": enterprise_id}, connection=connection)
    return alert_id


# --- the digest ---------------------------------------------------------------------------------
def digest_frame(feed: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The feed as the daily digest shows it: labelled kinds and states, the reason in ``lang``, headers in ``lang``."""
    i = 0 if lang == "zh" else 1
    kinds, states = _labels(WARNING_KINDS, lang), _labels(ALERT_STATES, lang)
    out = pd.DataFrame({
        "alert_id": feed["alert_id"], "date": pd.to_datetime(feed["date"]).dt.strftime("%Y-%m-%d"),
        "kind": feed["kind"].map(kinds), "enterprise_id": feed["enterprise_id"], "enterprise_name": feed["enterprise_name"],
        "town_name": feed["town_name"], "team": feed["team"],
        "reason": feed["reason_zh"] if lang == "zh" else feed["reason_en"],
        "confidence": feed["confidence"].astype(float).round(2),
        "state": feed["state"].map(states) if "state" in feed else states["new"],
        "changed_by": feed["changed_by"] if "changed_by" in feed else None,
        "changed_at": feed["changed_at"] if "changed_at" in feed else None,
    })
    return out.rename(columns={k: v[i] for k, v in DIGEST_HEADERS.items()})


def write_digest(feed: pd.DataFrame, path, lang: str = "zh", since: AsOf | None = None, as_of: AsOf | None = None,
                 county: str | None = None) -> None:
    """The daily digest workbook: one sheet of warnings (every text cell neutralised) and one of counts by
    kind, each under a cover row (the digest, its days ``(since, as_of]``, the county, when made; the
    county is the feed's towns' when not given)."""
    if lang not in ("zh", "en"):
        raise UserError(f"不支持的语言：{lang}。", f"Unsupported language: {lang}.")
    kinds = _labels(WARNING_KINDS, lang)
    counts = feed["kind"].value_counts().reindex(KIND_CODES, fill_value=0)
    summary = pd.DataFrame({("类型" if lang == "zh" else "Kind"): [kinds[k] for k in KIND_CODES],
                            ("数量" if lang == "zh" else "Count"): counts.to_numpy()})
    sheets = {("预警" if lang == "zh" else "Warnings"): digest_frame(feed, lang),
              ("汇总" if lang == "zh" else "Summary"): summary}
    title = "预警日报" if lang == "zh" else "Warning digest"
    if as_of is not None:
        first = (as_of.plus(-1) if since is None else since).plus(1)
        title += f" {first} 至 {as_of}" if lang == "zh" else f" {first} to {as_of}"
    cover = cover_line(title, None, lang=lang, county=county or county_of(feed["town_id"] if "town_id" in feed else ()))
    write_xlsx(path, sheets, office=True, cover=cover)


def export_digest(store, out, as_of: AsOf | None = None, since: AsOf | None = None, teams_file=None,
                  lang: str = "zh") -> tuple[pd.DataFrame, str]:
    """``saferank alerts``: the digest of ``(since, as_of]`` (default: the newest record's day and the
    day before) written to ``out``; returns the feed and a one-line summary in ``lang``."""
    as_of = AsOf.parse(latest_record_date(store)) if as_of is None else as_of
    teams = None
    if teams_file is not None:
        towns = Snapshot.from_store(store, as_of, names=("towns",))["towns"]["town_id"].astype(str).tolist()
        teams = read_teams(teams_file, towns)
    feed = feed_from_store(store, as_of, since, teams=teams)
    county = county_of(Snapshot.from_store(store, as_of, names=("towns",))["towns"]["town_id"])
    write_digest(feed, out, lang, since, as_of, county)
    since = as_of.plus(-1) if since is None else since
    counts = feed["kind"].value_counts()
    kinds = _labels(WARNING_KINDS, lang)
    parts = ("，" if lang == "zh" else ", ").join(f"{kinds[k]} {int(counts[k])}" for k in KIND_CODES if k in counts)
    if lang == "zh":
        summary = f"预警日报 {since.plus(1)} 至 {as_of}：共 {len(feed)} 条（{parts or '无'}），已写入 {out}。"
    else:
        summary = f"Warning digest {since.plus(1)} to {as_of}: {count(len(feed), 'warning')} ({parts or 'none'}), written to {out}."
    return feed, summary


def mandatory_targets(store, as_of: AsOf, thresholds: PowerThresholds = DEFAULT_THRESHOLDS,
                      enterprises: pd.DataFrame | None = None) -> pd.DataFrame:
    """The firms the next plan must visit (``planning.MANDATORY_COLUMNS``): every firm suspected on
    ``as_of`` of running during a recorded stop and every complaint received by then, unless its
    warning was closed. ``enterprises``: the whole stored table, when the caller has read it."""
    # not the whole power_usage table
    suspects = suspected_restarts_from_store(store, as_of, thresholds, enterprises=enterprises)
    complaints = alert_store.read_complaints(store)
    complaints = complaints.loc[complaints["date"] <= as_of.ts]
    rows = pd.concat([
        pd.DataFrame({"alert_id": "suspected_restart:" + suspects["enterprise_id"].astype(str) + ":"
                                  + pd.to_datetime(suspects["first_flagged"]).dt.strftime("%Y-%m-%d"),
                      "enterprise_id": suspects["enterprise_id"].astype(str), "kind": "suspected_restart",
                      "reason_zh": "疑似未批擅自开工（停产期间用电 " + suspects["periods"] + "）",
                      "reason_en": "suspected restart without approval (power drawn while stopped, "
                                   + suspects["periods"] + ")"}),
        complaints.assign(kind="complaint")[["alert_id", "enterprise_id", "kind", "reason_zh", "reason_en"]],
    ], ignore_index=True)
    states = alert_store.read_states(store)
    closed = set(states.loc[states["state"] == "closed", "alert_id"].astype(str))
    # a suspicion's warning is dated the day it was first raised in a feed; closing any of a firm's closes it
    closed_firms = {a.split(":")[1] for a in closed if a.startswith("suspected_restart:")}
    keep = ~rows["alert_id"].isin(closed) & ~((rows["kind"] == "suspected_restart") & rows["enterprise_id"].isin(closed_firms))
    return rows.loc[keep, ["enterprise_id", "kind", "reason_zh", "reason_en"]].reset_index(drop=True)
