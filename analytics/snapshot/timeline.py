"""What was known on an as-of date: pure date arithmetic over typed contract tables.

Every feature, label and list is built from ``as_known_on(tables, as_of)``; that one function is the
point-in-time guarantee, and its property tests are the proof.

``tables`` is a ``dict[str, DataFrame]`` keyed by contract table name, typed as ``store.read_tables``
returns them (see ``analytics.store.database``): dates ``datetime64[ns]`` at midnight, codes categorical.

Rules:
- An event record (inspection, hazard, status change, permit, contract, penalty, accident, alert)
  is known from its table's ``date_column`` on; records dated after ``as_of`` are dropped.
- Contract v2, "When a record became known": a record of ``RECORDED_TABLES`` with a
  ``recorded_date`` (录入日期) is known from that day on (from the later of its own date and its
  recorded date, so a record is never known before the day it describes); where the column is
  absent or empty, from its own date as above. A status change entered late is, until it is
  entered, as unknown as a future one.
- A hazard's rectification is known from its ``rectified_date``; a later one is blanked, so the
  hazard is still open on ``as_of``.
- An enterprise established after ``as_of`` did not exist yet and is dropped.
- ``enterprises.status`` is the status at export. For an enterprise with recorded status changes it
  is replaced by the status in force on ``as_of``: the last change on or before it, else
  ``operating`` (nothing recorded yet; the future is not consulted). An enterprise with no recorded
  change keeps its export status, the only thing known of it; without the status_events table every
  enterprise does.
"""

from __future__ import annotations

import pandas as pd

from analytics.contract.dates import HORIZON_DAYS, to_timestamp
from analytics.contract.schema import STATUS, TABLES


# Contract v2: the tables whose records may carry the day they were entered.
RECORDED_DATE = "recorded_date"
RECORDED_TABLES = ("status_events", "inspections", "hazards", "penalties", "accidents")


def known_from(name: str, frame: pd.DataFrame) -> pd.Series:
    """The day each record of table ``name`` became known: its date column, or, where the contract
    v2 ``recorded_date`` is given (tables ``RECORDED_TABLES``), the later of the two."""
    own = frame[TABLES[name].date_column]
    if name not in RECORDED_TABLES or RECORDED_DATE not in frame.columns:
        return own
    recorded = frame[RECORDED_DATE]
    return own.where(~(recorded > own), recorded)  # NaT compares False: the own date stays


def as_known_on(tables: dict[str, pd.DataFrame], as_of: object) -> dict[str, pd.DataFrame]:
    """The tables as they stood at the end of ``as_of``; the input is not modified.

    ``as_of``: a midnight ``pandas.Timestamp`` (``AsOf.ts``); ``analytics.snapshot.Snapshot`` is the
    typed way in and the only caller below the edge.
    """
    as_of = to_timestamp(as_of)
    known: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        spec = TABLES.get(name)
        if spec is None or spec.date_column is None or frame.empty:
            known[name] = frame
            continue
        known[name] = frame.loc[known_from(name, frame) <= as_of]

    enterprises = tables["enterprises"]
    if "established" in enterprises.columns:
        enterprises = enterprises.loc[~(enterprises["established"] > as_of)]
    if "status_events" in tables and not tables["status_events"].empty:
        enterprises = enterprises.assign(
            status=status_on(enterprises, tables["status_events"], as_of)
        )
    known["enterprises"] = enterprises

    if "hazards" in known and "rectified_date" in known["hazards"].columns:
        hazards = known["hazards"]
        later = hazards["rectified_date"] > as_of
        if later.any():
            hazards = hazards.copy()
            hazards.loc[later, "rectified_date"] = pd.NaT
        known["hazards"] = hazards
    return known


def status_on(enterprises: pd.DataFrame, status_events: pd.DataFrame, as_of: object) -> pd.Series:
    """Each enterprise's production status in force on ``as_of`` (index aligned with enterprises)."""
    as_of = to_timestamp(as_of)
    events = status_events.sort_values(["enterprise_id", "date"], kind="stable")
    past = events.loc[known_from("status_events", events) <= as_of]
    last_past = past.drop_duplicates("enterprise_id", keep="last").set_index("enterprise_id")["status"]
    ids = enterprises["enterprise_id"]
    status = ids.map(last_past.astype(object)).astype(object)  # object even when no enterprise has an event
    has_history = ids.isin(events["enterprise_id"].unique())  # the ids once each: isin converts every value
    status = status.where(status.notna() | ~has_history, "operating")
    status = status.fillna(enterprises["status"].astype(object))
    return status.astype(pd.CategoricalDtype([c.code for c in STATUS]))


def operating_on(tables: dict[str, pd.DataFrame], as_of: object) -> pd.DataFrame:
    """The supervised enterprises on ``as_of``: established by then and not closed.

    Suspended and retrofitting firms stay on the list: an unapproved restart is exactly what the
    campaign is after. ``tables`` must already be ``as_known_on(..., as_of)``.
    """
    enterprises = tables["enterprises"]
    return enterprises.loc[enterprises["status"].astype(object) != "closed"]


def label_window(as_of: object, horizon_days: int = HORIZON_DAYS) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The (exclusive start, inclusive end) of the window a label describes: the days after as_of."""
    start = to_timestamp(as_of)
    return start, start + pd.Timedelta(days=horizon_days)


def rolling_origins(last: object, count: int = 12, step_months: int = 1) -> list[pd.Timestamp]:
    """``count`` as-of dates ending at ``last``, ``step_months`` apart, oldest first."""
    last = to_timestamp(last)
    return [last - pd.DateOffset(months=step_months * i) for i in range(count - 1, -1, -1)]
