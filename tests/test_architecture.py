"""The library's shape: subpackages in layers (each imports only the layers below it), no import
cycle (at module level or inside functions), training never reaches the acquisition code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "colorization"

# What each subpackage may import (besides itself): the layer rule. ``core`` is the bottom;
# ``acquire`` sits beside the training stack, which never imports it; the top-level modules
# (the command line) may import anything.
LAYERS = {
    "core": set(),
    "data": {"core"},
    "nets": {"core"},
    "acquire": {"core", "data"},
    "runs": {"core", "data", "nets"},
    "study": {"core", "data", "nets", "runs"},
}
MAX_SUBPACKAGES = 8
MAX_MODULES = 20  # modules stay under 400 lines each, so a layer holds more of them


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(), filename=str(p))
            for p in sorted(PACKAGE.rglob("*.py"))}


def _imported(tree: ast.Module, name: str, known: set[str]) -> set[str]:
    """Modules of the package that ``tree`` (module ``name``) imports anywhere (top level or
    in functions); ``from colorization.x import y`` counts ``colorization.x.y`` when that is a
    module, else ``colorization.x``."""
    package = name if (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists() \
        else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("colorization"))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            if not module.startswith("colorization"):
                continue
            for alias in node.names:
                full = f"{module}.{alias.name}"
                found.add(full if full in known else module)
    return {m for m in found if m in known} - {name}


def import_graph() -> dict[str, set[str]]:
    trees = _modules()
    known = set(trees)
    return {name: _imported(tree, name, known) for name, tree in trees.items()}


def layer_of(module: str) -> str | None:
    """The subpackage of ``colorization.<sub>.<module>``; None for the top-level modules."""
    parts = module.split(".")
    return parts[1] if len(parts) >= 2 and parts[1] in LAYERS else None


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


def test_the_graph_sees_function_level_and_relative_imports():
    known = {"colorization.data.datasets", "colorization.runs.train", "colorization.core.color",
             "colorization.data", "colorization.runs", "colorization.core"}
    tree = ast.parse("def f():\n    from colorization.data import datasets\n"
                     "    import colorization.runs.train\n    from ..core import color\n")
    assert _imported(tree, "colorization.runs.evaluate", known) == {
        "colorization.data.datasets", "colorization.runs.train", "colorization.core.color"}


def test_the_layer_rule_catches_a_climb():
    graph = {"colorization.core.color": {"colorization.runs.train"}}
    assert _climbs(graph) == ["colorization.core.color -> colorization.runs.train"]


def _climbs(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, imports in graph.items():
        layer = layer_of(module)
        if layer is None:
            continue
        for target in imports:
            other = layer_of(target)
            if other is None and target != "colorization":
                bad.append(f"{module} -> {target}")  # a subpackage using the command line
            elif other not in (None, layer) and other not in LAYERS[layer]:
                bad.append(f"{module} -> {target}")
    return sorted(bad)


def test_no_subpackage_imports_a_higher_layer():
    graph = import_graph()
    assert _climbs(graph) == []


def test_no_import_cycle_among_library_modules():
    graph = import_graph()
    assert graph["colorization.nets.registry"] >= {"colorization.nets.models",
                                                   "colorization.nets.colorizer"}
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_the_layout_shows_the_layers_at_a_glance():
    subpackages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert subpackages == sorted(LAYERS)
    assert len(subpackages) <= MAX_SUBPACKAGES
    for sub in subpackages:
        modules = [p for p in (PACKAGE / sub).glob("*.py") if p.name != "__init__.py"]
        assert 1 <= len(modules) <= MAX_MODULES, (sub, [p.name for p in modules])
        doc = ast.get_docstring(ast.parse((PACKAGE / sub / "__init__.py").read_text()))
        assert doc and "import" in doc, f"{sub}/__init__.py must say what it owns and imports"
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "cli.py"]


def test_runs_are_read_without_the_fit_loop():
    graph = import_graph()

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    for reader in ("colorization.runs.rundir", "colorization.runs.evaluate",
                   "colorization.study.figures"):
        assert "colorization.runs.train" not in reachable(reader), reader


def test_importing_a_package_does_nothing_else():
    """No work at import time: every ``__init__`` holds its docstring and, at the top, the
    version; nothing else (TensorFlow's settings are core.runtime.prepare_tensorflow(),
    called by the entry points)."""
    for init in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(init.read_text())
        for node in tree.body:
            is_doc = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            is_version = isinstance(node, ast.Assign) and node.targets[0].id == "__version__"
            assert is_doc or is_version, f"{init}: {ast.unparse(node)}"


@pytest.mark.slow
def test_a_training_never_imports_the_acquisition_code(tmp_path):
    """Training (and evaluating) on the embedded data loads nothing of colorization.acquire:
    downloading and preparing are ``make data``'s, apart from the training call graph."""
    script = f"""
import json, sys
from colorization.core import runtime
runtime.prepare_tensorflow()
from colorization.runs.config import RunConfig
from colorization.runs.evaluate import evaluate_run
from colorization.runs.train import train
run = train(RunConfig(model="autoencoder_small", data="animals", epochs=1, image_size=16,
                      max_images=16, max_test_images=8, batch_size=8, snapshot_images=2,
                      snapshot_epochs=[1]), {str(tmp_path / "run")!r}, verbose=0)
evaluate_run(run.dir, max_images=8)
print(json.dumps({{"dataset": run.status["dataset"],
                  "acquire": sorted(m for m in sys.modules if "acquire" in m),
                  "kaggle": "kaggle" in sys.modules}}))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    result = __import__("json").loads(out.stdout.strip().splitlines()[-1])
    assert result["dataset"] == "pets-sample"
    assert result["acquire"] == [] and result["kaggle"] is False


def test_the_project_root_is_the_checkout_from_any_folder(tmp_path, monkeypatch):
    """Runs, reports and data go under the repository, whichever folder a process starts in
    (the notebooks run in notebooks/): never under the current folder of a checkout."""
    from colorization.core import paths

    monkeypatch.delenv("COLORIZATION_HOME", raising=False)
    monkeypatch.delenv("COLORIZATION_RUNS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    root = PACKAGE.parents[1]
    assert paths.checkout_root() == root == paths.project_root()
    assert paths.runs_dir() == root / "runs" and paths.reports_dir() == root / "reports"
    monkeypatch.setenv("COLORIZATION_HOME", str(tmp_path))
    assert paths.project_root() == tmp_path
