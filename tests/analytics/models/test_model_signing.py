"""Model files are authenticated by a key kept outside the models folder, before anything is unpickled.

The attack of issue 21 (item 3): a joblib file whose unpickling runs code (here: it creates a marker
file), put in place of a version's model file with the card's SHA-256 updated to match. Also: a
file re-signed with another key, cards swapped between versions, promotion by path (item 15), and a
retrain that reuses a version id (item 18).
"""

import hashlib
import json
import os
import pathlib
import stat

import joblib
import pytest

from analytics.accounts import audit
from analytics.contract.errors import UserError
from analytics.models import key_admin, signing
from analytics.models.registry import ModelRegistry
from analytics.store.database import open_store

CARD = {"model": "logistic", "trained_as_of": "2026-06-30", "seed": 0,
        "metrics": {"logistic": {"precision_at_capacity": 0.4, "brier": 0.1}}}


class Payload:
    """Unpickling this object creates ``marker``: the stand-in for any code an attacker wants run."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


@pytest.fixture
def root(tmp_path):
    return tmp_path / "models"


@pytest.fixture
def registry(root, fitted):
    registry = ModelRegistry(root)
    registry.register(fitted["logistic"], {**CARD, "version": "v1"})
    return registry


def plant(root: pathlib.Path, version: str, marker: pathlib.Path) -> None:
    """What the attacker did: a code-carrying model file, and the card's sha256 updated to match it."""
    joblib.dump(Payload(marker), root / f"{version}.joblib", compress=3)
    card = json.loads((root / f"{version}.json").read_text(encoding="utf-8"))
    card["sha256"] = hashlib.sha256((root / f"{version}.joblib").read_bytes()).hexdigest()
    (root / f"{version}.json").write_text(json.dumps(card), encoding="utf-8")


def test_the_payload_runs_its_code_when_unpickled(tmp_path):
    """The control: without the signature check this file does run code."""
    marker = tmp_path / "ran"
    joblib.dump(Payload(marker), tmp_path / "evil.joblib")
    joblib.load(tmp_path / "evil.joblib")
    assert marker.exists()


def test_an_honest_model_loads_and_its_key_is_kept_outside_the_models_folder(registry, root, fitted, data):
    model, card = registry.load()
    assert (model.predict_proba(data[0]) == fitted["logistic"].predict_proba(data[0])).all()
    key_file = root.parent / ".model_key"
    assert key_file.exists() and not any(p.name.startswith(".model_key") for p in root.iterdir())
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    signature = json.loads((root / "v1.sig").read_text())
    assert signature["algorithm"] == "HMAC-SHA256" and signature["version"] == "v1"
    assert registry.signature_state("v1") == "valid"


@pytest.mark.parametrize("signature", ["kept", "removed", "forged"])
def test_a_code_carrying_model_with_an_updated_card_is_refused_before_unpickling(registry, root, tmp_path, signature):
    marker = tmp_path / "ran"
    plant(root, "v1", marker)
    if signature == "removed":
        (root / "v1.sig").unlink()
    elif signature == "forged":  # the attacker's own signature, with a key the attacker made up
        forged = signing.SigningKey(b"attacker-" + b"k" * 40, "attacker")
        model_bytes, card = registry.read_version("v1")
        (root / "v1.sig").write_bytes(signing.signature_file(forged, "v1", model_bytes, card))
    with pytest.raises(UserError) as error:
        registry.load()
    assert "v1.joblib" in error.value.zh and "v1.joblib" in error.value.en
    assert not marker.exists()


def test_a_model_re_signed_with_another_key_is_refused(registry, root, tmp_path, fitted):
    other = ModelRegistry(root, key_file=tmp_path / "elsewhere" / "other.key")
    other.write_signature("v1", signing.ensure_key(root, tmp_path / "elsewhere" / "other.key"))
    assert other.load()[1]["version"] == "v1"  # valid under the other key: the signature itself is sound
    with pytest.raises(UserError) as error:
        registry.load()
    assert "密钥" in error.value.zh and "key" in error.value.en


def test_cards_and_files_cannot_move_between_versions(registry, root, fitted):
    registry.register(fitted["boosted"], {**CARD, "model": "boosted", "version": "v2"})
    (root / "v1.json").write_bytes((root / "v2.json").read_bytes())
    with pytest.raises(UserError):
        registry.load("v1")
    for suffix in (".joblib", ".json", ".sig"):  # v2 as a whole, under the name v1
        os.replace(root / f"v2{suffix}", root / f"v1{suffix}")
    with pytest.raises(UserError):
        registry.load("v1")


def test_without_the_key_nothing_loads(registry, root):
    (root.parent / ".model_key").unlink()
    with pytest.raises(UserError) as error:
        registry.load()
    assert signing.KEY_ENV in error.value.en and "v1.joblib" in error.value.en


