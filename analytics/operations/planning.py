"""Inspection plans for unannounced visits (四不两直, 双随机): who visits which enterprise on which day, and why.

``build_plan(risk_list, tables, teams, start, days, rules, seed)`` is pure: DataFrames in, a ``Plan``
out. Its rules, in order of precedence:

1. Follow-ups (回头看) come first among the non-random visits: every hazard still open whose deadline falls on or before the period's last day
   makes its enterprise a follow-up visit, planned on or after the day the deadline is reached (the
   first day for those already past it), as early as capacity allows. Follow-ups that cannot be
   planned are listed in ``Plan.unplanned`` with the reason.
2. ``random_share`` of each team's capacity (rounded per team) is reserved for random draws (双随机,
   a regulatory share: uniformly drawn among the eligible enterprises of the team's towns, seeded);
   follow-ups take the rest first, and what remains goes to targeted visits in this order: town
   minimums (``min_visits_per_town``, counting follow-ups), sector quotas, enterprises of exposed
   sectors under a weather alert in force (gale → fishing vessels; cold wave, rain-snow-ice → gas and
   crowded places; at most ``alert_max_share`` of the visits), then risk rank. A team whose towns
   hold too few eligible enterprises for its random share gives the rest to follow-ups and targets.
3. Enterprises inspected in the ``skip_recent_days`` before the start are not visited unless a
   follow-up is due. No enterprise is visited twice in one plan.
0. Mandatory targets (``mandatory``: a suspected restart from electricity, a complaint; see
   ``analytics.operations.alerts.mandatory_targets``) come before everything else a team does, even
   when inspected recently, and are labelled with the warning that made them (reason ``warning``).
4. A team visits only its own towns and at most its daily capacity a day. Teams are filled most
   constrained first (fewest candidates in its towns), ties in seeded random order, so an enterprise
   in a town several teams cover goes to a team drawn at random (random inspector).

The plan's expected value is the sum of the calibrated probabilities of its visits (expected major
hazards found), beside the same for a purely random plan of the same size (mean probability × visits).
Everything random comes from ``seed``, which the plan records: the same inputs and seed give the
same plan.

Long because the plan's precedence (follow-ups, mandatory targets, risk rank, random draws, caps)
is one vectorised allocation over days and teams whose steps hand each other capacity; splitting
it would scatter the order of precedence documented here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract.schema import ALERT_KINDS, SECTORS, Code, code_label
from analytics.operations.teams import team_capacity
from analytics.contract.dates import to_timestamp
from analytics.snapshot.timeline import as_known_on

VISIT_REASONS = (
    Code("warning", "预警必查", "Mandatory (warning)"),
    Code("follow_up", "回头看", "Follow-up"),
    Code("town_minimum", "镇街保底", "Town minimum"),
    Code("sector_quota", "行业配额", "Sector quota"),
    Code("weather_alert", "预警期间重点行业", "Sector under weather alert"),
    Code("risk_rank", "风险排名", "Risk rank"),
    Code("random_draw", "双随机抽取", "Random draw"),
)
UNPLANNED_REASONS = (
    Code("not_listed", "企业不在风险清单中（已关停或未成立）", "the enterprise is not on the risk list (closed or not yet established)"),
    Code("no_team", "没有检查组负责该镇街", "no team covers its town"),
    Code("capacity", "负责该镇街的检查组已满", "the teams covering its town are fully booked"),
    Code("capacity_after_due", "到期日之后检查组已满", "the team is fully booked from the due day on"),
)
ALERT_SECTORS: dict[str, tuple[str, ...]] = {
    "gale": ("fishing_vessels",),
    "cold_wave": ("gas", "fire_venues"),
    "rain_snow_ice": ("gas", "fire_venues"),
}
VISIT_COLUMNS = ("date", "team", "slot", "enterprise_id", "town_id", "sector", "score", "rank", "reason_code",
                 "reason_zh", "reason_en", "hazard_ids")
SHOWN_UNPLANNED = 10  # the summary names this many; the plan holds them all
UNPLANNED_COLUMNS = ("enterprise_id", "hazards", "first_hazard_id", "deadline", "reason_code", "reason_zh", "reason_en")
_TIER = {"warning": 0, "town_minimum": 1, "sector_quota": 2, "weather_alert": 3, "risk_rank": 4}
MANDATORY_COLUMNS = ("enterprise_id", "kind", "reason_zh", "reason_en")
_TIER_NAMES = np.array(list(_TIER), dtype=object)


@dataclass(frozen=True)
class PlanRules:
    """The office's rules for one plan (stored with it as JSON)."""

    random_share: float = 0.25
    skip_recent_days: int = 30
    min_visits_per_town: int = 0
    sector_quotas: Mapping[str, int] = field(default_factory=dict)
    alert_sectors: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(ALERT_SECTORS))
    alert_max_share: float = 0.5

    def __post_init__(self) -> None:
        sectors = {c.code for c in SECTORS}
        if not 0 <= self.random_share <= 1:
            raise UserError("随机抽取比例须在 0 到 1 之间。", "The random share must lie between 0 and 1.")
        if not 0 <= self.alert_max_share <= 1:
            raise UserError("预警行业占比须在 0 到 1 之间。", "The weather-alert share must lie between 0 and 1.")
        if self.skip_recent_days < 0 or self.min_visits_per_town < 0 or any(v < 0 for v in self.sector_quotas.values()):
            raise UserError("天数、保底数和配额不能为负。", "Days, minimums and quotas cannot be negative.")
        unknown = sorted((set(self.sector_quotas) | {s for v in self.alert_sectors.values() for s in v}) - sectors)
        if unknown:
            raise UserError(f"未知的行业领域：{unknown[0]}。", f"Unknown sector: {unknown[0]}.")
        kinds = sorted(set(self.alert_sectors) - {c.code for c in ALERT_KINDS})
        if kinds:
            raise UserError(f"未知的预警类型：{kinds[0]}。", f"Unknown alert kind: {kinds[0]}.")

    def to_json(self) -> str:
        data = asdict(self)
        data["sector_quotas"] = dict(self.sector_quotas)
        data["alert_sectors"] = {k: list(v) for k, v in self.alert_sectors.items()}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PlanRules:
        data = json.loads(text)
        data["alert_sectors"] = {k: tuple(v) for k, v in data.get("alert_sectors", ALERT_SECTORS).items()}
        return cls(**data)


