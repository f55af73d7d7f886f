"""Fixtures for the sign-in, role and API tests (imported by test_auth*.py and test_api*.py).

One app per test module over a fresh SQLite store with one account per role; the pages' data layer
is pointed at the tiny hand-made county (tests/summary_county.py) so that content routes answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import dash
import pandas as pd
import pytest
import summary_county as county

PASSWORD = "correct-horse-battery"
ROLES = ("admin", "office", "leader", "inspector", "analyst")
LANGUAGE_STORES = ("admin-lang",)


@dataclass
class AuthApp:
    app: dash.Dash
    store: object
    tokens: dict[str, str]  # role -> API token of that role's account

    def client(self, role: str | None = None):
        """A test client, signed in as the ``role`` account (no sign-in when None)."""
        return signed_in_client(self.app, self.store, None if role is None else f"u-{role}")


def signed_in_client(app: dash.Dash, store: object, username: str | None):
    """A test client whose cookie holds a live session of ``username`` (none when None), as if it
    had signed in through the form."""
    from analytics.accounts import users as accounts
    from dashboard import auth

    client = app.server.test_client()
    if username is not None:
        token = accounts.start_session(store, username)
        with client.session_transaction() as session:
            session[auth.SESSION_KEY] = token
    return client


@pytest.fixture(scope="module", name="auth_app")
def auth_app_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthApp]:
    from analytics.accounts import users as accounts
    from dashboard.app import create_app
    from dashboard.components import data

    lists = {county.AS_OF: county.risk_list(), county.PREVIOUS_AS_OF: county.previous_risk_list()}
    patch = pytest.MonkeyPatch()
    patch.setattr(data, "_store_key", lambda: "tiny-county")
    patch.setattr(data, "tables", county.tables)
    patch.setattr(data, "scored_dates", lambda: sorted(lists, reverse=True))
    patch.setattr(data, "risk_list", lambda as_of, lang="zh", model_version=None: lists[pd.Timestamp(as_of)])
    data.clear()
    folder = tmp_path_factory.mktemp("auth")
    app = create_app({"db": f"sqlite:///{folder / 'store.db'}", "secret_key": "test-secret-" + "x" * 32,
                      "models_dir": str(folder / "models")})
    store = app.server.extensions["saferank"]["store"]
    tokens = {}
    for role in ROLES:
        accounts.add_user(store, f"u-{role}", role, PASSWORD, team="第1组" if role == "inspector" else None)
        tokens[role] = accounts.create_token(store, f"u-{role}")[1]
    yield AuthApp(app, store, tokens)
    patch.undo()
    data.clear()


def _component_id(text: str) -> object:
    return json.loads(text) if text.startswith("{") else text


def callback_outputs(key: str) -> list[dict]:
    """The outputs named by a callback-map key ("id.prop" or "..id.prop...id2.prop..")."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    return [{"id": _component_id(part.rsplit(".", 1)[0]), "property": part.rsplit(".", 1)[1]} for part in parts]


def callback_body(app: dash.Dash, key: str, pathname: str | None = None) -> dict:
    """A ``/_dash-update-component`` body for the callback ``key``, all inputs empty but the page's
    language (the router's pathname set to ``pathname``)."""
    spec = app.callback_map[key]
    outputs = callback_outputs(key)

    def item(dependency: dict) -> dict:
        value = pathname if dependency["id"] == "_pages_location" and dependency["property"] == "pathname" else None
        if dependency["id"] in LANGUAGE_STORES or str(dependency["id"]).endswith("-lang-store"):
            value = "zh"  # the layout always sets the page's language
        return {"id": _component_id(dependency["id"]) if isinstance(dependency["id"], str) else dependency["id"],
                "property": dependency["property"], "value": value}

    return {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": [item(d) for d in spec["inputs"]],
        "state": [item(d) for d in spec.get("state", [])],
        "changedPropIds": [],
    }
