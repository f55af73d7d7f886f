"""GET /api/v1/alerts and the /alerts page's callbacks on a small stored county: roles, scoping,
both languages, filters, state changes audited, the digest download."""

from __future__ import annotations

import pytest

from analytics.accounts import audit
from analytics.accounts import users as accounts
from analytics.store.writing import write_tables
from tests.analytics.test_alerts import tables

PASSWORD = "correct horse battery 42"
QUERY = "since=2026-06-23&as_of=2026-06-30"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from dashboard.app import create_app

    folder = tmp_path_factory.mktemp("alerts")
    app = create_app({"db": f"sqlite:///{folder / 'store.db'}", "secret_key": "test-secret-" + "x" * 32,
                      "models_dir": str(folder / "models")})
    store = app.server.extensions["saferank"]["store"]
    write_tables(store, tables())
    tokens = {}
    for role, team in (("office", None), ("leader", None), ("inspector", "第2组"), ("analyst", None)):
        accounts.add_user(store, f"a-{role}", role, PASSWORD, team=team)
        tokens[role] = accounts.create_token(store, f"a-{role}")[1]
    return app, store, tokens


def _get(served, role: str, query: str = QUERY):
    app, _, tokens = served
    return app.server.test_client().get(f"/api/v1/alerts?{query}", headers={"Authorization": f"Bearer {tokens[role]}"})


def test_the_office_and_leaders_see_every_warning_in_either_language(served):
    body = _get(served, "office").get_json()
    assert body["since"] == "2026-06-23" and body["as_of"] == "2026-06-30" and body["total"] == 5
    kinds = {item["kind"] for item in body["items"]}
    assert kinds == {"overdue_major", "accident", "weather"}
    assert all(item["state"] == "new" for item in body["items"])
    english = _get(served, "leader", QUERY + "&lang=en").get_json()
    assert any("is still open" in item["reason"] for item in english["items"])
    assert any("仍未整改" in item["reason"] for item in body["items"])
    only = _get(served, "office", QUERY + "&kind=accident").get_json()
    assert [item["alert_id"] for item in only["items"]] == ["accident:A1"]


def test_an_inspector_sees_only_the_warnings_of_the_teams_towns_and_an_analyst_none(served):
    body = _get(served, "inspector").get_json()
    assert body["total"] >= 1 and {item["town_id"] for item in body["items"]} == {"TB"}
    assert _get(served, "analyst").status_code == 403


def test_bad_windows_and_parameters_are_clear_errors(served):
    for query in ("since=2026-06-30&as_of=2026-06-23", "since=2025-01-01&as_of=2026-06-30", QUERY + "&kind=gossip",
                  QUERY + "&colour=red"):
        response = _get(served, "office", query)
        assert response.status_code == 400, query
        error = response.get_json()["error"]
        assert error["message_zh"] and error["message_en"]


def test_the_page_changes_a_state_audited_and_offers_the_digest(served):
    from dashboard.pages import alerts as page

    app, store, _ = served
    office = accounts.User("a-office", "office")
    with app.server.test_request_context("/"):
        import flask

        flask.g.saferank_user = office
        rows, count = page.show("2026-06-23", "2026-06-30", 0, "zh")
        assert "共 5 条预警" in count and {r["kind"] for r in rows} >= {"重大隐患逾期未改", "事故"}
        message, refresh = page.update(1, [{"alert_id": "accident:A1"}], "assigned", "请第2组核查", "2026-06-23",
                                       "2026-06-30", 0, "en")
        assert "accident:A1" in message and "Assigned" in message and refresh == 1
        rows, _ = page.show("2026-06-23", "2026-06-30", 1, "en")
        assert {r["alert_id"]: r["state"] for r in rows}["accident:A1"] == "Assigned"
        assert page.update(1, [], "closed", None, "2026-06-23", "2026-06-30", 1, "zh")[0] == "请先在表中选择一条预警。"
        flask.g.saferank_user = accounts.User("a-inspector", "inspector", "第2组")
        refused, _ = page.update(1, [{"alert_id": "overdue_major:H1"}], "closed", None, "2026-06-23", "2026-06-30", 1, "en")
        assert "may not" in refused  # H1 is in town TA, another team's
        flask.g.saferank_user = office
        download = page.export(1, "2026-06-23", "2026-06-30", "zh")
        assert download["filename"] == "alerts_20260623_20260630.xlsx" and download["base64"]
    log = audit.search(store)
    assert (log["action"] == "alert_state").sum() == 1
