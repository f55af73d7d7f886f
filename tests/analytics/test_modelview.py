"""The model page's numbers, shaped from hand-written cards in a tiny registry (values checked by hand).

The page reads cards only and never loads an estimator, so a cheap fitted scorecard stands in for
each version's model file.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analytics import modelview
from analytics.models.registry import ModelRegistry
from analytics.models.scorecard import RuleOfThumb
from analytics.models.select import FALLBACK_NOTE, SELECTION_RULE


def _curve(model: str, precisions: tuple[float, float]) -> list[dict]:
    return [{"model": model, "share": s, "precision": p, "precision_random_only": None}
            for s, p in zip((0.01, 0.02), precisions, strict=True)]


def _groups(model: str, precisions: dict[str, float]) -> list[dict]:
    labelled = {"T1": 5, "T2": 12, "gas": 9, "mining": 3}
    return [{"group": g, "model": model, "n_labelled": labelled[g], "n_positive": 2, "n_top": 1, "n_top_labelled": 1,
             "observed_rate": 2 / labelled[g], "precision_at_capacity": p} for g, p in precisions.items()]


SERVING_CARD = {
    "version": "v2", "model": "boosted", "trained_as_of": "2026-11-15", "training_window": ["2024-10-18", "2026-11-15"],
    "n_rows": 1200, "n_positive": 80, "features": ["hazardous_chemicals", "open_hazards", "not_in_registry"],
    "capacity": 0.05, "created_at": "2026-11-16T08:00:00+00:00", "selection": SELECTION_RULE,
    "calibration": "platt_out_of_fold", "notes": {},
    "metrics": {"random": {"precision_at_capacity": 0.04, "brier": 0.07},
                "rule_of_thumb": {"precision_at_capacity": 0.28, "brier": 0.06},
                "logistic": {"precision_at_capacity": 0.30, "brier": 0.05},
                "boosted": {"precision_at_capacity": 0.35, "brier": 0.05, "precision_random_only": 0.30,
                            "capture_of_best": 0.8}},
    "backtest": {
        "parameters": {"capacity": 0.05},
        "precision_curve": _curve("random", (0.05, 0.03)) + _curve("logistic", (0.5, 0.4)) + _curve("boosted", (0.6, 0.45))
        + _curve("rule_of_thumb", (0.4, 0.3)),
        "calibration": [{"model": m, "decile": d, "mean_score": 0.01 * d, "observed": 0.02 * d, "weight": 10.0, "n": 12}
                        for m in ("rule_of_thumb", "boosted") for d in (2, 1)],
        "by_town": _groups("boosted", {"T1": 0.5, "T2": 0.25}) + _groups("rule_of_thumb", {"T1": 0.2, "T2": None}),
        "by_sector": _groups("boosted", {"gas": 0.4, "mining": 1.0}) + _groups("rule_of_thumb", {"gas": 0.1, "mining": 0.0}),
    },
    "importance": {"open_hazards": 0.2, "hazardous_chemicals": 0.5, "not_in_registry": 0.1},
}
OLD_CARD = {  # trained before the card kept backtest details
    "version": "v1", "model": "logistic", "trained_as_of": "2026-08-15", "n_rows": 900, "n_positive": 50,
    "features": ["open_hazards"], "capacity": 0.05, "created_at": "2026-08-16T08:00:00+00:00",
    "metrics": {"logistic": {"precision_at_capacity": 0.25, "brier": 0.06}, "rule_of_thumb": {"precision_at_capacity": 0.2}},
}
FALLBACK_CARD = {
    "version": "v0", "model": "rule_of_thumb", "trained_as_of": "2026-05-15", "n_rows": 40, "n_positive": 3,
    "features": ["open_hazards"], "created_at": "2026-05-16T08:00:00+00:00", "metrics": {}, "capacity": 0.05,
    "notes": {lang: text.format(n=30, found=3) for lang, text in FALLBACK_NOTE.items()}, "calibration": "fixed_points",
}


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> ModelRegistry:
    registry = ModelRegistry(tmp_path_factory.mktemp("registry"))
    stand_in = RuleOfThumb().fit(pd.DataFrame({"open_hazards": [0, 1]}))
    for card in (FALLBACK_CARD, OLD_CARD, SERVING_CARD):
        registry.register(stand_in, card)
    registry.promote("v1")
    registry.promote("v2")
    return registry


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


def test_feature_importance_largest_first_with_registry_labels(registry):
    importance = modelview.model_view(registry, lang="zh").importance
    assert importance["feature"].tolist() == ["hazardous_chemicals", "open_hazards", "not_in_registry"]
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
