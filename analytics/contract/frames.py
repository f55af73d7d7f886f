"""The typed in-memory shape of contract tables, shared by the store, features, models and tests.

A typed table is a ``DataFrame`` with exactly the contract's columns, in the contract's order, and
these dtypes:

===========  ==================================================================
text         pandas ``string`` (missing: ``pd.NA``)
code         ``CategoricalDtype`` over the contract's English codes, in contract order
date         ``datetime64[ns]`` at midnight (missing: ``NaT``)
bool         pandas nullable ``boolean``
int          pandas nullable ``Int64``
float        ``float64`` (missing: ``NaN``)
===========  ==================================================================

``typed(name, data)`` turns already-parsed values (Python objects, strings of codes, dates) into
that shape; it is how the store returns tables and how tests build tiny hand-made ones. It does not
validate: ``analytics.store.ingest`` does that, with messages a user can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

import pandas as pd

from analytics.contract.schema import TABLES, Column

STRING = pd.StringDtype()


@cache  # a column's dtype never changes; a code list's CategoricalDtype is costly to build each time
def dtype_of(column: Column) -> object:
    if column.type == "text":
        return STRING
    if column.type == "code":
        return pd.CategoricalDtype(column.code_values())
    if column.type == "date":
        return "datetime64[ns]"
    if column.type == "bool":
        return "boolean"
    if column.type == "int":
        return "Int64"
    return "float64"


def _is_typed(column: Column, values: pd.Series) -> bool:
    """Whether ``values`` already have the column's typed dtype (for a code column: the contract's
    codes, in its order)."""
    dtype = dtype_of(column)
    if column.type == "code":
        return isinstance(values.dtype, pd.CategoricalDtype) and not values.dtype.ordered and \
            values.dtype.categories.dtype == dtype.categories.dtype and values.dtype.categories.equals(dtype.categories)
    return values.dtype == dtype


def coerce(column: Column, values: pd.Series) -> pd.Series:
    """One column's values in its typed dtype.

    Values already in that dtype (a typed table typed again, as the store's writer does with what the
    import checked) are kept as they are (dates still put at midnight): the conversions below would
    give them back unchanged."""
    if _is_typed(column, values):
        return values.dt.normalize() if column.type == "date" else values
    if column.type == "date":
        return pd.to_datetime(values, errors="raise").astype("datetime64[ns]").dt.normalize()
    if column.type == "code":
        return values.astype(object).where(values.notna(), None).astype(dtype_of(column))
    if column.type == "text":
        return values.astype(object).where(values.notna(), None).astype(STRING)
    if column.type == "int":
        return pd.to_numeric(values, errors="raise").astype("Int64")
    if column.type == "float":
        return pd.to_numeric(values, errors="raise").astype("float64")
    return values.astype("boolean")


def typed(name: str, data: pd.DataFrame | Iterable[Mapping[str, object]] | None = None) -> pd.DataFrame:
    """The contract table ``name`` in its typed shape; absent columns are all missing.

    Columns ``data`` holds beyond the contract are dropped.
    """
    spec = TABLES[name]
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data or []))
    frame = frame.reset_index(drop=True)
    out = {}
    for column in spec.columns:
        if column.name in frame.columns:
            out[column.name] = coerce(column, frame[column.name])
        else:  # all missing: NA, NaN or NaT as the dtype has it
            out[column.name] = pd.Series(index=pd.RangeIndex(len(frame)), dtype=dtype_of(column))
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


@cache
def _empty(name: str) -> pd.DataFrame:
    return typed(name, None)


def empty(name: str) -> pd.DataFrame:
    """The table ``name`` with no rows (a copy: the caller may add to it)."""
    return _empty(name).copy()
