"""The demo's folder, built once per test run, for the test files that start from it.

``seeded``: the shipped county imported into ``saferank.db`` and a model registered in ``models/``
(the scorecard fallback of the product's training, which takes seconds), the state the demo tests give
the demo before its first run; ``built``: a copy of that folder after one ``prepare_demo``, and that
run's ``DemoSetup``. tests/analytics/test_demo.py, test_plan_practice.py and test_snapshot.py start from
these. Under pytest-xdist the first worker to ask builds the folder in the run's shared temporary
folder while the other waits on a lock (the recipe of xdist's documentation), so a run builds each once.

The returned folders are never changed: a test ``copy``-es one into its own ``tmp_path`` first (even a
login writes audit rows, and a demo run renews passwords).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from analytics.models.registry import ModelRegistry
from analytics.models.select import train_on_tables
from analytics.store.database import open_store, read_tables
from analytics.store.ingest import import_files
from saferank.demo import SAMPLE_AS_OF, SAMPLE_COUNTY, DemoSetup, prepare_demo


def give_the_demo_a_model(folder: Path) -> str:
    """The county imported and a model registered under ``folder``; the serving version."""
    folder.mkdir(parents=True)
    store = open_store(f"sqlite:///{folder / 'saferank.db'}")
    import_files(store, SAMPLE_COUNTY, export_date=SAMPLE_AS_OF)
    registry = ModelRegistry(folder / "models")
    train_on_tables(read_tables(store), SAMPLE_AS_OF, registry, min_positives=10**9)
    store.dispose()
    return registry.serving()


def copy(folder: Path, tmp_path: Path) -> Path:
    """A demo folder of the test's own: the copy keeps the key file's mode (0600), so the models verify."""
    return Path(shutil.copytree(folder, tmp_path / "demo"))


def _once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> tuple[Path, object]:
    """``build(folder)`` run once per test run (across xdist workers); the folder and what ``build`` returned."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # a worker's basetemp sits in the run's
    folder, done = shared / name / "demo", shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also when ``build`` raises
        if not done.exists():
            shutil.rmtree(folder.parent, ignore_errors=True)  # what a worker that failed half-way left
            folder.parent.mkdir()
            result = build(folder)
            done.write_bytes(pickle.dumps(result))
    return folder, pickle.loads(done.read_bytes())


def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The folder before the demo's first run (county imported, a model registered) and the model's version."""
    return _once(tmp_path_factory, "demo-seeded", give_the_demo_a_model)


def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, DemoSetup]:
    """The folder after one demo run (from a copy of ``seeded``), the seeded model's version and the run's setup."""
    before, version = seeded(tmp_path_factory)

    def build(folder: Path) -> DemoSetup:
        shutil.copytree(before, folder)
        return prepare_demo(folder)

    folder, setup = _once(tmp_path_factory, "demo-built", build)
    return folder, version, setup
