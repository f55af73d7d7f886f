"""The simulated county's files obey the data contract, as read back from the CSV text."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics.contract import schema
from analytics.simulate import town_geometry
from analytics.snapshot.timeline import status_on

AS_OF = pd.Timestamp("2026-11-15")
# Contract parts the simulated world does not produce (the export leaves them out, as the contract
# allows for optional tables and columns). Since issue 16 it produces every v2 part.
NOT_SIMULATED_YET: dict[str, tuple[str, ...]] = {}
WRITTEN = [n for n in schema.LOAD_ORDER if set(NOT_SIMULATED_YET.get(n, ())) != set(schema.TABLES[n].column_names)]


def _simulated(name: str) -> list[str]:
    return [c for c in schema.TABLES[name].column_names if c not in NOT_SIMULATED_YET.get(name, ())]


def _read(folder, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8")


def _value_errors(column: schema.Column, values: pd.Series) -> pd.Series:
    """True where a non-empty cell breaks the column's type or range."""
    filled = values != ""
    if column.type == "code":
        return filled & ~values.isin(column.code_values())
    if column.type == "bool":
        return filled & ~values.isin(["true", "false"])
    if column.type == "date":
        return filled & pd.to_datetime(values.where(filled), format="%Y-%m-%d", errors="coerce").isna()
    if column.type in ("int", "float"):
        number = pd.to_numeric(values.where(filled), errors="coerce")
        bad = filled & number.isna()
        if column.type == "int":
            bad |= filled & (number != np.floor(number))
        if column.minimum is not None:
            bad |= number < column.minimum
        if column.maximum is not None:
            bad |= number > column.maximum
        return bad
    return pd.Series(False, index=values.index)


@pytest.mark.parametrize("name", WRITTEN)
def test_every_contract_table_is_written_with_the_contract_header(county_dir, name):
    frame = _read(county_dir, name)
    assert list(frame.columns) == _simulated(name)
    assert len(frame) > 0


@pytest.mark.parametrize("name", WRITTEN)
def test_every_cell_obeys_its_column_rule(county_dir, name):
    spec = schema.TABLES[name]
    frame = _read(county_dir, name)
    for column in (c for c in spec.columns if c.name in frame.columns):
        values = frame[column.name]
        if column.required:
            assert (values != "").all(), f"{name}.{column.name} has empty required cells"
        if column.unique:
            assert values.is_unique, f"{name}.{column.name} repeats values"
        assert not _value_errors(column, values).any(), f"{name}.{column.name}: {values[_value_errors(column, values)].head().tolist()}"
        if column.references:
            table, key = column.references.split(".")
            known = set(_read(county_dir, table)[key])
            assert values[values != ""].isin(known).all(), f"{name}.{column.name} points to unknown {table}"


@pytest.mark.parametrize("name", [n for n in WRITTEN if schema.TABLES[n].row_rules])
def test_row_rules_hold(county_dir, name):
    frame = _read(county_dir, name)
    for rule in (r for r in schema.TABLES[name].row_rules if r.column in frame.columns):
        left, right = frame[rule.column], frame[rule.other]
        if rule.kind == "both_or_neither":
            assert ((left == "") == (right == "")).all()
        elif rule.kind == "not_before":
            both = (left != "") & (right != "")
            assert (pd.to_datetime(left[both]) >= pd.to_datetime(right[both])).all()
        else:
            both = (left != "") & (right != "")
            assert (pd.to_numeric(left[both]) <= pd.to_numeric(right[both])).all()


def test_no_record_is_dated_after_the_as_of_date(county_dir):
    for name in WRITTEN:
        spec = schema.TABLES[name]
        dated = [spec.date_column, *spec.not_after_export] if spec.date_column else []
        frame = _read(county_dir, name)
        for column in (c for c in dict.fromkeys(dated) if c in frame.columns):
            assert pd.to_datetime(frame[column]).max() <= AS_OF, f"{name}.{column}"
    hazards = _read(county_dir, "hazards")
    assert pd.to_datetime(hazards["rectified_date"].replace("", None)).max() <= AS_OF
    assert pd.to_datetime(_read(county_dir, "enterprises")["established"].replace("", None)).max() <= AS_OF


