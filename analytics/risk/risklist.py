"""The risk list: scores → ranks, levels and reasons; stored per (as-of, model version); the contract's CSV.

- ``score_enterprises(snapshot, model, ...)``: the list for every enterprise operating on the
  snapshot's date (contract columns first, then ``reasons_en``, ``reason_features``, ``town_id``,
  ``sector``, the list's flags ``facts.FLAG_CODES`` and ``contributions`` as JSON text).
- The flags are computed once, at scoring, and stored with the list (``risk_scores.flags``: the
  raised flags' codes joined by ","); ``read_risk_list`` returns them as one boolean column each,
  missing (``<NA>``) for a list stored before lists kept them.
- Ranks: score (rounded to 6 decimals, as printed) descending, then ``enterprise_id`` ascending
  (``TIE_BREAK``): the same inputs always give the same list.
- Levels: ``analytics.risk.levels`` with hysteresis against the last stored list *before* ``as_of``.
- ``save_risk_list`` replaces a stored list of the same as-of and model version (re-scoring is
  idempotent); ``read_risk_list`` returns the latest when no date or version is given.
- ``write_contract_csv``: exactly ``schema.RISK_LIST_COLUMNS``, UTF-8 with BOM, ``\\n`` line ends,
  reasons in Chinese joined with "；" (English with ``lang="en"``).
- ``dated_list``: a list of a later date carried forward from the latest one, where results
  entered that day are rescored (``rescore_enterprise``).
- ``rescore_enterprise``: one enterprise's rows and its town are read, its features, score, level and
  reasons recomputed and its stored row updated (ranks of the rows it passes shift by one). The
  county-wide features (family ``context``: sector and town rates) are taken from the stored row,
  where ``score_enterprises`` kept them (column ``context``): they describe the county, not the firm.

Long because scoring, the stored list (write and read back with its flags and contributions) and
the contract's CSV must agree column for column; the levels live in ``levels``, reasons in
``models.explain``, one-firm rescoring's table reads in ``scoring``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from analytics.accounts.users import require
from analytics.contract.errors import UserError
from analytics.contract.exports import write_csv, write_csv_pieces
from analytics.risk.levels import DEFAULT_THRESHOLDS, LEVEL_DTYPE, LevelThresholds, assign_levels
from analytics.models.explain import reasons as explain_reasons
from analytics.contract.schema import RISK_LIST_COLUMNS, TABLES
from analytics.features.rectification import HELD_DEADLINE, HELD_RECTIFIED
from analytics.store.database import metadata
from analytics.store.app_tables import risk_lists, risk_scores
from analytics.snapshot.snapshot import AsOf, Snapshot, held_tables
from analytics.store.database import latest_record_date, read_rows
from analytics.snapshot.facts import FLAG_CODES, decode_flags, encode_flags, enterprise_flags
from analytics.contract.words import count
from analytics.features import FEATURES, build_features
from analytics.models.registry import ModelRegistry
from analytics.risk.levels import level_label

TIE_BREAK = "score desc, enterprise_id asc"
SCORE_DECIMALS = 6
CONTRIBUTION_DECIMALS = 4
REASON_COUNT = 3
SAVE_BATCH = 20_000  # rows per insert when a list is stored


COUNTY_WIDE_FAMILIES = ("context",)


def list_id_of(as_of: AsOf, model_version: str) -> str:
    return f"{as_of.iso}/{model_version}"


JSON_BATCH_ROWS = 20_000  # rows per text of _rows_json


def _rows_json(frame: pd.DataFrame, decimals: int | None = CONTRIBUTION_DECIMALS,
               batch: int = JSON_BATCH_ROWS) -> pd.Series:
    """One compact JSON object per row (``{column: value}``), made by pandas' C writer ``batch`` rows
    at a time: one text of a whole province's rows (2.6 GB at a million) and its copies ran a 14 GB
    process out of memory; a batch's text is a few tens of MB whatever the size."""
    if frame.shape[1] == 0:
        return pd.Series("{}", index=frame.index, dtype=object)
    values = (frame.round(decimals) if decimals is not None else frame).reset_index(drop=True)
    rows: list[str] = []
    for start in range(0, len(values), batch):  # a loop over batches of rows, not over rows
        text = values.iloc[start:start + batch].to_json(orient="records", lines=True, double_precision=15)
        rows.extend(text.rstrip("\n").split("\n"))
    return pd.Series(rows, index=frame.index, dtype=object)


