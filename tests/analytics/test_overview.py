"""The leaders' overview on the tiny county (see summary_county): headline figures, matrix, trend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import summary_county as county

from analytics.views import overview


def test_headline_figures_and_their_change_since_the_previous_period() -> None:
    figures = overview.headline_figures(
        county.tables(), county.AS_OF, county.risk_list(), county.previous_risk_list(), period_days=30
    )
    assert list(figures.index) == [c.code for c in overview.HEADLINES]
    expected = {
        "supervised": (3, 2),  # E3 established in February; E4 closed
        "inspected": (2, 2),
        "hazards_found": (3, 3),
        "major_hazards": (1, 1),
        # of the hazards found in the period: H4-H6 all open; before, H1-H3 with only H1 fixed (H2's fix on
        # 02-01 was unknown on 01-30)
        "rectification_rate": (0.0, 1 / 3),
        "overdue": (3, 1),
        "red": (1, 2),
        "orange": (1, 0),
    }
    for metric, (value, previous) in expected.items():
        assert figures.loc[metric, "value"] == value, metric
        assert figures.loc[metric, "previous"] == pytest.approx(previous), metric
        assert figures.loc[metric, "change"] == pytest.approx(value - previous), metric


def test_without_risk_lists_the_level_counts_are_missing_not_zero() -> None:
    figures = overview.headline_figures(county.tables(), county.AS_OF)
    assert np.isnan(figures.loc["red", "value"]) and np.isnan(figures.loc["orange", "change"])


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("hazards_found", {("T1", "mining"): 1, ("T1", "gas"): 0, ("T2", "mining"): 0, ("T2", "gas"): 2}),
        ("overdue", {("T1", "mining"): 1, ("T1", "gas"): 1, ("T2", "mining"): 0, ("T2", "gas"): 1}),
        ("red_orange", {("T1", "mining"): 1, ("T1", "gas"): 1, ("T2", "mining"): 0, ("T2", "gas"): 0}),
        ("mean_risk", {("T1", "mining"): 0.8, ("T1", "gas"): 0.4, ("T2", "mining"): np.nan, ("T2", "gas"): 0.1}),
    ],
)
def test_town_by_sector_matrix(metric: str, expected: dict[tuple[str, str], float]) -> None:
    matrix = overview.town_sector_matrix(county.tables(), county.AS_OF, metric, county.risk_list(), period_days=30)
    assert list(matrix.index) == ["T1", "T2"]
    assert list(matrix.columns) == ["mining", "gas"]  # contract order; only sectors in operation
    for (town, sector), value in expected.items():
        np.testing.assert_equal(matrix.loc[town, sector], value)


def test_town_by_sector_counts_hold_the_operating_firms_of_each_cell() -> None:
    """Issue 18 item 7: the heatmap's tooltip says how many firms a cell holds (E4 is closed)."""
    counts = overview.town_sector_counts(county.tables(), county.AS_OF)
    matrix = overview.town_sector_matrix(county.tables(), county.AS_OF, "mean_risk", county.risk_list())
    assert counts.index.equals(matrix.index) and counts.columns.equals(matrix.columns)
    assert counts.to_numpy().tolist() == [[1, 1], [0, 1]]


def test_town_mean_risk_covers_every_town() -> None:
    towns = overview.town_mean_risk(county.risk_list(), county.tables()).set_index("town_id")
    assert towns.loc["T1", "mean_score"] == pytest.approx(0.6)
    assert towns.loc["T2", "enterprises"] == 1 and towns.loc["T2", "name"] == "沿海镇"


def test_weekly_found_and_rectified_oldest_week_first() -> None:
    weekly = overview.weekly_hazards(county.tables(), county.AS_OF, weeks=8)
    assert weekly["week_end"].iloc[-1] == county.AS_OF
    assert weekly["week_start"].iloc[-1] == pd.Timestamp("2026-02-23")
    assert weekly["found"].tolist() == [2, 0, 1, 0, 0, 2, 0, 1]
    assert weekly["rectified"].tolist() == [0, 1, 0, 1, 0, 0, 0, 0]  # H5's later fix is not known yet


@pytest.fixture(scope="module")
def sample_tables(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The sample county as imported with the demo's export date: read from a copy of the demo tests'
    seeded store (tests/demo_folders.py, built once per run; training wrote nothing into the store)."""
    import demo_folders
    from analytics.store.database import open_store, read_tables

    folder = demo_folders.copy(demo_folders.seeded(tmp_path_factory)[0], tmp_path_factory.mktemp("sample"))
    store = open_store(f"sqlite:///{folder / 'saferank.db'}")
    tables = read_tables(store)
    store.dispose()
    return tables


@pytest.mark.parametrize("as_of", ["2026-11-15", "2026-09-30"])
@pytest.mark.parametrize("period_days", [30, 90])
def test_the_overview_and_the_bulletin_give_the_same_kpis_on_the_sample_county(sample_tables, as_of, period_days) -> None:
    """One definition per figure: the overview's headline and the bulletin of the same days agree."""
    from analytics.operations.bulletin import group_bulletin

    figures = overview.headline_figures(sample_tables, as_of, period_days=period_days)
    first = pd.Timestamp(as_of) - pd.Timedelta(days=period_days - 1)
    totals = group_bulletin(sample_tables, first, as_of).totals
    assert 0 < figures.loc["rectification_rate", "value"] < 1 and figures.loc["overdue", "value"] > 0  # not vacuous
    assert figures.loc["rectification_rate", "value"] == pytest.approx(float(totals["rate"]))
    assert figures.loc["overdue", "value"] == totals["overdue"]
    assert figures.loc["inspected", "value"] == totals["enterprises"]
    assert figures.loc["hazards_found", "value"] == totals["hazards"]
