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


def coastal_cells(count: int) -> np.ndarray:
    cells = town_cells(count)
    return np.isclose(cells[:, 2], P.BBOX[2])


def build_towns(rng: np.random.Generator) -> pd.DataFrame:
    count = int(rng.integers(P.TOWNS_MIN, P.TOWNS_MAX + 1))
    names = np.array(TOWN_NAMES, dtype=object)[rng.permutation(len(TOWN_NAMES))[:count]]
    return pd.DataFrame({
        "town_id": [f"331081{i + 1:03d}" for i in range(count)],
        "name": names,
        "coastal": coastal_cells(count),
    })


def town_geometry(towns: pd.DataFrame) -> dict:
    """The towns as a GeoJSON FeatureCollection of rectangles (deterministic from the towns' order)."""
    cells = town_cells(len(towns))
    features = []
    for (town_id, name), (w, s, e, n) in zip(towns[["town_id", "name"]].itertuples(index=False), cells, strict=True):
        features.append({
            "type": "Feature",
            "id": str(town_id),
            "properties": {"town_id": str(town_id), "name": str(name), "coastal": bool(np.isclose(e, P.BBOX[2]))},
            # clockwise: plotly's map (d3-geo) reads a counter-clockwise ring as the rest of the globe
            "geometry": {"type": "Polygon", "coordinates": [[[w, s], [w, n], [e, n], [e, s], [w, s]]]},
        })
    return {"type": "FeatureCollection", "features": features}


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
    table: pd.DataFrame  # the enterprises table without status

    def __len__(self) -> int:
        return len(self.sector)


def _pick(rng: np.random.Generator, choices: np.ndarray, count: int) -> np.ndarray:
    return choices[rng.integers(0, len(choices), count)]


def build_population(rng: np.random.Generator, towns: pd.DataFrame, count: int, start: pd.Timestamp,
                     as_of: pd.Timestamp) -> Population:
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

    cells = town_cells(len(towns))[town]
    margin_x = (cells[:, 2] - cells[:, 0]) * 0.05
    margin_y = (cells[:, 3] - cells[:, 1]) * 0.05
    longitude = np.round(rng.uniform(cells[:, 0] + margin_x, cells[:, 2] - margin_x), 6)
    latitude = np.round(rng.uniform(cells[:, 1] + margin_y, cells[:, 3] - margin_y), 6)
    no_place = rng.random(count) < 0.02
    longitude[no_place] = np.nan
    latitude[no_place] = np.nan

    culture = (rng.normal(0.0, 1.0, count) + np.array([P.CULTURE_SIZE[s] for s in size_codes])[size]
               + P.CULTURE_SMALL_SCATTERED * flags["small_scattered"])
    hidden = rng.normal(0.0, P.ETA["hidden"], count)
    eta_static = (
        P.ETA_BASE
        + np.array([P.ETA_SECTOR[s] for s in sectors])[sector]
        + np.array([P.ETA_SIZE[s] for s in size_codes])[size]
        + P.ETA["hazardous_chemicals"] * flags["hazardous_chemicals"]
        + P.ETA["major_hazard_level"] * np.where(level > 0, 5 - level, 0)
        + P.ETA["dust_explosion"] * flags["dust_explosion"]
        + P.ETA["confined_space"] * flags["confined_space"]
        + P.ETA["ammonia_refrigeration"] * flags["ammonia_refrigeration"]
        + P.ETA["small_scattered"] * flags["small_scattered"]
        + P.ETA["culture"] * culture
        + hidden
    )

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
        "established": established,
        "vessel_length_m": vessel_length,
        "crew": pd.Series(crew).astype("Int64"),
    })
    return Population(
        sector=sector, size=size, town=town, established_day=established_day,
        hazardous_chemicals=flags["hazardous_chemicals"], major_hazard_level=level,
        dust_explosion=flags["dust_explosion"], confined_space=flags["confined_space"],
        ammonia_refrigeration=flags["ammonia_refrigeration"], small_scattered=flags["small_scattered"],
        culture=culture, eta_static=eta_static, table=table,
    )
