"""Inspection plans for unannounced visits (四不两直, 双随机): who visits which enterprise on which day, and why.

``build_plan(risk_list, tables, teams, start, days, rules, seed)`` is pure: DataFrames in, a ``Plan``
out. The rules (``PlanRules``, ``analytics.operations.plan_rules``: one place, with defaults), in
order of precedence within each team's capacity:

0. Mandatory targets (``mandatory``: a suspected restart from electricity, a complaint; see
   ``analytics.operations.alerts.mandatory_targets``) come before everything else a team does, even
   when inspected recently or capped, labelled with the warning that made them (reason ``warning``,
   ``kind`` the warning's kind).
1. ``random_share`` of each team's capacity (rounded per team) is reserved for random draws (双随机):
   drawn among the eligible enterprises of the team's towns with weights tilted by risk level
   (``random_weights``, default red 4 : orange 3 : yellow 2 : blue 1), seeded; ``kind`` the level.
2. Follow-ups (回头看) of hazards due by the period's last day: a firm with a major or an overdue
   hazard gets an on-site visit, on or after the day its deadline is reached, within
   ``follow_up_share`` of its team's visits counted day by day from the first (default 30 %: by the
   end of day d a team has made at most 30 % of its visits of days 1..d as follow-ups; with 3 a day
   that is a follow-up on most days, never a day of them). Firms whose due hazards are all general and
   still within their deadline are listed for evidence review (``Plan.evidence``: the firm sends
   proof of rectification); on-site follow-ups beyond the share are listed in ``Plan.unplanned``.
3. Targeted visits, in this order: red and orange firms whose cycle ends within the plan
   (``cycle_days``, default red 30 days, orange 90: last inspection + cycle; a firm not inspected in
   the year is due at once), planned from the day the last visit leaves ``skip_recent_days`` behind,
   earliest due first (reason ``level_cycle``, ``kind`` the level; those that do not fit are listed in
   ``Plan.unplanned``); town minimums; sector quotas; exposed sectors under a weather alert in force
   (at most ``alert_max_share`` of the visits); then risk rank.
4. Eligibility: no visit to a firm inspected within ``skip_recent_days`` (but a follow-up, a
   mandatory target or a due cycle), none to a firm that had its 标准化 grade's yearly visits
   (``yearly_caps``, ``default_yearly_cap`` without a grade; red firms are exempt: a level-1 firm is
   not visited every month unless it turns red). No enterprise is visited twice in one plan.
5. A team visits only its own towns and at most its daily capacity a day. Teams are filled most
   constrained first (fewest candidates in its towns), ties in seeded random order, so an enterprise
   in a town several teams cover goes to a team drawn at random (random inspector).
6. Each team's day is put in route order from the firms' coordinates (nearest neighbour,
   ``analytics.operations.plan_route``), each visit with ``leg_km`` from the previous stop.

The plan's expected value is the sum of the calibrated probabilities of its visits (expected major
hazards found), beside the same for a purely random plan of the same size (mean probability × visits).
Everything random comes from ``seed``, which the plan records: the same inputs and seed give the
same plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.contract.dates import to_timestamp
from analytics.contract.errors import UserError
from analytics.operations import plan_inputs as inputs
from analytics.operations.plan_result import Plan, evidence_list, unplanned_frame, with_reasons
from analytics.operations.plan_route import route
from analytics.operations.plan_rules import (EVIDENCE_COLUMNS, MANDATORY_COLUMNS, UNPLANNED_COLUMNS, UNPLANNED_REASONS,
                                             VISIT_COLUMNS, VISIT_REASONS, PlanRules)
from analytics.operations.teams import team_capacity
from analytics.snapshot.timeline import as_known_on

__all__ = ["EVIDENCE_COLUMNS", "MANDATORY_COLUMNS", "UNPLANNED_COLUMNS", "UNPLANNED_REASONS", "VISIT_COLUMNS",
           "VISIT_REASONS", "Plan", "PlanRules", "build_plan", "follow_up_budget"]

_TIER = {"warning": 0, "level_cycle": 1, "town_minimum": 2, "sector_quota": 3, "weather_alert": 4, "risk_rank": 5}
_TIER_NAMES = np.array(list(_TIER), dtype=object)
_EPS = 1e-9  # 0.3 × 3 × 10 is 8.999… in floating point


def follow_up_budget(share: float, daily: int, days: int) -> np.ndarray:
    """On-site follow-ups a team may have made by the end of each day: ⌊share × daily × (d + 1)⌋."""
    return np.floor(share * daily * (np.arange(days) + 1) + _EPS).astype("int64")


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
    used = {n: tables[n] for n in ("enterprises", "inspections", "hazards")}  # cutting the others (power) costs seconds
    known = as_known_on(used, start - pd.Timedelta(days=1))  # drawn up before its first day
    candidates = inputs.candidates(risk_list, known["enterprises"])
    n = len(candidates)
    ids = candidates["enterprise_id"].to_numpy(dtype=object)

    due = inputs.due_hazards(known["hazards"], end)
    all_followups = inputs.due_followups(due, start)
    firm_town = known["enterprises"].assign(enterprise_id=known["enterprises"]["enterprise_id"].astype(str)) \
        .set_index("enterprise_id")["town_id"].astype(object)
    evidence = evidence_list(all_followups, due, firm_town)
    followups = all_followups.loc[all_followups["on_site"]].reset_index(drop=True)
    follow_pos = pd.Series(np.arange(n), index=ids).reindex(followups["enterprise_id"]).to_numpy()
    listed = ~np.isnan(follow_pos)
    is_follow = np.zeros(n, bool)
    release = np.zeros(n, "int64")
    major = np.zeros(n, bool)
    follow_index = follow_pos[listed].astype("int64")
    is_follow[follow_index] = True
    release[follow_index] = followups.loc[listed, "release"].to_numpy()
    major[follow_index] = followups.loc[listed, "major"].to_numpy()
    deadline = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    deadline[follow_index] = followups.loc[listed, "deadline"].to_numpy(dtype="datetime64[ns]")

    history = inputs.visit_history(candidates, known["inspections"], start)
    candidates["last_visit"] = history["last_visit"]
    since = (start - pd.to_datetime(history["last_visit"])).dt.days.to_numpy(dtype="float64")
    recent = (since <= rules.skip_recent_days) if rules.skip_recent_days else np.zeros(n, bool)
    is_capped = inputs.capped(candidates, history, rules)
    must = np.zeros(n, bool)
    candidates["warning_zh"] = ""
    candidates["warning_en"] = ""
    candidates["warning_kind"] = ""
    if mandatory is not None and len(mandatory):
        first_reason = mandatory.assign(enterprise_id=mandatory["enterprise_id"].astype(str)) \
            .drop_duplicates("enterprise_id").set_index("enterprise_id")
        must = candidates["enterprise_id"].isin(first_reason.index).to_numpy()
        for column, source in (("warning_zh", "reason_zh"), ("warning_en", "reason_en"), ("warning_kind", "kind")):
            candidates[column] = candidates["enterprise_id"].map(first_reason[source]).fillna("").to_numpy()
    must = must & ~is_follow
    cycle, cycle_day, cycle_release = inputs.cycle_due(candidates, history, rules, start, days)
    cycle = cycle & ~is_follow & ~must & ~is_capped
    plain = ~recent & ~is_capped & ~is_follow & ~must & ~cycle
    eligible = plain | must | cycle

    capacity = team_capacity(teams)
    total_capacity = int(capacity.sum()) * days
    # alerts are forecasts: one stored with a later start was announced before it (not a later event)
    alert_first = inputs.alert_release(candidates, tables.get("weather_alerts"), rules, start, end).to_numpy()
    tier = _targeted_tiers(candidates, plain, is_follow, alert_first, rules, total_capacity)
    tier[cycle] = _TIER["level_cycle"]
    tier[must] = _TIER["warning"]
    timed_day = np.where(tier == _TIER["weather_alert"], alert_first,
                         np.where(tier == _TIER["level_cycle"], cycle_release, np.nan))
    # priority order of targeted candidates: tier, then (cycles) the due day, then rank (the candidates' order)
    targeted_order = np.lexsort((np.arange(n), np.where(cycle, cycle_day, 0), tier))
    targeted_order = targeted_order[eligible[targeted_order]]
    random_order = np.argsort(inputs.random_keys(candidates, rules, rng), kind="stable")
    random_order = random_order[plain[random_order]]
    must_order = targeted_order[must[targeted_order]]
    follow_order = np.lexsort((np.arange(n), ~major, release))
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
        daily = int(capacity[team])
        cap = daily * days

        def first(order: np.ndarray, k: int, mask: np.ndarray = mask) -> np.ndarray:
            picked = order[mask[order] & ~taken[order]][:max(k, 0)]
            taken[picked] = True
            return picked

        urgent = first(must_order, cap)
        drawn = first(random_order, min(int(round(rules.random_share * cap)), cap - len(urgent)))
        budget = int(follow_up_budget(rules.follow_up_share, daily, days)[-1])
        follow = first(follow_order, min(budget, cap - len(drawn) - len(urgent)))
        targeted = np.concatenate([urgent, first(targeted_order, cap - len(drawn) - len(follow) - len(urgent))])
        visits, late = _schedule(team, daily, days, follow, release, targeted, tier, timed_day, drawn,
                                 rules.follow_up_share)
        parts.append(visits)
        unplaced.append(late)
        taken[late] = False

    visits = pd.concat(parts, ignore_index=True)
    visits = visits.merge(candidates, left_on="row", right_index=True)
    code = visits["reason_code"]
    visits["kind"] = np.select(
        [code == "warning", code == "follow_up", code.isin(["level_cycle", "random_draw"])],
        [visits["warning_kind"], np.where(major[visits["row"].to_numpy()], "major", "overdue"), visits["risk_level"]],
        default="").astype(object)
    visits["hazard_ids"] = inputs.joined_hazard_ids(due, visits["enterprise_id"].where(code == "follow_up")) \
        .to_numpy(dtype=object)
    visits["date"] = start + pd.to_timedelta(visits["day"], unit="D")
    visits = with_reasons(visits, deadline[visits["row"].to_numpy()], rules)
    visits = route(visits)[list(VISIT_COLUMNS)]

    missed = cycle & ~taken
    cycle_missed = pd.DataFrame({"enterprise_id": ids[missed],
                                 "deadline": start + pd.to_timedelta(cycle_day[missed], unit="D")})
    unplanned = unplanned_frame(followups, listed, follow_pos, taken, np.concatenate(unplaced), towns_of, town,
                                cycle_missed)
    cycle_due = pd.Series(candidates["risk_level"].to_numpy()[cycle]).value_counts()
    expected_found = float(visits["score"].sum())
    expected_random = float(candidates["score"].mean() * len(visits))
    return Plan(visits, unplanned, start, days, rules, seed, teams,
                risk_list_as_of=str(risk_list["as_of"].iloc[0]) if "as_of" in risk_list else None,
                model_version=str(risk_list["model_version"].iloc[0]) if "model_version" in risk_list else None,
                expected_found=expected_found, expected_random=expected_random, evidence=evidence,
                cycle_due={level: int(cycle_due.get(level, 0)) for level in rules.cycle_days
                           if "risk_level" in risk_list})


def _targeted_tiers(candidates: pd.DataFrame, eligible: np.ndarray, is_follow: np.ndarray, alert_first: np.ndarray,
                    rules: PlanRules, total_capacity: int) -> np.ndarray:
    """Each candidate's targeted tier (``_TIER``) among ``eligible``; candidates are in rank order."""
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
              tier: np.ndarray, timed_day: np.ndarray, drawn: np.ndarray,
              follow_up_share: float) -> tuple[pd.DataFrame, np.ndarray]:
    """One team's visits on days. Follow-ups (in release order) get a day on or after their release
    within the day-by-day share (the k-th not before the first day whose budget reaches k + 1); they
    and the timed targets (alert visits from the alert's first day, cycle visits from their release)
    take the earliest free slot on or after that day; the others fill the remaining slots in priority
    order, random draws spread evenly among them. Returns the visits and the follow-ups that found no
    slot on or after their due day."""
    slots = daily * days
    budget = follow_up_budget(follow_up_share, daily, days)
    need = np.searchsorted(budget, np.arange(1, len(follow) + 1), side="left")
    follow_day = np.maximum.accumulate(np.maximum(release[follow], need)) if len(follow) else np.zeros(0, "int64")
    is_timed = ~np.isnan(timed_day[targeted])
    timed = np.concatenate([follow, targeted[is_timed]])
    timed_release = np.concatenate([follow_day, timed_day[targeted[is_timed]]]).astype("int64") * daily
    order = np.argsort(timed_release, kind="stable")
    timed, timed_release = timed[order], timed_release[order]
    position = np.arange(len(timed))
    slot = position + np.maximum.accumulate(timed_release - position) if len(timed) else np.zeros(0, "int64")
    fits = slot < slots
    late = timed[~fits & np.isin(timed, follow)]
    flexible_targeted = np.concatenate([targeted[~is_timed], timed[~fits & ~np.isin(timed, follow)]])
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
