"""The house plan as checked facts: layers, no import cycles, imports at the top, modules a reader can hold.

The layers are import-linter contracts in ``pyproject.toml`` (``[tool.importlinter]``); this runs them
as part of the suite, so a change that reaches upward fails here with the offending import named.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("analytics", "dashboard", "saferank")
MAX_LINES = 400


def _python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_import_linter_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def _strongly_connected(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Tarjan's algorithm over the direct imports among ``modules``; components of two or more."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.find_modules_directly_imported_by(node) & modules):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def _without_package_inits(graph: grimp.ImportGraph) -> set[str]:
    """Modules that hold code: a package's ``__init__`` importing its children is not a cycle."""
    return {m for m in graph.modules if not graph.find_children(m)}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles(package):
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    graph = grimp.build_graph(package)
    cycles = _strongly_connected(graph, _without_package_inits(graph))
    assert cycles == [], f"import cycles in {package}: {cycles}"


# Heavy or optional third-party modules may be imported where they are used; ours may not.
def _late_project_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    late = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.module and inner.module.split(".")[0] in PACKAGES:
                    late.append(f"{path.relative_to(ROOT)}:{inner.lineno} from {inner.module}")
                elif isinstance(inner, ast.Import):
                    late += [f"{path.relative_to(ROOT)}:{inner.lineno} import {a.name}" for a in inner.names
                             if a.name.split(".")[0] in PACKAGES]
    return late


def test_analytics_imports_its_own_modules_at_the_top():
    """A module's header says what it depends on (the CLI imports lazily to keep ``--help`` fast)."""
    late = [line for path in _python_files("analytics") for line in _late_project_imports(path)]
    assert late == [], "function-level imports of analytics modules:\n" + "\n".join(late)


def test_no_module_over_the_limit_without_a_reason():
    """A module over ``MAX_LINES`` lines says why in its docstring (a line starting 'Long because')."""
    over = []
    for package in PACKAGES:
        for path in _python_files(package):
            text = path.read_text(encoding="utf-8")
            if text.count("\n") <= MAX_LINES:
                continue
            doc = ast.get_docstring(ast.parse(text)) or ""
            if "Long because" not in doc:
                over.append(f"{path.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    assert over == [], "modules over 400 lines with no reason in their docstring:\n" + "\n".join(over)


def test_analytics_never_imports_dashboard_even_lazily():
    graph = grimp.build_graph("analytics", "dashboard")
    assert not graph.chain_exists(importer="analytics", imported="dashboard", as_packages=True)