def county_wide_features(columns: object) -> list[str]:
    """The feature columns computed over the whole county (registry families ``COUNTY_WIDE_FAMILIES``)."""
    return [c for c in columns if c in FEATURES and FEATURES[c].family in COUNTY_WIDE_FAMILIES]


def rank_scores(scores: pd.Series) -> pd.DataFrame:
    """``score`` (rounded) and ``rank`` by ``TIE_BREAK``; rows in rank order, index enterprise_id."""
    frame = pd.DataFrame({"score": scores.round(SCORE_DECIMALS).to_numpy(), "enterprise_id": scores.index.astype(str)})
    frame = frame.sort_values(["score", "enterprise_id"], ascending=[False, True], kind="stable")
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame.set_index("enterprise_id")


def score_enterprises(snapshot: Snapshot, model: object, model_version: str = "",
                      thresholds: LevelThresholds = DEFAULT_THRESHOLDS, previous_levels: pd.Series | None = None,
                      top: int = REASON_COUNT, features: pd.DataFrame | None = None) -> pd.DataFrame:
    """The risk list of the snapshot's date (one row per enterprise operating then), in rank order.

    ``features``: a feature matrix already built from ``snapshot`` (else ``build_features``).
    ``previous_levels``: the levels of the previous list (index enterprise_id) for hysteresis.

    Two halves: ``score_rows`` (each firm on its own: score, reasons, flags; a partitioned engine
    runs it per partition) and ``finish_list`` (ranks and levels over the whole list).
    """
    rows = score_rows(snapshot, model, top=top, features=features)
    return finish_list(rows, snapshot.as_of, model_version, thresholds, previous_levels)


def nothing_operates(as_of: AsOf) -> UserError:
    """The error of a list asked for a day on which no enterprise operates (whatever the engine)."""
    return UserError(f"{as_of} 没有在营企业，无法生成风险清单。",
                     f"No enterprise operates on {as_of}; there is no risk list to make.")


def score_rows(snapshot: Snapshot, model: object, top: int = REASON_COUNT,
               features: pd.DataFrame | None = None) -> pd.DataFrame:
    """The per-firm half of ``score_enterprises``: one row per operating enterprise (sorted by id)
    with the unrounded ``score`` and every list column that depends on the firm alone."""
    as_of = snapshot.as_of
    wanted = getattr(model, "feature_names_in_", None)
    X = build_features(snapshot, columns=wanted) if features is None else features
    if len(X) == 0:
        raise nothing_operates(as_of)
    X.index = X.index.astype(str).rename("enterprise_id")
    wanted = list(X.columns if wanted is None else wanted)
    order = X.index
    contributions = model.contributions(X[wanted])
    explained = explain_reasons(contributions, X[wanted], top=top)
    enterprises = snapshot["enterprises"].assign(enterprise_id=snapshot["enterprises"]["enterprise_id"].astype(str))
    place = enterprises.set_index("enterprise_id")[["town_id", "sector"]].reindex(order)
    flags = enterprise_flags(snapshot.as_dict(), as_of.ts).reindex(order).fillna(False).astype(bool)
    out = pd.DataFrame({
        "enterprise_id": order.to_numpy(dtype=object),
        "score": model.predict_proba(X[wanted])[:, 1],
        "reasons": explained["reasons_zh"].to_numpy(),
        "reasons_en": explained["reasons_en"].to_numpy(),
        "reason_features": explained["reason_features"].to_numpy(),
        "town_id": place["town_id"].astype(object).to_numpy(),
        "sector": place["sector"].astype(object).to_numpy(),
    })
    for flag in FLAG_CODES:
        out[flag] = flags[flag].to_numpy()
    out["contributions"] = _rows_json(contributions).to_numpy()
    out["context"] = _rows_json(X[county_wide_features(X.columns)].astype("float64"), None).to_numpy()
    return out


