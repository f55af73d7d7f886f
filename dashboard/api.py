"""The JSON API under ``/api/v1``: the risk list, one enterprise, the serving model, batch scoring.

Same server, same accounts and the same role table as the pages: each route names the page whose
roles it shares (``ROUTE_PAGES``). Callers sign in with a session or ``Authorization: Bearer
<token>``. Every error is ``{"error": {"code", "message_zh", "message_en", "field"}}``.

Long because every route checks its own query parameters and body and answers each bad one with its
own bilingual error; the input limits are shared with the OpenAPI document (``dashboard.openapi``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import flask
import numpy as np
import pandas as pd
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, HTTPException, UnsupportedMediaType

import analytics
from analytics.contract.errors import UserError
from analytics.contract.schema import RISK_LEVELS, SECTORS
from analytics.risk.scoring import MAX_ID_LENGTH
from analytics.snapshot.snapshot import AsOf
from dashboard import auth
from dashboard.openapi import DEFAULT_LIMIT, EARLIEST_DATE, MAX_CHOICES, MAX_LIMIT, MAX_OFFSET, document

LEVEL_CODES = tuple(c.code for c in RISK_LEVELS)
SECTOR_CODES = tuple(c.code for c in SECTORS)

blueprint = flask.Blueprint("saferank_api", __name__, url_prefix="/api/v1")

# Route (endpoint) -> the page whose roles may call it. Health is public.
ROUTE_PAGES: dict[str, str] = {
    "saferank_api.model": "/model",
    "saferank_api.risk_list": "/risk-list",
    "saferank_api.enterprise": "/enterprise",
    "saferank_api.score": "/model",
    "saferank_api.openapi": "/risk-list",
    "saferank_api.alerts": "/alerts",
}
# Routes every signed-in role may call (the API's own description).
OPEN_TO_ALL_ROLES = frozenset({"saferank_api.openapi"})
# The query parameters each route reads; any other is refused (a typo is not silently ignored).
ROUTE_PARAMETERS: dict[str, frozenset[str]] = {
    "saferank_api.risk_list": frozenset({"as_of", "lang", "town", "sector", "level", "limit", "offset"}),
    "saferank_api.enterprise": frozenset({"as_of", "lang"}),
    "saferank_api.model": frozenset({"lang"}),
    "saferank_api.score": frozenset({"lang"}),
    "saferank_api.openapi": frozenset(),
    "saferank_api.alerts": frozenset({"since", "as_of", "lang", "kind", "state"}),
}
# A JSON body deeper than this is refused before it is parsed (the parser recurses: a body of
# 100,000 "[" raised RecursionError, a 500). The API's own bodies are 3 deep; Dash's callback
# bodies carry component trees and get the same generous bound.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string literal, escapes included


class ApiError(Exception):
    def __init__(self, status: int, code: str, zh: str, en: str, field: str | None = None) -> None:
        super().__init__(en)
        self.status, self.code, self.zh, self.en, self.field = status, code, zh, en, field


@blueprint.before_request
def _check_role() -> flask.Response | None:
    endpoint = flask.request.endpoint or ""
    if endpoint == "saferank_api.health" or endpoint in OPEN_TO_ALL_ROLES:
        return None
    page = ROUTE_PAGES.get(endpoint)
    if page is None or not auth.page_allowed(auth.current_user(), page):
        auth.audit("access_denied", flask.request.path, api=True)
        return auth.error_response(403, "forbidden", "当前账户无权访问此接口。", "This account may not call this route.")
    return None


@blueprint.before_request
def _check_query() -> flask.Response | None:
    """Only the parameters the route reads, and ``lang`` only as zh or en."""
    allowed = ROUTE_PARAMETERS.get(flask.request.endpoint or "")
    if allowed is None:
        return None
    unknown = sorted(set(flask.request.args) - allowed)
    if unknown:
        name = unknown[0][:50]
        raise ApiError(400, "invalid_parameter", f"此接口没有参数 {name}。", f"This route takes no parameter {name}.", name)
    if flask.request.args.get("lang", "zh") not in ("zh", "en"):
        raise ApiError(400, "invalid_parameter", "参数 lang 须为 zh 或 en。", "Parameter lang must be zh or en.", "lang")
    return None


def json_depth(data: bytes | str) -> int:
    """How deeply ``data`` (JSON text) nests arrays and objects, without parsing it: strings are
    blanked out by one regular expression, then the brackets are counted with numpy."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    codes = np.frombuffer(_JSON_STRING.sub(b'""', raw), dtype=np.uint8)
    step = ((codes == ord("[")) | (codes == ord("{"))).astype(np.int8) - ((codes == ord("]")) | (codes == ord("}"))).astype(np.int8)
    return int(np.cumsum(step, dtype=np.int64).max(initial=0))


