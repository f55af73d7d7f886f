"""The data each content page shows, on the tiny hand-made county (see tests/summary_county.py).

The app is created first (pages cannot be imported before it); callbacks are then called as plain
functions. The page data layer (``dashboard.components.data``) is pointed at the hand-made tables
and lists instead of a store.
"""

from __future__ import annotations

import importlib
import io

import dash
import pandas as pd
import pytest
import summary_county as county

from analytics.risk.levels import LevelThresholds
from analytics.snapshot.snapshot import OPTIONAL_TABLES

PAGES = ("overview", "risk_list", "enterprise", "followup")
BANDS: dict[pd.Timestamp, LevelThresholds] = {}  # a date's list levelled with its own thresholds (else the defaults)
TOWN_MAP = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"town_id": town, "name": name},
     "geometry": {"type": "Polygon", "coordinates": [[[x, 28.0], [x, 28.1], [x + 0.1, 28.1], [x + 0.1, 28.0], [x, 28.0]]]}}
    for town, name, x in (("T1", "城关镇", 120.0), ("T2", "沿海镇", 120.1))
]}


@pytest.fixture(scope="module")
def pages() -> dict[str, object]:
    dash.Dash("dashboard", use_pages=True, pages_folder="", serve_locally=True)
    return {name: importlib.import_module(f"dashboard.pages.{name}") for name in PAGES}


