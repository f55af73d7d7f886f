"""The snapshot: the as-of date parsed once, the tables cut once, what the store holds, and the
contract v2 rule "When a record became known" (``recorded_date``).

Properties (hypothesis):
1. An empty ``recorded_date`` column changes nothing: tables, features and labels equal those of
   tables without the column (contract v1).
2. A record entered late (``recorded_date`` r after its own date d) is, on every day before r,
   exactly as unknown as the same record dated r (tables and features equal), changes no label of a
   day before d, and from r on everything equals the record entered on time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.contract import schema
from analytics.contract.errors import UserError
from analytics.contract.frames import typed
from analytics.features import build_features
from analytics.models.labels import build_labels
from analytics.snapshot.snapshot import AsOf, Snapshot, held_tables
from analytics.snapshot.timeline import RECORDED_DATE, RECORDED_TABLES, as_known_on
from analytics.snapshot import timeline
from analytics.store.database import open_store, read_tables, set_meta
from analytics.store.writing import write_tables

DAY0 = pd.Timestamp("2026-06-30")
IDS = ("E1", "E2", "E3")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- AsOf ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-11-15", " 2026-11-15 ", "2026-11-15T17:30", dt.date(2026, 11, 15),
                                   dt.datetime(2026, 11, 15, 8), pd.Timestamp("2026-11-15 23:59"),
                                   np.datetime64("2026-11-15"), pd.Timestamp("2026-11-15 08:00", tz="Asia/Shanghai")])
def test_as_of_parses_date_like_values_to_midnight(value):
    as_of = AsOf.parse(value)
    assert as_of.ts == pd.Timestamp("2026-11-15") and as_of.ts.tzinfo is None
    assert as_of.date == dt.date(2026, 11, 15) and as_of.iso == "2026-11-15" and str(as_of) == "2026-11-15"
    assert AsOf.parse(as_of) is as_of  # parsed once: an AsOf passes through


@pytest.mark.parametrize("value", ["someday", "", "   ", None, "2026-02-30", "2026-13-01", 20261115, 1.5, float("nan"),
                                   "NaT", pd.NaT, True, ["2026-11-15"]])
def test_a_bad_as_of_is_a_user_error_naming_the_value_in_both_languages(value):
    with pytest.raises(UserError) as raised:
        AsOf.parse(value)
    assert repr(value) in raised.value.zh and repr(value) in raised.value.en
    assert "日期" in raised.value.render("zh") and "date" in raised.value.render("en")


def test_as_of_is_frozen_hashable_and_ordered():
    a, b = AsOf.parse("2026-01-01"), AsOf.parse("2026-01-02")
    assert a < b and a.plus(1) == b and b.plus(-1) == a and sorted([b, a]) == [a, b]
    assert {a, AsOf.parse(dt.date(2026, 1, 1))} == {a}
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.ts = b.ts  # type: ignore[misc]


def test_as_of_refuses_a_timestamp_that_is_not_a_midnight():
    with pytest.raises(TypeError):
        AsOf(pd.Timestamp("2026-01-01 10:00"))
    with pytest.raises(TypeError):
        AsOf("2026-01-01")  # type: ignore[arg-type]


# --- Snapshot ------------------------------------------------------------------------------------


def county() -> dict[str, pd.DataFrame]:
    return {
        "towns": typed("towns", [{"town_id": "T1", "name": "一镇"}]),
        "enterprises": typed("enterprises", [
            {"enterprise_id": "E1", "name": "甲", "town_id": "T1", "sector": "mining", "status": "operating"},
            {"enterprise_id": "E2", "name": "乙", "town_id": "T1", "sector": "gas", "status": "closed"},
            {"enterprise_id": "E3", "name": "丙", "town_id": "T1", "sector": "gas", "status": "operating",
             "established": "2026-08-01"},
        ]),
        "status_events": typed("status_events", [{"enterprise_id": "E2", "date": "2026-07-10", "status": "closed"}]),
        "inspections": typed("inspections", [
            {"inspection_id": "I1", "enterprise_id": "E1", "date": "2026-03-01"},
            {"inspection_id": "I2", "enterprise_id": "E1", "date": "2026-07-01"},
        ]),
        "hazards": typed("hazards", [{"hazard_id": "H1", "enterprise_id": "E1", "inspection_id": "I1",
                                      "found_date": "2026-03-01", "level": "major", "deadline": "2026-04-01",
                                      "rectified_date": "2026-07-05"}]),
        "penalties": typed("penalties", [{"penalty_id": "P1", "enterprise_id": "E1", "date": "2026-09-01",
                                          "kind": "fine"}]),
    }


def test_from_tables_cuts_once_and_keeps_the_operating_firms_and_the_date():
    tables = county()
    before = {name: frame.copy() for name, frame in tables.items()}
    snapshot = Snapshot.from_tables(tables, "2026-06-30")
    assert snapshot.as_of == AsOf.parse("2026-06-30")
    assert snapshot["inspections"]["inspection_id"].tolist() == ["I1"]
    assert snapshot["hazards"]["rectified_date"].isna().all()  # rectified in July
    assert snapshot["penalties"].empty and "penalties" in snapshot.held  # held although no row is known yet
    assert snapshot["enterprises"]["enterprise_id"].tolist() == ["E1", "E2"]  # E3 not established
    assert snapshot.operating["enterprise_id"].tolist() == ["E1", "E2"]  # E2 closes in July
    assert Snapshot.from_tables(tables, "2026-07-31").operating["enterprise_id"].tolist() == ["E1"]
    for name, frame in tables.items():  # the input is not modified
        pd.testing.assert_frame_equal(frame, before[name])
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.as_of = AsOf.parse("2026-01-01")  # type: ignore[misc]
    with pytest.raises(TypeError):
        snapshot.tables["hazards"] = snapshot["hazards"]  # type: ignore[index]


def test_from_tables_takes_what_the_source_holds_when_told():
    snapshot = Snapshot.from_tables(county(), AsOf.parse("2026-06-30"), held={"penalties", "accidents"})
    assert snapshot.held == {"penalties", "accidents"} and snapshot.holds("accidents") and snapshot.holds("inspections")
    assert not snapshot.holds("contracts")


def test_from_store_equals_the_cut_of_what_the_store_reads_and_held_comes_from_the_store(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    write_tables(store, county())
    from_store = Snapshot.from_store(store, "2026-06-30")
    from_tables = Snapshot.from_tables(read_tables(store), "2026-06-30")
    assert set(from_store.tables) == set(from_tables.tables)
    for name in from_store.tables:
        pd.testing.assert_frame_equal(from_store[name], from_tables[name])
    assert from_store.held == {"status_events", "penalties"} == held_tables(store)
    assert from_store["penalties"].empty  # the store holds penalties; none is known on that day
    set_meta(store, {"tables": "enterprises,inspections,hazards,penalties,accidents"})  # the store's own record
    assert Snapshot.from_store(store, "2026-06-30").held == {"penalties", "accidents"}
    some = Snapshot.from_store(store, "2026-06-30", names=["hazards"])
    assert set(some.tables) == {"hazards", "enterprises"}
    with pytest.raises(UserError):
        Snapshot.from_store(store, "30/06/2026x")
    store.dispose()


def test_the_store_layer_no_longer_cuts():
    import inspect

    from analytics.store import database

    assert "as_of" not in inspect.signature(database.read_tables).parameters
    source = inspect.getsource(database)
    assert "from analytics.snapshot" not in source and "import analytics.snapshot" not in source


# --- one scoring: one parse, one cut; the sample county's list unchanged ---------------------------

# sha256 of the sample county's risk list CSV (rule-of-thumb scorecard, as of 2026-11-15) with the model
# version written as "MODEL" (the version id hashes the data's fingerprint, which any new contract
# column changes). First pinned as computed on commit 878bd9c, before the snapshot type:
# cc7e3c970d5ff5b3088db47fd41373f4c7a79a399bb7863f31a076c89a17e884, and equal to it after the snapshot
# commit 9255022. Re-pinned at 20:15 UTC the same day, after this wave's feature and rule-of-thumb
# work (issues 15 and 19: overdue majors and unapproved restarts now weigh in, a power family) changed
# the list on purpose; from here it pins that list (1a04992be18ab2c69f2d7695427cb83ba8ca050cafeff28e3299311af1280af0).
# Re-pinned at 22:00 UTC on 2026-12-01 because the sample county itself changed: it was regenerated as
# issue 16's harder world (commit d2c751e: other firms, records, recorded_date, power_usage), so its
# list is a different list; the code that scores it did not change in that commit.
SAMPLE_LIST_SHA256 = "badce3409be71426aaffc1425221a13da104cc859fcdd94f2ac5c9cde7f93e09"


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    """The sample county imported with the scorecard fallback registered: a copy of the demo tests' seeded
    folder (built once per run), since scoring here writes a list into the store."""
    import demo_folders

    folder = demo_folders.copy(demo_folders.seeded(tmp_path_factory)[0], tmp_path_factory.mktemp("sample"))
    store = open_store(f"sqlite:///{folder / 'saferank.db'}")
    yield store, folder
    store.dispose()


def test_one_scoring_cuts_the_tables_once_and_writes_the_sample_list_unchanged(sample_store, monkeypatch):
    from analytics.risk.risklist import score_store
    from saferank.demo import SAMPLE_AS_OF

    store, folder = sample_store
    calls = []
    original = timeline.as_known_on

    def counted(tables, as_of):
        calls.append(as_of)
        return original(tables, as_of)

    for module in list(sys.modules.values()):  # every module that imported the function by name
        if (getattr(module, "__name__", "") or "").startswith("analytics") and getattr(module, "as_known_on", None) is original:
            monkeypatch.setattr(module, "as_known_on", counted)
    report = score_store(store, AsOf.parse(SAMPLE_AS_OF), out=folder / "list.csv", models_dir=folder / "models")
    assert len(calls) == 1 and report.n > 1000
    written = (folder / "list.csv").read_bytes()
    assert written.count(report.model_version.encode()) == report.n  # one per row, nowhere else
    assert hashlib.sha256(written.replace(report.model_version.encode(), b"MODEL")).hexdigest() == SAMPLE_LIST_SHA256


def test_scoring_below_the_edge_refuses_an_unparsed_date(sample_store):
    from analytics.risk.risklist import score_store

    store, folder = sample_store
    with pytest.raises(TypeError):
        score_store(store, "2026-11-15", models_dir=folder / "models")  # type: ignore[arg-type]


# --- recorded_date: examples ---------------------------------------------------------------------


def with_recorded(tables: dict[str, pd.DataFrame], name: str, recorded: list[str | None]) -> dict[str, pd.DataFrame]:
    return {**tables, name: tables[name].assign(**{RECORDED_DATE: pd.to_datetime(pd.Series(recorded, dtype=object))})}


def test_an_inspection_entered_late_is_known_from_the_day_it_was_entered():
    tables = with_recorded(county(), "inspections", [None, "2026-07-20"])
    assert as_known_on(tables, pd.Timestamp("2026-07-19"))["inspections"]["inspection_id"].tolist() == ["I1"]
    assert as_known_on(tables, pd.Timestamp("2026-07-20"))["inspections"]["inspection_id"].tolist() == ["I1", "I2"]


def test_a_hazard_entered_after_its_rectification_is_known_rectified_when_entered():
    tables = with_recorded(county(), "hazards", ["2026-08-01"])
    assert as_known_on(tables, pd.Timestamp("2026-07-31"))["hazards"].empty
    known = as_known_on(tables, pd.Timestamp("2026-08-01"))["hazards"]
    assert known["rectified_date"].tolist() == [pd.Timestamp("2026-07-05")]


def test_a_closure_entered_late_leaves_the_firm_operating_until_entered():
    tables = with_recorded(county(), "status_events", ["2026-08-15"])
    assert "E2" in Snapshot.from_tables(tables, "2026-08-14").operating["enterprise_id"].tolist()
    assert "E2" not in Snapshot.from_tables(tables, "2026-08-15").operating["enterprise_id"].tolist()


def test_a_recorded_date_before_the_records_own_date_does_not_make_it_known_earlier():
    tables = with_recorded(county(), "inspections", [None, "2026-05-01"])  # contrary to the contract
    assert as_known_on(tables, pd.Timestamp("2026-06-30"))["inspections"]["inspection_id"].tolist() == ["I1"]


# --- recorded_date: properties -------------------------------------------------------------------


def day(offset: int | None) -> pd.Timestamp | None:
    return None if offset is None else DAY0 + pd.Timedelta(days=offset)


def codes(column: str, table: str) -> st.SearchStrategy:
    return st.sampled_from(schema.TABLES[table].column(column).code_values())


offsets = st.integers(min_value=-400, max_value=120)


@st.composite
def rows_of(draw, table: str) -> list[dict]:
    rows = []
    for i in range(draw(st.integers(0, 5))):
        at, eid = draw(offsets), draw(st.sampled_from(IDS))
        if table == "inspections":
            row = {"inspection_id": f"I{i}", "enterprise_id": eid, "date": day(at), "mode": draw(codes("mode", table))}
        elif table == "hazards":
            deadline = draw(st.one_of(st.none(), st.integers(0, 60)))
            rectified = draw(st.one_of(st.none(), st.integers(0, 150)))
            row = {"hazard_id": f"H{i}", "enterprise_id": eid, "found_date": day(at), "level": draw(codes("level", table)),
                   "deadline": day(None if deadline is None else at + deadline),
                   "rectified_date": day(None if rectified is None else at + rectified)}
        elif table == "status_events":
            row = {"enterprise_id": eid, "date": day(at + i * 1000), "status": draw(codes("status", table)),  # distinct days
                   "approved": draw(st.one_of(st.none(), st.booleans()))}
        elif table == "penalties":
            row = {"penalty_id": f"P{i}", "enterprise_id": eid, "date": day(at), "kind": draw(codes("kind", table))}
        else:
            row = {"accident_id": f"A{i}", "enterprise_id": eid, "date": day(at), "severity": draw(codes("severity", table))}
        rows.append(row)
    return rows


@st.composite
def counties(draw) -> dict[str, pd.DataFrame]:
    enterprises = [{"enterprise_id": eid, "name": eid, "town_id": "T1", "sector": draw(codes("sector", "enterprises")),
                    "status": draw(codes("status", "enterprises")),
                    "established": day(draw(st.one_of(st.none(), st.integers(-2000, 60))))} for eid in IDS]
    tables = {"towns": typed("towns", [{"town_id": "T1", "name": "一镇"}]), "enterprises": typed("enterprises", enterprises)}
    for name in RECORDED_TABLES:
        tables[name] = typed(name, draw(rows_of(name)))
    return tables


def v1(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables without the contract v2 column."""
    return {name: frame.drop(columns=[RECORDED_DATE], errors="ignore") for name, frame in tables.items()}


