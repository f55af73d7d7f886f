"""The OpenAPI 3 description of ``/api/v1`` (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from typing import Any

import analytics
from analytics.contract.schema import RISK_LEVELS, SECTORS, table
from analytics.operations.alerts import KIND_CODES as ALERT_KIND_CODES
from analytics.risk.scoring import ID_COLUMNS, MAX_ID_LENGTH, MAX_RECORDS, MAX_TEXT_LENGTH
from analytics.store.alerts import STATE_CODES as ALERT_STATE_CODES

# Rows per page of the list endpoints: the default, and the most one request may ask for.
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_OFFSET = 10_000_000
# Values one filter parameter (town, sector, level) may list.
MAX_CHOICES = 100
# The first date the API accepts (lists, scoring); the last is a year from today.
EARLIEST_DATE = "2000-01-01"
DATE_RULE = f"YYYY-MM-DD, from {EARLIEST_DATE} to a year from today"

_ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {400: "Bad request", 401: "Not signed in", 403: "Role may not call this", 404: "Not found", 413: "Body too large",
             503: "No serving model yet"}
    return {
        str(s): {"description": words[s], "content": {"application/json": {"schema": _ERROR}}} for s in statuses
    }


def _enterprise_record() -> dict[str, Any]:
    """The contract's ``enterprises`` row as a JSON object (types from ``analytics.contract.schema``)."""
    kinds = {"text": "string", "int": "integer", "float": "number", "bool": "boolean", "date": "string", "code": "string"}
    properties: dict[str, Any] = {}
    for column in table("enterprises").columns:
        prop: dict[str, Any] = {"type": kinds[column.type], "description": f"{column.zh} / {column.label_en}"}
        if column.type == "date":
            prop["format"] = "date"
        if column.codes:
            prop["enum"] = column.code_values()
        if column.type == "text":
            prop["maxLength"] = MAX_ID_LENGTH if column.name in ID_COLUMNS else MAX_TEXT_LENGTH
        if column.type in ("int", "float"):
            prop["description"] += " (finite: NaN and Infinity are refused)"
            if column.minimum is not None:
                prop["minimum"] = column.minimum
            if column.maximum is not None:
                prop["maximum"] = column.maximum
        if not column.required:
            prop["nullable"] = True
        properties[column.name] = prop
    required = [c.name for c in table("enterprises").columns if c.required]
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def document() -> dict[str, Any]:
    item = {
        "type": "object",
        "properties": {
            "enterprise_id": {"type": "string"},
            "name": {"type": "string"},
            "town_id": {"type": "string"},
            "town_name": {"type": "string"},
            "sector": {"type": "string"},
            "score": {"type": "number"},
            "rank": {"type": "integer"},
            "risk_level": {"type": "string", "enum": [c.code for c in RISK_LEVELS]},
            "reasons": {"type": "string"},
            "model_version": {"type": "string"},
        },
    }
    as_of = {
        "name": "as_of", "in": "query", "required": False,
        "description": f"List date ({DATE_RULE}); default the newest list",
        "schema": {"type": "string", "format": "date"},
    }
    lang = {"name": "lang", "in": "query", "required": False, "schema": {"type": "string", "enum": ["zh", "en"]}}
    choices = f"comma-separated or repeated; at most {MAX_CHOICES} values"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "SafeRank API",
            "version": analytics.__version__,
            "description": "风险分级监管接口 / Risk targeting API. Sign in with a session or `Authorization: Bearer <token>` "
            "(`saferank users token`); the roles that may call a route are those of the matching dashboard page. "
            "A query parameter a route does not list is refused (400), so is a JSON body nested more than 64 levels.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/health": {
                "get": {
                    "summary": "Liveness (no sign-in)",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "Alive",
                            "content": {"application/json": {"schema": {
                                "type": "object", "required": ["status"],
                                "properties": {"status": {"type": "string"}, "version": {"type": "string"}},
                            }}},
                        }
                    },
                }
            },
            "/model": {
                "get": {
                    "summary": "The serving model's card, the registry's versions and the scored dates (office, analyst)",
                    "parameters": [lang],
                    "responses": {
                        "200": {"description": "Model card", "content": {"application/json": {"schema": {"type": "object"}}}},
                        **_errors(401, 403, 404),
                    },
                }
            },
            "/risk-list": {
                "get": {
                    "summary": "A page of the risk list, filtered (office, leader, analyst)",
                    "parameters": [
                        as_of, lang,
                        {"name": "town", "in": "query", "required": False,
                         "description": f"Town id(s), {choices}, each at most {MAX_ID_LENGTH} characters",
                         "schema": {"type": "string"}},
                        {"name": "sector", "in": "query", "required": False, "description": f"Sector code(s), {choices}",
                         "schema": {"type": "string", "enum": [c.code for c in SECTORS]}},
                        {"name": "level", "in": "query", "required": False, "description": f"Risk level(s), {choices}",
                         "schema": {"type": "string", "enum": [c.code for c in RISK_LEVELS]}},
                        {"name": "limit", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
                        {"name": "offset", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}},
                    ],
                    "responses": {
                        "200": {
                            "description": "One page",
                            "content": {"application/json": {"schema": {
                                "type": "object",
                                "properties": {
                                    "as_of": {"type": "string", "format": "date"},
                                    "total": {"type": "integer"}, "limit": {"type": "integer"},
                                    "offset": {"type": "integer"},
                                    "level_counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                                    "items": {"type": "array", "items": item},
                                },
                            }}},
                        },
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
            "/alerts": {
                "get": {
                    "summary": "The warning feed (预警) of a period: suspected restarts from electricity, newly overdue "
                               "majors, weather alerts over exposed sectors, newly red firms, accidents, complaints, with "
                               "state (office, leader; inspectors: their teams' towns)",
                    "parameters": [
                        {"name": "since", "in": "query", "required": False,
                         "description": f"Warnings dated after this day ({DATE_RULE}); default a week before as_of; "
                                        "at most 92 days before it",
                         "schema": {"type": "string", "format": "date"}},
                        {"name": "as_of", "in": "query", "required": False,
                         "description": f"Last day ({DATE_RULE}); default the newest inspection's date",
                         "schema": {"type": "string", "format": "date"}},
                        lang,
                        {"name": "kind", "in": "query", "required": False, "description": f"Warning kind(s), {choices}",
                         "schema": {"type": "string", "enum": list(ALERT_KIND_CODES)}},
                        {"name": "state", "in": "query", "required": False, "description": f"State(s), {choices}",
                         "schema": {"type": "string", "enum": list(ALERT_STATE_CODES)}},
                    ],
                    "responses": {
                        "200": {
                            "description": "The warnings, newest first",
                            "content": {"application/json": {"schema": {
                                "type": "object", "required": ["since", "as_of", "total", "items"],
                                "properties": {
                                    "since": {"type": "string", "format": "date"},
                                    "as_of": {"type": "string", "format": "date"},
                                    "total": {"type": "integer"},
                                    "items": {"type": "array", "items": {"type": "object", "properties": {
                                        "alert_id": {"type": "string"}, "date": {"type": "string", "format": "date"},
                                        "kind": {"type": "string", "enum": list(ALERT_KIND_CODES)},
                                        "enterprise_id": {"type": "string", "nullable": True},
                                        "enterprise_name": {"type": "string", "nullable": True},
                                        "town_id": {"type": "string", "nullable": True},
                                        "town_name": {"type": "string", "nullable": True},
                                        "sector": {"type": "string", "nullable": True},
                                        "team": {"type": "string"}, "reason": {"type": "string"},
                                        "confidence": {"type": "number"},
                                        "state": {"type": "string", "enum": list(ALERT_STATE_CODES)},
                                        "changed_by": {"type": "string", "nullable": True},
                                        "changed_at": {"type": "string", "nullable": True},
                                        "assigned_team": {"type": "string", "nullable": True},
                                    }}},
                                },
                            }}},
                        },
                        **_errors(400, 401, 403),
                    },
                }
            },
            "/enterprises/{enterprise_id}": {
                "get": {
                    "summary": "One enterprise on the list: score, level, reasons (inspectors: their team's only)",
                    "parameters": [
                        {"name": "enterprise_id", "in": "path", "required": True,
                         "schema": {"type": "string", "maxLength": MAX_ID_LENGTH}},
                        as_of, lang,
                    ],
                    "responses": {
                        "200": {"description": "The enterprise", "content": {"application/json": {"schema": item}}},
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
            "/score": {
                "post": {
                    "summary": "Score a batch of enterprise records (contract shape) without storing (office, analyst)",
                    "description": "Each record is checked with the import's own rules (required values, codes, finite "
                                   "numbers in the contract's ranges, unique ids, no date after today); the first broken "
                                   "rule is a 400 naming the field and the value.",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {
                            "type": "object", "required": ["enterprises"], "additionalProperties": False,
                            "properties": {
                                "as_of": {"type": "string", "format": "date", "nullable": True,
                                          "description": f"Scoring date ({DATE_RULE}); default the newest list's date"},
                                "enterprises": {"type": "array", "minItems": 1, "maxItems": MAX_RECORDS,
                                                "items": _enterprise_record()},
                            },
                        }}},
                    },
                    "responses": {
                        "200": {"description": "Scores", "content": {"application/json": {"schema": {
                            "type": "object",
                            "properties": {"items": {"type": "array", "items": item}, "stored": {"type": "boolean"}},
                        }}}},
                        **_errors(400, 401, 403, 413, 503),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document (any signed-in role)",
                    "responses": {"200": {"description": "OpenAPI 3", "content": {"application/json": {"schema": {"type": "object"}}}},
                                  **_errors(401)},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "saferank_session"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message_zh", "message_en"],
                            "properties": {
                                "code": {"type": "string"},
                                "message_zh": {"type": "string"},
                                "message_en": {"type": "string"},
                                "field": {"type": "string", "nullable": True},
                            },
                        }
                    },
                }
            },
        },
    }
