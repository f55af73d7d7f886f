"""A first run that never strands anyone (issue 17 item 6): ``serve`` says where it is and how to make
the first administrator, refuses a busy port in both languages with exit 2 (no "running" claim, no
``OSError`` trace), argparse's own errors read in the chosen language, ``places``/``people`` run bare,
and the README's feature count is the registry's."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.features.registry import FEATURES
from saferank.cli import chosen_language, main, usage_error_zh

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "import sys; from saferank.cli import main; sys.exit(main())"]


def _run(args: list[str], cwd: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("SAFERANK_LANG", "SAFERANK_DB", "SAFERANK_PORT")}
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env={**environment, "PYTHONPATH": str(ROOT), **env})


@pytest.fixture
def busy_port():
    """A port something else listens on for the test's duration."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("prod", [False, True])
def test_serve_refuses_a_busy_port_in_both_languages_with_exit_2(tmp_path, busy_port, prod) -> None:
    for lang, expected in (("zh", f"端口 {busy_port} 已被占用"), ("en", f"Port {busy_port} is already in use")):
        result = _run(["serve", "--port", str(busy_port), "--lang", lang, *(["--prod"] if prod else [])], tmp_path)
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr and "--port" in result.stderr
        assert "Traceback" not in result.stderr and "OSError" not in result.stderr
        assert "Dash is running" not in result.stdout + result.stderr and "Serving on" not in result.stdout + result.stderr
    assert not (tmp_path / "data").exists()  # refused before the store was made


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve_until_address(tmp_path: Path, lang: str) -> tuple[str, str]:
    """Start ``saferank serve --prod`` on a fresh store (port from $SAFERANK_PORT), read its output up
    to the first-admin hint, fetch the sign-in page from the printed address, stop it; the output and
    the page's status."""
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if k not in ("SAFERANK_LANG", "SAFERANK_DB")}
    process = subprocess.Popen([*CLI, "serve", "--prod", "--lang", lang], cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
                               env={**environment, "PYTHONPATH": str(ROOT), "SAFERANK_PORT": str(port)})
    try:
        lines: list[str] = []
        while not lines or "users add" not in lines[-1]:
            line = process.stdout.readline()  # the hint follows the address at once; EOF if it died
            assert line, "".join(lines)
            lines.append(line)
        output = "".join(lines)
        url = re.search(r"http://\S+", output)
        assert url and url.group(0) == f"http://127.0.0.1:{port}/", output
        for _ in range(100):
            try:
                with urllib.request.urlopen(url.group(0) + "login", timeout=5) as response:
                    return output, str(response.status)
            except OSError:
                time.sleep(0.2)
        raise AssertionError("the printed address never answered")
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_prints_its_address_and_how_to_create_the_first_admin(tmp_path) -> None:
    output, status = _serve_until_address(tmp_path, "zh")
    assert status == "200"
    assert "SafeRank 已启动" in output and "尚无管理员账号" in output
    assert "saferank users add <用户名> --role admin" in output
    output, _ = _serve_until_address(tmp_path, "en")
    assert "SafeRank is serving at" in output and "saferank users add <username> --role admin" in output


def test_serve_says_nothing_of_a_first_admin_once_one_exists(tmp_path) -> None:
    from dashboard.app import create_app
    from dashboard.serve import first_admin_hint

    from analytics.accounts.users import add_user, disable_user
    from analytics.store.database import open_store

    url = f"sqlite:///{tmp_path / 'store.db'}"
    add_user(open_store(url), "clerk", "office", "a-long-enough-passphrase")
    app = create_app({"db": url})
    assert "--role admin --db " + url in first_admin_hint(app, url, "en")
    add_user(open_store(url), "chief", "admin", "a-long-enough-passphrase")
    assert first_admin_hint(app, url, "zh") is None
    disable_user(open_store(url), "chief")
    assert first_admin_hint(app, url, "zh") is not None


