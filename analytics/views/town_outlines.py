"""Town outlines for the maps: the store's imported ``towns.geojson``, else cells drawn around each town's firms.

The contract's ``towns.geojson`` is optional. Without it the maps still need shapes, and the only
geography a county always sends is the enterprises' longitude and latitude. So each town gets the
Voronoi cell of its firms' median position (the part of the map nearer to it than to any other
town's median), clipped to the firms' bounding box padded by ``PADDING``. The cells tile the box
without overlaps, which convex hulls of scattered firms would not. A town without a located firm
gets no cell; no located firm at all gives no outlines (``None``), and the maps say so.

Every feature carries ``properties.town_id``, ``properties.name``, ``properties.source``
(``"imported"`` or ``"firms"``) and ``properties.label_point`` (``[longitude, latitude]`` where the
map writes the town's name: ``label_point``), and outer rings run clockwise, as Plotly's maps
(d3-geo) draw them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PADDING = 0.05  # share of the firms' extent added around their bounding box
MIN_EXTENT = 0.01  # degrees: a box around one firm (or firms on one line) still has an area


def town_outlines(imported: dict | None, towns: pd.DataFrame, enterprises: pd.DataFrame) -> dict | None:
    """The imported map when there is one, else ``outlines_from_firms``."""
    if imported is not None and imported.get("features"):
        return {"type": "FeatureCollection", "features": [
            {**feature, "properties": {**feature.get("properties", {}), "source": "imported",
                                       "label_point": label_point(feature.get("geometry") or {})}}
            for feature in imported["features"]
        ]}
    return outlines_from_firms(towns, enterprises)


def label_point(geometry: dict) -> list[float] | None:
    """Where a town's name goes: a point inside its outline, also for a concave or holed one.

    The largest polygon of the geometry is cut by the horizontal line through its centroid (the
    middle of its height when that line misses it); the name sits at the middle of the widest piece
    of that line inside the polygon (holes excluded), as GEOS's representative point does. A convex
    cell's point is near its centroid; a crescent's is inside the crescent, where a centroid is not.
    ``None`` for a geometry without an area.
    """
    kind, coordinates = geometry.get("type"), geometry.get("coordinates") or []
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    rings = [[np.asarray(ring, dtype="float64")[:, :2] for ring in polygon if len(ring) >= 3] for polygon in polygons]
    rings = [polygon for polygon in rings if polygon]
    if not rings:
        return None
    polygon = max(rings, key=lambda p: abs(_signed_area(p[0])))
    outer = polygon[0]
    area = _signed_area(outer)
    if area == 0:
        return None
    x, y = outer[:, 0], outer[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    centre_y = float(((y + np.roll(y, -1)) * cross).sum() / (6 * area))
    for line in (centre_y, float((y.min() + y.max()) / 2)):
        crossings = np.sort(np.concatenate([_crossings(ring, line) for ring in polygon]))
        if len(crossings) >= 2:
            starts, ends = crossings[0::2][: len(crossings) // 2], crossings[1::2]
            widest = int(np.argmax(ends - starts))
            return [round(float((starts[widest] + ends[widest]) / 2), 6), round(line, 6)]
    return None


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return float((x * np.roll(y, -1) - np.roll(x, -1) * y).sum() / 2)


def _crossings(ring: np.ndarray, line: float) -> np.ndarray:
    """The x where the ring's edges cross the horizontal line ``y = line`` (an edge counts its lower end only)."""
    start, end = ring, np.roll(ring, -1, axis=0)
    crossing = (start[:, 1] <= line) != (end[:, 1] <= line)
    start, end = start[crossing], end[crossing]
    return start[:, 0] + (line - start[:, 1]) * (end[:, 0] - start[:, 0]) / (end[:, 1] - start[:, 1])


def outlines_from_firms(towns: pd.DataFrame, enterprises: pd.DataFrame) -> dict | None:
    """Voronoi cells of the towns' median firm positions, clipped to the firms' padded bounding box."""
    needed = {"town_id", "longitude", "latitude"}
    if enterprises.empty or not needed <= set(enterprises.columns):
        return None
    located = enterprises.loc[enterprises["longitude"].notna() & enterprises["latitude"].notna(), list(needed)]
    if located.empty:
        return None
    points = located[["longitude", "latitude"]].astype("float64")
    centres = points.groupby(located["town_id"].astype(str)).median()
    box = _padded_box(points.to_numpy())
    names = dict(zip(towns["town_id"].astype(str), towns["name"].astype(str), strict=True)) if len(towns) else {}
    xy = centres.to_numpy()
    features = []
    for i, town in enumerate(centres.index):  # a loop over towns (tens), each clipped by the others' bisectors
        others = np.delete(xy, i, axis=0)
        ring = _clip_to_nearest(box, xy[i], others)
        if len(ring) < 3:
            continue
        ring = _clockwise(np.round(ring, 6))
        geometry = {"type": "Polygon", "coordinates": [ring.tolist() + [ring[0].tolist()]]}
        features.append({
            "type": "Feature",
            "properties": {"town_id": town, "name": names.get(town, town), "source": "firms",
                           "label_point": label_point(geometry)},
            "geometry": geometry,
        })
    return {"type": "FeatureCollection", "features": features} if features else None


def _padded_box(points: np.ndarray) -> np.ndarray:
    low, high = points.min(axis=0), points.max(axis=0)
    extent = np.maximum(high - low, MIN_EXTENT)
    middle = (low + high) / 2
    low, high = middle - extent * (0.5 + PADDING), middle + extent * (0.5 + PADDING)
    return np.array([[low[0], low[1]], [high[0], low[1]], [high[0], high[1]], [low[0], high[1]]])


def _clip_to_nearest(polygon: np.ndarray, centre: np.ndarray, others: np.ndarray) -> np.ndarray:
    """``polygon`` cut to the points nearer to ``centre`` than to each of ``others`` (Sutherland–Hodgman)."""
    for other in others:
        if np.allclose(other, centre):  # two towns at one median: both keep the shared cell
            continue
        normal = other - centre
        limit = (other @ other - centre @ centre) / 2
        polygon = _clip_half_plane(polygon, normal, limit)
        if len(polygon) == 0:
            break
    return polygon


def _clip_half_plane(polygon: np.ndarray, normal: np.ndarray, limit: float) -> np.ndarray:
    """The part of a convex ``polygon`` where ``normal · p <= limit``."""
    side = polygon @ normal - limit
    following = np.roll(polygon, -1, axis=0)
    following_side = np.roll(side, -1)
    kept: list[np.ndarray] = []
    for point, next_point, s, t in zip(polygon, following, side, following_side, strict=True):
        if s <= 0:
            kept.append(point)
        if (s < 0 < t) or (t < 0 < s):
            kept.append(point + (next_point - point) * (s / (s - t)))
    return np.array(kept) if kept else np.empty((0, 2))


def _clockwise(ring: np.ndarray) -> np.ndarray:
    x, y = ring[:, 0], ring[:, 1]
    signed_area = (x * np.roll(y, -1) - np.roll(x, -1) * y).sum() / 2
    return ring[::-1] if signed_area > 0 else ring
