"""A route within each team's day: nearest neighbour from the firms' coordinates, with the distance.

Every team-day is routed at once: the stops are padded into a (team-days × stops) array, and the
loop runs over the stop positions (at most a team's daily capacity), each step a vectorised argmin
over all team-days. A day starts at the stop nearest the team's base (the mean position of the
team's visits in the plan) and goes on to the nearest stop not yet visited. Distances are great-circle
kilometres between stops (a road is longer: an estimate). Stops without coordinates come last, in
their planned order, with no distance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EARTH_KM = 6371.0


def haversine_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype="float64")) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def route(visits: pd.DataFrame) -> pd.DataFrame:
    """``visits`` (``team``, ``date``, ``slot``, ``longitude``, ``latitude``) with ``slot`` renumbered in
    route order within each team's day and ``leg_km``, the distance from the day's previous stop (0 for
    the first stop, NaN without coordinates). Sorted by date, team and slot."""
    if visits.empty:
        return visits.assign(leg_km=pd.Series(dtype="float64"))
    ordered = visits.sort_values(["date", "team", "slot"], kind="stable").reset_index(drop=True)
    group = ordered.groupby(["date", "team"], sort=False).ngroup().to_numpy()
    position = ordered.groupby(["date", "team"], sort=False).cumcount().to_numpy()
    n_groups, width = int(group.max()) + 1, int(position.max()) + 1
    lon = np.full((n_groups, width), np.nan)
    lat = np.full((n_groups, width), np.nan)
    lon[group, position] = ordered["longitude"].to_numpy(dtype="float64")
    lat[group, position] = ordered["latitude"].to_numpy(dtype="float64")
    present = np.zeros((n_groups, width), bool)
    present[group, position] = True
    located = present & ~np.isnan(lon) & ~np.isnan(lat)
    base = ordered.groupby("team")[["longitude", "latitude"]].transform("mean")
    here_lon = np.full(n_groups, np.nan)
    here_lat = np.full(n_groups, np.nan)
    here_lon[group] = base["longitude"].to_numpy()
    here_lat[group] = base["latitude"].to_numpy()
    left = present.copy()
    order = np.zeros((n_groups, width), "int64")
    leg = np.full((n_groups, width), np.nan)
    rows = np.arange(n_groups)
    for step in range(width):  # bounded by the daily capacity; each step covers every team-day at once
        distance = haversine_km(here_lon[:, None], here_lat[:, None], lon, lat)
        distance = np.where(located & left, np.nan_to_num(distance, nan=0.0), np.inf)
        # an unlocated stop still left ranks after every located one, before padding (in planned order)
        distance = np.where(left & ~located, 1e12 + np.arange(width)[None, :], distance)
        chosen = np.argmin(distance, axis=1)
        has = left[rows, chosen]
        order[:, step] = chosen
        found = located[rows, chosen] & has
        leg[:, step] = np.where(found, distance[rows, chosen] if step else 0.0, np.nan)
        here_lon = np.where(found, lon[rows, chosen], here_lon)
        here_lat = np.where(found, lat[rows, chosen], here_lat)
        left[rows, chosen] = False
    new_slot = np.zeros((n_groups, width), "int64")
    new_leg = np.full((n_groups, width), np.nan)
    new_slot[rows[:, None], order] = np.arange(1, width + 1)[None, :]
    new_leg[rows[:, None], order] = leg
    ordered["slot"] = new_slot[group, position]
    ordered["leg_km"] = new_leg[group, position]
    return ordered.sort_values(["date", "team", "slot"], kind="stable").reset_index(drop=True)
