"""``dashboard.authz.check`` on callbacks the app does not have yet: pattern-matching ids (ALL, MATCH)
are compared as structures, position by position, before any value is looked at."""

from __future__ import annotations

import importlib

import pytest
from dash import ALL, MATCH, Input, Output, State

from dashboard.authz import kinds as k
from dashboard.authz.table import Rule

ALL_KEY = "demo-total.children"
MATCH_KEY = '{"index":["MATCH"],"type":"demo-out"}.children'
authz = importlib.import_module("dashboard.authz.check")  # the package exports the function under the same name


def _spec(inputs: list, state: list) -> dict:
    return {"inputs": [d.to_dict() for d in inputs], "state": [d.to_dict() for d in state], "callback": object()}


@pytest.fixture
def callbacks(monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setitem(authz.TABLE, ALL_KEY, Rule(frozenset({"office"}), (k.clicks(), k.lang())))
    monkeypatch.setitem(authz.TABLE, MATCH_KEY, Rule(frozenset({"office"}), (k.enterprise_id(),)))
    assert Output({"type": "demo-out", "index": MATCH}, "children").component_id_str() + ".children" == MATCH_KEY
    return {
        # the ALL input binds a list of values, one per matching component
        ALL_KEY: _spec([Input({"type": "demo-firm", "index": ALL}, "n_clicks")], [State("demo-lang", "data")]),
        MATCH_KEY: _spec([Input({"type": "demo-firm", "index": MATCH}, "value")], []),
    }


def _item(component_id: object, prop: str, value: object) -> dict:
    return {"id": component_id, "property": prop, "value": value}


def _all_body(firms: list, lang: object = "zh") -> dict:
    return {"output": ALL_KEY, "outputs": {"id": "demo-total", "property": "children"},
            "inputs": [firms], "state": [_item("demo-lang", "data", lang)], "changedPropIds": []}


def _match_body(item: dict, changed: list | None = None) -> dict:
    return {"output": MATCH_KEY, "outputs": {"id": {"type": "demo-out", "index": 1}, "property": "children"},
            "inputs": [item], "state": [], "changedPropIds": changed or []}


def _scope(kind: str) -> frozenset[str]:
    return frozenset({"E1"})


def test_all_ids_bind_a_list_compared_item_by_item(callbacks) -> None:
    firms = [_item({"type": "demo-firm", "index": i}, "n_clicks", i) for i in range(3)]
    assert isinstance(authz.check("office", _all_body(firms), callbacks, _scope), authz.Allowed)
    assert isinstance(authz.check("office", _all_body([]), callbacks, _scope), authz.Allowed)  # no such component yet
    for forged in (
        [_item({"type": "demo-other", "index": 0}, "n_clicks", 1)],  # another type
        [_item({"type": "demo-firm", "index": 0, "extra": 1}, "n_clicks", 1)],  # another shape
        [_item({"type": "demo-firm", "index": 0}, "value", 1)],  # another property
        [_item("demo-firm", "n_clicks", 1)],  # a plain id
        _item({"type": "demo-firm", "index": 0}, "n_clicks", 1),  # one item where a list binds
    ):
        refusal = authz.check("office", _all_body(forged), callbacks, _scope)
        assert isinstance(refusal, authz.Refusal) and refusal.status == 403, forged
    assert authz.check("leader", _all_body(firms), callbacks, _scope).status == 403  # not the role's
    assert authz.check("office", _all_body(firms, lang="x1"), callbacks, _scope).status == 400


def test_match_ids_bind_one_value_and_its_scope_is_checked(callbacks) -> None:
    honest = _item({"type": "demo-firm", "index": 7}, "value", "E1")
    changed = ['{"index":7,"type":"demo-firm"}.value']
    assert isinstance(authz.check("office", _match_body(honest, changed), callbacks, _scope), authz.Allowed)
    other_firm = _item({"type": "demo-firm", "index": 7}, "value", "E2")
    assert authz.check("office", _match_body(other_firm), callbacks, _scope).status == 403
    for forged in (_item({"type": "demo-firm", "index": [1]}, "value", "E1"), [honest],
                   _item({"type": "demo-firm"}, "value", "E1")):
        assert authz.check("office", _match_body(forged), callbacks, _scope).status == 403, forged
    assert authz.check("office", _match_body(honest, ["demo-lang.data"]), callbacks, _scope).status == 403
