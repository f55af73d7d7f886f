"""Score a batch of enterprise records (the contract's ``enterprises`` shape) without storing anything.

A thin adapter for ``POST /api/v1/score``, for the models engineer to review: the posted records
replace (or add to) the store's ``enterprises`` rows of the same ids; each firm's own history
(inspections, hazards, ... as known on ``as_of``) and its town come from the store, one query per
table for the whole batch; the serving model scores them through ``risklist.score_enterprises``.
As in ``risklist.rescore_enterprise``, features that compare a firm with the whole county are
computed from the batch's own rows, so they may differ from a full ``saferank score``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import sqlalchemy as sa

from analytics.contract.errors import UserError
from analytics.contract.frames import coerce, typed
from analytics.contract.schema import TABLES, table
from analytics.contract.dates import to_timestamp
from analytics.snapshot.timeline import as_known_on

MAX_RECORDS = 1000
OUTPUT_COLUMNS = ("enterprise_id", "as_of", "score", "rank", "risk_level", "reasons", "model_version", "town_id", "sector")


class RecordError(UserError):
    """A posted record breaks the contract; ``field`` names the column."""

    def __init__(self, zh: str, en: str, field: str) -> None:
        super().__init__(zh, en)
        self.field = field


def validate_records(records: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """The records as a typed ``enterprises`` table; a ``RecordError`` for the first broken rule."""
    spec = table("enterprises")
    if not 1 <= len(records) <= MAX_RECORDS:
        raise RecordError(f"须提交 1 到 {MAX_RECORDS} 条企业记录。", f"Send 1 to {MAX_RECORDS} enterprise records.", "enterprises")
    raw = pd.DataFrame.from_records(list(records))
    unknown = sorted(set(raw.columns) - set(spec.column_names))
    if unknown:
        raise RecordError(f"未知的字段：{unknown[0]}。", f"Unknown field: {unknown[0]}.", unknown[0])
    clean: dict[str, pd.Series] = {}
    for column in spec.columns:
        if column.name not in raw:
            if column.required:
                raise RecordError(f"必填字段 {column.zh}（{column.name}）缺失。",
                                  f"The required field {column.name} is missing.", column.name)
            continue
        values = raw[column.name]
        scalar = values.map(lambda v: v is None or isinstance(v, str | int | float | bool))
        present = values.notna() & (values.astype(str).str.strip() != "")
        invalid = RecordError(f"字段 {column.zh}（{column.name}）的取值无效。", f"Invalid values in {column.name}.", column.name)
        if not scalar.all():
            raise invalid
        if column.required and not present.all():
            raise RecordError(f"必填字段 {column.zh}（{column.name}）缺失。",
                              f"The required field {column.name} is missing.", column.name)
        if column.codes and not values[present].isin(column.code_values()).all():
            raise invalid
        try:
            converted = coerce(column, values.where(present, None))
        except (ValueError, TypeError, OverflowError) as error:
            raise invalid from error
        if (present.to_numpy() & converted.isna().to_numpy()).any():
            raise invalid
        clean[column.name] = values.where(present, None)
    if raw["enterprise_id"].astype(str).duplicated().any():
        raise RecordError("企业编码重复。", "Duplicate enterprise IDs.", "enterprise_id")
    return typed("enterprises", pd.DataFrame(clean))


def _batch_query(stored: sa.Table, columns: list[str], ids: list[str], towns: list[str]) -> sa.Select:
    if "enterprise_id" in columns:
        return sa.select(stored).where(stored.c.enterprise_id.in_(ids))
    if "town_id" in columns:
        return sa.select(stored).where(stored.c.town_id.in_(towns) | stored.c.town_id.is_(None))
    return sa.select(stored)


def _batch_tables(store, enterprises: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The store's rows of these enterprises in every table that has an ``enterprise_id``, their towns
    and the weather alerts of those towns; the posted ``enterprises`` replace the stored ones."""
    from analytics.store.database import metadata

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
            if frame.empty and "enterprise_id" in spec.column_names:
                # The store holds this table but the batch has no rows in it: a firm with no events,
                # not a skipped family. One row of another firm keeps the family (and the model's
                # columns) present; features are built for the batch's firms only.
                frame = pd.read_sql(sa.select(stored).where(stored.c.enterprise_id.not_in(ids)).limit(1), connection)
            if not frame.empty or spec.required:
                out[name] = typed(name, frame)
    known_towns = set(out["towns"]["town_id"].astype(str))
    missing = sorted(set(towns) - known_towns)
    if missing:
        raise RecordError(f"镇街编码 {missing[0]} 不在库中。", f"The town {missing[0]} is not in the store.", "town_id")
    return out


def score_records(store, records: Sequence[Mapping[str, object]], as_of: object | None = None, lang: str = "zh",
                  models_dir: str | None = None) -> pd.DataFrame:
    """The risk-list rows of the posted enterprises on ``as_of`` (default: the newest stored list's
    date, else today) by the serving model; nothing is written. Enterprises not operating on
    ``as_of`` get no row. Ranks are within the batch."""
    from analytics.models.registry import ModelRegistry
    from analytics.risk.risklist import score_enterprises, scored_dates

    enterprises = validate_records(records)
    if as_of in (None, ""):
        dates = scored_dates(store)
        as_of = max(dates) if len(dates) else pd.Timestamp.now().normalize()
    try:
        as_of = to_timestamp(as_of)
    except (ValueError, TypeError) as error:
        raise RecordError(f"评估日期无法识别：{as_of}。", f"Not a date: {as_of}.", "as_of") from error
    model, card = ModelRegistry(models_dir).load()
    tables = as_known_on(_batch_tables(store, enterprises), as_of)
    if tables["enterprises"].empty:
        return pd.DataFrame(columns=list(OUTPUT_COLUMNS))
    scored = score_enterprises(tables, as_of, model, card["version"])
    if lang == "en":
        scored["reasons"] = scored["reasons_en"]
    return scored[list(OUTPUT_COLUMNS)].reset_index(drop=True)
