"""Suspected restarts read from the store (analytics.snapshot.power_store): the narrow reads give exactly
the frame of the whole-table path, and the plan's mandatory targets with it, records entered after the
as-of date staying unknown.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.contract.frames import typed
from analytics.operations import alerts
from analytics.simulate import simulate_county
from analytics.snapshot.power import suspected_restarts
from analytics.snapshot.power_store import suspected_restarts_from_store
from analytics.snapshot.snapshot import AsOf, Snapshot
from analytics.store.database import open_store, read_tables
from analytics.store.writing import write_tables

AS_OF = AsOf.parse("2026-06-30")
FIRMS = {"E1": "industry_trade", "E2": "industry_trade", "E3": "industry_trade", "E4": "gas", "E5": "gas"}


def whole(store, as_of: AsOf) -> pd.DataFrame:
    """The path before the narrow reads: every table whole, cut, judged."""
    names = ("towns", "enterprises", "status_events", "power_usage")
    return suspected_restarts(Snapshot.from_store(store, as_of, names=names), as_of.ts)


def stored(power: list[dict], events: list[dict]):
    store = open_store("sqlite://")
    write_tables(store, {
        "towns": typed("towns", [{"town_id": "T1", "name": "一镇"}]),
        "enterprises": typed("enterprises", [{"enterprise_id": e, "name": e, "town_id": "T1", "sector": s}
                                             for e, s in FIRMS.items()]),
        "status_events": typed("status_events", events), "power_usage": typed("power_usage", power),
    })
    return store


def months(eid: str, kwh: list[float], first: str = "2026-01-01") -> list[dict]:
    starts = pd.date_range(first, periods=len(kwh), freq="MS")
    return [{"enterprise_id": eid, "period_start": s, "period_end": s + pd.offsets.MonthEnd(0), "kwh": k}
            for s, k in zip(starts, kwh, strict=True)]


def event(eid: str, date: str, status: str = "suspended", recorded: str | None = None) -> dict:
    return {"enterprise_id": eid, "date": pd.Timestamp(date), "status": status,
            "recorded_date": pd.Timestamp(recorded or date)}


def test_a_firm_without_a_baseline_of_its_own_is_judged_against_its_whole_sector():
    # E3 is metered only since its stop: judged against the median of E1's and E2's own baselines (the
    # sector read); E4 runs in a stop recorded only in July, unknown on June 30 and known on July 31
    power = (months("E1", [3000] * 7) + months("E2", [9000] * 7) + months("E3", [5000, 5000], "2026-05-01")
             + months("E4", [3000, 3000, 3000, 3000, 3000, 3000, 3000]) + months("E5", [100] * 7))
    store = stored(power, [event("E3", "2026-04-20"), event("E4", "2026-05-01", recorded="2026-07-10")])
    found = suspected_restarts_from_store(store, AS_OF)
    pd.testing.assert_frame_equal(found, whole(store, AS_OF))
    assert found["enterprise_id"].tolist() == ["E3"] and found["baseline_source"].tolist() == ["sector"]
    later = AsOf.parse("2026-07-31")
    pd.testing.assert_frame_equal(suspected_restarts_from_store(store, later), whole(store, later))
    assert set(suspected_restarts_from_store(store, later)["enterprise_id"]) == {"E3", "E4"}
    store.dispose()


def test_no_candidate_and_no_power_give_the_whole_paths_empty_frame():
    store = stored(months("E1", [3000] * 6), [])
    pd.testing.assert_frame_equal(suspected_restarts_from_store(store, AS_OF), whole(store, AS_OF))
    empty = open_store("sqlite://")
    write_tables(empty, {"towns": typed("towns", [{"town_id": "T1", "name": "一镇"}]),
                         "enterprises": typed("enterprises", [{"enterprise_id": "E1", "name": "E1", "town_id": "T1",
                                                               "sector": "gas"}])})
    pd.testing.assert_frame_equal(suspected_restarts_from_store(empty, AS_OF), whole(empty, AS_OF))
    store.dispose()
    empty.dispose()


offsets = st.integers(min_value=-300, max_value=120)


@st.composite
def worlds(draw) -> tuple[list[dict], list[dict]]:
    """Power and status changes of every firm, some ending or entered after ``AS_OF``."""
    power, events = [], []
    for eid in FIRMS:
        start = AS_OF.ts + pd.Timedelta(days=draw(offsets))
        for _ in range(draw(st.integers(0, 8))):
            length = draw(st.integers(1, 40))
            power.append({"enterprise_id": eid, "period_start": start, "period_end": start + pd.Timedelta(days=length - 1),
                          "kwh": float(draw(st.sampled_from([0, 5, 50, 900, 1000, 1100, 3000])) * length)})
            start = start + pd.Timedelta(days=length + draw(st.integers(0, 5)))
        for date in sorted({AS_OF.ts + pd.Timedelta(days=d) for d in draw(st.lists(offsets, max_size=3))}):
            events.append({"enterprise_id": eid, "date": date, "recorded_date": date + pd.Timedelta(days=draw(st.integers(0, 30))),
                           "status": draw(st.sampled_from(["operating", "suspended", "retrofit"]))})
    return power, events


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.integers(min_value=-60, max_value=60))
def test_the_narrow_reads_give_the_whole_tables_suspects_on_any_day(world, shift):
    store = stored(*world)
    as_of = AS_OF.plus(shift)
    pd.testing.assert_frame_equal(suspected_restarts_from_store(store, as_of), whole(store, as_of))
    store.dispose()


@pytest.fixture(scope="module")
def county_store():
    county = simulate_county(3000, seed=7)
    store = open_store("sqlite://")
    write_tables(store, county.tables)
    yield store, AsOf.parse(county.as_of)
    store.dispose()


def test_a_simulated_countys_mandatory_targets_are_those_of_the_whole_tables(county_store, monkeypatch):
    store, as_of = county_store
    for day in (as_of, as_of.plus(-45)):
        narrow = alerts.mandatory_targets(store, day)
        given = alerts.mandatory_targets(store, day, enterprises=read_tables(store, names=("enterprises",))["enterprises"])
        pd.testing.assert_frame_equal(given, narrow)  # the enterprises a caller read are those it would read
        with monkeypatch.context() as patched:
            patched.setattr(alerts, "suspected_restarts_from_store", lambda s, d, thresholds, enterprises=None: whole(s, d))
            pd.testing.assert_frame_equal(narrow, alerts.mandatory_targets(store, day))
        assert (narrow["kind"] == "suspected_restart").any()
