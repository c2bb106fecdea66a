"""The import graph: no cycles in the core or contrib, and the interface below the plugin layer.

Every ``import`` of the project's own modules counts, at module level or
inside a function (a deferred import is still a dependency), except those
under ``if TYPE_CHECKING:``, which never run.  An import of a package
(``import stagecraft``) is not an edge to everything the package re-exports:
a package is the composition root its submodules hang from, and every module
imports its parent packages implicitly anyway.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "stagecraft", *sorted(ROOT.glob("contrib/*/stagecraft_*"))]


def module_name(path: Path, top: Path) -> str:
    parts = list(path.relative_to(top.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for top in SOURCES:
        for path in sorted(top.rglob("*.py")):
            found[module_name(path, top)] = path
    return found


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports (not packages, not TYPE_CHECKING-only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            if target in known and known[target].name != "__init__.py" and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_graph_sees_real_edges() -> None:
    edges = graph()
    assert "stagecraft.providers.secrets" in edges["stagecraft.plugins.manager"]
    assert "stagecraft.selection" in edges["stagecraft.engine"]
    # a deferred import counts
    assert "stagecraft.config.converter" in edges["stagecraft.store_base"]
    assert "stagecraft.engine" in edges["stagecraft.store"]
    assert "stagecraft_encore.cue" in edges["stagecraft_encore.cue_store"]
    assert "stagecraft.dotenv.writer" in edges["stagecraft.dotenv.document"]
    readers = "stagecraft.dotenv.readers"
    assert f"{readers}.node_dotenv" in edges[f"{readers}.dotenv_expand"]
    assert "stagecraft.config.converter" in edges["stagecraft.config.schema"]


def test_no_import_cycles() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("module", ["stagecraft.providers.secrets", "stagecraft.providers.registry",
                                    "stagecraft.providers.default_registry", "stagecraft.store",
                                    "stagecraft.errors", "stagecraft.redact"])
def test_the_interface_does_not_import_the_plugin_layer(module: str) -> None:
    def reach(start: str, edges: dict[str, set[str]]) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            node = todo.pop()
            for nxt in edges.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    edges = graph()
    assert "stagecraft.plugins.manager" in edges  # the plugin layer is seen at all
    reached = sorted(name for name in reach(module, edges) if name.startswith("stagecraft.plugins"))
    assert reached == []


def _imports_of_the_package_root(path: Path) -> list[int]:
    """Lines of ``path`` that import the ``stagecraft`` package itself (at any depth)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        whole = isinstance(node, ast.Import) and any(a.name == "stagecraft" for a in node.names)
        names = (isinstance(node, ast.ImportFrom) and node.module == "stagecraft"
                 and not node.level
                 and any(alias.name not in modules_of_the_root() for alias in node.names))
        if whole or names:
            lines.append(node.lineno)
    return lines


def modules_of_the_root() -> set[str]:
    """Names ``from stagecraft import NAME`` may take: submodules, not the root's own names."""
    return {path.stem for path in (ROOT / "stagecraft").iterdir()
            if path.suffix == ".py" or (path / "__init__.py").exists()}


@pytest.mark.parametrize("module", ["stagecraft.providers", "stagecraft.plugins"])
def test_the_interface_and_the_plugin_layer_do_not_import_the_package_root(module: str) -> None:
    # The package root re-exports from its submodules; a submodule that
    # imports it back reaches everything the root can reach.
    found = {
        name: lines
        for name, path in modules().items()
        if (name == module or name.startswith(module + "."))
        and (lines := _imports_of_the_package_root(path))
    }
    assert found == {}


def test_the_root_import_finder_finds_them(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text("import stagecraft\nfrom stagecraft import hookspecs\n"
                      "def f():\n    from stagecraft import __version__\n")
    assert _imports_of_the_package_root(source) == [1, 4]


def test_no_module_reaches_through_the_package_root() -> None:
    """``import stagecraft`` or ``from stagecraft import NAME`` (a re-export, not a module)
    would make the package's re-exports a dependency: the core imports modules directly."""
    known = modules()
    offenders = []
    for name, path in known.items():
        if name == "stagecraft" or not name.startswith("stagecraft."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(a.name == "stagecraft" for a in node.names):
                offenders.append(f"{name}: import stagecraft")
            elif (isinstance(node, ast.ImportFrom) and node.module == "stagecraft"
                  and not node.level):
                offenders += [f"{name}: from stagecraft import {alias.name}"
                              for alias in node.names if f"stagecraft.{alias.name}" not in known
                              and alias.name != "__version__"]  # metadata, not a re-export
    assert offenders == []
