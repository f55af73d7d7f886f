"""A wheel that works on its own: built from this checkout, installed (not editable) into a fresh venv,
then ``saferank demo --no-serve`` and the three notebooks run from a folder far from the checkout.

The venv borrows the test environment's third-party packages through a ``.pth`` line (so the test needs
no network), but none of this project's code: ``analytics``, ``dashboard`` and ``saferank`` come only
from the wheel, and the test asserts they do. Training is the demo's slow step (minutes); the demo's
registry is given a model first, through the installed wheel, as ``tests/analytics/test_demo.py`` does.

The notebooks run here, once each: every ``.ipynb`` top to bottom in a fresh Jupyter kernel whose
interpreter is the wheel venv's python (a kernel spec written to a temporary folder, so a ``python3``
spec elsewhere on the machine is never picked up), started in a temporary folder. A cell appended to
the in-memory copy reports where every module of the project the notebook loaded came from; the
executed copy goes to the temporary folder, never over the committed file. That the ``.py`` pairs hold
the same cells, and that the committed notebooks hold no outputs, is ``tests/notebooks``' part.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PROJECT = ("analytics", "dashboard", "saferank")
KERNEL = "saferank-wheel-python"
CELL_TIMEOUT = 300

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

# Appended to each notebook's in-memory copy: the kernel's interpreter, its working folder, and the file
# (or, for a folder without __init__.py, the folders) of every module of the project loaded by then.
WHERE_FROM = f"""
import json as _json, os as _os, sys as _sys
print(_json.dumps({{"executable": _sys.executable, "cwd": _os.getcwd(), "modules": {{
    _name: [_module.__file__] if getattr(_module, "__file__", None) else list(getattr(_module, "__path__", []))
    for _name, _module in list(_sys.modules.items()) if _name.split(".")[0] in {PROJECT!r}}}}}))
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


@pytest.fixture(scope="module")
def wheel_kernel(wheel_venv, tmp_path_factory) -> KernelSpecManager:
    """A kernel spec whose interpreter is the wheel venv's python, in a folder of its own."""
    venv, _ = wheel_venv
    folder = tmp_path_factory.mktemp("kernels")
    (folder / KERNEL).mkdir()
    (folder / KERNEL / "kernel.json").write_text(json.dumps({
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "SafeRank wheel kernel", "language": "python"}), encoding="utf-8")
    return KernelSpecManager(kernel_dirs=[str(folder)])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom_in_a_fresh_kernel_of_the_installed_wheel(wheel_venv, wheel_kernel,
                                                                                tmp_path, path):
    venv, env = wheel_venv
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(WHERE_FROM))
    client = NotebookClient(notebook, km=KernelManager(kernel_name=KERNEL, kernel_spec_manager=wheel_kernel),
                            timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(tmp_path)}})
    started = time.perf_counter()
    # raises CellExecutionError on the first failing cell; the kernel is shut down after the run (a client
    # given its kernel manager otherwise leaves the kernel idling until pytest exits)
    client.execute(env=env, cleanup_kc=True)
    print(f"{path.name}: {time.perf_counter() - started:.1f} s")
    nbformat.write(notebook, tmp_path / path.name)
    assert all(c.get("execution_count") for c in notebook.cells if c.cell_type == "code")

    where = json.loads("".join(o["text"] for o in notebook.cells[-1].outputs if o.get("name") == "stdout"))
    assert where["executable"] == str(venv / "bin" / "python")
    assert Path(where["cwd"]).resolve() == tmp_path.resolve()
    assert "analytics" in where["modules"], sorted(where["modules"])
    elsewhere = {name: files for name, files in where["modules"].items()
                 if not files or not all(Path(f).resolve().is_relative_to(venv.resolve()) for f in files)}
    assert not elsewhere, f"{path.name} loaded the project's code from outside the wheel venv: {elsewhere}"
