"""The simulated county's towns (with their map cells) and its enterprises with their fixed traits."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.simulate import params as P

TOWN_NAMES = (
    "城东街道", "城西街道", "城南街道", "城北街道", "太和镇", "新桥镇", "泽川镇", "大岙镇", "松门镇",
    "箬山镇", "石塘镇", "滨海镇", "温溪镇", "坞口镇", "东岙镇", "龙门镇", "沙埠镇", "横山镇",
    "清港镇", "岭下镇",
)
TRADE_CHARS = np.array(list("宏达鑫盛华通顺恒信泰丰源兴利金瑞隆昌安广"), dtype=object)
SUFFIXES = {
    "hazardous_chemicals": ("化工有限公司", "危险化学品经营部", "化学品储运有限公司"),
    "mining": ("石料厂", "矿业有限公司"),
    "industry_trade": ("机械有限公司", "塑业有限公司", "五金厂", "鞋业有限公司", "电机有限公司",
                       "商贸有限公司", "金属制品有限公司", "木业有限公司"),
    "fire_venues": ("大酒店", "商场", "KTV", "养老院", "网吧", "超市"),
    "road_transport": ("运输有限公司", "物流有限公司", "客运有限公司"),
    "construction": ("建设工程项目部", "建筑工程有限公司"),
    "gas": ("燃气有限公司", "液化气供应站", "餐饮店"),
    "special_equipment": ("锅炉房", "起重设备有限公司", "电梯维保有限公司"),
    "fishing_vessels": ("号",),
    "fireworks": ("烟花爆竹批发部", "烟花爆竹零售点"),
    "tourism": ("景区", "宾馆", "民宿", "文化中心"),
}


def town_cells(count: int) -> np.ndarray:
    """``count`` rectangles tiling the county box, north-west first: rows of (west, south, east, north).

    The last row's cells are widened to fill it; the easternmost cell of every row lies on the coast.
    These are the flatter world's towns (``Knobs.town_outlines == "rectangles"``).
    """
    west, south, east, north = P.BBOX
    cols = math.ceil(math.sqrt(count * (east - west) / (north - south)))
    rows = math.ceil(count / cols)
    height = (north - south) / rows
    cells = []
    for row in range(rows):
        in_row = min(cols, count - row * cols)
        width = (east - west) / in_row
        top = north - row * height
        for col in range(in_row):
            cells.append((west + col * width, top - height, west + (col + 1) * width, top))
    return np.round(np.array(cells), 6)


def _inside_outline(points: np.ndarray, outline: np.ndarray) -> np.ndarray:
    """Which points lie inside the convex, counter-clockwise ``outline``."""
    a, b = outline, np.roll(outline, -1, axis=0)
    cross = ((b[:, 0] - a[:, 0])[None, :] * (points[:, 1:2] - a[None, :, 1])
             - (b[:, 1] - a[:, 1])[None, :] * (points[:, 0:1] - a[None, :, 0]))
    return (cross >= 0).all(axis=1)


def town_centres(count: int) -> np.ndarray:
    """The towns' centres (longitude, latitude): a jittered grid inside the county outline, fixed by ``count``."""
    rng = np.random.default_rng(16_000 + count)  # the outlines depend on the town count only
    cells = town_cells(count)
    size = cells[:, 2:] - cells[:, :2]
    centres = (cells[:, :2] + cells[:, 2:]) / 2 + rng.uniform(-0.3, 0.3, (count, 2)) * size
    outline = np.array(P.COUNTY_OUTLINE)
    middle = outline.mean(axis=0)
    for _ in range(20):  # pull a centre that fell outside the outline towards the middle
        outside = ~_inside_outline(centres, outline)
        if not outside.any():
            break
        centres[outside] = middle + 0.8 * (centres[outside] - middle)
    return centres


def _clip(ring: np.ndarray, normal: np.ndarray, offset: float) -> np.ndarray:
    """The part of a convex ring (open, counter-clockwise) where ``point @ normal <= offset``."""
    inside = ring @ normal <= offset
    out = []
    for i in range(len(ring)):  # the ring's few vertices, not enterprises
        a, b = ring[i], ring[(i + 1) % len(ring)]
        if inside[i]:
            out.append(a)
        if inside[i] != inside[(i + 1) % len(ring)]:
            t = (offset - a @ normal) / ((b - a) @ normal)
            out.append(a + t * (b - a))
    return np.array(out)


def voronoi_cells(count: int) -> list[np.ndarray]:
    """Each town's outline: the Voronoi cell of its centre clipped to the county (open ring, counter-clockwise)."""
    centres = town_centres(count)
    outline = np.array(P.COUNTY_OUTLINE, dtype=float)
    cells = []
    for i in range(count):  # a loop over at most twenty towns
        ring = outline
        for j in range(count):
            if j != i:
                normal = centres[j] - centres[i]
                ring = _clip(ring, normal, float(normal @ (centres[i] + centres[j]) / 2))
        cells.append(ring)
    return cells


