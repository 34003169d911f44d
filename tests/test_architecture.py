"""The package's shape: no import cycles, and a core that never reaches for Jupyter or the UI.

The import graph is read from the source (AST), so a lazy import inside a function counts as
much as one at the top: both run eventually. Only ``if TYPE_CHECKING:`` imports are exempt,
because they never run. See docs/architecture.md for the layers these tests enforce.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "dlstudio"
CORE = (
    "graph",
    "train",
    "datasets",
    "inspect",
    "explain",
    "export",
    "session",
    "paths",
    "playground",
)
UI_PACKAGES = ("dlstudio.ui", "dlstudio.app", "dlstudio.server")
JUPYTER = ("ipywidgets", "anywidget", "traitlets", "IPython", "ipykernel", "voila", "notebook")
JUPYTER_PREFIXES = ("jupyter",)  # jupyter_server, jupyterlab, jupyter_client, ...

# Imports that close a cycle someone is still removing (issue 10). Each entry is one import
# (importer, imported); the test fails when a listed import is gone, so the set only shrinks.
ALLOWED_FOR_NOW: set[tuple[str, str]] = set()

Graph = dict[str, set[str]]


# ------------------------------------------------------------------------ reading the source


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _sources() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, at any depth; ``if TYPE_CHECKING:`` bodies skipped."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imported_names(module: str) -> set[str]:
    """Everything ``module`` may import, as dotted names (``from a import b`` gives ``a.b``)."""
    path = _sources()[module]
    return names_in(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")


def names_in(source: str, module: str, is_package: bool = False) -> set[str]:
    names: set[str] = set()
    for node in _import_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
            continue
        origin = _absolute(node, module, is_package)
        names.update(f"{origin}.{alias.name}" for alias in node.names)
    return names


def _in_package(name: str) -> str | None:
    """The package module ``name`` lands on: itself, or the nearest enclosing module we have."""
    while name:
        if name in _sources():
            return name
        name = name.rpartition(".")[0]
    return None


@cache
def import_graph() -> Graph:
    """Module -> the package modules it imports (``from a import b``: a.b when b is a module).

    A package's ``__init__`` is not counted for its submodules: it runs first, but every tool
    that draws import graphs leaves it out, or every package would be one big loop.
    """
    graph: Graph = {}
    for module in _sources():
        targets = {_in_package(name) for name in imported_names(module)}
        graph[module] = {target for target in targets if target and target != module}
    return graph


# ------------------------------------------------------------------------------ graph algebra


def strongly_connected(graph: Graph) -> list[list[str]]:
    """The groups of modules that import each other (Tarjan), largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups, key=len, reverse=True)


def one_cycle(graph: Graph, group: list[str]) -> list[str]:
    """A shortest import loop through the group's first module, e.g. [a, b, c, a]."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & members):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    raise AssertionError(f"{group} is not a cycle")


def reachable(graph: Graph, starts: list[str]) -> set[str]:
    seen, todo = set(starts), list(starts)
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _without_allowed(graph: Graph) -> Graph:
    return {module: targets - {t for m, t in ALLOWED_FOR_NOW if m == module}
            for module, targets in graph.items()}  # fmt: skip


def _is_jupyter(name: str) -> bool:
    top = name.split(".")[0]
    widget = name.startswith("plotly.graph_objects.FigureWidget")
    return top in JUPYTER or top.startswith(JUPYTER_PREFIXES) or widget


# ------------------------------------------------------------------------------------ tests


def test_lazy_imports_count_and_type_checking_ones_do_not():
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "if TYPE_CHECKING:\n    import only_for_types\nelse:\n    import at_run_time\n"
        "def later():\n    from ..other import thing\n"
    )
    names = names_in(source, "pkg.sub.mod")
    assert {"pkg.sub.sibling", "at_run_time", "pkg.other.thing"} <= names
    assert "only_for_types" not in names


def test_a_cycle_is_found_and_spelled_out():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert one_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_the_import_graph_is_read_from_the_source():
    graph = import_graph()
    assert "dlstudio.graph.document" in graph["dlstudio.graph.graph"]
    assert "dlstudio.graph.layers" in graph["dlstudio.graph.analysis"]  # from pkg import module


def test_no_import_cycles():
    graph = _without_allowed(import_graph())
    loops = [" -> ".join(one_cycle(graph, group)) for group in strongly_connected(graph)]
    assert not loops, "Import cycles (break each one):\n" + "\n".join(loops)


def test_allowed_cycles_still_exist():
    graph = import_graph()
    gone = [edge for edge in sorted(ALLOWED_FOR_NOW) if edge[1] not in graph.get(edge[0], set())]
    assert not gone, f"{gone[0][0]} no longer imports {gone[0][1]}: remove it from ALLOWED_FOR_NOW."


def _deprecated(module: str) -> bool:
    """A shim left at an old path says so in the first word of its docstring."""
    tree = ast.parse(_sources()[module].read_text(encoding="utf-8"))
    return (ast.get_docstring(tree) or "").startswith("Deprecated")


def test_nothing_in_the_package_imports_a_deprecated_path():
    graph = import_graph()
    shims = {module for module in graph if _deprecated(module)}
    users = sorted((m, t) for m, targets in graph.items() for t in targets & shims)
    assert not users, "Deprecated paths still imported (importer, old path): " + repr(users)


def _core_modules() -> list[str]:
    return [m for m in import_graph() if "." in m and m.split(".")[1] in CORE]


def test_the_core_never_imports_the_ui():
    graph = import_graph()
    for module in _core_modules():
        wrong = [m for m in reachable(graph, [module]) if m.startswith(UI_PACKAGES)]
        assert not wrong, f"{module} reaches {sorted(wrong)[0]} (core must not import ui/app)"


def test_the_core_never_imports_jupyter():
    graph = import_graph()
    for module in _core_modules():
        for used in sorted(reachable(graph, [module])):
            jupyter = sorted(name for name in imported_names(used) if _is_jupyter(name))
            assert not jupyter, f"{module} reaches {used}, which imports {jupyter[0]}"


# Run in a fresh interpreter: for each Jupyter package (or dlstudio.ui/app module) loaded from
# outside Jupyter itself, the module whose import statement loaded it first.
_PROBE = f"""
import json, sys
loaded_by = {{}}

