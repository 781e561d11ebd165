"""The house's plan held to the code: every import inside symconv runs down the order written in
symconv/__init__.py's docstring, and no modules import each other in a circle.

Imports are read from the source with `ast`: module-level and function-level ones (a lazy
import for start-up time is still an import, and may go down the order only), relative and
absolute (`symconv.…`). Imports under `if TYPE_CHECKING:` count too, though they never run:
a stage that names a later stage's type in its annotations depends on it all the same (that is
how render/verification.py and frameworks/check.py imported each other). Importing
`symconv.a.b` from outside package `a` also runs `a/__init__.py`, so that counts as an import
of it too.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "symconv"


def _order() -> list[str]:
    """The order from symconv/__init__.py's docstring: its indented lines joined by arrows."""
    doc = ast.get_docstring(ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8")))
    lines = [line.strip() for line in (doc or "").splitlines()
             if line.startswith("    ") and "→" in line]
    return [name.strip() for name in " ".join(lines).split("→") if name.strip()]


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the module imported
    line: int


def _statements(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement at any depth."""
    return (node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)))


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The symconv modules a statement imports (a name that is a submodule is that module)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "symconv"]
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        parts = package.split(".")[:len(package.split(".")) - node.level + 1]
        base = ".".join(parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    if base.split(".")[0] != "symconv":
        return []
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]


def _ran_too(source: str, target: str) -> list[str]:
    """The packages whose __init__ runs on importing `target` from `source`: those on
    target's path that source is not already inside."""
    parts = target.split(".")
    return [p for p in (".".join(parts[:i]) for i in range(2, len(parts)))
            if not (source == p or source.startswith(p + "."))]


def imports() -> list[Import]:
    out: dict[Import, None] = {}  # each once, in the order read
    for module, path in MODULES.items():
        for node in _statements(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(module, node):
                out |= {Import(module, t, node.lineno): None
                        for t in [*_ran_too(module, target), target] if t != module}
    return list(out)


def layer(module: str) -> str:
    """The entry of the order a module belongs to: its package, or itself at the top level."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_order_names_every_package_and_top_level_module_once() -> None:
    order = _order()
    assert len(order) == len(set(order)), order
    placed = {layer(m) for m in MODULES}
    assert placed == set(order), f"in the tree or the order only: {sorted(placed ^ set(order))}"


def test_every_import_runs_down_the_order() -> None:
    order = _order()
    rank = {name: i for i, name in enumerate(order)}
    unknown = sorted({i.target for i in imports() if i.target not in MODULES})
    assert not unknown, f"imports of modules that do not exist: {unknown}"
    up = [f"{i.source} (line {i.line}) imports {i.target}: {layer(i.source)} is above "
          f"{layer(i.target)}" for i in imports()
          if layer(i.source) != layer(i.target)
          and rank.get(layer(i.source), -1) >= rank.get(layer(i.target), -1)]
    assert not up, "imports against the order:\n" + "\n".join(up)


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_modules_import_each_other_in_a_circle() -> None:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in imports():
        edges[i.source].add(i.target)
    circles = _circles(edges)
    assert not circles, "circles of imports:\n" + "\n".join(" ↔ ".join(c) for c in circles)


def test_the_circle_finder_finds_circles() -> None:
    """The finder itself: a circle of three, a module on its own, a chain."""
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert _circles(edges) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_package_hides_a_public_name() -> None:
    """`symconv.derive` is a function: importing a subpackage named `derive` would replace it
    with the package (Python sets the attribute), so no module may share a public name."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    public = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                  and any(getattr(t, "id", "") == "__all__" for t in n.targets))
    assert not {m.split(".")[1] for m in MODULES if "." in m} & set(public)


FRESH = """
import sys
import symconv
assert "sympy" not in sys.modules and "lark" not in sys.modules, "import symconv is not cheap"
d = symconv.derive("sizes H\\ninput (H, H, 1)\\nConv2D(4, 3)")
assert d.render().startswith("Model:") and d.render("json").startswith("{")
assert d.to_dict()["sizes"] == ["H"]
assert "Conv2D" in d._repr_markdown_() and d._repr_latex_().startswith("\\\\begin{align*}")
from symconv.api import derive_source, load
assert derive_source(load("input (3, 4)\\nDense(2)")).render("markdown")
"""


def test_a_fresh_interpreter_starts_cheap_and_derivations_render() -> None:
    """In a new process (here everything is imported already): `import symconv` loads neither
    sympy nor lark, and a derivation from symconv.derive or symconv.api renders in every form
    (render registers them on Derivation when imported)."""
    done = subprocess.run([sys.executable, "-c", FRESH], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
