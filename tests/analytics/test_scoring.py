"""Batch scoring of posted enterprise records (``POST /api/v1/score``): the same score as the full
list for a firm posted unchanged, posted attributes count, broken records name their field, and
nothing is stored."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
import summary_county as county

from analytics.risk.scoring import RecordError, score_records, validate_records

MODEL_VERSION = "rule-of-thumb-test"


@pytest.fixture
def scored_store(tmp_path):
    from analytics.features import build_features
    from analytics.models.registry import ModelRegistry
    from analytics.models.scorecard import RuleOfThumb
    from analytics.store.database import open_store
    from analytics.store.writing import write_tables

    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    write_tables(store, county.tables())
    model = RuleOfThumb().fit(build_features(county.tables(), county.AS_OF))
    ModelRegistry(tmp_path / "models").register(model, {"version": MODEL_VERSION, "model": "rule_of_thumb"})
    return store, model, str(tmp_path / "models")


def _record(enterprise_id: str, **values: object) -> dict:
    return {"enterprise_id": enterprise_id, "name": f"企业{enterprise_id}", "town_id": "T1", "sector": "mining",
            "status": "operating", **values}


def test_a_firm_posted_unchanged_scores_as_on_the_full_list(scored_store) -> None:
    from analytics.risk.risklist import score_enterprises
    from analytics.snapshot.snapshot import Snapshot

    store, model, models_dir = scored_store
    full = score_enterprises(Snapshot.from_tables(county.tables(), county.AS_OF), model, MODEL_VERSION)
    e1 = county.tables()["enterprises"].query("enterprise_id == 'E1'")
    posted = e1.astype(object).where(e1.notna(), None).to_dict("records")
    for record in posted:  # JSON has no dates or pandas scalars
        record.update({k: (v.date().isoformat() if isinstance(v, pd.Timestamp) else v) for k, v in record.items()})
    scored = score_records(store, posted, as_of=county.AS_OF, models_dir=models_dir)
    expected = full.set_index("enterprise_id").loc["E1"]
    assert scored["enterprise_id"].tolist() == ["E1"]
    assert scored["score"].iloc[0] == pytest.approx(expected["score"])
    assert scored["risk_level"].iloc[0] == expected["risk_level"] and scored["model_version"].iloc[0] == MODEL_VERSION


def test_posted_attributes_raise_the_score_and_show_in_the_reasons(scored_store) -> None:
    store, _, models_dir = scored_store
    batch = [_record("N1", hazardous_chemicals=True), _record("N2", hazardous_chemicals=False)]
    scored = score_records(store, batch, as_of="2026-03-01", models_dir=models_dir, lang="en").set_index("enterprise_id")
    assert scored.loc["N1", "score"] > scored.loc["N2", "score"]
    assert scored.loc["N1", "rank"] == 1
    assert scored.loc["N1", "reasons"]  # English reasons, not empty


def test_nothing_is_stored(scored_store) -> None:
    from analytics.risk.risklist import scored_dates
    from analytics.store.database import metadata

    store, _, models_dir = scored_store
    score_records(store, [_record("N1")], as_of=county.AS_OF, models_dir=models_dir)
    enterprises = metadata.tables["enterprises"]
    with store.engine.connect() as connection:
        ids = set(connection.execute(sa.select(enterprises.c.enterprise_id)).scalars())
    assert "N1" not in ids and len(scored_dates(store)) == 0


def test_an_unknown_town_is_named(scored_store) -> None:
    store, _, models_dir = scored_store
    with pytest.raises(RecordError) as refused:
        score_records(store, [_record("N1", town_id="T9")], as_of=county.AS_OF, models_dir=models_dir)
    assert refused.value.field == "town_id"


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"enterprise_id": "N1", "town_id": "T1", "sector": "mining"}, "name"),
        (_record("N1", sector="bakery"), "sector"),
        (_record("N1", employees="many"), "employees"),
        (_record("N1", established="not a date"), "established"),
        (_record("N1", colour="red"), "colour"),
        (_record("N1", name={"nested": 1}), "name"),
    ],
)
def test_broken_records_name_their_field(record: dict, field: str) -> None:
    with pytest.raises(RecordError) as refused:
        validate_records([record])
    assert refused.value.field == field and refused.value.zh and refused.value.en


def test_a_batch_is_between_one_and_a_thousand_unique_firms() -> None:
    for batch in ([], [_record(f"N{i}") for i in range(1001)], [_record("N1"), _record("N1")]):
        with pytest.raises(RecordError):
            validate_records(batch)
    assert len(validate_records([_record(f"N{i}") for i in range(1000)])) == 1000
