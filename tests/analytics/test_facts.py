"""The derived facts (analytics.snapshot.facts): one definition of hazard state, overdue, unapproved
restart and the list's flags, and every page, list and feature that reads them agrees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import summary_county as county
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.contract import frames
from analytics.snapshot import facts
from analytics.snapshot.snapshot import AsOf, Snapshot
from analytics.snapshot.timeline import as_known_on

DAY0 = pd.Timestamp("2026-01-01")
AS_OF = DAY0 + pd.Timedelta(days=60)


# --- hazards ------------------------------------------------------------------------------------
def _hazards(rows: list[tuple[int, int | None, int | None]]) -> pd.DataFrame:
    """Hazards from (found, deadline, rectified) day offsets after DAY0 (None: not given)."""
    day = lambda offset: None if offset is None else (DAY0 + pd.Timedelta(days=offset)).date().isoformat()  # noqa: E731
    return frames.typed("hazards", [
        {"hazard_id": f"H{i}", "enterprise_id": f"E{i % 3}", "found_date": day(found), "level": "general",
         "deadline": day(None if deadline is None else found + deadline),
         "rectified_date": day(None if rectified is None else found + rectified)}
        for i, (found, deadline, rectified) in enumerate(rows)
    ])


def test_the_summary_county_hazards_stand_as_hand_checked() -> None:
    hazards = as_known_on(county.tables(), county.AS_OF)["hazards"].set_index("hazard_id")
    state = facts.hazard_state(hazards, county.AS_OF)
    assert state.astype(object).to_dict() == {
        "H1": "rectified_on_time", "H2": "rectified_late", "H3": "overdue", "H4": "open",
        "H5": "overdue", "H6": "overdue", "H7": "rectified_late",
    }
    assert facts.days_overdue(hazards, county.AS_OF).dropna().to_dict() == {"H3": 19, "H5": 9, "H6": 1}


def test_a_hazard_is_overdue_from_the_day_after_its_deadline() -> None:
    hazards = _hazards([(0, 10, None)])
    deadline = DAY0 + pd.Timedelta(days=10)
    assert not facts.overdue_mask(hazards, deadline).iloc[0]
    assert facts.overdue_mask(hazards, deadline + pd.Timedelta(days=1)).iloc[0]
    assert facts.hazard_state(hazards, deadline).iloc[0] == "open"


def test_no_deadline_is_never_overdue_and_rectified_counts_as_on_time() -> None:
    hazards = _hazards([(0, None, None), (0, None, 400)])
    later = DAY0 + pd.Timedelta(days=500)
    assert not facts.overdue_mask(hazards, later).any()
    assert facts.hazard_state(hazards, later).astype(object).tolist() == ["open", "rectified_on_time"]


hazard_rows = st.lists(st.tuples(st.integers(0, 50), st.none() | st.integers(0, 30), st.none() | st.integers(0, 40)),
                       min_size=1, max_size=25)


@given(rows=hazard_rows, as_of_offset=st.integers(0, 120))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_overdue_iff_open_and_past_the_deadline(rows, as_of_offset) -> None:
    as_of = DAY0 + pd.Timedelta(days=as_of_offset)
    hazards = as_known_on({"enterprises": county.tables()["enterprises"], "hazards": _hazards(rows)}, as_of)["hazards"]
    overdue = facts.overdue_mask(hazards, as_of)
    expected = hazards["rectified_date"].isna() & (hazards["deadline"] < as_of).fillna(False)
    assert overdue.tolist() == expected.astype(bool).tolist()
    state = facts.hazard_state(hazards, as_of).astype(object)
    assert (state == "overdue").tolist() == overdue.tolist()
    assert state.isin(facts.OPEN_STATES).tolist() == facts.open_mask(hazards).tolist()
    days = facts.days_overdue(hazards, as_of)
    assert days.notna().tolist() == overdue.tolist() and (days.dropna() >= 1).all()


# --- status changes -----------------------------------------------------------------------------
STATUSES = ("operating", "suspended", "retrofit", "closed")
REASONS = (None, "rectification_order", "power_rationing")
events_strategy = st.lists(
    st.tuples(st.sampled_from(["E0", "E1", "E2"]), st.integers(0, 120), st.sampled_from(STATUSES),
              st.sampled_from(REASONS), st.sampled_from([None, True, False])),
    max_size=30,
)


def _events(rows) -> pd.DataFrame:
    return frames.typed("status_events", [
        {"enterprise_id": firm, "date": (DAY0 + pd.Timedelta(days=day)).date().isoformat(), "status": status,
         "reason": reason if status != "operating" else None, "approved": approved}
        for firm, day, status, reason, approved in rows
    ])


def _by_firm_in_time(events: pd.DataFrame):
    """(position, row) per firm in date order, table order within a day: a plain reference walk."""
    for _, rows in events.reset_index(drop=True).groupby("enterprise_id", sort=True):
        yield rows.sort_values("date", kind="stable")


@given(rows=events_strategy)
@settings(max_examples=150, deadline=None)
def test_an_unapproved_restart_is_a_return_to_operating_with_approved_false(rows) -> None:
    events = _events(rows)
    unapproved = facts.unapproved_restart_mask(events)
    expected = [status == "operating" and approved is False for _, _, status, _, approved in rows]
    assert unapproved.tolist() == expected
    restart = facts.restart_mask(events)
    assert not (unapproved & ~restart).any()  # every unapproved restart is a restart
    reference = pd.Series(False, index=events.index)
    for firm_rows in _by_firm_in_time(events):
        previous = None
        for position, row in firm_rows.iterrows():
            after_stop = previous is not None and previous in ("suspended", "retrofit")
            reference[position] = row["status"] == "operating" and (after_stop or pd.notna(row["approved"]))
            previous = row["status"]
    assert restart.tolist() == reference.tolist()


@given(rows=events_strategy, as_of_offset=st.integers(0, 150), window=st.integers(1, 90),
       reason=st.sampled_from([None, "rectification_order"]))
@settings(max_examples=150, deadline=None)
def test_recent_unapproved_restarts_by_firm_match_a_plain_walk(rows, as_of_offset, window, reason) -> None:
    events = _events(rows)
    as_of = DAY0 + pd.Timedelta(days=as_of_offset)
    found = facts.unapproved_restarts(events, as_of, window_days=window, after_stop_reason=reason)
    expected: dict[str, pd.Timestamp] = {}
    for firm_rows in _by_firm_in_time(events):
        last_stop_reason = None
        for _, row in firm_rows.iterrows():
            recent = as_of - pd.Timedelta(days=window) < row["date"] <= as_of
            after = reason is None or last_stop_reason == reason
            if row["status"] == "operating" and row["approved"] is False and recent and after:
                expected[row["enterprise_id"]] = max(expected.get(row["enterprise_id"], row["date"]), row["date"])
            if row["status"] != "operating" and pd.notna(row["reason"]):
                last_stop_reason = row["reason"]
    assert found.to_dict() == expected


def test_the_window_is_named_and_its_first_day_is_out() -> None:
    events = _events([("E0", 0, "suspended", "rectification_order", None), ("E0", 10, "operating", None, False)])
    restart = DAY0 + pd.Timedelta(days=10)
    last_in = restart + pd.Timedelta(days=facts.RESTART_WINDOW_DAYS - 1)
    assert list(facts.unapproved_restarts(events, last_in).index) == ["E0"]
    assert facts.unapproved_restarts(events, last_in + pd.Timedelta(days=1)).empty


# --- the list's flags ---------------------------------------------------------------------------
def test_flags_as_known_on_the_day() -> None:
    flags = facts.enterprise_flags(as_known_on(county.tables(), county.AS_OF), county.AS_OF)
    assert flags.loc["E1"].to_dict() == {"unapproved_restart": False, "unqualified_outsourcing": False,
                                         "hazardous_chemicals": False, "overdue_hazards": True}
    assert flags.loc["E2", "unapproved_restart"] and flags.loc["E2", "hazardous_chemicals"]
    assert flags.loc["E3", "unqualified_outsourcing"]
    day = pd.Timestamp("2026-01-05")
    assert not facts.enterprise_flags(as_known_on(county.tables(), day), day).loc["E2", "unapproved_restart"]


later_records = st.lists(
    st.tuples(st.sampled_from(["E1", "E2", "E3"]), st.integers(1, 400), st.sampled_from(["status", "hazard", "contract"]),
              st.booleans()),
    max_size=12,
)


@given(records=later_records, rectify_later=st.booleans())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_flags_never_see_a_later_record(records, rectify_later) -> None:
    """Records dated after the as-of date (and a later rectification of an overdue hazard) change no flag."""
    tables = county.tables()
    before = facts.enterprise_flags(as_known_on(tables, county.AS_OF), county.AS_OF)
    day = lambda offset: (county.AS_OF + pd.Timedelta(days=offset)).date().isoformat()  # noqa: E731
    status = [{"enterprise_id": e, "date": day(d), "status": "operating", "approved": flag} for e, d, kind, flag in records
              if kind == "status"]
    hazards = [{"hazard_id": f"L{i}", "enterprise_id": e, "found_date": day(d), "level": "general", "deadline": day(d)}
               for i, (e, d, kind, _) in enumerate(records) if kind == "hazard"]
    contracts = [{"contract_id": f"LC{i}", "enterprise_id": e, "contractor": "后来的队伍", "start_date": day(d),
                  "end_date": day(d + 30), "contractor_qualified": flag} for i, (e, d, kind, flag) in enumerate(records)
                 if kind == "contract"]
    grown = dict(tables)
    grown["status_events"] = pd.concat([tables["status_events"], frames.typed("status_events", status)], ignore_index=True)
    grown["hazards"] = pd.concat([tables["hazards"], frames.typed("hazards", hazards)], ignore_index=True)
    grown["contracts"] = pd.concat([tables["contracts"], frames.typed("contracts", contracts)], ignore_index=True)
    if rectify_later:
        grown["hazards"] = grown["hazards"].assign(
            rectified_date=grown["hazards"]["rectified_date"].fillna(county.AS_OF + pd.Timedelta(days=1)))
    after = facts.enterprise_flags(as_known_on(grown, county.AS_OF), county.AS_OF)
    pd.testing.assert_frame_equal(before, after)


def test_a_snapshot_gives_the_flags_of_its_own_date() -> None:
    snapshot = Snapshot.from_tables(county.tables(), county.AS_OF)
    pd.testing.assert_frame_equal(facts.enterprise_flags(snapshot),
                                  facts.enterprise_flags(as_known_on(county.tables(), county.AS_OF), county.AS_OF))


def test_flags_round_trip_through_their_stored_text() -> None:
    flags = facts.enterprise_flags(as_known_on(county.tables(), county.AS_OF), county.AS_OF)
    text = facts.encode_flags(flags)
    assert text.to_dict() == {"E1": "overdue_hazards", "E2": "unapproved_restart,hazardous_chemicals,overdue_hazards",
                              "E3": "unqualified_outsourcing,overdue_hazards", "E4": ""}
    assert facts.decode_flags(text).astype(bool).equals(flags)
    old = facts.decode_flags(pd.Series([None, ""], dtype=object))
    assert old.iloc[0].isna().all() and not old.iloc[1].any()


# --- every reader agrees, on the sample county ---------------------------------------------------
@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The shipped sample county in a store, and its list of 2026-11-15 scored, stored and read back."""
    from analytics.features import build_features
    from analytics.models.scorecard import RuleOfThumb
    from analytics.risk import risklist
    from analytics.store.database import open_store, read_tables
    from analytics.store.ingest import import_files
    from saferank.demo import SAMPLE_AS_OF, SAMPLE_COUNTY

    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('facts')}/store.db")
    import_files(store, SAMPLE_COUNTY)
    tables = read_tables(store)
    snapshot = Snapshot.from_store(store, AsOf.parse(SAMPLE_AS_OF))
    features = build_features(snapshot)
    risklist.save_risk_list(store, risklist.score_enterprises(snapshot, RuleOfThumb().fit(features), "rot"))
    yield tables, snapshot.as_of.ts, features, risklist.read_risk_list(store, as_of=snapshot.as_of)
    store.dispose()


