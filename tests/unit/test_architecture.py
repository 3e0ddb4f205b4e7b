"""The import direction of docs/architecture.md, enforced: layers point one way and no module cycles.

stages -> reporting/checks/reference -> evaluation/scoring -> classifier/segments -> data
-> warehouse -> config and foundation (errors, io, logging, metrics). A module may import its own layer or
any layer below; the imports between modules form no cycle; config imports nothing of the project
but the error types.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LAYERS: list[set[str]] = [
    {"stages"},
    {"reporting", "checks", "reference"},
    {"evaluation", "scoring"},
    {"classifier", "segments", "uplift"},
    {"data"},
    {"warehouse"},
    {"config", "foundation"},
]
RANK = {group: rank for rank, groups in enumerate(LAYERS) for group in groups}


def _modules(root: Path) -> dict[str, Path]:
    found = {}
    for path in [*root.glob("intentseg/**/*.py"), *root.glob("stages/*.py")]:
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules ``name`` imports (at any depth of the file, type-checking imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        found |= {target for target in targets if target in modules and target != name}
    return found


def _group(module: str) -> str:
    parts = module.split(".")
    return "stages" if parts[0] == "stages" else parts[1] if len(parts) > 1 else "intentseg"


@pytest.fixture(scope="module")
def graph(repo_root) -> dict[str, set[str]]:
    modules = _modules(repo_root)
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_every_package_has_a_layer(graph):
    assert {_group(name) for name in graph} - {"intentseg"} <= set(RANK)


def _upward(graph: dict[str, set[str]]) -> list[str]:
    return [
        f"{name} imports {target}: {_group(name)} may not import {_group(target)} (a layer above it)"
        for name, targets in graph.items()
        for target in targets
        if "intentseg" not in (_group(name), _group(target)) and RANK[_group(target)] < RANK[_group(name)]
    ]


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph.get(name, ())):
            if state.get(target) == 1:
                found.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return found


def test_imports_point_down_the_layers(graph):
    assert not _upward(graph), "\n".join(_upward(graph))


def test_no_import_cycles(graph):
    assert not _cycles(graph), "\n".join(_cycles(graph))


def _imports_outside(graph: dict[str, set[str]], group: str, allowed: set[str]) -> list[str]:
    """Imports of ``group``'s modules that are neither in ``group`` nor in ``allowed``."""
    return sorted(
        f"{name} imports {target}"
        for name, targets in graph.items()
        if _group(name) == group
        for target in targets
        if _group(target) != group and target not in allowed
    )


def test_config_imports_nothing_of_the_project_but_errors(graph):
    assert not _imports_outside(graph, "config", {"intentseg.foundation", "intentseg.foundation.errors"})


def test_foundation_imports_no_other_layer(graph):
    assert not _imports_outside(graph, "foundation", set())


def test_the_checks_can_fail():
    """An upward import and a cycle are found when there is one."""
    bad = {"intentseg.data.tables": {"intentseg.scoring.types"}, "intentseg.scoring.types": set()}
    assert _upward(bad) == [
        "intentseg.data.tables imports intentseg.scoring.types: data may not import scoring (a layer above it)"
    ]
    loop = {"intentseg.scoring.a": {"intentseg.scoring.b"}, "intentseg.scoring.b": {"intentseg.scoring.a"}}
    assert _cycles(loop) == ["intentseg.scoring.a -> intentseg.scoring.b -> intentseg.scoring.a"]


MAX_MODULE_LINES = 400
MAX_STAGE_LINES = 60


def test_no_module_is_over_400_lines(repo_root):
    long = {
        str(path.relative_to(repo_root)): n
        for path in repo_root.glob("intentseg/**/*.py")
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, long


def test_each_stage_script_is_under_60_lines(repo_root):
    long = {
        path.name: n
        for path in (repo_root / "stages").glob("*.py")
        if (n := len(path.read_text().splitlines())) >= MAX_STAGE_LINES
    }
    assert not long, long


MAX_POSITIONAL = 5


def test_functions_with_many_parameters_take_them_by_keyword(repo_root):
    """More than five parameters: the rest are keyword-only (or the function takes a typed object)."""
    wide = []
    for path in repo_root.glob("intentseg/**/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                positional = [a.arg for a in node.args.posonlyargs + node.args.args if a.arg not in ("self", "cls")]
                if len(positional) > MAX_POSITIONAL:
                    wide.append(f"{path.relative_to(repo_root)}:{node.lineno} {node.name} ({len(positional)})")
    assert not wide, wide