@dataclass
class Plan:
    """A plan: its visits day by day, the follow-ups it could not plan, and what it is expected to find."""

    visits: pd.DataFrame
    unplanned: pd.DataFrame
    start: pd.Timestamp
    days: int
    rules: PlanRules
    seed: int
    teams: pd.DataFrame
    risk_list_as_of: str | None = None
    model_version: str | None = None
    expected_found: float = 0.0
    expected_random: float = 0.0
    plan_id: str | None = None

    @property
    def end(self) -> pd.Timestamp:
        return self.start + pd.Timedelta(days=self.days - 1)

    @property
    def ratio(self) -> float:
        return self.expected_found / self.expected_random if self.expected_random > 0 else float("nan")

    def reason_counts(self) -> dict[str, int]:
        counts = self.visits["reason_code"].value_counts()
        return {c.code: int(counts.get(c.code, 0)) for c in VISIT_REASONS}

    def render(self, lang: str = "zh") -> str:
        """The summary ``saferank plan`` prints: period, visits by reason, expected value vs random."""
        counts = self.reason_counts()
        n = len(self.visits)
        teams = self.teams["team"].nunique()
        if lang == "zh":
            parts = "，".join(f"{c.zh} {counts[c.code]}" for c in VISIT_REASONS if counts[c.code])
            lines = [
                f"检查计划 {self.plan_id or ''}：{self.start.date()} 至 {self.end.date()}，{teams} 个检查组，共 {n} 次检查（{parts or '无'}）。",
                f"预计发现重大隐患 {self.expected_found:.1f} 处；同样次数的纯随机抽查预计 {self.expected_random:.1f} 处"
                + (f"（{self.ratio:.1f} 倍）。" if np.isfinite(self.ratio) else "。"),
                f"随机种子 {self.seed}（用同一种子重抽得到同一计划）。",
            ]
            if len(self.unplanned):
                shown = self.unplanned.head(SHOWN_UNPLANNED)
                lines.append(f"有 {len(self.unplanned)} 家企业的回头看未能排入：" + "；".join(
                    shown["enterprise_id"] + "（" + shown["reason_zh"] + "）")
                    + ("……" if len(self.unplanned) > SHOWN_UNPLANNED else "。"))
        else:
            parts = ", ".join(f"{c.en} {counts[c.code]}" for c in VISIT_REASONS if counts[c.code])
            lines = [
                f"Inspection plan {self.plan_id or ''}: {self.start.date()} to {self.end.date()}, {teams} teams, {n} visits ({parts or 'none'}).",
                f"Expected major hazards found: {self.expected_found:.1f}; a purely random plan of the same size: "
                f"{self.expected_random:.1f}" + (f" ({self.ratio:.1f}×)." if np.isfinite(self.ratio) else "."),
                f"Seed {self.seed} (re-drawing with it gives the same plan).",
            ]
            if len(self.unplanned):
                shown = self.unplanned.head(SHOWN_UNPLANNED)
                lines.append(f"{len(self.unplanned)} follow-up(s) could not be planned: " + "; ".join(
                    shown["enterprise_id"] + " (" + shown["reason_en"] + ")")
                    + (" ..." if len(self.unplanned) > SHOWN_UNPLANNED else "."))
        return "\n".join(lines)


