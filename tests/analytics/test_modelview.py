"""The model page's numbers, shaped from hand-written cards in a tiny registry (values checked by hand;
the cards are in ``tests/model_cards.py``)."""

from __future__ import annotations

import pandas as pd
import pytest
from model_cards import SELECTION_RULE, build_registry

from analytics.views import modelview
from analytics.models.registry import ModelRegistry


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> ModelRegistry:
    return build_registry(tmp_path_factory.mktemp("registry"))



def test_versions_side_by_side_newest_first_with_the_baselines(registry):
    table = modelview.versions_table(registry, "zh")
    assert table["version"].tolist() == ["v2", "v1", "v0"]
    assert table["status"].tolist() == ["serving", "previous", "previous"]  # v0 served first (an empty registry's first)
    v2 = table.iloc[0]
    assert v2["model"] == "梯度提升树" and v2["n_features"] == 3 and v2["n_rows"] == 1200
    assert v2["precision_at_capacity"] == 0.35 and v2["precision_rule"] == 0.28 and v2["precision_random"] == 0.04
    assert v2["lift_over_rule"] == pytest.approx(1.25) and v2["capture_of_best"] == 0.8
    assert table.iloc[1]["lift_over_rule"] == pytest.approx(1.25)  # 0.25 / 0.20
    assert pd.isna(table.iloc[2]["precision_at_capacity"]) and pd.isna(table.iloc[2]["lift_over_rule"])
    assert modelview.versions_table(registry, "en").iloc[0]["model"] == "Boosted trees"


def test_the_serving_version_by_default_with_its_card(registry):
    view = modelview.model_view(registry, lang="zh")
    assert (view.state, view.version, view.serving) == ("ok", "v2", "v2")
    card = view.card.set_index("field")["value"]
    assert list(view.card["field"]) == [c.code for c in modelview.CARD_FIELDS]
    assert card["model"] == "梯度提升树" and card["status"] == "在用" and card["n_features"] == "3"
    assert card["training_window"] == "2024-10-18 – 2026-11-15" and card["n_rows"] == "1,200 (80)"
    assert card["capacity"] == "5.0%" and card["calibration"] == "Platt 缩放（折外预测边际）"
    assert card["selection"].startswith(SELECTION_RULE["zh"])
    assert "梯度提升树 35.0%，经验评分卡 28.0%，随机顺序 4.0%" in card["selection"]
    english = modelview.model_view(registry, lang="en").card.set_index("field")["value"]
    assert "Boosted trees 35.0%, Rule of thumb 28.0%, Random order 4.0%" in english["selection"]
    assert english["status"] == "Serving" and english["sha256"] == registry.card("v2")["sha256"]


def test_precision_curves_show_the_model_against_the_rule_of_thumb_and_random_order(registry):
    curves = modelview.model_view(registry, lang="en").curves
    assert curves["model"].unique().tolist() == ["boosted", "rule_of_thumb", "random"]  # the logistic challenger is not drawn
    assert curves["role"].unique().tolist() == ["serving", "rule_of_thumb", "random"]
    assert curves.loc[curves["model"] == "boosted", "precision"].tolist() == [0.6, 0.45]
    assert curves.loc[curves["model"] == "rule_of_thumb", "share"].tolist() == [0.01, 0.02]
    assert curves["label"].iloc[0] == "Boosted trees"


def test_calibration_bins_of_the_model_by_decile(registry):
    bins = modelview.model_view(registry).calibration
    assert bins["model"].unique().tolist() == ["boosted"]
    assert bins["decile"].tolist() == [1, 2]
    assert bins["predicted"].tolist() == pytest.approx([0.01, 0.02]) and bins["observed"].tolist() == pytest.approx([0.02, 0.04])


def test_metrics_per_town_and_sector_most_inspected_first_against_the_rule(registry):
    view = modelview.model_view(registry, lang="zh", town_names={"T1": "城关镇"})
    towns = view.by_town
    assert towns["group"].tolist() == ["T2", "T1"] and towns["label"].tolist() == ["T2", "城关镇"]
    assert towns["precision"].tolist() == [0.25, 0.5]
    assert pd.isna(towns["precision_rule"].iloc[0]) and towns["precision_rule"].iloc[1] == 0.2
    assert towns["observed_rate"].tolist() == pytest.approx([2 / 12, 2 / 5])
    sectors = view.by_sector
    assert sectors["label"].tolist() == ["城镇燃气", "非煤矿山"] and sectors["precision_rule"].tolist() == [0.1, 0.0]


