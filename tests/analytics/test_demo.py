"""The demo command: the shipped county imported, a model serving, the list scored, accounts printed once.

Training itself is tested in tests/analytics/models; here the demo's registry is given a model first
(the scorecard fallback of the same training code, which takes seconds), so the test covers what the
demo adds: the orchestration, reuse on a second run, and the accounts.

The county imported with a model registered (``seeded_demo``) and one demo run on it (``built_demo``)
are built once per test run (tests/demo_folders.py); every test works on its own copy of the folder
(store, registry, key file), since even a login writes to the store (audit, throttle) and a second run
renews passwords.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import demo_folders
from analytics.accounts.users import get_user, verify_login
from saferank.demo import SAMPLE_AS_OF, prepare_demo
from analytics.models.registry import ModelRegistry
from analytics.models.select import train_on_tables
from analytics.operations.plans_store import list_plans, read_visits
from analytics.risk.risklist import scored_dates
from analytics.store.database import open_store, read_tables


@pytest.fixture(scope="module")
def seeded_demo(tmp_path_factory):
    """The demo folder before the demo's first run: the county imported, a model registered. Never changed."""
    return demo_folders.seeded(tmp_path_factory)


@pytest.fixture(scope="module")
def built_demo(tmp_path_factory):
    """The demo folder after one run of the demo, the seeded model's version and that run's setup. Never changed."""
    return demo_folders.built(tmp_path_factory)


def test_demo_scores_with_the_serving_model_and_prints_working_accounts(built_demo, tmp_path):
    built, version, setup = built_demo
    assert setup.db == f"sqlite:///{(built / 'saferank.db').resolve()}"
    folder = demo_folders.copy(built, tmp_path)  # the logins below write to the store (audit, throttle)

    store = open_store(f"sqlite:///{folder / 'saferank.db'}")
    assert pd.Timestamp(SAMPLE_AS_OF) in set(scored_dates(store))
    plans = list_plans(store)
    assert len(plans) == 1 and (folder / "plans" / "demo-plan.xlsx").exists()
    assert len(read_visits(store, get_user(store, "demo-inspector"), today="2026-11-20")) > 0  # the demo inspector's team has visits
    assert set(setup.passwords) == {"demo-admin", "demo-office", "demo-leader", "demo-inspector", "demo-analyst"}
    for username, password in setup.passwords.items():
        assert verify_login(store, username, password).username == username
    store.dispose()
    text_zh, text_en = setup.render("zh"), setup.render("en")
    assert "沿用" in text_zh and "reusing" in text_en and version in text_en
    assert "密码仅显示这一次" in text_zh and setup.passwords["demo-office"] in text_en


def test_a_second_run_imports_nothing_new_rescoring_nothing_and_renews_passwords(built_demo, tmp_path):
    built, _, first = built_demo
    folder = demo_folders.copy(built, tmp_path)  # its own copy: the second run renews the passwords in the store

    second = prepare_demo(folder)

    assert len(second.steps) == len(first.steps) - 2  # no scoring or planning step: the list and the plan exist
    store = open_store(second.db)
    assert len(scored_dates(store)) == 1
    assert verify_login(store, "demo-office", second.passwords["demo-office"])
    store.dispose()
    assert second.passwords["demo-office"] != first.passwords["demo-office"]


def test_cli_demo_without_serving_prints_the_accounts(seeded_demo, tmp_path):
    folder = demo_folders.copy(seeded_demo[0], tmp_path)  # a first run through the command: it scores, plans, adds accounts
    done = subprocess.run([sys.executable, "-m", "saferank.cli", "demo", "--lang", "en", "--folder", str(folder), "--no-serve"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Demo accounts" in done.stdout and "demo-inspector" in done.stdout


def test_cli_demo_refuses_a_store_of_its_own_choosing(tmp_path):
    done = subprocess.run([sys.executable, "-m", "saferank.cli", "demo", "--lang", "en", "--db", f"sqlite:///{tmp_path}/x.db",
                           "--folder", str(tmp_path / "demo"), "--no-serve"], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "--db does not apply" in done.stderr
    assert not (tmp_path / "demo").exists() and not (tmp_path / "x.db").exists()


def test_a_demo_model_that_does_not_verify_is_replaced_not_trusted(built_demo, tmp_path, monkeypatch):
    """A demo built before model files were signed (no .sig): the demo trains and serves a new model
    rather than load one it cannot authenticate. (Training here is the fast scorecard fallback.)"""
    from analytics.models import select
    from analytics.risk.risklist import read_risk_list

    built, old, _ = built_demo
    folder = demo_folders.copy(built, tmp_path)  # its own copy: this test removes a signature and retrains
    (folder / "models" / f"{old}.sig").unlink()

    def fast_training(store, as_of=None, models_dir=None, **kwargs):
        return train_on_tables(read_tables(store), as_of, ModelRegistry(models_dir), min_positives=10**9)

    monkeypatch.setattr(select, "train_models", fast_training)
    setup = prepare_demo(folder)

    registry = ModelRegistry(folder / "models")
    assert registry.serving() == f"{old}-2" and registry.load()[1]["retrained_from"] == old
    assert "cannot be verified" in setup.render("en") and "无法核验" in setup.render("zh")
    store = open_store(setup.db)
    assert set(read_risk_list(store)["model_version"]) == {f"{old}-2"}
    store.dispose()
