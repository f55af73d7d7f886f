"""``ag_grid(lang, ...)``: a dash-ag-grid table whose own words (paging, filter menus, "no rows") are
in the page's language, from ``i18n.grid_locale``. AG Grid speaks English unless given ``localeText``."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag

from dashboard import i18n


def ag_grid(lang: str, **kwargs: Any) -> dag.AgGrid:
    """``dag.AgGrid(**kwargs)`` with ``localeText`` for Chinese added to its ``dashGridOptions``."""
    options = dict(kwargs.pop("dashGridOptions", None) or {})
    locale = i18n.grid_locale(lang)
    if locale:
        options.setdefault("localeText", locale)
    return dag.AgGrid(dashGridOptions=options, **kwargs)
