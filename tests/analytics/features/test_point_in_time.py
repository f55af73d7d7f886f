"""Property tests: a feature matrix depends on nothing dated after its as-of date.

1. Adding, changing or deleting any record dated after the as-of date (and any rectification after
   it) changes no feature value.
2. The matrix equals the one built from tables truncated by hand to the records up to that date.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.contract import schema
from analytics.features import build_features
from analytics.contract.frames import typed

AS_OF = pd.Timestamp("2026-06-30")
IDS = ("E1", "E2", "E3", "E4")
TOWNS = ("T1", "T2")
offsets = st.integers(min_value=-500, max_value=150)  # days from the as-of date
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def day(offset: int | None) -> pd.Timestamp | None:
    return None if offset is None else AS_OF + pd.Timedelta(days=offset)


def codes(column: str, table: str) -> st.SearchStrategy:
    return st.sampled_from(schema.TABLES[table].column(column).code_values())


@st.composite
def records(draw, table: str, n_max: int = 6) -> list[dict]:
    """Rows of ``table`` with a date offset ``_at`` (the table's known-from date)."""
    rows = []
    for i in range(draw(st.integers(0, n_max))):
        at = draw(offsets)
        eid = draw(st.sampled_from(IDS))
        if table == "inspections":
            row = {"inspection_id": f"I{i}", "enterprise_id": eid, "date": day(at), "mode": draw(codes("mode", table))}
        elif table == "hazards":
            deadline = draw(st.one_of(st.none(), st.integers(0, 60)))
            rectified = draw(st.one_of(st.none(), st.integers(0, 200)))
            row = {"hazard_id": f"H{i}", "enterprise_id": eid, "found_date": day(at), "level": draw(codes("level", table)),
                   "category": draw(codes("category", table)), "deadline": day(None if deadline is None else at + deadline),
                   "rectified_date": day(None if rectified is None else at + rectified)}
        elif table == "status_events":
            row = {"enterprise_id": eid, "date": day(at), "status": draw(codes("status", table)),
                   "approved": draw(st.one_of(st.none(), st.booleans()))}
        elif table == "special_operations":
            operators = draw(st.integers(1, 5))
            row = {"permit_id": f"W{i}", "enterprise_id": eid, "kind": draw(codes("kind", table)), "start_date": day(at),
                   "end_date": day(at + draw(st.integers(0, 10))), "contractor": draw(st.one_of(st.none(), st.just("某公司"))),
                   "operators": operators, "certified_operators": draw(st.integers(0, operators))}
        elif table == "contracts":
            row = {"contract_id": f"C{i}", "enterprise_id": eid, "contractor": "甲", "start_date": day(at),
                   "end_date": day(at + draw(st.integers(0, 400))), "contractor_qualified": draw(st.one_of(st.none(), st.booleans())),
                   "safety_agreement": draw(st.one_of(st.none(), st.booleans()))}
        elif table == "penalties":
            row = {"penalty_id": f"P{i}", "enterprise_id": eid, "date": day(at), "kind": draw(codes("kind", table)),
                   "amount_yuan": float(draw(st.integers(0, 50000)))}
        elif table == "accidents":
            row = {"accident_id": f"A{i}", "enterprise_id": eid, "date": day(at), "severity": draw(codes("severity", table)),
                   "deaths": draw(st.integers(0, 2)), "injuries": draw(st.integers(0, 3))}
        else:  # weather_alerts
            row = {"alert_id": f"W{i}", "kind": draw(codes("kind", table)), "level": draw(codes("level", table)),
                   "start_date": day(at), "end_date": day(at + draw(st.integers(0, 5))),
                   "town_id": draw(st.one_of(st.none(), st.sampled_from(TOWNS)))}
        rows.append(row)
    return rows


EVENT_TABLES = ("inspections", "hazards", "status_events", "special_operations", "contracts", "penalties", "accidents",
                "weather_alerts")


@st.composite
def counties(draw) -> dict[str, list[dict]]:
    enterprises = [{"enterprise_id": eid, "name": eid, "town_id": draw(st.sampled_from(TOWNS)),
                    "sector": draw(codes("sector", "enterprises")), "status": draw(codes("status", "enterprises")),
                    "hazardous_chemicals": draw(st.one_of(st.none(), st.booleans())),
                    "major_hazard_level": draw(st.one_of(st.none(), st.integers(0, 4))),
                    "established": day(draw(st.one_of(st.none(), st.integers(-3000, 100)))),
                    } for eid in IDS]
    rows = {name: draw(records(name)) for name in EVENT_TABLES}
    rows["enterprises"] = enterprises
    return rows


def tables_of(rows: dict[str, list[dict]]) -> dict[str, pd.DataFrame]:
    tables = {"towns": typed("towns", [{"town_id": t, "name": t} for t in TOWNS])}
    for name, table_rows in rows.items():
        tables[name] = typed(name, table_rows)
    return tables


def _date_column(name: str) -> str | None:
    return schema.TABLES[name].date_column


def past(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Only records dated up to the as-of date; later rectifications blanked (written out by hand)."""
    out = {}
    for name, table_rows in rows.items():
        column = _date_column(name)
        kept = [dict(r) for r in table_rows if column is None or r[column] <= AS_OF]
        if name == "hazards":
            for r in kept:
                if r["rectified_date"] is not None and r["rectified_date"] > AS_OF:
                    r["rectified_date"] = None
        out[name] = kept
    return out


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


def consistent(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Export statuses that later records cannot contradict: a firm with no status change on or before the
    as-of date is exported as operating.

    Why: ``enterprises.status`` is an undated snapshot taken at export. For a firm whose recorded changes
    all lie after the as-of date, ``as_known_on`` takes "operating" (its status before its first change),
    while tables truncated by hand keep the export snapshot — itself a later fact that no truncation can
    remove. The property is about dated records, so the data here keep the snapshot out of the way.
    """
    past_changes = {r["enterprise_id"] for r in rows["status_events"] if r["date"] <= AS_OF}
    enterprises = [e if e["enterprise_id"] in past_changes else {**e, "status": "operating"} for e in rows["enterprises"]]
    return {**rows, "enterprises": enterprises}


def with_future_of(rows: dict[str, list[dict]], other: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """``rows``' records up to the as-of date, ``other``'s later ones (new ids), and every rectification
    after the as-of date moved a week later or deleted."""
    mixed = {}
    for name, table_rows in rows.items():
        column = _date_column(name)
        if column is None:
            mixed[name] = table_rows
            continue
        kept = [r for r in table_rows if r[column] <= AS_OF]
        later = [{**r, **{k: f"X{v}" for k, v in r.items() if k in ("inspection_id", "hazard_id", "permit_id", "contract_id",
                                                                      "penalty_id", "accident_id", "alert_id")}}
                 for r in other[name] if r[column] > AS_OF]
        mixed[name] = kept + later
    mixed["hazards"] = [
        {**h, "rectified_date": None if i % 2 else h["rectified_date"] + pd.Timedelta(days=7)}
        if h["rectified_date"] is not None and h["rectified_date"] > AS_OF else h
        for i, h in enumerate(mixed["hazards"])
    ]
    return mixed


@SETTINGS
@given(counties(), counties())
def test_records_after_the_as_of_date_change_nothing(rows, other):
    rows = consistent(rows)
    mixed = with_future_of(rows, other)
    assert_same(build_features(tables_of(rows), AS_OF), build_features(tables_of(mixed), AS_OF))


@SETTINGS
@given(counties())
def test_matrix_equals_the_one_from_tables_truncated_to_the_as_of_date(rows):
    rows = consistent(rows)
    # an empty truncated optional table stays present: absent means "not provided", not "nothing yet"
    assert_same(build_features(tables_of(rows), AS_OF), build_features(tables_of(past(rows)), AS_OF))
