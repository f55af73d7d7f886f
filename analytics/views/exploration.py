"""Descriptive summaries of a county's records for analysts: rows per table, hazards by group, inspections by mode.

Every function reads a ``Snapshot`` (the tables as known at the end of its date; a tables dict with an
``as_of`` is cut into one first), so a
notebook opened on an old date shows what the office knew then. Windows are the ``window_days``
ending on ``as_of`` (start exclusive, end inclusive), like the overview's periods.

- ``table_overview(tables, as_of)``: per contract table, its rows and the first and last date.
- ``hazard_counts(tables, as_of, by)``: hazards found per town, sector or category, general and major.
- ``inspections_by_mode(tables, as_of)``: per inspection mode (routine, 双随机 random, targeted ...),
  how many inspections and firms, and what they found: hazards per inspection and the share of
  inspections that found a major hazard. Random draws find what the county holds; the other modes
  find what the office looked for (see ``labels.selection_bias``).
- ``selection_bias_by_origin(tables, origins)``: ``labels.selection_bias`` of each label window.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import pandas as pd

from analytics.contract import schema
from analytics.contract.dates import HORIZON_DAYS, to_timestamp
from analytics.snapshot.snapshot import Snapshot, as_snapshot
from analytics.models.labels import build_labels, selection_bias

WINDOW_DAYS = 365
HazardGrouping = Literal["town", "sector", "category"]
_GROUP_CODES = {"sector": schema.SECTORS, "category": schema.HAZARD_CATEGORIES}


def _label(codes: tuple[schema.Code, ...], values: pd.Index, lang: str) -> list[str]:
    return [schema.code_label(codes, str(v), lang) for v in values]


def _in_window(dates: pd.Series, as_of: pd.Timestamp, window_days: int | None) -> pd.Series:
    if window_days is None:
        return dates <= as_of
    return (dates > as_of - pd.Timedelta(days=window_days)) & (dates <= as_of)


def table_overview(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object = None) -> pd.DataFrame:
    """One row per table present (contract order): ``rows`` known on ``as_of``, ``first`` and ``last`` record
    date (NaT for tables without a date), ``zh`` / ``en`` names."""
    known = as_snapshot(snapshot, as_of).tables
    rows = []
    for name, spec in schema.TABLES.items():  # a loop over the ten contract tables
        if name not in known:
            continue
        frame = known[name]
        dates = frame[spec.date_column] if spec.date_column else pd.Series([], dtype="datetime64[ns]")
        rows.append({"table": name, "zh": spec.zh, "en": spec.en, "rows": len(frame),
                     "first": dates.min(), "last": dates.max()})
    return pd.DataFrame(rows).set_index("table")


def hazard_counts(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object = None, by: HazardGrouping = "category",
                  window_days: int | None = WINDOW_DAYS, lang: str = "zh") -> pd.DataFrame:
    """Hazards found in the window per group: ``general``, ``major``, ``total``, ``major_share``, ``label``.

    ``by``: ``town`` (index town id, label the town's name), ``sector`` (of the enterprise) or
    ``category`` (of the hazard; missing category: ``other``). Most hazards first. ``window_days``
    None: everything known on ``as_of``.
    """
    snapshot = as_snapshot(snapshot, as_of)
    as_of, known = snapshot.as_of.ts, snapshot.tables
    hazards = known["hazards"].loc[_in_window(known["hazards"]["found_date"], as_of, window_days)]
    if by == "category":
        groups = hazards["category"].astype(object).fillna("other")
    else:
        column = "town_id" if by == "town" else "sector"
        place = known["enterprises"].set_index("enterprise_id")[column].astype(object)
        groups = hazards["enterprise_id"].map(place)
    levels = hazards["level"].astype(object)
    counts = pd.crosstab(groups.rename(by), levels).reindex(columns=["general", "major"], fill_value=0)
    counts.columns.name = None
    counts["total"] = counts["general"] + counts["major"]
    counts["major_share"] = counts["major"] / counts["total"]
    if by == "town":
        names = known["towns"].set_index("town_id")["name"].astype(object)
        counts["label"] = counts.index.map(names)
    else:
        counts["label"] = _label(_GROUP_CODES[by], counts.index, lang)
    return counts.sort_values(["total", "major"], ascending=False, kind="stable")


def inspections_by_mode(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object = None, window_days: int | None = WINDOW_DAYS,
                        lang: str = "zh") -> pd.DataFrame:
    """Per inspection mode (index, contract order; modes unused in the window left out): ``inspections``,
    ``enterprises``, ``share`` of all inspections, ``hazards``, ``hazards_per_inspection``, ``major_share``
    (inspections that found at least one major hazard / inspections) and ``label``."""
    snapshot = as_snapshot(snapshot, as_of)
    as_of, known = snapshot.as_of.ts, snapshot.tables
    inspections = known["inspections"].loc[_in_window(known["inspections"]["date"], as_of, window_days)]
    hazards = known["hazards"].loc[known["hazards"]["inspection_id"].isin(inspections["inspection_id"])]
    found = hazards.groupby("inspection_id").agg(hazards=("hazard_id", "size"),
                                                 major=("level", lambda s: bool((s.astype(object) == "major").any())))
    visits = inspections.assign(mode=inspections["mode"].astype(object)).join(found, on="inspection_id")
    visits = visits.assign(hazards=visits["hazards"].fillna(0), major=visits["major"].astype("boolean").fillna(False))
    out = visits.groupby("mode").agg(inspections=("inspection_id", "size"), enterprises=("enterprise_id", "nunique"),
                                     hazards=("hazards", "sum"), majors=("major", "sum"))
    order = [c.code for c in schema.INSPECTION_MODES]
    out = out.reindex([m for m in order if m in out.index])
    out["share"] = out["inspections"] / out["inspections"].sum()
    out["hazards"] = out["hazards"].astype("int64")
    out["hazards_per_inspection"] = out["hazards"] / out["inspections"]
    out["major_share"] = out["majors"] / out["inspections"]
    out["label"] = _label(schema.INSPECTION_MODES, out.index, lang)
    out.index.name = "mode"
    return out[["label", "inspections", "share", "enterprises", "hazards", "hazards_per_inspection", "major_share"]]


def selection_bias_by_origin(tables: dict[str, pd.DataFrame], origins: Iterable[object],
                             horizon_days: int = HORIZON_DAYS) -> pd.DataFrame:
    """``labels.selection_bias`` of the label window after each origin (index ``origin``): how many firms
    were inspected at random and only by other modes, their hit rates, and the ratio targeted / random."""
    rows = {to_timestamp(o): selection_bias(build_labels(tables, o, horizon_days)) for o in origins}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "origin"
    return out
