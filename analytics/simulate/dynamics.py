"""The county's day-by-day dynamics: status changes, risk, inspections, hazards, penalties, accidents.

``World`` holds every enterprise's state in arrays and steps one day at a time; inside a day all
work is vectorised over enterprises. Records are kept as arrays of day numbers and integer codes;
``records.py`` turns them into contract tables.

Long because the day's steps share one state: status changes, risk, inspections, hazards, follow-ups,
penalties and accidents all read and write the same per-enterprise arrays inside one ``World``, and
splitting them into modules would pass that state around instead of keeping it in one place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.contract.schema import ACCIDENT_SEVERITIES, INSPECTION_MODES, PENALTY_KINDS, STATUS, STATUS_REASONS
from analytics.simulate import params as P
from analytics.simulate import schedules as S
from analytics.simulate.population import Population

OPERATING, SUSPENDED, RETROFIT, CLOSED = range(len(STATUS))
REASON = {c.code: i for i, c in enumerate(STATUS_REASONS)}
MODE = {c.code: i for i, c in enumerate(INSPECTION_MODES)}
PENALTY = {c.code: i for i, c in enumerate(PENALTY_KINDS)}
CATEGORY = {code: i for i, code in enumerate(P.CATEGORY_CODES)}
SECTOR = {code: i for i, code in enumerate(P.SECTOR_CODES)}
NEVER = 10**9  # the day of a rectification that never happens

# Columns of the per-enterprise hazard state.
OPEN_MAJOR, OPEN_GENERAL, OVERDUE_GENERAL, OVERDUE_MAJOR = range(4)


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


def _category_weights(people: Population, dust_elsewhere: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Per-enterprise hazard category weights from fixed traits, for general and for major hazards."""
    c = CATEGORY
    base = np.array([0.3, 1.0, 0.2, 2.0, 0.5, 0.2, 2.0, 2.0, 0.3, 0.1, 2.0, 0.8])
    base[c["ventilation_dust"]] = dust_elsewhere
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


