"""One enterprise as the office sees it (企业画像): its profile and the timeline of its records.

Both read the tables as known at the end of ``as_of``, so the page shows what an inspector could
have known that day. The score history comes from the stored risk lists (``score_history``).
"""

from __future__ import annotations

import pandas as pd

from analytics.contract.errors import UserError
from analytics.contract.schema import TABLES, Code
from analytics.snapshot.facts import OPEN_STATES, hazard_state
from analytics.snapshot.snapshot import AsOf, Snapshot

# Timeline event kinds, in the order they sort on the same day.
EVENT_KINDS = (
    Code("status", "生产状态变更", "Status change"),
    Code("inspection", "执法检查", "Inspection"),
    Code("hazard", "发现隐患", "Hazard found"),
    Code("rectification", "隐患整改", "Hazard rectified"),
    Code("penalty", "行政处罚", "Penalty"),
    Code("accident", "事故", "Accident"),
    Code("special_operation", "特殊作业", "Special operation"),
    Code("contract", "外包合同", "Outsourcing contract"),
)
EVENT_CODES = tuple(c.code for c in EVENT_KINDS)


def _codes_of(table: str, column: str) -> tuple[Code, ...]:
    return TABLES[table].column(column).codes


def _label(values: pd.Series, table: str, column: str, lang: str) -> pd.Series:
    """Coded values as their labels in ``lang``; missing stays empty text."""
    labels = {c.code: (c.zh if lang == "zh" else c.en) for c in _codes_of(table, column)}
    return values.astype(object).map(labels).fillna("").astype(str)


def _yes_no(values: pd.Series, yes: str, no: str) -> pd.Series:
    return values.astype(object).map({True: yes, False: no}).fillna("").astype(str)


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).fillna("").astype(str)