def _on_outline(points: np.ndarray) -> np.ndarray:
    outline = np.array(P.COUNTY_OUTLINE)
    a, b = outline, np.roll(outline, -1, axis=0)
    edge = b - a
    t = np.clip(((points[:, None, :] - a[None]) * edge[None]).sum(-1) / (edge ** 2).sum(-1)[None], 0, 1)
    nearest = a[None] + t[..., None] * edge[None]
    return (np.linalg.norm(points[:, None, :] - nearest, axis=-1) < 1e-9).any(axis=1)


def coastal_cells(count: int, outlines: str = "voronoi") -> np.ndarray:
    """Which towns lie on the coast: the east side of the box (rectangles) or of the outline (Voronoi)."""
    if outlines == "rectangles":
        return np.isclose(town_cells(count)[:, 2], P.BBOX[2])
    return np.array([((ring[:, 0] >= P.COAST_FROM) & _on_outline(ring)).sum() >= 2 for ring in voronoi_cells(count)])


def build_towns(rng: np.random.Generator, outlines: str = "voronoi") -> pd.DataFrame:
    count = int(rng.integers(P.TOWNS_MIN, P.TOWNS_MAX + 1))
    names = np.array(TOWN_NAMES, dtype=object)[rng.permutation(len(TOWN_NAMES))[:count]]
    return pd.DataFrame({
        "town_id": [f"331081{i + 1:03d}" for i in range(count)],
        "name": names,
        "coastal": coastal_cells(count, outlines),
    })


def town_geometry(towns: pd.DataFrame, outlines: str = "voronoi") -> dict:
    """The towns as a GeoJSON FeatureCollection (deterministic from the towns' order): Voronoi cells of
    the town centres clipped to the county outline, or the flatter world's rectangles."""
    count = len(towns)
    if outlines == "rectangles":
        rings = [np.array([[w, s], [e, s], [e, n], [w, n]]) for w, s, e, n in town_cells(count)]
    elif outlines == "voronoi":
        rings = voronoi_cells(count)
    else:
        raise ValueError(f"unknown town outlines: {outlines}")
    coastal = coastal_cells(count, outlines)
    features = []
    for (town_id, name), ring, coast in zip(towns[["town_id", "name"]].itertuples(index=False), rings, coastal, strict=True):
        # clockwise: plotly's map (d3-geo) reads a counter-clockwise ring as the rest of the globe
        clockwise = np.round(ring[::-1], 6).tolist()
        if outlines == "rectangles":  # the flatter world's ring, vertex for vertex
            w, s = ring[0]
            e, n = ring[2]
            clockwise = [[w, s], [w, n], [e, n], [e, s]]
        features.append({
            "type": "Feature",
            "id": str(town_id),
            "properties": {"town_id": str(town_id), "name": str(name), "coastal": bool(coast)},
            "geometry": {"type": "Polygon", "coordinates": [clockwise + [clockwise[0]]]},
        })
    return {"type": "FeatureCollection", "features": features}


