"""The model page through the served app: a real store (the tiny county, two stored lists) and a
tiny registry of hand-written cards (tests/model_cards.py); callbacks go through the guard as the
browser sends them.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import summary_county as county
from model_cards import build_registry
from test_auth_support import PASSWORD, AuthApp, callback_body

from analytics.features.registry import FEATURES

REFUSED = ("inspector", "leader", "admin")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> AuthApp:
    from analytics.accounts import users as accounts
    from analytics.risk.risklist import save_risk_list
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables
    from dashboard.app import create_app
    from dashboard.components import data

    folder = tmp_path_factory.mktemp("model_page")
    url = f"sqlite:///{folder / 'store.db'}"
    store = open_store(url)
    write_tables(store, county.tables())
    for as_of, version in ((county.AS_OF, "v2"), (county.PREVIOUS_AS_OF, "v1")):
        save_risk_list(store, county.risk_list(as_of, version).assign(reasons_en="", contributions="{}"))
    store.dispose()
    build_registry(folder / "models")
    data.clear()
    app = create_app({"db": url, "secret_key": "test-secret-" + "x" * 32, "models_dir": str(folder / "models")})
    store = app.server.extensions["saferank"]["store"]
    for role in ("analyst", "office", *REFUSED):
        accounts.add_user(store, f"u-{role}", role, PASSWORD, team="第1组" if role == "inspector" else None)
    yield AuthApp(app, store, {})
    data.clear()


def _key(site: AuthApp, output: str) -> str:
    return next(k for k in site.app.callback_map if output in k)


def _call(site: AuthApp, role: str, output: str, **values: object):
    """POST the callback whose outputs include ``output`` with inputs/state ``{component id: value}``."""
    body = callback_body(site.app, _key(site, output))
    for item in body["inputs"] + body["state"]:
        if item["id"] in values:
            item["value"] = values[item["id"]]
    return site.client(role).post("/_dash-update-component", json=body)


def _render(site: AuthApp, role: str, search: str = ""):
    body = callback_body(site.app, _key(site, "_pages_content"), "/model")
    body["inputs"][1]["value"] = search
    return site.client(role).post("/_dash-update-component", json=body)


def _numbers(values: object) -> list[float]:
    """A figure's numbers as sent: a list, or plotly's typed array ``{"dtype", "bdata"}`` (base64)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def _text(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False, separators=(",", ":"))


def _show(site: AuthApp, role: str = "analyst", version: str | None = "v2", lang: str = "zh") -> dict:
    response = _call(site, role, "model-precision", **{"model-version": version, "model-as-of": "2026-03-01",
                                                       "model-lang-store": lang})
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"]


@pytest.mark.parametrize("role", ["analyst", "office"])
def test_analyst_and_office_see_the_serving_model_and_its_backtest(site, role) -> None:
    page = _render(site, role)
    assert page.status_code == 200
    text = _text(page)
    assert "模型卡" in text and "v2 · 梯度提升树 · 在用" in text and "模型版本对比" in text
    shown = _show(site, role)
    precision = shown["model-precision"]["figure"]
    assert [trace["name"] for trace in precision["data"]] == ["梯度提升树", "经验评分卡", "随机顺序"]
    assert _numbers(precision["data"][0]["y"]) == [0.6, 0.45] and precision["data"][0]["line"]["color"] == "#d62728"
    calibration = shown["model-calibration"]["figure"]["data"]
    assert _numbers(calibration[1]["x"]) == [0.01, 0.02] and _numbers(calibration[1]["y"]) == [0.02, 0.04]
    importance = shown["model-importance"]["figure"]["data"][0]
    assert importance["y"] == [FEATURES["hazardous_chemicals"].zh, FEATURES["open_hazards"].zh, "not_in_registry"]
    assert _numbers(importance["x"]) == [0.5, 0.2, 0.1]
    rows = shown["model-versions"]["rowData"]
    assert [(r["version"], r["status"]) for r in rows] == [("v2", "在用"), ("v1", "曾在用"), ("v0", "曾在用")]
    assert rows[0]["precision_at_capacity"] == "35.0%" and rows[0]["lift_over_rule"] == "1.25×"
    card = json.dumps(shown["model-card"]["children"], ensure_ascii=False)
    assert "Platt 缩放（折外预测边际）" in card and "scikit-learn 版本" in card and "35.0%" in card
    assert "v2" in json.dumps(shown["model-list-note"], ensure_ascii=False)
    assert shown["model-notice-box"]["children"] == []


