"""English counts agree with their number, in every layer that writes English (issue 18: "1 firms")."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.contract.words import count, counts, noun, plural


@pytest.mark.parametrize("n, text", [(0, "0 firms"), (1, "1 firm"), (2, "2 firms"), (1200, "1,200 firms"),
                                     ("1", "1 firm"), (1.5, "1.5 firms")])
def test_a_count_of_one_takes_the_singular_and_any_other_the_plural(n: object, text: str):
    assert count(n, "firm") == text


def test_irregular_plurals_and_the_noun_alone():
    assert count(1, "penalty", "penalties") == "1 penalty" and count(3, "penalty", "penalties") == "3 penalties"
    assert noun(1, "column") == "column" and noun(2, "column") == "columns"


def test_counts_row_by_row():
    assert counts(pd.Series([0, 1, 4]), "hazard").tolist() == ["0 hazards", "1 hazard", "4 hazards"]


def test_phrase_templates_agree_with_their_fields_and_leave_plotly_templates_plural():
    assert plural("{n} row(s), {m} match(es)", {"n": 1, "m": 2}).format(n=1, m=2) == "1 row, 2 matches"
    assert plural("{n} firm(s)", {"n": "%{customdata[2]}"}) == "{n} firms"  # a tooltip's number is not known here


def test_the_reports_say_1_table_1_row_not_1_tables(monkeypatch):
    """The quality summary and the lists' command line, with counts of one."""
    import summary_county

    from analytics.operations.lists import ListReport
    from analytics.views.quality import QualityReport, quality_of_tables

    report = quality_of_tables(summary_county.tables(), summary_county.AS_OF)
    real = QualityReport.counts
    monkeypatch.setattr(QualityReport, "counts", lambda self: {**real(self), "tables": 1, "rows": 1})
    assert "Data quality (export date 2026-03-01): 1 table, 1 row." in report.render("en")
    monkeypatch.setattr(QualityReport, "counts", lambda self: {**real(self), "tables": 2, "rows": 1200})
    assert "2 tables, 1,200 rows." in report.render("en")
    listed = ListReport("places", "p.xlsx", pd.Timestamp("2026-03-01"), 1).render("en")
    assert listed == "Places list (2026-03-01): 1 row, written to p.xlsx"


def test_the_dashboard_phrase_book_uses_the_same_rule():
    from dashboard import i18n

    assert i18n.plural is plural
    assert i18n.t("period_note", "en", days=1).startswith("Period: the 1 day up to")
