"""What was known on an as-of date: the point-in-time rules every feature relies on."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.contract import frames
from analytics.snapshot import timeline


def _tables() -> dict[str, pd.DataFrame]:
    return {
        "towns": frames.typed("towns", [{"town_id": "T1", "name": "城关镇"}]),
        "enterprises": frames.typed(
            "enterprises",
            [
                {"enterprise_id": "E1", "name": "甲", "town_id": "T1", "sector": "mining", "status": "operating",
                 "established": "2020-01-01"},
                {"enterprise_id": "E2", "name": "乙", "town_id": "T1", "sector": "gas", "established": "2026-01-01"},
                {"enterprise_id": "E3", "name": "丙", "town_id": "T1", "sector": "gas", "status": "closed"},
            ],
        ),
        "status_events": frames.typed(
            "status_events",
            [
                {"enterprise_id": "E1", "date": "2025-01-01", "status": "suspended", "reason": "power_rationing"},
                {"enterprise_id": "E1", "date": "2025-06-01", "status": "operating", "approved": False},
            ],
        ),
        "inspections": frames.typed(
            "inspections",
            [
                {"inspection_id": "I1", "enterprise_id": "E1", "date": "2025-02-01"},
                {"inspection_id": "I2", "enterprise_id": "E1", "date": "2025-09-01"},
            ],
        ),
        "hazards": frames.typed(
            "hazards",
            [{"hazard_id": "H1", "enterprise_id": "E1", "inspection_id": "I1", "found_date": "2025-02-01",
              "level": "major", "deadline": "2025-03-01", "rectified_date": "2025-08-01"}],
        ),
    }


@pytest.mark.parametrize(
    ("as_of", "status"),
    [("2024-06-01", "operating"), ("2025-01-01", "suspended"), ("2025-03-01", "suspended"), ("2025-06-01", "operating")],
)
def test_status_is_the_one_in_force_on_the_day(as_of: str, status: str) -> None:
    known = timeline.as_known_on(_tables(), as_of)
    assert known["enterprises"].set_index("enterprise_id").loc["E1", "status"] == status


def test_before_any_recorded_change_a_firm_with_history_counts_as_operating() -> None:
    tables = _tables()
    tables["enterprises"].loc[0, "status"] = "closed"  # export status; its history starts later
    known = timeline.as_known_on(tables, "2024-05-01")
    assert known["enterprises"].set_index("enterprise_id").loc["E1", "status"] == "operating"


def test_a_firm_without_recorded_changes_keeps_its_export_status() -> None:
    known = timeline.as_known_on(_tables(), "2024-05-01")
    assert known["enterprises"].set_index("enterprise_id").loc["E3", "status"] == "closed"


def test_later_events_are_dropped_and_later_rectification_blanked() -> None:
    known = timeline.as_known_on(_tables(), "2025-05-01")
    assert known["inspections"]["inspection_id"].tolist() == ["I1"]
    assert known["hazards"]["rectified_date"].isna().all()
    assert timeline.as_known_on(_tables(), "2025-08-01")["hazards"]["rectified_date"].notna().all()


def test_enterprises_not_yet_established_are_absent_and_closed_ones_not_operating() -> None:
    known = timeline.as_known_on(_tables(), "2025-05-01")
    assert set(known["enterprises"]["enterprise_id"]) == {"E1", "E3"}
    assert timeline.operating_on(known, "2025-05-01")["enterprise_id"].tolist() == ["E1"]


def test_the_input_tables_are_not_modified() -> None:
    tables = _tables()
    before = {name: frame.copy() for name, frame in tables.items()}
    timeline.as_known_on(tables, "2025-05-01")
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_label_window_and_rolling_origins() -> None:
    start, end = timeline.label_window("2026-01-31")
    assert (end - start).days == 90
    origins = timeline.rolling_origins("2026-11-15", count=3)
    assert origins == [pd.Timestamp("2026-09-15"), pd.Timestamp("2026-10-15"), pd.Timestamp("2026-11-15")]


dates = st.dates(min_value=pd.Timestamp("2024-01-01").date(), max_value=pd.Timestamp("2026-12-31").date())


@settings(max_examples=40, deadline=None)
@given(as_of=dates, later=st.lists(st.tuples(dates, st.sampled_from(["operating", "suspended", "retrofit"])), max_size=5))
def test_events_after_the_as_of_date_change_nothing_known_on_it(as_of, later) -> None:
    """Adding any status change or inspection dated after as_of leaves what is known on as_of unchanged."""
    as_of = pd.Timestamp(as_of)
    tables = _tables()
    base = timeline.as_known_on(tables, as_of)
    extra = [
        {"enterprise_id": "E1", "date": as_of + pd.Timedelta(days=1 + (d.toordinal() % 400)), "status": s}
        for d, s in later
    ]
    grown = dict(tables)
    grown["status_events"] = pd.concat(
        [tables["status_events"], frames.typed("status_events", extra)], ignore_index=True
    )
    grown["inspections"] = pd.concat(
        [tables["inspections"], frames.typed("inspections", [
            {"inspection_id": f"X{i}", "enterprise_id": "E1", "date": row["date"]} for i, row in enumerate(extra)
        ])],
        ignore_index=True,
    )
    after = timeline.as_known_on(grown, as_of)
    pd.testing.assert_frame_equal(after["enterprises"].reset_index(drop=True), base["enterprises"].reset_index(drop=True))
    pd.testing.assert_frame_equal(after["inspections"].reset_index(drop=True), base["inspections"].reset_index(drop=True))
    pd.testing.assert_frame_equal(after["hazards"].reset_index(drop=True), base["hazards"].reset_index(drop=True))
