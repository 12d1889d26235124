"""The layers of `distill` (docs/architecture.md), read from the source: every import points down, no cycles.

Each module of the package belongs to one layer. An import (at the top of a module or
inside a function: both count) may reach its own layer or one below, never one above; no
two modules may import each other, directly or round a loop; and the public plugin API
(`distill.vocoders`) never imports host code, so a plugin's `import distill.vocoders`
stays light. The one exception is the deprecation shim in `distill/vocoders/__init__.py`
(`__getattr__`), which resolves old host names on demand for one release.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import distill

PACKAGE = Path(distill.__file__).parent

# Bottom first. A module belongs to the layer naming it or a package it is in.
LAYERS: list[tuple[str, set[str]]] = [
    (
        "base",
        {
            "distill",
            "distill.errors",
            "distill.names",
            "distill.fileio",
            "distill.documents",
            "distill.archives",
            "distill.paths",
            "distill.devices",
            "distill.progress",
            "distill.stopping",
        },
    ),
    ("audio", {"distill.audio"}),
    ("data", {"distill.data"}),
    ("models and controls", {"distill.models", "distill.controls"}),
    ("the plugin API", {"distill.vocoders"}),
    ("library", {"distill.library"}),
    ("training", {"distill.training"}),
    ("host", {"distill.host"}),
    ("inference", {"distill.inference"}),
    ("front ends", {"distill.cli", "distill.ui"}),
]
# (importing module, function): the deprecation shim, the one import allowed to point up.
SHIM = ("distill.vocoders", "__getattr__")


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    function: str | None  # the function it sits in; None at module level

    def __str__(self) -> str:
        where = f" (in {self.function})" if self.function else ""
        return f"{self.importer}:{self.line}{where} imports {self.imported}"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    """The index in `LAYERS` of the most specific name that holds `module`."""
    matches = [
        (len(name), index)
        for index, (_, names) in enumerate(LAYERS)
        for name in names
        if module == name or (module.startswith(f"{name}.") and name != "distill")
    ]
    if not matches:
        raise LookupError(module)
    return max(matches)[1]


def _targets(node: ast.Import | ast.ImportFrom, importer: str) -> list[str]:
    """The distill modules an import statement loads (`from pkg import mod` names the module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: from the importer's package
        package = importer if MODULES[importer].name == "__init__.py" else importer.rpartition(".")[0]
        base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], *filter(None, [base])])
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]


def _imports_in(module: str) -> list[Import]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name if function is None else function)
            elif isinstance(child, ast.Import | ast.ImportFrom):
                for target in _targets(child, module):
                    if target == "distill" or target.startswith("distill."):
                        found.append(Import(module, target, child.lineno, function))
            else:
                visit(child, function)

    visit(tree, None)
    return found


def all_imports() -> list[Import]:
    return [edge for module in MODULES for edge in _imports_in(module) if (edge.importer, edge.function) != SHIM]


def cycles(edges: list[Import]) -> list[list[str]]:
    """Every group of modules that import each other round a loop (Tarjan's strongly connected components)."""
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for edge in edges:
        graph[edge.importer].add(edge.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            connect(node)
    return groups


def test_every_module_has_a_layer():
    """A new top-level module or package must be given its place here and in docs/architecture.md."""
    unplaced = []
    for module in MODULES:
        try:
            layer_of(module)
        except LookupError:
            unplaced.append(module)
    assert not unplaced, f"modules in no layer: {unplaced}"


def test_imports_only_point_down():
    upward = sorted(
        {
            f"{edge}: {LAYERS[layer_of(edge.importer)][0]} -> {LAYERS[layer_of(edge.imported)][0]}"
            for edge in all_imports()
            if layer_of(edge.imported) > layer_of(edge.importer)
        }
    )
    assert not upward, "imports that point up a layer:\n" + "\n".join(upward)


def test_no_module_imports_another_that_imports_it_back():
    edges = all_imports()
    found = cycles(edges)
    detail = sorted({str(e) for e in edges if any(e.importer in g and e.imported in g for g in found)})
    assert not found, f"import cycles: {found}\n" + "\n".join(detail)


def test_the_plugin_api_imports_no_host_code():
    reach = sorted(
        {
            str(edge)
            for edge in all_imports()
            if layer_of(edge.importer) == layer_of("distill.vocoders") and edge.imported.startswith("distill.host")
        }
    )
    assert not reach, "\n".join(reach)


def test_only_the_deprecation_shim_is_exempt():
    """It may reach the old names' new homes, and nothing else."""
    exempt = {edge.imported for edge in _imports_in("distill.vocoders") if edge.function == SHIM[1]}
    assert exempt == {"distill.host.registry", "distill.host.selector", "distill.vocoders.plugins"}


def test_the_checks_see_an_upward_import_and_a_cycle():
    """The walker itself: a function-level import of host code from the library is both."""
    edge = Import("distill.library.catalog", "distill.host.evaluation", 1, "describe_model")
    assert layer_of(edge.imported) > layer_of(edge.importer)
    back = Import("distill.host.evaluation", "distill.library.catalog", 1, None)
    assert cycles([edge, back]) == [["distill.host.evaluation", "distill.library.catalog"]]


def _loaded_by(module: str) -> list[str]:
    """The distill modules a fresh interpreter holds after `import module`."""
    code = f"import sys, {module}; print(' '.join(m for m in sys.modules if m.startswith('distill')))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def test_a_plugin_importing_the_api_loads_only_light_modules():
    """What `import distill.vocoders` costs a plugin: the mel, audio and type helpers, nothing above them."""
    layers = {LAYERS[layer_of(module)][0] for module in _loaded_by("distill.vocoders")}
    assert layers <= {"base", "audio", "the plugin API"}, layers


def test_the_conformance_suite_loads_no_host_code():
    """It builds test models (`model_for`), so the model file comes along; nothing above the plugin API does."""
    loaded = _loaded_by("distill.vocoders.testing")
    assert max(layer_of(module) for module in loaded) == layer_of("distill.vocoders"), sorted(loaded)
