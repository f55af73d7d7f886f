"""The model registry: cards, integrity checks, atomic promotion and rollback."""

import json
import os

import pytest

from analytics.contract.errors import UserError
from analytics.models import signing
from analytics.models.learned import LogisticModel
from analytics.models.registry import ModelRegistry, data_fingerprint, models_root


def register(registry, fitted, version, **extra):
    card = {"version": version, "model": "logistic", "trained_as_of": "2026-06-30", "seed": 0,
            "metrics": {"logistic": {"precision_at_capacity": 0.4, "brier": 0.1}}, **extra}
    return registry.register(fitted["logistic"], card)


def test_first_version_serves_and_loads_with_its_card(tmp_path, fitted, data):
    registry = ModelRegistry(tmp_path)
    card = register(registry, fitted, "v1")
    assert registry.serving() == "v1"
    model, loaded = registry.load()
    assert loaded["sha256"] == card["sha256"] and "scikit-learn" in loaded["libraries"]
    assert isinstance(model, LogisticModel)
    assert (model.predict_proba(data[0]) == fitted["logistic"].predict_proba(data[0])).all()
    text = registry.card_text("v1")
    assert "模型卡" in text and "Backtest metrics" in text


def test_later_versions_are_candidates_until_promoted_and_rollback_returns(tmp_path, fitted):
    registry = ModelRegistry(tmp_path)
    register(registry, fitted, "v1")
    register(registry, fitted, "v2")
    assert registry.serving() == "v1"
    assert dict(zip(registry.versions()["version"], registry.versions()["status"], strict=False)) == {"v1": "serving", "v2": "candidate"}
    registry.promote("v2")
    assert registry.serving() == "v2"
    assert registry.rollback() == "v1"
    assert registry.serving() == "v1"
    with pytest.raises(UserError):
        registry.rollback()


def test_tampered_model_file_is_refused(tmp_path, fitted):
    registry = ModelRegistry(tmp_path)
    register(registry, fitted, "v1")
    with open(tmp_path / "v1.joblib", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(UserError) as error:
        registry.load("v1")
    assert "v1.joblib" in error.value.zh and "signature" in error.value.en


def test_card_from_another_scikit_learn_minor_version_is_refused(tmp_path, fitted):
    registry = ModelRegistry(tmp_path)
    register(registry, fitted, "v1")
    card = json.loads((tmp_path / "v1.json").read_text())
    card["libraries"]["scikit-learn"] = "0.24.2"
    (tmp_path / "v1.json").write_text(json.dumps(card))
    registry.write_signature("v1", signing.read_key(registry.root))  # an authentic card of an old install
    with pytest.raises(UserError) as error:
        registry.load("v1")
    assert "0.24.2" in error.value.en


def test_a_crash_during_promotion_leaves_the_previous_model_serving(tmp_path, fitted, monkeypatch):
    registry = ModelRegistry(tmp_path)
    register(registry, fitted, "v1")
    register(registry, fitted, "v2")

    def crash(*args, **kwargs):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        registry.promote("v2")
    monkeypatch.undo()
    assert registry.serving() == "v1"
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_unknown_version_and_empty_registry_are_user_errors(tmp_path):
    registry = ModelRegistry(tmp_path)
    with pytest.raises(UserError):
        registry.promote("nope")
    with pytest.raises(UserError):
        registry.load()


def test_root_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFERANK_MODELS", str(tmp_path))
    assert models_root() == tmp_path


def test_fingerprint_ignores_row_order_and_sees_changes(data):
    X = data[0].reset_index()
    assert data_fingerprint({"t": X}) == data_fingerprint({"t": X.iloc[::-1]})
    assert data_fingerprint({"t": X}) != data_fingerprint({"t": X.head(10)})
