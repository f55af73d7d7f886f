"""The contract's optional ``towns.geojson``: read, checked feature by feature, rings wound for the maps.

Rules (``DATA_CONTRACT.md``, Files): a GeoJSON FeatureCollection with one Polygon or MultiPolygon
feature per town, named by its ``town_id`` (or ``镇街编码``) property; the town must exist (in the
files or in the store); no town twice (the later feature is the problem); every ring closed, of at
least four positions, each a finite longitude and latitude inside China's extent (the enterprises'
coordinate range), enclosing some area. A broken rule is an issue row like any other of the import:
file, the feature's number (from 1) as its row, the field, the value and the reason in zh and en.
A feature's geometry reports its first problem only (the rest usually follow from it).

The geometries kept have their outer rings clockwise and their holes counter-clockwise, whatever the
file's winding (RFC 7946 asks the opposite, many tools write either): that is what Plotly's maps
(d3-geo) draw as the inside of a town rather than the whole globe outside it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analytics.contract.schema import TABLES

FILE_SUFFIXES = (".geojson",)
TOWN_PROPERTIES = ("town_id", TABLES["towns"].column("town_id").zh)
_LONGITUDE = TABLES["enterprises"].column("longitude")
_LATITUDE = TABLES["enterprises"].column("latitude")
ISSUE_COLUMNS = ["table", "file", "row", "column", "value", "reason_zh", "reason_en"]


class Problem(Exception):
    """One broken rule of one feature: the field, the value, the reason in zh and en."""

    def __init__(self, column: str, value: object, zh: str, en: str) -> None:
        super().__init__(en)
        self.column, self.value, self.zh, self.en = column, value, zh, en


@dataclass
class TownMap:
    """A checked ``towns.geojson``: the good features' geometries and every problem found."""

    name: str
    features: list = field(default_factory=list)  # as read
    geometries: dict[str, dict] = field(default_factory=dict)  # town_id -> geometry (rings wound) of the good features
    rejected: dict[int, str] = field(default_factory=dict)  # feature index -> reasons (zh / en)
    issues: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ISSUE_COLUMNS))
    structural: bool = False  # the file itself is unusable (not JSON, not a FeatureCollection)


def _short(value: object, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _position(point: object, where_zh: str, where_en: str) -> tuple[float, float]:
    ok = isinstance(point, list | tuple) and len(point) >= 2 and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in point)
    if not ok:
        raise Problem("geometry", _short(point), f"{where_zh}不是 [经度, 纬度] 坐标。",
                      f"{where_en} is not a [longitude, latitude] position.")
    x, y = float(point[0]), float(point[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise Problem("geometry", _short(point), f"{where_zh}的坐标不是有限数。", f"{where_en} has a coordinate that is not finite.")
    if not (_LONGITUDE.minimum <= x <= _LONGITUDE.maximum and _LATITUDE.minimum <= y <= _LATITUDE.maximum):
        raise Problem("geometry", _short(point),
                      f"{where_zh}超出中国范围（经度 {_LONGITUDE.minimum:g}–{_LONGITUDE.maximum:g}，纬度 "
                      f"{_LATITUDE.minimum:g}–{_LATITUDE.maximum:g}）；坐标须与企业经纬度同一坐标系。",
                      f"{where_en} lies outside China's extent (longitude {_LONGITUDE.minimum:g} to "
                      f"{_LONGITUDE.maximum:g}, latitude {_LATITUDE.minimum:g} to {_LATITUDE.maximum:g}); use the "
                      "coordinate system of the enterprises' longitude and latitude.")
    return x, y


def _ring(ring: object, outer: bool, where_zh: str, where_en: str) -> list:
    """The ring checked, wound clockwise when ``outer`` else counter-clockwise."""
    if not isinstance(ring, list) or len(ring) < 4:
        raise Problem("geometry", _short(ring), f"{where_zh}少于 4 个坐标点（首尾须相同）。",
                      f"{where_en} has fewer than 4 positions (the first repeated as the last).")
    points = [_position(p, f"{where_zh}第{i}个点", f"{where_en}, position {i},") for i, p in enumerate(ring, start=1)]
    if points[0] != points[-1]:
        raise Problem("geometry", _short([ring[0], ring[-1]]), f"{where_zh}未闭合：首尾坐标不同。",
                      f"{where_en} is not closed: its first and last positions differ.")
    twice_area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False))
    if twice_area == 0:
        raise Problem("geometry", _short(ring), f"{where_zh}面积为零。", f"{where_en} encloses no area.")
    clockwise = twice_area < 0
    return ring if clockwise == outer else list(reversed(ring))


def _polygon(rings: object, where_zh: str, where_en: str) -> list:
    if not isinstance(rings, list) or not rings:
        raise Problem("geometry", _short(rings), f"{where_zh}没有坐标环。", f"{where_en} has no ring.")
    return [_ring(r, i == 1, f"{where_zh}第{i}个环", f"{where_en}, ring {i}") for i, r in enumerate(rings, start=1)]