def test_the_key_from_the_environment_and_where_a_key_may_not_be(root, fitted, monkeypatch, tmp_path):
    monkeypatch.setenv(signing.KEY_ENV, "e" * 40)
    registry = ModelRegistry(root)
    registry.register(fitted["logistic"], {**CARD, "version": "v1"})
    assert not (root.parent / ".model_key").exists() and registry.load()[1]["version"] == "v1"
    monkeypatch.setenv(signing.KEY_ENV, "short")
    with pytest.raises(UserError):
        registry.load()
    monkeypatch.delenv(signing.KEY_ENV)
    with pytest.raises(UserError) as error:  # a key inside the models folder authenticates nothing
        ModelRegistry(root, key_file=root / "key").register(fitted["logistic"], {**CARD, "version": "v2"})
    assert "inside the models folder" in error.value.en
    loose = tmp_path / "loose.key"
    signing.write_key_file(loose, "l" * 40)
    loose.chmod(0o644)
    with pytest.raises(UserError) as error:
        ModelRegistry(root, key_file=loose).load()
    assert "chmod 600" in error.value.en


# --- item 15: promotion by version name only ------------------------------------------------
@pytest.mark.parametrize("name", ["../outside/evil", "/tmp/evil", "..", "v1/../v1", "v1\\x", ".v1", "serving", "", "v 1"])
def test_promotion_takes_a_version_name_only(registry, root, fitted, name):
    outside = ModelRegistry(root.parent / "outside", key_file=root.parent / ".model_key")
    outside.register(fitted["boosted"], {**CARD, "version": "evil"})  # even a validly signed file outside
    before = (root / "serving.json").read_bytes()
    with pytest.raises(UserError):
        registry.promote(name)
    assert (root / "serving.json").read_bytes() == before


def test_promotion_refuses_an_unknown_or_unsigned_version_and_a_forged_pointer_loads_nothing(registry, root, fitted,
                                                                                             tmp_path):
    registry.register(fitted["boosted"], {**CARD, "version": "v2"})
    before = (root / "serving.json").read_bytes()
    with pytest.raises(UserError):
        registry.promote("v3")
    plant(root, "v2", tmp_path / "ran")
    with pytest.raises(UserError) as error:
        registry.promote("v2")
    assert "v2.joblib" in error.value.en and (root / "serving.json").read_bytes() == before
    (root / "serving.json").write_text(json.dumps({"serving": "../outside/evil", "history": []}))
    with pytest.raises(UserError):
        registry.load()
    assert not (tmp_path / "ran").exists()


def test_cli_promote_refuses_a_path(registry, root, capsys):
    from saferank.cli import main

    before = (root / "serving.json").read_bytes()
    assert main(["models", "promote", "../outside/evil", "--models", str(root), "--lang", "en"]) == 2
    assert "not a model version name" in capsys.readouterr().err
    assert (root / "serving.json").read_bytes() == before


# --- item 18: a version, once written, never changes ------------------------------------------
def test_registering_an_existing_version_id_writes_a_new_version(registry, root, fitted):
    written = {p.name: p.read_bytes() for p in root.iterdir() if p.name.startswith("v1.")}
    again = registry.register(fitted["boosted"], {**CARD, "model": "boosted", "version": "v1"})
    third = registry.register(fitted["boosted"], {**CARD, "model": "boosted", "version": "v1"})
    assert (again["version"], third["version"]) == ("v1-2", "v1-3") and again["retrained_from"] == "v1"
    assert {p.name: p.read_bytes() for p in root.iterdir() if p.name.startswith("v1.")} == written
    assert registry.serving() == "v1" and registry.load()[1]["model"] == "logistic"
    assert registry.load("v1-2")[1]["model"] == "boosted"


# --- the administrator's commands: signing old versions, rotating the key ------------------------
def _legacy(root: pathlib.Path, version: str) -> None:
    """A version as written before signing existed: no .sig."""
    (root / f"{version}.sig").unlink()


def test_sign_signs_only_unsigned_unchanged_versions_after_confirmation_and_audits(registry, root, fitted, tmp_path):
    registry.register(fitted["boosted"], {**CARD, "version": "v2"})
    registry.register(fitted["boosted"], {**CARD, "version": "v3"})
    _legacy(root, "v1")
    _legacy(root, "v2")
    plant(root, "v2", tmp_path / "ran")  # unsigned and replaced: its card's hash was updated too
    card = json.loads((root / "v3.json").read_text())
    (root / "v3.json").write_text(json.dumps({**card, "notes": {"en": "changed"}}))  # signed, then changed
    plan = key_admin.signing_plan(registry)
    assert [row["version"] for row in plan.to_sign] == ["v1", "v2"]  # v2's card agrees with its file
    assert dict(plan.refused) == {"v3": "invalid"}
    assert plan.to_sign[0]["sha256"] in plan.render("en")
    store = open_store(f"sqlite:///{tmp_path / 'audit.db'}")
    key_admin.sign_versions(registry, key_admin.signing_plan(registry, ["v1"]), store)
    assert registry.load("v1")[1]["version"] == "v1"
    rows = audit.search(store, {"action": "model_sign"})
    assert rows["object_id"].tolist() == ["v1"]
    assert not (tmp_path / "ran").exists()


