"""The ``power`` family and the suspected restarts it reads (analytics.snapshot.power).

Unit cases on small tables, and the point-in-time property: power periods ending after the as-of date,
and status changes recorded after it, change no suspicion and no feature value; the result equals the
one from tables truncated by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.contract.errors import UserError
from analytics.contract.frames import typed
from analytics.features import build_features
from analytics.features.registry import family_features
from analytics.snapshot.power import PowerThresholds, judged_periods, suspected_restarts
from analytics.snapshot.snapshot import Snapshot

AS_OF = pd.Timestamp("2026-06-30")
IDS = ("E1", "E2", "E3")


def months(eid: str, kwh: list[float], first: str = "2026-01-01") -> list[dict]:
    starts = pd.date_range(first, periods=len(kwh), freq="MS")
    return [{"enterprise_id": eid, "period_start": s, "period_end": s + pd.offsets.MonthEnd(0), "kwh": k}
            for s, k in zip(starts, kwh)]


def county(power: list[dict], events: list[dict], sectors: tuple[str, ...] = ("industry_trade",) * 3) -> dict:
    return {
        "towns": typed("towns", [{"town_id": "T1", "name": "一镇"}]),
        "enterprises": typed("enterprises", [{"enterprise_id": e, "name": e, "town_id": "T1", "sector": s}
                                             for e, s in zip(IDS, sectors)]),
        "inspections": typed("inspections", []), "hazards": typed("hazards", []),
        "status_events": typed("status_events", events), "power_usage": typed("power_usage", power),
    }


def stop(eid: str, date: str, status: str = "retrofit", **extra) -> dict:
    return {"enterprise_id": eid, "date": pd.Timestamp(date), "status": status, **extra}


def test_a_firm_running_during_a_recorded_retrofit_is_suspected_with_its_evidence():
    # E1 runs at ~3000 kWh a month, is recorded in retrofit from April, and draws full power in May and June
    power = months("E1", [3100, 2800, 3100, 60, 3100, 3000]) + months("E2", [3000, 3000, 3000, 90, 93, 90])
    tables = county(power, [stop("E1", "2026-04-01"), stop("E2", "2026-04-01")])
    found = suspected_restarts(Snapshot.from_tables(tables, AS_OF), AS_OF)
    assert found["enterprise_id"].tolist() == ["E1"]
    row = found.iloc[0]
    assert row["periods"] == "2026-05-01..2026-05-31,2026-06-01..2026-06-30"
    assert row["first_flagged"] == pd.Timestamp("2026-05-31")
    assert row["kwh"] == pytest.approx(6100)
    assert row["baseline_source"] == "own"
    assert row["baseline_kwh_per_day"] == pytest.approx(3100 / 31, rel=1e-3)  # the median month
    assert 0.9 < row["ratio"] < 1.1 and 0 < row["confidence"] <= 1


def test_a_recorded_restart_clears_the_suspicion_and_the_threshold_is_configurable():
    power = months("E1", [3100, 2800, 3100, 60, 3100, 3000])
    restarted = county(power, [stop("E1", "2026-04-01"), stop("E1", "2026-05-01", "operating", approved=True)])
    assert suspected_restarts(Snapshot.from_tables(restarted, AS_OF), AS_OF).empty
    half = months("E1", [3100, 2800, 3100, 60, 1200, 1200])
    tables = county(half, [stop("E1", "2026-04-01")])
    snapshot = Snapshot.from_tables(tables, AS_OF)
    assert suspected_restarts(snapshot, AS_OF)["enterprise_id"].tolist() == ["E1"]  # 0.39 of the baseline
    assert suspected_restarts(snapshot, AS_OF, PowerThresholds(ratio_threshold=0.5)).empty
    with pytest.raises(UserError):
        PowerThresholds(ratio_threshold=0)


def test_a_firm_without_a_baseline_of_its_own_is_judged_against_its_sector_with_less_confidence():
    # E3 was stopped before its first metered period: only its sector's firms tell what running draws
    power = months("E1", [3000] * 6) + months("E2", [3200] * 6) + months("E3", [3000, 3100, 2900], "2026-04-01")
    tables = county(power, [stop("E3", "2025-12-01", "suspended")])
    found = suspected_restarts(Snapshot.from_tables(tables, AS_OF), AS_OF)
    assert found["enterprise_id"].tolist() == ["E3"]
    assert found.loc[0, "baseline_source"] == "sector"
    own = county(months("E3", [3000, 3000, 3000, 3000, 3000, 3000]),
                 [stop("E3", "2026-04-01", "suspended")])
    assert suspected_restarts(Snapshot.from_tables(own, AS_OF), AS_OF).loc[0, "confidence"] > found.loc[0, "confidence"]


def test_a_period_straddling_a_status_change_is_neither_evidence_nor_baseline():
    power = months("E1", [3000, 3000, 3000, 3000, 3000, 3000])
    tables = county(power, [stop("E1", "2026-04-15")])
    periods = judged_periods(Snapshot.from_tables(tables, AS_OF), AS_OF)
    april = periods.loc[periods["period_start"] == pd.Timestamp("2026-04-01")].iloc[0]
    assert not april["under_stop"]
    assert periods["under_stop"].tolist() == [False, False, False, False, True, True]


def test_the_power_family_is_built_only_with_power_data():
    power = months("E1", [3100, 2800, 3100, 60, 3100, 3000])
    tables = county(power, [stop("E1", "2026-04-01")])
    matrix = build_features(tables, AS_OF)
    assert set(family_features("power")) <= set(matrix.columns)
    assert matrix.loc["E1", "power_suspected_restart"] == 1.0
    assert matrix.loc["E2", "power_suspected_restart"] == 0.0
    assert pd.isna(matrix.loc["E2", "power_stop_ratio"])
    del tables["power_usage"]
    assert not set(family_features("power")) & set(build_features(tables, AS_OF).columns)


# --- point in time ------------------------------------------------------------------------------
offsets = st.integers(min_value=-300, max_value=120)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def worlds(draw) -> tuple[list[dict], list[dict]]:
    power, events = [], []
    for eid in IDS:
        start = AS_OF + pd.Timedelta(days=draw(offsets))
        for _ in range(draw(st.integers(0, 8))):
            length = draw(st.integers(1, 40))
            power.append({"enterprise_id": eid, "period_start": start, "period_end": start + pd.Timedelta(days=length - 1),
                          "kwh": float(draw(st.sampled_from([0, 5, 50, 900, 1000, 1100])) * length)})
            start = start + pd.Timedelta(days=length + draw(st.integers(0, 5)))
        for _ in range(draw(st.integers(0, 3))):
            date = AS_OF + pd.Timedelta(days=draw(offsets))
            recorded = date + pd.Timedelta(days=draw(st.integers(0, 30)))
            events.append({"enterprise_id": eid, "date": date, "recorded_date": recorded,
                           "status": draw(st.sampled_from(["operating", "suspended", "retrofit"])),
                           "approved": draw(st.one_of(st.none(), st.booleans()))})
    return power, events


def _known_by_hand(power: list[dict], events: list[dict]) -> tuple[list[dict], list[dict]]:
    return ([p for p in power if p["period_end"] <= AS_OF],
            [e for e in events if max(e["date"], e["recorded_date"]) <= AS_OF])


def _power_matrix(tables: dict) -> pd.DataFrame:
    return build_features(tables, AS_OF, families=["power"])


@SETTINGS
@given(worlds(), worlds())
def test_records_known_after_the_as_of_date_change_no_suspicion_and_no_power_feature(world, other):
    power, events = world
    past_power, past_events = _known_by_hand(power, events)
    later_power = [p for p in other[0] if p["period_start"] > max([q["period_end"] for q in power], default=AS_OF)
                   and p["period_end"] > AS_OF]
    later_events = [e for e in other[1] if max(e["date"], e["recorded_date"]) > AS_OF]
    full = county(power, events)
    mixed = county(past_power + later_power, past_events + later_events)
    truncated = county(past_power, past_events)
    pd.testing.assert_frame_equal(_power_matrix(full), _power_matrix(mixed))
    pd.testing.assert_frame_equal(_power_matrix(full), _power_matrix(truncated))
    a = suspected_restarts(Snapshot.from_tables(full, AS_OF), AS_OF)
    b = suspected_restarts(Snapshot.from_tables(truncated, AS_OF), AS_OF)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 30), st.booleans()), max_size=25),
       st.lists(st.tuples(st.integers(0, 5), st.integers(-3, 33)), min_size=1, max_size=40))
def test_the_last_change_lookup_is_merge_asofs_by_firm(changes, periods):
    """``power._last_change`` (one searchsorted) answers what ``merge_asof(by=firm, direction="backward")``
    answered before it: the latest change on or before each date, of equal dates the later row."""
    from analytics.snapshot.power import _last_change

    day = pd.Timestamp("2026-01-01")
    change = pd.DataFrame({"firm": [c[0] for c in changes], "date": [day + pd.Timedelta(days=c[1]) for c in changes],
                           "stopped": [c[2] for c in changes]}).astype({"firm": "int64", "date": "datetime64[ns]",
                                                                         "stopped": bool})
    period = pd.DataFrame({"row": range(len(periods)), "firm": [p[0] for p in periods],
                           "when": [day + pd.Timedelta(days=p[1]) for p in periods]}) \
        .astype({"firm": "int64", "when": "datetime64[ns]"})
    merged = pd.merge_asof(period.sort_values("when", kind="stable"), change.sort_values("date", kind="stable"),
                           left_on="when", right_on="date", by="firm", direction="backward").set_index("row").sort_index()
    date, stopped = _last_change(period["firm"].to_numpy(), period["when"].to_numpy(), change["firm"].to_numpy(),
                                 change["date"].to_numpy(), change["stopped"].to_numpy())
    assert (pd.Series(date).equals(pd.Series(merged["date"].to_numpy(dtype="datetime64[ns]"))))
    assert (stopped == merged["stopped"].astype("boolean").fillna(False).to_numpy(dtype=bool)).all()


def test_own_baselines_are_the_own_baselines_judged_periods_judges_by():
    """``own_baselines`` (the baselines alone) gives what the periods judged against their firm's own
    baseline say, firm by firm in the order of their first period."""
    from analytics.snapshot.power import own_baselines

    tables = county(months("E2", [900, 1000, 1100, 20, 30]) + months("E1", [500, 520, 540, 560, 10, 12])
                    + months("E3", [400]),
                    [{"enterprise_id": "E1", "date": pd.Timestamp("2026-05-01"), "status": "suspended"},
                     {"enterprise_id": "E2", "date": pd.Timestamp("2026-03-15"), "status": "retrofit"},
                     {"enterprise_id": "E2", "date": pd.Timestamp("2026-03-15"), "status": "operating"}],
                    sectors=("industry_trade", "construction", "industry_trade"))
    known = Snapshot.from_tables(tables, AS_OF)
    periods = judged_periods(known, AS_OF)
    own = periods.loc[periods["baseline_source"] == "own"].drop_duplicates("enterprise_id")
    expected = pd.DataFrame({"enterprise_id": own["enterprise_id"].to_numpy(),
                             "sector": own["enterprise_id"].map({"E1": "industry_trade", "E2": "construction",
                                                                 "E3": "industry_trade"}).to_numpy(),
                             "baseline": own["baseline_kwh_per_day"].to_numpy(dtype="float64")})
    assert list(expected["enterprise_id"]) == ["E2", "E1"]
    pd.testing.assert_frame_equal(own_baselines(known, AS_OF), expected)
