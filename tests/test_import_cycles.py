"""No import cycles among ganbench's modules (STYLE: small modules, layered, no cycles).

The graph is read from the source with `ast`, not by importing: every `import` / `from ... import`
statement counts, at module level or inside a function (an import moved into a function only hides
a cycle until the function runs). Only imports under `if TYPE_CHECKING:` are skipped: they never
run. An edge goes to the module the statement names (`from ganbench import io` -> ganbench.core.io,
`from ganbench import __version__` -> ganbench); importing a submodule runs its parent packages'
`__init__` first, but that is not counted as an edge from the importer, as every import tool does
(otherwise every module would close a loop through `ganbench/__init__.py`). A package's own
modules must therefore import each other by full name, never from the package's `__init__`.

Not seen: names built at run time for `importlib.import_module`. That is the zoo's discovery, a
loop by design (registry.py imports ganbench.variants, whose `__init__` imports every variant
module by name, each of which imports registry to register itself).

Run it as a script to print the cycles: `python tests/test_import_cycles.py`.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ganbench"

# Cycles that are design decisions, each with its reason; empty is the goal.
ALLOWED: list[set[str]] = []


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Every Import / ImportFrom node, skipping the bodies of `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """{module: the ganbench modules it imports}."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {m: set() for m in files}

    def target(name: str) -> str | None:
        # the longest prefix that is one of our modules (`import ganbench.metrics.fid as f`)
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    for mod, path in files.items():
        is_pkg = path.name == "__init__.py"
        here = mod if is_pkg else mod.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    up = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                    base = ".".join(up + ([base] if base else []))
                # `from pkg import sub` names the submodule when there is one
                names = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names
                ]
            for n in names:
                t = target(n)
                if t is not None and t != mod:
                    graph[mod].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def _describe(comp: list[str], graph: dict[str, set[str]]) -> str:
    inside = set(comp)
    edges = [f"  {a} -> {b}" for a in comp for b in sorted(graph[a] & inside)]
    return f"cycle among {len(comp)} modules:\n" + "\n".join(edges)


def test_the_finder_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / "ganbench"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from ganbench.sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from .. import a\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ganbench import d\n"
    )
    (pkg / "d.py").write_text("import ganbench.c\n")
    graph = import_graph(pkg)
    assert graph["ganbench.a"] == {"ganbench.sub.b"}
    assert graph["ganbench.sub.b"] == {"ganbench.a"}
    assert graph["ganbench.c"] == set()  # typing-only
    assert cycles(graph) == [["ganbench.a", "ganbench.sub.b"]]


def test_no_import_cycles():
    graph = import_graph()
    assert len(graph) > 50  # the walk found the package
    found = [c for c in cycles(graph) if set(c) not in ALLOWED]
    assert not found, "\n".join(_describe(c, graph) for c in found)


def test_names_moved_to_break_cycles_still_import_from_their_old_homes():
    import ganbench.metrics.evaluate as evaluate
    import ganbench.metrics.evaluation as evaluation
    import ganbench.results.ranking as ranking
    import ganbench.results.report as report

    for name in ("Evaluation", "Sampler", "SamplerError", "draw"):
        assert getattr(evaluate, name) is getattr(evaluation, name)
    for name in ("best_rows", "constant_metrics", "converged_means", "not_converged", "HEADLINE"):
        assert getattr(report, name) is getattr(ranking, name)
    for name in ("write_report", "summary_metrics", "NOT_CONVERGED", "build", "load", "Table"):
        assert hasattr(report, name), name


if __name__ == "__main__":
    g = import_graph()
    cs = cycles(g)
    print("\n".join(_describe(c, g) for c in cs) or f"no cycles among {len(g)} modules")
    sys.exit(1 if cs else 0)
