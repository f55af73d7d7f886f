"""The JSON API: token and session sign-in, the same roles as the pages, filters and paging, JSON
errors for bad, oversized and unknown requests, and an OpenAPI document that describes every route
(checked by a bounded schemathesis run that must find no 5xx)."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from test_auth_support import (
    ROLES,
    auth_app_fixture,  # noqa: F401 (registers the fixture "auth_app")
)

from analytics.accounts import users as accounts
from analytics.accounts import audit
from dashboard import api, auth


def _bearer(auth_app, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {auth_app.tokens[role]}"}


def _api_rules(auth_app) -> list:
    return [r for r in auth_app.app.server.url_map.iter_rules() if r.endpoint.startswith("saferank_api.")]


def _error(response) -> dict:
    body = response.get_json()
    assert set(body["error"]) == {"code", "message_zh", "message_en", "field"}, body
    return body["error"]


def test_health_needs_no_sign_in_and_everything_else_does(auth_app) -> None:
    client = auth_app.client()
    assert client.get("/api/v1/health").get_json()["status"] == "ok"
    for path in ("/api/v1/risk-list", "/api/v1/model", "/api/v1/enterprises/E1", "/api/v1/openapi.json", "/api/v1/nothing"):
        response = client.get(path)
        assert response.status_code == 401 and _error(response)["code"] == "unauthenticated"
        assert client.get(path, headers={"Authorization": "Bearer sr_not-a-token"}).status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_api_routes_follow_the_page_role_table(auth_app, role: str) -> None:
    client = auth_app.client()
    headers = _bearer(auth_app, role)
    for rule in _api_rules(auth_app):
        if rule.endpoint == "saferank_api.health":
            continue
        path = re.sub(r"<[^>]+>", "E1", rule.rule)
        method = "POST" if "POST" in rule.methods else "GET"
        response = client.open(path, method=method, headers=headers, json={"enterprises": [{"enterprise_id": "X"}]})
        page = api.ROUTE_PAGES[rule.endpoint]
        allowed = rule.endpoint in api.OPEN_TO_ALL_ROLES or role in auth.PAGE_ROLES[page]
        if allowed:
            assert response.status_code not in (401, 403) or role == "inspector", (role, path, response.status_code)
        else:
            assert response.status_code == 403 and _error(response)["code"] == "forbidden", (role, path)


def test_sessions_work_as_well_as_tokens(auth_app) -> None:
    response = auth_app.client("leader").get("/api/v1/risk-list?limit=2")
    assert response.status_code == 200 and len(response.get_json()["items"]) == 2


def test_a_revoked_token_is_refused_at_once(auth_app) -> None:
    token_id, token = accounts.create_token(auth_app.store, "u-analyst")
    client = auth_app.client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/risk-list", headers=headers).status_code == 200
    accounts.revoke_token(auth_app.store, token_id)
    assert client.get("/api/v1/risk-list", headers=headers).status_code == 401


def test_risk_list_filters_and_pages(auth_app) -> None:
    client = auth_app.client()
    headers = _bearer(auth_app, "office")
    everything = client.get("/api/v1/risk-list", headers=headers).get_json()
    assert everything["as_of"] == "2026-03-01"
    ranks = [item["rank"] for item in everything["items"]]
    assert ranks == sorted(ranks) and everything["total"] == len(ranks) >= 3
    page = client.get("/api/v1/risk-list?limit=1&offset=1", headers=headers).get_json()
    assert [item["enterprise_id"] for item in page["items"]] == [everything["items"][1]["enterprise_id"]]
    assert page["total"] == everything["total"]
    town = client.get("/api/v1/risk-list?town=T2", headers=headers).get_json()
    assert town["items"] and {item["town_id"] for item in town["items"]} == {"T2"}
    level = everything["items"][0]["risk_level"]
    by_level = client.get(f"/api/v1/risk-list?level={level}", headers=headers).get_json()
    assert {item["risk_level"] for item in by_level["items"]} == {level}
    assert by_level["total"] == by_level["level_counts"][level]
    earlier = client.get("/api/v1/risk-list?as_of=2026-01-30", headers=headers).get_json()
    assert earlier["as_of"] == "2026-01-30"
    assert audit.search(auth_app.store, {"username": "u-office", "action": "view_list"})["object_id"].iloc[0] == "2026-01-30"


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("limit=0", 400, "limit"),
        (f"limit={api.MAX_LIMIT + 1}", 400, "limit"),
        ("limit=ten", 400, "limit"),
        ("offset=-1", 400, "offset"),
        ("level=purple", 400, "level"),
        ("sector=bakery", 400, "sector"),
        ("as_of=someday", 400, "as_of"),
        ("as_of=2001-01-01", 404, "as_of"),  # a date without a list
        ("as_of=1999-01-01", 400, "as_of"),  # before any date the API accepts
    ],
)
def test_bad_risk_list_parameters_name_the_field(auth_app, query: str, status: int, field: str) -> None:
    response = auth_app.client().get(f"/api/v1/risk-list?{query}", headers=_bearer(auth_app, "analyst"))
    assert response.status_code == status
    error = _error(response)
    assert error["field"] == field and error["message_zh"] and error["message_en"]


def test_one_enterprise_with_score_level_and_reasons(auth_app) -> None:
    client = auth_app.client()
    headers = _bearer(auth_app, "office")
    first = client.get("/api/v1/risk-list?limit=1", headers=headers).get_json()["items"][0]
    response = client.get(f"/api/v1/enterprises/{first['enterprise_id']}", headers=headers)
    body = response.get_json()
    assert response.status_code == 200
    assert (body["score"], body["risk_level"], body["rank"]) == (first["score"], first["risk_level"], first["rank"])
    assert isinstance(body["reasons_list"], list)
    missing = client.get("/api/v1/enterprises/NOPE", headers=headers)
    assert missing.status_code == 404 and _error(missing)["field"] == "enterprise_id"
    assert audit.search(auth_app.store, {"action": "view_enterprise", "object_id": first["enterprise_id"]}).shape[0] >= 1


def test_an_inspector_sees_no_enterprise_outside_the_team_scope_and_the_attempt_is_audited(auth_app) -> None:
    wanted = {"username": "u-inspector", "action": "access_denied", "object_id": "E1"}
    before = len(audit.search(auth_app.store, wanted))
    response = auth_app.client().get("/api/v1/enterprises/E1", headers=_bearer(auth_app, "inspector"))
    assert response.status_code in (403, 404)
    assert "score" not in response.get_json()
    refused = audit.search(auth_app.store, wanted)
    assert len(refused) == before + 1 and '"api": true' in refused["details"].iloc[0]
    assert audit.search(auth_app.store, {"username": "u-inspector", "action": "view_enterprise", "object_id": "E1"}).empty


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/risk-list"), ("GET", "/api/v1/model"), ("POST", "/api/v1/score")])
def test_a_refused_api_read_by_role_is_audited(auth_app, method: str, path: str) -> None:
    wanted = {"username": "u-inspector", "action": "access_denied", "object_id": path}
    before = len(audit.search(auth_app.store, wanted))
    response = auth_app.client().open(path, method=method, headers=_bearer(auth_app, "inspector"),
                                      json={"enterprises": [{"enterprise_id": "X"}]})
    assert response.status_code == 403 and _error(response)["code"] == "forbidden"
    refused = audit.search(auth_app.store, wanted)
    assert len(refused) == before + 1 and refused["role"].iloc[0] == "inspector"


def test_oversized_and_malformed_bodies_get_json_4xx(auth_app) -> None:
    client = auth_app.client("analyst")
    headers = _bearer(auth_app, "analyst")
    big = b'{"enterprises": [' + b'{"enterprise_id": "E1"},' * 120_000 + b'{}]}'
    assert len(big) > auth_app.app.server.config["MAX_CONTENT_LENGTH"]
    for path in ("/api/v1/score", "/_dash-update-component"):
        response = client.post(path, data=big, content_type="application/json", headers=headers)
        assert response.status_code == 413 and _error(response)["code"] == "request_entity_too_large", path
    for data in (b"{", b"[]", b'{"enterprises": "E1"}', b'{"enterprises": []}', b'{"enterprises": [1, 2]}'):
        response = client.post("/api/v1/score", data=data, content_type="application/json", headers=headers)
        assert response.status_code in (400, 503), data
        assert _error(response)["code"] in ("invalid_body", "not_available")
    assert _error(client.delete("/api/v1/risk-list", headers=headers))["code"] == "method_not_allowed"
    assert client.get("/api/v1/nothing", headers=headers).status_code == 404


def test_the_model_route_shows_the_serving_card(auth_app) -> None:
    from pathlib import Path

    from sklearn.dummy import DummyClassifier

    from analytics.models.registry import ModelRegistry

    client = auth_app.client()
    headers = _bearer(auth_app, "analyst")
    missing = client.get("/api/v1/model", headers=headers)
    assert missing.status_code == 404 and _error(missing)["code"] == "no_model"
    registry = ModelRegistry(Path(auth_app.app.server.extensions["saferank"]["config"]["models_dir"]))
    registry.register(DummyClassifier().fit([[0], [1]], [0, 1]), {"version": "v-test", "model": "dummy"})
    body = client.get("/api/v1/model", headers=headers).get_json()
    assert body["model_version"] == "v-test" and body["card"]["model"] == "dummy"
    assert [row["status"] for row in body["history"]] == ["serving"]
    assert audit.search(auth_app.store, {"action": "view_model"})["object_id"].iloc[0] == "v-test"


def test_score_names_the_broken_field_and_stores_nothing(auth_app) -> None:
    client = auth_app.client()
    headers = _bearer(auth_app, "office")
    record = {"enterprise_id": "N1", "name": "新企业", "town_id": "T1", "sector": "mining"}
    for broken, field in (({**record, "sector": "bakery"}, "sector"), ({**record, "employees": "many"}, "employees"),
                          ({k: v for k, v in record.items() if k != "name"}, "name"), ({**record, "colour": "red"}, "colour")):
        response = client.post("/api/v1/score", json={"enterprises": [broken]}, headers=headers)
        assert response.status_code == 400 and _error(response)["field"] == field, broken
    answer = client.post("/api/v1/score", json={"enterprises": [record]}, headers=headers)
    assert answer.status_code in (200, 400, 503)  # 400: town T1 is not in this test's empty store
    items = client.get("/api/v1/risk-list?limit=1000", headers=headers).get_json()["items"]
    assert "N1" not in {item["enterprise_id"] for item in items}


def test_the_openapi_document_describes_every_route(auth_app) -> None:
    document = auth_app.client().get("/api/v1/openapi.json", headers=_bearer(auth_app, "leader")).get_json()
    described = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    routes = {
        (re.sub(r"<([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1")), method)
        for rule in _api_rules(auth_app) for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert described == routes


def test_generated_requests_find_no_server_error(auth_app) -> None:
    """schemathesis generates requests for every operation from the served document (25 each)."""
    headers = _bearer(auth_app, "office")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", auth_app.app.server, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    # schemathesis leaves out the document's own route
    assert {op.path for op in operations} == {r.rule.removeprefix("/api/v1").replace("<enterprise_id>", "{enterprise_id}")
                                              for r in _api_rules(auth_app)} - {"/openapi.json"}
    seen: list[int] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            response = case.call(headers=headers)
            seen.append(response.status_code)
            assert response.status_code < 500 or (response.status_code == 503 and case.path == "/score"), (
                case.method, case.formatted_path, response.status_code, response.text[:300],
            )
            if response.status_code >= 400:
                assert set(response.json()["error"]) == {"code", "message_zh", "message_en", "field"}

        check()
    assert 200 in seen and any(400 <= status < 500 for status in seen)
