"""Callback authorisation on the values Dash binds (issue 21, items 1, 6, 8, 11 and 14).

Dash passes a callback's inputs and states by position; the ``id``/``property`` the client writes
beside each value are not used to bind it. These tests walk every callback of ``create_app`` (the
app's own callback map, so a callback added later is covered), for every role, with payloads that
rename a property, give an id as a dict, add, drop or swap an argument, borrow another callback's
outputs or claim a trigger that is not an input, and assert that each is refused with 403 and
audited; the honest payload runs for the roles in the table and only for them. Then every server
callback is fuzzed with values of the wrong type at every position: never a 500.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import dash
import pandas as pd
import pytest
from test_auth_support import (
    ROLES,
    auth_app_fixture,  # noqa: F401 (registers the fixture "auth_app")
    callback_body,
)

from analytics.accounts import audit
from analytics.accounts.users import ROLE_PERMISSIONS, User
from analytics.operations import dispositions, plans_store
from dashboard import auth
from dashboard.authz.table import ROUTER, TABLE

ENTERPRISE_KEY = next(k for k in TABLE if "enterprise-profile.children" in k)
SAVE_KEY = next(k for k in TABLE if "dispositions-saved.data" in k)
OTHER_TEAM_FIRM = "E2"  # 乙燃气: not among team 第1组's visits (E1 only)
TEAM_VISITS = {"第1组": [("V1", "E1")], "第2组": [("V2", "E2")]}

HONEST: dict[str, object] = {
    "enterprise-id.value": "E1",
    "overview-metric.value": "mean_risk",
    "overview-heatmap.clickData": {"points": [{"customdata": ["T1", "mining"], "x": "采矿", "y": "城关镇"}]},
    "risk-list-town.value": ["T1"],
    "risk-list-level.value": ["red", "orange"],
    "risk-list-search.value": "矿",
    "risk-list-grid.cellClicked": {"rowId": "E1", "colId": "name", "value": "甲矿业"},
    "followup-by.value": "town",
    "followup-overdue.cellClicked": {"rowId": "E1|H6", "colId": "enterprise_name"},
    "model-by.value": "sector",
    "plan-start.value": "2026-03-02",
    "plan-days.value": 5,
    "plan-random-share.value": 0.25,
    "inspector-visits.selectedRows": [{"visit_id": "V1", "enterprise_id": "E1"}],
    "inspector-visit.data": "V1",
    "inspector-date.date": "2026-02-27",
    "inspector-findings.rowData": [{"level": "", "category": "", "deadline": ""}],
    "dispositions-batch.value": list(dispositions.BATCH_CODES),
    "dispositions-grid.selectedRows": [{"enterprise_id": "E1", "name": "甲矿业", "decision": "规范达标",
                                        "recommended": "规范达标"}],
    "dispositions-decision.value": "standardise",
    "dispositions-saved.data": 0,
    "bulletin-period.start_date": "2026-02-01",
    "bulletin-period.end_date": "2026-03-01",
    "people-days.value": 30,
    "admin-audit-action.value": ["login"],
}


def honest_value(component_id: str, prop: str) -> object:
    """What the page itself would send at a position (None where an untouched control sends None)."""
    if f"{component_id}.{prop}" in HONEST:
        return HONEST[f"{component_id}.{prop}"]
    if component_id.endswith("-as-of"):
        return "2026-03-01"
    if component_id.endswith("-lang-store") or component_id == "admin-lang":
        return "zh"
    if prop == "n_clicks":
        return 1
    if prop == "getRowsRequest":
        return {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "score", "sort": "desc"}], "filterModel": {}}
    return None


def honest_body(app: dash.Dash, key: str) -> dict:
    body = callback_body(app, key, "/")
    for item in body["inputs"] + body["state"]:
        if item["id"] != "_pages_location":
            item["value"] = honest_value(item["id"], item["property"])
    return body


def _positions(body: dict) -> list[dict]:
    return body["inputs"] + body["state"]


def _rename_property(position: int) -> Callable[[dict], dict | None]:
    def forge(body: dict) -> dict:
        _positions(body)[position]["property"] += "Renamed"
        return body
    return forge


def _id_as_dict(position: int) -> Callable[[dict], dict | None]:
    def forge(body: dict) -> dict:
        item = _positions(body)[position]
        item["id"] = {"id": item["id"]}
        return body
    return forge


def _extra_input(body: dict) -> dict:
    body["inputs"].append(copy.deepcopy(body["inputs"][0]))
    return body


def _missing_input(body: dict) -> dict:
    (body["state"] if body["state"] else body["inputs"]).pop()
    return body


def _swapped(body: dict) -> dict | None:
    items = _positions(body)
    pair = next(((i, j) for i in range(len(items)) for j in range(i + 1, len(items))
                 if (items[i]["id"], items[i]["property"]) != (items[j]["id"], items[j]["property"])), None)
    if pair is None:
        return None
    i, j = pair
    items[i], items[j] = items[j], items[i]
    body["inputs"], body["state"] = items[: len(body["inputs"])], items[len(body["inputs"]):]
    return body


def _foreign_outputs(body: dict) -> dict:
    body["outputs"] = {"id": "plan-grid", "property": "rowData"}
    return body


def _triggered_by_something_else(body: dict) -> dict:
    body["changedPropIds"] = ["app-nav.children"]
    return body


def forged_variants(body: dict) -> list[tuple[str, Callable[[dict], dict | None]]]:
    count = len(_positions(body))
    return ([(f"renamed property at {p}", _rename_property(p)) for p in range(count)]
            + [(f"id as a dict at {p}", _id_as_dict(p)) for p in range(count)]
            + [("extra input", _extra_input), ("missing input", _missing_input), ("swapped order", _swapped),
               ("another callback's outputs", _foreign_outputs), ("trigger not an input", _triggered_by_something_else)])


@pytest.fixture(scope="module")
def team_visits():
    """The visits the scope checks read (``plans_store.visits_for``): team 第1组 visits E1 (V1)."""
    def visits_for(store, user=None, today=None, plan_id=None):
        teams = [user.team] if user is not None and user.role == "inspector" else list(TEAM_VISITS)
        rows = [{"visit_id": visit, "plan_id": "P1", "date": pd.Timestamp("2026-02-27"), "team": team, "slot": 1,
                 "enterprise_id": firm, "town_id": "T1", "sector": "mining", "score": 0.5, "rank": 1,
                 "reason_code": "top", "reason_zh": "高风险", "reason_en": "high risk", "hazard_ids": ""}
                for team in teams for visit, firm in TEAM_VISITS.get(team, [])]
        return pd.DataFrame(rows, columns=list(plans_store.STORED_VISIT_COLUMNS))

    patch = pytest.MonkeyPatch()
    patch.setattr(plans_store, "visits_for", visits_for)
    yield
    patch.undo()


def _text(response) -> str:
    """A JSON answer as text with its Chinese readable (Dash escapes it)."""
    return json.dumps(response.get_json(), ensure_ascii=False)


def _denials(auth_app, role: str) -> int:
    return len(audit.search(auth_app.store, {"username": f"u-{role}", "action": "access_denied"}))


def _user(role: str) -> User:
    return User(f"u-{role}", role, "第1组" if role == "inspector" else None)


def test_the_table_names_exactly_the_app_s_callbacks(auth_app) -> None:
    callback_map = auth_app.app.callback_map
    assert len(callback_map) >= 50
    assert set(TABLE) == set(callback_map), {"not in the table": set(callback_map) - set(TABLE),
                                             "no such callback": set(TABLE) - set(callback_map)}
    for key, rule in TABLE.items():
        spec = callback_map[key]
        assert rule.browser_only == ("callback" not in spec), key  # clientside callbacks never run on the server
        if rule.browser_only:
            continue
        assert len(rule.args) == len(spec["inputs"]) + len(spec["state"]), key
        if key == ROUTER:
            continue
        pages = {auth.page_for_id(output["id"]) for output in callback_body(auth_app.app, key)["outputs"]} \
            if key.startswith("..") else {auth.page_for_id(key.rsplit(".", 1)[0])}
        for page in pages:
            assert rule.roles <= auth.PAGE_ROLES[page], (key, rule.roles - auth.PAGE_ROLES[page])
        if rule.permission:
            assert all(rule.permission in ROLE_PERMISSIONS[r] for r in ROLES if rule.allows(r)), key


@pytest.mark.parametrize("role", ROLES)
def test_every_callback_refuses_reshaped_payloads_and_runs_honest_ones_only_for_its_roles(
        auth_app, team_visits, role: str) -> None:
    app, client = auth_app.app, auth_app.client(role)
    refused = 0
    for key in app.callback_map:
        for name, forge in forged_variants(honest_body(app, key)):
            body = forge(honest_body(app, key))
            if body is None:
                continue
            response = client.post("/_dash-update-component", json=body)
            assert response.status_code == 403, (role, key, name, response.status_code, response.data[:200])
            assert response.get_json()["error"]["code"] == "forbidden"
            refused += 1
        if key == ROUTER:
            continue  # the pages the router renders per role: test_auth.py
        response = client.post("/_dash-update-component", json=honest_body(app, key))
        if TABLE[key].allows(role):
            assert response.status_code < 400, (role, key, response.status_code, response.data[:300])
        else:
            assert response.status_code == 403, (role, key, response.status_code)
            refused += 1
    assert refused > 200
    assert _denials(auth_app, role) >= refused  # every refusal left an audit row


@pytest.mark.parametrize("forge", ["renamed", "dict id", "hidden behind an extra input", "honest"])
def test_an_inspector_cannot_read_another_team_s_firm_by_reshaping_the_request(auth_app, team_visits, forge) -> None:
    """The attack of issue 21 item 1: the enterprise callback with the input's property renamed or
    its id given as a dict returned another team's firm (name, level, score, timeline) with 200."""
    body = honest_body(auth_app.app, ENTERPRISE_KEY)
    first = body["inputs"][0]
    first["value"] = OTHER_TEAM_FIRM
    if forge == "renamed":
        first["property"] = "n_submit"
    elif forge == "dict id":
        first["id"] = {"type": "enterprise-id"}
    elif forge == "hidden behind an extra input":
        first["id"] = "enterprise-id-shadow"
        body["inputs"].append({"id": "enterprise-id", "property": "value", "value": "E1"})
    before = _denials(auth_app, "inspector")
    response = auth_app.client("inspector").post("/_dash-update-component", json=body)
    assert response.status_code == 403
    assert "乙燃气" not in _text(response)
    assert _denials(auth_app, "inspector") == before + 1
    own = honest_body(auth_app.app, ENTERPRISE_KEY)
    answer = auth_app.client("inspector").post("/_dash-update-component", json=own)
    assert answer.status_code == 200 and "甲矿业" in _text(answer)


