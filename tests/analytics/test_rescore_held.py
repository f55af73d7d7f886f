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
from test_store_backends import store_url  # noqa: F401  (fixtures)

AS_OF = AsOf.parse(county.AS_OF)


@pytest.fixture()
def scored(store_url):
    """The tiny county stored and scored, on SQLite and on PostgreSQL (``test_store_backends``)."""
    store = open_store(store_url)
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


def test_a_list_keeps_its_level_thresholds_and_a_firm_rescored_is_levelled_in_them(tmp_path, monkeypatch) -> None:
    """A list scored with a county's own ``--levels``: the thresholds are stored with it, a firm
    rescored after a result (or posted to the API) gets the level the full scoring gave it in those
    bands (not the default ones), a list carried to a later day keeps them, and a list stored before
    lists kept them reads back as the defaults."""
    from analytics.models import registry
    from analytics.risk import scoring
    from analytics.risk.levels import LevelThresholds, plain_levels

    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    write_tables(store, county.tables())
    snapshot = Snapshot.from_store(store, AS_OF)
    model = RuleOfThumb().fit(build_features(snapshot))
    scores = sorted(risklist.score_enterprises(snapshot, model, "rot")["score"].unique())
    assert len(scores) == 2 and scores[1] < 0.5  # the lowest score yellow, the highest orange, below
    bands = LevelThresholds(yellow=scores[0] / 2, orange=(scores[0] + scores[1]) / 2, red=2 * scores[1])
    full = risklist.score_enterprises(snapshot, model, "rot", thresholds=bands).set_index("enterprise_id")
    assert set(full["risk_level"].astype(str)) == {"orange", "yellow"}
    assert (plain_levels(full["score"]).astype(str) != full["risk_level"].astype(str)).any()  # the defaults differ
    risklist.save_risk_list(store, full.reset_index(), thresholds=bands)
    assert risklist.thresholds_on(store, AS_OF) == bands
    for firm in full.index:
        assert risklist.rescore_enterprise(store, firm, as_of=AS_OF, model=model)["risk_level"] == full.loc[firm, "risk_level"]
    monkeypatch.setattr(registry.ModelRegistry, "load", lambda self, *a, **k: (model, {"version": "rot"}))
    firms = county.tables()["enterprises"]
    posted = [{k: (f"{v:%Y-%m-%d}" if isinstance(v, pd.Timestamp) else str(v)) for k, v in row.items() if pd.notna(v)}
              for row in firms.to_dict("records")]
    batch = scoring.score_records(store, posted, as_of=AS_OF).set_index("enterprise_id")
    assert batch["risk_level"].astype(str).to_dict() == full.loc[batch.index, "risk_level"].astype(str).to_dict()
    # a later list with the default bands: a batch on AS_OF keeps AS_OF's, one on the later day takes the later's
    risklist.save_risk_list(store, full.reset_index().assign(as_of="2026-03-20"))
    assert risklist.thresholds_on(store, AS_OF) == bands and risklist.thresholds_on(store, AsOf.parse("2026-03-25")) == LevelThresholds()
    assert risklist.thresholds_on(store, AsOf.parse("2025-01-01")) == LevelThresholds()  # before every list: the newest's
    again = scoring.score_records(store, posted, as_of=AS_OF).set_index("enterprise_id")
    assert again["risk_level"].astype(str).to_dict() == batch["risk_level"].astype(str).to_dict()
    later = AsOf.parse(AS_OF.ts + pd.Timedelta(days=3))
    risklist.dated_list(store, later)
    assert risklist.thresholds_on(store, later) == bands
    with store.engine.begin() as connection:  # as a list stored before the column existed
        connection.execute(risklist.risk_lists.update().values(levels=None))
    assert risklist.thresholds_on(store, AS_OF) == LevelThresholds() == risklist.thresholds_on(store)
    store.dispose()


def test_a_store_from_before_lists_kept_their_thresholds_is_upgraded_and_reads_the_defaults(scored) -> None:
    import sqlalchemy as sa

    from analytics.risk.levels import LevelThresholds

    store, _, _ = scored
    url = store.engine.url
    with store.engine.begin() as connection:  # the list table as an earlier version made it
        connection.execute(sa.text("ALTER TABLE risk_lists DROP COLUMN levels"))
    store.dispose()
    reopened = open_store(url.render_as_string(hide_password=False))
    assert "levels" in {c["name"] for c in sa.inspect(reopened.engine).get_columns("risk_lists")}
    assert risklist.thresholds_on(reopened, AS_OF) == LevelThresholds()
    reopened.dispose()