def test_english_labels(site) -> None:
    shown = _show(site, lang="en")
    assert [t["name"] for t in shown["model-precision"]["figure"]["data"]] == ["Boosted trees", "Rule of thumb", "Random order"]
    card = json.dumps(shown["model-card"]["children"])
    assert "Calibration" in card and "Platt scaling of out-of-fold margins" in card
    assert shown["model-versions"]["rowData"][0]["status"] == "Serving"
    assert "made by version v2" in json.dumps(shown["model-list-note"])


def test_results_per_town_and_sector(site) -> None:
    towns = _call(site, "analyst", "model-groups", **{"model-version": "v2", "model-by": "town", "model-lang-store": "zh"})
    bars = towns.get_json()["response"]["model-groups"]["figure"]["data"]
    assert bars[0]["y"] == ["沿海镇", "城关镇"] and _numbers(bars[0]["x"]) == [0.25, 0.5] and bars[1]["name"] == "经验评分卡"
    sectors = _call(site, "analyst", "model-groups", **{"model-version": "v2", "model-by": "sector", "model-lang-store": "en"})
    assert sectors.get_json()["response"]["model-groups"]["figure"]["data"][0]["y"] == ["Town gas", "Non-coal mining"]


def test_every_precision_with_its_interval_and_the_with_without_comparisons(site) -> None:
    shown = _show(site)
    text = json.dumps(shown["model-intervals"]["children"], ensure_ascii=False)
    assert "汇总命中率（95% 区间）" in text and "36.0% (30.1% – 42.0%)" in text and "双随机检查太少，无法判断" in text
    assert "确实更好" in text and "logistic 不该出现" not in text  # the model's own comparisons only
    assert "逆倾向加权（有 − 无）" in text and "+1.0 (-2.0 – +4.0) pp" in text and "缺失" in text
    assert "用电数据" in text
    card = json.dumps(shown["model-card"]["children"], ensure_ascii=False)
    assert "梯度提升树 36.0%（30.1%–42.0%）" in card
    assert shown["model-versions"]["rowData"][0]["precision_pooled"] == "36.0% (30.1% – 42.0%)"
    english = json.dumps(_show(site, lang="en")["model-intervals"]["children"])
    assert "Pooled precision (95% interval)" in english and "too few random visits to tell" in english
    assert "power feature family was absent" in english and "Difference (with" in english
    old = json.dumps(_show(site, version="v1", lang="en")["model-intervals"]["children"])
    assert old == "[]"  # the notice says the backtest details are missing


def test_the_as_of_picker_follows_the_version_that_made_that_list(site) -> None:
    response = _call(site, "analyst", "model-version.value", **{"model-as-of": "2026-01-30", "model-lang-store": "zh"})
    assert response.get_json()["response"]["model-version"]["value"] == "v1"
    page = _text(_render(site, "analyst", "?as_of=2026-01-30"))
    assert '"id":"model-version"' in page and '"value":"v1","clearable"' in page


def test_an_older_version_and_the_fallback_say_what_is_missing(site) -> None:
    old = _show(site, version="v1")
    assert "尚未随模型卡保存回测明细" in json.dumps(old["model-notice-box"], ensure_ascii=False)
    assert "不是在用版本" in json.dumps(old["model-notice-box"], ensure_ascii=False)
    assert old["model-precision"]["figure"]["layout"]["annotations"][0]["text"] == "暂无数据"
    fallback = _show(site, version="v0", lang="en")
    assert "rule-of-thumb fallback" in json.dumps(fallback["model-notice-box"])


def test_without_any_model_the_page_says_so(site, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(site.app.server.extensions["saferank"]["config"], "models_dir", str(tmp_path / "empty"))
    page = _render(site, "analyst")
    assert page.status_code == 200
    for component in ("model-version", "model-by", "model-card", "model-precision", "model-versions"):
        assert f'"id":"{component}"' in _text(page), component  # every id the callbacks name (no console error)
    shown = _show(site, version=None)
    assert "尚未登记任何模型" in json.dumps(shown["model-notice-box"], ensure_ascii=False)
    assert shown["model-card"]["children"] == [] and shown["model-versions"]["rowData"] == []


@pytest.mark.parametrize("role", REFUSED)
def test_other_roles_are_refused_the_page_and_every_callback(site, role) -> None:
    assert _render(site, role).status_code == 403
    assert site.client(role).get("/model").status_code == 403
    for output in ("model-precision", "model-groups", "model-version.value"):
        response = _call(site, role, output, **{"model-version": "v2"})
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden", (role, output)
