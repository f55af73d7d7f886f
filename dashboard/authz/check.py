"""Check a ``/_dash-update-component`` body against the callback Dash will run for it.

Dash picks the function by the body's ``output`` key and passes ``inputs`` then ``state`` to it by
position; the ``id``/``property`` the client writes beside each value are not used to bind it. So
the check goes in this order, and refuses at the first failure:

1. the key is in the table (``authz.table.TABLE``) and in the app's callback map, and the role may
   run it (403 otherwise);
2. the body's outputs, inputs, state and changed properties are exactly the registered ones: same
   count, and at each position the same id (pattern-matching ids compared as structures) and the same
   property (403: the request was not made by the page);
3. each value Dash will bind has the type and range of its position (400, with what was expected;
   a pattern-matching ALL position binds a list, and each of its values is checked);
4. the values at scoped positions name only objects the user may see (403).

Only then does the page router's own check (the page of the path) run, on the values at the
router's positions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dashboard.authz.table import ROUTER, TABLE, Rule

WILDCARDS = ("MATCH", "ALL", "ALLSMALLER")


@dataclass(frozen=True)
class Refusal:
    """Why a callback request is refused: HTTP status, error code, bilingual message, and the field."""

    status: int
    code: str
    zh: str
    en: str
    field: str | None = None

    @property
    def audited(self) -> bool:
        return self.status == 403


@dataclass(frozen=True)
class Allowed:
    """A request that may run; for the page router, the path and query it renders."""

    key: str
    rule: Rule
    values: tuple[Any, ...]
    pathname: str | None = None
    search: str = ""


def _forbidden(en_reason: str, zh_reason: str, field: str | None = None) -> Refusal:
    return Refusal(403, "forbidden", f"当前账户无权执行此操作（{zh_reason}）。", f"This account may not do this ({en_reason}).",
                   field)


def _parse_id(text: Any) -> Any:
    """A registered dependency id: plain text, or a pattern-matching id kept as JSON text by Dash."""
    if isinstance(text, str) and text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _wildcard(value: Any) -> str | None:
    return value[0] if isinstance(value, list) and len(value) == 1 and value[0] in WILDCARDS else None


def _id_matches(pattern: Any, sent: Any) -> bool:
    """A concrete id the client sent against a registered (possibly pattern-matching) id."""
    if not isinstance(pattern, dict):
        return isinstance(sent, str) and sent == pattern
    if not isinstance(sent, dict) or set(sent) != set(pattern):
        return False
    for key, expected in pattern.items():
        value = sent[key]
        if not isinstance(value, str | int | float | bool) or isinstance(value, float) and value != value:
            return False
        if _wildcard(expected) is None and (value != expected or type(value) is not type(expected)):
            return False
    return True


def _is_multi(pattern: Any) -> bool:
    """ALL and ALLSMALLER ids bind a list of values; plain and MATCH ids bind one."""
    return isinstance(pattern, dict) and any(_wildcard(v) in ("ALL", "ALLSMALLER") for v in pattern.values())


def _item_matches(pattern: Any, prop: str, sent: Any) -> bool:
    return isinstance(sent, dict) and sent.get("property") == prop and _id_matches(pattern, sent.get("id"))


def _each_matches(expected: list[tuple[Any, str]], sent: Any) -> bool:
    """``sent`` holds exactly one item per expected (id pattern, property), in order; a pattern-matching
    ALL/ALLSMALLER position holds a list whose every item matches."""
    if not isinstance(sent, list) or len(sent) != len(expected):
        return False
    for (pattern, prop), item in zip(expected, sent, strict=True):
        if _is_multi(pattern):
            if not isinstance(item, list) or not all(_item_matches(pattern, prop, one) for one in item):
                return False
        elif not _item_matches(pattern, prop, item):
            return False
    return True


def _dependencies_match(registered: list[dict], sent: Any) -> bool:
    return _each_matches([(_parse_id(d["id"]), d["property"]) for d in registered], sent)


def registered_outputs(key: str) -> list[tuple[Any, str]]:
    """The (id, property) outputs named by a callback-map key (``id.prop`` or ``..a.p...b.q..``)."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    return [(_parse_id(part.rsplit(".", 1)[0]), part.rsplit(".", 1)[1]) for part in parts if "." in part]


