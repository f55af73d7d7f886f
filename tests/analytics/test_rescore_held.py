"""Re-scoring a few firms reads only their own records: the families a full scoring gives them come
from what the store holds (``risklist.held_on``), not from a record of another firm borrowed to keep
a family present."""

from __future__ import annotations

import pandas as pd
import pytest
import summary_county as county

from analytics.features import build_features
from analytics.features.rectification import HELD_DEADLINE, HELD_RECTIFIED
from analytics.models.scorecard import RuleOfThumb
from analytics.risk import risklist
from analytics.snapshot.snapshot import AsOf, Snapshot
from analytics.store.database import open_store
from analytics.store.writing import write_tables

AS_OF = AsOf.parse(county.AS_OF)


@pytest.fixture()
def scored(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    write_tables(store, county.tables())
    snapshot = Snapshot.from_store(store, AS_OF)
    model = RuleOfThumb().fit(build_features(snapshot))
    full = risklist.score_enterprises(snapshot, model, "rot")
    risklist.save_risk_list(store, full)
    yield store, model, full.set_index("enterprise_id")
    store.dispose()


def test_what_a_few_firms_hold_is_the_store_s_tables_and_the_county_s_hazard_columns(scored) -> None:
    store, _, _ = scored
    held = risklist.held_on(store, AS_OF)
    assert {"status_events", "contracts", "penalties"} <= held
    assert {HELD_RECTIFIED, HELD_DEADLINE} <= held
    # before any rectification was known, the county did not record one yet
    assert HELD_RECTIFIED not in risklist.held_on(store, AsOf.parse("2024-01-10"))


def test_a_firm_s_tables_hold_only_its_own_rows_and_empty_frames_for_what_it_lacks(scored) -> None:
    store, _, _ = scored
    tables = risklist._enterprise_tables(store, "E3", risklist.held_on(store, AS_OF))
    for name, frame in tables.items():
        if "enterprise_id" in frame.columns:
            assert set(frame["enterprise_id"].astype(str)) <= {"E3"}, name
    assert tables["penalties"].empty and tables["status_events"].empty


@pytest.mark.parametrize("firm", ["E1", "E2", "E3"])
def test_one_firm_rescored_gets_the_row_of_the_full_scoring(scored, firm) -> None:
    """E3's hazards are all open on the day (its one rectification is recorded later) and it has no
    penalty; E2 has no penalty either: each gets the row a full scoring gave it."""
    store, model, full = scored
    row = risklist.rescore_enterprise(store, firm, as_of=AS_OF, model=model)
    assert row["score"] == pytest.approx(full.loc[firm, "score"])
    assert row["reasons"] == full.loc[firm, "reasons"]
    back = risklist.read_risk_list(store, as_of=AS_OF).set_index("enterprise_id")
    assert back.loc[firm, "rank"] == full.loc[firm, "rank"]


def test_a_posted_batch_is_scored_as_the_full_list_scores_its_firms(scored, monkeypatch) -> None:
    from analytics.models import registry
    from analytics.risk import scoring

    store, model, full = scored
    monkeypatch.setattr(registry.ModelRegistry, "load", lambda self, *a, **k: (model, {"version": "rot"}))
    records = [{"enterprise_id": "E3", "name": "丙燃气", "town_id": "T2", "sector": "gas", "status": "operating",
                "established": "2026-02-01"}]
    batch = scoring.score_records(store, records, as_of=AS_OF)
    assert batch["score"].tolist() == pytest.approx([full.loc["E3", "score"]])
    assert pd.api.types.is_string_dtype(batch["reasons"]) or batch["reasons"].dtype == object
