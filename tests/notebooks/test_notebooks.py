"""The analysts' notebooks are committed without outputs and match their .py pairs.

That each one runs top to bottom in a fresh Jupyter kernel is proved once, in ``tests/test_wheel.py``:
the kernel there is the installed wheel's interpreter, started in a folder far from the checkout, so
the same run also proves the notebooks need nothing of the checkout but the notebook itself.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))


def names(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_every_notebook_has_a_py_percent_pair_and_the_other_way_round() -> None:
    assert NOTEBOOK_FILES, "no notebooks found"
    scripts = sorted(NOTEBOOKS.glob("[0-9]*.py"))
    assert [p.stem for p in NOTEBOOK_FILES] == [p.stem for p in scripts]


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
