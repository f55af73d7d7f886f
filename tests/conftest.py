"""Fixtures shared by every test package: the PostgreSQL URL and paths."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PG_BASE = os.environ.get("SAFERANK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# The longest files, by the durations a fresh-clone run prints. Two workers take whole files in
# collection order (``-n 2 --dist loadfile``), and pytest collects the top-level files last: with the
# README's workflow and the wheel collected at the end, one worker ran them alone for minutes.
# the files over ~40 s of a fresh-clone run (2026-12-02: --durations summed per file), longest first;
# test_notebooks.py left the list when the notebooks' kernel runs moved into test_wheel.py (it takes < 1 s now)
LONG_FILES_FIRST = ("test_readme_workflow.py", "test_pages_browser.py", "test_wheel.py", "test_ingest.py",
                    "test_realdata_chicago.py", "test_engine_dask.py", "test_roles_browser.py",
                    "test_callbacks_browser.py", "test_pipeline.py", "test_callback_authz.py", "test_demo.py")


def pytest_collection_modifyitems(config, items) -> None:
    """Long files first, the rest in pytest's order (a stable sort), so neither worker ends alone."""
    rank = {name: place for place, name in enumerate(LONG_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def _postgres_answers() -> str | None:
    """None where PostgreSQL answers, else the reason it does not."""
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(PG_BASE, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:  # any driver or network failure means: no server to test against
        return f"PostgreSQL does not answer at {PG_BASE}: {type(error).__name__}: {error}"


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A PostgreSQL URL with a fresh schema of its own, dropped at the end of the session."""
    reason = _postgres_answers()
    if reason:
        pytest.skip(reason)
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_BASE)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()
