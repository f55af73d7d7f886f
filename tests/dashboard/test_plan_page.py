"""The plan and inspector pages on the tiny stored county: who sees what, drawing, exporting, entering results.

The app is created first (pages cannot be imported before it); callbacks are called as plain
functions with ``dashboard.auth.current_user`` pointed at a test account.
"""

from __future__ import annotations

import importlib
import io
import sys
from pathlib import Path

import dash
import openpyxl
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analytics"))
import plan_county  # noqa: E402

from analytics.accounts.users import User  # noqa: E402

OFFICE = User("office1", "office", display_name="安委办")
LEADER = User("leader1", "leader")

TOWN_MAP = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"town_id": town, "name": town},
     "geometry": {"type": "Polygon", "coordinates": [[[x, 28.0], [x, 28.1], [x + 0.1, 28.1], [x + 0.1, 28.0], [x, 28.0]]]}}
    for town, x in (("TA", 120.0), ("TB", 120.1))
]}


@pytest.fixture(scope="module")
def pages() -> dict[str, object]:
    dash.Dash("dashboard", use_pages=True, pages_folder="", serve_locally=True)
    return {name: importlib.import_module(f"dashboard.pages.{name}") for name in ("plan", "inspector")}


@pytest.fixture()
def site(tmp_path, monkeypatch):
    """The stored county behind the pages' data layer; ``site.user`` is who is signed in."""
    from dashboard import auth
    from dashboard.components import data

    store, _ = plan_county.stored(f"sqlite:///{tmp_path / 'pages.db'}")

    class Site:
        user: User | None = OFFICE
        audited: list[tuple] = []

    monkeypatch.setattr(data, "store", lambda: store)
    monkeypatch.setattr(data, "town_map", lambda: TOWN_MAP)  # as an imported towns.geojson reads back
    monkeypatch.setattr(auth, "current_user", lambda: Site.user)
    monkeypatch.setattr(auth, "audit", lambda action, object_id=None, **details: Site.audited.append((action, object_id, details)))
    data.clear()
    Site.store = store
    yield Site
    data.clear()
    store.dispose()


def _ids(component: object) -> list[str]:
    found = []
    if isinstance(component, list | tuple):
        return [i for c in component for i in _ids(c)]
    if hasattr(component, "id") and isinstance(getattr(component, "id", None), str):
        found.append(component.id)
    children = getattr(component, "children", None)
    return found + (_ids(children) if children is not None else [])


def _texts(component: object) -> str:
    if isinstance(component, str):
        return component
    if isinstance(component, list | tuple):
        return " ".join(_texts(c) for c in component)
    children = getattr(component, "children", None)
    return _texts(children) if children is not None else ""


def _save(inspector, visit_id, day, findings, closing, lang):
    """The save callback as the page calls it: each finding block's level, category and deadline in turn."""
    blocks = [*findings, *[{}] * (inspector.BLANK_FINDINGS - len(findings))]
    picked = [b.get(f) or "" for b in blocks for f in inspector.FINDING_FIELDS]
    return inspector.save(1, visit_id, day, *picked, closing, lang)


def _draw(pages, start: str = "2026-03-02", days: int = 3, seed: int = 7):
    return pages["plan"].draw(1, start, days, 0.25, 30, 1, ["gas"], 1, seed, "zh")


def test_office_draws_a_plan_and_sees_it_by_team_and_day(pages, site) -> None:
    plan = pages["plan"]
    page = plan.layout(lang="zh")
    ids = _ids(page)
    assert all(i.startswith("plan-") for i in ids) and "plan-build" in ids and "plan-secret" in ids
    assert "不得提前告知" in _texts(page)
    options, chosen, message = _draw(pages)
    assert chosen in {o["value"] for o in options} and chosen in message
    drawn = [details for action, object_id, details in site.audited if (action, object_id) == ("plan", chosen)]
    assert len(drawn) == 1 and drawn[0]["seed"] == 7 and drawn[0]["days"] == 3  # drawing a plan is audited
    rows, summary, expected, town_map, teams, dates, empty, evidence = plan.show_plan(chosen, None, None, "zh")
    assert empty is None  # the "no plan yet" notice goes once a plan is shown
    assert "没有转为书面核查" in _texts(evidence) and "预计路程" in _texts(summary)
    assert rows and "预计发现重大隐患" in _texts(summary) and "随机种子 7" in _texts(summary)
    assert list(expected.data[0].y) == ["本计划", "同样次数的纯随机抽查"] and expected.data[0].x[0] > 0
    assert town_map.data[0].type == "choropleth" and sum(town_map.data[0].z) == len(rows)
    assert {o["value"] for o in teams} == {r["c1"] for r in rows}
    one_team = teams[0]["value"]
    only, *_ = plan.show_plan(chosen, one_team, dates[0]["value"], "zh")
    assert only and {r["c1"] for r in only} == {one_team} and {r["c0"] for r in only} == {dates[0]["value"]}
    en_rows, en_summary, *_ = plan.show_plan(chosen, None, None, "en")
    assert "expected major hazards found" in _texts(en_summary) and "Seed 7" in _texts(en_summary)


