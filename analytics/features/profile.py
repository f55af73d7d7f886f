"""Profile: what the enterprise is (sector, size, town, dangerous processes, age); no events needed.

A missing yes/no attribute counts as "no" (0): the office recorded nothing, and nothing is invented.
An attribute the office never records at all (its column empty for every enterprise known on the
as-of date, e.g. a city's food licences carry no size, employees or dangerous processes) is absent
from the matrix rather than a column of invented "no"s or of nothing: ``unrecorded_features`` says
which, and ``build_features`` leaves them out (unless a fitted model asks for them by name: then a firm
whose tables leave them blank gets them as blank, exactly as in the matrix it was trained on).
Major hazard source level is graded 1 (most severe) to 4, 0 for none; the feature is a severity that
rises with danger: ``5 - level`` for a graded source, 0 for none or unknown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.contract import schema
from analytics.features.workspace import Workspace, flags

FLAGS = ("hazardous_chemicals", "dust_explosion", "confined_space", "ammonia_refrigeration", "small_scattered")


def town_categories(tables: dict[str, pd.DataFrame]) -> pd.CategoricalDtype:
    """Town categories from the towns table (undated, so the same on every as-of date)."""
    towns = tables.get("towns")
    source = towns["town_id"] if towns is not None and len(towns) else tables["enterprises"]["town_id"]
    return pd.CategoricalDtype(sorted(source.dropna().astype(str).unique()))


# feature -> the enterprises column it is read from (sector and town are required by the contract)
SOURCE_COLUMNS = {"size": "size", "employees": "employees", "major_hazard_severity": "major_hazard_level",
                  "years_in_operation": "established", **{name: name for name in FLAGS}}


def unrecorded_features(enterprises: pd.DataFrame) -> set[str]:
    """The profile features read from an optional enterprise column that holds no value at all."""
    return {name for name, column in SOURCE_COLUMNS.items() if not enterprises[column].notna().any()}


def compute(ws: Workspace) -> dict[str, object]:
    ent = ws.enterprises
    level = pd.to_numeric(ent["major_hazard_level"], errors="coerce").astype("float64").to_numpy()
    severity = np.where(level > 0, 5 - level, 0.0)
    established = ent["established"].to_numpy(dtype="datetime64[ns]")
    years = (ws.as_of.to_datetime64() - established) / np.timedelta64(1, "D") / 365.25
    out: dict[str, object] = {
        "sector": ent["sector"].astype(object).astype(pd.CategoricalDtype(schema.TABLES["enterprises"].column("sector").code_values())),
        "size": ent["size"].astype(object).astype(pd.CategoricalDtype(schema.TABLES["enterprises"].column("size").code_values())),
        "town": ent["town_id"].astype(object).astype(town_categories(ws.tables)),
        "employees": pd.to_numeric(ent["employees"], errors="coerce").astype("float64").to_numpy(),
    }
    for name in FLAGS:
        out[name] = flags(ent[name]).astype("float64")
    out["major_hazard_severity"] = severity
    out["years_in_operation"] = np.asarray(years, dtype="float64")
    return out
