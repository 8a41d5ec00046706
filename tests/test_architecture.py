"""The house's shape, read from the code itself: one folder per subject, imports that only go down the layers, no
cycle, and every import made inside a function saying why it waits (something heavy kept off a page's first paint,
or off the command line's start)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Lowest first: a module may import its own folder and the folders before it, never one after it.
LAYERS = [
    ("pipeline.errors", "pipeline.paths", "pipeline.safeio"),
    ("pipeline.trace",),
    ("pipeline.content",),
    ("pipeline.data",),
    ("pipeline.training",),
    ("pipeline.nn",),
    ("pipeline.document",),
    ("pipeline.lessons",),
    ("pipeline.runs",),
    ("pipeline.render",),
    ("pipeline.app",),
    ("pipeline.classroom",),
    ("pipeline.cli", "pipeline.examples", "pipeline.__main__", "pipeline"),
    ("ui",),
]


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module it imports (a package's submodule when one is named)
    line: int
    in_function: bool
    says_why: bool  # a comment on its line, or just above it (``commented``)


def modules() -> dict[str, Path]:
    found = {}
    for path in [*ROOT.glob("pipeline/**/*.py"), *ROOT.glob("ui/**/*.py")]:
        if "migrations" in path.parts:  # Alembic's scripts, run by Alembic
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def imports(known: dict[str, Path]) -> Iterator[Import]:
    """Every import between our modules: ``from pkg import sub`` is an import of ``pkg.sub``; imports made only
    for type checking (``if TYPE_CHECKING:``) are left out, as they never run."""
    def owner(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    for module, path in known.items():
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        in_function = {id(n) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                       for n in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in typing_only or not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif node.level:
                raise AssertionError(f"{module}: a relative import (line {node.lineno}); we write them whole")
            else:
                names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                         for a in node.names]
            for target in {owner(n) for n in names if n.split(".")[0] in ("pipeline", "ui")} - {None, module}:
                yield Import(module, target, node.lineno, id(node) in in_function, commented(lines, node.lineno - 1))


def commented(lines: list[str], index: int) -> bool:
    """Whether the import on line ``index`` (0-based) has a comment: on its line, or in the run of imports, blank
    lines and comments just above it (one comment can speak for a block of imports)."""
    while index >= 0:
        line = lines[index].strip()
        if "#" in line:
            return True
        if line and not line.startswith(("import ", "from ")):
            return False
        index -= 1
    return False


def layer(module: str) -> int:
    return max(i for i, names in enumerate(LAYERS) for name in names
               if module == name or (module.startswith(name + ".") and name != "pipeline"))


def test_every_module_belongs_to_a_layer() -> None:
    strays = [m for m in modules() if not any(m == n or m.startswith(n + ".") for names in LAYERS for n in names)]
    assert not strays, f"not in any layer of LAYERS: {strays}"
    top_level = sorted(m for m in modules() if m.startswith("pipeline.") and m.count(".") == 1
                       and not (ROOT / m.replace(".", "/")).is_dir())
    assert top_level == ["pipeline.__main__", "pipeline.errors", "pipeline.paths", "pipeline.safeio"], top_level


def test_imports_only_go_down_the_layers() -> None:
    up = [f"{i.module} (line {i.line}) imports {i.target}, a layer above it" for i in imports(modules())
          if layer(i.target) > layer(i.module)]
    assert not up, "\n".join(up)


def test_no_import_cycle() -> None:
    """Tarjan's strongly connected components over every import, those in functions included (an import moved
    into a function to dodge a cycle is still a cycle)."""
    graph: dict[str, set[str]] = {m: set() for m in modules()}
    for i in imports(modules()):
        graph[i.module].add(i.target)
    assert not cycles(graph), "\n".join(" -> ".join(c) for c in cycles(graph))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_a_cycle_is_found_and_an_import_up_is_named() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    assert layer("pipeline.render.figures") > layer("pipeline.document.views") > layer("pipeline.trace.record")


def test_every_import_inside_a_function_says_why_it_waits() -> None:
    silent = [f"{i.module} (line {i.line}) imports {i.target}" for i in imports(modules())
              if i.in_function and not i.says_why]
    assert not silent, "imports inside functions, with no comment saying what they keep off the start:\n" + \
        "\n".join(silent)