def finish_list(rows: pd.DataFrame, as_of: AsOf, model_version: str = "",
                thresholds: LevelThresholds = DEFAULT_THRESHOLDS,
                previous_levels: pd.Series | None = None) -> pd.DataFrame:
    """The whole-list half of ``score_enterprises``: ``rows`` (``score_rows`` of every firm, in any
    order, as one frame) ranked by ``TIE_BREAK``, levelled, in the list's columns and rank order."""
    ranked = rank_scores(pd.Series(rows["score"].to_numpy(), index=rows["enterprise_id"].astype(str).to_numpy()))
    return list_frame(rows, ranked, assign_levels(ranked["score"], thresholds, previous_levels), as_of, model_version)


def list_frame(rows: pd.DataFrame, ranked: pd.DataFrame, levels: pd.Series, as_of: AsOf,
               model_version: str = "") -> pd.DataFrame:
    """The list's rows of ``ranked``'s firms (``rank_scores``: rounded score and rank, index
    enterprise_id, in rank order) with their ``levels`` (same index and order), their other columns
    from ``rows`` (``score_rows``, any order). The whole list, or one partition's share of it given
    the ranks and levels of the whole list (``analytics.engine.partition.finished_part``)."""
    order = ranked.index
    rows = rows.set_index(rows["enterprise_id"].astype(str).to_numpy()).loc[order]
    out = pd.DataFrame({
        "enterprise_id": order.to_numpy(dtype=object),
        "as_of": as_of.iso,
        "score": ranked["score"].to_numpy(),
        "rank": ranked["rank"].to_numpy(),
        "risk_level": levels.astype(object).to_numpy(),
        "reasons": rows["reasons"].to_numpy(),
        "model_version": model_version,
    })
    for column in ("reasons_en", "reason_features", "town_id", "sector", *FLAG_CODES, "contributions", "context"):
        out[column] = rows[column].to_numpy()
    return out


# --- the store -------------------------------------------------------------------------------
def save_risk_list(store, risk_list: pd.DataFrame, seed: int | None = None, as_of: AsOf | None = None,
                   thresholds: LevelThresholds = DEFAULT_THRESHOLDS) -> str:
    """Store ``risk_list`` (from ``score_enterprises``, levelled with ``thresholds``), replacing one of
    the same as-of and model version."""
    as_of = as_of or AsOf.parse(risk_list["as_of"].iloc[0])  # else the list's own column (ISO text)
    return save_list_pieces(store, [risk_list], len(risk_list), as_of, str(risk_list["model_version"].iloc[0]), seed,
                            thresholds)


def save_list_pieces(store, pieces: Iterable[pd.DataFrame], n: int, as_of: AsOf, version: str,
                     seed: int | None = None, thresholds: LevelThresholds = DEFAULT_THRESHOLDS) -> str:
    """Store a list of ``n`` rows given as ``pieces`` (a province's list part by part, never whole),
    replacing one of the same as-of and model version, in one transaction; with the ``thresholds``
    its levels were assigned with, so a later one-firm re-score and the map use the same bands."""
    list_id = list_id_of(as_of, version)
    with store.engine.begin() as connection:
        connection.execute(risk_scores.delete().where(risk_scores.c.list_id == list_id))
        connection.execute(risk_lists.delete().where(risk_lists.c.list_id == list_id))
        connection.execute(risk_lists.insert().values(
            list_id=list_id, as_of=as_of.date, model_version=version, seed=seed, tie_break=TIE_BREAK,
            created_at=pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime(), n=int(n),
            levels=thresholds.to_json(),
        ))
        for piece in pieces:  # a loop over pieces of the list
            rows = _stored_rows(piece, list_id)
            for start in range(0, len(rows), SAVE_BATCH):  # in batches: a province's list is millions of rows
                connection.execute(risk_scores.insert(), rows.iloc[start:start + SAVE_BATCH].to_dict("records"))
    return list_id


