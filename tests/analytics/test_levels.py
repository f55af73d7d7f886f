"""Risk levels: bands of the calibrated score, configurable, with hysteresis against the previous list."""

import json

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from analytics.contract.errors import UserError
from analytics.risk.levels import LevelThresholds, assign_levels, plain_levels

IDS = pd.Index(["A", "B", "C", "D"], name="enterprise_id")


def test_default_bands():
    scores = pd.Series([0.9, 0.15, 0.07, 0.01], index=IDS)
    assert list(plain_levels(scores)) == ["red", "orange", "yellow", "blue"]
    assert list(plain_levels(pd.Series([0.2, 0.1, 0.05, 0.0499], index=IDS))) == ["red", "orange", "yellow", "blue"]


def test_a_score_creeping_just_below_a_threshold_keeps_its_level():
    previous = pd.Series(["red", "orange", "yellow", "blue"], index=IDS)
    today = pd.Series([0.19, 0.095, 0.046, 0.054], index=IDS)
    assert list(plain_levels(today)) == ["orange", "yellow", "blue", "yellow"]
    assert list(assign_levels(today, previous=previous)) == ["red", "orange", "yellow", "blue"]


def test_a_real_change_moves_the_level():
    previous = pd.Series(["red", "orange", "yellow", "blue"], index=IDS)
    today = pd.Series([0.17, 0.25, 0.01, 0.12], index=IDS)
    assert list(assign_levels(today, previous=previous)) == ["orange", "red", "blue", "orange"]


def test_enterprises_new_to_the_list_get_the_plain_band():
    previous = pd.Series(["blue"], index=pd.Index(["A"], name="enterprise_id"))
    today = pd.Series([0.054, 0.054, 0.054, 0.054], index=IDS)
    assert list(assign_levels(today, previous=previous)) == ["blue", "yellow", "yellow", "yellow"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.lists(st.floats(-0.09, 0.09), min_size=30, max_size=30))
def test_no_flicker_when_scores_jitter_by_less_than_the_margin(scores, jitter):
    index = pd.Index([f"E{i}" for i in range(len(scores))])
    today = pd.Series(scores, index=index)
    first = assign_levels(today)
    tomorrow = pd.Series(np.clip(np.array(scores) * (1 + np.array(jitter[: len(scores)])), 0, 1), index=index)
    second = assign_levels(tomorrow, previous=first)
    assert (second.astype(str) == first.astype(str)).all()


def test_thresholds_from_json_and_toml(tmp_path):
    (tmp_path / "levels.json").write_text(json.dumps({"red": 0.6, "orange": 0.4, "yellow": 0.2, "margin": 0.03}))
    (tmp_path / "levels.toml").write_text("[levels]\nred = 0.7\nmargin = 0.0\n")
    assert LevelThresholds.from_file(tmp_path / "levels.json") == LevelThresholds(0.6, 0.4, 0.2, 0.03)
    assert LevelThresholds.from_file(tmp_path / "levels.toml") == LevelThresholds(red=0.7, margin=0.0)


@pytest.mark.parametrize("values", [{"red": 0.2, "orange": 0.3, "yellow": 0.1}, {"colour": 1}])
def test_bad_thresholds_are_user_errors(tmp_path, values):
    (tmp_path / "bad.json").write_text(json.dumps(values))
    with pytest.raises(UserError):
        LevelThresholds.from_file(tmp_path / "bad.json")
