"""Results entry: what an inspection team found on a planned visit, recorded as contract records.

A visit's results become one ``inspections`` row (id = the visit's ``visit_id``, mode 回头看 for a
follow-up, 双随机 for a random draw, else 四不两直) and one ``hazards`` row per finding (id
``<visit_id>-01`` ...). A hazard is closed only by recording its rectification date, which rewrites
that one field of the stored hazard. Every record goes through the importer's own checks
(``analytics.store.ingest.check_table`` on the records written as text cells, exactly as an import file
would hold them) and lands through ``store.write_tables``: entering the same results twice changes
nothing, and entering them by form or by ``saferank import`` gives the same records.
After writing, the enterprise is rescored at once on the day of entry (``export_date``, default
today; never before the latest stored list): in the list of that date (``risklist.dated_list``: the
latest list carried forward when none is stored for that day), with the new records known, so the
pages, which read the latest list, show the new inspection, hazards, score and rank.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from analytics.contract.errors import UserError
from analytics.contract.schema import TABLES
from analytics.contract.dates import to_timestamp
from analytics.accounts import audit
from analytics.accounts.users import require
from analytics.contract import frames
from analytics.contract.words import count
from analytics.models.registry import ModelRegistry
from analytics.operations import plans_store  # visits_for through the module: tests replace it there
from analytics.risk.risklist import dated_list, read_risk_list, rescore_enterprise
from analytics.store.database import CONTRACT_TABLES
from analytics.store.writing import write_tables
from analytics.store.ingest import ROW, SOURCE, ImportFailed, check_table
from analytics.snapshot.snapshot import AsOf

MODE_OF_REASON = {"follow_up": "follow_up", "random_draw": "random"}
DEFAULT_MODE = "unannounced"
SOURCE_NAME = ("录入表单", "entry form")


def hazard_id_of(inspection_id: str, number: int) -> str:
    return f"{inspection_id}-{number:02d}"


def _cell(value: object) -> str:
    """A value as an import file's text cell ('' for missing, ISO for dates)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return str(value).strip()


