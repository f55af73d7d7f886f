"""``saferank train --capacity-of --window-days``: the backtests that tune, choose and report score each
origin the way the county is judged, and the model card says which way."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.contract.errors import UserError
from analytics.models.registry import ModelRegistry
from analytics.models.select import scoring_window, train_on_tables
from analytics.store.database import open_store
from analytics.store.writing import write_tables
from saferank.cli import main


@pytest.fixture(scope="module")
def county():
    from analytics.simulate import simulate_county

    return simulate_county(enterprises=500, seed=5)


def test_the_cli_train_takes_the_scoring_options_and_the_card_keeps_them(county, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    write_tables(open_store(url), {name: county.tables[name] for name in ("towns", "enterprises")})
    models = str(tmp_path / "models")
    assert main(["train", "--db", url, "--as-of", "2026-09-30", "--models", models, "--origins", "1",
                 "--capacity-of", "inspected", "--window-days", "30"]) == 0
    registry = ModelRegistry(models)
    card = registry.card(registry.serving())
    assert (card["capacity_of"], card["window_days"]) == ("inspected", 30)
    capsys.readouterr()
    assert main(["models", "show", registry.serving(), "--models", models]) == 0
    shown = capsys.readouterr().out
    assert "capacity of: inspected" in shown and "window days: 30" in shown
    assert main(["train", "--db", url, "--as-of", "2026-09-30", "--models", models, "--window-days", "0"]) != 0
    assert "评分窗口天数须为正整数" in capsys.readouterr().err
    assert main(["train", "--db", url, "--models", models, "--window-days", "0", "--lang", "en"]) != 0
    assert "positive whole number of days" in capsys.readouterr().err


def test_the_default_is_operating_firms_over_the_label_horizon():
    assert scoring_window("operating", None) == 90 and scoring_window("inspected", 30) == 30
    with pytest.raises(UserError, match="inspected"):
        scoring_window("visited", None)
    with pytest.raises(UserError, match="positive whole number"):
        scoring_window("operating", -5)


def test_training_tunes_chooses_and_reports_on_the_windows_it_is_judged_on(county, tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    report = train_on_tables(county.tables, "2026-10-31", registry, capacity=0.1, snapshots=2, origins=3, ablations=False,
                             min_positives=5, capacity_of="inspected", window_days=30)
    card = registry.card(report.version)
    assert (card["capacity_of"], card["window_days"]) == ("inspected", 30)
    parameters = card["backtest"]["parameters"]
    assert (parameters["capacity_of"], parameters["window_days"]) == ("inspected", 30)
    # the last reported origin's 30-day window ends on the training date, not 90 days before it
    assert card["selection_detail"]["split"]["report"][-1] == (pd.Timestamp("2026-10-31") - pd.Timedelta(days=30)).date().isoformat()
    # 30-day windows at monthly origins do not overlap: blocks of one origin
    assert {row["block"] for row in card["selection_detail"]["intervals"]} == {1}
    # the curve carries its band, and at the capacity share it is the pooled precision of the interval table
    winner = card["model"]
    at = next(r for r in card["backtest"]["precision_curve"] if r["model"] == winner and r["share"] == 0.1)
    pooled = next(r for r in card["selection_detail"]["intervals"] if r["model"] == winner)
    assert at["n"] == pooled["n"] and at["precision"] == pytest.approx(pooled["precision"], nan_ok=True)
    assert at["low"] <= at["precision"] <= at["high"] or at["n"] == 0
    assert {row["model"] for row in card["selection_detail"]["mean_intervals"]} >= {winner, "rule_of_thumb", "random"}

