# ruff: noqa: F811  (pytest fixtures imported from test_store_backends are redefined as arguments)
"""Contract v2 on import: recorded_date, enterprises.standardization, power_usage, towns.geojson,
the templates that carry them, and a v1 store upgraded in place."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa
from test_ingest import EXPORT, base_rows, empty_store_file, import_rows, sqlite_store, write_set  # noqa: F401  (fixtures)
from test_store_backends import store, store_url  # noqa: F401  (fixtures)

from analytics.contract.schema import TABLES
from analytics.contract.templates import write_templates
from analytics.store import database as store_module
from analytics.store.database import open_store, read_tables, read_town_geojson, set_meta, get_meta
from analytics.store.writing import write_tables
from analytics.store.ingest import ImportFailed, import_files
from analytics.contract.frames import typed


def v2_rows() -> dict:
    rows = base_rows()
    rows["enterprises"][0]["standardization"] = "二级"
    rows["enterprises"][1]["standardization"] = "none"
    rows["inspections"][0]["recorded_date"] = "2024-02-09"
    rows["hazards"][0]["recorded_date"] = "2024/02/09"
    rows["penalties"][0]["recorded_date"] = "20240601"
    rows["accidents"][0]["recorded_date"] = ""
    rows["status_events"][0]["recorded_date"] = "2024-03-01"
    rows["power_usage"] = [
        {"enterprise_id": "E1", "period_start": "2024-01-01", "period_end": "2024-01-31", "kwh": "1200.5"},
        {"enterprise_id": "E1", "period_start": "2024-02-01", "period_end": "2024-02-29", "kwh": "0"},
        {"enterprise_id": "E2", "period_start": "2024-01-15", "period_end": "2024-01-15", "kwh": "33"},
    ]
    return rows


def test_v2_columns_and_power_usage_import_and_read_back(sqlite_store, tmp_path):
    report = import_rows(sqlite_store, tmp_path, v2_rows())
    assert report.summary.set_index("table").loc["power_usage", "inserted"] == 3
    tables = read_tables(sqlite_store)
    assert tables["enterprises"]["standardization"].tolist() == ["level2", "none"]
    assert tables["inspections"]["recorded_date"].tolist() == [pd.Timestamp("2024-02-09")]
    assert tables["hazards"]["recorded_date"].tolist() == [pd.Timestamp("2024-02-09")]
    assert tables["penalties"]["recorded_date"].tolist() == [pd.Timestamp("2024-06-01")]
    assert tables["accidents"]["recorded_date"].isna().all()
    assert tables["power_usage"]["kwh"].tolist() == [1200.5, 0.0, 33.0]
    again = import_rows(sqlite_store, tmp_path / "again", v2_rows()).summary.set_index("table")
    assert again.loc["power_usage", ["inserted", "updated", "unchanged"]].tolist() == [0, 0, 3]
    rows = v2_rows()
    rows["power_usage"][0]["kwh"] = "1300"  # a corrected reading of the same period updates it
    third = import_rows(sqlite_store, tmp_path / "third", rows).summary.set_index("table")
    assert third.loc["power_usage", ["inserted", "updated"]].tolist() == [0, 1]


V2_CASES = [
    ("enterprises", "standardization", "四级", "Not a valid standardization"),
    ("inspections", "recorded_date", "2024-01-31", "Must not be before date"),
    ("hazards", "recorded_date", "2024-01-01", "Must not be before found_date"),
    ("penalties", "recorded_date", "2024-04-30", "Must not be before date"),
    ("status_events", "recorded_date", "2024-02-29", "Must not be before date"),
    ("accidents", "recorded_date", "not a date", "Not a valid date"),
    ("power_usage", "period_end", "2023-12-31", "Must not be before period_start"),
    ("power_usage", "kwh", "-1", "Must not be below 0"),
    ("power_usage", "kwh", "", "required value is missing"),
    ("power_usage", "enterprise_id", "E9", "Not found in enterprises"),
]


@pytest.mark.parametrize(("table", "column", "bad", "reason"), V2_CASES, ids=[f"{c[0]}.{c[1]}={c[2]!r}" for c in V2_CASES])
def test_every_v2_rule_is_enforced_with_a_located_reason(sqlite_store, tmp_path, table, column, bad, reason):
    rows = v2_rows()
    rows[table][0][column] = bad
    with pytest.raises(ImportFailed) as caught:
        import_rows(sqlite_store, tmp_path, rows)
    issues = caught.value.issues
    hit = issues.loc[(issues["file"] == f"{table}.csv") & (issues["column"] == column)]
    assert hit["row"].tolist() == [2] and hit["value"].tolist() == [bad], issues.to_string()
    assert reason in hit["reason_en"].iloc[0] and hit["reason_zh"].iloc[0]


def test_overlapping_periods_of_one_enterprise_are_one_problem_on_the_later_row(sqlite_store, tmp_path):
    rows = v2_rows()
    rows["power_usage"].append({"enterprise_id": "E1", "period_start": "2024-01-20", "period_end": "2024-01-25", "kwh": "5"})
    rows["power_usage"].append({"enterprise_id": "E2", "period_start": "2024-01-16", "period_end": "2024-01-20", "kwh": "5"})
    with pytest.raises(ImportFailed) as caught:
        import_rows(sqlite_store, tmp_path / "a", rows)
    issues = caught.value.issues
    assert issues["row"].tolist() == [5] and issues["column"].tolist() == ["period_start"]
    assert "power_usage.csv row 2" in issues["reason_en"].iloc[0] and "may not overlap" in issues["reason_en"].iloc[0]
    assert "power_usage.csv 第2行" in issues["reason_zh"].iloc[0]


def test_a_later_power_file_may_not_overlap_the_periods_the_store_holds(store, tmp_path):
    sqlite_store = store  # and PostgreSQL
    import_rows(sqlite_store, tmp_path / "first", v2_rows())
    later = {"power_usage": [
        {"enterprise_id": "E1", "period_start": "2024-03-01", "period_end": "2024-03-31", "kwh": "10"},  # new, fine
        {"enterprise_id": "E1", "period_start": "2024-02-15", "period_end": "2024-03-10", "kwh": "10"},  # into February
        {"enterprise_id": "E1", "period_start": "2024-01-01", "period_end": "2024-01-31", "kwh": "99"},  # a correction
    ]}
    with pytest.raises(ImportFailed) as caught:
        import_files(sqlite_store, write_set(tmp_path / "later", later), export_date=EXPORT)
    issues = caught.value.issues
    reasons = issues.set_index("row")["reason_en"]
    assert sorted(reasons.index) == [2, 3]
    assert "already in the store (2024-02-01 – 2024-02-29)" in reasons[3]  # the store's February
    assert "Overlaps the period in power_usage.csv row 3" in reasons[2]  # within the file: the later start
    del later["power_usage"][1]  # March alone is new, the January correction an update
    report = import_files(sqlite_store, write_set(tmp_path / "fixed", later), export_date=EXPORT)
    assert report.summary.loc[0, ["inserted", "updated"]].tolist() == [1, 1]


def _square(x: float, y: float, size: float = 0.1, clockwise: bool = False) -> list:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]  # counter-clockwise
    return list(reversed(ring)) if clockwise else ring


def _signed_area(ring: list) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))


def town_map(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def feature(town: object, geometry: dict, key: str = "town_id") -> dict:
    return {"type": "Feature", "properties": {key: town}, "geometry": geometry}


def good_map() -> dict:
    return town_map(
        feature("T1", {"type": "Polygon", "coordinates": [_square(120.0, 28.0), _square(120.02, 28.02, 0.01)]}),
        feature("T2", {"type": "MultiPolygon", "coordinates": [[_square(120.2, 28.0, clockwise=True)],
                                                               [_square(120.5, 28.0)]]}, key="镇街编码"),
    )


def test_a_towns_geojson_beside_the_csvs_is_checked_stored_and_read_back(store, tmp_path):
    sqlite_store = store  # and PostgreSQL
    folder = write_set(tmp_path / "files", base_rows())
    (folder / "towns.geojson").write_text(json.dumps(good_map()), encoding="utf-8")
    report = import_files(sqlite_store, folder, export_date=EXPORT)
    assert report.summary.set_index("table").loc["town_map", ["read", "inserted"]].tolist() == [2, 2]
    assert "镇街边界图" in report.render("zh") and "town map" in report.render("en")
    drawn = read_town_geojson(sqlite_store)
    assert drawn["type"] == "FeatureCollection"
    assert [f["properties"] for f in drawn["features"]] == [{"town_id": "T1", "name": "城关镇"},
                                                            {"town_id": "T2", "name": "河口镇"}]
    t1, t2 = (f["geometry"] for f in drawn["features"])
    assert _signed_area(t1["coordinates"][0]) < 0 < _signed_area(t1["coordinates"][1])  # outer clockwise, hole not
    assert all(_signed_area(polygon[0]) < 0 for polygon in t2["coordinates"])
    again = import_files(sqlite_store, folder, export_date=EXPORT).summary.set_index("table")
    assert again.loc["town_map", ["inserted", "updated", "unchanged"]].tolist() == [0, 0, 2]


def test_without_a_map_there_is_none(sqlite_store, tmp_path):
    import_rows(sqlite_store, tmp_path, base_rows())
    assert read_town_geojson(sqlite_store) is None


def _map_issues(sqlite_store, tmp_path, data, **options):
    folder = write_set(tmp_path / "files", base_rows())
    (folder / "towns.geojson").write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        import_files(sqlite_store, folder, export_date=EXPORT, **options)
    return caught.value


POLYGON = {"type": "Polygon", "coordinates": [_square(120.0, 28.0)]}
MAP_CASES = [
    # (second feature, column, value, reason)
    (feature("T9", POLYGON), "town_id", "T9", "Not found in towns"),
    (feature("T1", POLYGON), "town_id", "T1", "already appears as feature 1"),
    ({"type": "Feature", "properties": {"name": "河口镇"}, "geometry": POLYGON}, "town_id", "", "town_id (or 镇街编码) property is missing"),
    (feature("T2", {"type": "Point", "coordinates": [120.0, 28.0]}), "geometry.type", "Point", "Polygon or a MultiPolygon"),
    (feature("T2", {"type": "Polygon", "coordinates": [_square(120.0, 28.0)[:-1] + [[120.05, 28.0]]]}), "geometry",
     "[[120.0, 28.0], [120.05, 28.0]]", "not closed"),
    (feature("T2", {"type": "Polygon", "coordinates": [[[120.0, 28.0], [120.1, 28.0], [120.0, 28.0]]]}), "geometry",
     "[[120.0, 28.0], [120.1, 28.0], [120.0, 28.0]]", "fewer than 4 positions"),
    (feature("T2", {"type": "Polygon", "coordinates": [_square(150.0, 28.0)]}), "geometry", "[150.0, 28.0]", "outside China's extent"),
    (feature("T2", {"type": "Polygon", "coordinates": [[[120.0, 28.0], [float("nan"), 28.0], [120.1, 28.1], [120.0, 28.0]]]}),
     "geometry", "[NaN, 28.0]", "not finite"),
    (feature("T2", {"type": "Polygon", "coordinates": [[[120.0, 28.0], [120.1, 28.0], [120.2, 28.0], [120.0, 28.0]]]}),
     "geometry", "[[120.0, 28.0], [120.1, 28.0], [120.2, 28.0], [120.0, 28.0]]", "encloses no area"),
]


@pytest.mark.parametrize(("second", "column", "value", "reason"), MAP_CASES, ids=[c[3] for c in MAP_CASES])
def test_every_map_rule_is_a_located_problem(sqlite_store, tmp_path, second, column, value, reason):
    failed = _map_issues(sqlite_store, tmp_path, town_map(feature("T1", POLYGON), second))
    issues = failed.issues
    hit = issues.loc[issues["row"] == 2]
    assert hit[["file", "column", "value"]].values.tolist() == [["towns.geojson", column, value]], issues.to_string()
    assert reason in hit["reason_en"].iloc[0] and hit["reason_zh"].iloc[0]
    assert "towns.geojson feature 2 [" in failed.render("en") and "towns.geojson 第2个要素 [" in failed.render("zh")
    assert read_town_geojson(sqlite_store) is None and read_tables(sqlite_store)["towns"].empty


def test_a_town_without_an_outline_and_a_file_that_is_no_feature_collection(sqlite_store, tmp_path):
    missing = _map_issues(sqlite_store, tmp_path / "a", town_map(feature("T1", POLYGON))).issues
    assert missing[["column", "value"]].values.tolist() == [["town_id", "T2"]]
    assert "no outline feature" in missing["reason_en"].iloc[0]
    for data, reason in (("{not json", "Not a valid GeoJSON (JSON) file: line 1"),
                         ({"type": "Feature", "geometry": POLYGON}, "Must be a GeoJSON FeatureCollection")):
        failed = _map_issues(sqlite_store, tmp_path / reason[:3], data, skip_bad=True)  # the file itself: even with skip-bad
        assert reason in failed.issues["reason_en"].iloc[0]


def test_skip_bad_keeps_the_good_outlines_and_writes_the_bad_features_aside(sqlite_store, tmp_path):
    folder = write_set(tmp_path / "files", base_rows())
    bad = feature("T2", {"type": "Polygon", "coordinates": [_square(150.0, 28.0)]})
    (folder / "towns.geojson").write_text(json.dumps(town_map(feature("T1", POLYGON), bad)), encoding="utf-8")
    report = import_files(sqlite_store, folder, export_date=EXPORT, skip_bad=True)
    assert [f["properties"]["town_id"] for f in read_town_geojson(sqlite_store)["features"]] == ["T1"]
    aside = json.loads((folder / "towns.rejects.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["town_id"] for f in aside["features"]] == ["T2"]
    assert "outside China's extent" in aside["features"][0]["properties"]["错误原因 reason"]
    assert "towns.geojson feature 2" in report.render("en")


def test_a_map_alone_imports_against_the_towns_the_store_holds(sqlite_store, tmp_path):
    import_rows(sqlite_store, tmp_path / "first", base_rows())
    path = tmp_path / "towns.geojson"
    path.write_text(json.dumps(good_map(), ensure_ascii=False), encoding="utf-8")
    report = import_files(sqlite_store, path, export_date=EXPORT)
    assert report.summary["table"].tolist() == ["town_map"]
    assert len(read_town_geojson(sqlite_store)["features"]) == 2


def test_templates_carry_the_v2_columns_and_the_power_usage_table(tmp_path):
    written = {p.name for p in write_templates(tmp_path)}
    assert "power_usage.csv" in written
    header = (tmp_path / "power_usage.csv").read_text(encoding="utf-8-sig").strip().split(",")
    assert header == ["企业编码", "开始日期", "结束日期", "用电量千瓦时"]
    assert "安全生产标准化等级" in (tmp_path / "enterprises.csv").read_text(encoding="utf-8-sig")
    for name in ("status_events", "inspections", "hazards", "penalties", "accidents"):
        assert "录入日期" in (tmp_path / f"{name}.csv").read_text(encoding="utf-8-sig"), name
    guide = (tmp_path / "_说明.csv").read_text(encoding="utf-8-sig")
    assert "一级（level1）" in guide and "用电数据（power_usage），可选" in guide


def _make_v1(url: str) -> None:
    """A store as version 1 left it: no v2 columns or tables, schema_version 1, one town."""
    opened = open_store(url)
    write_tables(opened, {"towns": typed("towns", [{"town_id": "T1", "name": "城关镇", "coastal": True}])})
    with opened.engine.begin() as connection:
        for table in ("status_events", "inspections", "hazards", "penalties", "accidents"):
            connection.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN recorded_date"))
        connection.execute(sa.text("ALTER TABLE enterprises DROP COLUMN standardization"))
        connection.execute(sa.text("DROP TABLE power_usage"))
        connection.execute(sa.text("DROP TABLE town_geometries"))
    set_meta(opened, {"schema_version": "1"})
    opened.dispose()


def test_a_v1_store_is_upgraded_in_place_and_takes_v2_files(store_url, tmp_path):
    url = store_url
    _make_v1(url)
    engine = sa.create_engine(url)
    assert "recorded_date" not in {c["name"] for c in sa.inspect(engine).get_columns("inspections")}
    engine.dispose()
    store = open_store(url)
    assert get_meta(store)["schema_version"] == str(store_module.SCHEMA_VERSION)
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("hazards")}
    assert "recorded_date" in columns and sa.inspect(store.engine).has_table("power_usage")
    assert read_tables(store)["towns"]["town_id"].tolist() == ["T1"]  # the rows stay
    folder = write_set(tmp_path / "files", v2_rows())
    (folder / "towns.geojson").write_text(json.dumps(good_map()), encoding="utf-8")
    import_files(store, folder, export_date=EXPORT)
    assert read_tables(store)["power_usage"]["kwh"].sum() == pytest.approx(1233.5)
    store.dispose()
    reopened = open_store(url)  # the second open finds nothing to do
    assert len(read_town_geojson(reopened)["features"]) == 2
    reopened.dispose()


def test_every_contract_table_has_a_store_table_with_its_columns(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    inspector = sa.inspect(store.engine)
    for name, spec in TABLES.items():
        assert set(spec.column_names) <= {c["name"] for c in inspector.get_columns(name)}, name
    store.dispose()
