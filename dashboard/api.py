"""The JSON API under ``/api/v1``: the risk list, one enterprise, the serving model, batch scoring.

Same server, same accounts and the same role table as the pages: each route names the page whose
roles it shares (``ROUTE_PAGES``). Callers sign in with a session or ``Authorization: Bearer
<token>``. Every error is ``{"error": {"code", "message_zh", "message_en", "field"}}``.
"""

from __future__ import annotations

from typing import Any

import flask
import pandas as pd
from werkzeug.exceptions import HTTPException

import analytics
from analytics.contract.errors import UserError
from analytics.contract.schema import RISK_LEVELS, SECTORS
from analytics.snapshot.snapshot import AsOf
from dashboard import auth
from dashboard.openapi import DEFAULT_LIMIT, MAX_LIMIT, document

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
}
# Routes every signed-in role may call (the API's own description).
OPEN_TO_ALL_ROLES = frozenset({"saferank_api.openapi"})


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


def _date_arg(name: str = "as_of") -> pd.Timestamp | None:
    raw = flask.request.args.get(name)
    if not raw:
        return None
    try:
        if pd.Timestamp(raw).tzinfo is not None:  # a moment in some zone is not a day
            raise ValueError(raw)
        return AsOf.parse(raw).ts  # the API's edge: the one parse of a requested date
    except (UserError, ValueError, TypeError, OverflowError):
        raise ApiError(400, "invalid_parameter", f"参数 {name} 须为日期（YYYY-MM-DD）。", f"Parameter {name} must be a date (YYYY-MM-DD).", name) from None


def _choice_args(name: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    values = tuple(v for raw in flask.request.args.getlist(name) for v in raw.split(",") if v)
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
    offset = _int_arg("offset", 0, 0, 10_000_000)
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
    body = flask.request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("enterprises"), list):
        raise ApiError(
            400, "invalid_body", "请求体须为 JSON：{\"enterprises\": [企业记录…]}。",
            'The body must be JSON: {"enterprises": [enterprise records...]}.', "enterprises",
        )
    records = body["enterprises"]
    if not records or len(records) > 1000 or not all(isinstance(r, dict) for r in records):
        raise ApiError(400, "invalid_body", "须提交 1 到 1000 条企业记录（对象）。", "Send 1 to 1000 enterprise records (objects).", "enterprises")
    from analytics.risk.scoring import RecordError, score_records
    from dashboard.context import get_store

    models_dir = flask.current_app.extensions["saferank"]["config"]["models_dir"]
    try:
        as_of = None if body.get("as_of") in (None, "") else AsOf.parse(body["as_of"])
    except UserError as error:
        raise ApiError(400, "invalid_record", error.zh, error.en, "as_of") from error
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
    """Register the API and JSON errors for API and callback paths on ``server``."""
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
