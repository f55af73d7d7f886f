"""A simulated county: three years of contract records, and the true risk of the 90 days after them.

The story
---------
**Place.** A coastal county in Taizhou, Zhejiang (bounding box 121.0–121.6 E, 28.4–28.9 N) with 10 to
20 towns. Towns are the Voronoi cells of jittered town centres clipped to an irregular county outline
(``params.COUNTY_OUTLINE``; towns on its eastern edge are coastal), written as ``towns.geojson``;
the flatter world's towns are rectangles tiling the box (``town_geometry(towns, outlines)``).

**The harder world (issue 16, ``params.Knobs``; ``Knobs.flatter()`` is the world described below
without it, reproduced draw for draw because every new draw comes from a second random stream).**
Risk is not additive in what is recorded: the unrecorded part (culture and a hidden part of sd 0.8)
varies more than the recorded part; an unapproved restart while hot work runs adds +1.5 on top of
each, uncertified operators at a confined-space firm +0.8; major-hazard levels 1–2 add +0.9 and
levels 3–4 nothing, dust counts only at firms of 30+ workers. The fifteen teams find 0.5× to 1.5×
as much (majors and general hazards alike). Records are entered late (``recorded_date``; medians:
inspections 4 days, hazards a day after their inspection, status changes 3, accidents 2,
penalties 40 days); a record not entered by as-of is not exported. Six in ten unapproved restarts
are secret: recorded, with their true date, only when a visit or a new stop reveals them, while the
power meter (``power_usage``, monthly, from the firm's true days of operation) shows them running.
From 60 % of the history on, a new major-hazard standard in 工贸 makes a visit there 1.5× as likely
to record a major hazard. General hazards are closed by their deadline 95 % of the time (a small
hard core stays open one to six months past it), majors a little less; on-site 回头看 follow majors
and overdue general hazards only. Targeted and unannounced visits follow the campaign's priorities
(a known unapproved restart, uncertified operators, unqualified contractors or no safety agreement,
小散乱污, dust, confined spaces, ammonia refrigeration, overdue majors). Firms carry 安全生产标准化
grades, a trace of culture and size.

**Enterprises.** Every supervised unit of the contract's eleven sectors, in a real county's shares:
half are 工贸 industry & trade firms, mostly small and micro; 12 % crowded venues; 8 % fishing
vessels (in coastal towns only, with length and crew); 3 % hazardous-chemical firms; 1 % each mines
and fireworks. Sizes, employees, GB/T 4754 codes, founding dates (7 % founded during the three
years) and coordinates inside the town's cell. A few cells are left empty as real exports leave
them (size 3 %, employees 4 %, coordinates 2 %, founding date 2 %).

**What makes a firm risky.** Each firm has a *safety culture* that nobody records (normal, better in
large firms, worse in 小散乱污 workshops) and recorded risk factors with sector-appropriate
prevalence: hazardous chemicals and a major-hazard-source level 1–4, combustible dust, confined
spaces, ammonia refrigeration, 小散乱污. On every day, a firm has a rate ``exp(eta)`` at which a visit
finds a major hazard, where ``eta`` adds up (coefficients in ``params.py``):
- its sector, size and recorded risk factors;
- its culture (−0.5 per sd) and a small hidden part nobody can see (sd 0.15);
- its production status (a stopped firm produces less risk), an unapproved restart (+1.6, fading
  over about four months), an open special-operation permit (+0.3; +1.2 when operators are
  uncertified), an outsourcing contract in force (+0.1; +0.9 with an unqualified contractor, +0.4
  without a safety agreement);
- its open major hazards (+0.6) and overdue general hazards (+0.15 each, up to three);
- the weather: cold waves for gas and crowded venues, gales and typhoons for fishing vessels, rain,
  snow and ice for construction and transport, and the winter heating season.
Culture leaves traces: bad-culture firms restart without approval, let uncertified operators work,
hire unqualified contractors without agreements, rectify late or never, and have more hazards found.

**Time.** Day by day from ``start`` (default: three years before as-of) to 90 days after as-of,
vectorised over enterprises. Firms stop for environmental retrofits (30–180 days), power-rationing
spells (two 40-day spells), rectification orders after major hazards or accidents, other reasons,
or close for good; fishing vessels stop for the summer moratorium (伏季休渔, 1 May–16 Sep), and a
few sail early. Each restart is approved or not (one in ten is not; one in four after a retrofit,
rectification order or other stop; worse culture, more often). Work permits (hot work, height, lifting, maintenance, confined space ...; a third by
contractors, some with uncertified operators) and outsourcing contracts (60–540 days) are planned
ahead; weather alerts arrive by season, county-wide or per town (gales on the coast).

**Inspections**, about 1.3 per firm a year, chosen the way an office chooses them, with its bias:
routine visits (larger firms more often), 双随机 random draws, targeted visits weighted by the
office's rule of thumb (hazardous chemicals, major-hazard level, fireworks and mines, dust,
小散乱污, past major hazards, open hazards), complaints that lean towards firms that are truly risky
that day, follow-ups (回头看) around the deadline of found hazards, and, during the winter 百日攻坚
campaign (15 Nov–end of Feb), unannounced 四不两直 visits that replace half the routine ones. Fifteen teams (第1组..第15组) each cover
two towns. A visit finds a major hazard with probability ``1 − exp(−rate)`` (unannounced visits ×1.3)
and a Poisson number of general hazards growing with ``eta``; each hazard's category follows its
cause (an unapproved restart → 三违/特殊作业, uncertified operators → 持证上岗, an unqualified
contractor → 外包管理, dust → 通风除尘, chemicals → 危化品, gas firms → 用气 ...). Deadlines are 7–30
days (general) or 30–90 days (major); rectification is on time, late or never by culture. Major
hazards bring fines, warnings, suspension orders and, for 小散乱污 workshops, closures; overdue
hazards at a follow-up bring fines and suspensions. Accidents are rare (rate ``exp(eta − 9)``,
higher in construction, fishing, mining and transport), with severity, deaths and injuries, and
bring fines and suspensions.

**Export and truth.** Records are cut at as-of: nothing dated later is written, rectifications
after as-of are blank, ``enterprises.status`` is the status in force at as-of. The simulation goes
on for 90 more days to compute ``truth.csv`` (never an import table):
- ``p_major``: the probability that an ordinary visit on a uniformly random day of the window
  (as-of, as-of + 90] finds at least one major hazard: the mean over the 90 days of
  ``1 − exp(−rate(day))`` along the simulated path (0 on days the firm is closed);
- ``p_accident``: ``1 − exp(−Σ accident rate)`` over the window;
- ``p_label = 1 − (1 − p_major)(1 − p_accident)``: the quantity the risk list's score estimates.
The path within the window (weather, restarts, permits) is part of the truth and unknown at as-of.

Base rates of the shipped sample (2,000 firms, seed 7; ``simulation.json`` holds them for any run):
1.30 inspections per firm-year, 1.12 hazards per inspection, a major hazard at 5.9 % of inspections
(random 4.1 %, routine 2.8 %, targeted 6.7 %, unannounced 6.3 %, complaint 10.7 %, follow-up
14.6 %), 0.27 % of firms a year with an accident; mean true ``p_label`` 3.6 %, and the top 5 % by
truth 7.4 times the mean. Targeted visits find majors more often than random ones (about twice as
often at 100,000 firms): the selection bias a model trained on inspected firms must live with.

**The campaign's figures.** The campaign report counted 295 enterprises checked and 383 hazards by
15 groups in a fortnight, in a county of about 20,000 supervised units: 1.5 % of the county per
fortnight, 1.3 hazards per enterprise. Scaled to 20,000 firms, the simulated campaign's unannounced
visits come to about 313 per fortnight with about 378 hazards (1.2 per visit): an ordinary
campaign fortnight. Routine, random and targeted visits by towns and departments come on top, which
is why all inspections together reach about 1.3 per firm a year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract.frames import typed
from analytics.simulate import params as P
from analytics.simulate.dynamics import World
from analytics.simulate.population import build_population, build_towns, town_geometry
from analytics.simulate.records import export_tables
from analytics.contract.dates import HORIZON_DAYS, to_timestamp

DEFAULT_AS_OF = "2026-11-15"
MIN_ENTERPRISES, MAX_ENTERPRISES = 500, 1_000_000


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
    knobs: P.Knobs = field(default_factory=P.Knobs)
    eta_parts: pd.DataFrame | None = None  # per enterprise: the recorded and unrecorded parts of its fixed log-rate
    team_detection: dict[str, float] = field(default_factory=dict)  # team name -> how much it finds (1 = average)
    # Unapproved restarts the office learned of only later (truth, never exported): enterprise_id,
    # restart (the day it restarted) and discovered (the day the office learned of it; NaT if not by as-of).
    secret_restarts: pd.DataFrame | None = None

    def geometry(self) -> dict:
        """The towns' outlines as the GeoJSON ``towns.geojson`` holds."""
        return town_geometry(self.towns, self.knobs.town_outlines)


