"""Town outlines for the maps: the imported towns.geojson when there is one, else cells around each town's firms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.views.town_outlines import label_point, outlines_from_firms, town_outlines

TOWNS = pd.DataFrame({"town_id": ["T1", "T2", "T3"], "name": ["城关镇", "沿海镇", "山区乡"]})


def _firms(rng: np.random.Generator, centres: dict[str, tuple[float, float]], per_town: int = 12) -> pd.DataFrame:
    towns = np.repeat(list(centres), per_town)
    middle = np.array([centres[t] for t in towns])
    points = middle + rng.normal(scale=0.01, size=middle.shape)
    return pd.DataFrame({"enterprise_id": [f"E{i}" for i in range(len(towns))], "town_id": towns,
                         "longitude": points[:, 0], "latitude": points[:, 1]})


def _signed_area(ring: list[list[float]]) -> float:
    xy = np.asarray(ring[:-1])
    x, y = xy[:, 0], xy[:, 1]
    return float((x * np.roll(y, -1) - np.roll(x, -1) * y).sum() / 2)


def _inside(points: np.ndarray, ring: list[list[float]]) -> np.ndarray:
    """Even-odd ray casting, vectorised over the points."""
    xy = np.asarray(ring)
    a, b = xy[:-1], xy[1:]
    px, py = points[:, 0][:, None], points[:, 1][:, None]
    crosses = (a[:, 1] > py) != (b[:, 1] > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = a[:, 0] + (py - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
    return ((crosses & (px < x_at)).sum(axis=1) % 2) == 1


CENTRES = {"T1": (120.0, 28.0), "T2": (120.3, 28.05), "T3": (120.1, 28.3)}


def test_every_firm_lies_in_its_own_towns_cell_and_the_cells_tile_the_box():
    firms = _firms(np.random.default_rng(3), CENTRES)
    outlines = outlines_from_firms(TOWNS, firms)
    features = {f["properties"]["town_id"]: f for f in outlines["features"]}
    assert set(features) == {"T1", "T2", "T3"}
    assert {f["properties"]["name"] for f in features.values()} == {"城关镇", "沿海镇", "山区乡"}
    assert {f["properties"]["source"] for f in features.values()} == {"firms"}
    points = firms[["longitude", "latitude"]].to_numpy()
    for town, feature in features.items():
        ring = feature["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1]  # closed
        assert _signed_area(ring) < 0  # clockwise: Plotly draws the inside of the town
        inside = _inside(points, ring)
        assert inside[firms["town_id"].to_numpy() == town].all()
        assert not inside[firms["town_id"].to_numpy() != town].any()
    # no overlaps and no gaps: the cells' areas add up to the padded box around the firms
    low, high = points.min(axis=0), points.max(axis=0)
    box = np.prod((high - low) * 1.1)
    total = sum(-_signed_area(f["geometry"]["coordinates"][0]) for f in features.values())
    assert total == pytest.approx(box, rel=1e-4)


def test_a_town_without_located_firms_gets_no_cell_and_no_coordinates_no_map():
    firms = _firms(np.random.default_rng(4), {"T1": CENTRES["T1"], "T2": CENTRES["T2"]})
    firms.loc[firms["town_id"] == "T2", ["longitude", "latitude"]] = np.nan
    only = outlines_from_firms(TOWNS, firms)
    assert [f["properties"]["town_id"] for f in only["features"]] == ["T1"]
    firms["longitude"] = np.nan
    assert outlines_from_firms(TOWNS, firms) is None
    assert outlines_from_firms(TOWNS, firms.drop(columns=["longitude", "latitude"])) is None


def test_one_firm_still_gets_an_area_around_it():
    firm = pd.DataFrame({"town_id": ["T1"], "longitude": [120.0], "latitude": [28.0]})
    ring = outlines_from_firms(TOWNS, firm)["features"][0]["geometry"]["coordinates"][0]
    assert -_signed_area(ring) > 0 and _inside(np.array([[120.0, 28.0]]), ring).all()


def test_an_imported_map_wins_over_the_firms_and_is_marked_so():
    imported = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"town_id": "T1", "name": "城关镇"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]}}]}
    firms = _firms(np.random.default_rng(5), CENTRES)
    chosen = town_outlines(imported, TOWNS, firms)
    assert [f["geometry"] for f in chosen["features"]] == [imported["features"][0]["geometry"]]
    assert chosen["features"][0]["properties"] == {"town_id": "T1", "name": "城关镇", "source": "imported",
                                                   "label_point": [0.5, 0.5]}
    assert "source" not in imported["features"][0]["properties"]  # the caller's map is not changed
    drawn = town_outlines(None, TOWNS, firms)
    assert {f["properties"]["source"] for f in drawn["features"]} == {"firms"}


def test_every_drawn_cell_has_its_name_point_inside_it():
    drawn = outlines_from_firms(TOWNS, _firms(np.random.default_rng(11), CENTRES))
    for feature in drawn["features"]:
        point = np.array([feature["properties"]["label_point"]])
        assert _inside(point, feature["geometry"]["coordinates"][0]).all(), feature["properties"]["town_id"]


SQUARE = [[0, 0], [0, 4], [4, 4], [4, 0], [0, 0]]
C_SHAPE = [[0, 0], [0, 3], [3, 3], [3, 2], [1, 2], [1, 1], [3, 1], [3, 0], [0, 0]]  # centroid in the gap


@pytest.mark.parametrize("geometry, outer", [
    ({"type": "Polygon", "coordinates": [SQUARE]}, SQUARE),
    ({"type": "Polygon", "coordinates": [C_SHAPE]}, C_SHAPE),
    ({"type": "Polygon", "coordinates": [SQUARE, [[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]]}, SQUARE),  # a hole
    ({"type": "MultiPolygon", "coordinates": [[[[10, 0], [10, 1], [11, 1], [11, 0], [10, 0]]], [C_SHAPE]]}, C_SHAPE),
])
def test_a_name_point_lies_inside_concave_holed_and_multipart_outlines(geometry: dict, outer: list):
    point = label_point(geometry)
    assert _inside(np.array([point]), outer).all()
    holes = geometry["coordinates"][1:] if geometry["type"] == "Polygon" else []
    assert not any(_inside(np.array([point]), hole).all() for hole in holes)


def test_a_geometry_without_area_has_no_name_point():
    assert label_point({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}) is None
    assert label_point({"type": "Point", "coordinates": [1, 2]}) is None
