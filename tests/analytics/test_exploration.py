"""Descriptive summaries for analysts, on the tiny county of summary_county (hazards H1–H7 hand-checked there)."""

from __future__ import annotations

import pandas as pd
import summary_county as county

from analytics.views import exploration


def test_table_overview_counts_only_what_was_known_on_the_day() -> None:
    overview = exploration.table_overview(county.tables(), county.AS_OF)
    assert overview.loc["hazards", "rows"] == 7
    assert overview.loc["inspections", "last"] == pd.Timestamp("2026-02-25")
    earlier = exploration.table_overview(county.tables(), "2026-01-31")
    assert earlier.loc["inspections", "rows"] == 2
    assert earlier.loc["enterprises", "rows"] == 3  # E3 is established on 2026-02-01
    assert pd.isna(overview.loc["towns", "first"])


def test_hazards_by_town_count_general_and_major_in_the_window() -> None:
    by_town = exploration.hazard_counts(county.tables(), county.AS_OF, by="town")
    assert list(by_town.index) == ["T1", "T2"]
    assert by_town.loc["T1", ["general", "major", "total"]].tolist() == [3, 1, 4]
    assert by_town.loc["T2", ["general", "major", "total"]].tolist() == [1, 1, 2]
    assert by_town.loc["T2", "major_share"] == 0.5
    assert by_town.loc["T1", "label"] == "城关镇"


def test_hazards_without_a_category_count_as_other_and_labels_follow_the_language() -> None:
    by_category = exploration.hazard_counts(county.tables(), county.AS_OF, by="category", lang="en")
    assert by_category["total"].to_dict() == {"other": 5, "fire": 1}
    assert by_category.loc["fire", "label"] == "Fire"
    assert exploration.hazard_counts(county.tables(), county.AS_OF, by="category").loc["fire", "label"] == "消防"


def test_hazards_by_sector_and_a_short_window() -> None:
    by_sector = exploration.hazard_counts(county.tables(), county.AS_OF, by="sector")
    assert by_sector["total"].to_dict() == {"gas": 3, "mining": 3}
    last_week = exploration.hazard_counts(county.tables(), county.AS_OF, by="sector", window_days=7)
    assert last_week["total"].to_dict() == {"mining": 1}  # H6, found 2026-02-25


def test_inspections_by_mode_say_what_each_kind_found() -> None:
    modes = exploration.inspections_by_mode(county.tables(), county.AS_OF, lang="en")
    assert modes.loc["random", ["inspections", "hazards", "major_share"]].tolist() == [1, 2, 1.0]
    assert modes.loc["targeted", ["inspections", "hazards", "major_share"]].tolist() == [1, 1, 0.0]
    assert modes.loc["random", "label"] == "Random (double-random)"
    assert modes["share"].sum() == 1.0
    assert list(modes.index) == [m for m in ("routine", "random", "targeted") if m in modes.index]


def test_selection_bias_per_origin_is_the_labels_module_figure() -> None:
    bias = exploration.selection_bias_by_origin(county.tables(), ["2026-02-05"], horizon_days=30)
    row = bias.loc[pd.Timestamp("2026-02-05")]
    # in (Feb 5, Mar 7]: E3 drawn at random (major H4 found), E1 visited otherwise (general H6 only)
    assert row.to_dict() == {"n_random": 1, "n_targeted": 1, "hit_rate_random": 1.0, "hit_rate_targeted": 0.0,
                             "ratio": 0.0}
