"""``build_features``: the point-in-time feature matrix of the enterprises operating on an as-of date.

The matrix is built from a ``Snapshot`` (the tables as known on its date, cut once by
``analytics.snapshot``); a tables dict with an ``as_of`` is cut into one first, so passing tables
that hold later records is safe. One row per enterprise of ``Snapshot.operating`` (index ``enterprise_id``,
sorted), one column per registered feature of each family whose tables are present; numeric columns
are ``float64``, categorical ones pandas ``category`` with fixed categories (the contract's codes, the
towns table), so matrices of different dates stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pandas as pd

from analytics.contract.errors import UserError
from analytics.features import (
    context,
    enforcement,
    history,
    operations,
    outsourcing,
    power,
    profile,
    rectification,
    season,
    status,
    weather,
)
from analytics.features.registry import FAMILY_TABLES, family_features
from analytics.features.workspace import Workspace
from analytics.snapshot.snapshot import Snapshot, as_snapshot

FAMILY_COMPUTE: dict[str, Callable[[Workspace], dict[str, object]]] = {
    "profile": profile.compute,
    "season": season.compute,
    "status": status.compute,
    "history": history.compute,
    "rectification": rectification.compute,
    "enforcement": enforcement.compute_enforcement,
    "incidents": enforcement.compute_incidents,
    "operations": operations.compute,
    "outsourcing": outsourcing.compute,
    "weather": weather.compute,
    "context": context.compute,
    "power": power.compute,
}


def skipped_families(tables: Snapshot | dict[str, pd.DataFrame], as_of: object = None) -> dict[str, tuple[str, ...]]:
    """Family → what it lacks: absent tables (``"penalties"``) or empty needed columns
    (``"hazards.rectified_date"``, judged on the snapshot's tables, or on the tables as known on
    ``as_of`` when a tables dict and a date are given)."""
    if as_of is None and not isinstance(tables, Snapshot):
        known, held = tables, frozenset()
    else:
        snapshot = as_snapshot(tables, as_of)
        known, held = snapshot.tables, snapshot.held
    skipped: dict[str, tuple[str, ...]] = {}
    for family, needed in FAMILY_TABLES.items():
        missing = tuple(name for name in needed if name not in known)
        if not missing and family == "rectification":
            missing = rectification.missing_columns(known, held)
        if missing:
            skipped[family] = missing
    return skipped


def _check_families(families: Iterable[str]) -> list[str]:
    chosen = list(families)
    unknown = [f for f in chosen if f not in FAMILY_COMPUTE]
    if unknown:
        known = ", ".join(FAMILY_COMPUTE)
        raise UserError(f"未知的特征族：{', '.join(unknown)}（可选：{known}）。",
                        f"Unknown feature families: {', '.join(unknown)} (choose from: {known}).")
    return chosen


def build_features(snapshot: Snapshot | dict[str, pd.DataFrame], as_of: object = None,
                   families: Iterable[str] | None = None, columns: Iterable[str] | None = None,
                   given: Mapping[str, Callable[[Workspace], dict[str, object]]] | None = None,
                   unrecorded: Iterable[str] | None = None) -> pd.DataFrame:
    """The feature matrix of ``snapshot`` (see the module docstring); ``families`` limits the families built.

    ``build_features(tables, as_of)`` (a tables dict and a date) is kept for tests and notebooks: it
    cuts the tables into a snapshot first.

    Profile attributes the tables never record (``profile.unrecorded_features``) are left out, unless
    ``columns`` names them: ``columns`` (a fitted model's ``feature_names_in_``) gives the matrix
    exactly those columns in that order, so one firm whose record leaves an attribute blank is scored
    with it blank, as it was in the county's matrix the model was trained on.

    ``given``: family → the function computing it in place of its own, for values computed elsewhere:
    a partitioned engine (``analytics.engine``) gives the county-wide family ``context`` from rates it
    reduced over every partition, since a partition alone holds only part of the county.
    ``unrecorded``: the profile attributes to leave out when ``columns`` is None (default: those the
    snapshot's enterprises never record; a partition is given the county's).
    """
    snapshot = as_snapshot(snapshot, as_of)
    chosen = list(FAMILY_COMPUTE) if families is None else _check_families(families)
    known = snapshot.as_dict()
    enterprises = snapshot.operating
    ids = pd.Index(enterprises["enterprise_id"].astype(str).to_numpy(), name="enterprise_id")
    enterprises = enterprises.set_axis(ids).sort_index()
    workspace = Workspace(known, snapshot.as_of.ts, enterprises, snapshot.held)
    skipped = skipped_families(snapshot)
    wanted = None if columns is None else list(columns)
    columns: dict[str, object] = {}
    for family in chosen:
        if family in skipped:
            continue
        compute = (given or {}).get(family, FAMILY_COMPUTE[family])
        values = workspace_values(compute(workspace), family)
        for name in family_features(family):
            if name in values:
                value = values[name]
                columns[name] = value.to_numpy() if isinstance(value, pd.Series) and not isinstance(
                    value.dtype, pd.CategoricalDtype) else (value.array if isinstance(value, pd.Series) else value)
    matrix = pd.DataFrame(columns, index=enterprises.index)
    if wanted is None:
        unrecorded = profile.unrecorded_features(known["enterprises"]) if unrecorded is None else set(unrecorded)
        return matrix.drop(columns=sorted(set(unrecorded) & set(matrix.columns)))
    missing = [name for name in wanted if name not in matrix.columns]
    if missing:
        raise UserError(f"模型所需特征无法计算（缺少相应数据表）：{', '.join(missing)}",
                        f"Features the model needs cannot be computed (their tables are missing): {', '.join(missing)}")
    return matrix[wanted]


def workspace_values(values: dict[str, object], family: str) -> dict[str, object]:
    """A family's output, checked against the registry (a name it does not register is a bug)."""
    unregistered = set(values) - set(family_features(family))
    if unregistered:
        raise RuntimeError(f"family {family} computed unregistered features: {sorted(unregistered)}")
    return values
