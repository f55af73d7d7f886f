"""Grids speak the page's language: AG Grid's own words (paging, filters, "no rows") in Chinese."""

from pathlib import Path

from dashboard.components.aggrid import ag_grid
from dashboard.i18n import GRID_LOCALE_ZH


def test_chinese_grids_get_the_chinese_words_and_keep_their_options():
    grid = ag_grid("zh", id="g", rowData=[], dashGridOptions={"pagination": True})
    assert grid.dashGridOptions["pagination"] is True
    assert grid.dashGridOptions["localeText"]["noRowsToShow"] == "没有数据" and grid.id == "g"


def test_english_grids_keep_ag_grids_own_english():
    assert "localeText" not in ag_grid("en", id="g", rowData=[]).dashGridOptions


def test_every_page_builds_its_grids_through_ag_grid():
    """A page calling dash_ag_grid directly would show English paging on a Chinese page."""
    pages = Path(__file__).resolve().parents[2] / "dashboard" / "pages"
    direct = [p.name for p in pages.glob("*.py") if "dag.AgGrid(" in p.read_text(encoding="utf-8")]
    assert direct == []
    assert {"page", "of", "to", "noRowsToShow", "filterOoo"} <= set(GRID_LOCALE_ZH)
