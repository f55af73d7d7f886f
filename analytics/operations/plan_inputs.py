"""What a plan is drawn from, as vectors over the listed firms: candidates, follow-ups due (on site or
on the firm's evidence), the visit history (yearly caps, red/orange cycles) and weather alerts.

All functions are vectorised over firms; none loops over enterprises.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.contract.errors import UserError
from analytics.operations.plan_rules import LEVELS, PlanRules

HISTORY_DAYS = 365  # the caps count a year's visits; the longest default cycle is 90 days


def candidates(risk_list: pd.DataFrame, enterprises: pd.DataFrame) -> pd.DataFrame:
    """The listed enterprises with town, sector, coordinates, 标准化 grade and risk level ("" when the
    list has no levels), sorted by rank (the list's own order)."""
    if risk_list.empty:
        raise UserError("风险清单为空：请先运行 saferank score。", "The risk list is empty: run saferank score first.")
    place = pd.Index(enterprises["enterprise_id"].astype(str).to_numpy(dtype=object))
    out = pd.DataFrame({
        "enterprise_id": risk_list["enterprise_id"].astype(str).to_numpy(),
        "score": risk_list["score"].astype("float64").to_numpy(),
        "rank": risk_list["rank"].astype("int64").to_numpy(),
        "risk_level": (risk_list["risk_level"].astype(object).fillna("").astype(str).to_numpy()
                       if "risk_level" in risk_list else ""),
    })
    at = place.get_indexer(out["enterprise_id"].to_numpy(dtype=object))  # one lookup for every column: -1 unknown
    found = at >= 0

    def column(name: str, empty: object, kind: str = "object") -> np.ndarray:
        values = np.full(len(out), empty, dtype=kind)
        if name in enterprises:
            source = enterprises[name]
            source = pd.to_numeric(source, errors="coerce") if kind == "float64" else source.astype(object)
            values[found] = source.to_numpy(dtype=kind)[at[found]]
        return values

    out["town_id"] = column("town_id", None)
    out["sector"] = column("sector", None)
    out["longitude"] = column("longitude", np.nan, "float64")
    out["latitude"] = column("latitude", np.nan, "float64")
    out["grade"] = pd.Series(column("standardization", None)).fillna("").astype(str).to_numpy(dtype=object)
    out = out.loc[out["town_id"].notna()]
    return out.sort_values(["rank", "enterprise_id"], kind="stable").reset_index(drop=True)


def due_hazards(hazards: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """The open hazards whose deadline is reached by ``end`` (ids as text), by enterprise and deadline."""
    due = hazards.loc[hazards["rectified_date"].isna() & hazards["deadline"].notna() & (hazards["deadline"] <= end)]
    due = due.assign(enterprise_id=due["enterprise_id"].astype(str), hazard_id=due["hazard_id"].astype(str),
                     level=due["level"].astype(object))
    return due.sort_values(["enterprise_id", "deadline", "hazard_id"], kind="stable")


def due_followups(due: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """Per enterprise with hazards due (``due_hazards``): ``deadline`` (earliest), ``hazards`` (count),
    ``first_hazard_id``, ``release`` (first day index of the plan it may be planned on), ``major``
    (a major hazard is among them), ``overdue`` (one was past its deadline before the first day) and
    ``on_site``: a major or overdue hazard is checked on site (回头看); general hazards still within
    their deadline are closed on the firm's evidence (书面核查)."""
    first = due.drop_duplicates("enterprise_id").set_index("enterprise_id")
    grouped = due.assign(major=due["level"] == "major", overdue=due["deadline"] < start).groupby("enterprise_id")
    out = pd.DataFrame({"deadline": first["deadline"], "hazards": due["enterprise_id"].value_counts(sort=False)
                        .reindex(first.index).astype("int64"), "first_hazard_id": first["hazard_id"]})
    out["release"] = ((out["deadline"] - start).dt.days).clip(lower=0).astype("int64")
    out["major"] = grouped["major"].any().reindex(first.index).fillna(False).astype(bool)
    out["overdue"] = grouped["overdue"].any().reindex(first.index).fillna(False).astype(bool)
    out["on_site"] = out["major"] | out["overdue"]
    return out.rename_axis("enterprise_id").reset_index()


def joined_hazard_ids(due: pd.DataFrame, enterprise_ids: pd.Series) -> pd.Series:
    """"H1,H2" per enterprise of ``enterprise_ids`` (only those: joining is per enterprise)."""
    wanted = due.loc[due["enterprise_id"].isin(enterprise_ids)]
    return wanted.groupby("enterprise_id")["hazard_id"].agg(",".join).reindex(enterprise_ids).fillna("")


def visit_history(candidates: pd.DataFrame, inspections: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """Per candidate: ``visits_year`` (inspections in the 365 days before ``start``) and ``last_visit``
    (the latest inspection before ``start``, NaT when none is known)."""
    known = inspections.loc[(inspections["date"] < start) & (inspections["date"] >= start - pd.Timedelta(days=HISTORY_DAYS))]
    grouped = known.assign(enterprise_id=known["enterprise_id"].astype(str)).groupby("enterprise_id")["date"]
    ids = candidates["enterprise_id"].to_numpy(dtype=object)
    last = grouped.max().astype("datetime64[ns]").reindex(ids)
    return pd.DataFrame({"visits_year": grouped.size().reindex(ids).fillna(0).astype("int64").to_numpy(),
                         "last_visit": last.to_numpy(dtype="datetime64[ns]")}, index=candidates.index)


def capped(candidates: pd.DataFrame, history: pd.DataFrame, rules: PlanRules) -> np.ndarray:
    """Whether each candidate has had its grade's yearly visits (``rules.yearly_caps``; a firm without a
    grade ``default_yearly_cap``); firms of ``cap_exempt_levels`` (default red) are never capped."""
    cap = candidates["grade"].map(dict(rules.yearly_caps)).fillna(rules.default_yearly_cap).to_numpy(dtype="float64")
    exempt = candidates["risk_level"].isin(rules.cap_exempt_levels).to_numpy()
    return (history["visits_year"].to_numpy() >= cap) & ~exempt


def cycle_due(candidates: pd.DataFrame, history: pd.DataFrame, rules: PlanRules, start: pd.Timestamp,
              days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate of a level with a cycle (``rules.cycle_days``): whether its cycle ends within the
    plan (last visit + cycle ≤ last day; never visited in the year: due at once), the day index it is
    due by, and the day index it may be visited from (not within ``skip_recent_days`` of the last visit,
    nor after its due day)."""
    cycle = candidates["risk_level"].map(dict(rules.cycle_days)).to_numpy(dtype="float64")
    since = (start - pd.to_datetime(history["last_visit"])).dt.days.to_numpy(dtype="float64")  # NaN: none known
    due_day = np.where(np.isnan(since), 0.0, cycle - since)
    due = ~np.isnan(cycle) & (due_day <= days - 1)
    release = np.where(np.isnan(since), 0.0, rules.skip_recent_days + 1 - since)
    release = np.clip(np.nan_to_num(np.minimum(release, due_day)), 0, days - 1)
    return due, np.clip(np.nan_to_num(due_day), 0, None).astype("int64"), release.astype("int64")


def random_keys(candidates: pd.DataFrame, rules: PlanRules, rng: np.random.Generator) -> np.ndarray:
    """Keys whose ascending order is a weighted draw without replacement (Efraimidis–Spirakis:
    −log(u) / weight), each firm's weight that of its level (``rules.random_weights``; 1 when the list
    has no levels; weight 0: never drawn). The uniforms are drawn in sorted-id order, so a row order
    does not change the draw."""
    ids = candidates["enterprise_id"].to_numpy(dtype=object)
    uniform = np.empty(len(ids))
    uniform[np.argsort(ids, kind="stable")] = rng.random(len(ids))  # the k-th smallest id gets the k-th draw
    weights = dict(zip(LEVELS, (1.0,) * len(LEVELS), strict=True)) | {k: float(v) for k, v in rules.random_weights.items()}
    weight = candidates["risk_level"].map(weights).fillna(1.0).to_numpy(dtype="float64")
    with np.errstate(divide="ignore"):
        return -np.log(np.clip(uniform, 1e-300, None)) / weight


def alert_release(candidates: pd.DataFrame, alerts: pd.DataFrame | None, rules: PlanRules, start: pd.Timestamp,
                  end: pd.Timestamp) -> pd.Series:
    """Per candidate, the first day index of an alert in force in its town that exposes its sector (NaN: none)."""
    none = pd.Series(np.nan, index=candidates.index)
    if alerts is None or alerts.empty or not rules.alert_sectors:
        return none
    exposure = pd.DataFrame([(k, s) for k, sectors in rules.alert_sectors.items() for s in sectors], columns=["kind", "sector"])
    live = alerts.loc[(alerts["start_date"] <= end) & (alerts["end_date"] >= start)]
    live = live.assign(kind=live["kind"].astype(object), town_id=live["town_id"].astype(object),
                       first=(live["start_date"] - start).dt.days.clip(lower=0))
    live = live.merge(exposure, on="kind")
    if live.empty:
        return none
    towns = pd.DataFrame({"town_id": candidates["town_id"].unique()})
    county_wide = live.loc[live["town_id"].isna()].drop(columns="town_id").merge(towns, how="cross")
    exposed = pd.concat([live.loc[live["town_id"].notna()], county_wide]).groupby(["town_id", "sector"])["first"].min()
    keys = pd.MultiIndex.from_frame(candidates[["town_id", "sector"]])
    return pd.Series(exposed.reindex(keys).to_numpy(dtype="float64"), index=candidates.index)
