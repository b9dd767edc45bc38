"""Layer rules the architecture relies on (docs/architecture.md, "Layout"): each package imports
only the layers below it, so the layout is the architecture. In particular variants never import
metrics (the classifiers their extra metrics need are injected as `variant.oracle`), and metrics
never import variants (they see callables only)."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "ganbench"


def imported_modules(path: Path) -> set[str]:
    """Every module an import statement in `path` names, function-level ones included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


@pytest.mark.parametrize(
    "layer,forbidden", [("variants", "ganbench.metrics"), ("metrics", "ganbench.variants")]
)
def test_layer_does_not_import(layer, forbidden):
    bad = {
        str(f.relative_to(PKG)): sorted(m for m in imported_modules(f) if m.startswith(forbidden))
        for f in sorted((PKG / layer).rglob("*.py"))
    }
    bad = {f: m for f, m in bad.items() if m}
    assert not bad, f"{layer} must not import {forbidden}: {bad}"


def test_the_checker_sees_function_level_imports(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def g():\n    from ganbench.metrics.classifier import classify\n")
    assert "ganbench.metrics.classifier" in imported_modules(f)


# The layers of ganbench, bottom to top: each may import only the layers below it (a one-way
# order, so there is no cycle between layers). `registry` is the public face of the variant
# registry that lives in variants (ganbench/variants/registry.py).
ORDER = [
    "core",
    "data",
    "nets",
    "backbones",
    "results",
    "metrics",
    "variants",
    "registry",
    "harness",
    "plugins",
    "reproduce",
    "jobs",
]
ALLOWED = {layer: set(ORDER[:i]) for i, layer in enumerate(ORDER)}


def layer_of(module: str) -> str:
    """`ganbench.harness.suite` -> harness; a name of the root (`ganbench.register`) -> ganbench,
    which no layer may import (the root imports the registry)."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    is_part = (PKG / f"{top}.py").exists() or (PKG / top / "__init__.py").exists()
    return top if top and is_part else "ganbench"


def test_every_package_of_ganbench_has_a_layer():
    """A new top-level package or module must be placed in ALLOWED (or be cli / __init__)."""
    tops = {p.stem for p in PKG.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert tops - {"cli", "__init__"} == set(ALLOWED), "add the new layer to ALLOWED"


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_layer_imports_only_the_layers_below_it(layer):
    files = [PKG / f"{layer}.py"] if (PKG / f"{layer}.py").exists() else (PKG / layer).rglob("*.py")
    bad = {}
    for f in sorted(files):
        above = {
            m
            for m in imported_modules(f)
            if m.split(".")[0] == "ganbench" and layer_of(m) not in ALLOWED[layer] | {layer}
        }
        if above:
            bad[str(f.relative_to(PKG))] = sorted(above)
    assert not bad, f"{layer} may import only {sorted(ALLOWED[layer])}: {bad}"


def test_the_order_is_one_way():
    """No layer is allowed to import a layer that may import it."""
    for a in ORDER:
        for b in ALLOWED[a]:
            assert a not in ALLOWED[b], (a, b)
    assert "variants" not in ALLOWED["metrics"]


def test_the_layer_check_catches_an_upward_import(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("from ganbench.harness.suite import run_one\n")
    assert {layer_of(m) for m in imported_modules(f)} == {"harness"}
    assert "harness" not in ALLOWED["metrics"]