def test_office_redraws_the_same_dates_as_a_new_version_or_a_replacement_and_sees_the_evidence_review(pages, site) -> None:
    from analytics.store.database import CONTRACT_TABLES

    with site.store.engine.begin() as connection:  # a general hazard due on the plan's second day: evidence review
        connection.execute(CONTRACT_TABLES["hazards"].insert().values(
            hazard_id="HG1", enterprise_id="EA2", found_date=pd.Timestamp("2026-02-20").date(), level="general",
            deadline=pd.Timestamp("2026-03-03").date()))
    plan = pages["plan"]
    assert all(i.startswith("plan-") for i in _ids(plan.layout(lang="zh"))) and "plan-replace" in _ids(plan.layout(lang="zh"))
    _, first, _ = _draw(pages)
    options, second, message = plan.draw(1, "2026-03-02", 3, 0.25, 30, 1, ["gas"], 1, 8, "zh", None, None, 0.3, 30, 90, [])
    assert "第 2 版" in message and first in message
    labels = {o["value"]: o["label"] for o in options}
    assert "已被新版本取代" in labels[first] and "v2" in labels[second]
    *_, evidence = plan.show_plan(second, None, None, "zh")
    assert "HG1" in str(evidence.to_plotly_json()) and "1 家企业的一般隐患" in _texts(evidence)
    options, third, message = plan.draw(1, "2026-03-02", 3, 0.25, 30, 1, ["gas"], 1, 9, "en", None, None, 0.5, 14, 60,
                                        ["replace"])
    assert "Replaced the plan" in message and second not in {o["value"] for o in options}
    _, _, refused = plan.draw(1, "2026-03-02", 3, 0.25, 30, 1, ["gas"], 1, 9, "en", None, None, 2, 30, 90, [])
    assert "follow-up share" in _texts(refused)
    _, _, refused = plan.draw(1, "2026-03-02", 3, 0.25, 30, 1, ["gas"], 1, 9, "zh", None, None, 0.3, 0, 90, [])
    assert "红色风险企业" in _texts(refused)


def test_a_leader_sees_no_visit_before_its_day_and_may_not_draw(pages, site) -> None:
    plan = pages["plan"]
    tomorrow = (pd.Timestamp.now().normalize() + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    _, future_plan, _ = _draw(pages, start=tomorrow)
    site.user = LEADER
    assert "plan-build" not in _ids(plan.layout(lang="zh"))
    rows, *_ = plan.show_plan(future_plan, None, None, "zh")
    assert rows == []
    _, _, refused = _draw(pages)
    assert "无权" in _texts(refused)
    assert plan.export(1, 0, future_plan, None, None, "zh") is dash.no_update  # no plans_export for leaders


def test_export_gives_a_sheet_per_team_and_a_print_view_and_is_audited(pages, site, monkeypatch) -> None:
    plan = pages["plan"]
    _, chosen, _ = _draw(pages)
    monkeypatch.setattr(dash, "ctx", type("Ctx", (), {"triggered_id": "plan-export"})())
    sent = plan.export(1, 0, chosen, None, None, "zh")
    import base64

    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(sent["content"])))
    assert book.sheetnames[0] == "说明" and len(book.sheetnames) > 1
    monkeypatch.setattr(dash, "ctx", type("Ctx", (), {"triggered_id": "plan-print"})())
    page = plan.export(0, 1, chosen, None, None, "en")
    assert "Confidential" in page["content"] and page["filename"].endswith(".html")
    assert [a[0] for a in site.audited[-2:]] == ["export_plan", "export_plan"]


