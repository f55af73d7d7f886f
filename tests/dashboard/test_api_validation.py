"""Input validation of the API: bodies nested too deeply, dates outside the range a list can have,
non-finite and out-of-range numbers, unknown fields and parameters all get a 400 that names the
field (and the value where there is one), never a 500."""

from __future__ import annotations

import json

import pytest
from test_auth_support import auth_app_fixture  # noqa: F401 (registers the fixture "auth_app")

from dashboard import api

RECORD = {"enterprise_id": "N1", "name": "新企业", "town_id": "T1", "sector": "mining"}


def _bearer(auth_app, role: str = "office") -> dict[str, str]:
    return {"Authorization": f"Bearer {auth_app.tokens[role]}"}


def _post(auth_app, data: bytes | str, role: str = "office"):
    return auth_app.client().post("/api/v1/score", data=data, content_type="application/json", headers=_bearer(auth_app, role))


def _error(response) -> dict:
    body = response.get_json()
    assert set(body["error"]) == {"code", "message_zh", "message_en", "field"}, body
    return body["error"]


@pytest.mark.parametrize("depth", [api.MAX_JSON_DEPTH + 1, 5_000, 100_000])
def test_deeply_nested_json_is_refused_before_parsing(auth_app, depth: int) -> None:
    for body in ("[" * depth + "]" * depth, '{"enterprises": ' + '{"a": ' * depth + "1" + "}" * depth + "}"):
        response = _post(auth_app, body)
        assert response.status_code == 400, depth
        error = _error(response)
        assert error["code"] == "invalid_body" and "nested" in error["message_en"] and "嵌套" in error["message_zh"]


def test_brackets_inside_strings_do_not_count_as_nesting(auth_app) -> None:
    assert api.json_depth('{"a": "[[[[{{{{\\"[[["}') == 1
    assert api.json_depth(b'[[1], {"b": [2]}]') == 3 and api.json_depth("") == 0
    record = {**RECORD, "name": "[" * 200 + "{" * 200}
    response = _post(auth_app, json.dumps({"enterprises": [record]}))
    assert response.status_code in (200, 400, 503)
    if response.status_code != 200:
        assert _error(response)["code"] != "invalid_body"  # got past the depth check to the records


def test_deep_json_on_the_callback_route_is_a_400_not_a_500(auth_app) -> None:
    client = auth_app.client("office")
    body = "[" * 50_000 + "]" * 50_000
    response = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("as_of", "field"),
    [("9999-12-31", "as_of"), ("1999-12-31", "as_of"), ("0001-01-01", "as_of"), ("someday", "as_of"), (20260301, "as_of"),
     ("2026-02-30", "as_of"), ({"y": 2026}, "as_of")],
)
def test_score_as_of_outside_the_date_range_is_a_400(auth_app, as_of, field: str) -> None:
    response = _post(auth_app, json.dumps({"as_of": as_of, "enterprises": [RECORD]}))
    assert response.status_code == 400, as_of
    error = _error(response)
    assert error["field"] == field and error["message_zh"] and error["message_en"]


@pytest.mark.parametrize("query", ["as_of=9999-12-31", "as_of=1970-01-01", "as_of=2026-13-01"])
def test_list_and_enterprise_dates_outside_the_range_are_a_400(auth_app, query: str) -> None:
    client = auth_app.client()
    for path in ("/api/v1/risk-list", "/api/v1/enterprises/E1"):
        response = client.get(f"{path}?{query}", headers=_bearer(auth_app))
        assert response.status_code == 400, (path, query)
        assert _error(response)["field"] == "as_of"


@pytest.mark.parametrize(
    ("literal", "field", "shown"),
    [
        ("NaN", "employees", "nan"), ("Infinity", "employees", "inf"), ("-Infinity", "longitude", "inf"),
        ("-5", "employees", "-5"), ("1e400", "employees", "inf"), ("3.5", "employees", "3.5"),
        ("NaN", "name", "nan"), ("Infinity", "vessel_length_m", "inf"), ("-1", "vessel_length_m", "-1"),
    ],
)
def test_non_finite_negative_and_out_of_range_numbers_name_field_and_value(auth_app, literal, field, shown) -> None:
    body = json.dumps({"enterprises": [{**RECORD, field: "PLACEHOLDER"}]}).replace('"PLACEHOLDER"', literal)
    response = _post(auth_app, body)
    assert response.status_code == 400, (field, literal)
    error = _error(response)
    assert error["code"] == "invalid_record" and error["field"] == field
    assert shown in error["message_en"].lower() and field in error["message_en"]
    assert shown in error["message_zh"].lower()


