"""The library's shape: no import cycle (at module level or inside functions), small modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "colorization"
MAX_LINES = 400


def _modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(), filename=str(p)) for p in PACKAGE.glob("*.py")}


def _imported(tree: ast.Module, known: set[str]) -> set[str]:
    """Modules of the package that ``tree`` imports anywhere (top level or in functions)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "colorization" and len(parts) > 1:
                    found.add(parts[1])
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:  # from . import x / from .x import y
                module = f"colorization.{module}" if module else "colorization"
            parts = module.split(".")
            if parts[0] != "colorization":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from colorization import a, b
                found.update(a.name for a in node.names if a.name in known)
    return found & known


def import_graph() -> dict[str, set[str]]:
    trees = _modules()
    known = set(trees) - {"__init__", "__main__"}
    return {name: _imported(tree, known) - {name} for name, tree in trees.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of module names, or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if state.get(nxt) is None and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_graph_sees_function_level_imports():
    tree = ast.parse("def f():\n    from colorization import data\n    import colorization.train\n")
    assert _imported(tree, {"data", "train", "color"}) == {"data", "train"}


def test_no_import_cycle_among_library_modules():
    graph = import_graph()
    assert "registry" in graph and graph["registry"] >= {"models", "colorizer", "gan"}
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_runs_are_read_without_the_fit_loop():
    graph = import_graph()

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    for reader in ("runs", "evaluate", "figures"):
        assert "train" not in reachable(reader), reader
    assert "download" not in reachable("synthetic")


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_module_over_400_lines(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{path.name} has {n} lines; split it by what it holds"


def test_importing_the_package_does_nothing_else():
    """No work at import time: the package's __init__ holds no statement but its docstring,
    imports and the version (TensorFlow's settings are runtime.prepare_tensorflow(), called by
    the entry points)."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    for node in tree.body:
        is_doc = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        is_version = isinstance(node, ast.Assign) and node.targets[0].id == "__version__"
        assert is_doc or is_version or isinstance(node, ast.Import | ast.ImportFrom), \
            ast.unparse(node)