def _date_text(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d").fillna("—").astype(str)


FIND_LIMIT = 50


def find_enterprises(enterprises: pd.DataFrame, towns: pd.DataFrame, text: object, limit: int = FIND_LIMIT,
                     among: frozenset[str] | None = None) -> pd.DataFrame:
    """The enterprises whose name (or id) contains ``text``, case-insensitive, as
    ``enterprise_id, name, town_name`` sorted by name then id (firms of the same name told apart by
    id and town), at most ``limit``; only ids in ``among`` when given. One vectorised match over
    the column; an empty ``text`` finds nothing."""
    needle = str(text or "").strip().casefold()
    columns = ["enterprise_id", "name", "town_name"]
    if not needle:
        return pd.DataFrame(columns=columns)
    ids, names = _text(enterprises["enterprise_id"]), _text(enterprises["name"])
    hit = names.str.casefold().str.contains(needle, regex=False) | ids.str.casefold().str.contains(needle, regex=False)
    if among is not None:
        hit &= ids.isin(among)
    town_names = dict(zip(_text(towns["town_id"]), _text(towns["name"]), strict=True))
    found = pd.DataFrame({"enterprise_id": ids[hit], "name": names[hit],
                          "town_name": _text(enterprises.loc[hit, "town_id"]).map(town_names).fillna("")})
    found["town_name"] = found["town_name"].where(found["town_name"] != "", _text(enterprises.loc[hit, "town_id"]))
    return found.sort_values(["name", "enterprise_id"], kind="stable").head(limit).reset_index(drop=True)[columns]


def _of_enterprise(tables: dict[str, pd.DataFrame], enterprise_id: str) -> dict[str, pd.DataFrame]:
    """The enterprise's own rows of every table keyed by enterprise (other tables as given).

    ``as_known_on`` works row by row within an enterprise, so a snapshot of these rows gives the
    same answer as one of the whole county, at a cost that does not grow with the county.
    """
    return {name: frame.loc[frame["enterprise_id"] == enterprise_id] if "enterprise_id" in frame.columns else frame
            for name, frame in tables.items()}


def enterprise_profile(tables: dict[str, pd.DataFrame], enterprise_id: str, as_of: AsOf) -> dict[str, object]:
    """The enterprise's contract columns as known on ``as_of`` plus ``town_name`` and record counts.

    Raises ``UserError`` when no such enterprise existed on ``as_of``.
    """
    snapshot = Snapshot.from_tables(_of_enterprise(tables, enterprise_id), as_of)  # an AsOf is not parsed again
    known, as_of = snapshot.tables, snapshot.as_of.ts
    enterprises = known["enterprises"]
    row = enterprises.loc[enterprises["enterprise_id"] == enterprise_id]
    if row.empty:
        raise UserError(
            f"没有编码为 {enterprise_id} 的企业（截至 {snapshot.as_of}）。",
            f"No enterprise with ID {enterprise_id} on {snapshot.as_of}.",
        )
    profile = {k: (None if pd.isna(v) else v) for k, v in row.iloc[0].to_dict().items()}
    towns = tables["towns"].set_index("town_id")["name"]
    profile["town_name"] = towns.get(profile["town_id"], profile["town_id"])
    hazards = known["hazards"].loc[known["hazards"]["enterprise_id"] == enterprise_id]
    state = hazard_state(hazards, as_of)
    profile["inspections"] = int((known["inspections"]["enterprise_id"] == enterprise_id).sum())
    profile["hazards"] = len(hazards)
    profile["major_hazards"] = int((hazards["level"] == "major").sum())
    profile["open_hazards"] = int(state.isin(OPEN_STATES).sum())
    profile["overdue_hazards"] = int((state == "overdue").sum())
    return profile


def enterprise_timeline(
    tables: dict[str, pd.DataFrame], enterprise_id: str, as_of: AsOf, lang: str = "zh"
) -> pd.DataFrame:
    """Every record of the enterprise known on ``as_of``, newest first.

    Columns: ``date``, ``kind`` (``EVENT_CODES``), ``kind_label``, ``detail`` (text in ``lang``),
    ``state`` (hazards: their state on ``as_of``; else empty), ``record_id``. A hazard appears on
    its found date and, once rectified, again on its rectification date.
    """
    snapshot = Snapshot.from_tables(_of_enterprise(tables, enterprise_id), as_of)  # an AsOf is not parsed again
    known, as_of = snapshot.tables, snapshot.as_of.ts
    zh = lang == "zh"
    sep = "；" if zh else "; "
    parts: list[pd.DataFrame] = []

    def mine(name: str) -> pd.DataFrame | None:
        frame = known.get(name)
        if frame is None:
            return None
        frame = frame.loc[frame["enterprise_id"] == enterprise_id]
        return frame if len(frame) else None

    def add(kind: str, dates: pd.Series, detail: pd.Series, record: pd.Series, state: pd.Series | None = None) -> None:
        parts.append(
            pd.DataFrame(
                {
                    "date": dates.to_numpy(),
                    "kind": kind,
                    "detail": detail.to_numpy(),
                    "state": "" if state is None else state.to_numpy(),
                    "record_id": _text(record).to_numpy(),
                }
            )
        )

    if (events := mine("status_events")) is not None:
        detail = _label(events["status"], "status_events", "status", lang)
        reason = _label(events["reason"], "status_events", "reason", lang)
        approved = _yes_no(events["approved"], "复产已验收" if zh else "restart approved", "未批擅自开工" if zh else "restart NOT approved")
        detail = detail.str.cat([reason, approved], sep=sep).str.replace(f"({sep})+$", "", regex=True).str.replace(f"{sep}{sep}", sep)
        add("status", events["date"], detail, pd.Series([""] * len(events)))
    if (inspections := mine("inspections")) is not None:
        mode = _label(inspections["mode"], "inspections", "mode", lang)
        team = _text(inspections["team"])
        team_text = ("检查组：" if zh else "team: ") + team
        detail = mode.where(team == "", mode + sep + team_text)
        add("inspection", inspections["date"], detail, inspections["inspection_id"])
    if (hazards := mine("hazards")) is not None:
        state = hazard_state(hazards, as_of).astype(object)
        level = _label(hazards["level"], "hazards", "level", lang)
        category = _label(hazards["category"], "hazards", "category", lang)
        deadline = ("整改期限 " if zh else "deadline ") + _date_text(hazards["deadline"])
        add("hazard", hazards["found_date"], level.str.cat([category, deadline], sep=sep).str.replace(f"{sep}{sep}", sep),
            hazards["hazard_id"], state)
        done = hazards.loc[hazards["rectified_date"].notna()]
        if len(done):
            add("rectification", done["rectified_date"], _label(done["level"], "hazards", "level", lang),
                done["hazard_id"], state.loc[done.index])
    if (penalties := mine("penalties")) is not None:
        amount = penalties["amount_yuan"].round(0).astype("Int64").astype("string")
        amount = (amount + (" 元" if zh else " yuan")).fillna("").astype(str)
        add("penalty", penalties["date"], _label(penalties["kind"], "penalties", "kind", lang).str.cat(amount, sep=" ").str.strip(),
            penalties["penalty_id"])
    if (accidents := mine("accidents")) is not None:
        deaths = accidents["deaths"].fillna(0).astype("int64").astype(str)
        injuries = accidents["injuries"].fillna(0).astype("int64").astype(str)
        people = (("死亡 " if zh else "deaths ") + deaths + sep + ("受伤 " if zh else "injuries ") + injuries)
        add("accident", accidents["date"], _label(accidents["severity"], "accidents", "severity", lang) + sep + people,
            accidents["accident_id"])
    if (operations := mine("special_operations")) is not None:
        contractor = _text(operations["contractor"]).replace("", "本单位" if zh else "own staff")
        until = ("至 " if zh else "until ") + _date_text(operations["end_date"])
        add("special_operation", operations["start_date"],
            _label(operations["kind"], "special_operations", "kind", lang).str.cat([contractor, until], sep=sep),
            operations["permit_id"])
    if (contracts := mine("contracts")) is not None:
        qualified = _yes_no(contracts["contractor_qualified"], "资质合规" if zh else "qualified",
                            "资质不合规" if zh else "NOT qualified")
        agreement = _yes_no(contracts["safety_agreement"], "有安全协议" if zh else "safety agreement",
                            "无安全协议" if zh else "NO safety agreement")
        detail = _text(contracts["contractor"]).str.cat([_text(contracts["work"]), qualified, agreement], sep=sep)
        add("contract", contracts["start_date"], detail.str.replace(f"({sep})+", sep, regex=True).str.strip("；; "),
            contracts["contract_id"])

    columns = ["date", "kind", "kind_label", "detail", "state", "record_id"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else object) for c in columns})
    timeline = pd.concat(parts, ignore_index=True)
    timeline["date"] = pd.to_datetime(timeline["date"]).astype("datetime64[ns]")
    order = pd.Categorical(timeline["kind"], categories=EVENT_CODES, ordered=True)
    timeline = timeline.assign(_order=order.codes).sort_values(["date", "_order"], ascending=[False, True], kind="stable")
    timeline["kind_label"] = timeline["kind"].map({c.code: (c.zh if zh else c.en) for c in EVENT_KINDS})
    return timeline[columns].reset_index(drop=True)


def score_history(risk_lists: pd.DataFrame, enterprise_id: str) -> pd.DataFrame:
    """The enterprise's rows of stacked risk lists (contract columns), oldest ``as_of`` first."""
    rows = risk_lists.loc[risk_lists["enterprise_id"].astype(object) == enterprise_id]
    return rows.sort_values(["as_of", "model_version"], kind="stable").reset_index(drop=True)


