"""Suspected restarts read from the store: only the metering periods the judgment can use.

``power.suspected_restarts`` over a whole snapshot needs every metering period of the county (2.8
million rows for 100,000 firms, most of ``saferank plan``'s time). ``suspected_restarts_from_store``
returns the same rows from three narrower reads of ``power_usage``:

1. the periods ending in the look-back window ``(as_of - lookback_days, as_of]``: a suspect has one of
   them under a recorded stop, so the firms with such a period (the *candidates*) are the only ones
   judged;
2. every period of the candidates ending by ``as_of``: their evidence and their own baselines;
3. only where a candidate has no baseline of its own, every period ending by ``as_of`` of the firms
   of that candidate's sector: a sector's baseline is the median of all its firms' own baselines
   (``power.sector_baselines``) and cannot be had from fewer rows.

Whether a period lies under a stop, and a firm's own baseline, depend only on that firm's periods and
status changes, so each part is judged as the whole table would judge it. Point in time: the
enterprises and status changes are read whole and every part is cut by ``Snapshot.from_tables`` (the
one rule, recorded dates included); the SQL filters only narrow what is read. A caller that has read
the whole enterprises table (``saferank plan``) passes it rather than have it read again.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from analytics.snapshot.power import (
    DEFAULT_THRESHOLDS,
    PowerThresholds,
    judged_periods,
    own_baselines,
    sector_baselines,
    suspected_restarts,
)
from analytics.snapshot.snapshot import AsOf, Snapshot
from analytics.snapshot.timeline import as_known_on
from analytics.store.database import CONTRACT_TABLES, Store, read_rows, read_tables

# Ids per ``IN (...)`` list: SQLite before 3.32 takes at most 999 parameters in one statement.
IN_CHUNK = 900
NO_SECTORS = pd.Series(dtype="float64")  # a sector baseline of no sector: firms without their own go unjudged


def suspected_restarts_from_store(store: Store, as_of: object, thresholds: PowerThresholds = DEFAULT_THRESHOLDS,
                                  enterprises: pd.DataFrame | None = None) -> pd.DataFrame:
    """``power.suspected_restarts`` of what ``store`` knew on ``as_of`` (the same frame), reading only
    the power rows of the candidates and, where needed, of their sectors (module docstring).
    ``enterprises``: the whole stored table when the caller has read it already (``read_tables``'
    frame, every record: it is cut here like the rest), so it is not read twice."""
    as_of = AsOf.parse(as_of)
    if enterprises is None:
        firm_tables = read_tables(store, names=("enterprises", "status_events"))
    else:
        firm_tables = {"enterprises": enterprises, **read_tables(store, names=("status_events",))}
    firms = Snapshot.from_tables(firm_tables, as_of)  # cut once
    power = CONTRACT_TABLES["power_usage"].c

    def read(*where: sa.ColumnElement[bool]) -> pd.DataFrame:
        return read_rows(store, "power_usage", power.period_end <= as_of.date, *where)

    def known(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """The cut firms and status changes with ``rows`` of power_usage cut by the same rule."""
        cut = as_known_on({"enterprises": firms["enterprises"], "power_usage": rows}, as_of.ts)["power_usage"]
        return {**firms.tables, "power_usage": cut}

    since = (as_of.ts - pd.Timedelta(days=thresholds.lookback_days)).date()
    recent = judged_periods(known(read(power.period_end > since)), as_of, thresholds, NO_SECTORS)
    candidates = recent.loc[recent["under_stop"].astype(bool), "enterprise_id"].unique().tolist()
    if not candidates:
        return suspected_restarts(known(recent.iloc[0:0]), as_of, thresholds, NO_SECTORS, periods=recent.iloc[0:0])
    parts = [read(power.enterprise_id.in_(candidates[i:i + IN_CHUNK]))
             for i in range(0, len(candidates), IN_CHUNK)]  # a loop over lists of ids, not over firms
    judged = known(pd.concat(parts, ignore_index=True))
    periods = judged_periods(judged, as_of, thresholds, NO_SECTORS)
    lacking = periods.loc[periods["baseline_source"] != "own", "enterprise_id"].unique()
    if len(lacking) == 0:
        return suspected_restarts(judged, as_of, thresholds, NO_SECTORS, periods=periods)
    ents = judged["enterprises"]
    sectors = sorted(ents.loc[ents["enterprise_id"].astype(str).isin(lacking), "sector"].dropna().astype(str).unique())
    stored = CONTRACT_TABLES["enterprises"].c
    in_sectors = sa.select(stored.enterprise_id).where(stored.sector.in_(sectors))
    peers = own_baselines(known(read(power.enterprise_id.in_(in_sectors))), as_of, thresholds)
    return suspected_restarts(judged, as_of, thresholds, sector_baselines(peers["baseline"], peers["sector"]))