def test_an_inspector_sees_the_own_teams_visits_and_enters_results(pages, site) -> None:
    from analytics.operations.plans_store import visits_for
    from analytics.store.database import read_tables

    inspector = pages["inspector"]
    _draw(pages, days=2)
    visits = visits_for(site.store, None)
    follow = visits.loc[visits["reason_code"] == "follow_up"].iloc[0]
    site.user = User("i1", "inspector", team=follow["team"])
    page = inspector.layout(lang="zh")
    assert all(i.startswith("inspector-") for i in _ids(page))
    own = visits_for(site.store, site.user)
    assert set(own["team"]) == {follow["team"]}
    rows = inspector.visit_rows(own, "zh")
    chosen = next(r for r in rows if r["visit_id"] == follow["visit_id"])
    visit_id, info, day, open_rows = inspector.open_visit(chosen["visit_id"], "zh")
    assert visit_id == follow["visit_id"] and "回头看" in info and [r["hazard_id"] for r in open_rows] == ["HA1"]
    findings = [{"level": "major", "category": "fire", "deadline": "2026-04-01"}, {"level": "", "category": "", "deadline": ""}]
    closing = [{**open_rows[0], "rectified_date": day}]
    message, _cards = _save(inspector, visit_id, day, findings, closing, "zh")
    assert "已记录" in _texts(message)
    stored = read_tables(site.store)
    hazards = stored["hazards"].set_index("hazard_id")
    assert hazards.loc["HA1", "rectified_date"] == pd.Timestamp(day)
    assert hazards.loc[f"{visit_id}-01", "level"] == "major" and hazards.loc[f"{visit_id}-01", "category"] == "fire"
    bad, _ = _save(inspector, visit_id, day, [{"level": "major", "category": "", "deadline": "明天"}], [], "zh")
    assert "不是有效日期" in _texts(bad)


def test_an_inspector_cannot_open_another_teams_visit(pages, site) -> None:
    from analytics.operations.plans_store import visits_for

    inspector = pages["inspector"]
    _draw(pages, days=2)
    visits = visits_for(site.store, None)
    theirs = visits.iloc[0]
    site.user = User("i9", "inspector", team="第99组")
    visit_id, info, _, rows = inspector.open_visit(theirs["visit_id"], "zh")
    assert visit_id is None and rows == [] and "请先" in info
    refused, _ = _save(inspector, theirs["visit_id"], None, [], [], "zh")
    assert "不属于本组" in _texts(refused)


def test_the_office_may_draw_with_an_uploaded_team_file(pages, site) -> None:
    import base64

    from analytics.operations.plans_store import visits_for

    content = "检查组,负责镇街,每日检查数\n东片组,TA,1\n西片组,TB,1\n".encode("gb18030")
    upload = "data:text/csv;base64," + base64.b64encode(content).decode()
    _, chosen, message = pages["plan"].draw(1, "2026-03-02", 2, 0, 30, 0, [], 0, 3, "zh", upload, "teams.csv")
    visits = visits_for(site.store, None, plan_id=chosen)
    assert set(visits["team"]) <= {"东片组", "西片组"} and visits.groupby(["team", "date"]).size().max() == 1
    bad = "data:text/csv;base64," + base64.b64encode(b"team,towns\nX,TZ\n").decode()
    _, _, refused = pages["plan"].draw(1, "2026-03-02", 2, 0, 30, 0, [], 0, 3, "en", bad, "teams.csv")
    assert "town TZ does not exist" in _texts(refused)