# --- inputs ----------------------------------------------------------------------------------
def _candidates(risk_list: pd.DataFrame, enterprises: pd.DataFrame) -> pd.DataFrame:
    """The listed enterprises with town and sector, sorted by rank (the list's own order)."""
    if risk_list.empty:
        raise UserError("风险清单为空：请先运行 saferank score。", "The risk list is empty: run saferank score first.")
    place = enterprises.assign(enterprise_id=enterprises["enterprise_id"].astype(str)).set_index("enterprise_id")
    out = pd.DataFrame({
        "enterprise_id": risk_list["enterprise_id"].astype(str).to_numpy(),
        "score": risk_list["score"].astype("float64").to_numpy(),
        "rank": risk_list["rank"].astype("int64").to_numpy(),
    })
    out["town_id"] = out["enterprise_id"].map(place["town_id"].astype(object)).astype(object)
    out["sector"] = out["enterprise_id"].map(place["sector"].astype(object)).astype(object)
    out = out.loc[out["town_id"].notna()]
    return out.sort_values(["rank", "enterprise_id"], kind="stable").reset_index(drop=True)


def due_hazards(hazards: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """The open hazards whose deadline is reached by ``end`` (ids as text), by enterprise and deadline."""
    due = hazards.loc[hazards["rectified_date"].isna() & hazards["deadline"].notna() & (hazards["deadline"] <= end)]
    due = due.assign(enterprise_id=due["enterprise_id"].astype(str), hazard_id=due["hazard_id"].astype(str))
    return due.sort_values(["enterprise_id", "deadline", "hazard_id"], kind="stable")


def due_followups(due: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """Per enterprise with hazards due (``due_hazards``): ``deadline`` (earliest), ``hazards`` (count),
    ``first_hazard_id`` and ``release`` (first day index of the plan it may be planned on)."""
    first = due.drop_duplicates("enterprise_id").set_index("enterprise_id")
    out = pd.DataFrame({"deadline": first["deadline"], "hazards": due["enterprise_id"].value_counts(sort=False)
                        .reindex(first.index).astype("int64"), "first_hazard_id": first["hazard_id"]})
    out["release"] = ((out["deadline"] - start).dt.days).clip(lower=0).astype("int64")
    return out.rename_axis("enterprise_id").reset_index()


def joined_hazard_ids(due: pd.DataFrame, enterprise_ids: pd.Series) -> pd.Series:
    """"H1,H2" per enterprise of ``enterprise_ids`` (only those: joining is per enterprise)."""
    wanted = due.loc[due["enterprise_id"].isin(enterprise_ids)]
    return wanted.groupby("enterprise_id")["hazard_id"].agg(",".join).reindex(enterprise_ids).fillna("")


def _alert_release(candidates: pd.DataFrame, alerts: pd.DataFrame | None, rules: PlanRules, start: pd.Timestamp,
                   end: pd.Timestamp) -> pd.Series:
    """Per candidate, the first day index of an alert in force in its town that exposes its sector (NaN: none)."""
    none = pd.Series(np.nan, index=candidates.index)
    if alerts is None or alerts.empty or not rules.alert_sectors:
        return none
    exposure = pd.DataFrame([(k, s) for k, sectors in rules.alert_sectors.items() for s in sectors], columns=["kind", "sector"])
    live = alerts.loc[(alerts["start_date"] <= end) & (alerts["end_date"] >= start)]
    live = live.assign(kind=live["kind"].astype(object), town_id=live["town_id"].astype(object),
                       first=(live["start_date"] - start).dt.days.clip(lower=0))
    live = live.merge(exposure, on="kind")
    if live.empty:
        return none
    towns = pd.DataFrame({"town_id": candidates["town_id"].unique()})
    county_wide = live.loc[live["town_id"].isna()].drop(columns="town_id").merge(towns, how="cross")
    exposed = pd.concat([live.loc[live["town_id"].notna()], county_wide]).groupby(["town_id", "sector"])["first"].min()
    keys = pd.MultiIndex.from_frame(candidates[["town_id", "sector"]])
    return pd.Series(exposed.reindex(keys).to_numpy(dtype="float64"), index=candidates.index)


# --- the plan --------------------------------------------------------------------------------
def build_plan(risk_list: pd.DataFrame, tables: dict[str, pd.DataFrame], teams: pd.DataFrame, start: object,
               days: int, rules: PlanRules | None = None, seed: int | None = None,
               mandatory: pd.DataFrame | None = None) -> Plan:
    """The plan for ``days`` days from ``start`` (see the module docstring for the rules).

    ``mandatory`` (``MANDATORY_COLUMNS``): the firms a warning makes mandatory targets, with its reason."""
    rules = rules or PlanRules()
    if days < 1:
        raise UserError("计划天数至少为 1。", "A plan covers at least one day.")
    if teams.empty:
        raise UserError("没有检查组。", "There are no teams.")
    seed = int(np.random.SeedSequence().entropy % 2**31) if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    start = to_timestamp(start)
    end = start + pd.Timedelta(days=days - 1)
    known = as_known_on(tables, start - pd.Timedelta(days=1))  # drawn up before its first day
    candidates = _candidates(risk_list, known["enterprises"])
    n = len(candidates)
    ids = candidates["enterprise_id"].to_numpy(dtype=object)

    due = due_hazards(known["hazards"], end)
    followups = due_followups(due, start)
    follow_pos = pd.Series(np.arange(n), index=ids).reindex(followups["enterprise_id"]).to_numpy()
    listed = ~np.isnan(follow_pos)
    is_follow = np.zeros(n, bool)
    release = np.zeros(n, "int64")
    follow_index = follow_pos[listed].astype("int64")
    is_follow[follow_index] = True
    release[follow_index] = followups.loc[listed, "release"].to_numpy()
    deadline = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    deadline.iloc[follow_index] = followups.loc[listed, "deadline"].to_numpy()

    inspections = known["inspections"]
    recent_ids = inspections.loc[inspections["date"] > start - pd.Timedelta(days=rules.skip_recent_days + 1), "enterprise_id"]
    recent = candidates["enterprise_id"].isin(recent_ids.astype(str)).to_numpy() if rules.skip_recent_days else np.zeros(n, bool)
    must = np.zeros(n, bool)
    candidates["warning_zh"] = ""
    candidates["warning_en"] = ""
    if mandatory is not None and len(mandatory):
        first_reason = mandatory.assign(enterprise_id=mandatory["enterprise_id"].astype(str)) \
            .drop_duplicates("enterprise_id").set_index("enterprise_id")
        must = candidates["enterprise_id"].isin(first_reason.index).to_numpy()
        candidates["warning_zh"] = candidates["enterprise_id"].map(first_reason["reason_zh"]).fillna("").to_numpy()
        candidates["warning_en"] = candidates["enterprise_id"].map(first_reason["reason_en"]).fillna("").to_numpy()
    must = must & ~is_follow
    eligible = (~recent | must) & ~is_follow

    capacity = team_capacity(teams)
    total_capacity = int(capacity.sum()) * days
    # alerts are forecasts: one stored with a later start was announced before it (not a later event)
    alert_first = _alert_release(candidates, tables.get("weather_alerts"), rules, start, end).to_numpy()
    tier = _targeted_tiers(candidates, eligible, is_follow, alert_first, rules, total_capacity)
    tier[must] = _TIER["warning"]
    # priority order of targeted candidates: tier, then rank (candidates are already in rank order)
    targeted_order = np.lexsort((np.arange(n), tier))
    targeted_order = targeted_order[eligible[targeted_order]]
    random_key = pd.Series(rng.random(n), index=np.sort(ids)).reindex(ids).to_numpy()  # independent of row order
    random_order = np.argsort(random_key, kind="stable")
    random_order = random_order[eligible[random_order] & ~must[random_order]]
    must_order = targeted_order[must[targeted_order]]
    follow_order = np.lexsort((np.arange(n), release))
    follow_order = follow_order[is_follow[follow_order]]

    towns_of = teams.groupby("team", sort=False)["town_id"].agg(lambda s: set(s.astype(str)))
    town = candidates["town_id"].to_numpy(dtype=object)
    in_team = {t: np.isin(town, list(towns_of[t])) for t in capacity.index}
    load = np.array([in_team[t].sum() for t in capacity.index])
    team_order = capacity.index[np.lexsort((rng.permutation(len(capacity)), load))]

    taken = np.zeros(n, bool)
    parts = []
    unplaced = []
    for team in team_order:  # a loop over teams (tens), vectorised over enterprises within
        mask = in_team[team]
        cap = int(capacity[team]) * days

        def first(order: np.ndarray, k: int, mask: np.ndarray = mask) -> np.ndarray:
            picked = order[mask[order] & ~taken[order]][:max(k, 0)]
            taken[picked] = True
            return picked

        urgent = first(must_order, cap)
        drawn = first(random_order, min(int(round(rules.random_share * cap)), cap - len(urgent)))
        follow = first(follow_order, cap - len(drawn) - len(urgent))
        targeted = np.concatenate([urgent, first(targeted_order, cap - len(drawn) - len(follow) - len(urgent))])
        visits, late = _schedule(team, int(capacity[team]), days, follow, release, targeted,
                                 tier, alert_first, drawn)
        parts.append(visits)
        unplaced.append(late)
        taken[late] = False

    visits = pd.concat(parts, ignore_index=True)
    visits = visits.merge(candidates, left_on="row", right_index=True)
    visits["hazard_ids"] = joined_hazard_ids(due, visits["enterprise_id"].where(visits["reason_code"] == "follow_up")) \
        .to_numpy(dtype=object)
    visits["date"] = start + pd.to_timedelta(visits["day"], unit="D")
    visits = _with_reasons(visits, deadline.to_numpy()[visits["row"].to_numpy()])
    visits = visits.sort_values(["date", "team", "slot"], kind="stable").reset_index(drop=True)[list(VISIT_COLUMNS)]

    unplanned = _unplanned(followups, listed, follow_pos, taken, np.concatenate(unplaced), capacity, towns_of, town)
    expected_found = float(visits["score"].sum())
    expected_random = float(candidates["score"].mean() * len(visits))
    return Plan(visits, unplanned, start, days, rules, seed, teams,
                risk_list_as_of=str(risk_list["as_of"].iloc[0]) if "as_of" in risk_list else None,
                model_version=str(risk_list["model_version"].iloc[0]) if "model_version" in risk_list else None,
                expected_found=expected_found, expected_random=expected_random)


def _targeted_tiers(candidates: pd.DataFrame, eligible: np.ndarray, is_follow: np.ndarray, alert_first: np.ndarray,
                    rules: PlanRules, total_capacity: int) -> np.ndarray:
    """Each candidate's targeted tier (``_TIER``); candidates are in rank order."""
    n = len(candidates)
    tier = np.full(n, _TIER["risk_rank"])
    alerted = eligible & ~np.isnan(alert_first)
    alert_rows = np.flatnonzero(alerted)[: int(rules.alert_max_share * total_capacity)]
    tier[alert_rows] = _TIER["weather_alert"]
    if rules.sector_quotas:
        quota = candidates["sector"].map(dict(rules.sector_quotas)).fillna(0).to_numpy()
        place = candidates.loc[eligible].groupby("sector").cumcount().reindex(candidates.index).to_numpy()
        tier[eligible & (place < quota)] = _TIER["sector_quota"]
    if rules.min_visits_per_town:
        # follow-ups count towards a town's minimum: they come first within the town
        order = candidates.assign(f=~is_follow, e=eligible).loc[eligible | is_follow].sort_values(["f"], kind="stable")
        place = order.groupby("town_id").cumcount().reindex(candidates.index).to_numpy()
        tier[eligible & (place < rules.min_visits_per_town)] = _TIER["town_minimum"]
    return tier


def _schedule(team: str, daily: int, days: int, follow: np.ndarray, release: np.ndarray, targeted: np.ndarray,
              tier: np.ndarray, alert_first: np.ndarray, drawn: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """One team's visits on days: timed visits (follow-ups from their due day, alert visits from the
    alert's first day) take the earliest free slot on or after their release; the others fill the
    remaining slots in priority order, random draws spread evenly among them. Returns the visits and
    the follow-ups that found no slot on or after their due day."""
    slots = daily * days
    is_alert = tier[targeted] == _TIER["weather_alert"]
    timed = np.concatenate([follow, targeted[is_alert]])
    timed_release = np.concatenate([release[follow], alert_first[targeted[is_alert]]]).astype("int64") * daily
    order = np.argsort(timed_release, kind="stable")
    timed, timed_release = timed[order], timed_release[order]
    position = np.arange(len(timed))
    slot = position + np.maximum.accumulate(timed_release - position) if len(timed) else np.zeros(0, "int64")
    fits = slot < slots
    late = timed[~fits & np.isin(timed, follow)]
    flexible_targeted = np.concatenate([targeted[~is_alert], timed[~fits & ~np.isin(timed, follow)]])
    # interleave the targeted and the random visits by their relative place in each list
    key = np.concatenate([(np.arange(len(flexible_targeted)) + 0.5) / max(len(flexible_targeted), 1),
                          (np.arange(len(drawn)) + 0.5) / max(len(drawn), 1)])
    flexible = np.concatenate([flexible_targeted, drawn])[np.argsort(key, kind="stable")]
    free = np.setdiff1d(np.arange(slots), slot[fits])[: len(flexible)]
    rows = np.concatenate([timed[fits], flexible])
    all_slots = np.concatenate([slot[fits], free])
    code = np.full(len(rows), "risk_rank", dtype=object)
    code[np.isin(rows, follow)] = "follow_up"
    code[np.isin(rows, drawn)] = "random_draw"
    targeted_rows = np.isin(rows, targeted)
    code[targeted_rows] = _TIER_NAMES[tier[rows[targeted_rows]]]
    visits = pd.DataFrame({"team": team, "row": rows, "day": all_slots // daily, "slot": all_slots % daily + 1,
                           "reason_code": code})
    return visits, late


def _with_reasons(visits: pd.DataFrame, deadlines: np.ndarray) -> pd.DataFrame:
    """The reason of each visit in Chinese and English, as an inspector reads it."""
    rank = visits["rank"].astype(str)
    code = visits["reason_code"]
    sector_zh = visits["sector"].map(lambda s: code_label(SECTORS, s, "zh"))
    sector_en = visits["sector"].map(lambda s: code_label(SECTORS, s, "en"))
    due = pd.Series(pd.to_datetime(deadlines), index=visits.index).dt.strftime("%Y-%m-%d")
    listed = visits["hazard_ids"].astype(str).str.split(",")
    count = listed.str.len()
    first = listed.str[:3]
    more = count.gt(3)
    hazards_zh = first.str.join("、") + np.where(more, " 等 " + count.astype(str) + " 处", "")
    hazards_en = first.str.join(", ") + np.where(more, " and " + (count - 3).astype(str) + " more", "")
    zh = pd.Series("风险排名第" + rank + "位", index=visits.index)
    en = pd.Series("Risk rank " + rank, index=visits.index)
    warning_zh = visits["warning_zh"] if "warning_zh" in visits else pd.Series("", index=visits.index)
    warning_en = visits["warning_en"] if "warning_en" in visits else pd.Series("", index=visits.index)
    for reason, text_zh, text_en in (
        ("warning", "预警必查：" + warning_zh, "Mandatory after a warning: " + warning_en),
        ("town_minimum", "镇街保底；" + zh, "Town minimum; " + en),
        ("sector_quota", sector_zh + "行业配额；" + zh, sector_en + " quota; " + en),
        ("weather_alert", "预警期间重点行业（" + sector_zh + "）；" + zh, "Sector under weather alert (" + sector_en + "); " + en),
        ("random_draw", pd.Series("双随机抽取", index=visits.index), pd.Series("Random draw", index=visits.index)),
        ("follow_up", "回头看：隐患 " + hazards_zh + "（整改期限 " + due + "）",
         "Follow-up of hazard " + hazards_en + " (deadline " + due + ")"),
    ):
        chosen = code == reason
        zh = zh.where(~chosen, text_zh)
        en = en.where(~chosen, text_en)
    return visits.assign(reason_zh=zh, reason_en=en)


def _unplanned(followups: pd.DataFrame, listed: np.ndarray, follow_pos: np.ndarray, taken: np.ndarray,
               late: np.ndarray, capacity: pd.Series, towns_of: pd.Series, town: np.ndarray) -> pd.DataFrame:
    """The follow-ups due that are not in the plan, and why."""
    covered = set().union(*towns_of.to_list())
    reason = np.full(len(followups), "", dtype=object)
    reason[~listed] = "not_listed"
    positions = np.where(listed, follow_pos, 0).astype("int64")
    missed = listed & ~taken[positions]
    has_team = np.isin(town[positions], list(covered))
    reason[missed & ~has_team] = "no_team"
    reason[missed & has_team] = "capacity"
    reason[missed & has_team & np.isin(positions, late)] = "capacity_after_due"
    out = followups.assign(reason_code=reason).loc[reason != "", list(UNPLANNED_COLUMNS[:-2])]
    labels = {c.code: (c.zh, c.en) for c in UNPLANNED_REASONS}
    return out.assign(reason_zh=out["reason_code"].map(lambda c: labels[c][0]),
                      reason_en=out["reason_code"].map(lambda c: labels[c][1])).reset_index(drop=True)
