"""The ``store`` fixture shared by the store and import tests: a clean store per test, on SQLite
(a temporary file) and on PostgreSQL (a fresh schema per test; skipped with the reason where the
server does not answer). Import it into a test module: ``from test_store_backends import store``."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from analytics.store.database import open_store


def _fresh_schema(pg_url: str):
    base = pg_url.split("?", 1)[0]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    return engine, schema, f"{base}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """The URL of an empty store of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    engine, schema, url = _fresh_schema(request.getfixturevalue("pg_url"))
    yield url
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def store(store_url):
    opened = open_store(store_url)
    yield opened
    opened.dispose()
