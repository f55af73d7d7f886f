"""The risk list: ranks and ties, levels, reasons, the contract's CSV byte for byte, the stored lists."""

import json

import numpy as np
import pandas as pd
import pytest

from analytics.contract.frames import typed
from analytics.models.learned import LogisticModel, logit
from analytics.contract.schema import RISK_LIST_COLUMNS
from analytics.snapshot.snapshot import AsOf, Snapshot

AS_OF = pd.Timestamp("2026-06-30")
IDS = ["E03", "E01", "E02", "E04", "E05", "E06"]


@pytest.fixture(scope="module")
def tables():
    enterprises = typed("enterprises", [
        {"enterprise_id": e, "name": f"企业{e}", "town_id": "T1", "sector": s, "established": "2020-01-01", "status": "operating"}
        for e, s in zip(IDS, ["mining", "gas", "tourism", "mining", "gas", "fireworks"], strict=False)
    ])
    return {"towns": typed("towns", [{"town_id": "T1", "name": "城关镇"}]), "enterprises": enterprises,
            "inspections": typed("inspections"), "hazards": typed("hazards")}


@pytest.fixture(scope="module")
def features():
    return pd.DataFrame({
        "overdue_major": [3.0, 0.0, 1.0, 3.0, 0.0, 5.0],
        "days_unapproved": [45.0, 0.0, 0.0, 45.0, 0.0, 90.0],
    }, index=pd.Index(IDS, name="enterprise_id"))


@pytest.fixture(scope="module")
def model(features):
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"overdue_major": rng.poisson(1, 400).astype(float), "days_unapproved": rng.choice([0.0, 45.0], 400)})
    y = (rng.random(400) < 1 / (1 + np.exp(-(-3 + 0.8 * X["overdue_major"] + 0.02 * X["days_unapproved"])))).astype(int)
    return LogisticModel().fit(X, y)


@pytest.fixture(scope="module")
def risk_list(tables, features, model):
    from analytics.risk.risklist import score_enterprises

    return score_enterprises(Snapshot.from_tables(tables, AS_OF), model, "v-test", features=features)


def test_list_has_the_contract_columns_first_and_one_row_per_enterprise(risk_list):
    assert tuple(risk_list.columns[: len(RISK_LIST_COLUMNS)]) == RISK_LIST_COLUMNS
    assert sorted(risk_list["enterprise_id"]) == sorted(IDS)
    assert (risk_list["as_of"] == "2026-06-30").all() and (risk_list["model_version"] == "v-test").all()
    assert list(risk_list["rank"]) == list(range(1, 7))


def test_ties_are_broken_by_enterprise_id(risk_list):
    tied = risk_list.loc[risk_list["enterprise_id"].isin(["E03", "E04"])]
    assert tied["score"].nunique() == 1
    assert list(tied["enterprise_id"]) == ["E03", "E04"]
    assert (np.diff(risk_list["score"].to_numpy()) <= 0).all()


def test_reasons_are_phrased_and_contributions_add_up_to_the_score(risk_list, model, features):
    top = risk_list.iloc[0]
    assert top["enterprise_id"] == "E06"
    assert top["reasons"] and top["reasons_en"] and "；" in top["reasons"]
    contributions = pd.Series(json.loads(top["contributions"]))
    gap = logit(np.array([top["score"]]))[0] - model.base_logit_ - contributions.sum()
    assert abs(gap) < 1e-3  # score rounded to 6 decimals and contributions to 4


def test_contract_csv_header_and_encoding_byte_for_byte(risk_list, tmp_path):
    from analytics.risk.risklist import write_contract_csv

    path = write_contract_csv(risk_list, tmp_path / "list.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + b"enterprise_id,as_of,score,rank,risk_level,reasons,model_version\n")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype={"enterprise_id": str})
    assert list(back.columns) == list(RISK_LIST_COLUMNS)
    assert back["reasons"].fillna("").tolist() == risk_list["reasons"].tolist()
    assert back["score"].tolist() == pytest.approx(risk_list["score"].tolist(), abs=1e-6)


def test_no_enterprise_is_a_user_error(tables, model, features):
    from analytics.contract.errors import UserError
    from analytics.risk.risklist import score_enterprises

    with pytest.raises(UserError):
        score_enterprises(Snapshot.from_tables(tables, AS_OF), model, "v", features=features.iloc[:0])


def test_levels_hold_against_the_last_list_before_the_date_only(risk_list, tmp_path):
    from analytics.risk.risklist import previous_levels, read_risk_list, save_risk_list
    from analytics.store.database import open_store

    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    earlier = risk_list.assign(as_of="2026-06-29", risk_level="red")
    later = risk_list.assign(as_of="2026-07-01", risk_level="blue")
    save_risk_list(store, earlier)
    save_risk_list(store, later)
    held = previous_levels(store, AsOf.parse(AS_OF))
    assert set(held) == {"red"} and len(held) == len(risk_list)
    assert previous_levels(store, AsOf.parse("2026-06-29")) is None
    assert read_risk_list(store)["as_of"].iloc[0] == "2026-07-01"
    assert read_risk_list(store, as_of=AsOf.parse("2026-06-29"))["risk_level"].eq("red").all()


def test_models_cli_list_show_promote_rollback(tmp_path, capsys):
    from saferank.cli import main
    from analytics.models.registry import ModelRegistry

    registry = ModelRegistry(tmp_path)
    model = LogisticModel().fit(pd.DataFrame({"x": [0.0, 1.0, 0.0, 1.0]}), [0, 1, 0, 1])
    for version in ("v1", "v2"):
        registry.register(model, {"version": version, "model": "logistic"})
    assert main(["models", "--models", str(tmp_path), "promote", "v2", "--lang", "en"]) == 0
    assert "v2 now serves" in capsys.readouterr().out
    assert main(["models", "--models", str(tmp_path), "list"]) == 0
    assert "在用" in capsys.readouterr().out
    assert main(["models", "--models", str(tmp_path), "rollback"]) == 0
    assert registry.serving() == "v1"
    assert main(["models", "--models", str(tmp_path), "show", "v1"]) == 0
    assert "模型卡" in capsys.readouterr().out
    assert main(["models", "--models", str(tmp_path), "rollback", "--lang", "en"]) == 2
    assert "no previously serving" in capsys.readouterr().err


def test_row_json_is_the_same_in_batches_as_in_one_text() -> None:
    """Rows are written ``JSON_BATCH_ROWS`` at a time (bounded memory at a province's size): the same texts."""
    from analytics.risk.risklist import _rows_json

    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"a": rng.normal(size=25), "b": rng.normal(size=25)},
                         index=pd.Index([f"E{i:03d}" for i in range(25)], name="enterprise_id"))
    frame.iloc[3, 1] = np.nan
    whole = _rows_json(frame, batch=1000)
    batched = _rows_json(frame, batch=7)
    assert batched.index.equals(frame.index) and batched.tolist() == whole.tolist()
    assert whole.iloc[3] == f'{{"a":{round(frame.iloc[3, 0], 4)},"b":null}}'
    assert _rows_json(frame.iloc[:0]).empty
