"""The simulated county goes into the store and comes back unchanged."""

from __future__ import annotations

import pandas as pd

from analytics.store.database import open_store, read_tables
from analytics.store.writing import write_tables


def test_county_round_trips_through_a_sqlite_store(county, tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'county.db'}")
    counts = write_tables(store, county.tables)
    assert {name: c.inserted for name, c in counts.items()} == {name: len(t) for name, t in county.tables.items()}
    back = read_tables(store)
    for name, table in county.tables.items():
        order = list(table.columns[:3])
        expected = table.sort_values(order, kind="stable").reset_index(drop=True)
        stored = back[name].sort_values(order, kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(stored, expected, check_dtype=False, check_categorical=False, obj=name)


def test_written_files_import_cleanly_through_the_command(county, county_dir, tmp_path, capsys):
    from saferank.cli import main

    url = f"sqlite:///{tmp_path / 'imported.db'}"
    code = main(["import", str(county_dir), "--db", url, "--export-date", str(county.as_of.date()), "--lang", "en"])
    assert code == 0, capsys.readouterr()
    back = read_tables(open_store(url))
    assert {name: len(t) for name, t in back.items() if len(t)} == {name: len(t) for name, t in county.tables.items()}
    enterprises = back["enterprises"].sort_values("enterprise_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(enterprises, county.tables["enterprises"].reset_index(drop=True),
                                  check_dtype=False, check_categorical=False)


def test_the_town_outlines_and_the_v2_tables_arrive_in_the_store(county, county_dir, tmp_path, capsys):
    """simulate → import: towns.geojson is taken (every town one polygon, as written), power_usage and
    recorded_date come through."""
    import json

    from analytics.store.database import read_town_geojson
    from saferank.cli import main

    url = f"sqlite:///{tmp_path / 'imported.db'}"
    code = main(["import", str(county_dir), "--db", url, "--export-date", str(county.as_of.date()), "--lang", "en"])
    assert code == 0, capsys.readouterr()
    store = open_store(url)
    stored = read_town_geojson(store)
    assert stored is not None
    written = json.loads((county_dir / "towns.geojson").read_text(encoding="utf-8"))
    assert sorted(f["properties"]["town_id"] for f in stored["features"]) == sorted(county.towns["town_id"])
    shapes = {f["properties"]["town_id"]: f["geometry"]["coordinates"] for f in written["features"]}
    for feature in stored["features"]:
        assert feature["geometry"]["type"] == "Polygon"
        assert feature["geometry"]["coordinates"] == shapes[feature["properties"]["town_id"]]
    back = read_tables(store)
    assert len(back["power_usage"]) == len(county.tables["power_usage"]) > 0
    assert back["inspections"]["recorded_date"].notna().all()