def test_the_same_request_for_the_office_reads_any_firm_and_is_audited(auth_app, team_visits) -> None:
    body = honest_body(auth_app.app, ENTERPRISE_KEY)
    body["inputs"][0]["value"] = f" {OTHER_TEAM_FIRM} "  # typed with spaces: the page strips them, so does the check
    assert auth_app.client("office").post("/_dash-update-component", json=body).status_code == 200
    views = audit.search(auth_app.store, {"username": "u-office", "action": "view_enterprise", "object_id": "E2"})
    assert len(views) >= 1  # typing an id is a read of that firm (issue 21 item 8)
    body["inputs"][0]["value"] = " E2 "
    assert auth_app.client("inspector").post("/_dash-update-component", json=body).status_code == 403


def test_an_inspector_cannot_decide_for_another_team_s_firm(auth_app, team_visits) -> None:
    """Issue 21 item 6: the save callback of 三个一批 stored decisions for any firm."""
    store = auth_app.store
    body = honest_body(auth_app.app, SAVE_KEY)
    body["state"][0]["value"] = [{"enterprise_id": OTHER_TEAM_FIRM, "name": "乙燃气", "recommended": "规范达标"}]
    assert auth_app.client("inspector").post("/_dash-update-component", json=body).status_code == 403
    stored = dispositions.decisions(store)
    assert OTHER_TEAM_FIRM not in set(stored["enterprise_id"])
    # at the root: the analytics function refuses too, and says so in the audit
    with pytest.raises(auth.accounts.Forbidden):
        dispositions.confirm(store, OTHER_TEAM_FIRM, "close", user=_user("inspector"))
    assert OTHER_TEAM_FIRM not in set(dispositions.decisions(store)["enterprise_id"])
    refused = audit.search(store, {"username": "u-inspector", "action": "access_denied", "object_id": OTHER_TEAM_FIRM})
    assert len(refused) >= 1
    # the team's own firm is saved; the office may decide for any firm
    own = honest_body(auth_app.app, SAVE_KEY)
    assert auth_app.client("inspector").post("/_dash-update-component", json=own).status_code == 200
    dispositions.confirm(store, OTHER_TEAM_FIRM, "close", user=_user("office"))
    assert {"E1", OTHER_TEAM_FIRM} <= set(dispositions.decisions(store)["enterprise_id"])