def too_deep(data: bytes | str) -> bool:
    """Whether ``data`` nests deeper than ``MAX_JSON_DEPTH``. A body with no more opening brackets
    than that cannot (counted in C: the usual case); else ``json_depth`` decides (about 3 ms for a
    300 KB body of 1,000 records on the test machine, under load)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    return raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and json_depth(raw) > MAX_JSON_DEPTH


class JsonTooDeep(ValueError):
    """A JSON body nested deeper than ``MAX_JSON_DEPTH``."""


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing (with a ``ValueError``, which ``request.get_json`` turns into a 400)
    a text nested deeper than ``MAX_JSON_DEPTH`` before the recursive parser sees it."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if too_deep(s):
            raise JsonTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return json.loads(s, **kwargs)


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``kind`` is somewhere in ``error``'s chain (Flask wraps a JSON failure twice)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kind):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _too_deep() -> ApiError:
    return ApiError(400, "invalid_body", f"请求体的 JSON 嵌套超过 {MAX_JSON_DEPTH} 层。",
                    f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.", "enterprises")


def _int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = flask.request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not minimum <= value <= maximum:
        raise ApiError(
            400, "invalid_parameter",
            f"参数 {name} 须为 {minimum} 到 {maximum} 之间的整数。",
            f"Parameter {name} must be a whole number from {minimum} to {maximum}.", name,
        )
    return value


def latest_date() -> pd.Timestamp:
    """The last date a list may have: a year from today (a plan may be drawn ahead, no further)."""
    return pd.Timestamp.today().normalize() + pd.Timedelta(days=366)


def parse_day(raw: object, name: str = "as_of") -> pd.Timestamp:
    """``raw`` as a day from ``EARLIEST_DATE`` to ``latest_date()``, written YYYY-MM-DD; else a 400
    naming the parameter and the value (``9999-12-31`` overflowed date arithmetic further in)."""
    shown = str(raw)[:40]
    value = None
    if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            value = AsOf.parse(raw).ts  # the API's edge: the one parse of a requested date
        except (UserError, ValueError, TypeError, OverflowError):
            value = None
    if value is None:
        raise ApiError(400, "invalid_parameter", f"参数 {name} 须为日期（YYYY-MM-DD），收到“{shown}”。",
                       f"Parameter {name} must be a date (YYYY-MM-DD); got '{shown}'.", name)
    latest = latest_date()
    if not pd.Timestamp(EARLIEST_DATE) <= value <= latest:
        raise ApiError(400, "invalid_parameter",
                       f"参数 {name} 须在 {EARLIEST_DATE} 到 {latest:%Y-%m-%d} 之间，收到“{shown}”。",
                       f"Parameter {name} must be from {EARLIEST_DATE} to {latest:%Y-%m-%d}; got '{shown}'.", name)
    return value


def _date_arg(name: str = "as_of") -> pd.Timestamp | None:
    raw = flask.request.args.get(name)
    return None if not raw else parse_day(raw, name)


def _choice_args(name: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    values = tuple(v for raw in flask.request.args.getlist(name) for v in raw.split(",") if v)
    if len(values) > MAX_CHOICES or any(len(v) > MAX_ID_LENGTH for v in values):
        raise ApiError(400, "invalid_parameter",
                       f"参数 {name} 至多 {MAX_CHOICES} 个取值，每个至多 {MAX_ID_LENGTH} 个字符。",
                       f"Parameter {name} takes at most {MAX_CHOICES} values of at most {MAX_ID_LENGTH} characters each.", name)
    if allowed is not None:
        wrong = [v for v in values if v not in allowed]
        if wrong:
            raise ApiError(
                400, "invalid_parameter", f"参数 {name} 的取值无效：{wrong[0]}。", f"Invalid value for {name}: {wrong[0]}.", name
            )
    return values


def _lang() -> str:
    return auth.current_language()


def _list_of(as_of: pd.Timestamp | None) -> tuple[pd.Timestamp, pd.DataFrame]:
    """The browse frame (list + name, town, sector) of ``as_of`` (newest when None)."""
    from dashboard.components import data

    dates = data.scored_dates()
    if not dates:
        raise ApiError(404, "no_list", "尚无风险清单。", "There is no risk list yet.")
    if as_of is None:
        as_of = dates[0]
    elif as_of not in dates:
        raise ApiError(404, "no_list", "该日期没有风险清单。", "There is no risk list for that date.", "as_of")
    return as_of, data.browse(as_of, _lang())


ITEM_COLUMNS = ("enterprise_id", "name", "town_id", "town_name", "sector", "score", "rank", "risk_level", "reasons", "model_version")


def _items(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = [c for c in ITEM_COLUMNS if c in frame.columns]
    shown = frame[columns].astype(object).where(frame[columns].notna(), None)
    return shown.to_dict(orient="records")


@blueprint.get("/health")
def health() -> flask.Response:
    return flask.jsonify({"status": "ok", "version": analytics.__version__})


@blueprint.get("/risk-list")
def risk_list() -> flask.Response:
    from analytics.views.riskview import ListFilter, select_rows

    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _int_arg("offset", 0, 0, MAX_OFFSET)
    chosen = ListFilter.of(
        towns=_choice_args("town"), sectors=_choice_args("sector", SECTOR_CODES), levels=_choice_args("level", LEVEL_CODES)
    )
    as_of, frame = _list_of(_date_arg())
    page = select_rows(frame, chosen, start=offset, end=offset + limit)
    auth.audit("view_list", f"{as_of:%Y-%m-%d}", api=True, offset=offset, limit=limit)
    return flask.jsonify(
        {
            "as_of": f"{as_of:%Y-%m-%d}",
            "total": page.total,
            "limit": limit,
            "offset": offset,
            "level_counts": page.level_counts,
            "items": _items(page.rows),
        }
    )


@blueprint.get("/enterprises/<enterprise_id>")
def enterprise(enterprise_id: str) -> flask.Response:
    if len(enterprise_id) > MAX_ID_LENGTH:
        raise ApiError(400, "invalid_parameter", f"企业编码至多 {MAX_ID_LENGTH} 个字符。",
                       f"An enterprise id has at most {MAX_ID_LENGTH} characters.", "enterprise_id")
    if not auth.may_see_enterprise(auth.current_user(), enterprise_id):
        # the same answer as for an unknown id: an inspector learns nothing about other teams' firms;
        # the audit keeps the attempt
        auth.audit("access_denied", enterprise_id, api=True, path=flask.request.path[:200], reason="outside the user's scope")
        raise ApiError(404, "not_found", "清单中没有这家企业。", "This enterprise is not on the list.", "enterprise_id")
    as_of, frame = _list_of(_date_arg())
    rows = frame.loc[frame["enterprise_id"].astype(str) == enterprise_id]
    if rows.empty:
        raise ApiError(404, "not_found", "清单中没有这家企业。", "This enterprise is not on the list.", "enterprise_id")
    auth.audit("view_enterprise", enterprise_id, api=True, as_of=f"{as_of:%Y-%m-%d}")
    item = _items(rows)[0]
    reasons = str(item.get("reasons") or "")
    item["reasons_list"] = [r.strip() for r in pd.Series([reasons]).str.split(r"[；;\n|]", regex=True)[0] if r.strip()]
    return flask.jsonify({"as_of": f"{as_of:%Y-%m-%d}", **item})


ALERT_ITEM_COLUMNS = ("alert_id", "date", "kind", "enterprise_id", "enterprise_name", "town_id", "town_name", "sector",
                      "team", "reason", "confidence", "state", "changed_by", "changed_at", "assigned_team")


@blueprint.get("/alerts")
def alerts() -> flask.Response:
    """The warning feed of ``(since, as_of]`` as the signed-in user may see it (inspectors: their teams' towns)."""
    from analytics.operations import alerts as feed_module
    from analytics.store.alerts import STATE_CODES
    from analytics.store.database import latest_record_date
    from dashboard.context import get_store

    kinds = _choice_args("kind", feed_module.KIND_CODES)
    states = _choice_args("state", STATE_CODES)
    store = get_store()
    as_of = _date_arg()
    since = _date_arg("since")
    try:
        as_of = AsOf(as_of) if as_of is not None else AsOf.parse(latest_record_date(store))
        since = AsOf(since) if since is not None else as_of.plus(-7)
        feed = feed_module.feed_from_store(store, as_of, since, user=auth.current_user())
    except UserError as error:
        raise ApiError(400, "invalid_parameter", error.zh, error.en, "since") from error
    if kinds:
        feed = feed.loc[feed["kind"].isin(kinds)]
    if states:
        feed = feed.loc[feed["state"].isin(states)]
    lang = _lang()
    feed = feed.assign(reason=feed["reason_zh"] if lang == "zh" else feed["reason_en"],
                       date=pd.to_datetime(feed["date"]).dt.strftime("%Y-%m-%d"),
                       changed_at=pd.to_datetime(feed["changed_at"]).dt.strftime("%Y-%m-%dT%H:%M:%S"))
    auth.audit("view_list", "alerts", api=True, since=since.iso, as_of=as_of.iso)
    shown = feed[list(ALERT_ITEM_COLUMNS)]
    items = shown.astype(object).where(shown.notna(), None).to_dict(orient="records")
    return flask.jsonify({"since": since.iso, "as_of": as_of.iso, "total": len(items), "items": items})


@blueprint.get("/model")
def model() -> flask.Response:
    """The serving model's card (``analytics.models.registry``) and the newest list it made."""
    from analytics.models.registry import ModelRegistry
    from dashboard.components import data

    registry = ModelRegistry(flask.current_app.extensions["saferank"]["config"]["models_dir"])
    version = registry.serving()
    if version is None:
        raise ApiError(404, "no_model", "尚无启用的模型。", "No model is serving yet.")
    card = registry.card(version)
    dates = data.scored_dates()
    auth.audit("view_model", version, api=True)
    return flask.jsonify(
        {
            "model_version": version,
            "card": card,
            "history": registry.versions().astype(object).where(lambda f: f.notna(), None).to_dict(orient="records"),
            "scored_dates": [f"{d:%Y-%m-%d}" for d in dates],
        }
    )


@blueprint.post("/score")
def score() -> flask.Response:
    try:
        body = flask.request.get_json(silent=False)
    except (BadRequest, UnsupportedMediaType) as error:  # not JSON, or nested too deeply (BoundedJSONProvider)
        if _caused_by(error, JsonTooDeep):
            raise _too_deep() from error
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("enterprises"), list):
        raise ApiError(
            400, "invalid_body", "请求体须为 JSON：{\"enterprises\": [企业记录…]}。",
            'The body must be JSON: {"enterprises": [enterprise records...]}.', "enterprises",
        )
    unknown = sorted(map(str, set(body) - {"enterprises", "as_of"}))
    if unknown:
        name = unknown[0][:50]
        raise ApiError(400, "invalid_body", f"请求体没有字段 {name}。", f"The body has no field {name}.", name)
    records = body["enterprises"]
    if not records or len(records) > 1000 or not all(isinstance(r, dict) for r in records):
        raise ApiError(400, "invalid_body", "须提交 1 到 1000 条企业记录（对象）。", "Send 1 to 1000 enterprise records (objects).", "enterprises")
    from analytics.risk.scoring import RecordError, score_records
    from dashboard.context import get_store

    models_dir = flask.current_app.extensions["saferank"]["config"]["models_dir"]
    as_of = None if body.get("as_of") is None else AsOf(parse_day(body["as_of"], "as_of"))
    try:
        scored = score_records(get_store(), records, as_of=as_of, lang=_lang(), models_dir=models_dir)
    except RecordError as error:
        raise ApiError(400, "invalid_record", error.zh, error.en, error.field) from error
    except (UserError, ImportError) as error:  # no serving model (or its parts) on this server
        zh, en = (error.zh, error.en) if isinstance(error, UserError) else ("评分模块尚未就绪。", "Scoring is not installed yet.")
        raise ApiError(503, "not_available", zh, en) from error
    auth.audit("score", None, api=True, records=len(records))
    return flask.jsonify({"items": _items(scored), "stored": False})


