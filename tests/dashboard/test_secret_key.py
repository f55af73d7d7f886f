"""The session key: without ``SAFERANK_SECRET_KEY`` it is made once and kept in the data folder
beside the store, readable by its owner only; never written beside the installed package."""

from __future__ import annotations

import pytest

from analytics.contract.errors import UserError
from dashboard import app as app_module


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch) -> None:
    monkeypatch.delenv("SAFERANK_SECRET_KEY", raising=False)
    monkeypatch.delenv("SAFERANK_HOME", raising=False)


def test_the_key_file_is_made_beside_a_sqlite_store_for_its_owner_only(tmp_path) -> None:
    folder = tmp_path / "office-data"
    url = f"sqlite:///{folder / 'saferank.db'}"
    key = app_module._secret_key(None, url)
    path = folder / app_module.SECRET_FILE_NAME
    assert path.read_text() == key and len(key) >= 64
    assert path.stat().st_mode & 0o777 == 0o600
    assert app_module.PACKAGE.parent not in path.parents
    assert app_module._secret_key(None, url) == key  # kept: sessions survive a restart


def test_other_stores_keep_it_in_saferank_home_else_data_under_the_working_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert app_module.secret_file("postgresql://app@db/saferank") == tmp_path / "data" / app_module.SECRET_FILE_NAME
    assert app_module.secret_file("sqlite://") == tmp_path / "data" / app_module.SECRET_FILE_NAME  # in memory
    monkeypatch.setenv("SAFERANK_HOME", str(tmp_path / "home"))
    assert app_module.secret_file("postgresql://app@db/saferank") == tmp_path / "home" / app_module.SECRET_FILE_NAME


def test_a_configured_key_writes_no_file(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'saferank.db'}"
    assert app_module._secret_key("configured-" + "k" * 40, url).startswith("configured-")
    monkeypatch.setenv("SAFERANK_SECRET_KEY", "from-env-" + "k" * 40)
    assert app_module._secret_key(None, url).startswith("from-env-")
    assert not (tmp_path / app_module.SECRET_FILE_NAME).exists()


def test_a_key_file_readable_by_others_is_narrowed_and_an_empty_one_refused(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'saferank.db'}"
    path = tmp_path / app_module.SECRET_FILE_NAME
    path.write_text("an-older-key-" + "k" * 40)
    path.chmod(0o644)
    assert app_module._secret_key(None, url).startswith("an-older-key-")
    assert path.stat().st_mode & 0o777 == 0o600
    path.write_text("  \n")
    with pytest.raises(UserError) as refused:
        app_module._secret_key(None, url)
    assert "empty" in refused.value.en and "空" in refused.value.zh


def test_servers_starting_at_once_share_one_key(tmp_path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url = f"sqlite:///{tmp_path / 'saferank.db'}"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: app_module._secret_key(None, url), range(16)))
    assert len(keys) == 1 and [p.name for p in tmp_path.iterdir()] == [app_module.SECRET_FILE_NAME]
