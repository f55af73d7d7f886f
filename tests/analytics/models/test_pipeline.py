"""Train → register → score → store → CSV on a small simulated county, through the store.

One small training (few snapshots, one backtest origin) per module keeps this under a minute.
"""

import pandas as pd
import pytest

from analytics.contract.frames import typed
from analytics.contract.schema import RISK_LIST_COLUMNS
from analytics.snapshot.snapshot import AsOf, Snapshot
from analytics.snapshot.timeline import as_known_on

AS_OF = pd.Timestamp("2026-09-30")
DAY = AsOf(AS_OF)
SMALL = {"snapshots": 8, "origins": 1}


@pytest.fixture(scope="module")
def county():
    from analytics.simulate import simulate_county

    return simulate_county(enterprises=1000, seed=3)


def _store(path, tables):
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables

    store = open_store(f"sqlite:///{path}")
    write_tables(store, tables)
    return store


@pytest.fixture(scope="module")
def trained(county, tmp_path_factory):
    from analytics.models.select import train_models

    folder = tmp_path_factory.mktemp("pipeline")
    store = _store(folder / "full.db", county.tables)
    report = train_models(store, DAY, models_dir=folder / "models", **SMALL)
    return store, folder, report


def test_training_registers_and_serves_the_winner_with_a_comparison_table(trained):
    from analytics.models.registry import ModelRegistry

    store, folder, report = trained
    registry = ModelRegistry(folder / "models")
    assert registry.serving() == report.version
    card = registry.card(report.version)
    assert {"random", "rule_of_thumb", "logistic", "boosted"} <= set(report.metrics.index)
    assert card["model"] == report.winner and card["data_fingerprint"] and card["sha256"]
    assert card["training_window"][1] == "2026-09-30" and card["snapshots"][-1] <= "2026-07-02"
    assert "Winner" in report.render("en") and "胜出模型" in report.render("zh")


def test_the_card_says_what_weights_and_the_power_family_add_to_the_winner(trained):
    from analytics.models.registry import ModelRegistry

    store, folder, report = trained
    card = ModelRegistry(folder / "models").card(report.version)
    rows = {r["variant"]: r for r in card["selection_detail"]["with_without"]}
    assert set(rows) == {"without_ipw", "without_power"} and {r["model"] for r in rows.values()} == {report.winner}
    reported = card["selection_detail"]["split"]["report"]
    for row in rows.values():  # the simulated county meters power: both are measured on the reported origins
        assert row["status"] == "ok" and row["origins"] == len(reported)
        assert row["within_noise"] == (row["low"] <= 0 <= row["high"])
        assert ("within noise" in row["en"]) == row["within_noise"]


def test_scoring_stores_the_list_writes_the_csv_and_rescoring_replaces_it(trained, tmp_path):
    from analytics.risk.risklist import read_risk_list, risk_lists, score_store, scored_dates

    store, folder, report = trained
    first = score_store(store, DAY, out=tmp_path / "list.csv", models_dir=folder / "models")
    again = score_store(store, DAY, out=tmp_path / "again.csv", models_dir=folder / "models")
    assert first.list_id == again.list_id
    with store.engine.connect() as connection:
        assert connection.execute(risk_lists.select()).all().__len__() == 1
    assert (tmp_path / "list.csv").read_bytes() == (tmp_path / "again.csv").read_bytes()
    stored = read_risk_list(store)
    assert tuple(stored.columns[:7]) == RISK_LIST_COLUMNS and len(stored) == first.n
    assert sorted(stored["rank"]) == list(range(1, first.n + 1))
    assert scored_dates(store) == [AS_OF]
    assert read_risk_list(store, lang="en")["reasons"].str.contains("[\u4e00-\u9fff]").sum() == 0
    assert "风险清单" in first.render("zh") and "Risk list" in first.render("en")


def test_records_after_the_as_of_change_nothing(county, trained, tmp_path):
    from analytics.models.registry import ModelRegistry
    from analytics.risk.risklist import score_enterprises
    from analytics.store.database import read_tables

    store, folder, _ = trained
    model, card = ModelRegistry(folder / "models").load()
    never = _store(tmp_path / "never.db", as_known_on(county.tables, AS_OF))
    full = score_enterprises(Snapshot.from_store(store, DAY), model, card["version"])
    past_only = score_enterprises(Snapshot.from_store(never, DAY), model, card["version"])
    pd.testing.assert_frame_equal(full, past_only)


def test_training_is_deterministic_and_blind_to_later_records(county, trained, tmp_path):
    from analytics.models.registry import ModelRegistry
    from analytics.models.select import train_models

    _, folder, report = trained
    registry = ModelRegistry(folder / "models")
    written = {p.name: p.read_bytes() for p in (folder / "models").iterdir()}
    never = _store(tmp_path / "never.db", as_known_on(county.tables, AS_OF))
    again = train_models(never, DAY, models_dir=folder / "models", **SMALL)
    pd.testing.assert_frame_equal(again.metrics, report.metrics)
    # the same data gives the same version id; that version is never rewritten: the retrain is a new one
    assert again.version == f"{report.version}-2" and registry.card(again.version)["retrained_from"] == report.version
    assert {name: (folder / "models" / name).read_bytes() for name in written} == written
    assert registry.serving() == report.version == again.serving