@blueprint.get("/openapi.json")
def openapi() -> flask.Response:

    return flask.jsonify(document())


def _api_error(error: Exception) -> flask.Response:
    if isinstance(error, ApiError):
        return auth.error_response(error.status, error.code, error.zh, error.en, error.field)
    if isinstance(error, auth.accounts.Forbidden):
        return auth.error_response(403, "forbidden", error.zh, error.en)
    if isinstance(error, UserError):
        return auth.error_response(400, "invalid_request", error.zh, error.en, getattr(error, "field", None))
    assert isinstance(error, HTTPException)
    status = error.code or 500
    messages = {
        400: ("请求格式不正确。", "The request is malformed."),
        404: ("没有这个接口。", "There is no such route."),
        405: ("此接口不支持该请求方法。", "This route does not accept that method."),
        413: ("请求体过大。", "The request body is too large."),
    }
    zh, en = messages.get(status, ("请求无法处理。", "The request cannot be handled."))
    return auth.error_response(status, error.name.lower().replace(" ", "_"), zh, en)


def _server_error(error: Exception) -> flask.Response:
    flask.current_app.logger.exception("API error", exc_info=error)
    return auth.error_response(500, "internal_error", "服务器内部错误，已记录。", "Internal error; it has been logged.")


def install(server: flask.Flask) -> None:
    """Register the API and JSON errors for API and callback paths on ``server``, and the bounded
    JSON parser for every request body (API and Dash callbacks)."""
    server.json = BoundedJSONProvider(server)
    server.register_blueprint(blueprint)

    def handle(error: Exception):
        path = flask.request.path
        if path.startswith("/api/") or path.startswith("/_dash-"):
            if isinstance(error, ApiError | UserError | HTTPException):
                return _api_error(error)
            return _server_error(error)
        if isinstance(error, HTTPException):
            return error
        raise error

    server.register_error_handler(ApiError, handle)
    server.register_error_handler(UserError, handle)
    server.register_error_handler(HTTPException, handle)