def _date(value: object, zh: str, en: str) -> pd.Timestamp:
    try:
        return to_timestamp(value)
    except (ValueError, TypeError) as error:
        raise UserError(f"{zh}无法识别：{value}（请用 2026-11-15 这样的格式）。",
                        f"The {en} is not a date: {value} (use a form like 2026-11-15).") from error


def _secret_restarts(world: World, ids: np.ndarray, start: pd.Timestamp) -> pd.DataFrame:
    def frame(key: str, columns: tuple[str, ...]) -> pd.DataFrame:
        parts = world.records[key]
        return pd.DataFrame({c: np.concatenate([p[c] for p in parts]) if parts else np.empty(0, np.int64) for c in columns})

    secret = frame("secret", ("enterprise", "day")).merge(frame("discovered", ("enterprise", "day", "found")),
                                                           on=["enterprise", "day"], how="left")
    secret = secret.loc[secret["day"] <= world.as_of_day]
    found = secret["found"].where(secret["found"] <= world.as_of_day)
    return pd.DataFrame({
        "enterprise_id": ids[secret["enterprise"].to_numpy(np.int64)],
        "restart": start + pd.to_timedelta(secret["day"].to_numpy(float), unit="D"),
        "discovered": start + pd.to_timedelta(found.to_numpy(float), unit="D"),
    }).reset_index(drop=True)