def place_in_towns(rng: np.random.Generator, town: np.ndarray, town_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points inside each enterprise's Voronoi town (rejection sampling, vectorised over firms)."""
    centres = town_centres(town_count)
    cells = voronoi_cells(town_count)
    low = np.array([c.min(axis=0) for c in cells])[town]
    high = np.array([c.max(axis=0) for c in cells])[town]
    outline = np.array(P.COUNTY_OUTLINE)
    points = np.empty((len(town), 2))
    todo = np.arange(len(town))
    for _ in range(200):  # each try places most of the rest; a loop over tries, not firms
        if len(todo) == 0:
            break
        trial = np.round(rng.uniform(low[todo], high[todo]), 6)
        nearest = ((trial[:, None, :] - centres[None]) ** 2).sum(-1).argmin(axis=1)
        good = (nearest == town[todo]) & _inside_outline(trial, outline)
        points[todo[good]] = trial[good]
        todo = todo[~good]
    points[todo] = np.round(centres[town[todo]], 6)
    return points[:, 0], points[:, 1]


@dataclass
class Population:
    """The enterprises' traits as arrays (index = enterprise number) plus their export table."""

    sector: np.ndarray  # int index into SECTOR_CODES
    size: np.ndarray  # int index into SIZE_CODES
    town: np.ndarray  # int index into towns
    established_day: np.ndarray  # day number relative to the simulation start (may be negative)
    hazardous_chemicals: np.ndarray
    major_hazard_level: np.ndarray
    dust_explosion: np.ndarray
    confined_space: np.ndarray
    ammonia_refrigeration: np.ndarray
    small_scattered: np.ndarray
    culture: np.ndarray
    eta_static: np.ndarray  # log-rate of a visit finding a major hazard from the fixed traits
    eta_recorded: np.ndarray  # the part of eta_static the records show (sector, size, risk factors)
    eta_unrecorded: np.ndarray  # the part nobody records (culture and the hidden rest)
    table: pd.DataFrame  # the enterprises table without status

    def __len__(self) -> int:
        return len(self.sector)


def _pick(rng: np.random.Generator, choices: np.ndarray, count: int) -> np.ndarray:
    return choices[rng.integers(0, len(choices), count)]


def build_population(rng: np.random.Generator, towns: pd.DataFrame, count: int, start: pd.Timestamp,
                     as_of: pd.Timestamp, knobs: P.Knobs | None = None,
                     extra: np.random.Generator | None = None) -> Population:
    knobs = knobs or P.Knobs.flatter()
    extra = extra or np.random.default_rng(0)
    sectors = np.array(P.SECTOR_CODES)
    share = np.array([P.SECTOR_SHARE[s] for s in sectors])
    sector = rng.choice(len(sectors), size=count, p=share / share.sum())
    fishing = sector == P.SECTOR_CODES.index("fishing_vessels")

    town_weight = rng.gamma(2.0, 1.0, len(towns))
    coastal = towns["coastal"].to_numpy(bool)
    town = rng.choice(len(towns), size=count, p=town_weight / town_weight.sum())
    coastal_weight = np.where(coastal, town_weight, 0.0)
    town[fishing] = rng.choice(len(towns), size=int(fishing.sum()), p=coastal_weight / coastal_weight.sum())

    size = np.zeros(count, dtype=np.int64)
    flags = {k: np.zeros(count, bool) for k in ("hazardous_chemicals", "dust_explosion", "confined_space",
                                               "ammonia_refrigeration", "small_scattered", "major_hazard")}
    industry = np.empty(count, dtype=object)
    suffix = np.empty(count, dtype=object)
    for index, code in enumerate(sectors):  # a loop over the eleven sectors, not over enterprises
        members = np.flatnonzero(sector == index)
        size[members] = rng.choice(4, size=len(members), p=P.SIZE_MIX[code])
        for flag, prevalence in P.PREVALENCE[code].items():
            flags[flag][members] = rng.random(len(members)) < prevalence
        industry[members] = _pick(rng, np.array(P.INDUSTRY_CODES[code], dtype=object), len(members))
        suffix[members] = _pick(rng, np.array(SUFFIXES[code], dtype=object), len(members))
    micro = size == P.SIZE_CODES.index("micro")
    scattered_extra = (sector == P.SECTOR_CODES.index("industry_trade")) & micro & (rng.random(count) < 0.10)
    flags["small_scattered"] |= scattered_extra
    level = np.where(flags["major_hazard"], rng.choice(4, size=count, p=P.MAJOR_HAZARD_LEVEL_MIX) + 1, 0)

    size_codes = np.array(P.SIZE_CODES)
    median = np.array([P.EMPLOYEES_MEDIAN[s] for s in size_codes])[size]
    employees = np.maximum(1, np.round(median * rng.lognormal(0.0, 0.5, count))).astype(np.int64)
    vessel_length = np.where(fishing, np.round(rng.uniform(12.0, 45.0, count), 1), np.nan)
    crew = np.where(fishing, np.round(3 + (vessel_length - 12) / 33 * 14 * rng.uniform(0.7, 1.1, count)), np.nan)
    employees = np.where(fishing, crew, employees)

    horizon_days = (as_of - start).days
    new_firm = rng.random(count) < 0.07
    established_day = np.where(new_firm, rng.integers(0, max(horizon_days - 30, 1), count),
                               -rng.integers(30, 25 * 365, count))

    if knobs.town_outlines == "rectangles":
        cells = town_cells(len(towns))[town]
        margin_x = (cells[:, 2] - cells[:, 0]) * 0.05
        margin_y = (cells[:, 3] - cells[:, 1]) * 0.05
        longitude = np.round(rng.uniform(cells[:, 0] + margin_x, cells[:, 2] - margin_x), 6)
        latitude = np.round(rng.uniform(cells[:, 1] + margin_y, cells[:, 3] - margin_y), 6)
    else:
        longitude, latitude = place_in_towns(extra, town, len(towns))
    no_place = rng.random(count) < 0.02
    longitude[no_place] = np.nan
    latitude[no_place] = np.nan

    culture = (rng.normal(0.0, 1.0, count) + np.array([P.CULTURE_SIZE[s] for s in size_codes])[size]
               + P.CULTURE_SMALL_SCATTERED * flags["small_scattered"])
    hidden = rng.normal(0.0, P.ETA["hidden"], count)
    more = knobs.hidden_sd ** 2 - P.ETA["hidden"] ** 2
    if more > 0:  # a larger hidden part, centred so that the mean rate stays what it was
        hidden = hidden + extra.normal(-more / 2, np.sqrt(more), count)
    if knobs.major_level_step:  # a threshold: only levels 1-2 (the most severe) raise the risk
        level_eta = 0.9 * ((level > 0) & (level <= 2))
    else:
        level_eta = P.ETA["major_hazard_level"] * np.where(level > 0, 5 - level, 0)
    dust = flags["dust_explosion"] & (employees >= knobs.dust_min_employees)  # a threshold in the workforce
    eta_recorded = (
        np.array([P.ETA_SECTOR[s] for s in sectors])[sector]
        + np.array([P.ETA_SIZE[s] for s in size_codes])[size]
        + P.ETA["hazardous_chemicals"] * flags["hazardous_chemicals"]
        + level_eta
        + P.ETA["dust_explosion"] * dust
        + P.ETA["confined_space"] * flags["confined_space"]
        + P.ETA["ammonia_refrigeration"] * flags["ammonia_refrigeration"]
        + P.ETA["small_scattered"] * flags["small_scattered"]
    )
    eta_unrecorded = P.ETA["culture"] * culture + hidden
    eta_static = P.ETA_BASE + eta_recorded + eta_unrecorded

    serial = rng.permutation(count) + 1
    town_short = towns["name"].to_numpy(object)[town]
    trade = TRADE_CHARS[rng.integers(0, len(TRADE_CHARS), count)] + TRADE_CHARS[rng.integers(0, len(TRADE_CHARS), count)]
    vessel_no = np.char.zfill(rng.integers(1, 99999, count).astype(str), 5).astype(object)
    name = np.where(fishing, "浙岭渔" + vessel_no + suffix, town_short + trade + suffix)

    size_out = pd.Series(size_codes[size], dtype=object)
    size_out[rng.random(count) < 0.03] = None
    employees_out = pd.Series(employees, dtype="Int64")
    employees_out[rng.random(count) < 0.04] = pd.NA
    established = pd.Series(start + pd.to_timedelta(established_day, unit="D"))
    established[rng.random(count) < 0.02] = pd.NaT
    table = pd.DataFrame({
        "enterprise_id": np.char.add("91331081MA", np.char.zfill(serial.astype(str), 8)),
        "name": name,
        "town_id": towns["town_id"].to_numpy(object)[town],
        "sector": sectors[sector],
        "industry_code": industry,
        "size": size_out,
        "employees": employees_out,
        "longitude": longitude,
        "latitude": latitude,
        "hazardous_chemicals": flags["hazardous_chemicals"],
        "major_hazard_level": level,
        "dust_explosion": flags["dust_explosion"],
        "confined_space": flags["confined_space"],
        "ammonia_refrigeration": flags["ammonia_refrigeration"],
        "small_scattered": flags["small_scattered"],
        "standardization": _standardization(extra, culture, size, sector, flags["small_scattered"], knobs),
        "established": established,
        "vessel_length_m": vessel_length,
        "crew": pd.Series(crew).astype("Int64"),
    })
    return Population(
        sector=sector, size=size, town=town, established_day=established_day,
        hazardous_chemicals=flags["hazardous_chemicals"], major_hazard_level=level,
        dust_explosion=flags["dust_explosion"], confined_space=flags["confined_space"],
        ammonia_refrigeration=flags["ammonia_refrigeration"], small_scattered=flags["small_scattered"],
        culture=culture, eta_static=eta_static, eta_recorded=eta_recorded, eta_unrecorded=eta_unrecorded, table=table,
    )


def _standardization(extra: np.random.Generator, culture: np.ndarray, size: np.ndarray, sector: np.ndarray,
                     small_scattered: np.ndarray, knobs: P.Knobs) -> np.ndarray:
    """安全生产标准化 grades: a trace of culture and size (level 1 for a few large, well-run firms);
    blank for fishing vessels, which are graded otherwise, and in the flatter world."""
    grade = np.full(len(culture), None, dtype=object)
    if not knobs.standardization:
        return grade
    score = culture + np.array([1.0, 0.5, 0.0, -0.5])[size] + extra.normal(0.0, 0.6, len(culture))
    grade[:] = np.select([score > 2.3, score > 1.0, score > -0.4], ["level1", "level2", "level3"], "none")
    grade[(grade == "level1") & (size >= 2)] = "level2"  # small and micro firms do not reach level 1
    grade[small_scattered] = "none"
    grade[sector == P.SECTOR_CODES.index("fishing_vessels")] = None
    return grade
