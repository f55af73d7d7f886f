"""The model page's curve band and the means over origins with their intervals (issue 15 item 2),
from a card like the serving one in ``tests/model_cards.py`` plus what training now keeps."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from model_cards import SERVING_CARD

from analytics.models.registry import ModelRegistry, render_card
from analytics.models.scorecard import RuleOfThumb
from analytics.views import modelview

MEAN_SAID = {"model": "boosted", "reference": "rule_of_thumb", "statistic": "mean",
             "zh": "boosted 对经验规则（rule_of_thumb）的各起点平均命中率差 +0.070（95% 区间 -0.010 至 +0.150）：在噪声范围内，不能说有差别。",
             "en": "boosted minus the rule of thumb (rule_of_thumb): mean precision over origins +0.070 (95% interval -0.010 "
                   "to +0.150); within noise: no difference can be claimed."}


def banded_card() -> dict:
    card = copy.deepcopy(SERVING_CARD)
    card.update(version="v3", capacity=0.1, capacity_of="inspected", window_days=30)
    for row in card["backtest"]["precision_curve"]:
        row.update(low=row["precision"] - 0.1, high=row["precision"] + 0.05, n=40)
    card["selection_detail"]["mean_intervals"] = [
        {"model": "boosted", "precision_at_capacity": 0.35, "precision_at_capacity_low": 0.3, "precision_at_capacity_high": 0.41,
         "precision_random_only": 0.3, "precision_random_only_low": 0.2, "precision_random_only_high": 0.45},
        {"model": "rule_of_thumb", "precision_at_capacity": 0.28, "precision_at_capacity_low": 0.22, "precision_at_capacity_high": 0.33},
        {"model": "random", "precision_at_capacity": 0.04, "precision_at_capacity_low": 0.01, "precision_at_capacity_high": 0.07},
    ]
    card["selection_detail"]["mean_comparisons"] = [MEAN_SAID, {**MEAN_SAID, "model": "logistic", "en": "not this one"}]
    return card


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> ModelRegistry:
    registry = ModelRegistry(tmp_path_factory.mktemp("registry"))
    registry.register(RuleOfThumb().fit(pd.DataFrame({"open_hazards": [0, 1]})), banded_card())
    return registry


def test_the_curve_carries_its_band(registry):
    curves = modelview.model_view(registry, lang="en").curves
    boosted = curves.loc[curves["model"] == "boosted"]
    assert boosted["low"].tolist() == pytest.approx([0.5, 0.35]) and boosted["high"].tolist() == pytest.approx([0.65, 0.5])
    assert ((curves["low"] <= curves["precision"]) & (curves["precision"] <= curves["high"])).all()


def test_every_mean_over_origins_has_its_interval_and_the_gap_to_the_rule_is_said_in_words(registry):
    version = modelview.versions_table(registry, "en").iloc[0]
    assert (version["precision_at_capacity_low"], version["precision_at_capacity_high"]) == (0.3, 0.41)
    assert (version["precision_rule_low"], version["precision_rule_high"]) == (0.22, 0.33)
    assert (version["precision_random_low"], version["precision_random_high"]) == (0.01, 0.07)
    assert (version["precision_random_only_low"], version["precision_random_only_high"]) == (0.2, 0.45)
    view = modelview.model_view(registry, lang="en")
    selection = view.card.set_index("field")["value"]["selection"]
    assert "Boosted trees 35.0% (30.0%–41.0%), Rule of thumb 28.0% (22.0%–33.0%), Random order 4.0% (1.0%–7.0%)" in selection
    assert "mean precision over origins +0.070" in selection and "within noise" in selection and "not this one" not in selection
    assert view.mean_comparisons == [MEAN_SAID["en"]] and view.capacity_of == "inspected"
    zh = modelview.model_view(registry, lang="zh").card.set_index("field")["value"]["selection"]
    assert "梯度提升树 35.0%（30.0%–41.0%）" in zh and "在噪声范围内" in zh


def test_the_card_says_what_the_capacity_is_a_share_of_and_the_window():
    card = banded_card()
    assert modelview.capacity_text(card, "en") == "10.0% (of the firms inspected in the window, 30 days scored after each origin)"
    assert modelview.capacity_text(card, "zh") == "10.0%（占窗口内被检查企业，每个起点评分 30 天）"
    assert modelview.capacity_text({"capacity": 0.05}, "en") == "5.0%"  # a card from before training kept them


def test_models_show_prints_the_band_and_the_intervals():
    text = render_card({**banded_card(), "sha256": "x"})
    assert "- boosted: 1%: 0.600 (0.500–0.650); 2%: 0.450 (0.350–0.500)" in text
    assert "| boosted | 0.0500 | 0.8000 | 0.3500 (0.3000–0.4100) | 0.3000 (0.2000–0.4500) |" in text
    assert MEAN_SAID["zh"] in text and MEAN_SAID["en"] in text
    assert "capacity of: inspected" in text and "window days: 30" in text
    assert "(0.3000–0.4100)" not in render_card({**SERVING_CARD, "sha256": "x"})  # an older card: bare numbers
