"""``localise(tree, lang)``: the words Dash's own components bring (a dropdown's "Search", "Select All",
"2 selected"; a date picker's "Select Date", its month names and first weekday) in the page's language.

``page_frame`` runs it over every page, so a dropdown or date picker a page adds is covered without the
page passing anything; a prop the page set itself is kept. AG Grid's words come with ``ag_grid``.
"""

from __future__ import annotations

from dash import dcc

from dashboard import i18n


def localise(component: object, lang: str) -> object:
    """``component`` with every ``dcc.Dropdown`` and date picker under it given ``lang``'s words (in place)."""
    if isinstance(component, list | tuple):
        for child in component:
            localise(child, lang)
        return component
    if isinstance(component, dcc.Dropdown):
        labels = i18n.dropdown_labels(lang)
        if labels and getattr(component, "labels", None) is None:
            component.labels = labels
    elif isinstance(component, dcc.DatePickerSingle | dcc.DatePickerRange):
        kind = "single" if isinstance(component, dcc.DatePickerSingle) else "range"
        for prop, value in i18n.date_picker(lang, kind).items():
            if getattr(component, prop, None) is None:
                setattr(component, prop, value)
    children = getattr(component, "children", None)
    if children is not None and not isinstance(children, str):
        localise(children, lang)
    return component