def _stored_rows(risk_list: pd.DataFrame, list_id: str) -> pd.DataFrame:
    return pd.DataFrame({
        "list_id": list_id,
        "enterprise_id": risk_list["enterprise_id"].astype(str),
        "score": risk_list["score"].astype(float),
        "rank": risk_list["rank"].astype(int),
        "risk_level": risk_list["risk_level"].astype(str),
        "reasons_zh": risk_list["reasons"].astype(str),
        "reasons_en": risk_list["reasons_en"].astype(str),
        "contributions": risk_list["contributions"].astype(str),
        "context": risk_list["context"].astype(str) if "context" in risk_list else None,
        "flags": encode_flags(risk_list) if set(FLAG_CODES) <= set(risk_list.columns) else None,
    })


def scored_dates(store) -> list[pd.Timestamp]:
    """The as-of dates that have a stored risk list, oldest first."""
    with store.engine.connect() as connection:
        dates = connection.execute(sa.select(risk_lists.c.as_of).distinct().order_by(risk_lists.c.as_of)).scalars().all()
    return [pd.Timestamp(d) for d in dates]


def default_score_date(store) -> pd.Timestamp:
    """The date ``saferank score`` scores on when none is given: the newest inspection, or the newest
    stored list's date when that is later (results entered on a later day carry the list forward to
    that day, and the pages open on the newest list: a full scoring dated before it would stay hidden)."""
    dates = scored_dates(store)
    newest = latest_record_date(store)
    return max(newest, dates[-1].normalize()) if dates else newest


def _find_list(store, as_of: AsOf | None, model_version: str | None, before: bool = False) -> dict | None:
    query = sa.select(risk_lists)
    if as_of is not None:
        day = _checked(as_of).date
        query = query.where(risk_lists.c.as_of < day if before else risk_lists.c.as_of == day)
    if model_version is not None:
        query = query.where(risk_lists.c.model_version == model_version)
    query = query.order_by(risk_lists.c.as_of.desc(), risk_lists.c.created_at.desc(), risk_lists.c.list_id.desc()).limit(1)
    with store.engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return dict(row) if row else None


def _checked(as_of: AsOf) -> AsOf:
    if not isinstance(as_of, AsOf):  # parsed at the edge: AsOf.parse
        raise TypeError(f"as_of must be an AsOf, not {type(as_of).__name__} {as_of!r}")
    return as_of


def read_risk_list(store, as_of: AsOf | None = None, model_version: str | None = None, lang: str = "zh") -> pd.DataFrame:
    """A stored list in the contract's columns (``reasons`` in ``lang``) plus ``reasons_zh``/``reasons_en``,
    ``contributions`` and the flags (``FLAG_CODES``, nullable booleans: missing in a list stored before
    lists kept their flags); the latest list when ``as_of``/``model_version`` are not given; empty if none."""
    found = _find_list(store, as_of, model_version)
    columns = list(RISK_LIST_COLUMNS) + ["reasons_zh", "reasons_en", "contributions", *FLAG_CODES]
    if found is None:
        return pd.DataFrame(columns=columns)
    with store.engine.connect() as connection:
        rows = pd.read_sql(sa.select(risk_scores).where(risk_scores.c.list_id == found["list_id"])
                           .order_by(risk_scores.c.rank), connection)
    rows["as_of"] = pd.Timestamp(found["as_of"]).date().isoformat()
    rows["model_version"] = found["model_version"]
    rows["reasons"] = rows["reasons_zh"] if lang == "zh" else rows["reasons_en"]
    rows[list(FLAG_CODES)] = decode_flags(rows["flags"])
    return rows[columns].reset_index(drop=True)