def test_overdue_is_counted_the_same_by_the_overview_follow_up_bulletin_features_and_list(sample) -> None:
    from analytics.operations import bulletin, followup
    from analytics.views import overview

    tables, as_of, features, stored = sample
    overdue = followup.overdue_list(tables, as_of)
    # The sample county has a backlog, so the comparison means something. Since the sample is the harder
    # world (issue 16: 96 % of general hazards closed on time, a small hard core late) it is 22 overdue
    # hazards on 2026-11-15 (0.011 per firm, like Sichuan's 0.05 open per firm), no longer the flatter
    # world's 1,537; the bar was > 100.
    assert len(overdue) >= 15
    headline = overview.headline_figures(tables, as_of).loc["overdue", "value"]
    states = followup.states_by(tables, as_of, "town")["overdue"].sum()
    since_ever = bulletin.group_bulletin(tables, tables["hazards"]["found_date"].min(), as_of).totals["overdue"]
    matrix = overview.town_sector_matrix(tables, as_of, "overdue").to_numpy().sum()
    assert headline == states == since_ever == len(overdue)
    on_list = overdue.loc[overdue["enterprise_id"].astype(str).isin(features.index)]
    assert matrix == len(overdue.loc[overdue["enterprise_id"].astype(str).isin(
        as_known_on(tables, as_of)["enterprises"]["enterprise_id"].astype(str))])
    per_firm = on_list.groupby(on_list["enterprise_id"].astype(str)).size()
    assert features["overdue_hazards"].sum() == len(on_list)
    assert features["overdue_hazards"].loc[per_firm.index].astype(int).tolist() == per_firm.tolist()
    flagged = set(stored.loc[stored["overdue_hazards"].astype(bool), "enterprise_id"].astype(str))
    assert flagged == set(per_firm.index) and len(flagged) == int((features["overdue_hazards"] > 0).sum())


