"""The analysts' notebooks run top to bottom in a fresh kernel, are committed without outputs, and match their .py pairs.

Each notebook executes in a kernel started from this interpreter (a kernel spec written to a
temporary folder names ``sys.executable``, so a ``python3`` spec elsewhere on the machine is never
picked up), with the notebooks folder as working directory; the executed copy goes to a temporary
folder, never over the committed file.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
KERNEL = "saferank-test-python"
CELL_TIMEOUT = 300


def names(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_every_notebook_has_a_py_percent_pair_and_the_other_way_round() -> None:
    assert NOTEBOOK_FILES, "no notebooks found"
    scripts = sorted(NOTEBOOKS.glob("[0-9]*.py"))
    assert [p.stem for p in NOTEBOOK_FILES] == [p.stem for p in scripts]


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory: pytest.TempPathFactory) -> KernelSpecManager:
    folder = tmp_path_factory.mktemp("kernels")
    (folder / KERNEL).mkdir()
    (folder / KERNEL / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "SafeRank test kernel", "language": "python"}))
    return KernelSpecManager(kernel_dirs=[str(folder)])


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=names(NOTEBOOK_FILES))
def test_notebook_runs_top_to_bottom_in_a_fresh_kernel(path: Path, kernel_specs: KernelSpecManager,
                                                        tmp_path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, km=KernelManager(kernel_name=KERNEL, kernel_spec_manager=kernel_specs),
                            timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(NOTEBOOKS)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    print(f"{path.name}: {time.perf_counter() - started:.1f} s")
    nbformat.write(notebook, tmp_path / path.name)
    assert all(c.get("execution_count") for c in notebook.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=names(NOTEBOOK_FILES))
def test_committed_notebook_holds_no_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(notebook.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs or execution counts; strip them before committing"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=names(NOTEBOOK_FILES))
def test_notebook_and_its_py_pair_agree(path: Path) -> None:
    def cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
        return [(c.cell_type, c.source) for c in notebook.cells]

    from_ipynb = jupytext.read(path)
    from_py = jupytext.read(path.with_suffix(".py"))
    assert cells(from_ipynb) == cells(from_py), (
        f"{path.name} and {path.with_suffix('.py').name} differ: run `jupytext --sync notebooks/*.py`")
