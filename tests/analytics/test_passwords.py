"""The password policy: a minimum length and a small deny list, refused in both languages wherever
a password is set (adding an account, resetting one, the command line)."""

from __future__ import annotations

import io

import pytest

from analytics.accounts import passwords
from analytics.accounts import users as accounts
from analytics.contract.errors import UserError
from analytics.store.database import open_store

REFUSED = [
    ("short", "at least 10 characters"),
    (" " * 10, "only spaces"),
    ("\t \t \t \t \t ", "only spaces"),
    ("aaaaaaaaaa", "repeated or consecutive"),
    ("1111111111111", "repeated or consecutive"),
    ("abcabcabcabc", "repeated or consecutive"),
    ("0123456789", "repeated or consecutive"),
    ("9876543210", "repeated or consecutive"),
    ("abcdefghijkl", "repeated or consecutive"),
    ("1234567890", "too common"),
    ("12345678910", "too common"),
    ("password12", "too common"),
    ("Password1234!", "too common"),
    ("p@ssw0rd2024", "too common"),
    ("qwertyuiop", "too common"),
    ("QWERTY123456", "too common"),
    ("1qaz2wsx3edc", "too common"),
    ("woaini1314520", "too common"),
    ("admin@123456", "too common"),
    ("zhangwei2024", "contain the username"),
    ("ZhangWei!!!!", "contain the username"),
    ("my-zhangwei-pass", "contain the username"),
]
ACCEPTED = ["correct-horse-battery", "password-horse-battery", "长江大桥夜景很好看啊", "R7#kq!2vLp9x", "zhang-li-2024-spring"]


@pytest.mark.parametrize(("password", "reason"), REFUSED)
def test_weak_passwords_are_refused_with_the_reason_in_both_languages(password: str, reason: str) -> None:
    with pytest.raises(UserError) as refused:
        passwords.check_password(password, "zhangwei")
    assert reason in refused.value.en
    assert refused.value.zh and refused.value.zh != refused.value.en


@pytest.mark.parametrize("password", ACCEPTED)
def test_long_uncommon_passwords_pass(password: str) -> None:
    assert passwords.password_problem(password, "zhangwei") is None


def test_a_short_username_is_refused_only_as_the_whole_password() -> None:
    assert passwords.password_problem("li-river-mountain", "li") is None
    assert passwords.password_problem("LiLiLiLiLiLi", "li") is not None  # repeated anyway


def test_random_passwords_always_pass() -> None:
    assert all(passwords.password_problem(accounts.random_password()) is None for _ in range(200))


@pytest.fixture
def store(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


@pytest.mark.parametrize(("password", "reason"), REFUSED[::4])
def test_accounts_refuse_weak_passwords_when_added_and_reset(store, password: str, reason: str) -> None:
    with pytest.raises(UserError, match=reason):
        accounts.add_user(store, "zhangwei", "office", password)
    assert accounts.list_users(store).empty
    accounts.add_user(store, "zhangwei", "office", "correct-horse-battery")
    with pytest.raises(UserError, match=reason):
        accounts.reset_password(store, "zhangwei", password)
    assert accounts.verify_login(store, "zhangwei", "correct-horse-battery").username == "zhangwei"  # unchanged


def test_the_command_line_refuses_weak_passwords_in_the_language_asked(tmp_path, monkeypatch, capsys) -> None:
    from saferank.cli import main

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("1234567890\n"))
    assert main(["users", "add", "root", "--role", "admin", "--password-stdin", "--db", db, "--lang", "en"]) == 2
    assert "too common" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("root-root-root\n"))
    assert main(["users", "add", "root", "--role", "admin", "--password-stdin", "--db", db]) == 2
    assert "密码不能包含账户名" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("correct-horse-battery\n"))
    assert main(["users", "add", "root", "--role", "admin", "--password-stdin", "--db", db]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(" " * 12 + "\n"))
    assert main(["users", "reset-password", "root", "--password-stdin", "--db", db, "--lang", "en"]) == 2
    assert "only spaces" in capsys.readouterr().err