def _cells(name: str, records: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """Records as the importer's text frame: every contract column, '' for missing, row numbers from 2."""
    columns = TABLES[name].column_names
    frame = pd.DataFrame({c: [_cell(r.get(c)) for r in records] for c in columns}, dtype=object)
    frame[SOURCE] = f"{SOURCE_NAME[0]}:{name}"
    frame[ROW] = range(2, len(records) + 2)
    return frame


def check_records(name: str, records: Sequence[Mapping[str, object]], export_date: object | None = None) -> pd.DataFrame:
    """The records of contract table ``name`` checked by the importer's rules (``ingest.check_table``):
    the typed table, or ``ingest.ImportFailed`` listing every broken rule."""
    spec = TABLES[name]
    frame = _cells(name, records)
    day = to_timestamp(export_date) if export_date is not None else pd.Timestamp.today().normalize()
    typed, issues = check_table(spec, frame, day)
    issues = [i for i in issues if len(i)]
    if issues:
        raise ImportFailed(pd.concat(issues, ignore_index=True))
    for column in spec.columns:
        if column.default is not None:
            typed[column.name] = typed[column.name].fillna(column.default)
    return frames.typed(name, typed)


def results_records(visit: Mapping[str, object], date: object, findings: Sequence[Mapping[str, object]]) -> dict[str, list[dict]]:
    """The contract records (as plain values) of a visit's results: one inspection and its hazards.

    ``findings``: ``level`` (general/major or 一般隐患/重大隐患), ``category`` (optional), ``deadline``."""
    inspection_id = str(visit["visit_id"])
    inspection = {
        "inspection_id": inspection_id,
        "enterprise_id": visit["enterprise_id"],
        "date": date,
        "team": visit.get("team"),
        "mode": MODE_OF_REASON.get(str(visit.get("reason_code")), DEFAULT_MODE),
    }
    hazards = [
        {"hazard_id": hazard_id_of(inspection_id, i), "enterprise_id": visit["enterprise_id"],
         "inspection_id": inspection_id, "found_date": date, "level": f.get("level"), "category": f.get("category"),
         "deadline": f.get("deadline"), "rectified_date": f.get("rectified_date")}
        for i, f in enumerate(findings, start=1)
    ]
    return {"inspections": [inspection], "hazards": hazards}


@dataclass
class ResultsReport:
    """What was recorded and how the enterprise's score moved."""

    enterprise_id: str
    written: dict[str, pd.DataFrame]
    before: Mapping[str, object] | None = None
    after: Mapping[str, object] | None = None
    note: dict[str, str] = field(default_factory=dict)

    def render(self, lang: str = "zh") -> str:
        counts = {name: len(frame) for name, frame in self.written.items()}
        if lang == "zh":
            lines = [f"已记录 {self.enterprise_id}：检查 {counts.get('inspections', 0)} 条，隐患 {counts.get('hazards', 0)} 条。"]
        else:
            lines = [f"Recorded for {self.enterprise_id}: {count(counts.get('inspections', 0), 'inspection')}, "
                     f"{count(counts.get('hazards', 0), 'hazard record')}."]
        if self.after is not None:
            b = self.before or {}
            if lang == "zh":
                lines.append(f"重新评分：风险概率 {b.get('score', float('nan')):.3f} → {self.after['score']:.3f}，"
                             f"排名 {b.get('rank', '—')} → {self.after['rank']}。主要原因：{self.after['reasons']}")
            else:
                lines.append(f"Rescored: score {b.get('score', float('nan')):.3f} → {self.after['score']:.3f}, "
                             f"rank {b.get('rank', '—')} → {self.after['rank']}. Reasons: {self.after['reasons_en']}")
        if self.note.get(lang):
            lines.append(self.note[lang])
        return "\n".join(lines)


def _visit(store, visit_id: str, user) -> dict:
    """The stored visit ``user`` may record results for (inspector: own team, up to today)."""
    if user is not None:
        require(user, "results_entry")
    visits = plans_store.visits_for(store, user)
    found = visits.loc[visits["visit_id"] == visit_id]
    if found.empty:
        raise UserError(f"检查安排 {visit_id} 不存在或不属于本组今天及以前的安排。",
                        f"The visit {visit_id} does not exist or is not one of your team's visits up to today.")
    return found.iloc[0].to_dict()


def open_hazards(store, enterprise_id: str) -> pd.DataFrame:
    """The enterprise's stored hazards not yet rectified (typed), oldest deadline first."""
    hazards = _stored_hazards(store, str(enterprise_id))
    return hazards.loc[hazards["rectified_date"].isna()].sort_values(["deadline", "hazard_id"]).reset_index(drop=True)


def visit_states(store, visits: pd.DataFrame) -> pd.DataFrame:
    """Per visit (``visit_id``, ``enterprise_id``): ``done`` (its results are stored: an inspection with
    the visit's id) and ``open_hazards`` (the enterprise's stored hazards not yet rectified). Read only."""
    ids = visits["visit_id"].astype(str)
    firms = visits["enterprise_id"].astype(str)
    inspections, hazards = CONTRACT_TABLES["inspections"], CONTRACT_TABLES["hazards"]
    with store.engine.connect() as connection:
        done = pd.read_sql(sa.select(inspections.c.inspection_id).where(inspections.c.inspection_id.in_(ids.unique().tolist())),
                           connection)["inspection_id"].astype(str)
        open_ = pd.read_sql(sa.select(hazards.c.enterprise_id).where(hazards.c.enterprise_id.in_(firms.unique().tolist()),
                                                                      hazards.c.rectified_date.is_(None)),
                            connection)["enterprise_id"].astype(str)
    counts = open_.value_counts()
    return pd.DataFrame({"visit_id": ids.to_numpy(), "done": ids.isin(done).to_numpy(),
                         "open_hazards": firms.map(counts).fillna(0).astype(int).to_numpy()})


def _stored_hazards(store, enterprise_id: str) -> pd.DataFrame:

    table = CONTRACT_TABLES["hazards"]
    with store.engine.connect() as connection:
        rows = pd.read_sql(sa.select(table).where(table.c.enterprise_id == enterprise_id), connection)
    return frames.typed("hazards", rows)


def _rectified(stored: pd.DataFrame, rectifications: Sequence[Mapping[str, object]], enterprise_id: str) -> list[dict]:
    """The stored hazard rows with their new rectification dates (only that field changes)."""
    if not rectifications:
        return []
    wanted = pd.DataFrame(list(rectifications)).assign(hazard_id=lambda f: f["hazard_id"].astype(str))
    unknown = sorted(set(wanted["hazard_id"]) - set(stored["hazard_id"].astype(str)))
    if unknown:
        raise UserError(f"隐患 {unknown[0]} 不是企业 {enterprise_id} 的隐患。",
                        f"The hazard {unknown[0]} is not a hazard of {enterprise_id}.")
    rows = stored.assign(hazard_id=stored["hazard_id"].astype(str)).merge(
        wanted[["hazard_id", "rectified_date"]].rename(columns={"rectified_date": "new"}), on="hazard_id")
    rows = rows.assign(rectified_date=rows["new"]).drop(columns="new")
    rows = rows.astype(object).where(rows.notna(), None)
    return rows.to_dict("records")


def record_results(store, visit_id: str, date: object | None = None, findings: Sequence[Mapping[str, object]] = (),
                   rectifications: Sequence[Mapping[str, object]] = (), user=None, export_date: object | None = None,
                   rescore: bool = True, models_dir: str | None = None, model: object | None = None,
                   source: str | None = None) -> ResultsReport:
    """Record the results of the stored visit ``visit_id``: the inspection (on ``date``, default the
    visit's day), its ``findings`` (new hazards) and ``rectifications`` (``hazard_id`` and
    ``rectified_date`` of hazards of the same enterprise). Checked like an import, written with
    ``write_tables`` in one transaction, then the enterprise is rescored (``rescore=False`` skips that).
    """
    visit = _visit(store, str(visit_id), user)
    enterprise_id = str(visit["enterprise_id"])
    day = visit["date"] if date in (None, "") else date
    records = results_records(visit, day, findings)
    records["hazards"] += _rectified(_stored_hazards(store, enterprise_id), rectifications, enterprise_id)
    written = {name: check_records(name, rows, export_date) for name, rows in records.items() if rows}
    return _write_and_rescore(store, enterprise_id, written, user, rescore, models_dir, model, source, export_date)


def _write_and_rescore(store, enterprise_id: str, written: dict[str, pd.DataFrame], user, rescore: bool,
                       models_dir: str | None, model: object | None, source: str | None,
                       export_date: object | None = None) -> ResultsReport:

    write_tables(store, written)
    audit.record(store, user, "results_entry", enterprise_id, source=source,
                 details={name: frame.iloc[:, 0].astype(str).tolist() for name, frame in written.items()})
    report = ResultsReport(enterprise_id, written)
    if rescore:
        dates = [frame[TABLES[name].date_column].max() for name, frame in written.items()]
        today = to_timestamp(export_date) if export_date is not None else pd.Timestamp.today().normalize()
        report.before, report.after, report.note = _rescore(store, enterprise_id, models_dir, model,
                                                            max([today, *[d for d in dates if pd.notna(d)]]), user, source)
    return report


def _rescore(store, enterprise_id: str, models_dir: str | None, model: object | None, today: pd.Timestamp,
             user=None, source: str | None = None):
    """(row before, row after, note): the enterprise's row in the newest stored list, and its row
    rescored on ``today`` (or the newest list's date if later) with every stored record of the firm
    known then, in the list of that date (``dated_list``). When the serving model cannot score, the
    person who entered the results (an inspector on a phone) reads that the score was not updated and
    who can fix it; the reason, which names the server's model files, goes to the audit log."""
    current = read_risk_list(store)
    if current.empty:
        return None, None, {"zh": "尚无风险清单，未重新评分。", "en": "No risk list is stored yet; not rescored."}
    before = current.loc[current["enterprise_id"].astype(str) == enterprise_id]
    registry = None
    if model is None and models_dir is not None:
        registry = ModelRegistry(models_dir)
    day = AsOf(max(AsOf.parse(current["as_of"].iloc[0]).ts, today))  # the stored list's own date column
    try:
        dated_list(store, day)
        rescore_enterprise(store, enterprise_id, as_of=day, model=model, registry=registry)
    except UserError as error:  # the results are stored; only the new score is missing
        audit.record(store, user, "rescore_failed", enterprise_id, source=source, details={"zh": error.zh, "en": error.en})
        return None, None, {"zh": "结果已保存，但未能重新评分（原因已记入审计日志）：请安委会办公室处理后运行 saferank score。",
                            "en": "Results saved, but not rescored (the reason is in the audit log): the office should "
                                  "see to it and run saferank score."}
    updated = read_risk_list(store, as_of=day)  # the list rescore_enterprise updated
    after = updated.loc[updated["enterprise_id"].astype(str) == enterprise_id].iloc[0]  # its rank in the whole list
    note = {"zh": f"评分日期 {day.iso}（其他企业沿用 {current['as_of'].iloc[0]} 清单的评分，直到下次 saferank score）。",
            "en": f"Scored as of {day.iso} (other firms keep their scores of the {current['as_of'].iloc[0]} list "
                  "until the next saferank score)."} if day.iso != current["as_of"].iloc[0] else {}
    return (before.iloc[0].to_dict() if len(before) else None), after.to_dict(), note