@pytest.mark.parametrize(("argv", "env", "expected", "unexpected"), [
    (["import"], {}, "缺少必需的参数：source", "the following arguments are required"),
    (["import", "--lang", "en"], {}, "the following arguments are required: source", "缺少"),
    (["import"], {"SAFERANK_LANG": "en"}, "the following arguments are required: source", "缺少"),
    (["plan", "--days", "x"], {}, "参数 --days：'x' 不是整数", "invalid int value"),
    (["frob"], {}, "命令：'frob' 不是可选值", "invalid choice"),
    (["users", "--lang=en", "frob"], {"SAFERANK_LANG": "zh"}, "invalid choice: 'frob'", "不是可选值"),
    (["score", "--bogus"], {}, "无法识别的参数：--bogus", "unrecognized"),
    (["serve"], {"SAFERANK_PORT": "abc"}, "参数 --port：'abc' 不是整数", "Traceback"),
])
def test_argparse_errors_read_in_the_chosen_language(argv, env, expected, unexpected, monkeypatch, capsys) -> None:
    monkeypatch.delenv("SAFERANK_LANG", raising=False)
    monkeypatch.delenv("SAFERANK_PORT", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert expected in err and unexpected not in err and "--help" in err


def test_the_language_is_the_last_lang_then_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("SAFERANK_LANG", "en")
    assert chosen_language([]) == "en" and chosen_language(["--lang", "zh"]) == "zh"
    assert chosen_language(["--lang=zh", "x", "--lang", "en"]) == "en"
    monkeypatch.setenv("SAFERANK_LANG", "fr")
    assert chosen_language(["--lang", "fr"]) == "zh"
    assert usage_error_zh("something argparse never said") == "something argparse never said"


def test_places_and_people_need_no_out(tmp_path, monkeypatch, capsys) -> None:
    """As the README shows them: bare, written under data/lists/ with the list's date."""
    import plan_county

    store, _ = plan_county.stored(f"sqlite:///{tmp_path / 'plan.db'}")
    monkeypatch.chdir(tmp_path)
    for which in ("places", "people"):
        assert main([which, "--db", store.url]) == 0
        written = sorted((tmp_path / "data" / "lists").glob(f"{which}-*.xlsx"))
        assert len(written) == 1 and str(Path("data") / "lists" / written[0].name) in capsys.readouterr().out


def test_the_readme_feature_count_is_the_registry_s() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Features, labels and the backtest", 1)[1].split("\n## ", 1)[0]
    counts = {int(n) for n in re.findall(r"(\d+) features\b", section)}
    assert counts == {len(FEATURES)}, (counts, len(FEATURES))


def test_score_lang_en_writes_english_reasons_in_the_list_csv(tmp_path, capsys) -> None:
    import pandas as pd
    import plan_county

    from analytics.models.registry import ModelRegistry

    store, model = plan_county.stored(f"sqlite:///{tmp_path / 'plan.db'}")
    ModelRegistry(tmp_path / "models").register(model, {"version": "rule-1", "model": "rule_of_thumb"})
    reasons = {}
    for lang in ("zh", "en"):
        out = tmp_path / f"list-{lang}.csv"
        assert main(["score", "--db", store.url, "--models", str(tmp_path / "models"), "--as-of", "2026-03-01",
                     "--out", str(out), "--lang", lang]) == 0
        reasons[lang] = " ".join(pd.read_csv(out, encoding="utf-8-sig")["reasons"].dropna())
    capsys.readouterr()
    assert re.search(r"[\u4e00-\u9fff]", reasons["zh"]) and "Handles hazardous chemicals" in reasons["en"]
    assert not re.search(r"[\u4e00-\u9fff]", reasons["en"])


_WORDS = st.sampled_from(["--lang", "--lang=en", "--lang=zh", "--lang=fr", "en", "zh", "fr", "import", "x", "--db"])


@given(argv=st.lists(_WORDS, max_size=8), env=st.sampled_from(["", "en", "zh", "EN", "de"]))
@settings(max_examples=300, deadline=None)
def test_the_chosen_language_is_the_last_valid_lang_else_the_environment(argv, env) -> None:
    """Property: the last ``--lang X`` / ``--lang=X`` with X in zh/en wins; else $SAFERANK_LANG if valid; else zh."""
    expected = env.lower() if env.lower() in ("zh", "en") else "zh"
    for position, word in enumerate(argv):
        value = word[len("--lang="):] if word.startswith("--lang=") else (
            argv[position + 1] if word == "--lang" and position + 1 < len(argv) else None)
        if value in ("zh", "en"):
            expected = value
    previous = os.environ.get("SAFERANK_LANG")
    os.environ["SAFERANK_LANG"] = env
    try:
        assert chosen_language(argv) == expected
    finally:
        if previous is None:
            del os.environ["SAFERANK_LANG"]
        else:
            os.environ["SAFERANK_LANG"] = previous


@given(name=st.from_regex(r"--[a-z][a-z-]{0,12}", fullmatch=True), value=st.text(min_size=1, max_size=12))
@settings(max_examples=200, deadline=None)
def test_every_argparse_error_of_a_value_reads_in_chinese(name, value) -> None:
    """Property: argparse's own messages about an option's value come back in Chinese, naming the option."""
    for message in (f"argument {name}: invalid int value: {value!r}", f"argument {name}: expected one argument",
                    f"argument {name}: invalid choice: {value!r} (choose from 'a', 'b')"):
        translated = usage_error_zh(message)
        assert translated.startswith(f"参数 {name}：") and "argument" not in translated.replace(value, "")