def test_export_status_is_the_status_the_status_events_leave_in_force(county):
    enterprises = county.tables["enterprises"]
    in_force = status_on(enterprises, county.tables["status_events"], county.as_of)
    assert (in_force.astype(object) == enterprises["status"].astype(object)).all()
    assert set(enterprises["status"].astype(object)) >= {"operating", "suspended", "closed"}


def test_status_changes_alternate_between_stops_and_restarts(county):
    events = county.tables["status_events"].sort_values(["enterprise_id", "date"], kind="stable")
    status = events["status"].astype(object)
    before = status.groupby(events["enterprise_id"]).shift(1).fillna("operating")
    restart = status == "operating"
    assert before[restart].isin(["suspended", "retrofit"]).all()
    assert (before[~restart] == "operating").all()
    assert events.loc[restart, "approved"].notna().all()
    assert (~events.loc[restart, "approved"].astype(bool)).any(), "no unapproved restart at all"
    assert set(events["reason"].dropna().astype(object)) == {c.code for c in schema.STATUS_REASONS}


def test_an_enterprise_changes_status_at_most_once_a_day(county):
    events = county.tables["status_events"]
    assert not events.duplicated(["enterprise_id", "date"]).any()


def test_fishing_vessels_sit_in_coastal_towns_and_only_they_have_length_and_crew(county):
    enterprises = county.tables["enterprises"]
    vessel = enterprises["sector"] == "fishing_vessels"
    coastal = enterprises["town_id"].map(county.towns.set_index("town_id")["coastal"]).astype(bool)
    assert vessel.any() and coastal[vessel].all()
    assert enterprises.loc[vessel, ["vessel_length_m", "crew"]].notna().all().all()
    assert enterprises.loc[~vessel, ["vessel_length_m", "crew"]].isna().all().all()


def test_sector_shares_are_those_of_a_real_county(county):
    share = county.tables["enterprises"]["sector"].value_counts(normalize=True)
    assert share.idxmax() == "industry_trade" and share["industry_trade"] > 0.4
    assert share["hazardous_chemicals"] < 0.06
    assert (share > 0).all(), "every one of the eleven sectors is present"


def test_coordinates_lie_inside_their_town_cell(county):
    geometry = town_geometry(county.towns)
    box = {f["properties"]["town_id"]: np.array(f["geometry"]["coordinates"][0]) for f in geometry["features"]}
    enterprises = county.tables["enterprises"].dropna(subset=["longitude"])
    cells = np.array([[r[:, 0].min(), r[:, 1].min(), r[:, 0].max(), r[:, 1].max()] for r in
                      enterprises["town_id"].map(box)])
    assert ((enterprises["longitude"] >= cells[:, 0]) & (enterprises["longitude"] <= cells[:, 2])).all()
    assert ((enterprises["latitude"] >= cells[:, 1]) & (enterprises["latitude"] <= cells[:, 3])).all()


def test_town_geometry_is_deterministic_geojson_matching_the_towns(county):
    geometry = town_geometry(county.towns)
    assert geometry == town_geometry(county.towns.copy())
    assert json.loads(json.dumps(geometry)) == geometry
    assert [f["properties"]["town_id"] for f in geometry["features"]] == county.towns["town_id"].tolist()
    coastal = [f["properties"]["coastal"] for f in geometry["features"]]
    assert coastal == county.towns["coastal"].astype(bool).tolist() and any(coastal) and not all(coastal)
    for feature in geometry["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and all(121.0 <= x <= 121.6 and 28.4 <= y <= 28.9 for x, y in ring)
        signed_area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:]))
        assert signed_area < 0, "rings run clockwise, or the dashboard's map fills the globe outside the town"


def test_there_are_fifteen_teams_named_as_the_office_names_them(county):
    teams = set(county.tables["inspections"]["team"].astype(object))
    assert teams == {f"第{i}组" for i in range(1, 16)}


@pytest.mark.parametrize("name", WRITTEN)
def test_every_contract_column_holds_values(county_dir, name):
    frame = _read(county_dir, name)
    empty = [c for c in frame.columns if (frame[c] == "").all()]
    assert not empty, f"{name}: columns never filled: {empty}"
