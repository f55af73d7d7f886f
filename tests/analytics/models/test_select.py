"""Choosing the serving model: precision at capacity first, Brier second, the simpler model last."""

import pandas as pd
import pytest

from analytics.models.select import choose, snapshot_dates, too_little_history


def metrics(rows):
    return pd.DataFrame(rows, columns=["model", "precision_at_capacity", "brier"]).set_index("model")


@pytest.mark.parametrize("rows, winner", [
    ([("random", 0.9, 0.1), ("rule_of_thumb", 0.20, 0.05), ("logistic", 0.30, 0.06), ("boosted", 0.35, 0.07)], "boosted"),
    ([("rule_of_thumb", 0.20, 0.05), ("logistic", 0.35, 0.04), ("boosted", 0.35, 0.045)], "logistic"),
    ([("rule_of_thumb", 0.40, 0.05), ("logistic", 0.35, 0.04), ("boosted", 0.30, 0.03)], "rule_of_thumb"),
    ([("rule_of_thumb", 0.35, 0.04), ("logistic", 0.35, 0.04), ("boosted", 0.35, 0.04)], "rule_of_thumb"),
    ([("truth", 0.99, 0.01), ("boosted", 0.30, None), ("logistic", 0.30, 0.05)], "logistic"),
])
def test_choose(rows, winner):
    assert choose(metrics(rows)) == winner


def test_too_little_history_counts_positives():
    assert too_little_history(pd.Series([1] * 29 + [0] * 500))
    assert not too_little_history(pd.Series([1] * 30 + [0] * 500))


def test_snapshots_close_their_label_window_by_the_training_date():
    dates = snapshot_dates("2026-11-15", snapshots=3)
    assert dates == [pd.Timestamp("2026-06-17"), pd.Timestamp("2026-07-17"), pd.Timestamp("2026-08-17")]
    assert max(dates) + pd.Timedelta(days=90) <= pd.Timestamp("2026-11-15")
