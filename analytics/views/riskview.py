"""The risk list as the office browses it: enterprise context, key flags, filters, sorting, pages.

``browse_frame`` joins a risk list (contract columns) with the enterprise's name, town and sector
and the list's flags (``facts.FLAGS``, stored with the list when it was scored); it is built once
per list and kept by the caller. ``select_rows`` then filters, sorts and cuts one page out of it:
all vectorised, so 100,000 rows answer in a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.contract.schema import RISK_LEVELS
from analytics.snapshot.facts import FLAG_CODES, FLAGS, enterprise_flags
from analytics.snapshot.timeline import as_known_on

__all__ = ["FLAGS", "FLAG_CODES", "ListFilter", "Page", "Sort", "browse_frame", "filter_mask", "select_rows", "top_reason"]
# Separators the reasons text may use between reasons.
REASON_SEPARATORS = r"[；;\n|]"


def top_reason(reasons: pd.Series) -> pd.Series:
    """The first of each row's reasons (the one that raised the score most)."""
    text = reasons.astype(object).where(reasons.notna(), "")
    return text.astype(str).str.split(REASON_SEPARATORS, n=1, regex=True).str[0].str.strip()


def _list_flags(frame: pd.DataFrame, tables: dict[str, pd.DataFrame], as_of: object) -> pd.DataFrame:
    """The flags stored with the list; computed on ``as_of`` only for rows without them (a list
    stored before lists kept their flags)."""
    stored = frame.reindex(columns=list(FLAG_CODES)).astype("boolean")
    if stored.isna().any().any():
        computed = enterprise_flags(as_known_on(tables, as_of), as_of).reindex(frame["enterprise_id"].astype(object))
        stored = stored.fillna(computed.astype("boolean").set_axis(stored.index))
    return stored.fillna(False).astype(bool)


def browse_frame(risk_list: pd.DataFrame, tables: dict[str, pd.DataFrame], as_of: object) -> pd.DataFrame:
    """The risk list with ``name``, ``town_id``, ``town_name``, ``sector``, the flags and ``top_reason``.

    The flags are the list's own (``risklist.read_risk_list``); ``tables`` and ``as_of`` serve only
    a list stored without them. Rows keep the list's order (by rank); enterprises missing from
    ``tables`` are dropped.
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
    flags = _list_flags(frame, tables, as_of)
    frame = frame.drop(columns=list(FLAG_CODES), errors="ignore").join(flags)
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
