"""The serving app's shared objects (the store, the settings), for the pieces below the app shell.

``create_app`` puts them in ``server.extensions["saferank"]``; pages, the API and the guard read them
here, so nothing below ``dashboard.app`` imports it.
"""

from __future__ import annotations

from typing import Any

import dash
import flask


def _extension() -> dict[str, Any]:
    server = flask.current_app if flask.has_app_context() else dash.get_app().server
    return server.extensions["saferank"]


def get_store():
    """The store of the app serving this request (or of the most recently created app)."""
    return _extension()["store"]


def get_config() -> dict[str, Any]:
    """The settings ``create_app`` was given, completed with its defaults."""
    return _extension()["config"]