def simulate_county(enterprises: int = 2000, seed: int = 7, start: object = None,
                    as_of: object = DEFAULT_AS_OF, knobs: P.Knobs | None = None) -> County:
    """Simulate a county day by day from ``start`` (default: three years before ``as_of``) to 90 days
    after ``as_of``; return the records known on ``as_of`` and the truth about the 90 days after it.

    ``knobs`` (default ``Knobs()``, the harder world) switch issue 16's realism; ``Knobs.flatter()``
    is the world before it, reproduced draw for draw."""
    knobs = P.Knobs() if knobs is None else knobs
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
    extra = np.random.default_rng([int(seed), 16])  # the draws only the harder world makes
    towns = build_towns(rng, knobs.town_outlines)
    people = build_population(rng, towns, int(enterprises), start, as_of, knobs, extra)
    world = World(rng, towns, people, dates, as_of_day, knobs, extra)
    world.run()
    p_major = world.sum_visit / HORIZON_DAYS
    p_accident = -np.expm1(-world.sum_accident)
    truth = pd.DataFrame({
        "enterprise_id": people.table["enterprise_id"].to_numpy(),
        "p_major": p_major, "p_accident": p_accident, "p_label": 1 - (1 - p_major) * (1 - p_accident),
    }).sort_values("enterprise_id", ignore_index=True)
    eta_parts = pd.DataFrame({
        "enterprise_id": people.table["enterprise_id"].to_numpy(),
        "recorded": people.eta_recorded, "unrecorded": people.eta_unrecorded,
    })
    return County(
        secret_restarts=_secret_restarts(world, people.table["enterprise_id"].to_numpy(), start),
        tables=export_tables(world, start), truth=truth, towns=typed("towns", towns), enterprises=int(enterprises),
        seed=int(seed), start=start, as_of=as_of, parameters=P.as_dict(knobs), knobs=knobs, eta_parts=eta_parts,
        team_detection={f"第{i + 1}组": float(d) for i, d in enumerate(world.detection)},
    )
