"""STORY_PLACEHOLDER"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.errors import UserError
from analytics.frames import typed
from analytics.schema import (
    ACCIDENT_SEVERITIES,
    HAZARD_LEVELS,
    INSPECTION_MODES,
    OPTIONAL_TABLES,
    PENALTY_KINDS,
    STATUS,
    STATUS_REASONS,
)
from analytics.simulate import params as P
from analytics.simulate import schedules as S
from analytics.simulate.population import Population, build_population, build_towns
from analytics.timeline import HORIZON_DAYS, to_timestamp

DEFAULT_AS_OF = "2026-11-15"
MIN_ENTERPRISES, MAX_ENTERPRISES = 500, 1_000_000

OPERATING, SUSPENDED, RETROFIT, CLOSED = (STATUS.index(c) for c in STATUS)
REASON = {c.code: i for i, c in enumerate(STATUS_REASONS)}
MODE = {c.code: i for i, c in enumerate(INSPECTION_MODES)}
PENALTY = {c.code: i for i, c in enumerate(PENALTY_KINDS)}
CATEGORY = {code: i for i, code in enumerate(P.CATEGORY_CODES)}
SECTOR = {code: i for i, code in enumerate(P.SECTOR_CODES)}
NEVER = 10**9  # the day of a rectification that never happens

# Columns of the per-enterprise hazard state.
OPEN_MAJOR, OPEN_GENERAL, OVERDUE_GENERAL, OVERDUE_MAJOR = range(4)


@dataclass
class County:
    """A simulated county: typed contract tables (empty optional tables absent) and the truth."""

    tables: dict[str, pd.DataFrame]
    truth: pd.DataFrame
    towns: pd.DataFrame
    enterprises: int
    seed: int
    start: pd.Timestamp
    as_of: pd.Timestamp
    parameters: dict[str, object] = field(default_factory=P.as_dict)


class _Agenda:
    """Things due on a later day, filed by day: ``(enterprises, payload)`` pairs."""

    def __init__(self, days: int) -> None:
        self.days = days
        self.items: dict[int, list[tuple[np.ndarray, object]]] = {}

    def add(self, due: np.ndarray, enterprises: np.ndarray, payload: object) -> None:
        keep = due < self.days
        due, enterprises = due[keep], enterprises[keep]
        if len(due) == 0:
            return
        order = np.argsort(due, kind="stable")
        due, enterprises = due[order], enterprises[order]
        days, first = np.unique(due, return_index=True)
        last = np.append(first[1:], len(due))
        for day, a, b in zip(days.tolist(), first.tolist(), last.tolist(), strict=True):
            self.items.setdefault(day, []).append((enterprises[a:b], payload))

    def pop(self, day: int) -> list[tuple[np.ndarray, object]]:
        return self.items.pop(day, [])


def _pick(rng: np.random.Generator, weights: np.ndarray, count: int) -> np.ndarray:
    """About ``count`` distinct indices drawn with probability proportional to ``weights``."""
    if count <= 0:
        return np.empty(0, dtype=np.int64)
    cumulative = np.cumsum(weights)
    if cumulative[-1] <= 0:
        return np.empty(0, dtype=np.int64)
    return np.unique(np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right"))


def _rare(rng: np.random.Generator, daily_rate: np.ndarray) -> np.ndarray:
    """The indices where a rare event happens today, for small per-index daily rates."""
    return _pick(rng, daily_rate, int(rng.poisson(daily_rate.sum())))


def _category_weights(people: Population) -> tuple[np.ndarray, np.ndarray]:
    """Per-enterprise hazard category weights from fixed traits, for general and for major hazards."""
    c = CATEGORY
    base = np.array([0.3, 1.0, 0.2, 2.0, 0.5, 0.2, 2.0, 2.0, 0.3, 0.1, 2.0, 0.8])
    sector_add = np.zeros((len(SECTOR), len(c)))
    for sector, adds in {
        "hazardous_chemicals": {"chemicals": 4, "special_operation": 1},
        "gas": {"gas": 5}, "fire_venues": {"fire": 4, "electrical": 1},
        "construction": {"three_violations": 2, "special_operation": 1.5, "equipment": 1},
        "fishing_vessels": {"equipment": 2, "fire": 1, "certification": 1},
        "fireworks": {"chemicals": 2, "fire": 3},
        "mining": {"three_violations": 1.5, "equipment": 2, "special_operation": 1},
        "special_equipment": {"equipment": 4, "certification": 1},
        "road_transport": {"equipment": 2, "three_violations": 1}, "tourism": {"fire": 2},
    }.items():
        for category, add in adds.items():
            sector_add[SECTOR[sector], c[category]] = add
    traits = np.zeros((len(people), len(c)))
    traits[:, c["ventilation_dust"]] += 4 * people.dust_explosion
    traits[:, c["special_operation"]] += people.confined_space
    traits[:, c["chemicals"]] += 2 * people.ammonia_refrigeration + people.hazardous_chemicals
    traits[:, c["equipment"]] += people.ammonia_refrigeration
    general = base + sector_add[people.sector] + traits
    major = base + sector_add[people.sector] + 2 * traits
    return general, major


class _World:
    """The county's state, stepped one day at a time, vectorised over enterprises."""

    def __init__(self, rng: np.random.Generator, towns: pd.DataFrame, people: Population,
                 dates: pd.DatetimeIndex, as_of_day: int) -> None:
        self.rng, self.towns, self.people, self.dates, self.as_of_day = rng, towns, people, dates, as_of_day
        n, days = len(people), len(dates)
        self.status = np.full(n, OPERATING, dtype=np.int8)
        self.stop_reason = np.full(n, REASON["other"], dtype=np.int8)
        self.restart_day = np.full(n, -1, dtype=np.int64)
        self.restart_approved = np.ones(n, bool)
        self.closed_day = np.full(n, NEVER, dtype=np.int64)
        self.last_unapproved = np.full(n, -(10**6), dtype=np.int64)
        self.hazard_state = np.zeros((n, 4), dtype=np.int32)
        self.past_majors = np.zeros(n, dtype=np.int32)
        self.status_at_as_of = self.status.copy()
        self.sum_visit = np.zeros(n)
        self.sum_accident = np.zeros(n)
        self.agenda = _Agenda(days)
        self.follow_ups = _Agenda(days)
        self.records: dict[str, list[dict[str, np.ndarray]]] = {
            k: [] for k in ("status", "inspections", "hazards", "penalties", "accidents")}
        self.inspection_count = 0

        sector = people.sector
        self.alerts = S.weather_alerts(rng, towns, dates)
        self.weather = S.weather_effect(self.alerts, len(towns), days) + S.heating_effect(dates)[:, None, :]
        self.permits = S.permits(rng, people, days)
        self.contracts = S.contracts(rng, people, days)
        self.intervals = S.intervals(self.permits, self.contracts, days)
        self.counters = np.zeros((n, S.COUNTERS), dtype=np.int32)
        self.counter_eta = np.array([P.ETA["permit"], P.ETA["permit_uncertified"], P.ETA["contract"],
                                     P.ETA["contract_unqualified"], P.ETA["contract_no_agreement"]])
        self.accident_offset = P.ACCIDENT_OFFSET + np.array(
            [P.ACCIDENT_SECTOR.get(s, 0.0) for s in P.SECTOR_CODES])[sector]
        self.static_points = (
            3.0 * people.hazardous_chemicals + np.where(people.major_hazard_level > 0, 5 - people.major_hazard_level, 0)
            + 2.0 * np.isin(sector, [SECTOR["fireworks"], SECTOR["mining"]]) + people.small_scattered
            + people.dust_explosion
        )
        self.routine_weight = np.array([2.0, 1.5, 1.0, 0.8])[people.size]
        self.category_general, self.category_major = _category_weights(people)
        retrofit = np.array([P.RETROFIT_PER_YEAR.get(s, 0.0) for s in P.SECTOR_CODES])[sector]
        self.stop_rates = np.stack([
            (retrofit + P.RETROFIT_SMALL_SCATTERED_EXTRA * people.small_scattered) / 365.25,
            np.full(n, P.OTHER_STOP_PER_YEAR / 365.25),
            (P.CLOSE_PER_YEAR + P.CLOSE_SMALL_SCATTERED_EXTRA * people.small_scattered) / 365.25,
            np.where(np.isin(sector, [SECTOR["industry_trade"], SECTOR["hazardous_chemicals"]]),
                     P.POWER_RATIONING_DAILY, 0.0),
        ], axis=1)
        spell_length = 40
        spell_starts = np.sort(rng.integers(0, max(as_of_day - spell_length, 1), 2))
        self.rationing = np.zeros(days, bool)
        for begin in spell_starts.tolist():  # two spells
            self.rationing[begin:begin + spell_length] = True
        town_count = len(towns)
        cover = np.zeros((town_count, P.TEAMS), bool)
        for team in range(P.TEAMS):  # fifteen teams, each covering two towns
            cover[team % town_count, team] = True
            cover[(team + 7) % town_count, team] = True
        self.team_count = cover.sum(axis=1)
        self.team_of_town = np.argsort(~cover, axis=1, kind="stable")
        month_day = dates.month * 100 + dates.day
        self.campaign = (month_day >= 1115) | (dates.month <= 2)
        self.workday = dates.weekday < 5
        self.moratorium_start = month_day == P.FISHING_MORATORIUM[0][0] * 100 + P.FISHING_MORATORIUM[0][1]
        end = pd.Timestamp(2000, *P.FISHING_MORATORIUM[1]) - pd.Timestamp(2000, *P.FISHING_MORATORIUM[0])
        self.moratorium_days = end.days

    # --- status ---------------------------------------------------------------------------
    def _record_status(self, day: int, who: np.ndarray, status: int, reason: np.ndarray | int,
                       approved: np.ndarray | int) -> None:
        if len(who) == 0:
            return
        self.records["status"].append({
            "day": np.full(len(who), day), "enterprise": who, "status": np.full(len(who), status),
            "reason": np.broadcast_to(reason, len(who)).copy(), "approved": np.broadcast_to(approved, len(who)).copy(),
        })

    def stop(self, day: int, who: np.ndarray, status: int, reason: int, approve_probability: np.ndarray | float,
             shortest: int, longest: int) -> None:
        who = who[self.status[who] == OPERATING]
        if len(who) == 0:
            return
        rng = self.rng
        self.status[who] = status
        self._record_status(day, who, status, reason, -1)
        if status == CLOSED:
            self.closed_day[who] = day
            return
        self.stop_reason[who] = reason
        self.restart_day[who] = day + rng.integers(shortest, longest + 1, len(who))
        probability = np.broadcast_to(approve_probability, self.status.shape)[who]
        self.restart_approved[who] = rng.random(len(who)) < probability

    def step_status(self, day: int, active: np.ndarray) -> None:
        rng, people = self.rng, self.people
        due = np.flatnonzero((self.restart_day == day) & ((self.status == SUSPENDED) | (self.status == RETROFIT)))
        if len(due):
            approved = self.restart_approved[due]
            self.status[due] = OPERATING
            self.restart_day[due] = -1
            self._record_status(day, due, OPERATING, self.stop_reason[due], approved.astype(np.int8))
            self.last_unapproved[due[~approved]] = day
        approve = P.sigmoid(1.6 + 1.0 * people.culture)
        if self.moratorium_start[day]:
            vessels = np.flatnonzero(active & (people.sector == SECTOR["fishing_vessels"]) & (self.status == OPERATING))
            self.stop(day, vessels, SUSPENDED, REASON["seasonal"], 1.0, self.moratorium_days, self.moratorium_days)
            early = vessels[rng.random(len(vessels)) < P.EARLY_SAILING_SHARE * 2 * P.sigmoid(-people.culture[vessels])]
            self.restart_day[early] = day + rng.integers(45, 120, len(early))
            self.restart_approved[early] = False
        rates = self.stop_rates * (active & (self.status == OPERATING))[:, None]
        if not self.rationing[day]:
            rates = rates[:, :3]
        total = rates.sum(axis=1)
        who = _rare(rng, total)
        if len(who) == 0:
            return
        kind = (rates[who].cumsum(axis=1) < (rng.random(len(who)) * total[who])[:, None]).sum(axis=1)
        lo, hi = P.STOP_DAYS["environmental_retrofit"]
        self.stop(day, who[kind == 0], RETROFIT, REASON["environmental_retrofit"], approve, lo, hi)
        lo, hi = P.STOP_DAYS["other"]
        self.stop(day, who[kind == 1], SUSPENDED, REASON["other"], approve, lo, hi)
        self.stop(day, who[kind == 2], CLOSED, REASON["other"], 1.0, 0, 0)
        lo, hi = P.STOP_DAYS["power_rationing"]
        self.stop(day, who[kind == 3], SUSPENDED, REASON["power_rationing"], 0.97, lo, hi)

    # --- risk -----------------------------------------------------------------------------
    def eta(self, day: int) -> np.ndarray:
        people, state = self.people, self.hazard_state
        since = day - self.last_unapproved
        return (
            people.eta_static
            + P.ETA["not_operating"] * ((self.status == SUSPENDED) | (self.status == RETROFIT))
            + P.ETA["unapproved_restart"] * np.exp(-since / P.RESTART_DECAY_DAYS)
            + (self.counters > 0) @ self.counter_eta
            + P.ETA["open_major"] * (state[:, OPEN_MAJOR] > 0)
            + P.ETA["overdue_general"] * np.minimum(state[:, OVERDUE_GENERAL], P.ETA["overdue_general_cap"])
            + self.weather[day][people.town, people.sector]
        )

    # --- enforcement ------------------------------------------------------------------------
    def penalise(self, day: int, who: np.ndarray, kind: str, delay: tuple[int, int]) -> None:
        if len(who) == 0:
            return
        rng = self.rng
        amount = np.full(len(who), np.nan)
        if kind == "fine":
            amount = np.clip(np.round(rng.lognormal(np.log(20000), 0.8, len(who)), -2), 2000, 500000)
        self.records["penalties"].append({
            "day": day + rng.integers(delay[0], delay[1] + 1, len(who)), "enterprise": who,
            "kind": np.full(len(who), PENALTY[kind]), "amount": amount,
        })
        if kind == "suspension":
            lo, hi = P.STOP_DAYS["rectification_order"]
            self.stop(day, who, SUSPENDED, REASON["rectification_order"], P.sigmoid(1.6 + self.people.culture), lo, hi)
        elif kind == "closure":
            self.stop(day, who, CLOSED, REASON["rectification_order"], 1.0, 0, 0)

    def inspect(self, day: int, active: np.ndarray, eta: np.ndarray, rate: np.ndarray) -> None:
        rng, people, state = self.rng, self.people, self.hazard_state
        weekday_share = 7.0 / (5 + 2 * P.WEEKEND_FACTOR)
        factor = weekday_share * (1.0 if self.workday[day] else P.WEEKEND_FACTOR) / 365.25
        operating_count = active.sum()
        points = self.static_points + 2.0 * np.minimum(self.past_majors, 3) + np.minimum(
            state[:, OPEN_MAJOR] + state[:, OPEN_GENERAL], 3)
        due = [who for who, _ in self.follow_ups.pop(day)]
        chosen = [np.concatenate(due)[active[np.concatenate(due)]] if due else np.empty(0, np.int64)]
        modes = [MODE["follow_up"]]
        plan = [
            ("complaint", P.INSPECTIONS_PER_YEAR["complaint"], rate ** P.COMPLAINT_POWER),
            ("targeted", P.INSPECTIONS_PER_YEAR["targeted"], (1.0 + points) ** P.TARGETED_POWER),
            ("random", P.INSPECTIONS_PER_YEAR["random"], 1.0),
            ("routine", P.INSPECTIONS_PER_YEAR["routine"], self.routine_weight),
        ]
        if self.campaign[day]:
            plan.insert(2, ("unannounced", P.CAMPAIGN_UNANNOUNCED_PER_YEAR, (1.0 + points) ** P.UNANNOUNCED_POWER))
        for mode, per_year, weight in plan:
            count = rng.poisson(operating_count * per_year * factor)
            chosen.append(_pick(rng, active * weight, count))
            modes.append(MODE[mode])
        mode = np.repeat(modes, [len(c) for c in chosen])
        who = np.concatenate(chosen)
        _, first = np.unique(who, return_index=True)
        first = np.sort(first)
        who, mode = who[first], mode[first]
        if len(who) == 0:
            return
        count = len(who)
        number = self.inspection_count + np.arange(count)
        self.inspection_count += count
        town = people.town[who]
        team = self.team_of_town[town, np.floor(rng.random(count) * self.team_count[town]).astype(np.int64)]
        self.records["inspections"].append({"day": np.full(count, day), "enterprise": who, "mode": mode, "team": team})

        visit_rate = rate[who] * np.where(mode == MODE["unannounced"], P.UNANNOUNCED_FACTOR, 1.0)
        majors = (rng.random(count) < -np.expm1(-visit_rate)) * (1 + rng.poisson(P.EXTRA_MAJOR_MEAN, count))
        general_mean = P.GENERAL_SCALE * np.exp(P.GENERAL_SLOPE * (eta[who] - P.ETA_BASE))
        generals = rng.poisson(general_mean * np.where(mode == MODE["follow_up"], 0.6, 1.0))

        overdue = (state[who, OVERDUE_GENERAL] + state[who, OVERDUE_MAJOR]) > 0
        follow_up = mode == MODE["follow_up"]
        self.penalise(day, who[follow_up & overdue & (rng.random(count) < 0.6)], "fine", (0, 14))
        self.penalise(day, who[follow_up & (state[who, OVERDUE_MAJOR] > 0) & (rng.random(count) < 0.35)],
                      "suspension", (0, 0))
        self.record_hazards(day, who, number, majors, generals)

        found_major = majors > 0
        draw = rng.random(count)
        self.penalise(day, who[found_major & (draw < 0.45)], "fine", (3, 30))
        self.penalise(day, who[found_major & (draw >= 0.45) & (draw < 0.65)], "warning", (0, 7))
        draw = rng.random(count)
        self.penalise(day, who[found_major & (draw < 0.12)], "suspension", (0, 0))
        closure = found_major & people.small_scattered[who] & (draw > 0.95)
        self.penalise(day, who[closure], "closure", (0, 0))

    def record_hazards(self, day: int, who: np.ndarray, number: np.ndarray, majors: np.ndarray,
                       generals: np.ndarray) -> None:
        rng, people = self.rng, self.people
        total = majors + generals
        if total.sum() == 0:
            return
        visit = np.repeat(np.arange(len(who)), total)
        start = np.repeat(np.cumsum(total) - total, total)
        major = (np.arange(len(visit)) - start) < majors[visit]
        enterprise = who[visit]
        count = len(enterprise)

        c = CATEGORY
        weights = np.where(major[:, None], self.category_major[enterprise], self.category_general[enterprise])
        boost = np.where(major, 3.0, 1.0)
        restart = np.exp(-(day - self.last_unapproved[enterprise]) / P.RESTART_DECAY_DAYS) > 0.3
        active = self.counters[enterprise] > 0
        weights[:, c["three_violations"]] += 4 * boost * restart
        weights[:, c["special_operation"]] += boost * (2 * restart + 2 * active[:, S.PERMIT] + active[:, S.PERMIT_UNCERTIFIED])
        weights[:, c["certification"]] += 5 * boost * active[:, S.PERMIT_UNCERTIFIED]
        weights[:, c["outsourcing"]] += boost * (5 * active[:, S.CONTRACT_UNQUALIFIED] + 2 * active[:, S.CONTRACT_NO_AGREEMENT])
        cumulative = weights.cumsum(axis=1)
        category = (cumulative < (rng.random(count) * cumulative[:, -1])[:, None]).sum(axis=1)

        lo = np.where(major, P.DEADLINE_DAYS["major"][0], P.DEADLINE_DAYS["general"][0])
        hi = np.where(major, P.DEADLINE_DAYS["major"][1], P.DEADLINE_DAYS["general"][1])
        allowed = lo + np.floor(rng.random(count) * (hi - lo + 1)).astype(np.int64)
        deadline = day + allowed
        culture = people.culture[enterprise]
        on_time = P.sigmoid(1.3 + 1.0 * culture + 0.3 * major)
        never = P.sigmoid(-3.2 - 1.0 * culture)
        draw = rng.random(count)
        rectified = np.where(
            draw < on_time, day + 1 + np.floor(rng.random(count) * allowed).astype(np.int64),
            np.where(draw < 1 - never, deadline + 1 + rng.geometric(1 / 25, count), NEVER),
        )
        self.records["hazards"].append({
            "day": np.full(count, day), "enterprise": enterprise, "inspection": number[visit],
            "major": major, "category": category, "deadline": deadline, "rectified": rectified,
        })

        state = self.hazard_state
        open_column = np.where(major, OPEN_MAJOR, OPEN_GENERAL)
        overdue_column = np.where(major, OVERDUE_MAJOR, OVERDUE_GENERAL)
        np.add.at(state, (enterprise, open_column), 1)
        np.add.at(self.past_majors, enterprise[major], 1)
        late = rectified > deadline
        for level_mask, open_col, overdue_col in ((major, OPEN_MAJOR, OVERDUE_MAJOR), (~major, OPEN_GENERAL, OVERDUE_GENERAL)):
            self.agenda.add(rectified[level_mask], enterprise[level_mask], (open_col, -1))
            self.agenda.add(deadline[level_mask & late] + 1, enterprise[level_mask & late], (overdue_col, 1))
            self.agenda.add(rectified[level_mask & late], enterprise[level_mask & late], (overdue_col, -1))
        del open_column, overdue_column

        latest = np.zeros(len(who), dtype=np.int64)
        np.maximum.at(latest, visit, deadline)
        has_major = majors > 0
        wanted = rng.random(len(who)) < np.where(has_major, P.FOLLOW_UP_SHARE["major"], P.FOLLOW_UP_SHARE["general"])
        wanted &= total > 0
        self.follow_ups.add(latest[wanted] + rng.integers(0, 8, wanted.sum()), who[wanted], None)

    def accidents(self, day: int, eta: np.ndarray, active: np.ndarray) -> np.ndarray:
        rng = self.rng
        daily = np.exp(eta + self.accident_offset) * active
        who = _rare(rng, daily)
        if len(who):
            count = len(who)
            severity = rng.choice(len(ACCIDENT_SEVERITIES), size=count, p=P.SEVERITY_MIX)
            deaths = np.select(
                [severity == 1, severity == 2, severity >= 3],
                [rng.choice(3, size=count, p=(0.4, 0.45, 0.15)), 3 + rng.poisson(1.0, count), 10 + rng.poisson(3.0, count)],
                0,
            )
            injuries = np.where(severity == 0, 1 + rng.poisson(0.5, count), rng.poisson(1.5 + 2 * severity, count))
            self.records["accidents"].append({
                "day": np.full(count, day), "enterprise": who, "severity": severity, "deaths": deaths, "injuries": injuries,
            })
            self.penalise(day, who, "fine", (10, 60))
            self.penalise(day, who[rng.random(count) < np.where(severity >= 1, 0.5, 0.2)], "suspension", (0, 0))
        return daily

    def run(self) -> None:
        window_first = self.as_of_day + 1
        for day in range(len(self.dates)):  # a loop over days; everything inside is vectorised
            for who, (column, delta) in self.agenda.pop(day):
                np.add.at(self.hazard_state, (who, column), delta)
            span = self.intervals.on(day)
            np.add.at(self.counters, (self.intervals.enterprise[span], self.intervals.column[span]),
                      self.intervals.delta[span])
            active = (self.people.established_day <= day) & (self.status != CLOSED)
            self.step_status(day, active)
            active &= self.status != CLOSED
            eta = self.eta(day)
            rate = np.exp(eta) * active
            daily_accident = self.accidents(day, eta, active)
            self.inspect(day, active & (self.status != CLOSED), eta, rate)
            if day == self.as_of_day:
                self.status_at_as_of = self.status.copy()
            if day >= window_first:
                self.sum_visit += -np.expm1(-rate) * (self.status != CLOSED)
                self.sum_accident += daily_accident