RANKING_COLUMNS = ("enterprise_id", "as_of", "score", "rank", "risk_level", "model_version")


def read_ranking(store, as_of: AsOf | None = None, model_version: str | None = None) -> pd.DataFrame:
    """The list ``read_risk_list`` would read, in its row order, with only what a plan draws from
    (``RANKING_COLUMNS``): not the reasons, contributions and flags, most of a stored list's bytes
    (a second of ``saferank plan`` at 100,000 firms). Empty if none."""
    found = _find_list(store, as_of, model_version)
    if found is None:
        return pd.DataFrame(columns=list(RANKING_COLUMNS))
    c = risk_scores.c
    with store.engine.connect() as connection:
        rows = pd.read_sql(sa.select(c.enterprise_id, c.score, c.rank, c.risk_level)
                           .where(c.list_id == found["list_id"]).order_by(c.rank), connection)
    rows["as_of"] = pd.Timestamp(found["as_of"]).date().isoformat()
    rows["model_version"] = found["model_version"]
    return rows[list(RANKING_COLUMNS)].reset_index(drop=True)


def thresholds_on(store, as_of: AsOf | None = None) -> LevelThresholds:
    """The level thresholds in force on ``as_of``: those of the list stored that day (the list
    ``read_risk_list`` reads), else of the latest list before it, else of the newest list (``as_of``
    None, or a date before every list), else the defaults. A list stored before lists kept their
    thresholds reads as the defaults."""
    found = (_find_list(store, as_of, None) or (as_of is not None and _find_list(store, as_of, None, before=True))
             or _find_list(store, None, None))
    return LevelThresholds.from_json(found["levels"] if found else None)


def previous_levels(store, as_of: AsOf) -> pd.Series | None:
    """The levels of the latest list stored before ``as_of`` (any model), for hysteresis."""
    found = _find_list(store, as_of, None, before=True)
    if found is None:
        return None
    with store.engine.connect() as connection:
        rows = pd.read_sql(sa.select(risk_scores.c.enterprise_id, risk_scores.c.risk_level)
                           .where(risk_scores.c.list_id == found["list_id"]), connection)
    return rows.set_index("enterprise_id")["risk_level"]


def write_contract_csv(risk_list: pd.DataFrame, path: str | Path, lang: str = "zh", user=None) -> Path:
    """The list as the contract's CSV: ``RISK_LIST_COLUMNS`` in order, UTF-8 with BOM.

    ``user``: the signed-in account asking for the file, which needs ``risk_list_export`` (a leader
    reads the list on screen only); ``None`` is the command line.
    """
    if user is not None:
        require(user, "risk_list_export")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(_contract_rows(risk_list.sort_values("rank", kind="stable"), lang), path, index=False,
              encoding="utf-8-sig", lineterminator="\n")  # names run no formula
    return path