def test_the_contracts_ranges_are_those_of_the_import(auth_app) -> None:
    from analytics.contract.schema import table

    limited = [c for c in table("enterprises").columns if c.minimum is not None]
    assert limited, "the contract states ranges for enterprises"
    for column in limited:
        value = column.minimum - 1
        response = _post(auth_app, json.dumps({"enterprises": [{**RECORD, column.name: value}]}))
        assert response.status_code == 400 and _error(response)["field"] == column.name, column.name


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"enterprises": [RECORD], "colour": "red"}, "colour"),
        ({"enterprises": [{**RECORD, "name": ["a"]}]}, "name"),
        ({"enterprises": [{**RECORD, "name": {"x": 1}}]}, "name"),
        ({"enterprises": [RECORD, RECORD]}, "enterprise_id"),
        ({"enterprises": [{**RECORD, "enterprise_id": "x" * 200}]}, "enterprise_id"),
        ({"enterprises": [{**RECORD, "name": "名" * 5000}]}, "name"),
        ({"enterprises": [RECORD], "as_of": ["2026-03-01"]}, "as_of"),
        ({"enterprises": [{**RECORD, "established": "2263-01-01"}]}, "established"),
        ({"enterprises": [{**RECORD, "established": "9999-12-31"}]}, "established"),
    ],
)
def test_other_bad_bodies_name_the_field(auth_app, body: dict, field: str) -> None:
    response = _post(auth_app, json.dumps(body))
    assert response.status_code == 400, body
    assert _error(response)["field"] == field


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/risk-list", "limt=5", "limt"),
        ("/api/v1/risk-list", "offset=99999999999", "offset"),
        ("/api/v1/risk-list", "town=" + "T" * 100, "town"),
        ("/api/v1/risk-list", "&".join(f"town=T{i}" for i in range(300)), "town"),
        ("/api/v1/risk-list", "lang=fr", "lang"),
        ("/api/v1/enterprises/E1", "limit=5", "limit"),
        ("/api/v1/model", "as_of=2026-03-01", "as_of"),
        ("/api/v1/openapi.json", "x=1", "x"),
    ],
)
def test_bad_or_unknown_query_parameters_are_a_400(auth_app, path: str, query: str, field: str) -> None:
    response = auth_app.client().get(f"{path}?{query}", headers=_bearer(auth_app))
    assert response.status_code == 400, (path, query)
    assert _error(response)["field"] == field


def test_an_overlong_enterprise_id_in_the_path_is_a_400(auth_app) -> None:
    response = auth_app.client().get("/api/v1/enterprises/" + "E" * 500, headers=_bearer(auth_app))
    assert response.status_code == 400 and _error(response)["field"] == "enterprise_id"


def test_the_openapi_document_states_the_new_limits(auth_app) -> None:
    document = auth_app.client().get("/api/v1/openapi.json", headers=_bearer(auth_app)).get_json()
    as_of = next(p for p in document["paths"]["/risk-list"]["get"]["parameters"] if p["name"] == "as_of")
    assert as_of["schema"]["format"] == "date" and "2000-01-01" in as_of["description"]
    offset = next(p for p in document["paths"]["/risk-list"]["get"]["parameters"] if p["name"] == "offset")
    assert offset["schema"]["maximum"] == api.MAX_OFFSET
    body = document["paths"]["/score"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False
    record = body["properties"]["enterprises"]["items"]
    assert record["additionalProperties"] is False
    employees = record["properties"]["employees"]
    assert employees["minimum"] == 0
    assert record["properties"]["enterprise_id"]["maxLength"] == api.MAX_ID_LENGTH


def test_a_body_that_is_not_json_is_a_400(auth_app) -> None:
    response = auth_app.client().post("/api/v1/score", data="enterprises=1", content_type="text/plain",
                                      headers=_bearer(auth_app))
    assert response.status_code == 400 and _error(response)["code"] == "invalid_body"