def test_places_and_dispositions_count_open_and_overdue_as_the_features_do(sample) -> None:
    from analytics.operations import dispositions, lists

    tables, as_of, features, stored = sample
    places = lists.places_list(tables, as_of, stored).set_index("enterprise_id")
    assert len(places) > 0
    assert places["overdue_hazards"].tolist() == features.loc[places.index, "overdue_hazards"].astype(int).tolist()
    assert places["open_hazards"].tolist() == features.loc[places.index, "open_hazards"].astype(int).tolist()
    found = dispositions.enterprise_facts(tables, as_of, dispositions.DispositionRules())
    flags = stored.set_index(stored["enterprise_id"].astype(str))
    # "after a stop order" narrows the list's flag: every such firm carries the flag
    after_order = set(found.index[found["unapproved_restart"]].astype(str))
    assert after_order and after_order <= set(flags.index[flags["unapproved_restart"].astype(bool)])


def test_the_status_feature_and_the_list_flag_read_the_same_restarts(sample) -> None:
    tables, as_of, features, stored = sample
    flags = stored.set_index(stored["enterprise_id"].astype(str))["unapproved_restart"].astype(bool)
    recent = features["days_since_unapproved_restart"] < facts.RESTART_WINDOW_DAYS
    assert recent.sum() > 0
    assert recent.reindex(flags.index, fill_value=False).tolist() == flags.tolist()


def test_the_stored_flags_are_what_the_facts_say_on_the_list_s_date(sample) -> None:
    tables, as_of, _, stored = sample
    expected = facts.enterprise_flags(as_known_on(tables, as_of), as_of).reindex(stored["enterprise_id"].astype(object))
    got = stored.set_index(stored["enterprise_id"].astype(object))[list(facts.FLAG_CODES)].astype(bool)
    pd.testing.assert_frame_equal(got, expected, check_names=False)
    assert np.all(stored[list(facts.FLAG_CODES)].notna())