def write_contract_csv_pieces(pieces: Callable[[], Iterable[pd.DataFrame]], path: str | Path, lang: str = "zh") -> Path:
    """``write_contract_csv`` of a list given in rank order as pieces (``pieces()`` yields them, and is
    called once, or twice when a cell breaks a line: ``exports.write_csv_pieces``): the same bytes, without holding the list whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv_pieces(lambda: (_contract_rows(piece, lang) for piece in pieces()), path, index=False,
                            lineterminator="\n")


def _contract_rows(risk_list: pd.DataFrame, lang: str) -> pd.DataFrame:
    frame = risk_list.copy()
    if lang == "en" and "reasons_en" in frame:
        frame["reasons"] = frame["reasons_en"]
    frame = frame[list(RISK_LIST_COLUMNS)]
    frame["score"] = frame["score"].map(f"{{:.{SCORE_DECIMALS}f}}".format)
    return frame


# --- one enterprise --------------------------------------------------------------------------
ENTERPRISE_TABLES = tuple(name for name, t in TABLES.items() if "enterprise_id" in t.column_names)


def _enterprise_tables(store, enterprise_id: str, held: frozenset[str]) -> dict[str, pd.DataFrame]:
    """That enterprise's rows of every contract table the store holds (``held``; an empty frame where
    the firm has none), its town and the alerts (typed), all dates."""
    out: dict[str, pd.DataFrame] = {}
    for name in ENTERPRISE_TABLES:  # raw driver values typed column by column (``read_rows``), not pd.read_sql + typed
        table = metadata.tables.get(name)
        if table is None:
            continue
        frame = read_rows(store, name, table.c.enterprise_id == enterprise_id)
        if not frame.empty or TABLES[name].required or name in held:
            out[name] = frame
    if out["enterprises"].empty:
        raise UserError(f"企业 {enterprise_id} 不存在。", f"Enterprise {enterprise_id} does not exist.")
    town = out["enterprises"]["town_id"].iloc[0]
    out["towns"] = read_rows(store, "towns", metadata.tables["towns"].c.town_id == town)
    alerts = metadata.tables.get("weather_alerts")
    if alerts is not None and "weather_alerts" in held:
        out["weather_alerts"] = read_rows(store, "weather_alerts", (alerts.c.town_id == town) | alerts.c.town_id.is_(None))
    return out


def held_on(store, as_of: AsOf) -> frozenset[str]:
    """What a snapshot of a few firms holds on ``as_of``: the store's optional tables
    (``held_tables``) and the hazards' optional columns the county records by then
    (``rectification.HELD_RECTIFIED``, ``HELD_DEADLINE``), which the firms' own rows cannot tell.

    With it a firm without penalties, or whose hazards are all open, gets the families a full
    scoring gives it, computed from its own (possibly empty) rows; no record of another firm is
    borrowed to keep a family present.
    """
    hazards = metadata.tables["hazards"]
    day = AsOf.parse(as_of).date
    known = hazards.c.found_date <= day
    if "recorded_date" in hazards.c:  # contract v2: known from the later of found and recorded
        known = known & (hazards.c.recorded_date.is_(None) | (hazards.c.recorded_date <= day))
    columns = {HELD_RECTIFIED: hazards.c.rectified_date <= day, HELD_DEADLINE: hazards.c.deadline.is_not(None)}
    with store.engine.connect() as connection:
        recorded = {name for name, condition in columns.items()
                    if connection.execute(sa.select(sa.literal(1)).select_from(hazards).where(known & condition).limit(1)).first()}
    return held_tables(store) | recorded


def rescore_enterprise(store, enterprise_id: str, as_of: AsOf | None = None, model: object | None = None,
                       registry=None) -> pd.Series:
    """Recompute one enterprise's row of the stored list of ``as_of`` (latest list when None); returns it.

    The model is the one that made the list (from ``registry``) unless ``model`` is given. The
    county-wide features come from the stored row (the county as it was when the list was made);
    everything else from the firm's own records, so the result equals a full re-score of that firm
    up to the county-wide rates' change by its own new records.
    """
    found = _find_list(store, as_of, None)
    if found is None:
        raise UserError("尚无已保存的风险清单：请先运行 saferank score。", "No risk list is stored yet: run saferank score first.")
    as_of = AsOf(pd.Timestamp(found["as_of"]))  # a date column read back from the store
    if model is None:
        model, _ = (registry or ModelRegistry()).load(found["model_version"])

    held = held_on(store, as_of)
    snapshot = Snapshot.from_tables(_enterprise_tables(store, str(enterprise_id), held), as_of, held=held)
    # the model's columns: an attribute this one firm leaves blank is blank, not absent
    features = build_features(snapshot, columns=getattr(model, "feature_names_in_", None))
    stored = _stored_context(store, found["list_id"], str(enterprise_id))
    for name, value in stored.items():
        if name in features.columns:
            features[name] = np.nan if value is None else float(value)
    previous = previous_levels(store, as_of)
    before = None if previous is None else previous.reindex([str(enterprise_id)]).dropna()
    row = score_enterprises(snapshot, model, found["model_version"], previous_levels=before, features=features,
                            thresholds=LevelThresholds.from_json(found["levels"])).iloc[0]  # the list's own bands
    _update_row(store, found["list_id"], row)
    return row


def dated_list(store, as_of: AsOf) -> str:
    """The ``list_id`` of a stored list dated ``as_of``: the one stored on that day if any, else a new
    list of that date whose rows are the latest earlier list's rows, copied as they are (one
    ``INSERT ... SELECT`` in the database; same model version, ranks and levels). Results entered on
    a day are then rescored on that day (``rescore_enterprise``) without touching the older list, and
    the pages, which read the latest list, show the new scores; the firms nobody rescored keep the
    scores of the list they were carried from until the next ``saferank score``."""
    as_of = _checked(as_of)
    found = _find_list(store, as_of, None)
    if found is not None:
        return found["list_id"]
    source = _find_list(store, as_of, None, before=True)
    if source is None:
        raise UserError("尚无已保存的风险清单：请先运行 saferank score。", "No risk list is stored yet: run saferank score first.")
    list_id = list_id_of(as_of, source["model_version"])
    copied = [c for c in risk_scores.columns if c.name != "list_id"]
    rows = sa.select(sa.literal(list_id, sa.String(160)).label("list_id"), *copied).where(
        risk_scores.c.list_id == source["list_id"])
    with store.engine.begin() as connection:
        connection.execute(risk_lists.insert().values(
            list_id=list_id, as_of=as_of.date, model_version=source["model_version"], seed=source["seed"],
            tie_break=TIE_BREAK, created_at=pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime(), n=source["n"],
            levels=source["levels"]))
        connection.execute(risk_scores.insert().from_select(["list_id", *[c.name for c in copied]], rows))
    return list_id


def _stored_context(store, list_id: str, enterprise_id: str) -> dict:
    import json

    with store.engine.connect() as connection:
        text = connection.execute(sa.select(risk_scores.c.context).where(
            (risk_scores.c.list_id == list_id) & (risk_scores.c.enterprise_id == enterprise_id))).scalar()
    return json.loads(text) if text else {}


def _update_row(store, list_id: str, row: pd.Series) -> None:
    key = (risk_scores.c.list_id == list_id) & (risk_scores.c.enterprise_id == row["enterprise_id"])
    with store.engine.begin() as connection:
        old = connection.execute(sa.select(risk_scores.c.rank, risk_scores.c.score).where(key)).first()
        old_rank = None if old is None else old.rank
        others = (risk_scores.c.list_id == list_id) & (risk_scores.c.enterprise_id != row["enterprise_id"])
        this_list = risk_scores.c.list_id == list_id
        # a range count on the (list_id, score) index, less the firm's own old row, plus the ties
        # ahead of it by id: no scan of the list's rows
        higher = connection.execute(sa.select(sa.func.count()).where(this_list & (risk_scores.c.score > row["score"]))).scalar()
        higher -= int(old is not None and old.score > row["score"])
        tied = connection.execute(sa.select(sa.func.count()).where(this_list & (risk_scores.c.score == row["score"])
                                                                   & (risk_scores.c.enterprise_id < row["enterprise_id"]))).scalar()
        new_rank = 1 + higher + tied
        if old_rank is None:
            connection.execute(risk_scores.update().where(others & (risk_scores.c.rank >= new_rank))
                               .values(rank=risk_scores.c.rank + 1))
            connection.execute(risk_lists.update().where(risk_lists.c.list_id == list_id).values(n=risk_lists.c.n + 1))
        elif new_rank < old_rank:
            connection.execute(risk_scores.update().where(others & (risk_scores.c.rank >= new_rank) & (risk_scores.c.rank < old_rank))
                               .values(rank=risk_scores.c.rank + 1))
        elif new_rank > old_rank:
            connection.execute(risk_scores.update().where(others & (risk_scores.c.rank > old_rank) & (risk_scores.c.rank <= new_rank))
                               .values(rank=risk_scores.c.rank - 1))
        values = {"score": float(row["score"]), "rank": int(new_rank), "risk_level": str(row["risk_level"]),
                  "reasons_zh": row["reasons"], "reasons_en": row["reasons_en"], "contributions": row["contributions"],
                  "context": row["context"], "flags": encode_flags(row.to_frame().T).iloc[0]}
        if old_rank is None:
            connection.execute(risk_scores.insert().values(list_id=list_id, enterprise_id=row["enterprise_id"], **values))
        else:
            connection.execute(risk_scores.update().where(key).values(**values))


@dataclass
class ScoreReport:
    """What ``saferank score`` prints."""

    list_id: str
    as_of: pd.Timestamp
    model_version: str
    n: int
    level_counts: dict[str, int]
    path: Path | None
    note: dict[str, str]

    def render(self, lang: str = "zh") -> str:

        counts = "，".join(f"{level_label(k, 'zh')} {v}" for k, v in self.level_counts.items()) if lang == "zh" else \
            ", ".join(f"{level_label(k, 'en')} {v}" for k, v in self.level_counts.items())
        if lang == "zh":
            lines = [f"风险清单 {self.as_of.date()}：{self.n} 家企业，模型 {self.model_version}。", f"风险等级：{counts}。"]
            if self.path:
                lines.append(f"已写出 {self.path}（UTF-8 BOM）。")
        else:
            lines = [f"Risk list {self.as_of.date()}: {count(self.n, 'enterprise')}, model {self.model_version}.",
                     f"Levels: {counts}."]
            if self.path:
                lines.append(f"Wrote {self.path} (UTF-8 with BOM).")
        if self.note.get(lang):
            lines.append(self.note[lang])
        return "\n".join(lines)


def score_store(store, as_of: AsOf | None = None, out: str | Path | None = None, models_dir: str | Path | None = None,
                levels: str | Path | None = None, top: int = REASON_COUNT, lang: str = "zh") -> ScoreReport:
    """Score the store's enterprises on ``as_of`` (default: ``default_score_date``) with the serving
    model, store the list (reasons in both languages), write the CSV (reasons in ``lang``). The store
    is read and cut once (``Snapshot.from_store``).

    ``levels``: a JSON/TOML file of level thresholds (``LevelThresholds.from_file``), else defaults.
    """
    thresholds = LevelThresholds.from_file(levels) if levels else LevelThresholds()
    model, card = ModelRegistry(models_dir).load()
    as_of = _checked(as_of) if as_of is not None else AsOf(default_score_date(store))
    snapshot = Snapshot.from_store(store, as_of)
    risk_list = score_enterprises(snapshot, model, card["version"], thresholds=thresholds,
                                  previous_levels=previous_levels(store, as_of), top=top)
    list_id = save_risk_list(store, risk_list, seed=card.get("seed"), as_of=as_of, thresholds=thresholds)
    path = write_contract_csv(risk_list, out, lang=lang) if out else None
    counts = risk_list["risk_level"].astype(LEVEL_DTYPE).value_counts().reindex(LEVEL_DTYPE.categories, fill_value=0)
    return ScoreReport(list_id, as_of.ts, card["version"], len(risk_list), {k: int(v) for k, v in counts.items()}, path,
                       card.get("notes") or {})
