"""Nested selection: tuned on early origins, chosen on later ones, never reading the reported origins."""

import pandas as pd
import pytest

from analytics.models.nested import choose_simpler, nested_select, split_origins
from analytics.snapshot.timeline import rolling_origins

GRID = {"logistic": [{"C": 0.01}, {"C": 1.0}], "boosted": [{"max_iter": 30, "min_samples_leaf": 40},
                                                           {"max_iter": 60, "min_samples_leaf": 20}]}


def test_split_keeps_the_choosing_windows_closed_before_the_reported_origins():
    origins = rolling_origins("2026-08-17", 12)
    tune, choose, report = split_origins(origins, 90)
    assert len(report) == 4 and report == origins[-4:]
    assert max(tune) < min(choose) and all(o + pd.Timedelta(days=90) <= report[0] for o in tune + choose)


def test_few_origins_share_tuning_and_choosing_but_never_the_reported_ones():
    tune, choose, report = split_origins(rolling_origins("2026-08-17", 3), 90)
    assert tune == choose and not set(choose) & set(report) and len(report) == 1


def pooled(rows):
    return pd.DataFrame(rows, columns=["model", "n", "hits", "precision", "brier"]).set_index("model")


def test_the_simpler_model_stays_unless_the_gain_exceeds_its_uncertainty():
    small_gain = pooled([("rule_of_thumb", 200, 40, 0.20, 0.05), ("boosted", 200, 48, 0.24, 0.05)])
    assert choose_simpler(small_gain, overlap=3)[0] == "rule_of_thumb"
    large_gain = pooled([("rule_of_thumb", 2000, 400, 0.20, 0.05), ("boosted", 2000, 600, 0.30, 0.05)])
    assert choose_simpler(large_gain, overlap=3)[0] == "boosted"
    assert choose_simpler(pooled([("random", 10, 9, 0.9, 0.1), ("logistic", 100, 20, 0.2, 0.1)]))[0] == "logistic"


@pytest.fixture(scope="module")
def county():
    from analytics.simulate import simulate_county

    return simulate_county(enterprises=500, seed=5)


def _poisoned(tables, after):
    """Every hazard found after ``after`` gets the other level: the reported origins' labels turned over."""
    out = dict(tables)
    hazards = tables["hazards"].copy()
    later = hazards["found_date"] > after
    flipped = hazards["level"].astype(object).map({"major": "general", "general": "major"})
    hazards["level"] = hazards["level"].astype(object).where(~later, flipped).astype(tables["hazards"]["level"].dtype)
    out["hazards"] = hazards
    return out


def test_poisoning_the_reported_origins_does_not_change_the_choice(county):
    tables = county.tables
    last = tables["inspections"]["date"].max() - pd.Timedelta(days=90)
    origins = rolling_origins(last, 6)
    honest = nested_select(tables, origins, capacity=0.1, snapshots=2, grid=GRID)
    report_start = pd.Timestamp(honest["split"]["report"][0])
    poisoned = nested_select(_poisoned(tables, report_start), origins, capacity=0.1, snapshots=2, grid=GRID)
    assert (poisoned["winner"], poisoned["params"], poisoned["choice"]) == (honest["winner"], honest["params"], honest["choice"])
    # the poison did reach the reported figures: the test would catch a selection that read them
    a = honest["reported"].set_index(["origin", "model"])["n_top_positive"]
    b = poisoned["reported"].set_index(["origin", "model"])["n_top_positive"]
    assert not a.equals(b)


def test_every_backtest_of_the_selection_scores_as_the_county_is_judged(monkeypatch):
    """``capacity_of`` and ``window_days`` reach the tuning backtest and the choosing one alike."""
    import analytics.models.nested as nested
    from analytics.models.backtest import BacktestResult

    calls = []

    def spy(known, origins, models, **options):
        calls.append(options)
        rows = [{"origin": o, "model": m, "n_top_labelled": 20, "n_top_positive": 4 + i % 3, "brier": 0.1}
                for o in origins for i, m in enumerate(models)]
        return BacktestResult(metrics=pd.DataFrame(rows), curve=pd.DataFrame(), calibration=pd.DataFrame(),
                              groups=pd.DataFrame(), bias=pd.DataFrame())

    monkeypatch.setattr(nested, "run_backtest", spy)
    chosen = nested_select({}, rolling_origins("2014-05-31", 12), capacity=0.1, snapshots=2, grid=GRID,
                           capacity_of="inspected", window_days=30)
    assert len(calls) == 2 and chosen["winner"]
    assert all(call["capacity_of"] == "inspected" and call["window_days"] == 30 for call in calls)
    nested_select({}, rolling_origins("2014-05-31", 12), capacity=0.1, snapshots=2, grid=GRID)
    assert all(call["capacity_of"] == "operating" and call["window_days"] is None for call in calls[2:])
