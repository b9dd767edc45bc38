"""Layer rules the architecture relies on (docs/architecture.md): variants never import metrics
(the classifiers their extra metrics need are injected as `variant.oracle`), and metrics never
import variants (they see callables only)."""

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