def test_a_leader_may_read_the_list_but_not_export_it(auth_app, tmp_path) -> None:
    """Issue 21 item 14: the leader role lacks ``risk_list_export``."""
    import summary_county as county

    from analytics.risk.risklist import write_contract_csv

    key = "risk-list-download.data"
    body = honest_body(auth_app.app, key)
    body["changedPropIds"] = ["risk-list-export-csv.n_clicks"]
    before = _denials(auth_app, "leader")
    assert auth_app.client("leader").post("/_dash-update-component", json=body).status_code == 403
    assert _denials(auth_app, "leader") == before + 1
    answer = auth_app.client("analyst").post("/_dash-update-component", json=body)
    # the honest body sets every filter: the file name carries them (issue 18.8), so it starts with the date
    assert answer.status_code == 200 and "risk_list_20260301_" in answer.get_data(as_text=True)
    with pytest.raises(auth.accounts.Forbidden):
        write_contract_csv(county.risk_list(), tmp_path / "list.csv", user=_user("leader"))
    assert not (tmp_path / "list.csv").exists()
    assert write_contract_csv(county.risk_list(), tmp_path / "list.csv", user=_user("office")).exists()
    grid = honest_body(auth_app.app, "risk-list-grid.getRowsResponse")
    assert auth_app.client("leader").post("/_dash-update-component", json=grid).status_code == 200  # reading stays
    for role, shown in (("leader", False), ("analyst", True)):  # and the page offers no button it would refuse
        page = auth_app.client(role).post("/_dash-update-component", json=callback_body(auth_app.app, ROUTER, "/risk-list"))
        assert page.status_code == 200 and ("risk-list-export-csv" in _text(page)) == shown, role