def test_in_the_served_app_an_inspector_gets_the_own_visits_and_never_the_plan(tmp_path, monkeypatch) -> None:
    """Through the real guard: the router renders /inspector with the team's visits only; /plan is refused."""
    import json

    from test_auth_support import callback_body, signed_in_client

    from analytics.accounts import users as accounts
    from analytics.operations.planning import PlanRules, build_plan
    from analytics.operations.plans_store import save_plan
    from analytics.risk.risklist import read_risk_list
    from analytics.operations.teams import typed_teams
    from dashboard.app import create_app
    from dashboard.components import data

    data.clear()
    url = f"sqlite:///{tmp_path / 'served.db'}"
    store, _ = plan_county.stored(url)
    teams = typed_teams(pd.DataFrame([("第1组", "TA", 2), ("第2组", "TB", 2)], columns=["team", "town_id", "daily_capacity"]))
    save_plan(store, build_plan(read_risk_list(store), plan_county.tables(), teams, plan_county.START, 2,
                                PlanRules(random_share=0), seed=1))
    app = create_app({"db": url, "secret_key": "plan-test-" + "x" * 32, "models_dir": str(tmp_path / "models")})
    accounts.add_user(app.server.extensions["saferank"]["store"], "insp", "inspector", "correct-horse-battery", team="第1组")
    client = signed_in_client(app, app.server.extensions["saferank"]["store"], "insp")
    router = next(key for key in app.callback_map if "_pages_content" in key)
    page = client.post("/_dash-update-component", json=callback_body(app, router, "/inspector"))
    assert page.status_code == 200
    text = json.dumps(page.get_json(), ensure_ascii=False)
    assert "EA1公司" in text and "EB1公司" not in text and "EB2公司" not in text  # 第2组 covers TB
    refused = client.post("/_dash-update-component", json=callback_body(app, router, "/plan"))
    assert refused.status_code == 403
    landing = client.get("/")  # where a sign-in and the bare address send an inspector: today's visits
    assert landing.status_code == 302 and landing.headers["Location"] == "/inspector"
    data.clear()


def test_the_inspector_s_visits_are_cards_that_turn_done_once_saved(pages, site) -> None:
    """Each card names the firm, its town, the reason, the firm's open hazards and done or not; saving
    the visit's results turns its card done (the cards the save returns, and the page opened again)."""
    from analytics.operations.plans_store import visits_for
    from dashboard import auth

    inspector = pages["inspector"]
    assert auth.home_path(User("i0", "inspector", team="第1组")) == "/inspector"
    _draw(pages, days=2)
    follow = visits_for(site.store, None).pipe(lambda v: v.loc[v["reason_code"] == "follow_up"].iloc[0])
    site.user = User("i1", "inspector", team=follow["team"])
    own = visits_for(site.store, site.user)
    rows = {r["visit_id"]: r for r in inspector.visit_rows(own, "zh")}
    card = rows[follow["visit_id"]]
    assert card["name"] == "EA1公司" and card["address"] == "城关镇" and "回头看" in card["reason"]
    assert card["open_hazards"] == 1 and card["done"] is False  # HA1 open, nothing recorded yet
    options = {o["value"]: _texts(o["label"]) for o in inspector.visit_cards(own, "zh")}
    assert all(w in options[follow["visit_id"]] for w in ("EA1公司", "城关镇", "回头看", "未整改隐患 1", "未完成"))
    visit_id, _, day, open_rows = inspector.open_visit(follow["visit_id"], "zh")
    message, cards = _save(inspector, visit_id, day, [{"level": "general", "category": "gas", "deadline": "2026-04-01"}],
                           [{**open_rows[0], "rectified_date": day}], "zh")
    assert "已记录" in _texts(message) and message.className == "success"
    saved = {o["value"]: _texts(o["label"]) for o in cards}
    assert "已完成" in saved[visit_id] and "未整改隐患 1" in saved[visit_id]  # HA1 closed, the new one open
    assert all("未完成" in text for v, text in saved.items() if v != visit_id)
    english = {o["value"]: _texts(o["label"]) for o in inspector.visit_cards(visits_for(site.store, site.user), "en")}
    assert "Done" in english[visit_id] and "open hazards 1" in english[visit_id]


def test_the_inspector_s_pickers_take_one_tap_and_the_message_wraps(pages, site) -> None:
    """Level and category are radio buttons (one tap), not dropdowns; the saved message is no <pre>."""
    from dash import dcc, html

    inspector = pages["inspector"]
    site.user = User("i1", "inspector", team="第1组")
    page = inspector.layout(lang="en")

    def found(component, kind):
        if isinstance(component, list | tuple):
            return [f for c in component for f in found(c, kind)]
        children = getattr(component, "children", None)
        return ([component] if isinstance(component, kind) else []) + (found(children, kind) if children is not None else [])

    radios = {r.id: r for r in found(page, dcc.RadioItems)}
    assert [o["value"] for o in radios[inspector.finding_id("level", 1)].options] == ["", "general", "major"]
    assert radios[inspector.finding_id("category", 1)].labelClassName == "tap-option"
    assert not found(page, dcc.Dropdown) and not found(page, html.Pre)