@pytest.fixture(autouse=True)
def county_data(monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import auth
    from dashboard.components import data

    # the callbacks audit their reads (a grid block, a typed enterprise id); no store here to keep them
    monkeypatch.setattr(auth, "audit", lambda action, object_id=None, **details: None)

    lists = {county.AS_OF: county.risk_list(), county.PREVIOUS_AS_OF: county.previous_risk_list()}
    data.clear()
    monkeypatch.setattr(data, "_store_key", lambda: "tiny-county")
    monkeypatch.setattr(data, "tables", county.tables)
    monkeypatch.setattr(data, "store", lambda: None)  # no store: its record of optional tables is the county's own
    monkeypatch.setattr(data, "held_tables", lambda _store: frozenset(county.tables()) & OPTIONAL_TABLES)
    monkeypatch.setattr(data, "scored_dates", lambda: sorted(lists, reverse=True))
    monkeypatch.setattr(data, "risk_list", lambda as_of, lang="zh", model_version=None: lists[pd.Timestamp(as_of)])
    monkeypatch.setattr(data, "level_thresholds", lambda as_of: BANDS.get(pd.Timestamp(as_of), LevelThresholds()))
    monkeypatch.setattr(data, "town_map", lambda: TOWN_MAP)  # as an imported towns.geojson reads back
    yield
    data.clear()


def _texts(component: object) -> list[str]:
    """Every string in a component tree, in order."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [t for c in component for t in _texts(c)]
    children = getattr(component, "children", None)
    return _texts(children) if children is not None else []


def test_overview_headline_cards_show_value_and_change(pages: dict) -> None:
    cards, map_figure, trend = pages["overview"].update_overview("2026-03-01", "zh")
    by_metric = {card.children[1].id.removeprefix("overview-kpi-"): _texts(card) for card in cards}
    assert by_metric["overdue"] == ["逾期未改隐患", "3", "较上期 +2"]
    assert by_metric["rectification_rate"][1:] == ["0.0%", "较上期 −33.3 个百分点"]
    assert by_metric["red"][1:] == ["1", "较上期 −1"]
    cards_en, _, _ = pages["overview"].update_overview("2026-03-01", "en")
    assert _texts(cards_en[0])[0] == "Enterprises supervised"
    assert list(trend.data[0].y[-1:]) == [1]  # H6 found in the last week
    assert list(map_figure.data[0].locations) == ["T1", "T2"]
    assert map_figure.data[0].type == "choropleth" and map_figure.layout.geo.fitbounds == "geojson"  # no tiles


def test_overview_cards_colour_a_change_by_the_measure_s_direction(pages: dict) -> None:
    cards, _, _ = pages["overview"].update_overview("2026-03-01", "zh")
    tone = {card.children[1].id.removeprefix("overview-kpi-"): card.children[2].className for card in cards}
    assert tone["overdue"] == "kpi-change kpi-bad"  # 1 → 3 overdue: worse, red
    assert tone["rectification_rate"] == "kpi-change kpi-bad"  # 33.3 % → 0 %: worse
    assert tone["red"] == "kpi-change kpi-good"  # 2 → 1 red firms: better, green
    assert tone["orange"] == "kpi-change kpi-bad"  # 0 → 1
    assert tone["inspected"] == "kpi-change kpi-flat"  # no change
    assert tone["hazards_found"] == "kpi-change kpi-flat"  # neither good nor bad


def test_kpi_tone_follows_the_direction_not_the_sign() -> None:
    from dashboard.components.layout import kpi_tone

    assert kpi_tone(0.002, "up") == "good" and kpi_tone(19, "up") == "good"  # rate +0.2 points, +19 inspected
    assert kpi_tone(-0.002, "up") == "bad" and kpi_tone(5, "down") == "bad" and kpi_tone(-5, "down") == "good"
    assert kpi_tone(5, None) == "flat" and kpi_tone(float("nan"), "up") == "flat" and kpi_tone(0, "down") == "flat"


def test_overview_heatmap_cells_carry_town_and_sector_for_the_click(pages: dict) -> None:
    figure = pages["overview"].update_heatmap("overdue", "2026-03-01", "zh")
    heatmap = figure.data[0]
    assert list(heatmap.y) == ["城关镇", "沿海镇"] and list(heatmap.x) == ["非煤矿山", "城镇燃气"]
    assert heatmap.z.tolist() == [[1.0, 1.0], [0.0, 1.0]]
    assert heatmap.customdata[1][1].tolist() == ["T2", "gas", 1]  # town, sector, firms in the cell
    href = pages["overview"].open_cell({"points": [{"customdata": ["T2", "gas"]}]}, "2026-03-01", "zh")
    assert href == "/risk-list?town=T2&sector=gas&as_of=2026-03-01"
    clicked = {"points": [{"x": "Town gas", "y": "沿海镇", "z": 1}]}  # what plotly sends for a heatmap
    assert pages["overview"].open_cell(clicked, "2026-03-01", "en") == href


def test_the_map_and_heatmap_colour_in_the_bands_the_day_s_list_was_levelled_with(pages: dict, monkeypatch) -> None:
    """A county scored with its own ``--levels``: the colours' yellow, orange and red bounds are that
    list's thresholds (stored with it), on the map and the heatmap alike; another date keeps its own."""
    from dashboard.components import RISK_LEVEL_COLORS

    monkeypatch.setitem(BANDS, pd.Timestamp(county.AS_OF), LevelThresholds(red=0.4, orange=0.3, yellow=0.1))

    def bounds(trace) -> list[float]:
        first = {}
        for position, colour in trace.colorscale:
            first.setdefault(colour, position * trace.zmax)
        return [round(first[RISK_LEVEL_COLORS[c]], 6) for c in ("yellow", "orange", "red")]

    _, town_map, _ = pages["overview"].update_overview(str(county.AS_OF.date()), "zh")
    heatmap = pages["overview"].update_heatmap("mean_risk", str(county.AS_OF.date()), "zh")
    assert bounds(town_map.data[0]) == bounds(heatmap.data[0]) == [0.1, 0.3, 0.4]
    assert town_map.data[0].zmax == pytest.approx(0.45)
    earlier = pages["overview"].update_heatmap("mean_risk", str(county.PREVIOUS_AS_OF.date()), "zh")
    assert bounds(earlier.data[0]) == [0.05, 0.1, 0.2]


def test_risk_list_rows_follow_filters_and_sorting(pages: dict) -> None:
    risk_list = pages["risk_list"]
    request = {"startRow": 0, "endRow": 100, "sortModel": []}
    response = risk_list.fetch_rows(request, "2026-03-01", ["T1"], [], [], [], "", "zh")
    assert response["rowCount"] == 2
    first = response["rowData"][0]
    assert (first["enterprise_id"], first["level_label"], first["town_name"], first["sector_label"]) == (
        "E1", "重大风险", "城关镇", "非煤矿山")
    assert first["flags"] == "隐患逾期未改" and first["top_reason"] == "逾期未改隐患 1 项"
    second = response["rowData"][1]
    assert second["flags"] == "未批擅自开工、涉及危化品、隐患逾期未改"
    response = risk_list.fetch_rows({**request, "sortModel": [{"colId": "score", "sort": "asc"}]},
                                    "2026-03-01", [], ["gas"], [], [], "", "en")
    assert [r["enterprise_id"] for r in response["rowData"]] == ["E3", "E2"]
    assert response["rowData"][0]["flags"] == "Unqualified outsourcing, Overdue hazards"


def test_risk_list_count_and_row_click(pages: dict) -> None:
    risk_list = pages["risk_list"]
    texts = _texts(risk_list.count_rows("2026-03-01", [], [], ["red", "orange"], [], "", "zh"))
    assert texts[0] == "共 2 家企业"
    href = risk_list.open_enterprise({"rowId": "E2", "colId": "name"}, "2026-03-01")
    assert href == "/enterprise?id=E2&as_of=2026-03-01"


def test_risk_list_exports_hold_every_filtered_row(pages: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    risk_list = pages["risk_list"]
    rows = risk_list.filtered_list("2026-03-01", [], ["gas"], [], [], "", "zh")
    sheet = pd.read_excel(io.BytesIO(risk_list.excel_bytes(rows, "zh")))
    assert list(sheet["企业编码"]) == ["E2", "E3"] and list(sheet["风险等级"]) == ["较大风险", "低风险"]


def test_risk_list_layout_reads_filters_from_the_address(pages: dict) -> None:
    page = pages["risk_list"].layout(as_of="2026-03-01", town="T1,T2", level=["red", "orange"], flag="overdue_hazards,bogus",
                                     lang="en")
    values = {}

    def walk(component: object) -> None:
        if isinstance(component, list | tuple):
            for c in component:
                walk(c)
            return
        if getattr(component, "id", None) in {"risk-list-town", "risk-list-level", "risk-list-flag", "risk-list-as-of"}:
            values[component.id] = component.value
        walk(getattr(component, "children", None) or [])

    walk(page)
    assert values == {"risk-list-as-of": "2026-03-01", "risk-list-town": ["T1", "T2"],
                      "risk-list-level": ["red", "orange"], "risk-list-flag": ["overdue_hazards"]}


def test_enterprise_page_shows_profile_score_and_timeline(pages: dict) -> None:
    message, profile, reasons, history, rows = pages["enterprise"].show_enterprise("E1", "2026-03-01", "zh")
    assert message is None
    texts = _texts(profile)
    assert "甲矿业" in texts and "城关镇" in texts and texts[texts.index("逾期未改隐患") + 1] == "1"
    assert "重大风险" in _texts(reasons) and "80.0%" in _texts(reasons)
    assert list(history.data[0].y) == [0.8, 0.8]  # both stored lists
    assert rows[0]["date"] == "2026-02-25" and {r["state_label"] for r in rows if r["record_id"] == "H6"} == {"逾期未改"}


def test_enterprise_page_unknown_id_is_a_message_not_a_crash(pages: dict) -> None:
    message, profile, _, _, rows = pages["enterprise"].show_enterprise("NOPE", "2026-03-01", "en")
    assert "NOPE" in _texts(message)[0] and profile is None and rows == []


def test_enterprise_page_finds_firms_by_name_within_the_users_scope(pages: dict, monkeypatch) -> None:
    from analytics.accounts.users import User
    from dashboard import auth

    page = pages["enterprise"]
    monkeypatch.setattr(auth, "current_user", lambda: User("wang", "office", None, "王科长"))
    found = page.find("矿业", "zh")
    links = [link for link in _texts(found) if "矿业" in link]
    assert links and all("、" in link for link in links)  # name, town and id side by side
    assert any(link.endswith("、城关镇、E1") for link in links)
    assert "/enterprise?id=E1" in str(found)
    assert "没有名称含" in _texts(page.find("不存在的名字", "zh"))[0]
    assert page.find("  ", "en") is None
    monkeypatch.setattr(page, "visible_enterprises", lambda user: frozenset({"E3"}))  # an inspector's firms
    assert "/enterprise?id=E1" not in str(page.find("矿业", "zh"))


def test_followup_page_states_overdue_and_rate(pages: dict) -> None:
    figure = pages["followup"].show_states("town", "2026-03-01", "zh")
    overdue_bar = next(trace for trace in figure.data if trace.name == "逾期未改")
    assert list(overdue_bar.y) == ["城关镇", "沿海镇"] and list(overdue_bar.x) == [2, 1]
    block = pages["followup"].fetch_overdue({"startRow": 0, "endRow": 50}, "2026-03-01", "en")
    rows = block["rowData"]
    assert block["rowCount"] == 3 and [r["hazard_id"] for r in rows] == ["H3", "H5", "H6"]
    assert rows[0]["days_overdue"] == 19 and rows[0]["sector_label"] == "Town gas" and rows[0]["town_name"] == "城关镇"
    by_days = {"startRow": 0, "endRow": 50, "sortModel": [{"colId": "days_overdue", "sort": "asc"}],
               "filterModel": {"town_name": {"filterType": "text", "type": "contains", "filter": "城关"}}}
    assert [r["hazard_id"] for r in pages["followup"].fetch_overdue(by_days, "2026-03-01", "en")["rowData"]] == ["H6", "H3"]
    assert pages["followup"].open_enterprise({"rowId": "E2|H3"}, "2026-03-01") == "/enterprise?id=E2&as_of=2026-03-01"
    assert pages["followup"].show_rate("2026-03-01", "en").data[1].name == "Rectified"


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_lays_out_in_both_languages_with_prefixed_ids(pages: dict, name: str, lang: str) -> None:
    prefix = name.replace("_", "-")
    page = pages[name].layout(as_of="2026-03-01", lang=lang)
    ids: list[str] = []

    def walk(component: object) -> None:
        if isinstance(component, list | tuple):
            for c in component:
                walk(c)
            return
        if getattr(component, "id", None):
            ids.append(component.id)
        walk(getattr(component, "children", None) or [])

    walk(page)
    assert ids and all(i.startswith(prefix + "-") for i in ids), ids
