"""The password policy: long enough, and not one of the guesses an attacker tries first.

A length alone let ten spaces, ``1234567890`` and the account's own name through. The rules, each
refused with a message in both languages that says which one applies:

=========================  =====================================================================
rule                       refused, for example
=========================  =====================================================================
at least ``MIN_LENGTH``    ``short``
not only white space       ten spaces
not one short unit         ``aaaaaaaaaa``, ``abcabcabcabc``, ``1212121212``
repeated
not a run of consecutive   ``0123456789``, ``9876543210``, ``abcdefghijk``
characters
not the account's name     ``zhangsan2024`` for the account ``zhangsan``
(or containing it)
not a common password      ``password1234``, ``Qwerty123456!``, ``1qaz2wsx3edc``, ``woaini1314520``
=========================  =====================================================================

"Common" is a stem from ``COMMON_STEMS`` with nothing but digits and punctuation around it, or
one of ``COMMON_PASSWORDS``; letters are compared case-insensitively. The lists are short on
purpose: they catch the first guesses of a sprayer, not a dictionary attack, which the slow
scrypt hash and the login throttle are for.
"""

from __future__ import annotations

import re

from analytics.contract.errors import UserError

MIN_LENGTH = 10

# Stems that make a password common when only digits and punctuation surround them.
COMMON_STEMS: frozenset[str] = frozenset(
    {
        "password", "passw0rd", "p@ssw0rd", "p@ssword", "pass", "qwerty", "qwertyuiop", "asdfgh", "asdfghjkl",
        "zxcvbn", "zxcvbnm", "1qaz2wsx", "1qaz2wsx3edc", "qazwsx", "1q2w3e4r", "1q2w3e4r5t", "1q2w3e4r5t6y",
        "iloveyou", "admin", "administrator", "root", "welcome", "letmein", "woaini", "abc", "abcd", "test",
        "changeme", "default", "secret", "saferank", "anquan", "china", "dragon", "monkey", "football",
    }
)
# Whole passwords seen at the top of leaked lists that the stem rule does not already cover.
COMMON_PASSWORDS: frozenset[str] = frozenset(
    {
        "12345678910", "1234567890", "0123456789", "1234554321", "1122334455", "5201314520",
        "1314520520", "7758521521", "147258369", "1472583690", "123123123123", "a123456789",
        "aa123456789", "abc1234567", "abcd123456", "qq123456789", "1234qwer1234",
    }
)

_AROUND = r"[\d\W_]*"  # digits, punctuation, symbols, spaces


def _common(folded: str) -> bool:
    if folded in COMMON_PASSWORDS:
        return True
    for stem in COMMON_STEMS:
        if stem in folded and re.fullmatch(_AROUND + re.escape(stem) + _AROUND, folded):
            return True
    return False


def _repeated_unit(text: str) -> bool:
    """A unit of one to three characters repeated over the whole password."""
    return any(len(text) % size == 0 and text == text[:size] * (len(text) // size) for size in (1, 2, 3))


def _consecutive(text: str) -> bool:
    """Every character one code point after (or before) the previous one: 0123..., cba..."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})


def password_problem(password: str, username: str | None = None) -> tuple[str, str] | None:
    """Why ``password`` is refused for the account ``username``, as (zh, en); None when it is fine."""
    if len(password) < MIN_LENGTH:
        return (f"密码至少需要 {MIN_LENGTH} 个字符。", f"The password needs at least {MIN_LENGTH} characters.")
    if not password.strip():
        return ("密码不能全是空格。", "The password cannot be only spaces.")
    folded = password.casefold()
    if _repeated_unit(folded) or _consecutive(folded):
        return ("密码不能是重复或连续的字符（如 aaaaaaaaaa、1234567890）。",
                "The password cannot be repeated or consecutive characters (such as aaaaaaaaaa or 1234567890).")
    name = (username or "").strip().casefold()
    if name and (folded == name or (len(name) >= 3 and name in folded)):
        return ("密码不能包含账户名。", "The password cannot contain the username.")
    if _common(folded):
        return ("这个密码太常见，容易被猜中，请换一个（如几个不相关的词组合）。",
                "This password is too common and easy to guess; choose another (for example a few unrelated words).")
    return None


def check_password(password: str, username: str | None = None) -> None:
    """Raise ``UserError`` (both languages) when ``password`` breaks the policy for ``username``."""
    if not isinstance(password, str):
        raise UserError("密码必须是文本。", "The password must be text.")
    problem = password_problem(password, username)
    if problem is not None:
        raise UserError(*problem)