def _outputs_match(key: str, sent: Any) -> bool:
    return _each_matches(registered_outputs(key), sent if key.startswith("..") else [sent])


def _changed_match(inputs: list[dict], changed: Any) -> bool:
    """``changedPropIds`` (what ``dash.ctx.triggered_id`` reads) may name only the callback's inputs."""
    if changed is None:
        return True
    if not isinstance(changed, list) or len(changed) > len(inputs) * 50:
        return False
    for text in changed:
        if not isinstance(text, str) or "." not in text:
            return False
        sent_id, prop = text.rsplit(".", 1)
        sent = _parse_id(sent_id)
        if not any(d["property"] == prop and _id_matches(_parse_id(d["id"]), sent) for d in inputs):
            return False
    return True


def _bound_values(body: Mapping[str, Any]) -> tuple[Any, ...]:
    """The values in the order Dash passes them (as ``dash._utils.inputs_to_vals`` reads the body)."""
    return tuple([one.get("value") for one in item] if isinstance(item, list) else item.get("value")
                 for item in [*body["inputs"], *body.get("state", [])])


Scope = Callable[[str], "frozenset[str] | None"]


def check(role: str, body: Any, callback_map: Mapping[str, Mapping[str, Any]], scope: Scope) -> Allowed | Refusal:
    """Whether a user of ``role`` may run the callback ``body`` asks for.

    ``callback_map``: the app's (Dash's ``app.callback_map``). ``scope(kind)``: the names of that kind
    ("enterprise", "visit", "plan") the user may use, or None when the role is not scoped for it;
    asked only when a scoped position holds a value.
    """
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return Refusal(400, "malformed", "请求格式不正确。", "The request is malformed.")
    key = body["output"]
    rule, spec = TABLE.get(key), callback_map.get(key)
    if rule is None or spec is None:
        return _forbidden("no such callback", "没有这个回调")
    if not rule.allows(role):
        return _forbidden("role", "角色权限")
    inputs, state = list(spec.get("inputs", [])), list(spec.get("state", []))
    if len(rule.args) != len(inputs) + len(state):  # the table is out of date: closed, not open
        return _forbidden("callback not described", "回调未登记")
    if not (_outputs_match(key, body.get("outputs")) and _dependencies_match(inputs, body.get("inputs"))
            and _dependencies_match(state, body.get("state", [])) and _changed_match(inputs, body.get("changedPropIds"))):
        return _forbidden("the request does not match the callback", "请求与回调不符")
    values = _bound_values(body)
    names = [f"{d['id']}.{d['property']}" for d in [*inputs, *state]]
    # an ALL/ALLSMALLER position binds a list: its kind applies to each of the matched components' values
    each = [list(v) if _is_multi(_parse_id(d["id"])) else [v] for d, v in zip([*inputs, *state], values, strict=True)]
    for kind, one, field in zip(rule.args, each, names, strict=True):
        if not all(_accepts(kind.accepts, value) for value in one):
            return Refusal(400, "invalid_input", f"输入值不符合要求：{field} 应为{kind.zh}。",
                           f"Invalid input: {field} must be {kind.en}.", field)
    for kind, one, field in zip(rule.args, each, names, strict=True):
        if kind.scope is None:
            continue
        named = [n for value in one for n in kind.scoped(value) if n]
        visible = scope(kind.scope) if named else None
        if visible is not None and not set(named) <= visible:
            return _forbidden(f"{kind.scope} outside the account's scope", "超出本账户的范围", field)
    if key == ROUTER:
        pathname, search = values
        return Allowed(key, rule, values, pathname, search or "")
    return Allowed(key, rule, values)


def _accepts(accepts: Callable[[Any], bool], value: Any) -> bool:
    try:
        return bool(accepts(value))
    except (TypeError, ValueError, OverflowError, RecursionError):
        return False
