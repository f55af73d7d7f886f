"""The command line leaves an audit row for what it does: ``import``, ``train``, ``score``,
``models promote`` / ``rollback``, ``plan``, the exports and account changes, by ``cli:<login
name>`` (role ``cli``) from this host, done or refused."""

from __future__ import annotations

import json
import os
import socket

import pandas as pd
import pytest
from test_ingest import EXPORT, base_rows, write_set

from analytics.accounts import audit
from analytics.store.database import open_store
from saferank.cli import main


def _os_user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _entries(url: str, action: str) -> pd.DataFrame:
    return audit.search(open_store(url), {"action": action})


def _details(entry: pd.Series) -> dict:
    return json.loads(entry["details"])


def test_the_cli_actor_is_the_login_name_not_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("USER", "admin")
    monkeypatch.setenv("LOGNAME", "admin")
    actor = audit.cli_actor()
    assert (actor.username, actor.role) == (f"cli:{_os_user()}", "cli")
    assert audit.cli_source() == socket.gethostname()[:64]


def test_import_is_audited_done_and_refused(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    folder = write_set(tmp_path / "good", base_rows())
    assert main(["import", str(folder), "--db", url, "--export-date", EXPORT]) == 0
    entry = _entries(url, "import").iloc[0]
    assert (entry["username"], entry["role"], entry["object_id"]) == (f"cli:{_os_user()}", "cli", str(folder))
    assert entry["source"] == socket.gethostname()[:64]
    details = _details(entry)
    assert details["outcome"] == "done" and details["inserted"] > 0 and details["rejected"] == 0

    rows = base_rows()
    rows["enterprises"][0]["sector"] = "bakery"
    bad = write_set(tmp_path / "bad", rows)
    assert main(["import", str(bad), "--db", url, "--export-date", EXPORT]) != 0
    capsys.readouterr()
    refused = _entries(url, "import")
    assert len(refused) == 2 and refused.iloc[0]["object_id"] == str(bad)
    assert _details(refused.iloc[0])["outcome"] == "refused" and _details(refused.iloc[0])["reason"]


def test_train_score_promote_and_rollback_are_audited(tmp_path, capsys) -> None:
    from sklearn.dummy import DummyClassifier

    from analytics.models.registry import ModelRegistry
    from analytics.simulate import simulate_county
    from analytics.store.writing import write_tables

    url = f"sqlite:///{tmp_path / 'store.db'}"
    county = simulate_county(enterprises=500, seed=4)
    write_tables(open_store(url), {name: county.tables[name] for name in ("towns", "enterprises")})
    models = str(tmp_path / "models")
    assert main(["train", "--db", url, "--as-of", "2026-09-30", "--models", models, "--origins", "1"]) == 0
    trained = _entries(url, "train").iloc[0]
    version = _details(trained)["version"]
    assert trained["username"] == f"cli:{_os_user()}" and _details(trained)["outcome"] == "done"
    assert version in ModelRegistry(models).names()

    assert main(["score", "--db", url, "--as-of", "2026-09-30", "--models", models]) == 0
    scored = _details(_entries(url, "score").iloc[0])
    assert scored["outcome"] == "done" and scored["model_version"] == version and scored["rows"] > 0

    other = ModelRegistry(models).register(DummyClassifier().fit([[0], [1]], [0, 1]), {"version": "v-other", "model": "dummy"},
                                           promote_if_first=False)["version"]
    assert main(["models", "promote", other, "--models", models, "--db", url]) == 0
    promoted = _entries(url, "promote").iloc[0]
    assert promoted["object_id"] == other and promoted["role"] == "cli"
    assert {"outcome": "done", "serving_before": version, "serving": other}.items() <= _details(promoted).items()

    assert main(["models", "promote", "../outside/evil", "--models", models, "--db", url]) != 0
    refused = _entries(url, "promote").iloc[0]
    assert refused["object_id"] == "../outside/evil" and _details(refused)["outcome"] == "refused"
    assert _details(refused)["reason"]
    assert ModelRegistry(models).serving() == other

    assert main(["models", "rollback", "--models", models, "--db", url]) == 0
    rolled = _details(_entries(url, "rollback").iloc[0])
    assert rolled["outcome"] == "done" and rolled["serving"] == version
    capsys.readouterr()


def test_plan_and_exports_are_audited(tmp_path, capsys) -> None:
    import plan_county

    store, _ = plan_county.stored(f"sqlite:///{tmp_path / 'plan.db'}")
    url = store.url
    assert main(["plan", "--db", url, "--seed", "5", "--days", "3", "--out", str(tmp_path / "plan.xlsx")]) == 0
    entry = _entries(url, "plan").iloc[0]
    details = _details(entry)
    assert entry["username"] == f"cli:{_os_user()}" and details["outcome"] == "done" and details["seed"] == 5
    assert details["visits"] > 0 and details["xlsx"] == str(tmp_path / "plan.xlsx")
    from analytics.operations.plans_store import list_plans

    plans = list_plans(store)
    assert details["plan_id"] in set(plans["plan_id"])
    assert set(plans["created_by"]) == {f"cli:{_os_user()}"}

    assert main(["places", "--db", url, "--out", str(tmp_path / "places.xlsx")]) == 0
    assert main(["people", "--db", url, "--out", str(tmp_path / "people.xlsx")]) == 0
    exports = _entries(url, "export_list")
    assert exports["object_id"].tolist() == ["people", "places"]
    assert all(_details(e)["outcome"] == "done" for _, e in exports.iterrows())
    capsys.readouterr()
    store.dispose()


def test_account_changes_from_the_cli_name_the_os_user(tmp_path, monkeypatch, capsys) -> None:
    import io

    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("a-Long-enough-passphrase-7\n"))
    assert main(["users", "add", "zhang", "--role", "office", "--password-stdin", "--db", url]) == 0
    assert main(["users", "disable", "zhang", "--db", url]) == 0
    entries = audit.search(open_store(url), {"action": ["user_add", "user_disable"]})
    assert set(entries["username"]) == {f"cli:{_os_user()}"} and set(entries["role"]) == {"cli"}
    capsys.readouterr()


@pytest.mark.parametrize("command", [["plan"], ["places", "--out", "x.xlsx"]])
def test_a_refused_command_is_audited_as_refused(tmp_path, capsys, command) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main([*command, "--db", url]) != 0  # no risk list yet
    action = "plan" if command[0] == "plan" else "export_list"
    entry = _entries(url, action).iloc[0]
    assert _details(entry)["outcome"] == "refused" and entry["username"] == f"cli:{_os_user()}"
    capsys.readouterr()
