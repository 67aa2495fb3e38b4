"""Imports point inward: the core (expressions, calculus, simplification, evaluation)
never imports the outer layers (drawing, code export, notation, command line, test
strategies), and nothing imports matplotlib, torch, jax or hypothesis at module level
except the modules whose job that is."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tensorgrad"
OUTER = {"draw", "export", "notation", "cli", "__main__", "testing"}
HEAVY = {"matplotlib", "torch", "jax", "hypothesis"}
MAY_IMPORT_HEAVY = {"testing"}  # hypothesis strategies, imported by tests only


def module_level_imports(path: Path):
    """(top-level package part of each import target) for imports outside functions."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


def layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def test_core_never_imports_outer_layers():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if layer(path) in OUTER or path.name == "__init__.py" and path.parent == PACKAGE:
            continue
        for module, level in module_level_imports(path):
            target = module.split(".")[0] if level else module.split(".")[1] if module.startswith("tensorgrad.") else None
            if target in OUTER:
                offenders.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert not offenders, offenders


def test_heavy_libraries_only_imported_lazily():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if layer(path) in MAY_IMPORT_HEAVY:
            continue
        for module, level in module_level_imports(path):
            if level == 0 and module.split(".")[0] in HEAVY:
                offenders.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert not offenders, offenders


def test_the_check_sees_imports():
    # guard against a vacuous pass: the scan finds the core's own imports
    found = {m for m, _ in module_level_imports(PACKAGE / "simplify.py")}
    assert "canonical" in found and "expr" in found