def test_feature_importance_largest_first_with_registry_labels_zero_left_out(registry):
    importance = modelview.model_view(registry, lang="zh").importance
    assert importance["feature"].tolist() == ["hazardous_chemicals", "open_hazards", "not_in_registry"]  # not employees: 0
    assert importance["importance"].tolist() == [0.5, 0.2, 0.1]
    assert importance["label"].iloc[0] == "涉及危险化学品" and importance["label"].iloc[2] == "not_in_registry"
    assert modelview.feature_importance(registry.card("v2"), "zh", top=1)["feature"].tolist() == ["hazardous_chemicals"]


def test_an_older_version_without_backtest_details_says_so(registry):
    view = modelview.model_view(registry, version="v1", lang="zh")
    assert (view.state, view.version, view.serving) == ("no_backtest", "v1", "v2")
    assert view.curves.empty and view.calibration.empty and view.by_town.empty and view.importance.empty
    card = view.card.set_index("field")["value"]
    assert card["status"] == "曾在用" and card["calibration"] == "逻辑回归自身概率（加权拟合）"  # inferred from the kind


def test_the_scorecard_fallback_and_an_empty_registry(registry, tmp_path):
    fallback = modelview.model_view(registry, version="v0", lang="en")
    assert fallback.state == "fallback" and "rule-of-thumb" in fallback.note
    assert fallback.card.set_index("field")["value"]["selection"] == fallback.note
    assert modelview.model_view(registry, version="no-such-version").version == "v2"
    empty = modelview.model_view(ModelRegistry(tmp_path / "none"))
    assert empty.state == "no_model" and empty.version is None and empty.versions.empty and empty.curves.empty


def test_every_precision_comes_with_its_interval_the_model_first(registry):
    view = modelview.model_view(registry, lang="en")
    assert view.intervals["model"].tolist() == ["boosted", "rule_of_thumb", "random"]
    assert view.intervals["role"].tolist() == ["serving", "rule_of_thumb", "random"]
    boosted = view.intervals.iloc[0]
    assert (boosted["precision"], boosted["low"], boosted["high"], boosted["n"]) == (0.36, 0.301, 0.42, 200)
    assert view.intervals.iloc[2]["random_too_few"]
    selection = view.card.set_index("field")["value"]["selection"]
    assert "Pooled over the reported origins (95% interval): Boosted trees 36.0% (30.1%–42.0%), Rule of thumb 28.0%" in selection
    zh = modelview.model_view(registry, lang="zh").card.set_index("field")["value"]["selection"]
    assert "报告起点汇总命中率（95% 区间）：梯度提升树 36.0%（30.1%–42.0%）" in zh
    v2 = modelview.versions_table(registry).iloc[0]
    assert (v2["precision_pooled"], v2["precision_low"], v2["precision_high"]) == (0.36, 0.301, 0.42)


def test_the_paired_differences_of_the_model_and_what_weights_and_power_add(registry):
    view = modelview.model_view(registry, lang="en")
    assert view.comparisons == ["boosted minus the rule of thumb: precision +0.080; better beyond noise."]
    ww = view.with_without.set_index("variant")
    assert ww.loc["without_ipw", "status"] == "ok" and ww.loc["without_ipw", "difference"] == 0.01
    assert ww.loc["without_ipw", "label"] == "Inverse-propensity weights (with − without)"
    assert ww.loc["without_power", "status"] == "absent" and "absent" in ww.loc["without_power", "text"]


def test_an_old_card_has_no_intervals_and_says_nothing_false(registry):
    old = modelview.model_view(registry, "v1", lang="en")
    assert old.intervals.empty and old.comparisons == [] and old.with_without.empty
    assert pd.isna(modelview.versions_table(registry).iloc[1]["precision_pooled"])


def test_the_markdown_model_card_shows_the_intervals_and_the_with_without(registry):
    text = registry.card_text("v2")
    assert "## 汇总命中率与区间 Pooled precision with intervals" in text
    assert "- boosted: 0.360 (95% 0.301–0.420, n=200)" in text and "- random: 0.040 (95% 0.020–0.070, n=200)" in text
    assert "better beyond noise" in text and "power feature family was absent" in text
    assert "Pooled precision with intervals" not in registry.card_text("v1")
