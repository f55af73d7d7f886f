"""The risk list as the office browses it: enterprise context, key flags, filters, sorting, pages.

``browse_frame`` joins a risk list (contract columns) with the enterprise's name, town and sector
and four flags known on the list's date; it is built once per list and kept by the caller.
``select_rows`` then filters, sorts and cuts one page out of it: all vectorised, so 100,000 rows
answer in a few milliseconds.

Flags (``FLAGS``), all as known on ``as_of``:

- ``unapproved_restart``: a return to operating with ``approved`` false in the last 365 days;
- ``unqualified_outsourcing``: a contract in force on ``as_of`` with an unqualified contractor;
- ``hazardous_chemicals``: the enterprise handles hazardous chemicals (flag or sector);
- ``overdue_hazards``: at least one hazard open past its deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.operations.followup import overdue_mask
from analytics.contract.schema import RISK_LEVELS, Code
from analytics.contract.dates import to_timestamp
from analytics.snapshot.timeline import as_known_on

FLAGS = (
    Code("unapproved_restart", "未批擅自开工", "Unapproved restart"),
    Code("unqualified_outsourcing", "外包资质不合规", "Unqualified outsourcing"),
    Code("hazardous_chemicals", "涉及危化品", "Hazardous chemicals"),
    Code("overdue_hazards", "隐患逾期未改", "Overdue hazards"),
)
FLAG_CODES = tuple(c.code for c in FLAGS)
RESTART_WINDOW_DAYS = 365
# Separators the reasons text may use between reasons.
REASON_SEPARATORS = r"[；;\n|]"


def enterprise_flags(tables: dict[str, pd.DataFrame], as_of: object) -> pd.DataFrame:
    """One boolean column per flag, indexed by every enterprise known on ``as_of``."""
    as_of = to_timestamp(as_of)
    known = as_known_on(tables, as_of)
    enterprises = known["enterprises"]
    ids = pd.Index(enterprises["enterprise_id"].astype(object), name="enterprise_id")

    def having(frame: pd.DataFrame | None, mask_of) -> np.ndarray:
        if frame is None or frame.empty:
            return np.zeros(len(ids), dtype=bool)
        hits = frame.loc[mask_of(frame).fillna(False).astype(bool), "enterprise_id"].astype(object)
        return ids.isin(hits)

    flags = pd.DataFrame(index=ids)
    flags["unapproved_restart"] = having(
        known.get("status_events"),
        lambda e: (e["status"] == "operating") & (e["approved"] == False)  # noqa: E712 (nullable boolean)
        & (e["date"] > as_of - pd.Timedelta(days=RESTART_WINDOW_DAYS)),
    )
    flags["unqualified_outsourcing"] = having(
        known.get("contracts"),
        lambda c: (c["contractor_qualified"] == False) & (c["start_date"] <= as_of) & (c["end_date"] >= as_of),  # noqa: E712
    )
    chemicals = enterprises["hazardous_chemicals"].fillna(False).astype(bool) | (enterprises["sector"] == "hazardous_chemicals")
    flags["hazardous_chemicals"] = chemicals.to_numpy()
    flags["overdue_hazards"] = having(known["hazards"], lambda h: overdue_mask(h, as_of))
    return flags


def top_reason(reasons: pd.Series) -> pd.Series:
    """The first of each row's reasons (the one that raised the score most)."""
    text = reasons.astype(object).where(reasons.notna(), "")
    return text.astype(str).str.split(REASON_SEPARATORS, n=1, regex=True).str[0].str.strip()


def browse_frame(risk_list: pd.DataFrame, tables: dict[str, pd.DataFrame], as_of: object) -> pd.DataFrame:
    """The risk list with ``name``, ``town_id``, ``town_name``, ``sector``, the flags and ``top_reason``.

    Rows keep the list's order (by rank); enterprises missing from ``tables`` are dropped.
    """
    enterprises = tables["enterprises"].assign(enterprise_id=tables["enterprises"]["enterprise_id"].astype(object))
    place = enterprises.set_index("enterprise_id")[["name", "town_id", "sector"]]
    towns = tables["towns"].assign(town_id=tables["towns"]["town_id"].astype(object)).set_index("town_id")["name"]
    frame = risk_list.assign(enterprise_id=risk_list["enterprise_id"].astype(object))
    frame = frame.join(place, on="enterprise_id", how="inner")
    frame["town_id"] = frame["town_id"].astype(object)
    frame["town_name"] = frame["town_id"].map(towns).fillna(frame["town_id"])
    frame["sector"] = frame["sector"].astype(object)
    frame["risk_level"] = frame["risk_level"].astype(object)
    frame = frame.join(enterprise_flags(tables, as_of), on="enterprise_id")
    frame[list(FLAG_CODES)] = frame[list(FLAG_CODES)].fillna(False).astype(bool)
    frame["top_reason"] = top_reason(frame["reasons"]) if "reasons" in frame else ""
    return frame.sort_values("rank", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class ListFilter:
    """What the office asked to see; empty means no restriction. Flags combine with AND."""

    towns: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    text: str = ""  # part of the enterprise's name or ID

    @classmethod
    def of(cls, towns: Iterable[str] | None = None, sectors: Iterable[str] | None = None,
           levels: Iterable[str] | None = None, flags: Iterable[str] | None = None, text: str | None = None) -> ListFilter:
        known_levels = {c.code for c in RISK_LEVELS}
        return cls(
            towns=tuple(towns or ()),
            sectors=tuple(sectors or ()),
            levels=tuple(v for v in (levels or ()) if v in known_levels),
            flags=tuple(v for v in (flags or ()) if v in FLAG_CODES),
            text=(text or "").strip(),
        )


@dataclass(frozen=True)
class Sort:
    column: str = "rank"
    ascending: bool = True


@dataclass
class Page:
    rows: pd.DataFrame
    total: int  # rows matching the filter
    level_counts: dict[str, int] = field(default_factory=dict)


def filter_mask(frame: pd.DataFrame, chosen: ListFilter) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    if chosen.towns:
        mask &= frame["town_id"].isin(chosen.towns).to_numpy()
    if chosen.sectors:
        mask &= frame["sector"].isin(chosen.sectors).to_numpy()
    if chosen.levels:
        mask &= frame["risk_level"].isin(chosen.levels).to_numpy()
    for flag in chosen.flags:
        mask &= frame[flag].to_numpy()
    if chosen.text:
        mask &= (
            frame["name"].astype(str).str.contains(chosen.text, regex=False).to_numpy()
            | frame["enterprise_id"].astype(str).str.contains(chosen.text, regex=False).to_numpy()
        )
    return mask


def select_rows(
    frame: pd.DataFrame, chosen: ListFilter, sort: Sequence[Sort] = (), start: int = 0, end: int | None = None
) -> Page:
    """The filtered, sorted rows ``[start, end)`` of a ``browse_frame``, the total and counts per level."""
    matching = frame.loc[filter_mask(frame, chosen)]
    sort = [s for s in sort if s.column in matching.columns] or [Sort()]
    if not (len(sort) == 1 and sort[0] == Sort()):
        matching = matching.sort_values(
            [s.column for s in sort] + ["rank"], ascending=[s.ascending for s in sort] + [True], kind="stable"
        )
    counts = matching["risk_level"].value_counts()
    return Page(
        rows=matching.iloc[start:end],
        total=len(matching),
        level_counts={c.code: int(counts.get(c.code, 0)) for c in RISK_LEVELS},
    )
