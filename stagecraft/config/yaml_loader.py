"""YAML text to plain data, keeping the line and column of every node.

pyyaml's safe loading composes the nodes; building plain data from them here
(rather than with pyyaml's constructor alone) records each node's mark,
refuses what a config file should never hold (duplicate keys, non-string
keys, recursive aliases, alias bombs, tab indentation) at its line, and keeps
YAML 1.1's yes/no/on/off the strings YAML 1.2 reads them as.
"""

from __future__ import annotations

from typing import Any

import yaml

from stagecraft.config.marks import Mark, Marks, NodePath, format_path
from stagecraft.config.problems import Problem
from stagecraft.config_location import CONFIG_NAME
from stagecraft.errors import ConfigFileError

# The C loader (when pyyaml has it) composes the same nodes, with marks, faster.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _first_tab(text: str) -> Mark | None:
    """Where a tab is used for indentation (YAML forbids it; pyyaml's message is cryptic)."""
    for number, line in enumerate(text.splitlines(), start=1):
        indent = len(line) - len(line.lstrip(" \t"))
        column = line.find("\t", 0, indent)
        if column >= 0 and line.strip():
            return Mark(number, column + 1)
    return None


def parse(text: str, display: str = CONFIG_NAME) -> tuple[Any, Marks]:
    """Parse YAML text into plain data plus the mark of every node.

    Rejects tab indentation, duplicate keys, non-string keys, recursive
    aliases and an empty document, each with its line and column.
    """
    tab = _first_tab(text)
    if tab is not None:
        raise ConfigFileError(
            display, [Problem(tab, "", "tab character used for indentation; indent with spaces")]
        )
    loader = _LOADER(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
            what = f"{exc.problem}" + (f" ({exc.context})" if exc.context else "")
            raise ConfigFileError(display, [Problem(where, "", f"invalid YAML: {what}")]) from None
        except yaml.YAMLError as exc:
            raise ConfigFileError(display, [Problem(Mark(1, 1), "", f"invalid YAML: {exc}")]) \
                from None
        if node is None:
            raise ConfigFileError(display, [Problem(Mark(1, 1), "", "config file is empty")])
        marks = Marks()
        builder = _Builder(loader, marks, display)
        return builder.build(node, ()), marks
    finally:
        loader.dispose()


#: How many values aliases may add to a document beyond its own nodes.  A YAML
#: alias is a reference, but plain data copies it: nine levels of nine aliases
#: each ("billion laughs") turn a 1 kB file into 9**9 values.  A real
#: stagecraft.yml uses a handful of aliases; this bound is far above that.
MAX_ALIAS_EXPANSION = 10_000


class _Builder:
    """Turns a composed node tree into plain data, recording marks as it goes.

    Every value is built as a copy, so a node reached through aliases is
    built once per alias: the builder counts those extra builds and stops at
    :data:`MAX_ALIAS_EXPANSION`, pointing at the anchor being expanded.
    """

    def __init__(self, loader: Any, marks: Marks, display: str) -> None:
        self._loader = loader
        self._marks = marks
        self._display = display
        self._active: set[int] = set()
        self._built: set[int] = set()
        self._builds = 0
        self._expanding: tuple[Any, NodePath] | None = None  # the outermost alias being copied

    def _fail(self, node: Any, path: NodePath, message: str) -> ConfigFileError:
        mark = Mark(node.start_mark.line + 1, node.start_mark.column + 1)
        return ConfigFileError(self._display, [Problem(mark, format_path(path), message)])

    def build(self, node: Any, path: NodePath) -> Any:
        self._marks.values.setdefault(
            path, Mark(node.start_mark.line + 1, node.start_mark.column + 1)
        )
        if id(node) in self._active:
            raise self._fail(node, path, "recursive YAML alias")
        self._builds += 1
        outermost = self._expanding is None and id(node) in self._built
        if outermost:
            self._expanding = (node, path)
        self._built.add(id(node))
        try:
            if self._builds - len(self._built) > MAX_ALIAS_EXPANSION:
                anchor, where = self._expanding or (node, path)
                raise self._fail(
                    anchor, where,
                    "this alias copies the anchor defined at this line, and aliases expand "
                    f"to more than {MAX_ALIAS_EXPANSION} copied values (an alias bomb?); "
                    "refusing to load",
                )
            return self._build(node, path)
        finally:
            if outermost:
                self._expanding = None

    def _build(self, node: Any, path: NodePath) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if _yaml11_bool(node):
                return node.value  # a string, as YAML 1.2 reads it (see _yaml11_bool)
            try:
                return self._loader.construct_object(node, deep=True)
            except yaml.YAMLError as exc:
                raise self._fail(node, path, f"invalid value: {getattr(exc, 'problem', exc)}") \
                    from None
            except ValueError:  # ``!!int twelve``: the message would quote the value
                tag = node.tag.replace("tag:yaml.org,2002:", "!!")
                raise self._fail(node, path, f"invalid value: not a valid {tag}") from None
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            raise self._fail(node, path, "unsupported YAML node")  # pragma: no cover
        finally:
            self._active.discard(id(node))

    def _mapping(self, node: Any, path: NodePath) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if not isinstance(key_node, yaml.ScalarNode) or (
                key_node.tag != "tag:yaml.org,2002:str" and not _yaml11_bool(key_node)
            ):
                raise self._fail(key_node, path, "mapping keys must be strings")
            key = key_node.value
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise self._fail(
                    key_node, (*path, key), f"duplicate key (first defined on line {first})"
                )
            seen[key] = key_node
        self._loader.flatten_mapping(node)  # resolve `<<: *anchor` merges
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            self._marks.keys[child] = Mark(
                key_node.start_mark.line + 1, key_node.start_mark.column + 1
            )
            self._marks.values.pop(child, None)  # a later (explicit) key wins over a merge
            result[key] = self.build(value_node, child)
        return result


#: What YAML 1.2 calls a boolean; pyyaml (YAML 1.1) also reads yes/no/on/off so.
_BOOLEAN_WORDS = ("true", "false")


def _yaml11_bool(node: Any) -> bool:
    """Whether ``node`` is a plain scalar that only YAML 1.1 reads as a boolean.

    pyyaml turns ``yes``, ``no``, ``on`` and ``off`` into booleans, so
    ``create_target: yes`` would be accepted and ``env: no`` become False.
    Values are never coerced here: such a scalar stays the string it reads
    as, and a boolean setting then reports it with a hint (see
    :class:`_Mismatch`).
    """
    return node.tag == "tag:yaml.org,2002:bool" and node.value.lower() not in _BOOLEAN_WORDS