def _frame(parts: list[dict[str, np.ndarray]], columns: tuple[str, ...]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: np.empty(0, dtype=np.int64) for c in columns})
    return pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in columns})


def _ids(prefix: str, count: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill((np.arange(count) + 1).astype(str), 8))


def _tables(world: _World, start: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The records as the office would export them on the as-of day."""
    people, last = world.people, world.as_of_day
    ids = people.table["enterprise_id"].to_numpy()
    codes = {
        "status": np.array([c.code for c in STATUS]), "reason": np.array([c.code for c in STATUS_REASONS]),
        "mode": np.array([c.code for c in INSPECTION_MODES]), "level": np.array([c.code for c in HAZARD_LEVELS]),
        "penalty": np.array([c.code for c in PENALTY_KINDS]),
        "severity": np.array([c.code for c in ACCIDENT_SEVERITIES]),
    }

    def date(day: np.ndarray) -> pd.Series:
        day = np.asarray(day, dtype=float)
        return (start + pd.to_timedelta(np.where(day >= NEVER, np.nan, day), unit="D")).values

    enterprises = people.table.assign(status=codes["status"][world.status_at_as_of])
    status = _frame(world.records["status"], ("day", "enterprise", "status", "reason", "approved"))
    status = status.loc[status["day"] <= last].reset_index(drop=True)
    status_events = pd.DataFrame({
        "enterprise_id": ids[status["enterprise"]], "date": date(status["day"]),
        "status": codes["status"][status["status"]], "reason": codes["reason"][status["reason"]],
        "approved": pd.array(np.where(status["approved"] < 0, None, status["approved"] > 0), dtype="boolean"),
    })
    visits = _frame(world.records["inspections"], ("day", "enterprise", "mode", "team"))
    inspection_ids = _ids("JC", len(visits))
    visits = visits.assign(inspection_id=inspection_ids).loc[visits["day"] <= last].reset_index(drop=True)
    inspections = pd.DataFrame({
        "inspection_id": visits["inspection_id"], "enterprise_id": ids[visits["enterprise"]],
        "date": date(visits["day"]), "team": "第" + (visits["team"] + 1).astype(str) + "组",
        "mode": codes["mode"][visits["mode"]],
    })
    found = _frame(world.records["hazards"], ("day", "enterprise", "inspection", "major", "category", "deadline", "rectified"))
    found = found.loc[found["day"] <= last].reset_index(drop=True).assign(hazard_id=lambda f: _ids("YH", len(f)))
    rectified = np.where(found["rectified"] > last, NEVER, found["rectified"])
    hazards = pd.DataFrame({
        "hazard_id": found["hazard_id"], "enterprise_id": ids[found["enterprise"]],
        "inspection_id": inspection_ids[found["inspection"]], "found_date": date(found["day"]),
        "level": codes["level"][found["major"].astype(int)], "category": np.array(P.CATEGORY_CODES)[found["category"]],
        "deadline": date(found["deadline"]), "rectified_date": date(rectified),
    })

    def planned(frame: pd.DataFrame) -> pd.DataFrame:
        keep = (frame["start_day"] <= last) & (frame["start_day"] < world.closed_day[frame["enterprise"]])
        return frame.loc[keep].sort_values(["start_day", "enterprise"], kind="stable").reset_index(drop=True)

    permits = planned(world.permits)
    special_operations = pd.DataFrame({
        "permit_id": _ids("ZY", len(permits)), "enterprise_id": ids[permits["enterprise"]], "kind": permits["kind"],
        "start_date": date(permits["start_day"]), "end_date": date(permits["end_day"]),
        "contractor": permits["contractor"], "operators": permits["operators"],
        "certified_operators": permits["certified_operators"],
    })
    deals = planned(world.contracts)
    contracts = pd.DataFrame({
        "contract_id": _ids("HT", len(deals)), "enterprise_id": ids[deals["enterprise"]],
        "contractor": deals["contractor"], "start_date": date(deals["start_day"]), "end_date": date(deals["end_day"]),
        "work": deals["work"],
        "contractor_qualified": pd.array(np.where(deals["qualified_known"], deals["qualified"], None), dtype="boolean"),
        "safety_agreement": pd.array(np.where(deals["agreement_known"], deals["agreement"], None), dtype="boolean"),
    })
    fines = _frame(world.records["penalties"], ("day", "enterprise", "kind", "amount"))
    fines = fines.loc[fines["day"] <= last].sort_values(["day", "enterprise", "kind"], kind="stable").reset_index(drop=True)
    penalties = pd.DataFrame({
        "penalty_id": _ids("CF", len(fines)), "enterprise_id": ids[fines["enterprise"]], "date": date(fines["day"]),
        "kind": codes["penalty"][fines["kind"]], "amount_yuan": fines["amount"].to_numpy(float),
    })
    harm = _frame(world.records["accidents"], ("day", "enterprise", "severity", "deaths", "injuries"))
    harm = harm.loc[harm["day"] <= last].reset_index(drop=True)
    accidents = pd.DataFrame({
        "accident_id": _ids("SG", len(harm)), "enterprise_id": ids[harm["enterprise"]], "date": date(harm["day"]),
        "severity": codes["severity"][harm["severity"]], "deaths": harm["deaths"], "injuries": harm["injuries"],
    })
    alerts = world.alerts.loc[world.alerts["start_day"] <= last].reset_index(drop=True)
    town_ids = world.towns["town_id"].to_numpy(object)
    weather_alerts = pd.DataFrame({
        "alert_id": _ids("YJ", len(alerts)), "kind": alerts["kind"], "level": alerts["level"],
        "start_date": date(alerts["start_day"]), "end_date": date(alerts["end_day"]),
        "town_id": np.where(alerts["town"] >= 0, town_ids[np.maximum(alerts["town"], 0)], None),
    })
    frames = {
        "towns": world.towns, "enterprises": enterprises.sort_values("enterprise_id"), "status_events": status_events,
        "inspections": inspections, "hazards": hazards, "special_operations": special_operations,
        "contracts": contracts, "penalties": penalties, "accidents": accidents, "weather_alerts": weather_alerts,
    }
    tables = {name: typed(name, frame) for name, frame in frames.items()}
    return {name: t for name, t in tables.items() if not (name in OPTIONAL_TABLES and t.empty)}


def _date(value: object, zh: str, en: str) -> pd.Timestamp:
    try:
        return to_timestamp(value)
    except (ValueError, TypeError) as error:
        raise UserError(f"{zh}无法识别：{value}（请用 2026-11-15 这样的格式）。",
                        f"The {en} is not a date: {value} (use a form like 2026-11-15).") from error


def simulate_county(enterprises: int = 2000, seed: int = 7, start: object = None,
                    as_of: object = DEFAULT_AS_OF) -> County:
    """Simulate a county day by day from ``start`` (default: three years before ``as_of``) to 90 days
    after ``as_of``; return the records known on ``as_of`` and the truth about the 90 days after it."""
    if not MIN_ENTERPRISES <= int(enterprises) <= MAX_ENTERPRISES:
        raise UserError(
            f"企业数量须在 {MIN_ENTERPRISES} 到 {MAX_ENTERPRISES} 之间，收到 {enterprises}。",
            f"The number of enterprises must be between {MIN_ENTERPRISES} and {MAX_ENTERPRISES}; got {enterprises}.",
        )
    as_of = _date(as_of, "评估日期", "as-of date")
    start = as_of - pd.DateOffset(years=3) if start is None else _date(start, "开始日期", "start date")
    if (as_of - start).days < 180:
        raise UserError(
            f"开始日期 {start.date()} 须早于评估日期 {as_of.date()} 至少 180 天。",
            f"The start date {start.date()} must be at least 180 days before the as-of date {as_of.date()}.",
        )
    rng = np.random.default_rng(seed)
    as_of_day = (as_of - start).days
    dates = pd.date_range(start, periods=as_of_day + HORIZON_DAYS + 1, freq="D")
    towns = build_towns(rng)
    people = build_population(rng, towns, int(enterprises), start, as_of)
    world = _World(rng, towns, people, dates, as_of_day)
    world.run()
    p_major = world.sum_visit / HORIZON_DAYS
    p_accident = -np.expm1(-world.sum_accident)
    truth = pd.DataFrame({
        "enterprise_id": people.table["enterprise_id"].to_numpy(),
        "p_major": p_major, "p_accident": p_accident, "p_label": 1 - (1 - p_major) * (1 - p_accident),
    }).sort_values("enterprise_id", ignore_index=True)
    return County(
        tables=_tables(world, start), truth=truth, towns=typed("towns", towns), enterprises=int(enterprises),
        seed=int(seed), start=start, as_of=as_of,
    )
