"""Accounts: password hashing, sign-in throttling, disabling, API tokens, the role table, demo
accounts, and an audit entry for every change. (The password policy, sessions and the throttle's
own rules: test_passwords.py, test_sessions.py, test_throttle.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from analytics.accounts import audit, throttle
from analytics.accounts import users as accounts
from analytics.contract.errors import UserError
from analytics.store.database import open_store

PASSWORD = "correct-horse-battery"


@pytest.fixture
def store(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


def _stored_hash(store, username: str) -> str:
    with store.engine.connect() as connection:
        return connection.execute(sa.select(accounts.users.c.password_hash).where(accounts.users.c.username == username)).scalar_one()


def _actions(store) -> list[str]:
    return audit.search(store)["action"].tolist()[::-1]  # oldest first


def test_passwords_are_stored_as_salted_scrypt_hashes(store) -> None:
    accounts.add_user(store, "a1", "office", PASSWORD)
    accounts.add_user(store, "a2", "office", PASSWORD)
    first, second = _stored_hash(store, "a1"), _stored_hash(store, "a2")
    assert first.startswith("scrypt:") and PASSWORD not in first
    assert first != second  # salted
    assert accounts.verify_login(store, "a1", PASSWORD) == accounts.User("a1", "office", None, "a1")


@pytest.mark.parametrize(
    ("username", "role", "password", "team"),
    [("a b", "office", PASSWORD, None), ("ok", "boss", PASSWORD, None), ("ok", "office", "short", None),
     ("ok", "inspector", PASSWORD, None), ("x", "office", PASSWORD, None)],
)
def test_bad_accounts_are_refused_with_a_message_in_both_languages(store, username, role, password, team) -> None:
    with pytest.raises(UserError) as refused:
        accounts.add_user(store, username, role, password, team=team)
    assert refused.value.zh and refused.value.en
    assert accounts.list_users(store).empty


def test_a_username_is_taken_once(store) -> None:
    accounts.add_user(store, "张三", "inspector", PASSWORD, team="第3组")
    with pytest.raises(UserError, match="already exists"):
        accounts.add_user(store, "张三", "office", PASSWORD)
    assert accounts.list_users(store)[["username", "role", "team"]].values.tolist() == [["张三", "inspector", "第3组"]]
    assert "password_hash" not in accounts.list_users(store)


def _fail(store, username: str, times: int, source: str | None = None, **kwargs) -> None:
    for _ in range(times):
        with pytest.raises(accounts.LoginRefused, match="Wrong username or password"):
            accounts.verify_login(store, username, "wrong-password", source=source, **kwargs)


def test_failed_sign_ins_slow_their_source_but_never_lock_the_owner_out(store) -> None:
    accounts.add_user(store, "a1", "office", PASSWORD)
    _fail(store, "a1", throttle.SCOPES[0].free, source="203.0.113.7")
    with pytest.raises(accounts.LoginThrottled) as throttled:  # even the right password waits here
        accounts.verify_login(store, "a1", PASSWORD, source="203.0.113.7")
    assert throttled.value.retry_after >= 1 and throttled.value.zh and "try again in" in throttled.value.en
    assert accounts.verify_login(store, "a1", PASSWORD, source="10.0.0.5").username == "a1"  # the owner, elsewhere
    later = accounts._now() + timedelta(seconds=throttled.value.retry_after + 1)
    assert accounts.verify_login(store, "a1", PASSWORD, source="203.0.113.7", now=later).username == "a1"
    failed = audit.search(store, {"action": "login_failed"})
    assert sorted(failed["details"].str.extract(r'"reason": "(\w+)"')[0]) == ["password"] * 5 + ["throttled"]


def test_each_further_failure_doubles_the_wait(store) -> None:
    accounts.add_user(store, "a1", "office", PASSWORD)
    now = accounts._now()
    free = throttle.SCOPES[0].free
    _fail(store, "a1", free, source="203.0.113.7", now=now)
    waits = []
    for _ in range(3):
        with pytest.raises(accounts.LoginThrottled) as throttled:
            accounts.verify_login(store, "a1", "wrong-password", source="203.0.113.7", now=now)
        waits.append(throttled.value.retry_after)
        now += timedelta(seconds=throttled.value.retry_after)  # wait as asked, then fail once more
        _fail(store, "a1", 1, source="203.0.113.7", now=now)
    assert waits == [1, 2, 4]


def test_a_right_password_clears_the_failures_of_its_source_and_name(store) -> None:
    accounts.add_user(store, "a1", "office", PASSWORD)
    _fail(store, "a1", throttle.SCOPES[0].free - 1)
    accounts.verify_login(store, "a1", PASSWORD)
    _fail(store, "a1", throttle.SCOPES[0].free - 1)  # counted from zero again: not throttled
    assert accounts.verify_login(store, "a1", PASSWORD).username == "a1"


def test_unknown_and_disabled_accounts_get_the_same_answer_as_a_wrong_password(store) -> None:
    accounts.add_user(store, "a1", "office", PASSWORD)
    accounts.disable_user(store, "a1")
    answers = set()
    for username in ("a1", "nobody"):
        with pytest.raises(accounts.LoginRefused) as refused:
            accounts.verify_login(store, username, PASSWORD)
        answers.add(refused.value.en)
    assert answers == {"Wrong username or password."}
    assert accounts.get_user(store, "a1") is None
    accounts.enable_user(store, "a1")
    assert accounts.get_user(store, "a1").role == "office"


def test_reset_password_replaces_the_old_one(store) -> None:
    accounts.add_user(store, "a1", "office", PASSWORD)
    new = accounts.reset_password(store, "a1")
    assert len(new) >= accounts.MIN_PASSWORD_LENGTH
    assert accounts.verify_login(store, "a1", new).username == "a1"
    with pytest.raises(accounts.LoginRefused):
        accounts.verify_login(store, "a1", PASSWORD)
    with pytest.raises(UserError):
        accounts.reset_password(store, "nobody")
    accounts.add_user(store, "wangfang", "office", PASSWORD)
    with pytest.raises(UserError, match="contain the username"):
        accounts.reset_password(store, "wangfang", "WangFang-2024!")  # the policy holds for resets too


def test_tokens_are_kept_only_as_hashes_and_stop_working_when_revoked(store) -> None:
    accounts.add_user(store, "a1", "analyst", PASSWORD)
    token_id, token = accounts.create_token(store, "a1", "scripts")
    with store.engine.connect() as connection:
        stored = connection.execute(sa.select(accounts.api_tokens)).mappings().all()
    assert token not in str(stored) and stored[0]["token_hash"] != token
    assert accounts.user_for_token(store, token).username == "a1"
    assert accounts.user_for_token(store, token + "x") is None
    assert accounts.user_for_token(store, "") is None
    accounts.revoke_token(store, token_id)
    assert accounts.user_for_token(store, token) is None
    with pytest.raises(UserError):
        accounts.revoke_token(store, token_id)  # already revoked


def test_a_disabled_account_token_stops_working_and_stays_revoked(store) -> None:
    accounts.add_user(store, "a1", "analyst", PASSWORD)
    _, token = accounts.create_token(store, "a1")
    accounts.disable_user(store, "a1")
    assert accounts.user_for_token(store, token) is None
    accounts.enable_user(store, "a1")
    assert accounts.user_for_token(store, token) is None  # enabling again does not bring it back
    assert accounts.list_tokens(store, "a1")["revoked_at"].notna().all()


def test_every_account_change_is_audited_with_its_actor(store) -> None:
    admin = accounts.add_user(store, "root", "admin", PASSWORD)
    accounts.add_user(store, "a1", "office", PASSWORD, actor=admin, source="10.0.0.9")
    accounts.disable_user(store, "a1", actor=admin)
    accounts.enable_user(store, "a1", actor=admin)
    accounts.reset_password(store, "a1", actor=admin)
    token_id, _ = accounts.create_token(store, "a1", actor=admin)
    accounts.revoke_token(store, token_id, actor=admin)
    accounts.verify_login(store, "root", PASSWORD, source="10.0.0.9")
    entries = audit.search(store).iloc[::-1]
    assert entries["action"].tolist() == [
        "user_add", "user_add", "user_disable", "user_enable", "password_reset", "token_create", "token_revoke", "login",
    ]
    assert entries["username"].tolist() == ["cli"] + ["root"] * 7
    assert entries["object_id"].tolist()[1:5] == ["a1"] * 4
    assert entries["source"].tolist()[1] == "10.0.0.9"


def test_the_role_table_separates_duties() -> None:
    perms = accounts.ROLE_PERMISSIONS
    assert perms["admin"] == {"accounts", "audit"}  # the administrator sees no lists or plans
    assert not any("accounts" in p or "audit" in p for role, p in perms.items() if role != "admin")
    assert "plans" not in perms["analyst"] and "plans_edit" not in perms["leader"]
    assert perms["inspector"] <= {"enterprise", "plans", "results_entry", "dispositions", "alerts", "alerts_edit"}
    assert "alerts" in perms["leader"] and "alerts_edit" not in perms["leader"]  # the leader reads warnings
    assert "risk_list_export" not in perms["leader"]  # the leader's list is read-only
    leader = accounts.User("l", "leader")
    assert accounts.can(leader, "overview") and not accounts.can(leader, "models") and not accounts.can(None, "overview")
    with pytest.raises(accounts.Forbidden):
        accounts.require(leader, "accounts")


def test_demo_accounts_cover_every_role_and_their_passwords_work(store) -> None:
    first = accounts.create_demo_users(store)
    second = accounts.create_demo_users(store)  # run again: new passwords, same accounts
    users = accounts.list_users(store)
    assert set(users["role"]) == set(accounts.ROLES) and len(users) == len(accounts.ROLES)
    assert all(first[name] != second[name] for name in first)
    for username, password in second.items():
        assert accounts.verify_login(store, username, password).username == username


def test_the_first_admin_is_added_from_the_command_line(tmp_path, monkeypatch, capsys) -> None:
    import io

    from saferank.cli import main

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "root", "--role", "admin", "--password-stdin", "--db", db]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "li", "--role", "inspector", "--password-stdin", "--db", db, "--lang", "en"]) == 2
    assert "needs its team" in capsys.readouterr().err
    assert main(["users", "reset-password", "root", "--db", db]) == 0
    new_password = capsys.readouterr().out.strip()
    store = open_store(db)
    assert accounts.verify_login(store, "root", new_password).role == "admin"
    assert main(["users", "disable", "root", "--db", db]) == 0
    assert main(["users", "list", "--db", db]) == 0
    assert "True" in capsys.readouterr().out


def test_a_password_given_on_stdin_is_never_printed_back(tmp_path, monkeypatch, capsys) -> None:
    import io

    from saferank.cli import main

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["users", "add", "root", "--role", "admin", "--password-stdin", "--db", db]) == 0
    chosen = "a-new-long-passphrase"
    monkeypatch.setattr("sys.stdin", io.StringIO(chosen + "\n"))
    assert main(["users", "reset-password", "root", "--password-stdin", "--db", db, "--lang", "en"]) == 0
    out, err = capsys.readouterr()
    assert chosen not in out + err and "A new password is set for root" in out
    assert accounts.verify_login(open_store(db), "root", chosen).username == "root"


def test_adding_a_user_without_a_terminal_asks_for_password_stdin(tmp_path) -> None:
    """Run as a script would (stdin not a terminal): a message and status 2, not an EOFError trace."""
    import subprocess
    import sys

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    for lang, expected in (("en", "add --password-stdin"), ("zh", "请加 --password-stdin")):
        result = subprocess.run(
            [sys.executable, "-c", "import sys; from saferank.cli import main; sys.exit(main())",
             "users", "add", "root", "--role", "admin", "--db", db, "--lang", lang],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr and "Traceback" not in result.stderr and "EOFError" not in result.stderr
    assert accounts.list_users(open_store(db)).empty