@pytest.mark.parametrize(("start", "share", "days", "said"), [
    (None, 0.25, 3, "请填写开始日期"),  # empty: no plan from two weeks ago
    ("", 0.25, 3, "请填写开始日期"),
    ("12/", 0.25, 3, "开始日期无法识别"),
    ("2026-03-02", 3, 3, "随机抽取比例须为 0 到 1 之间的数"),  # never drawn at 0.25 instead
    ("2026-03-02", None, 3, "随机抽取比例须为 0 到 1 之间的数"),  # the browser empties an out-of-range box
    ("2026-03-02", -0.1, 3, "随机抽取比例须为 0 到 1 之间的数"),
    ("2026-03-02", 0.25, None, "天数须为 1 到 90 之间的整数"),
    ("2026-03-02", 0.25, 2.5, "天数须为 1 到 90 之间的整数"),
])
def test_a_bad_plan_form_is_refused_with_a_message_and_no_plan(pages, site, start, share, days, said) -> None:
    from analytics.operations.plans_store import list_plans

    options, chosen, message = pages["plan"].draw(1, start, days, share, 30, 1, ["gas"], 1, 7, "zh")
    assert options is dash.no_update and chosen is dash.no_update
    assert said in message.children and message.className == "error"
    assert list_plans(site.store, OFFICE).empty  # nothing drawn, nothing stored
    assert not [a for a in site.audited if a[0] == "plan"]


def test_a_bad_count_is_refused_in_english_too(pages, site) -> None:
    _, _, message = pages["plan"].draw(1, "2026-03-02", 3, 0.25, None, 1, ["gas"], 1, 7, "en")
    assert message.children == "Skip firms inspected in the last (days) must be a whole number, 0 or more."
    _, _, message = pages["plan"].draw(1, "2026-03-02", 3, 0.25, 30, 1, ["gas"], None, 7, "en")
    assert "Minimum visits per key sector must be a whole number" in message.children
    _, chosen, _ = pages["plan"].draw(1, "2026-03-02", 3, 0.25, 30, 1, [], None, 7, "en")  # no key sector: no quota
    assert chosen is not dash.no_update


def test_teams_sort_naturally_and_scores_show_as_percentages(pages, site) -> None:
    from analytics.operations.plans_store import visits_for

    plan = pages["plan"]
    _, chosen, _ = _draw(pages)
    visits = visits_for(site.store, None, plan_id=chosen)
    day = visits.loc[visits["date"] == visits["date"].min()].head(3)
    renamed = day.assign(team=["第10组", "第2组", "第1组"][: len(day)], slot=1)
    assert len(renamed) == 3, "the tiny county's first day has three visits"
    assert [r["c1"] for r in plan.grid_rows(renamed, "zh")] == ["第1组", "第2组", "第10组"]
    keys = plan.natural_team_key(pd.Series(["第10组", "东片组", "第2组", "第1组"]))
    assert pd.Series(["第10组", "东片组", "第2组", "第1组"]).iloc[keys.argsort(kind="stable")].tolist() == [
        "第1组", "第2组", "第10组", "东片组"]
    columns = {c["field"]: c for c in plan.columns("zh")}
    assert columns["c7"]["valueFormatter"] == {"function": "d3.format('.1%')(params.value)"}
    assert columns["c1"]["comparator"] == {"function": plan.TEAM_COMPARATOR}


def test_the_inspector_s_visits_list_teams_in_natural_order(pages, site) -> None:
    from analytics.operations.plans_store import visits_for

    _, chosen, _ = _draw(pages)
    visits = visits_for(site.store, None, plan_id=chosen)
    day = visits.loc[visits["date"] == visits["date"].min()].head(3).assign(team=["第10组", "第2组", "第1组"], slot=1)
    assert [r["team"] for r in pages["inspector"].visit_rows(day, "zh")] == ["第1组", "第2组", "第10组"]