@pytest.mark.parametrize("key", ["risk-list-grid.getRowsResponse", "followup-overdue.getRowsResponse"])
def test_a_grid_block_is_capped(auth_app, key: str) -> None:
    """Issue 21 item 8: ``endRow=1000000`` returned every row in one answer."""
    body = honest_body(auth_app.app, key)
    body["inputs"][0]["value"] = {"startRow": 0, "endRow": 1_000_000, "sortModel": [], "filterModel": {}}
    response = auth_app.client("office").post("/_dash-update-component", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"].endswith("getRowsRequest") and "500" in error["message_en"] and "500" in error["message_zh"]
    body["inputs"][0]["value"] = {"startRow": 0, "endRow": 500, "sortModel": [], "filterModel": {}}
    assert auth_app.client("office").post("/_dash-update-component", json=body).status_code == 200


def test_a_grid_block_read_is_audited(auth_app) -> None:
    body = honest_body(auth_app.app, "risk-list-grid.getRowsResponse")
    body["inputs"][0]["value"] = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}
    response = auth_app.client("analyst").post("/_dash-update-component", json=body)
    assert response.status_code == 200
    rows = response.get_json()["response"]["risk-list-grid"]["getRowsResponse"]["rowData"]
    reads = audit.search(auth_app.store, {"username": "u-analyst", "action": "view_list"})
    assert reads["object_id"].iloc[0] == "2026-03-01"
    assert '"end": 100' in reads["details"].iloc[0] and f'"rows": {len(rows)}' in reads["details"].iloc[0]


def test_the_grid_helper_never_serves_more_than_a_block() -> None:
    from dashboard.components.grid import MAX_BLOCK, rows_block

    frame = pd.DataFrame({"n": range(2_000)})
    answer = rows_block(frame, {"startRow": 10, "endRow": 1_000_000})
    assert len(answer["rowData"]) == MAX_BLOCK and answer["rowData"][0]["n"] == 10 and answer["rowCount"] == 2_000


WRONG_VALUES = [None, "", "x" * 5000, "2026-03-01", "9999-12-31", "../../etc/passwd", [], ["a", 1], [[[]]], {},
                {"startRow": "0", "endRow": None}, {"a": {"b": {"c": 1}}}, 10**30, -1, 0, 1.5, float("1e308"), True]


