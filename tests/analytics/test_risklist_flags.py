"""The risk list keeps its flags: computed once at scoring, stored with the rows, read back by the pages;
a list stored before lists kept them (or a store from before the column) still reads and browses."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import summary_county as county

from analytics.features import build_features
from analytics.models.scorecard import RuleOfThumb
from analytics.risk import risklist
from analytics.snapshot import facts
from analytics.snapshot.facts import FLAG_CODES
from analytics.snapshot.snapshot import AsOf, Snapshot
from analytics.store.database import SCHEMA_VERSION, open_store
from analytics.store.writing import write_tables
from analytics.views import riskview


@pytest.fixture()
def stored(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    snapshot = Snapshot.from_tables(county.tables(), county.AS_OF)
    scored = risklist.score_enterprises(snapshot, RuleOfThumb().fit(build_features(snapshot)), "rot")
    risklist.save_risk_list(store, scored)
    yield store, snapshot, scored
    store.dispose()


def test_the_stored_list_reads_back_the_flags_it_was_scored_with(stored) -> None:
    store, snapshot, scored = stored
    back = risklist.read_risk_list(store, as_of=snapshot.as_of).set_index("enterprise_id")
    expected = facts.enterprise_flags(snapshot).loc[back.index]
    assert back[list(FLAG_CODES)].astype(bool).to_dict() == expected.to_dict()
    assert back.loc["E2", "unapproved_restart"] and back.loc["E3", "unqualified_outsourcing"]
    with store.engine.connect() as connection:
        text = dict(connection.execute(sa.select(risklist.risk_scores.c.enterprise_id, risklist.risk_scores.c.flags)).all())
    assert text["E1"] == "overdue_hazards" and text["E2"] == "unapproved_restart,hazardous_chemicals,overdue_hazards"


def test_browsing_reads_the_stored_flags_not_the_tables(stored) -> None:
    store, snapshot, _ = stored
    with store.engine.begin() as connection:
        connection.execute(risklist.risk_scores.update().where(risklist.risk_scores.c.enterprise_id == "E1").values(flags=""))
    frame = riskview.browse_frame(risklist.read_risk_list(store, as_of=snapshot.as_of), county.tables(), county.AS_OF)
    # the tables say E1 has an overdue hazard; the list, as stored, says nothing: the page shows the list
    assert not frame.set_index("enterprise_id").loc["E1", list(FLAG_CODES)].any()


def test_a_list_stored_before_lists_kept_flags_reads_missing_and_browses_computed(stored) -> None:
    store, snapshot, _ = stored
    with store.engine.begin() as connection:
        connection.execute(risklist.risk_scores.update().values(flags=None))
    back = risklist.read_risk_list(store, as_of=snapshot.as_of)
    assert back[list(FLAG_CODES)].isna().all().all()
    frame = riskview.browse_frame(back, county.tables(), county.AS_OF).set_index("enterprise_id")
    assert frame.loc["E1", "overdue_hazards"] and frame.loc["E2", "unapproved_restart"]


def test_a_store_from_before_the_flags_column_is_upgraded_and_its_lists_still_read(tmp_path) -> None:
    path = tmp_path / "old.db"
    store = open_store(f"sqlite:///{path}")
    snapshot = Snapshot.from_tables(county.tables(), county.AS_OF)
    risklist.save_risk_list(store, risklist.score_enterprises(snapshot, RuleOfThumb().fit(build_features(snapshot)), "rot"))
    with store.engine.begin() as connection:  # the store as an older program left it
        connection.execute(sa.text("ALTER TABLE risk_scores DROP COLUMN flags"))
        connection.execute(sa.text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    store.dispose()
    reopened = open_store(f"sqlite:///{path}")
    with reopened.engine.connect() as connection:
        assert "flags" in {c["name"] for c in sa.inspect(connection).get_columns("risk_scores")}
        assert connection.execute(sa.text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar() == str(SCHEMA_VERSION)
    old = risklist.read_risk_list(reopened, as_of=AsOf.parse(county.AS_OF))
    assert len(old) == 3 and old[list(FLAG_CODES)].isna().all().all()
    reopened.dispose()


def test_one_firm_rescored_keeps_its_flags_current(stored) -> None:
    """Re-scoring one firm writes its flags again, from that firm's records on the list's date."""
    store, snapshot, _ = stored
    with store.engine.begin() as connection:
        connection.execute(risklist.risk_scores.update().values(flags=None))
    write_tables(store, county.tables())
    model = RuleOfThumb().fit(build_features(snapshot))
    risklist.rescore_enterprise(store, "E2", as_of=snapshot.as_of, model=model)
    back = risklist.read_risk_list(store, as_of=snapshot.as_of).set_index("enterprise_id")
    assert back.loc["E2", "unapproved_restart"] and back.loc["E2", "hazardous_chemicals"]
    assert back.loc[["E1", "E3"], list(FLAG_CODES)].isna().all().all()
