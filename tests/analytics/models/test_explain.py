"""Reasons: the top positive contributions, phrased with the registry templates and the value."""

import re

import numpy as np
import pandas as pd

from analytics.models.explain import ReasonTemplate, reasons, templates_from_registry

TEMPLATES = {
    "restart_days": ReasonTemplate("未批擅自复产 {value} 天", "Restarted without approval {value} days ago"),
    "overdue_major": ReasonTemplate("{value} 项重大隐患逾期未整改", "{value} major hazards overdue"),
    "sector": ReasonTemplate("行业：{value}", "Sector: {value}"),
    "ratio": ReasonTemplate("整改率 {value:.0%}", "Rectified {value:.0%}"),
}


def frames():
    index = pd.Index(["E1", "E2", "E3"], name="enterprise_id")
    values = pd.DataFrame({
        "restart_days": [45.0, 3.0, np.nan],
        "overdue_major": pd.array([3, 0, 1], dtype="Int64"),
        "sector": pd.Categorical(["mining", "gas", "mining"]),
        "ratio": [0.25, 0.5, 1.0],
    }, index=index)
    contributions = pd.DataFrame({
        "restart_days": [0.9, -0.2, 0.0],
        "overdue_major": [1.4, -0.1, 0.0],
        "sector": [0.3, 0.2, 0.0],
        "ratio": [0.1, -0.3, 0.0],
    }, index=index)
    return contributions, values


def test_top_three_positive_reasons_in_order_with_values_in_both_languages():
    out = reasons(*frames(), top=3, templates=TEMPLATES)
    assert out.loc["E1", "reasons_zh"] == "3 项重大隐患逾期未整改；未批擅自复产 45 天；行业：非煤矿山"
    assert out.loc["E1", "reasons_en"] == "3 major hazards overdue; Restarted without approval 45 days ago; Sector: Non-coal mining"
    assert out.loc["E1", "reason_features"] == "overdue_major,restart_days,sector"


def test_a_feature_that_lowered_the_score_is_never_a_reason():
    out = reasons(*frames(), top=3, templates=TEMPLATES)
    assert out.loc["E2", "reasons_zh"] == "行业：城镇燃气"
    assert out.loc["E3", "reasons_zh"] == ""
    assert out.loc["E3", "reason_features"] == ""


def test_top_is_configurable_and_format_specs_are_honoured():
    contributions, values = frames()
    out = reasons(contributions.assign(ratio=[2.0, 0.0, 0.0]), values, top=1, templates=TEMPLATES)
    assert out.loc["E1", "reasons_zh"] == "整改率 25%"


def test_features_without_template_fall_back_to_name_and_value():
    contributions, values = frames()
    out = reasons(contributions, values, top=1, templates={})
    assert out.loc["E1", "reasons_en"] == "overdue_major: 3"


def test_registry_specs_become_templates():
    class Spec:
        name, zh, en, reason_zh, reason_en = "x", "甲", "X", "甲 {value}", "X {value}"

    assert templates_from_registry([Spec()]) == {"x": ReasonTemplate("甲 {value}", "X {value}")}


def test_english_reasons_count_one_in_the_singular():
    """"1 hazard still open", not "1 hazards": every registry reason with a whole-number count (issue 18 item 6)."""
    from analytics.features.registry import FEATURES
    from analytics.models.explain import _phrases

    counted = [spec.reason_en for spec in FEATURES.values() if "{value:.0f}" in (getattr(spec, "reason_en", None) or "")]
    assert len(counted) >= 3
    for template in counted:
        one, two = _phrases(template, pd.Series([1, 2]), "en")[:2]
        assert not re.search(r"\b1 (?:[a-z]+ )?[a-z]+[^s]s\b", one), one
        assert two == template.format(value=2)  # 2 keeps the registry's plural
    assert _phrases("{value:.0f} hazards still open", pd.Series([1, 3]), "en")[:2].tolist() == [
        "1 hazard still open", "3 hazards still open"]
    assert _phrases("{value:.0f} 项隐患尚未整改", pd.Series([1]), "zh")[0] == "1 项隐患尚未整改"