def test_sign_refuses_a_version_changed_after_the_administrator_saw_it(registry, root, fitted, tmp_path):
    _legacy(root, "v1")
    plan = key_admin.signing_plan(registry)
    plant(root, "v1", tmp_path / "ran")
    with pytest.raises(UserError):
        key_admin.sign_versions(registry, plan, open_store(f"sqlite:///{tmp_path / 'audit.db'}"))
    assert not (root / "v1.sig").exists()


def test_cli_sign_asks_for_confirmation(registry, root, tmp_path, monkeypatch, capsys):
    from saferank.cli import main

    _legacy(root, "v1")
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setattr("builtins.input", lambda prompt="": "no")
    assert main(["models", "sign", "--models", str(root), "--db", db, "--lang", "en"]) == 2
    assert not (root / "v1.sig").exists()
    monkeypatch.setattr("builtins.input", lambda prompt="": "yes")
    assert main(["models", "sign", "--models", str(root), "--db", db, "--lang", "en"]) == 0
    assert "Signed: v1." in capsys.readouterr().out and registry.load()[1]["version"] == "v1"


def test_rotation_re_signs_what_verifies_and_leaves_the_rest_refused(registry, root, fitted, tmp_path):
    registry.register(fitted["boosted"], {**CARD, "version": "v2"})
    registry.register(fitted["boosted"], {**CARD, "version": "v3"})
    plant(root, "v3", tmp_path / "ran")
    old = signing.read_key(root)
    store = open_store(f"sqlite:///{tmp_path / 'audit.db'}")
    plan = key_admin.rotation_plan(registry)
    assert plan.resign == ["v1", "v2"] and plan.left == [("v3", "invalid")]
    key_admin.rotate_key(registry, plan, store)
    new = signing.read_key(root)
    assert new.secret != old.secret and not (root.parent / ".model_key.new").exists()
    assert registry.load("v1")[1]["version"] == "v1" and registry.load("v2")[1]["version"] == "v2"
    with pytest.raises(UserError):
        registry.load("v3")
    assert not (tmp_path / "ran").exists()
    entry = audit.search(store, {"action": "model_key_rotate"}).iloc[0]
    assert entry["object_id"] == new.key_id and json.loads(entry["details"])["resigned"] == ["v1", "v2"]


def test_an_interrupted_rotation_is_finished_by_running_it_again(registry, root, fitted, tmp_path, monkeypatch):
    registry.register(fitted["boosted"], {**CARD, "version": "v2"})
    store = open_store(f"sqlite:///{tmp_path / 'audit.db'}")
    real = ModelRegistry.write_signature
    calls = []

    def crash_on_second(self, version, key, **kwargs):
        calls.append(version)
        if len(calls) == 2:
            raise OSError("power cut")
        real(self, version, key, **kwargs)

    monkeypatch.setattr(ModelRegistry, "write_signature", crash_on_second)
    with pytest.raises(OSError):
        key_admin.rotate_key(registry, key_admin.rotation_plan(registry), store)
    monkeypatch.undo()
    pending = root.parent / ".model_key.new"
    assert pending.exists()
    again = key_admin.rotation_plan(registry)
    assert again.done == ["v1"] and again.resign == ["v2"]
    key_admin.rotate_key(registry, again, store)
    assert registry.load("v1") and registry.load("v2") and not pending.exists()


def test_rotation_with_only_some_versions_and_with_the_key_in_the_environment(root, fitted, tmp_path, monkeypatch):
    monkeypatch.setenv(signing.KEY_ENV, "a" * 40)
    registry = ModelRegistry(root)
    registry.register(fitted["logistic"], {**CARD, "version": "v1"})
    registry.register(fitted["boosted"], {**CARD, "version": "v2"})
    with pytest.raises(UserError) as error:  # this process cannot change the variable: the admin gives the key
        key_admin.rotation_plan(registry)
    assert "--new-key-stdin" in error.value.en
    plan = key_admin.rotation_plan(registry, "b" * 40, only=["v2"])
    assert plan.resign == ["v2"] and plan.left == [("v1", "not_chosen")] and "v1" in plan.render("en")
    key_admin.rotate_key(registry, plan, open_store(f"sqlite:///{tmp_path / 'audit.db'}"))
    monkeypatch.setenv(signing.KEY_ENV, "b" * 40)
    assert registry.load("v2")[1]["version"] == "v2"
    with pytest.raises(UserError):
        registry.load("v1")


def test_cli_score_refuses_the_planted_model_before_it_runs(registry, root, tmp_path, capsys):
    from saferank.cli import main

    marker = tmp_path / "ran"
    plant(root, "v1", marker)
    db = f"sqlite:///{tmp_path / 'store.db'}"
    status = main(["score", "--db", db, "--models", str(root), "--as-of", "2026-06-30", "--lang", "en"])
    assert not marker.exists()
    assert status == 2 and "v1.joblib" in capsys.readouterr().err