def _runner(key: str) -> str:
    rule = TABLE[key]
    return next(r for r in ("office", "admin", "leader", "analyst", "inspector") if rule.allows(r))


def test_every_callback_answers_wrong_types_with_a_4xx_or_a_message_never_a_500(auth_app, team_visits) -> None:
    """Issue 21 item 11: 90 callback 500s from inputs of the wrong type. Every position of every
    server callback gets each wrong value in turn (the others honest)."""
    app = auth_app.app
    tried, refused = 0, 0
    for key in app.callback_map:
        if TABLE[key].browser_only:
            continue
        client = auth_app.client(_runner(key))
        base = honest_body(app, key)
        for position in range(len(_positions(base))):
            for value in WRONG_VALUES:
                body = copy.deepcopy(base)
                _positions(body)[position]["value"] = value
                response = client.post("/_dash-update-component", json=body)
                tried += 1
                assert response.status_code < 500, (key, position, value, response.data[:300])
                if response.status_code == 400:
                    refused += 1
                    error = response.get_json()["error"]
                    assert error["message_zh"] and error["message_en"], error
                    if error["code"] == "invalid_input":  # the guard's: names the position
                        assert error["field"] == "{id}.{property}".format(**_positions(body)[position])
                    else:  # the analytics function's own refusal (a ``UserError``), shown as a 400
                        assert error["code"] == "invalid_request", error
    assert tried > 1000 and refused > tried // 3


def test_browser_only_callbacks_are_never_run_by_the_server(auth_app) -> None:
    """A clientside callback has no server function; asking the server for one used to end in a 500."""
    for key, rule in TABLE.items():
        if rule.browser_only:
            response = auth_app.client("office").post("/_dash-update-component", json=honest_body(auth_app.app, key))
            assert response.status_code == 403, key


PLAN_KEY = next(k for k in TABLE if "plan-summary.children" in k)


@pytest.fixture
def two_plans(auth_app):
    """One plan that began three days ago and one that begins in ten days."""
    today = pd.Timestamp.now().normalize()
    plans = {"P-begun": today - pd.Timedelta(days=3), "P-future": today + pd.Timedelta(days=10)}
    with auth_app.store.engine.begin() as connection:
        for plan_id, start in plans.items():
            connection.execute(plans_store.plans.insert().values(
                plan_id=plan_id, created_by="u-office", created_at=start.to_pydatetime(), start=start.date(), days=5,
                rules="{}", seed=424242, teams="[]", risk_list_as_of=None, model_version=None, expected_found=2.0,
                expected_random=1.0, visits=0, unplanned="[]"))
    yield plans
    with auth_app.store.engine.begin() as connection:
        connection.execute(plans_store.plans.delete().where(plans_store.plans.c.plan_id.in_(list(plans))))


def test_a_leader_learns_nothing_of_a_plan_before_its_first_day(auth_app, two_plans) -> None:
    """Issue 21 item 9: a leader saw a future plan's id, dates, size and seed on the plan page."""
    leader, office = auth_app.client("leader"), auth_app.client("office")
    page = leader.post("/_dash-update-component", json=callback_body(auth_app.app, ROUTER, "/plan"))
    assert page.status_code == 200 and "P-begun" in _text(page) and "P-future" not in _text(page)
    assert "P-future" in _text(office.post("/_dash-update-component", json=callback_body(auth_app.app, ROUTER, "/plan")))
    body = honest_body(auth_app.app, PLAN_KEY)
    body["inputs"][0]["value"] = "P-future"
    before = _denials(auth_app, "leader")
    refused = leader.post("/_dash-update-component", json=body)
    assert refused.status_code == 403 and "424242" not in _text(refused)
    assert _denials(auth_app, "leader") == before + 1
    shown = office.post("/_dash-update-component", json=body)
    assert shown.status_code == 200 and "424242" in _text(shown)
    body["inputs"][0]["value"] = "P-begun"
    assert leader.post("/_dash-update-component", json=body).status_code == 200
    picked = audit.search(auth_app.store, {"username": "u-leader", "action": "view_plan", "object_id": "P-begun"})
    assert len(picked) >= 1  # picking a plan is a read (issue 21 item 8)