def blank(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every table of ``RECORDED_TABLES`` with an empty ``recorded_date``."""
    return {name: frame.assign(**{RECORDED_DATE: pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")})
            if name in RECORDED_TABLES else frame for name, frame in v1(tables).items()}


def assert_same_snapshot(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> None:
    left, right = Snapshot.from_tables(a, as_of), Snapshot.from_tables(b, as_of)
    assert set(left.tables) == set(right.tables)
    for name in left.tables:
        pd.testing.assert_frame_equal(v1(left.as_dict())[name].reset_index(drop=True),
                                      v1(right.as_dict())[name].reset_index(drop=True))
    pd.testing.assert_frame_equal(build_features(left), build_features(right))


def late_record(draw, tables: dict[str, pd.DataFrame]) -> tuple[str, int, int]:
    """A table of ``RECORDED_TABLES`` with rows, one of its rows and a lag of days (1 or more)."""
    names = [n for n in RECORDED_TABLES if len(tables[n])]
    name = draw(st.sampled_from(names))
    return name, draw(st.integers(0, len(tables[name]) - 1)), draw(st.integers(1, 90))


@SETTINGS
@given(data=st.data(), tables=counties(), at=st.integers(-200, 120))
def test_an_empty_recorded_date_changes_nothing(data, tables, at):
    as_of = day(at)
    assert_same_snapshot(blank(tables), v1(tables), as_of)
    pd.testing.assert_frame_equal(build_labels(blank(tables), as_of), build_labels(v1(tables), as_of))


@SETTINGS
@given(data=st.data(), tables=counties())
def test_a_record_entered_late_is_unknown_until_entered_and_then_as_if_entered_on_time(data, tables):
    if not any(len(tables[n]) for n in RECORDED_TABLES):
        return
    name, row, lag = late_record(data.draw, tables)
    column = schema.TABLES[name].date_column
    own = tables[name][column].iloc[row]
    entered = own + pd.Timedelta(days=lag)
    on_time = blank(tables)
    late = {**on_time, name: on_time[name].copy()}
    late[name].loc[row, RECORDED_DATE] = entered
    moved = {**on_time, name: on_time[name].copy()}
    moved[name].loc[row, column] = entered  # the same record, dated the day it was entered

    before = own + pd.Timedelta(days=data.draw(st.integers(0, lag - 1)))  # known by date, not yet entered
    assert_same_snapshot(late, moved, before)
    key = schema.TABLES[name].key
    if key:
        assert tables[name][key].iloc[row] not in set(Snapshot.from_tables(late, before)[name][key])
    after = entered + pd.Timedelta(days=data.draw(st.integers(0, 60)))
    assert_same_snapshot(late, on_time, after)
    earlier = own - pd.Timedelta(days=data.draw(st.integers(1, 120)))  # a label of a day before the record
    pd.testing.assert_frame_equal(build_labels(late, earlier), build_labels(on_time, earlier))
