"""The language switch (中文 / English): a clientside callback stores the choice in a cookie and reloads.

The switch runs in the browser only (no server call), so it needs no permission of its own; every
page load then reads the cookie through ``i18n.current_lang``. A ``lang`` URL parameter wins over
the cookie, so a shared link opens in the language it was shared in.
"""

from __future__ import annotations

import dash
from dash import Input, Output, dcc, html

from dashboard import i18n

_SET_COOKIE = """
function(value, current) {
    if (!value || value === current) { return window.dash_clientside.no_update; }
    document.cookie = "COOKIE_NAME=" + value + "; path=/; max-age=31536000; samesite=lax";
    var url = new URL(window.location.href);
    if (url.searchParams.has("lang")) { url.searchParams.set("lang", value); window.location.assign(url.toString()); }
    else { window.location.reload(); }
    return value;
}
""".replace("COOKIE_NAME", i18n.COOKIE)


def language_switch(prefix: str, lang: str) -> html.Div:
    """A 中文 / English toggle whose ids start with the page's ``prefix``."""
    return html.Div(
        [
            dcc.RadioItems(
                id=f"{prefix}-lang",
                options=[{"label": "中文", "value": "zh"}, {"label": "English", "value": "en"}],
                value=lang,
                inline=True,
                className="lang-switch",
                inputClassName="lang-input",
            ),
            dcc.Store(id=f"{prefix}-lang-current", data=lang),
        ],
        className="lang-box",
        title=i18n.t("lang.switch", lang),
    )


def register_language_switch(prefix: str) -> None:
    """The clientside callback of the page's switch; call once in the page module."""
    dash.clientside_callback(
        _SET_COOKIE,
        Output(f"{prefix}-lang-current", "data"),
        Input(f"{prefix}-lang", "value"),
        dash.State(f"{prefix}-lang-current", "data"),
        prevent_initial_call=True,
    )
