"""The simulated county's numbers in one place: shares, prevalences, rates and risk coefficients.

Every figure the story in ``world.py`` quotes is here, so that changing the world is one edit and
``simulation.json`` can record exactly which world a folder came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from analytics.contract import schema

SECTOR_CODES = tuple(c.code for c in schema.SECTORS)
SIZE_CODES = tuple(c.code for c in schema.SIZES)
CATEGORY_CODES = tuple(c.code for c in schema.HAZARD_CATEGORIES)
OPERATION_CODES = tuple(c.code for c in schema.OPERATION_KINDS)
ALERT_CODES = tuple(c.code for c in schema.ALERT_KINDS)

# County bounding box (a coastal county of Taizhou, Zhejiang) and the town count range.
BBOX = (121.0, 28.4, 121.6, 28.9)  # west, south, east, north
TOWNS_MIN, TOWNS_MAX = 10, 20

# Share of supervised units per sector (fishing vessels are placed in coastal towns only).
SECTOR_SHARE = {
    "hazardous_chemicals": 0.03, "mining": 0.01, "industry_trade": 0.50, "fire_venues": 0.12,
    "road_transport": 0.05, "construction": 0.06, "gas": 0.04, "special_equipment": 0.05,
    "fishing_vessels": 0.08, "fireworks": 0.01, "tourism": 0.05,
}

# Size mix per sector (large, medium, small, micro).
SIZE_MIX = {
    "hazardous_chemicals": (0.05, 0.20, 0.45, 0.30), "mining": (0.05, 0.25, 0.50, 0.20),
    "industry_trade": (0.01, 0.06, 0.33, 0.60), "fire_venues": (0.02, 0.10, 0.38, 0.50),
    "road_transport": (0.02, 0.10, 0.40, 0.48), "construction": (0.05, 0.20, 0.45, 0.30),
    "gas": (0.02, 0.08, 0.30, 0.60), "special_equipment": (0.02, 0.10, 0.40, 0.48),
    "fishing_vessels": (0.0, 0.0, 0.10, 0.90), "fireworks": (0.0, 0.05, 0.25, 0.70),
    "tourism": (0.02, 0.08, 0.40, 0.50),
}
EMPLOYEES_MEDIAN = {"large": 600, "medium": 150, "small": 35, "micro": 6}

# GB/T 4754 codes drawn per sector.
INDUSTRY_CODES = {
    "hazardous_chemicals": ("C2614", "C2631", "C2661", "F5166"),
    "mining": ("B1011", "B1019", "B1091"),
    "industry_trade": ("C3311", "C3130", "C1713", "C2927", "C1951", "C3481", "C2110", "F5212"),
    "fire_venues": ("F5211", "H6110", "R9051", "P8331"),
    "road_transport": ("G5430", "G5420", "G5441"),
    "construction": ("E4710", "E4720", "E4851"),
    "gas": ("D4500", "F5265"),
    "special_equipment": ("C3411", "C3435", "O8191"),
    "fishing_vessels": ("A0411",),
    "fireworks": ("C2672", "F5143"),
    "tourism": ("N7851", "H6110", "R8850"),
}

# Observed risk factors: prevalence per sector (others 0). Major-hazard levels 1..4 mix when > 0.
PREVALENCE = {
    "hazardous_chemicals": {"hazardous_chemicals": 1.0, "major_hazard": 0.30, "confined_space": 0.45},
    "mining": {"hazardous_chemicals": 0.30, "major_hazard": 0.10, "confined_space": 0.20},
    "industry_trade": {"hazardous_chemicals": 0.08, "major_hazard": 0.005, "dust_explosion": 0.07,
                       "confined_space": 0.15, "ammonia_refrigeration": 0.015, "small_scattered": 0.16},
    "fire_venues": {"confined_space": 0.03, "small_scattered": 0.02},
    "road_transport": {"hazardous_chemicals": 0.10},
    "construction": {"confined_space": 0.15},
    "gas": {"hazardous_chemicals": 1.0, "major_hazard": 0.15, "confined_space": 0.20},
    "special_equipment": {"hazardous_chemicals": 0.05, "confined_space": 0.10},
    "fishing_vessels": {"ammonia_refrigeration": 0.05},
    "fireworks": {"hazardous_chemicals": 1.0, "major_hazard": 0.25, "small_scattered": 0.10},
    "tourism": {"confined_space": 0.02, "small_scattered": 0.03},
}
MAJOR_HAZARD_LEVEL_MIX = (0.05, 0.15, 0.30, 0.50)  # levels 1 (most severe) .. 4

# Daily log-rate of "a visit finds a major hazard" (eta): intercept, sector and size effects.
ETA_BASE = -4.5
ETA_SECTOR = {
    "hazardous_chemicals": 0.7, "mining": 0.8, "industry_trade": 0.0, "fire_venues": -0.1,
    "road_transport": -0.2, "construction": 0.5, "gas": 0.4, "special_equipment": -0.3,
    "fishing_vessels": 0.2, "fireworks": 0.8, "tourism": -0.5,
}
ETA_SIZE = {"large": -0.3, "medium": -0.1, "small": 0.0, "micro": 0.15}
ETA = {
    "hazardous_chemicals": 0.4, "major_hazard_level": 0.35,  # per step of (5 - level) when level > 0
    "dust_explosion": 0.9, "confined_space": 0.35, "ammonia_refrigeration": 0.9, "small_scattered": 0.7,
    "culture": -0.50,  # latent safety culture, N(0, 1), never recorded
    "hidden": 0.15,  # sd of the part nobody can observe
    "unapproved_restart": 1.6,  # decays with RESTART_DECAY_DAYS
    "permit": 0.3, "permit_uncertified": 1.2,
    "contract": 0.1, "contract_unqualified": 0.9, "contract_no_agreement": 0.4,
    "open_major": 0.6, "overdue_general": 0.15, "overdue_general_cap": 3,
    "not_operating": -1.3,
    "heating_season": 0.35,  # gas, crowded venues and tourism, 15 Nov - 15 Mar
}
RESTART_DECAY_DAYS = 120.0

# Weather exposure: eta added per sector and alert kind at level weight 1 (blue).
ALERT_LEVEL_WEIGHT = {"blue": 1.0, "yellow": 1.3, "orange": 1.7, "red": 2.2}
WEATHER_EXPOSURE = {
    "fishing_vessels": {"gale": 0.9, "typhoon": 1.0, "fog": 0.3},
    "gas": {"cold_wave": 0.6, "rain_snow_ice": 0.3},
    "fire_venues": {"cold_wave": 0.5},
    "tourism": {"cold_wave": 0.3, "rainstorm": 0.2},
    "construction": {"rain_snow_ice": 0.5, "gale": 0.4, "heat": 0.4, "rainstorm": 0.3, "typhoon": 0.6},
    "road_transport": {"rain_snow_ice": 0.6, "fog": 0.5},
    "mining": {"rainstorm": 0.5, "typhoon": 0.5},
    "industry_trade": {"heat": 0.15},
}
# Alerts per year: kind -> (count, months, coast_only, county_wide_share, days min, days max).
ALERTS_PER_YEAR = {
    "cold_wave": (4, (11, 12, 1, 2, 3), False, 1.0, 2, 4),
    "rain_snow_ice": (2, (12, 1, 2), False, 0.6, 1, 3),
    "gale": (14, (10, 11, 12, 1, 2, 3, 4), True, 0.3, 1, 3),
    "typhoon": (2, (7, 8, 9), False, 1.0, 2, 4),
    "rainstorm": (5, (5, 6, 7, 8, 9), False, 0.5, 1, 2),
    "heat": (4, (7, 8), False, 1.0, 3, 7),
    "fog": (5, (11, 12, 1, 2, 3), False, 0.5, 1, 2),
}
ALERT_LEVEL_MIX = (0.45, 0.35, 0.17, 0.03)

# Special operations (permits) and outsourcing contracts per enterprise and year.
PERMITS_PER_YEAR = {
    "hazardous_chemicals": 8.0, "mining": 6.0, "industry_trade": 0.8, "fire_venues": 0.3,
    "road_transport": 0.2, "construction": 4.0, "gas": 2.0, "special_equipment": 1.5,
    "fishing_vessels": 0.3, "fireworks": 0.5, "tourism": 0.3,
}
CONTRACTS_PER_YEAR = {
    "hazardous_chemicals": 1.2, "mining": 1.0, "industry_trade": 0.25, "fire_venues": 0.3,
    "road_transport": 0.1, "construction": 1.5, "gas": 0.5, "special_equipment": 0.6,
    "fishing_vessels": 0.05, "fireworks": 0.2, "tourism": 0.4,
}
CONTRACT_WORK = ("设备检维修", "清洁保洁", "装卸搬运", "污水处理运维", "土建施工", "消防设施维保", "电气安装", "仓储物流")

# Inspections per enterprise and year by mode (follow-ups are scheduled after hazards instead).
INSPECTIONS_PER_YEAR = {"routine": 0.55, "random": 0.22, "targeted": 0.30, "complaint": 0.05}
CAMPAIGN_UNANNOUNCED_PER_YEAR = 0.40  # during the winter campaign, mid-Nov to end of Feb
CAMPAIGN_ROUTINE_FACTOR = 0.5  # the campaign's unannounced visits replace half the routine ones
WEEKEND_FACTOR = 0.1
TEAMS = 15
TARGETED_POWER = 1.0  # weight = (1 + rule-of-thumb points) ** power
UNANNOUNCED_POWER = 0.5
COMPLAINT_POWER = 0.7  # complaint weight = true daily rate ** power
FOLLOW_UP_SHARE = {"major": 0.9, "general": 0.12}
UNANNOUNCED_FACTOR = 1.3  # unannounced visits find more of what is hidden

# Hazards found at a visit: general count ~ Poisson(GENERAL_SCALE * exp(GENERAL_SLOPE * (eta - ETA_BASE))).
GENERAL_SCALE = 0.75
GENERAL_SLOPE = 0.35
EXTRA_MAJOR_MEAN = 0.15
DEADLINE_DAYS = {"general": (7, 30), "major": (30, 90)}

# Status changes (per operating enterprise and year unless said otherwise).
RETROFIT_PER_YEAR = {"industry_trade": 0.04, "hazardous_chemicals": 0.05, "mining": 0.04, "fireworks": 0.03}
RETROFIT_SMALL_SCATTERED_EXTRA = 0.08
OTHER_STOP_PER_YEAR = 0.01
CLOSE_PER_YEAR = 0.012
CLOSE_SMALL_SCATTERED_EXTRA = 0.04
POWER_RATIONING_DAILY = 0.006  # industry_trade and hazardous_chemicals during a rationing spell
STOP_DAYS = {
    "environmental_retrofit": (30, 180), "power_rationing": (5, 25), "rectification_order": (15, 60),
    "other": (10, 60),
}
FISHING_MORATORIUM = ((5, 1), (9, 16))  # 伏季休渔, East China Sea
EARLY_SAILING_SHARE = 0.05  # vessels leaving before the moratorium ends (unapproved)
ACCIDENT_OFFSET = -9.0  # accident daily rate = exp(eta + offset)
ACCIDENT_SECTOR = {"construction": 0.8, "fishing_vessels": 0.9, "mining": 0.8, "road_transport": 0.6}
SEVERITY_MIX = (0.55, 0.40, 0.045, 0.005, 0.0)

# How culture shows in the records: log-odds intercept and slope per sd of culture.
CULTURE_TRACES = {
    "restart_approved": (2.0, 1.0),
    "rectified_on_time": (1.3, 1.5),  # +0.3 for a major hazard
    "never_rectified": (-3.2, -1.5),
    "operators_uncertified": (-2.3, -1.2),  # +0.7 when a contractor does the work
    "contractor_qualified": (2.0, 1.2),
    "safety_agreement": (1.5, 1.2),
}

CULTURE_SIZE = {"large": 0.5, "medium": 0.25, "small": 0.0, "micro": -0.2}
CULTURE_SMALL_SCATTERED = -0.5


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def trace(name: str, culture: np.ndarray) -> np.ndarray:
    """The probability of a culture trace (``CULTURE_TRACES``) for each culture value."""
    intercept, slope = CULTURE_TRACES[name]
    return sigmoid(intercept + slope * culture)





# --- Issue 16: a county that does not flatter the model -----------------------------------------
# Published figures the harder world imitates (``saferank simulate`` prints its own beside them):
# - the campaign report: 383 hazards at 295 enterprises checked in a fortnight (1.3 per inspection);
# - Sichuan's provincial safety office, Jan-Sep of one year (esafety.cn/news/66349): 98,250 firms,
#   141,911 general hazards of which 97.28 % rectified, 182 major hazards (0.13 % of all hazards,
#   found mostly by the firms' own checks), 4,557 general hazards still open (0.05 per firm).
PUBLISHED = {
    "hazards_per_inspection": (383 / 295, "专项行动报告：295 家企业 383 项隐患", "campaign report: 383 hazards at 295 firms"),
    "major_share_of_hazards": (182 / (182 + 141_911), "四川省安办：重大隐患 182 项 / 一般隐患 141,911 项（以企业自查为主）",
                               "Sichuan safety office: 182 major of 142,093 hazards (mostly the firms' own checks)"),
    "general_rectified_on_time": (0.9728, "四川省安办：一般隐患整改率 97.28 %", "Sichuan safety office: 97.28 % of general hazards rectified"),
    "open_general_per_firm": (4_557 / 98_250, "四川省安办：未整改一般隐患 4,557 项 / 98,250 家", "Sichuan safety office: 4,557 open general hazards at 98,250 firms"),
    "entry_lag_days_median": (None, "录入滞后“数天到数周”（议题 16）", "entry 'days to weeks' late (issue 16)"),
}


@dataclass(frozen=True)
class Knobs:
    """Issue 16's knobs, each off in ``Knobs.flatter()`` (the world before it, reproduced draw for draw).

    New draws use a second random stream, so the flatter world's records are byte-identical to the
    ones written before the knobs existed.
    """

    # Risk not additive in what is recorded.
    hidden_sd: float = 0.80  # sd of the per-firm log-rate nobody records (flatter: 0.15); mean rate kept
    restart_hot_work: float = 1.5  # extra eta while an unapproved restart (fading) meets hot work in progress
    uncertified_confined: float = 0.8  # extra eta when uncertified operators work at a confined-space firm
    major_level_step: bool = True  # levels 1-2 add +0.9, levels 3-4 nothing (flatter: +0.35 per step)
    dust_min_employees: int = 30  # combustible dust counts at firms of 30+ workers only (flatter: 0 = all)
    # Teams differ in what they find: detection factors spread evenly over this range (flatter 1-1).
    team_detection: tuple[float, float] = (0.5, 1.5)
    dust_category_elsewhere: float = 0.1  # weight of 通风除尘 among hazards at firms without dust (flatter 0.2)
    general_factor: float = 1.3  # general hazards found per visit, times this (flatter 1): the campaign's 1.3
    general_slope: float = 0.25  # how fast general hazards per visit grow with eta (flatter GENERAL_SLOPE 0.35)
    # Records entered late: median days and lognormal spread, per table (flatter: entered the same day).
    entry_lag: dict = field(default_factory=lambda: {
        "inspections": (4.0, 0.9), "hazards": (1.0, 0.8), "penalties": (40.0, 0.6),
        "status_events": (3.0, 1.0), "accidents": (2.0, 0.8),
    })
    secret_restart_share: float = 0.6  # unapproved restarts the office learns of only at its next visit
    # Drift: a new major-hazard standard in one sector from a share of the history on.
    drift_sector: str | None = "industry_trade"
    drift_at: float = 0.6  # share of the days from start to as-of after which the standard applies
    drift_factor: float = 1.5  # a visit's chance of finding a major hazard there, times this
    # Rectification like a real county; 回头看 on site for major and overdue hazards only.
    realistic_rectification: bool = True
    # The office's targeted and unannounced visits follow the campaign's priorities.
    campaign_targeting: bool = True
    # The contract's other v2 parts.
    power_usage: bool = True
    standardization: bool = True
    town_outlines: str = "voronoi"  # or "rectangles" (flatter)

    @classmethod
    def flatter(cls) -> Knobs:
        return cls(hidden_sd=ETA["hidden"], restart_hot_work=0.0, uncertified_confined=0.0, major_level_step=False,
                   dust_min_employees=0, team_detection=(1.0, 1.0), general_factor=1.0, general_slope=GENERAL_SLOPE, dust_category_elsewhere=0.2, entry_lag={}, secret_restart_share=0.0,
                   drift_sector=None, realistic_rectification=False, campaign_targeting=False, power_usage=False,
                   standardization=False, town_outlines="rectangles")

    @property
    def is_flatter(self) -> bool:
        return self == Knobs.flatter()

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# Rectification in the harder world (log-odds intercept and slope per sd of culture).
REALISTIC_TRACES = {
    "rectified_on_time": (4.0, 1.0),  # general hazards; major ones -1.0
    "hard_core": (-5.5, -1.2),  # left open for months (HARD_CORE_DAYS after the deadline)
}
CULTURE_CLIP = 2.0  # culture beyond ±2 sd does not make rectification any better or worse
LATE_MEAN_DAYS = 20  # a late rectification comes this many days after the deadline, on average
HARD_CORE_DAYS = (30, 180)  # the hard core is closed only this long after the deadline (enforcement)
FOLLOW_UP_MAJOR = 0.95  # share of visits with a major hazard followed by an on-site 回头看
FOLLOW_UP_OVERDUE = 0.9  # share of visits with an overdue general hazard followed by one
# Campaign priorities: points of the office's targeting rule.
CAMPAIGN_POINTS = {
    "unapproved_restart": 3.0, "uncertified_operators": 2.0, "unqualified_contractor": 2.0, "small_scattered": 1.0,
    "dust_explosion": 1.0, "confined_space": 1.0, "ammonia_refrigeration": 1.0, "overdue_major": 3.0,
}
CAMPAIGN_POWER = (2.0, 1.0)  # targeted and unannounced visit weight = (1 + points) ** power
KNOWN_RESTART_DAYS = 180  # a known unapproved restart counts for the targeting rule this long
# Power use: kWh a day per employee by sector when operating; standby share while stopped.
KWH_PER_EMPLOYEE_DAY = {
    "hazardous_chemicals": 60.0, "mining": 80.0, "industry_trade": 25.0, "fire_venues": 12.0,
    "road_transport": 4.0, "construction": 8.0, "gas": 15.0, "special_equipment": 20.0,
    "fishing_vessels": 0.0, "fireworks": 10.0, "tourism": 10.0,
}
STANDBY_SHARE = 0.04
# The county's outline (convex, inside BBOX, counter-clockwise from the south-west); its edges east of
# COAST_FROM are the coast. Towns are the Voronoi cells of their centres clipped to it.
COUNTY_OUTLINE = (
    (121.03, 28.46), (121.17, 28.41), (121.39, 28.415), (121.53, 28.45), (121.585, 28.58), (121.575, 28.75),
    (121.50, 28.875), (121.31, 28.895), (121.12, 28.865), (121.02, 28.74), (121.005, 28.58),
)
COAST_FROM = 121.52
POWER_MATCHED = 0.9  # share of firms the grid company's data could be matched to


# The names above that only the harder world uses (left out of a flatter world's simulation.json).
ISSUE16 = frozenset((
    "PUBLISHED", "REALISTIC_TRACES", "CULTURE_CLIP", "LATE_MEAN_DAYS", "HARD_CORE_DAYS", "FOLLOW_UP_MAJOR", "FOLLOW_UP_OVERDUE", "CAMPAIGN_POINTS", "CAMPAIGN_POWER",
    "KNOWN_RESTART_DAYS", "KWH_PER_EMPLOYEE_DAY", "STANDBY_SHARE", "POWER_MATCHED", "COUNTY_OUTLINE", "COAST_FROM",
))


def as_dict(knobs: Knobs | None = None) -> dict[str, object]:
    """The parameters, JSON-ready, for ``simulation.json``: the harder world's only when its knobs are on."""
    harder = knobs is not None and not knobs.is_flatter
    return {
        name: value for name, value in globals().items()
        if name.isupper() and isinstance(value, int | float | str | tuple | dict) and (harder or name not in ISSUE16)
    }