def _geometry(geometry: object) -> dict:
    """The geometry checked and wound; ``Problem`` at its first broken rule."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise Problem("geometry.type", _short(kind if kind is not None else geometry),
                      "边界须为 Polygon 或 MultiPolygon。", "The outline must be a Polygon or a MultiPolygon.")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return {"type": kind, "coordinates": _polygon(coordinates, "多边形", "The polygon")}
    if not isinstance(coordinates, list) or not coordinates:
        raise Problem("geometry", _short(coordinates), "MultiPolygon 没有多边形。", "The MultiPolygon has no polygon.")
    return {"type": kind, "coordinates": [_polygon(p, f"第{i}个多边形", f"Polygon {i}")
                                          for i, p in enumerate(coordinates, start=1)]}


def _town_of(feature: object) -> str:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    properties = properties if isinstance(properties, dict) else {}
    for key in TOWN_PROPERTIES:
        value = properties.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if value is not None and not isinstance(value, dict | list) and str(value).strip():
            return str(value).strip()
    raise Problem("town_id", "", "缺少 town_id（或 镇街编码）属性。", "The town_id (or 镇街编码) property is missing.")


def _load(path: Path, encoding: str) -> object:
    return json.loads(path.read_text(encoding=encoding))


def check_town_map(path: Path, encoding: str, known_towns: pd.Index, later_known: pd.Index | None = None) -> TownMap:
    """``towns.geojson`` at ``path`` checked against the towns that exist (``known_towns``).

    ``later_known``: towns given in the files but rejected; a feature naming one says so."""
    name = path.name
    result = TownMap(name)
    issues: list[dict] = []

    def problem(row: object, column: str, value: object, zh: str, en: str) -> None:
        issues.append({"table": "towns", "file": name, "row": row, "column": column, "value": str(value),
                       "reason_zh": zh, "reason_en": en})

    try:
        data = _load(path, encoding)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = (f"第{error.lineno}行第{error.colno}列：", f"line {error.lineno}, column {error.colno}: ") \
            if isinstance(error, json.JSONDecodeError) else ("", "")
        problem(pd.NA, "", "", f"不是有效的 GeoJSON（JSON）文件：{where[0]}{error}。",
                f"Not a valid GeoJSON (JSON) file: {where[1]}{error}.")
        data = None
    if data is not None and not (isinstance(data, dict) and data.get("type") == "FeatureCollection"
                                 and isinstance(data.get("features"), list)):
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        problem(pd.NA, "type", kind, "须为 GeoJSON FeatureCollection（含 features 列表）。",
                "Must be a GeoJSON FeatureCollection (with a features list).")
    if issues:
        result.structural = True
        result.issues = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
        return result

    result.features = data["features"]
    first_row: dict[str, int] = {}
    later = later_known if later_known is not None else pd.Index([], dtype=object)
    known = set(known_towns)
    for index, feature in enumerate(result.features):
        row = index + 1
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise Problem("type", _short(feature.get("type") if isinstance(feature, dict) else feature),
                              "不是 GeoJSON 要素（Feature）。", "Not a GeoJSON Feature.")
            town = _town_of(feature)
            if town not in known:
                if town in later:
                    raise Problem("town_id", town, "该镇街在 towns 表中的行有错误、未导入，其边界一并拒绝。",
                                  "This town's row in towns was rejected; its outline is rejected with it.")
                raise Problem("town_id", town, "在镇街表中找不到该编码（文件和数据库中都没有）。",
                              "Not found in towns (neither in the files nor in the store).")
            if town in first_row:
                raise Problem("town_id", town, f"该镇街的边界已在第{first_row[town]}个要素出现，以第一次出现的为准。",
                              f"This town's outline already appears as feature {first_row[town]}; the first one counts.")
            first_row[town] = row
            result.geometries[town] = _geometry(feature.get("geometry"))
        except Problem as found:
            problem(row, found.column, found.value, found.zh, found.en)
            result.rejected[index] = f"{found.zh} / {found.en}"
    missing = sorted(known - set(first_row))
    for town in missing:
        problem(pd.NA, "town_id", town, "该镇街在 towns.geojson 中没有边界要素。", "This town has no outline feature in towns.geojson.")
    result.issues = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    return result


def write_rejected_features(town_map: TownMap, folder: Path) -> Path | None:
    """The rejected features, unchanged but for their reason property, to ``<stem>.rejects.geojson``."""
    if not town_map.rejected:
        return None
    features = []
    for index, reason in town_map.rejected.items():
        feature = town_map.features[index]
        if isinstance(feature, dict):
            properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
            feature = {**feature, "properties": {**properties, "错误原因 reason": reason}}
        features.append(feature)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{Path(town_map.name).stem}.rejects.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1) + "\n",
                    encoding="utf-8")
    return path
