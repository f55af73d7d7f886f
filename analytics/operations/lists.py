"""The campaign's places list (场所) and people list (人群), as of a date.

- ``places_list``: crowded places and venues (sectors in ``PLACE_SECTORS``: fire-safety key units and
  crowded places, culture and tourism), ranked on their own by the risk score: their risk falls on
  the public, so they are not left to compete with factories for the top of the county list. The
  contract has no per-unit "crowded" flag, so the sectors are the whole rule.
- ``people_list``: groups of people exposed in the recent window ``(as_of - window_days, as_of]``:
  - ``uncertified_operation``: a special operation (permit) that ran with fewer certified
    operators than operators; people = operators on the permit;
  - ``unqualified_contractor``: an outsourcing contract with ``contractor_qualified`` false; its
    crew are the operators of the special operations that contractor ran at that enterprise in the
    contract's time (people = the largest such permit; unknown = ``UNKNOWN_CREW``);
  - ``vessel_alert``: a fishing vessel (operating) in a town under a gale or cold-wave alert (or a
    county-wide one); people = its crew (unknown = ``UNKNOWN_CREW``), days = alert days in the
    window (overlapping alerts count a day once).
  Exposure = people × days in the window; rows ranked by exposure, each naming its records.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analytics.contract.exports import county_of, cover_line, write_xlsx
from analytics.contract.schema import ALERT_KINDS as ALERT_KIND_CODES
from analytics.contract.schema import OPERATION_KINDS, Code
from analytics.contract.errors import UserError
from analytics.risk.risklist import read_risk_list
from analytics.snapshot.facts import open_mask, overdue_mask
from analytics.snapshot.snapshot import AsOf, Snapshot, as_snapshot
from analytics.snapshot.timeline import operating_on
from analytics.contract.schema import RISK_LEVELS, SECTORS
from analytics.contract.words import count

PLACE_SECTORS = ("fire_venues", "tourism")
VESSEL_SECTOR = "fishing_vessels"
ALERT_KINDS = ("gale", "cold_wave")
WINDOW_DAYS = 30
UNKNOWN_CREW = 1  # a crew of unknown size counts as one person: exposure is never zero for a known case

PEOPLE_KINDS = (
    Code("uncertified_operation", "无证特殊作业", "Special operation with uncertified operators"),
    Code("unqualified_contractor", "无资质外包队伍", "Crew of an unqualified contractor"),
    Code("vessel_alert", "预警期间在海渔船船员", "Fishing crew at sea under an alert"),
)
PLACE_COLUMNS = ("place_rank", "enterprise_id", "name", "town_id", "sector", "employees", "score", "risk_level",
                 "rank", "reasons", "open_hazards", "overdue_hazards")
PEOPLE_COLUMNS = ("rank", "kind", "enterprise_id", "name", "town_id", "sector", "people", "days", "exposure",
                  "permit_ids", "contract_ids", "alert_ids", "first_day", "last_day", "evidence_zh", "evidence_en")
# Rows the reader cannot tell apart (only their record ids differ) collapse into one (``group_people``).
SAME_PEOPLE = ("kind", "enterprise_id", "name", "town_id", "sector", "people", "days", "first_day", "last_day",
               "evidence_zh", "evidence_en")
GROUPED_PEOPLE_COLUMNS = (*PEOPLE_COLUMNS[:6], "records", *PEOPLE_COLUMNS[6:])
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "records": ("相同记录数", "Identical records"),
    "place_rank": ("场所排名", "Place rank"),
    "rank": ("排名", "Rank"),
    "kind": ("类别", "Kind"),
    "enterprise_id": ("企业编码", "Enterprise ID"),
    "name": ("单位名称", "Unit"),
    "town_id": ("镇街", "Town"),
    "sector": ("行业领域", "Sector"),
    "employees": ("从业人员数", "Employees"),
    "score": ("风险概率", "Score"),
    "risk_level": ("风险等级", "Risk level"),
    "reasons": ("主要原因", "Reasons"),
    "open_hazards": ("未整改隐患", "Open hazards"),
    "overdue_hazards": ("逾期未改隐患", "Overdue hazards"),
    "people": ("人数", "People"),
    "days": ("天数", "Days"),
    "exposure": ("暴露（人×天）", "Exposure (people × days)"),
    "permit_ids": ("作业票", "Permits"),
    "contract_ids": ("外包合同", "Contracts"),
    "alert_ids": ("气象预警", "Alerts"),
    "first_day": ("起", "From"),
    "last_day": ("止", "To"),
    "evidence": ("依据", "Evidence"),
}


def places_list(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object, risk_list: pd.DataFrame) -> pd.DataFrame:
    """The crowded places and venues of ``risk_list`` ranked among themselves (``place_rank`` 1 = most
    worrying), with their county ``rank``, and open and overdue hazards on the snapshot's date.
    ``as_of``: None with a ``Snapshot``; with a tables dict, the date to cut it to."""
    snapshot = as_snapshot(snapshot, as_of)
    as_of, known, enterprises = snapshot.as_of.ts, snapshot.tables, snapshot.operating
    places = enterprises.loc[enterprises["sector"].astype(object).isin(PLACE_SECTORS)]
    listed = risk_list[["enterprise_id", "score", "rank", "risk_level", "reasons"]].assign(
        enterprise_id=risk_list["enterprise_id"].astype(str))
    out = places[["enterprise_id", "name", "town_id", "sector", "employees"]].astype(
        {"enterprise_id": str, "name": object, "town_id": object, "sector": object}).merge(listed, on="enterprise_id")
    hazards = known["hazards"]
    counts = pd.DataFrame({"enterprise_id": hazards["enterprise_id"].astype(str), "open_hazards": open_mask(hazards).astype(int),
                           "overdue_hazards": overdue_mask(hazards, as_of).astype(int)}).groupby("enterprise_id").sum()
    out = out.join(counts, on="enterprise_id")
    out[["open_hazards", "overdue_hazards"]] = out[["open_hazards", "overdue_hazards"]].fillna(0).astype("int64")
    out = out.sort_values(["score", "enterprise_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    out["place_rank"] = np.arange(1, len(out) + 1)
    return out[list(PLACE_COLUMNS)]


def _window_days(start: pd.Series, end: pd.Series, first: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    """The part of each [start, end] inside [first, as_of]: first and last day and the day count (0 = none)."""
    lo = start.where(start > first, first)
    hi = end.where(end < as_of, as_of)
    days = ((hi - lo).dt.days + 1).clip(lower=0).fillna(0).astype("int64")
    return pd.DataFrame({"first_day": lo, "last_day": hi, "days": days}, index=start.index)


def _joined(values: pd.Series, keys: pd.Series) -> pd.Series:
    """The sorted distinct ``values`` per key, joined with ", " (one groupby, no loop over rows)."""
    frame = pd.DataFrame({"key": keys.to_numpy(), "value": values.astype(str).to_numpy()}).drop_duplicates()
    frame = frame.sort_values(["key", "value"], kind="stable")
    return frame.groupby("key")["value"].agg(", ".join)


def _uncertified(known: dict[str, pd.DataFrame], first: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    operations = known.get("special_operations")
    if operations is None or operations.empty:
        return pd.DataFrame()
    short = (operations["certified_operators"] < operations["operators"]).fillna(False).astype(bool)
    span = _window_days(operations["start_date"], operations["end_date"], first, as_of)
    chosen = short & (span["days"] > 0)
    ops, span = operations.loc[chosen], span.loc[chosen]
    people = ops["operators"].astype("int64")
    uncertified = (ops["operators"] - ops["certified_operators"]).astype("int64").astype(str)
    kind_zh = ops["kind"].astype(object).map({c.code: c.zh for c in OPERATION_KINDS})
    kind_en = ops["kind"].astype(object).map({c.code: c.en for c in OPERATION_KINDS})
    return pd.DataFrame({
        "kind": "uncertified_operation", "enterprise_id": ops["enterprise_id"].astype(str), "people": people,
        "days": span["days"], "permit_ids": ops["permit_id"].astype(str), "contract_ids": "", "alert_ids": "",
        "first_day": span["first_day"], "last_day": span["last_day"],
        "evidence_zh": kind_zh + "作业 " + people.astype(str) + " 人，其中无证 " + uncertified + " 人",
        "evidence_en": kind_en + ": " + people.astype(str) + " operators, " + uncertified + " uncertified",
    })


def _unqualified(known: dict[str, pd.DataFrame], first: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    contracts = known.get("contracts")
    if contracts is None or contracts.empty:
        return pd.DataFrame()
    span = _window_days(contracts["start_date"], contracts["end_date"], first, as_of)
    chosen = (contracts["contractor_qualified"] == False).fillna(False).astype(bool) & (span["days"] > 0)  # noqa: E712
    found, span = contracts.loc[chosen], span.loc[chosen]
    rows = pd.DataFrame({
        "contract_id": found["contract_id"].astype(str), "enterprise_id": found["enterprise_id"].astype(str),
        "contractor": found["contractor"].astype(str), "start": found["start_date"], "end": found["end_date"],
    }).join(span)
    operations = known.get("special_operations")
    permits = pd.Series(dtype=object)
    crew = pd.Series(dtype="Int64")
    if operations is not None and not operations.empty and len(rows):
        ops = operations.loc[operations["contractor"].notna()].assign(
            enterprise_id=lambda o: o["enterprise_id"].astype(str), contractor=lambda o: o["contractor"].astype(str))
        pairs = rows[["contract_id", "enterprise_id", "contractor", "start", "end"]].merge(
            ops[["permit_id", "enterprise_id", "contractor", "start_date", "end_date", "operators"]],
            on=["enterprise_id", "contractor"])
        in_contract = (pairs["start_date"] <= pairs["end"]) & (pairs["end_date"] >= pairs["start"])
        in_window = _window_days(pairs["start_date"], pairs["end_date"], first, as_of)["days"] > 0
        pairs = pairs.loc[in_contract & in_window]
        permits = _joined(pairs["permit_id"], pairs["contract_id"])
        crew = pairs.groupby("contract_id")["operators"].max()
    people = rows["contract_id"].map(crew).astype("Int64")
    known_crew = people.notna()
    people = people.fillna(UNKNOWN_CREW).astype("int64")
    crew_zh = ("作业人数 " + people.astype(str) + " 人").where(known_crew, "人数不详（按 1 人计）")
    crew_en = (people.astype(str) + " operators").where(known_crew, "crew size unknown (counted as 1)")
    return pd.DataFrame({
        "kind": "unqualified_contractor", "enterprise_id": rows["enterprise_id"], "people": people,
        "days": rows["days"], "permit_ids": rows["contract_id"].map(permits).astype(object).fillna(""),
        "contract_ids": rows["contract_id"], "alert_ids": "",
        "first_day": rows["first_day"], "last_day": rows["last_day"],
        "evidence_zh": "外包单位“" + rows["contractor"] + "”资质不合规，" + crew_zh,
        "evidence_en": "contractor '" + rows["contractor"] + "' not qualified, " + crew_en,
    })


def _vessels(known: dict[str, pd.DataFrame], first: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    alerts = known.get("weather_alerts")
    if alerts is None or alerts.empty:
        return pd.DataFrame()
    enterprises = operating_on(known, as_of)
    vessels = enterprises.loc[(enterprises["sector"].astype(object) == VESSEL_SECTOR)
                              & (enterprises["status"].astype(object) == "operating")]
    alerts = alerts.loc[alerts["kind"].astype(object).isin(ALERT_KINDS)]
    span = _window_days(alerts["start_date"], alerts["end_date"], first, as_of)
    alerts, span = alerts.loc[span["days"] > 0], span.loc[span["days"] > 0]
    if alerts.empty or vessels.empty:
        return pd.DataFrame()
    # one row per alert and day in the window (alerts are few; at most window_days each)
    days = span.loc[span.index.repeat(span["days"])]
    offsets = days.groupby(level=0).cumcount().to_numpy()
    alert_days = pd.DataFrame({
        "alert_id": alerts.loc[days.index, "alert_id"].astype(str).to_numpy(),
        "town_id": alerts.loc[days.index, "town_id"].astype(object).to_numpy(),
        "day": days["first_day"].to_numpy() + pd.to_timedelta(offsets, unit="D"),
    })
    boats = pd.DataFrame({"enterprise_id": vessels["enterprise_id"].astype(str).to_numpy(),
                          "town_id": vessels["town_id"].astype(object).to_numpy(),
                          "crew": vessels["crew"].to_numpy()})
    local = boats.merge(alert_days.loc[alert_days["town_id"].notna()], on="town_id")
    county = boats.merge(alert_days.loc[alert_days["town_id"].isna()].drop(columns="town_id"), how="cross")
    exposed = pd.concat([local, county], ignore_index=True)
    if exposed.empty:
        return pd.DataFrame()
    per_boat = exposed.groupby("enterprise_id").agg(days=("day", "nunique"), first_day=("day", "min"),
                                                    last_day=("day", "max"), crew=("crew", "first"))
    per_boat["alert_ids"] = _joined(exposed["alert_id"], exposed["enterprise_id"])
    crew = per_boat["crew"].astype("Int64")
    known_crew = crew.notna()
    people = crew.fillna(UNKNOWN_CREW).astype("int64")
    kind = exposed["alert_id"].map(alerts.set_index(alerts["alert_id"].astype(str))["kind"].astype(object))
    kind_zh = _joined(kind.map({c.code: c.zh for c in ALERT_KIND_CODES}), exposed["enterprise_id"]).str.replace(", ", "、")
    kind_en = _joined(kind.map({c.code: c.en.lower() for c in ALERT_KIND_CODES}), exposed["enterprise_id"])
    days_text = per_boat["days"].astype(str)
    return pd.DataFrame({
        "kind": "vessel_alert", "enterprise_id": per_boat.index.astype(str), "people": people.to_numpy(),
        "days": per_boat["days"].astype("int64").to_numpy(), "permit_ids": "", "contract_ids": "",
        "alert_ids": per_boat["alert_ids"].to_numpy(), "first_day": per_boat["first_day"].to_numpy(),
        "last_day": per_boat["last_day"].to_numpy(),
        "evidence_zh": (kind_zh + "预警期间在海 " + days_text + " 天，船员 "
                        + (people.astype(str) + " 人").where(known_crew, "不详（按 1 人计）")).to_numpy(),
        "evidence_en": (kind_en + " alert in force " + days_text + " days, crew "
                        + people.astype(str).where(known_crew, "unknown (counted as 1)")).to_numpy(),
    })


def people_list(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object = None,
                window_days: int = WINDOW_DAYS) -> pd.DataFrame:
    """The exposed groups of the window ``(as_of - window_days, as_of]`` ranked by exposure (people × days).

    One row per permit (``uncertified_operation``), contract (``unqualified_contractor``) or vessel
    (``vessel_alert``); columns ``PEOPLE_COLUMNS``. Ties: enterprise id, then kind, then records.
    """
    snapshot = as_snapshot(snapshot, as_of)
    as_of, known = snapshot.as_of.ts, snapshot.tables
    first = as_of - pd.Timedelta(days=window_days - 1)
    parts = [p for p in (_uncertified(known, first, as_of), _unqualified(known, first, as_of),
                         _vessels(known, first, as_of)) if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PEOPLE_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["exposure"] = out["people"].astype("int64") * out["days"].astype("int64")
    enterprises = known["enterprises"].assign(enterprise_id=lambda e: e["enterprise_id"].astype(str)).set_index("enterprise_id")
    out["name"] = out["enterprise_id"].map(enterprises["name"].astype(object))
    out["town_id"] = out["enterprise_id"].map(enterprises["town_id"].astype(object))
    out["sector"] = out["enterprise_id"].map(enterprises["sector"].astype(object))
    out = out.sort_values(["exposure", "enterprise_id", "kind", "permit_ids", "contract_ids"],
                          ascending=[False, True, True, True, True], kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out[list(PEOPLE_COLUMNS)]


def group_people(frame: pd.DataFrame) -> pd.DataFrame:
    """``people_list`` rows that read alike (``SAME_PEOPLE``: same kind, firm, people, days, dates and
    evidence; only their permit, contract or alert ids differ) as one row: ``records`` says how many,
    the ids are joined, ``exposure`` is their sum, and the rows are ranked again by exposure
    (columns ``GROUPED_PEOPLE_COLUMNS``). One groupby, no loop over rows."""
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in GROUPED_PEOPLE_COLUMNS})
    group = frame.groupby(list(SAME_PEOPLE), dropna=False, sort=False).ngroup()
    out = frame.assign(group=group.to_numpy()).groupby("group", sort=True).agg(
        **{c: (c, "first") for c in SAME_PEOPLE}, records=("exposure", "size"), exposure=("exposure", "sum"))
    for column in ("permit_ids", "contract_ids", "alert_ids"):
        ids = frame[column].astype(object).fillna("").astype(str).str.split(", ").explode()
        keys = pd.Series(group.to_numpy(), index=frame.index).loc[ids.index]
        kept = ids != ""
        out[column] = _joined(ids[kept], keys[kept]).reindex(out.index).fillna("")
    out = out.sort_values(["exposure", "enterprise_id", "kind", "permit_ids", "contract_ids"],
                          ascending=[False, True, True, True, True], kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out[list(GROUPED_PEOPLE_COLUMNS)]


def labelled(frame: pd.DataFrame, lang: str = "zh", towns: pd.DataFrame | None = None) -> pd.DataFrame:
    """A places or people list as people read it: labels in ``lang``, dates as text."""
    def codes(values: pd.Series, table: tuple[Code, ...]) -> pd.Series:
        return values.astype(object).map({c.code: c.zh if lang == "zh" else c.en for c in table})

    out = frame.copy()
    if towns is not None:
        out["town_id"] = out["town_id"].map(dict(zip(towns["town_id"].astype(str), towns["name"].astype(str), strict=True)))
    out["sector"] = codes(out["sector"], SECTORS)
    if "risk_level" in out:
        out["risk_level"] = codes(out["risk_level"], RISK_LEVELS)
        out["score"] = out["score"].round(4)
    if "kind" in out:
        out["kind"] = codes(out["kind"], PEOPLE_KINDS)
        out["evidence"] = out[f"evidence_{lang}"]
        out = out.drop(columns=["evidence_zh", "evidence_en"])
        for column in ("first_day", "last_day"):
            out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%d")
    return out.rename(columns={k: v[0] if lang == "zh" else v[1] for k, v in COLUMN_LABELS.items()})


def export_list(store, which: str, out: object, as_of: AsOf | None = None, window_days: int = WINDOW_DAYS,
                lang: str = "zh") -> ListReport:
    """``saferank places`` / ``saferank people``: the list of a stored risk list's date as a workbook,
    written to ``out`` (default ``data/lists/<which>-<date>.xlsx`` under the working directory)."""
    risk_list = read_risk_list(store, as_of=as_of, lang=lang)
    if risk_list.empty and (which == "places" or as_of is None):
        raise UserError("尚无风险清单：请先评分（saferank score）。", "No risk list yet: score first (saferank score).")
    day = AsOf.parse(risk_list["as_of"].iloc[0]) if len(risk_list) else as_of  # the stored list's own date
    snapshot = Snapshot.from_store(store, day)
    tables = snapshot.tables
    frame = (places_list(snapshot, None, risk_list) if which == "places"
             else group_people(people_list(snapshot, None, window_days)))
    path = Path(str(out)) if out else Path("data") / "lists" / f"{which}-{day.ts:%Y-%m-%d}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet = {("places", "zh"): "场所清单", ("places", "en"): "Places", ("people", "zh"): "人群清单",
             ("people", "en"): "People"}[(which, lang)]
    filters = None if which == "places" else {("统计最近天数" if lang == "zh" else "Last days"): [str(window_days)]}
    cover = cover_line(sheet, day.ts, filters, lang=lang, county=county_of(tables["towns"]["town_id"]))
    write_xlsx(path, {sheet: labelled(frame, lang, tables["towns"])}, office=True, cover=cover)  # names run no formula
    return ListReport(which, path, day.ts, len(frame))


class ListReport:
    """What ``export_list`` wrote."""

    def __init__(self, which: str, path: object, as_of: pd.Timestamp, rows: int) -> None:
        self.which, self.path, self.as_of, self.rows = which, path, as_of, rows

    def render(self, lang: str = "zh") -> str:
        if lang == "zh":
            name = "场所清单" if self.which == "places" else "人群清单"
            return f"{name}（{self.as_of:%Y-%m-%d}）：{self.rows} 行，已写入 {self.path}"
        name = "Places list" if self.which == "places" else "People list"
        return f"{name} ({self.as_of:%Y-%m-%d}): {count(self.rows, 'row')}, written to {self.path}"