def jupyter(name):
    top = name.split(".")[0]
    return top in {JUPYTER!r} or top.startswith({JUPYTER_PREFIXES!r})

class Probe:
    def find_spec(self, name, path=None, target=None):
        if not (jupyter(name) or name.startswith({UI_PACKAGES!r})):
            return None
        frame = sys._getframe(1)
        while frame.f_code.co_filename.startswith("<frozen"):
            frame = frame.f_back
        importer = frame.f_globals.get("__name__", "?")
        if not jupyter(importer):
            loaded_by.setdefault(name.split(".")[0] if jupyter(name) else name, importer)
        return None

sys.meta_path.insert(0, Probe())
import dlstudio.graph, dlstudio.train, dlstudio.datasets, dlstudio.inspect, dlstudio.explain
import dlstudio.export.script
print(json.dumps(loaded_by))
"""

# Jupyter modules that a dependency of the core loads when they happen to be installed, and
# who loads them. Each is owned by an open item of issue 10; the lead empties this.
LOADED_BY_DEPENDENCIES_FOR_NOW = {
    # captum.attr imports IPython.display if present (try/except); dlstudio.explain could
    # import captum on first use instead.
    "IPython": "captum.attr._utils.visualization",
}


def test_importing_the_core_loads_no_jupyter_module():
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    loaded_by = json.loads(result.stdout.splitlines()[-1])
    assert loaded_by == LOADED_BY_DEPENDENCIES_FOR_NOW, (
        f"Importing the core loads {loaded_by} (module: who imported it); "
        f"expected only {LOADED_BY_DEPENDENCIES_FOR_NOW}."
    )


# The layers of docs/architecture.md, "Layers": each part of the package and the other parts it
# may import (``_moved``, the deprecation shims' helper, is open to all). A part not listed here
# fails the test, so a new package is placed in the drawing before it lands.
MAY_IMPORT: dict[str, set[str]] = {
    "graph": set(),
    "paths": set(),
    "datasets": set(),
    "train": {"graph", "datasets"},
    "inspect": {"graph", "datasets", "train"},
    "explain": {"graph", "datasets", "train"},
    "session": {"graph", "datasets", "train", "paths"},
    "export": {"graph", "datasets", "train", "session", "paths"},
    "frameworks": {"graph", "datasets", "train", "session", "export"},
    "playground": {"graph", "export"},
    "ui": {
        "graph",
        "datasets",
        "train",
        "inspect",
        "explain",
        "session",
        "export",
        "paths",
        "frameworks",
        "playground",
    },
    "app": {"ui"},
    # server: of ui only its protocol module (Jupyter-free), so both transports check requests
    # alike (test_the_server_takes_only_the_protocol_from_the_ui).
    "server": {"graph", "paths", "tutorials", "ui"},
    "tutorials": set(),
    "cli": {"graph", "datasets", "train", "export", "app", "tutorials"},
    "": set(),  # dlstudio/__init__.py: names resolved lazily by string, nothing imported
}


def _part(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def test_the_server_takes_only_the_protocol_from_the_ui():
    graph = import_graph()
    from_ui = {
        target
        for module, targets in graph.items()
        if _part(module) == "server"
        for target in targets
        if _part(target) == "ui"
    }
    assert from_ui <= {"dlstudio.ui", "dlstudio.ui.protocol"}, sorted(from_ui)


def test_each_part_imports_only_the_layers_below_it():
    graph = import_graph()
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if _part(target) not in {_part(module), "_moved"}
        and _part(target) not in MAY_IMPORT.get(_part(module), set())
    )
    unplaced = sorted({_part(m) for m in graph} - set(MAY_IMPORT) - {"_moved"})
    assert not unplaced, f"Place these parts in MAY_IMPORT and docs/architecture.md: {unplaced}"
    assert not wrong, "Imports across the layers (docs/architecture.md, 'Layers'):\n" + "\n".join(
        wrong
    )
