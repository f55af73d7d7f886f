"""A wheel that works on its own: built from this checkout, installed (not editable) into a fresh venv,
then ``saferank demo --no-serve`` and the three notebooks run from a folder far from the checkout.

The venv borrows the test environment's third-party packages through a ``.pth`` line (so the test needs
no network), but none of this project's code: ``analytics``, ``dashboard`` and ``saferank`` come only
from the wheel, and the test asserts they do. Training is the demo's slow step (minutes); the demo's
registry is given a model first, through the installed wheel, as ``tests/analytics/test_demo.py`` does.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0*.py"))

pytestmark = pytest.mark.slow

SEED_A_MODEL = """
from pathlib import Path
from analytics.models.registry import ModelRegistry
from analytics.models.select import train_on_tables
from analytics.simulate.sample import SAMPLE_COUNTY
from analytics.store.database import open_store, read_tables
from analytics.store.ingest import import_files
from saferank.demo import SAMPLE_AS_OF

folder = Path("demo")
folder.mkdir()
store = open_store(f"sqlite:///{(folder / 'saferank.db').resolve()}")
import_files(store, SAMPLE_COUNTY, export_date=SAMPLE_AS_OF)
registry = ModelRegistry((folder / "models").resolve())
train_on_tables(read_tables(store), SAMPLE_AS_OF, registry, min_positives=10**9)  # the scorecard fallback: seconds
store.dispose()
"""


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args} exited {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(base / "dist"),
          str(ROOT)], cwd=base, env=dict(os.environ))
    (wheel,) = (base / "dist").glob("saferank-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=base, env=dict(os.environ))
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    # Third-party packages from the test environment; a plain path line, so its own .pth files (the
    # editable install of this checkout among them) are not processed.
    borrowed = [p for p in site.getsitepackages() + [sysconfig.get_paths()["purelib"]] if Path(p).is_dir()]
    (purelib / "_borrowed_dependencies.pth").write_text("\n".join(dict.fromkeys(borrowed)) + "\n", encoding="utf-8")
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], cwd=base,
         env=dict(os.environ))
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return venv, env


def test_the_wheel_carries_the_code_and_the_sample_county(wheel_venv, tmp_path):
    venv, env = wheel_venv
    where = _run([str(venv / "bin" / "python"), "-c",
                  "import analytics, dashboard, saferank, dashboard.app\n"
                  "from analytics.simulate.sample import SAMPLE_COUNTY\n"
                  "print(analytics.__file__); print(dashboard.__file__); print(saferank.__file__)\n"
                  "print(sorted(p.name for p in SAMPLE_COUNTY.iterdir()))"], cwd=tmp_path, env=env).stdout
    assert str(ROOT) not in where, where
    assert str(venv) in where.splitlines()[0]
    assert "enterprises.csv" in where and "truth.csv" in where


def test_demo_runs_from_the_installed_wheel(wheel_venv, tmp_path):
    venv, env = wheel_venv
    _run([str(venv / "bin" / "python"), "-c", SEED_A_MODEL], cwd=tmp_path, env=env)
    result = _run([str(venv / "bin" / "saferank"), "demo", "--no-serve", "--folder", "demo", "--lang", "en"],
                  cwd=tmp_path, env=env)
    assert "reusing" in result.stdout and "demo-office" in result.stdout
    assert (tmp_path / "demo" / "saferank.db").exists()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_run_from_the_installed_wheel(wheel_venv, tmp_path, notebook):
    """The notebooks' .py pairs are plain scripts (jupytext percent format): run each as one."""
    venv, env = wheel_venv
    _run([str(venv / "bin" / "python"), str(notebook)], cwd=tmp_path, env={**env, "MPLBACKEND": "Agg"})
