"""Score a batch of enterprise records (the contract's ``enterprises`` shape) without storing anything.

A thin adapter for ``POST /api/v1/score``, for the models engineer to review: the posted records
replace (or add to) the store's ``enterprises`` rows of the same ids; each firm's own history
(inspections, hazards, ... as known on ``as_of``) and its town come from the store, one query per
table for the whole batch; the serving model scores them through ``risklist.score_enterprises``.
As in ``risklist.rescore_enterprise``, features that compare a firm with the whole county are
computed from the batch's own rows, so they may differ from a full ``saferank score``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd
import sqlalchemy as sa

from analytics.contract.errors import UserError
from analytics.contract.frames import typed
from analytics.contract.schema import TABLES, table
from analytics.snapshot.snapshot import AsOf, Snapshot
from analytics.store.ingest import ROW, SOURCE, check_table
from analytics.models.registry import ModelRegistry
from analytics.risk.risklist import held_on, score_enterprises, scored_dates, thresholds_on
from analytics.store.database import metadata

MAX_RECORDS = 1000
# Bounds the API adds to the contract's text columns (the import has none): ids, and any other text.
MAX_ID_LENGTH = 64
MAX_TEXT_LENGTH = 500
ID_COLUMNS = ("enterprise_id", "town_id", "industry_code")
OUTPUT_COLUMNS = ("enterprise_id", "as_of", "score", "rank", "risk_level", "reasons", "model_version", "town_id", "sector")


class RecordError(UserError):
    """A posted record breaks the contract; ``field`` names the column."""

    def __init__(self, zh: str, en: str, field: str) -> None:
        super().__init__(zh, en)
        self.field = field


def _cell(value: object) -> str:
    """A posted JSON value as the text cell an import would read (``None`` → empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # nan, inf and -inf stay visible, and the import's number check refuses them
    return str(value).strip()


def _first_issue(issues: list[pd.DataFrame], spec) -> RecordError | None:
    found = [i for i in issues if len(i)]
    if not found:
        return None
    issue = found[0].iloc[0]
    column = spec.column(issue["column"]) if issue["column"] in spec.column_names else None
    label = f"{column.zh}（{issue['column']}）" if column is not None else str(issue["column"])
    value = str(issue["value"])[:50]
    return RecordError(f"第 {int(issue['row'])} 条记录的字段 {label} 取值“{value}”无效：{issue['reason_zh']}",
                       f"Record {int(issue['row'])}: invalid value '{value}' for {issue['column']}: {issue['reason_en']}",
                       str(issue["column"]))


def validate_records(records: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """The records as a typed ``enterprises`` table; a ``RecordError`` naming the field and the value
    of the first broken rule. The rules are the import's own (``analytics.store.ingest.check_table``:
    required values, types, codes, finite numbers, the contract's ranges, unique ids, row rules, no
    date after today), plus the API's bounds on text (``MAX_ID_LENGTH``, ``MAX_TEXT_LENGTH``)."""
    spec = table("enterprises")
    if not 1 <= len(records) <= MAX_RECORDS:
        raise RecordError(f"须提交 1 到 {MAX_RECORDS} 条企业记录。", f"Send 1 to {MAX_RECORDS} enterprise records.", "enterprises")
    records = list(records)
    given = {name for record in records for name in record}
    unknown = sorted(map(str, given - set(spec.column_names)))
    if unknown:
        raise RecordError(f"未知的字段：{str(unknown[0])[:50]}。", f"Unknown field: {str(unknown[0])[:50]}.", str(unknown[0])[:50])
    cells = pd.DataFrame(index=pd.RangeIndex(len(records)))
    for column in spec.columns:
        if column.name not in given:
            if column.required:
                raise RecordError(f"必填字段 {column.zh}（{column.name}）缺失。",
                                  f"The required field {column.name} is missing.", column.name)
            cells[column.name] = ""
            continue
        # object values as posted: a NaN is a value to refuse, not a missing one (as a DataFrame would make it)
        values = pd.Series([record.get(column.name) for record in records], dtype=object)
        # a list or an object where the contract has one value (records are at most 1,000 rows)
        if not values.map(lambda v: v is None or isinstance(v, str | int | float | bool)).all():
            raise RecordError(f"字段 {column.zh}（{column.name}）须为单个值（文字、数字、是/否或 null）。",
                              f"The field {column.name} must be a single value (text, number, true/false or null).",
                              column.name)
        non_finite = values.map(lambda v: isinstance(v, float) and not math.isfinite(v))
        if non_finite.any():  # in any column: NaN and Infinity are no values of the contract
            row = int(non_finite.to_numpy().argmax())
            shown = repr(values.iloc[row])
            raise RecordError(f"第 {row + 1} 条记录的字段 {column.zh}（{column.name}）取值“{shown}”无效：须为有限的数值。",
                              f"Record {row + 1}: invalid value '{shown}' for {column.name}: not a finite number.", column.name)
        cells[column.name] = values.map(_cell).astype(str)
        limit = MAX_ID_LENGTH if column.name in ID_COLUMNS else MAX_TEXT_LENGTH
        long = cells[column.name].str.len() > limit
        if long.any():
            row = int(long.to_numpy().argmax()) + 1
            raise RecordError(f"第 {row} 条记录的字段 {column.zh}（{column.name}）超过 {limit} 个字符。",
                              f"Record {row}: the field {column.name} is longer than {limit} characters.", column.name)
    cells[SOURCE] = "request"
    cells[ROW] = range(1, len(cells) + 1)
    checked, issues = check_table(spec, cells, pd.Timestamp.today().normalize())
    refused = _first_issue(issues, spec)
    if refused is not None:
        raise refused
    return typed("enterprises", checked[list(spec.column_names)])


def _batch_query(stored: sa.Table, columns: list[str], ids: list[str], towns: list[str]) -> sa.Select:
    if "enterprise_id" in columns:
        return sa.select(stored).where(stored.c.enterprise_id.in_(ids))
    if "town_id" in columns:
        return sa.select(stored).where(stored.c.town_id.in_(towns) | stored.c.town_id.is_(None))
    return sa.select(stored)


def _batch_tables(store, enterprises: pd.DataFrame, held: frozenset[str]) -> dict[str, pd.DataFrame]:
    """The store's rows of these enterprises in every table that has an ``enterprise_id``, their towns
    and the weather alerts of those towns; the posted ``enterprises`` replace the stored ones."""
    ids = enterprises["enterprise_id"].astype(str).tolist()
    towns = enterprises["town_id"].astype(str).unique().tolist()
    out: dict[str, pd.DataFrame] = {"enterprises": enterprises}
    with store.engine.connect() as connection:
        for name, spec in TABLES.items():
            stored = metadata.tables.get(name)
            if name == "enterprises":
                continue
            if stored is None:
                continue
            frame = pd.read_sql(_batch_query(stored, spec.column_names, ids, towns), connection)
            # a table the store holds stays present when the batch has no rows in it: firms with no
            # events, not a skipped family (``held``, see ``risklist.held_on``)
            if not frame.empty or spec.required or name in held:
                out[name] = typed(name, frame)
    known_towns = set(out["towns"]["town_id"].astype(str))
    missing = sorted(set(towns) - known_towns)
    if missing:
        raise RecordError(f"镇街编码 {missing[0]} 不在库中。", f"The town {missing[0]} is not in the store.", "town_id")
    return out


def score_records(store, records: Sequence[Mapping[str, object]], as_of: AsOf | None = None, lang: str = "zh",
                  models_dir: str | None = None) -> pd.DataFrame:
    """The risk-list rows of the posted enterprises on ``as_of`` (default: the newest stored list's
    date, else today; the API parses a given date with ``AsOf.parse``) by the serving model; nothing
    is written. Enterprises not operating on ``as_of`` get no row. Ranks are within the batch; levels
    in the county's own bands on ``as_of`` (``risklist.thresholds_on``: its ``--levels``, if any)."""
    enterprises = validate_records(records)
    if as_of is None:
        dates = scored_dates(store)
        as_of = AsOf(max(dates) if len(dates) else pd.Timestamp.now().normalize())
    model, card = ModelRegistry(models_dir).load()
    held = held_on(store, as_of)
    snapshot = Snapshot.from_tables(_batch_tables(store, enterprises, held), as_of, held=held)
    if snapshot["enterprises"].empty:
        return pd.DataFrame(columns=list(OUTPUT_COLUMNS))
    scored = score_enterprises(snapshot, model, card["version"], thresholds=thresholds_on(store, AsOf.parse(as_of)))
    if lang == "en":
        scored["reasons"] = scored["reasons_en"]
    return scored[list(OUTPUT_COLUMNS)].reset_index(drop=True)