def test_one_enterprise_rescored_after_a_new_major_hazard(trained):
    from analytics.models.registry import ModelRegistry
    from analytics.risk.risklist import read_risk_list, rescore_enterprise, score_store
    from analytics.store.writing import write_tables

    store, folder, _ = trained
    score_store(store, DAY, models_dir=folder / "models")
    before = read_risk_list(store, DAY)
    target = before.iloc[len(before) // 2]["enterprise_id"]
    write_tables(store, {
        "inspections": typed("inspections", [{"inspection_id": "NEW-1", "enterprise_id": target, "date": AS_OF, "mode": "routine"}]),
        "hazards": typed("hazards", [{"hazard_id": f"NEW-H{i}", "inspection_id": "NEW-1", "enterprise_id": target,
                                      "found_date": AS_OF, "level": "major", "category": "special_operation",
                                      "deadline": AS_OF - pd.Timedelta(days=1)} for i in range(3)]),
    })
    row = rescore_enterprise(store, target, DAY, registry=ModelRegistry(folder / "models"))
    after = read_risk_list(store, DAY)
    old = before.set_index("enterprise_id").loc[target]
    new = after.set_index("enterprise_id").loc[target]
    assert new["score"] == pytest.approx(row["score"]) and new["score"] > old["score"]
    assert new["rank"] < old["rank"]
    assert sorted(after["rank"]) == list(range(1, len(after) + 1))
    ordered = after.sort_values("rank")
    assert (ordered["score"].diff().dropna() <= 0).all()


def test_a_store_without_labels_is_served_by_the_scorecard_and_says_so(county, tmp_path):
    from analytics.models.select import train_models
    from analytics.risk.risklist import score_store

    tables = {name: county.tables[name] for name in ("towns", "enterprises")}
    tables["inspections"], tables["hazards"] = typed("inspections"), typed("hazards")
    store = _store(tmp_path / "fresh.db", tables)
    report = train_models(store, DAY, models_dir=tmp_path / "models", **SMALL)
    assert report.winner == "rule_of_thumb"
    assert "经验评分卡" in report.render("zh") and "rule-of-thumb" in report.render("en")
    scored = score_store(store, DAY, models_dir=tmp_path / "models")
    assert scored.n > 0 and "rule-of-thumb" in scored.render("en")


def test_one_enterprise_without_any_record_is_rescored_like_the_full_list(trained):
    from analytics.models.registry import ModelRegistry
    from analytics.risk.risklist import read_risk_list, rescore_enterprise, score_store
    from analytics.store.database import read_tables

    store, folder, _ = trained
    score_store(store, DAY, models_dir=folder / "models")
    tables = Snapshot.from_store(store, DAY).tables
    busy = set(tables["inspections"]["enterprise_id"].astype(str)) | set(tables["status_events"]["enterprise_id"].astype(str))
    listed = read_risk_list(store, DAY).set_index("enterprise_id")
    quiet = [e for e in listed.index if e not in busy][:3]
    assert quiet
    for enterprise_id in quiet:
        row = rescore_enterprise(store, enterprise_id, DAY, registry=ModelRegistry(folder / "models"))
        assert row["score"] == pytest.approx(listed.loc[enterprise_id, "score"], abs=1e-6)
        assert row["reasons"] == listed.loc[enterprise_id, "reasons"]


def test_one_enterprise_with_blank_attributes_is_rescored_like_the_full_list(trained):
    """A firm whose record leaves size, employees or founding date blank is still scored with the
    model's columns (one firm alone 'never records' them, the county did)."""
    from analytics.models.registry import ModelRegistry
    from analytics.risk.risklist import read_risk_list, rescore_enterprise, score_store
    from analytics.store.database import read_tables

    store, folder, _ = trained
    score_store(store, DAY, models_dir=folder / "models")
    enterprises = Snapshot.from_store(store, DAY).tables["enterprises"]
    listed = read_risk_list(store, DAY).set_index("enterprise_id")
    blank = enterprises.loc[enterprises["employees"].isna() | enterprises["established"].isna(), "enterprise_id"].astype(str)
    blank = [e for e in blank if e in listed.index][:3]
    assert blank, "the simulated county leaves some attributes blank"
    for enterprise_id in blank:
        row = rescore_enterprise(store, enterprise_id, DAY, registry=ModelRegistry(folder / "models"))
        assert row["score"] == pytest.approx(listed.loc[enterprise_id, "score"], abs=1e-6)
