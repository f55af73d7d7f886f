"""Keep a page's filters in its address, so a filtered view can be shared as a link.

A clientside callback rewrites the query string with ``history.replaceState`` whenever a filter
changes: no server call and no page re-render. On load, the page's ``layout(**query)`` reads the
same parameters back. Lists travel comma-separated (``?town=T1,T2``).
"""

from __future__ import annotations

from collections.abc import Sequence

import dash
from dash import Input, Output

_SYNC = """
function() {
    var names = %s;
    var url = new URL(window.location.href);
    for (var i = 0; i < names.length; i++) {
        var value = arguments[i];
        if (Array.isArray(value)) { value = value.join(","); }
        if (value === null || value === undefined || value === "") { url.searchParams.delete(names[i]); }
        else { url.searchParams.set(names[i], value); }
    }
    window.history.replaceState(window.history.state, "", url.pathname + url.search);
    return url.search;
}
"""


def register_url_sync(prefix: str, fields: Sequence[tuple[str, str, str]]) -> None:
    """``fields``: (component id, property, URL parameter); result kept in ``{prefix}-url-state``."""
    names = "[" + ",".join(f'"{param}"' for _, _, param in fields) + "]"
    dash.clientside_callback(
        _SYNC % names,
        Output(f"{prefix}-url-state", "data"),
        [Input(component, prop) for component, prop, _ in fields],
    )


def as_list(value: object) -> list[str]:
    """A URL parameter (``"a,b"``, ``["a", "b"]`` or None) as a list of non-empty strings."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]
