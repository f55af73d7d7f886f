"""SafeRank on real inspections nobody here generated: Chicago's routine food inspections (2011-09 to
2014-06) in the contract's shape, four required tables only (see ../shared/realdata/chicago/README.md).

The whole product path runs unchanged: import, skipped families said, training as of 2013-07-01
(the product's ``train_on_tables`` with 3 backtest origins: the same code as ``saferank train
--origins 3``), then the registered model, frozen as served, re-orders each month's visits of the
following year (monthly origins, 30-day windows, capacity 10 % of the window's visits). Random order's
precision is its expectation, the share of those visits that found a critical violation.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sklearn.frozen import FrozenEstimator

from analytics.models.backtest import run_backtest
from analytics.features import build_features, skipped_families
from analytics.store.ingest import import_files
from analytics.models.registry import ModelRegistry
from analytics.models.select import train_on_tables
from analytics.models.nested import SIMPLICITY
from analytics.models.uncertainty import paired_difference
from analytics.store.database import open_store, read_tables
from analytics.snapshot.timeline import rolling_origins

pytestmark = pytest.mark.realdata

TRAINED_AS_OF = "2013-07-01"
LAST_ORIGIN = "2014-06-01"  # (2014-06-01, 2014-07-01]: the held data end on 2014-06-30
CAPACITY = 0.10
RULES = ("prior_violations", "last_inspection")


def chicago_folder() -> Path:
    """``$SAFERANK_REALDATA`` (the chicago folder or the realdata folder holding it), else ../shared/realdata/chicago."""
    given = os.environ.get("SAFERANK_REALDATA")
    if given:
        path = Path(given)
        return path if (path / "towns.csv").exists() else path / "chicago"
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "realdata" / "chicago"


@pytest.fixture(scope="module")
def chicago(tmp_path_factory):
    folder = chicago_folder()
    if not (folder / "inspections.csv").exists():
        pytest.skip(f"real Chicago inspections not found at {folder} (set SAFERANK_REALDATA to their folder)")
    root = tmp_path_factory.mktemp("chicago")
    store = open_store(f"sqlite:///{root / 'chicago.db'}")
    report = import_files(store, folder)
    tables = read_tables(store)
    registry = ModelRegistry(root / "models")
    training = train_on_tables(tables, TRAINED_AS_OF, registry, capacity=CAPACITY, origins=3)
    model, card = registry.load()
    result = run_backtest(tables, rolling_origins(LAST_ORIGIN, 12), {"learned": FrozenEstimator(model)},
                          capacity=CAPACITY, capacity_of="inspected", window_days=30)
    return tables, report, training, card, result


def test_the_four_tables_import_whole(chicago):
    _, report, _, _, _ = chicago
    summary = report.summary.set_index("table") if "table" in report.summary.columns else report.summary
    assert summary.loc["inspections", "inserted"] == 20_221 and summary.loc["enterprises", "inserted"] == 11_381
    assert summary["rejected"].sum() == 0


def test_missing_tables_and_columns_are_skipped_and_said_never_invented(chicago):
    tables, _, _, card, _ = chicago
    skipped = skipped_families(tables)
    assert {"status", "enforcement", "incidents", "operations", "outsourcing", "weather"} <= set(skipped)
    assert skipped["rectification"] == ("hazards.rectified_date",)  # no rectification dates recorded
    X = build_features(tables, TRAINED_AS_OF)
    assert not {"size", "employees", "hazardous_chemicals", "open_hazards", "overdue_hazards"} & set(X.columns)
    assert {"last_inspection_majors", "days_since_inspection", "town"} <= set(card["features"])


def test_the_served_model_beats_random_order_and_is_not_worse_than_the_rules_beyond_noise(chicago):
    _, _, training, card, result = chicago
    # nested selection keeps the simplest model within noise of the best on the choosing origins
    choice = card["selection_detail"]["choice"]
    within = [name for name, c in choice["candidates"].items() if c["within_noise"]]
    assert training.winner in within and SIMPLICITY[training.winner] == min(SIMPLICITY[name] for name in within), choice
    pooled = result.pooled()
    metrics = result.metrics.loc[result.metrics["model"] == "learned"]
    random_order = metrics["n_positive"].sum() / metrics["n_labelled"].sum()  # random order's expected precision
    intervals = result.intervals()
    assert intervals.loc["learned", "low"] > random_order, (intervals.loc["learned"].to_dict(), random_order)
    best_rule = max(RULES, key=lambda rule: pooled.loc[rule, "precision"])
    versus = paired_difference(result.metrics, "learned", best_rule, 30)
    assert versus["high"] >= 0, versus  # not worse than the best history rule beyond noise
    assert len(metrics) == 12 and metrics["k"].sum() == pooled.loc["learned", "n"]  # each month's visits, once
