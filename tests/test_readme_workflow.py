"""Every command of the README's "The office's workflow" block runs as written (issue 17 item 6).

The commands are parsed from README.md itself, so the README and this test cannot drift apart. They
run one after another in a temporary folder (the default store ``data/saferank.db`` and registry
``data/models`` under it), on the shipped sample county copied to the folder the import command
names. ``saferank serve`` is started, its printed address fetched, then stopped; a command that asks
for a password is given one on a terminal (a pseudo-terminal), as a clerk would type it.
"""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "analytics" / "simulate" / "sample_county"
PASSWORD = "a-long-first-admin-passphrase"


# Quicker options a long command is run with, only where the section itself shows them to the reader.
QUICKER = {"train": ("--origins", "3", "--no-ablations")}


def workflow_section(readme: str) -> str:
    return readme.split("## The office's workflow", 1)[1].split("\n## ", 1)[0]


def workflow_commands(readme: str) -> list[list[str]]:
    """The ``saferank`` command lines of the fenced blocks of the section "The office's workflow"
    (comments dropped), split as a shell would; a command of ``QUICKER`` gets its quicker options
    when the section names them."""
    section = workflow_section(readme)
    commands = []
    for block in re.findall(r"```(?:bash|sh|console)\n(.*?)```", section, flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "saferank":
                quicker = QUICKER.get(words[1], ())
                shown = quicker and f"`{' '.join(quicker)}`" in section and not set(quicker) & set(words)
                commands.append(words + list(quicker) if shown else words)
    return commands


def test_the_parser_reads_the_block_as_a_shell_would() -> None:
    text = ("## The office's workflow\n\n```bash\nsaferank a b/   # note\n\nsaferank c --out '三 个.xlsx'\n```\n"
            "more\n```text\nsaferank not-a-command\n```\n## Next\n```bash\nsaferank elsewhere\n```\n")
    assert workflow_commands(text) == [["saferank", "a", "b/"], ["saferank", "c", "--out", "三 个.xlsx"]]
    quick = "## The office's workflow\n```bash\nsaferank train\n```\n`--origins 3 --no-ablations` is quicker\n"
    assert workflow_commands(quick) == [["saferank", "train", "--origins", "3", "--no-ablations"]]
    assert workflow_commands(quick.replace("`--origins 3 --no-ablations`", "fewer origins")) == [["saferank", "train"]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(port: int) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items()
            if k not in ("SAFERANK_DB", "SAFERANK_MODELS", "SAFERANK_LANG", "SAFERANK_PORT")}
    return {**kept, "PYTHONPATH": str(ROOT), "SAFERANK_PORT": str(port)}


def _argv(words: list[str]) -> list[str]:
    return [sys.executable, "-c", "import sys; from saferank.cli import main; sys.exit(main())", *words[1:]]


def _run_on_a_terminal(words: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run with a pseudo-terminal as its terminal, typing ``PASSWORD`` at every password prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its terminal is the pseudo-terminal
        os.chdir(cwd)
        os.execvpe(sys.executable, _argv(words), env)
    output, deadline = b"", time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if re.search(rb"(Password|Again): $", output):
            os.write(fd, PASSWORD.encode() + b"\n")
            output += b"\n"
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def _serve(words: list[str], cwd: Path, env: dict[str, str], port: int) -> str:
    """Start the server, read its output until the address, fetch the sign-in page, stop it."""
    process = subprocess.Popen(_argv(words), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, text=True)
    try:
        lines: list[str] = []
        while not any("http://" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        url = re.search(r"http://\S+", "".join(lines)).group(0)
        assert url == f"http://127.0.0.1:{port}/"
        for _ in range(150):
            try:
                with urllib.request.urlopen(url + "login", timeout=5) as response:
                    assert response.status == 200
                    return "".join(lines)
            except OSError:
                time.sleep(0.2)
        raise AssertionError("the printed address never answered")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.slow
def test_every_command_of_the_office_workflow_runs_as_written(tmp_path) -> None:
    commands = workflow_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    names = [words[1] for words in commands]
    assert {"import", "train", "score", "serve"} <= set(names), names
    port = _free_port()
    env = _environment(port)
    timings: list[str] = []  # seconds per command, printed (pytest -rP shows them) and in a failure's message
    for words in commands:
        started = time.monotonic()
        if words[1] == "import":  # the folder the README names holds the office's export: the sample county's
            shutil.copytree(SAMPLE, tmp_path / words[2])
        if words[1] == "serve":
            output = _serve(words, tmp_path, env, port)
            assert "saferank users add" not in output or "users" not in names  # an admin exists once added
            timings.append(f"{time.monotonic() - started:6.1f} s  {shlex.join(words)}")
            continue
        if words[1:3] == ["users", "add"] and "--password-stdin" not in words:
            status, output = _run_on_a_terminal(words, tmp_path, env)
        else:
            result = subprocess.run(_argv(words), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800,
                                    stdin=subprocess.DEVNULL)
            status, output = result.returncode, result.stdout + result.stderr
        timings.append(f"{time.monotonic() - started:6.1f} s  {shlex.join(words)}")
        assert status == 0, f"{shlex.join(words)} -> {status}\n{output[-3000:]}\n" + "\n".join(timings)
    print("\n".join(timings))
    assert (tmp_path / "data" / "saferank.db").exists()