class World:
    """The county's state, stepped one day at a time, vectorised over enterprises."""

    def __init__(self, rng: np.random.Generator, towns: pd.DataFrame, people: Population,
                 dates: pd.DatetimeIndex, as_of_day: int, knobs: P.Knobs | None = None,
                 extra: np.random.Generator | None = None) -> None:
        self.rng, self.towns, self.people, self.dates, self.as_of_day = rng, towns, people, dates, as_of_day
        # ``extra`` draws everything the flatter world does not, so that world stays draw for draw the same
        self.knobs, self.extra = knobs or P.Knobs.flatter(), extra or np.random.default_rng(0)
        n, days = len(people), len(dates)
        self.status = np.full(n, OPERATING, dtype=np.int8)
        self.stop_reason = np.full(n, REASON["other"], dtype=np.int8)
        self.restart_day = np.full(n, -1, dtype=np.int64)
        self.restart_approved = np.ones(n, bool)
        self.closed_day = np.full(n, NEVER, dtype=np.int64)
        self.changed_on = np.full(n, -1, dtype=np.int64)  # one status change a day at most
        self.last_unapproved = np.full(n, -(10**6), dtype=np.int64)
        self.approve = P.trace("restart_approved", people.culture)  # chance a restart is inspected and approved
        self.hazard_state = np.zeros((n, 4), dtype=np.int32)
        self.past_majors = np.zeros(n, dtype=np.int32)
        self.status_at_as_of = self.status.copy()
        self.sum_visit = np.zeros(n)
        self.sum_accident = np.zeros(n)
        self.agenda = _Agenda(days)
        self.follow_ups = _Agenda(days)
        self.records: dict[str, list[dict[str, np.ndarray]]] = {
            k: [] for k in ("status", "inspections", "hazards", "penalties", "accidents", "secret", "discovered")}
        # Unapproved restarts the office does not know of yet (day of the restart, -1 for none), the
        # status the records still show for them, and the last unapproved restart it knows of.
        self.secret_since = np.full(n, -1, dtype=np.int64)
        self.secret_reason = np.zeros(n, dtype=np.int8)
        self.recorded_status = np.full(n, OPERATING, dtype=np.int8)
        self.last_known_unapproved = np.full(n, -(10**6), dtype=np.int64)
        self.inspection_count = 0

        sector = people.sector
        self.alerts = S.weather_alerts(rng, towns, dates)
        self.weather = S.weather_effect(self.alerts, len(towns), days) + S.heating_effect(dates)[:, None, :]
        self.permits = S.permits(rng, people, days)
        self.contracts = S.contracts(rng, people, days)
        self.intervals = S.intervals(self.permits, self.contracts, days)
        self.counters = np.zeros((n, S.COUNTERS), dtype=np.int32)
        self.interval_eta = np.zeros(n)  # eta from the permits and contracts in force
        self.town_sector = people.town * len(P.SECTOR_CODES) + people.sector
        self.counter_eta = np.array([P.ETA["permit"], P.ETA["permit_uncertified"], P.ETA["contract"],
                                     P.ETA["contract_unqualified"], P.ETA["contract_no_agreement"], 0.0])
        knobs = self.knobs
        low, high = knobs.team_detection
        self.detection = np.ones(P.TEAMS)
        if (low, high) != (1.0, 1.0):  # teams differ in what they find, evenly spread, in a random order
            self.detection = self.extra.permutation(np.linspace(low, high, P.TEAMS))
        self.drift_day = NEVER
        self.drift_firms = np.zeros(n, bool)
        if knobs.drift_sector is not None:
            self.drift_day = int(round(knobs.drift_at * as_of_day))
            self.drift_firms = sector == SECTOR[knobs.drift_sector]
        self.major_factor = np.ones(n)  # a visit's chance of calling a finding major, times this (drift)
        self.campaign_static = (
            P.CAMPAIGN_POINTS["small_scattered"] * people.small_scattered
            + P.CAMPAIGN_POINTS["dust_explosion"] * people.dust_explosion
            + P.CAMPAIGN_POINTS["confined_space"] * people.confined_space
            + P.CAMPAIGN_POINTS["ammonia_refrigeration"] * people.ammonia_refrigeration
        )
        self.months = dates.year * 12 + dates.month - (dates.year[0] * 12 + dates.month[0])
        month_count = int(self.months[min(as_of_day, days - 1)]) + 1 if knobs.power_usage else 0
        self.operating_days = np.zeros((month_count, n), dtype=np.int16)
        self.existing_days = np.zeros((month_count, n), dtype=np.int16)
        self.accident_offset = P.ACCIDENT_OFFSET + np.array(
            [P.ACCIDENT_SECTOR.get(s, 0.0) for s in P.SECTOR_CODES])[sector]
        self.static_points = (
            3.0 * people.hazardous_chemicals + np.where(people.major_hazard_level > 0, 5 - people.major_hazard_level, 0)
            + 2.0 * np.isin(sector, [SECTOR["fireworks"], SECTOR["mining"]]) + people.small_scattered
            + people.dust_explosion
        )
        self.routine_weight = np.array([2.0, 1.5, 1.0, 0.8])[people.size]
        self.category_general, self.category_major = _category_weights(people, self.knobs.dust_category_elsewhere)
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
        self.workday = dates.day_of_week < 5
        self.moratorium_start = month_day == P.FISHING_MORATORIUM[0][0] * 100 + P.FISHING_MORATORIUM[0][1]
        end = pd.Timestamp(2000, *P.FISHING_MORATORIUM[1]) - pd.Timestamp(2000, *P.FISHING_MORATORIUM[0])
        self.moratorium_days = end.days

    # --- status ---------------------------------------------------------------------------
    def _record_status(self, day: int, who: np.ndarray, status: int, reason: np.ndarray | int,
                       approved: np.ndarray | int) -> None:
        if len(who) == 0:
            return
        self.changed_on[who] = day
        self.recorded_status[who] = status
        self.records["status"].append({
            "day": np.full(len(who), day), "enterprise": who, "status": np.full(len(who), status),
            "reason": np.broadcast_to(reason, len(who)).copy(), "approved": np.broadcast_to(approved, len(who)).copy(),
            "known": np.full(len(who), day),
        })

    def discover(self, day: int, who: np.ndarray) -> np.ndarray:
        """The office learns of the secret restarts among ``who`` today and records them as they happened."""
        who = who[self.secret_since[who] >= 0]
        if len(who) == 0:
            return who
        self.records["status"].append({
            "day": self.secret_since[who], "enterprise": who, "status": np.full(len(who), OPERATING),
            "reason": self.secret_reason[who].copy(), "approved": np.zeros(len(who), dtype=np.int8),
            "known": np.full(len(who), day),
        })
        self.recorded_status[who] = OPERATING
        self.last_known_unapproved[who] = day
        self.records["discovered"].append({"enterprise": who, "day": self.secret_since[who].copy(),
                                           "found": np.full(len(who), day)})
        self.secret_since[who] = -1
        return who

    def stop(self, day: int, who: np.ndarray, status: int, reason: int, approve_probability: np.ndarray | float,
             shortest: int, longest: int) -> None:
        who = who[(self.status[who] == OPERATING) & (self.changed_on[who] != day)]
        if len(who) == 0:
            return
        rng = self.rng
        self.discover(day, who)  # stopping a firm, the office sees it was running
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
            secret = np.zeros(len(due), bool)
            if self.knobs.secret_restart_share > 0:  # the office learns of these only at its next visit
                secret = ~approved & (self.extra.random(len(due)) < self.knobs.secret_restart_share)
                self.secret_since[due[secret]] = day
                self.records["secret"].append({"enterprise": due[secret], "day": np.full(secret.sum(), day)})
                self.secret_reason[due[secret]] = self.stop_reason[due[secret]]
                self.changed_on[due[secret]] = day
            known = due[~secret]
            self._record_status(day, known, OPERATING, self.stop_reason[known], approved[~secret].astype(np.int8))
            self.last_unapproved[due[~approved]] = day
            self.last_known_unapproved[known[~approved[~secret]]] = day
        if self.moratorium_start[day]:
            vessels = np.flatnonzero(active & (people.sector == SECTOR["fishing_vessels"]) & (self.status == OPERATING)
                                     & (self.changed_on != day))
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
        self.stop(day, who[kind == 0], RETROFIT, REASON["environmental_retrofit"], self.approve, lo, hi)
        lo, hi = P.STOP_DAYS["other"]
        self.stop(day, who[kind == 1], SUSPENDED, REASON["other"], self.approve, lo, hi)
        self.stop(day, who[kind == 2], CLOSED, REASON["other"], 1.0, 0, 0)
        lo, hi = P.STOP_DAYS["power_rationing"]
        self.stop(day, who[kind == 3], SUSPENDED, REASON["power_rationing"], 0.97, lo, hi)

    # --- risk -----------------------------------------------------------------------------
    def eta(self, day: int) -> np.ndarray:
        people, state = self.people, self.hazard_state
        decay = np.exp(-(day - self.last_unapproved) / P.RESTART_DECAY_DAYS)
        return (
            people.eta_static
            + P.ETA["not_operating"] * ((self.status == SUSPENDED) | (self.status == RETROFIT))
            + P.ETA["unapproved_restart"] * decay
            + self.interval_eta
            + P.ETA["open_major"] * (state[:, OPEN_MAJOR] > 0)
            + P.ETA["overdue_general"] * np.minimum(state[:, OVERDUE_GENERAL], P.ETA["overdue_general_cap"])
            + self.weather[day].take(self.town_sector)
            + self.interactions(decay)
        )

    def interactions(self, decay: np.ndarray) -> np.ndarray | float:
        """Risk that is not additive in what is recorded: an unapproved restart (``decay``: its fading
        effect, 1 on the day) while hot work runs, and uncertified operators at a confined-space firm."""
        knobs = self.knobs
        if not (knobs.restart_hot_work or knobs.uncertified_confined):
            return 0.0
        extra = np.zeros(len(decay))
        if knobs.restart_hot_work:  # few firms have hot work in progress on a day: only they are touched
            hot = np.flatnonzero(self.counters[:, S.HOT_WORK])
            extra[hot] += knobs.restart_hot_work * decay[hot]
        if knobs.uncertified_confined:
            uncertified = np.flatnonzero(self.counters[:, S.PERMIT_UNCERTIFIED])
            extra[uncertified] += knobs.uncertified_confined * self.people.confined_space[uncertified]
        return extra

    def campaign_points(self, day: int) -> np.ndarray:
        """The office's targeting rule, the campaign's priorities: a known unapproved restart, uncertified
        special-operation workers, unqualified contractors or no safety agreement, 小散乱污, combustible
        dust, confined spaces, ammonia refrigeration, overdue major hazards."""
        points, counters = P.CAMPAIGN_POINTS, self.counters
        total = self.campaign_static.copy()
        for column, value in ((S.PERMIT_UNCERTIFIED, points["uncertified_operators"]),
                              (S.CONTRACT_UNQUALIFIED, points["unqualified_contractor"])):
            total[np.flatnonzero(counters[:, column])] += value
        no_agreement = np.flatnonzero((counters[:, S.CONTRACT_NO_AGREEMENT] > 0) & (counters[:, S.CONTRACT_UNQUALIFIED] == 0))
        total[no_agreement] += points["unqualified_contractor"]
        total[np.flatnonzero(self.hazard_state[:, OVERDUE_MAJOR])] += points["overdue_major"]
        total += points["unapproved_restart"] * ((day - self.last_known_unapproved) <= P.KNOWN_RESTART_DAYS)
        return total

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
            self.stop(day, who, SUSPENDED, REASON["rectification_order"], self.approve, lo, hi)
        elif kind == "closure":
            self.stop(day, who, CLOSED, REASON["rectification_order"], 1.0, 0, 0)

    def inspect(self, day: int, active: np.ndarray, eta: np.ndarray, rate: np.ndarray) -> None:
        rng, people, state = self.rng, self.people, self.hazard_state
        weekday_share = 7.0 / (5 + 2 * P.WEEKEND_FACTOR)
        factor = weekday_share * (1.0 if self.workday[day] else P.WEEKEND_FACTOR) / 365.25
        operating_count = active.sum()
        targeted_power, unannounced_power = P.TARGETED_POWER, P.UNANNOUNCED_POWER
        if self.knobs.campaign_targeting:
            points = self.campaign_points(day)
            targeted_power, unannounced_power = P.CAMPAIGN_POWER
        else:
            points = self.static_points + 2.0 * np.minimum(self.past_majors, 3) + np.minimum(
                state[:, OPEN_MAJOR] + state[:, OPEN_GENERAL], 3)
        due = [who for who, _ in self.follow_ups.pop(day)]
        chosen = [np.concatenate(due)[active[np.concatenate(due)]] if due else np.empty(0, np.int64)]
        modes = [MODE["follow_up"]]
        plan = [
            ("complaint", P.INSPECTIONS_PER_YEAR["complaint"], rate ** P.COMPLAINT_POWER),
            ("targeted", P.INSPECTIONS_PER_YEAR["targeted"], (1.0 + points) ** targeted_power),
            ("random", P.INSPECTIONS_PER_YEAR["random"], 1.0),
            ("routine", P.INSPECTIONS_PER_YEAR["routine"], self.routine_weight),
        ]
        if self.campaign[day]:
            plan[-1] = ("routine", P.INSPECTIONS_PER_YEAR["routine"] * P.CAMPAIGN_ROUTINE_FACTOR, self.routine_weight)
            plan.insert(2, ("unannounced", P.CAMPAIGN_UNANNOUNCED_PER_YEAR, (1.0 + points) ** unannounced_power))
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

        self.penalise(day, self.discover(day, who), "fine", (0, 14))  # a secret restart found at a visit
        visit_rate = rate[who] * np.where(mode == MODE["unannounced"], P.UNANNOUNCED_FACTOR, 1.0)
        visit_rate = visit_rate * self.detection[team] * self.major_factor[who]
        majors = (rng.random(count) < -np.expm1(-visit_rate)) * (1 + rng.poisson(P.EXTRA_MAJOR_MEAN, count))
        general_mean = P.GENERAL_SCALE * np.exp(self.knobs.general_slope * (eta[who] - P.ETA_BASE)) * self.detection[team]
        general_mean = general_mean * self.knobs.general_factor
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
        realistic = self.knobs.realistic_rectification
        if realistic:  # most general hazards closed by their deadline, a small hard core never
            extra = self.extra
            clipped = np.clip(culture, -P.CULTURE_CLIP, P.CULTURE_CLIP)
            intercept, slope = P.REALISTIC_TRACES["rectified_on_time"]
            on_time = P.sigmoid(intercept - 1.0 * major + slope * clipped)
            intercept, slope = P.REALISTIC_TRACES["hard_core"]
            hard = P.sigmoid(intercept + slope * clipped)
            draw, when = extra.random(count), extra.random(count)
            late_day = np.where(draw < 1 - hard, deadline + extra.geometric(1 / P.LATE_MEAN_DAYS, count),
                                deadline + extra.integers(*P.HARD_CORE_DAYS, count))
            never = np.zeros(count)  # enforcement closes every hazard in the end
        else:
            on_time = P.trace("rectified_on_time", culture + 0.3 / 1.5 * major)
            never = P.trace("never_rectified", culture)
            draw, when = rng.random(count), None
        if when is None:
            rectified = np.where(
                draw < on_time, day + 1 + np.floor(rng.random(count) * allowed).astype(np.int64),
                np.where(draw < 1 - never, deadline + 1 + rng.geometric(1 / 25, count), NEVER),
            )
        else:
            rectified = np.where(draw < on_time, day + 1 + np.floor(when * allowed).astype(np.int64),
                                 np.where(draw < 1 - never, late_day, NEVER))
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

        if realistic:
            self.schedule_follow_ups(who, visit, major, deadline, late, majors)
            return
        latest = np.zeros(len(who), dtype=np.int64)
        np.maximum.at(latest, visit, deadline)
        has_major = majors > 0
        wanted = rng.random(len(who)) < np.where(has_major, P.FOLLOW_UP_SHARE["major"], P.FOLLOW_UP_SHARE["general"])
        wanted &= total > 0
        self.follow_ups.add(latest[wanted] + rng.integers(0, 8, wanted.sum()), who[wanted], None)

    def schedule_follow_ups(self, who: np.ndarray, visit: np.ndarray, major: np.ndarray, deadline: np.ndarray,
                            late: np.ndarray, majors: np.ndarray) -> None:
        """On-site 回头看 for major hazards (after their deadline) and for general hazards left overdue (soon
        after the deadline passes); general hazards closed in time are closed on the firm's evidence."""
        extra = self.extra
        latest_major = np.full(len(who), -1, dtype=np.int64)
        np.maximum.at(latest_major, visit[major], deadline[major])
        wanted = (majors > 0) & (extra.random(len(who)) < P.FOLLOW_UP_MAJOR)
        self.follow_ups.add(latest_major[wanted] + extra.integers(0, 8, wanted.sum()), who[wanted], None)
        overdue_general = ~major & late
        first_overdue = np.full(len(who), NEVER, dtype=np.int64)
        np.minimum.at(first_overdue, visit[overdue_general], deadline[overdue_general])
        wanted = (first_overdue < NEVER) & ~wanted & (extra.random(len(who)) < P.FOLLOW_UP_OVERDUE)
        self.follow_ups.add(first_overdue[wanted] + extra.integers(1, 11, wanted.sum()), who[wanted], None)

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
            changed = self.intervals.enterprise[span]
            np.add.at(self.counters, (changed, self.intervals.column[span]), self.intervals.delta[span])
            self.interval_eta[changed] = (self.counters[changed] > 0) @ self.counter_eta
            active = (self.people.established_day <= day) & (self.status != CLOSED)
            self.step_status(day, active)
            active &= self.status != CLOSED
            if day == self.drift_day:  # the new major-hazard standard applies from today
                self.major_factor[self.drift_firms] = self.knobs.drift_factor
            if len(self.operating_days) and day <= self.as_of_day:  # days of true operation, for the power meters
                self.operating_days[self.months[day]] += active & (self.status == OPERATING)
                self.existing_days[self.months[day]] += active
            eta = self.eta(day)
            rate = np.exp(eta) * active
            daily_accident = self.accidents(day, eta, active)
            self.inspect(day, active & (self.status != CLOSED), eta, rate)
            if day == self.as_of_day:
                self.status_at_as_of = self.status.copy()
            if day >= window_first:
                self.sum_visit += -np.expm1(-rate * self.major_factor) * (self.status != CLOSED)
                self.sum_accident += daily_accident
