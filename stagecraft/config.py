"""``stagecraft.yml``: finding it, reading it, and turning it into typed settings.

Loading happens in two phases, because the ``plugins`` section decides which
plugins get imported and plugins decide what the ``secrets`` section may hold:

1. :func:`load` parses the YAML (safe loading only), remembers the line and
   column of every node, and validates the core keys (``secrets.provider``,
   ``secrets.providers``, ``plugins.*``).  Nothing is imported yet.
2. Once plugins are loaded, :func:`choose_provider` checks ``secrets.provider``
   against the registry and :meth:`Config.provider_config` structures the
   chosen provider's section into the provider's attrs ``Config`` class.

Every problem is reported as ``FILE:LINE:COL: PATH: what is wrong`` with a
"did you mean" hint for likely typos.  cattrs is imported only when a config
file must actually be structured, because the command's start-up time counts.
"""

from __future__ import annotations

import functools
import os
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from stagecraft.config_location import (  # find_config: documented here too
    CONFIG_NAME,
    find_config,  # noqa: F401
)
from stagecraft.errors import ConfigError, did_you_mean

if typing.TYPE_CHECKING:
    import cattrs
    import yaml

    from stagecraft.providers.secrets import Registry, SecretsProvider


#: A location inside the document: mapping keys and list indices.
NodePath = tuple[str | int, ...]


# ------------------------------------------------------------------ schema


@attrs.frozen
class SecretsConfig:
    """The ``secrets`` section: the default provider and each provider's own section."""

    provider: str | None = None
    providers: dict[str, dict[str, Any] | None] = attrs.field(factory=dict)
    #: ``secrets.from`` / ``secrets.to``: ``[ID:]LOCATION`` defaults for ``--from`` / ``--to``.
    source: str | None = attrs.field(default=None, metadata={"key": "from"})
    target: str | None = attrs.field(default=None, metadata={"key": "to"})


@attrs.frozen
class PluginsConfig:
    """The ``plugins`` section: applied before any plugin is imported."""

    disable: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    dirs: tuple[str, ...] = ()


@attrs.frozen
class _Document:
    """The top level of ``stagecraft.yml``, as cattrs structures it."""

    secrets: SecretsConfig = attrs.field(factory=SecretsConfig)
    plugins: PluginsConfig = attrs.field(factory=PluginsConfig)


@attrs.frozen
class Mark:
    """A 1-based line and column."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@attrs.frozen
class Problem:
    """One thing wrong with the config file, with where it is."""

    mark: Mark
    path: str
    message: str


class ConfigFileError(ConfigError):
    """``stagecraft.yml`` is invalid.  One line per problem, each with ``FILE:LINE:COL``."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        lines = []
        for problem in self.problems:
            where = f"{file}:{problem.mark}"
            lines.append(
                f"{where}: {problem.path}: {problem.message}"
                if problem.path
                else f"{where}: {problem.message}"
            )
        super().__init__("\n".join(lines))


@attrs.frozen
class _Marks:
    """Where each value (and each mapping key) of the document starts."""

    values: dict[NodePath, Mark] = attrs.field(factory=dict)
    keys: dict[NodePath, Mark] = attrs.field(factory=dict)

    def of_value(self, path: NodePath) -> Mark:
        """The mark of the value at ``path``, or of its nearest ancestor."""
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, Mark(1, 1))

    def of_key(self, path: NodePath) -> Mark:
        return self.keys.get(path) or self.of_value(path)


@attrs.frozen
class Config:
    """A loaded ``stagecraft.yml``."""

    path: Path
    display: str
    secrets: SecretsConfig
    plugins: PluginsConfig
    marks: _Marks = attrs.field(repr=False, eq=False)

    @property
    def directory(self) -> Path:
        """The directory relative config paths resolve against."""
        return self.path.parent

    @property
    def plugin_dirs(self) -> tuple[Path, ...]:
        """``plugins.dirs``, absolute (relative entries resolve against :attr:`directory`)."""
        return tuple(self.directory / Path(d).expanduser() for d in self.plugins.dirs)

    def error(self, path: NodePath, message: str, *, at_key: bool = False) -> ConfigFileError:
        """A :class:`ConfigFileError` pointing at ``path`` in this file."""
        mark = self.marks.of_key(path) if at_key else self.marks.of_value(path)
        return ConfigFileError(self.display, [Problem(mark, format_path(path), message)])

    def has_section(self, provider_id: str) -> bool:
        return provider_id in self.secrets.providers

    def provider_config(self, provider: SecretsProvider) -> Any:
        """The provider's section, structured into ``provider.Config`` when it has one.

        None when the file has no section for the provider (the provider then
        uses its defaults); the plain mapping when the provider declares no
        ``Config`` class.
        """
        provider_id = provider.id
        if provider_id not in self.secrets.providers:
            return None
        raw = self.secrets.providers[provider_id] or {}
        config_class = getattr(provider, "Config", None)
        if config_class is None:
            return raw
        if not attrs.has(config_class):
            from stagecraft.errors import PluginError

            raise PluginError(
                f"secrets provider {provider_id!r} declares a Config that is not an attrs class"
            )
        return self._structure(raw, config_class, ("secrets", "providers", provider_id))

    def _structure(self, raw: Any, cls: type[Any], base: NodePath) -> Any:
        return structure(raw, cls, self.marks, self.display, base=base)


def format_path(path: NodePath) -> str:
    """``("plugins", "dirs", 1)`` -> ``plugins.dirs[1]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


# ------------------------------------------------------------------ finding


def _display_name(path: Path, cwd: Path | None) -> str:
    base = cwd if cwd is not None else Path.cwd()
    try:
        relative = os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


# ------------------------------------------------------------------ parsing


def load(path: str | Path, *, cwd: Path | None = None) -> Config:
    """Read, parse and validate the core keys of a config file (phase 1).

    Raises :class:`ConfigFileError` for anything wrong with the file, with its
    line and column.
    """
    file = Path(path)
    display = _display_name(file, cwd)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{display}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{display}: cannot read: {exc.strerror or exc}") from None
    data, marks = parse(text, display)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__} value"
        raise ConfigFileError(
            display, [Problem(marks.of_value(()), "", f"top level must be a mapping, not {kind}")]
        )
    document: _Document = structure(data, _Document, marks, display)
    config = Config(file.absolute(), display, document.secrets, document.plugins, marks)
    _check_core(config)
    return config


def _check_core(config: Config) -> None:
    problems = []
    for index, (entry, directory) in enumerate(
        zip(config.plugins.dirs, config.plugin_dirs, strict=True)
    ):
        if not directory.is_dir():
            path: NodePath = ("plugins", "dirs", index)
            problems.append(
                Problem(
                    config.marks.of_value(path),
                    format_path(path),
                    f"plugin directory {entry} does not exist (relative to {config.directory})",
                )
            )
    for section, names in (("disable", config.plugins.disable),
                           ("modules", config.plugins.modules)):
        for index, name in enumerate(names):
            path = ("plugins", section, index)
            if not name.strip():
                message = "must not be empty"
            elif section == "disable" and name.strip() == "core":
                message = "the builtin 'core' plugin cannot be disabled"
            else:
                continue
            problems.append(Problem(config.marks.of_value(path), format_path(path), message))
    if config.secrets.provider is not None and not config.secrets.provider.strip():
        path = ("secrets", "provider")
        problems.append(
            Problem(config.marks.of_value(path), format_path(path), "must not be empty")
        )
    if problems:
        raise ConfigFileError(config.display, problems)


def _first_tab(text: str) -> Mark | None:
    """Where a tab is used for indentation (YAML forbids it; pyyaml's message is cryptic)."""
    for number, line in enumerate(text.splitlines(), start=1):
        indent = len(line) - len(line.lstrip(" \t"))
        column = line.find("\t", 0, indent)
        if column >= 0 and line.strip():
            return Mark(number, column + 1)
    return None


def _loader_class() -> type[yaml.SafeLoader]:
    import yaml

    # The C loader (when pyyaml has it) composes the same nodes, with marks, faster.
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def parse(text: str, display: str = CONFIG_NAME) -> tuple[Any, _Marks]:
    """Parse YAML text into plain data plus the mark of every node.

    Rejects tab indentation, duplicate keys, non-string keys, recursive
    aliases and an empty document, each with its line and column.
    """
    import yaml

    tab = _first_tab(text)
    if tab is not None:
        raise ConfigFileError(
            display, [Problem(tab, "", "tab character used for indentation; indent with spaces")]
        )
    loader = _loader_class()(text)
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
        marks = _Marks()
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

    def __init__(self, loader: Any, marks: _Marks, display: str) -> None:
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
        import yaml

        if isinstance(node, yaml.ScalarNode):
            if _yaml11_bool(node):
                return node.value  # a string, as YAML 1.2 reads it (see _yaml11_bool)
            try:
                return self._loader.construct_object(node, deep=True)
            except yaml.YAMLError as exc:
                raise self._fail(node, path, f"invalid value: {getattr(exc, 'problem', exc)}") \
                    from None
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
        import yaml

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


# --------------------------------------------------------------- structuring


class _Mismatch(TypeError):
    """A value of the wrong YAML type.  Never carries the value itself."""

    def __init__(self, expected: str, value: object) -> None:
        self.expected = expected
        self.got = _kind(value)
        hint = ""
        if expected == "a boolean" and isinstance(value, str) and value.lower() in _YAML11_WORDS:
            # The word is one of eight, none of them a secret: naming the fix helps.
            hint = " (write true or false: yes/no/on/off are strings in stagecraft.yml)"
        super().__init__(f"expected {expected}, got {self.got}{hint}")


_YAML11_WORDS = ("yes", "no", "on", "off")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "a mapping"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def _strict(expected: str, accept: Callable[[object], bool], make: Callable[[Any], Any]) -> Any:
    def hook(value: object, _type: object) -> Any:
        if not accept(value):
            raise _Mismatch(expected, value)
        return make(value)

    return hook


@functools.cache
def _converter() -> cattrs.Converter:
    """A cattrs converter that never coerces (``5`` is not a string, ``"x"`` not a list)."""
    import cattrs
    import cattrs.cols
    import cattrs.gen

    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(
        str, _strict("a string", lambda v: isinstance(v, str), str)
    )
    conv.register_structure_hook(
        bool, _strict("a boolean", lambda v: isinstance(v, bool), bool)
    )
    conv.register_structure_hook(
        int,
        _strict("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool), int),
    )
    conv.register_structure_hook(
        float,
        _strict(
            "a number",
            lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            float,
        ),
    )
    conv.register_structure_hook(
        Path, _strict("a path string", lambda v: isinstance(v, str) and bool(v), Path)
    )

    def guarded(inner: Any, expected: type, description: str) -> Any:
        # cattrs would happily turn a string into a list of characters, or
        # a list into a mapping: check the YAML node's kind first.
        def hook(value: object, type_arg: Any) -> Any:
            if not isinstance(value, expected):
                raise _Mismatch(description, value)
            return inner(value, type_arg)

        return hook

    def sequences(type_: Any, converter: cattrs.Converter) -> Any:
        origin = typing.get_origin(type_) or type_
        inner = (
            cattrs.cols.homogenous_tuple_structure_factory(type_, converter)
            if origin is tuple
            else cattrs.cols.list_structure_factory(type_, converter)
        )

        return guarded(inner, list, "a list")

    def mappings(type_: Any, converter: cattrs.Converter) -> Any:
        inner = cattrs.cols.mapping_structure_factory(type_, converter)
        return guarded(inner, dict, "a mapping")

    def classes(type_: Any, converter: cattrs.Converter) -> Any:
        # A field whose YAML key is not a Python name (``from``) says so in its metadata.
        renamed: dict[str, Any] = {
            field.name: cattrs.gen.override(rename=field.metadata["key"])
            for field in attrs.fields(type_)
            if "key" in field.metadata
        }
        inner = cattrs.gen.make_dict_structure_fn(type_, converter, **renamed)
        return guarded(inner, dict, "a mapping")

    def is_plain_sequence(type_: Any) -> bool:
        return bool(cattrs.cols.is_sequence(type_)) and type_ is not str

    conv.register_structure_hook_factory(is_plain_sequence, sequences)
    conv.register_structure_hook_factory(cattrs.cols.is_mapping, mappings)
    conv.register_structure_hook_factory(attrs.has, classes)
    return conv


T = typing.TypeVar("T")


def structure(
    data: Any, cls: type[T], marks: _Marks, display: str, *, base: NodePath = ()
) -> T:
    """Structure ``data`` into ``cls``; map every cattrs error to a located :class:`Problem`."""
    import cattrs

    try:
        return _converter().structure(data, cls)
    except (cattrs.BaseValidationError, _Mismatch) as exc:
        problems = _problems(exc, base, cls, marks)
    except (TypeError, ValueError) as exc:  # attrs validators, enums, literals
        problems = [Problem(marks.of_value(base), format_path(base), str(exc))]
    raise ConfigFileError(display, sorted(problems, key=lambda p: (p.mark.line, p.mark.column)))


def structure_plain(data: Any, cls: type[T], section: str) -> T:
    """Structure a provider section that has no file behind it (defaults, hand-made options).

    The same strict converter as for ``stagecraft.yml``; problems name the
    section's path instead of a line.
    """
    base: NodePath = ("secrets", "providers", section)
    return structure(data, cls, _Marks(), f"<{section} config>", base=base)


def _problems(exc: BaseException, path: NodePath, cls: Any, marks: _Marks) -> list[Problem]:
    import cattrs

    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        fields = (
            [a.metadata.get("key", a.name) for a in attrs.fields(exc.cl)]
            if attrs.has(exc.cl) else []
        )
        found = []
        for extra in sorted(exc.extra_fields):
            key_path = (*path, extra)
            found.append(
                Problem(marks.of_key(key_path), format_path(key_path),
                        "unknown key" + did_you_mean(extra, fields) + _known(fields))
            )
        return found
    if isinstance(exc, cattrs.BaseValidationError):
        found = []
        for sub in exc.exceptions:
            child = path
            child_cls = cls
            for note in getattr(sub, "__notes__", []):
                if isinstance(note, cattrs.AttributeValidationNote):
                    child = (*path, note.name)
                    child_cls = note.type
                elif isinstance(note, cattrs.IterableValidationNote):
                    child = (*path, note.index)
                    child_cls = note.type
            found.extend(_problems(sub, child, child_cls, marks))
        return found
    if isinstance(exc, KeyError):
        # A required attribute is missing: point at the mapping that lacks it.
        return [Problem(marks.of_value(path[:-1]), format_path(path), "required key is missing")]
    if isinstance(exc, _Mismatch):
        return [Problem(marks.of_value(path), format_path(path), str(exc))]
    return [Problem(marks.of_value(path), format_path(path), f"invalid value: {exc}")]


def _known(fields: Sequence[str]) -> str:
    return f"; allowed: {', '.join(fields)}" if fields else ""


# --------------------------------------------------------------- providers


def choose_provider(
    config: Config | None, registry: Registry, override: str | None = None
) -> SecretsProvider:
    """The provider to sync with: ``override`` (``--provider``), else ``secrets.provider``.

    Errors from the config file point at the ``secrets.provider`` line.
    """
    if override:
        return registry.get(override)
    if config is None:
        raise ConfigError(
            f"no secrets provider chosen: pass --provider ID, or set secrets.provider in "
            f"{CONFIG_NAME} (none found in this directory or its parents)"
        )
    chosen = config.secrets.provider
    if chosen is None:
        raise config.error(
            ("secrets",),
            "no secrets provider chosen: set secrets.provider here or pass --provider ID",
        )
    from stagecraft.providers.secrets import UnknownProviderError

    try:
        provider = registry.get(chosen)
    except UnknownProviderError as exc:  # the registry's words, at the line that named the id
        raise config.error(("secrets", "provider"), str(exc)) from None
    if config.secrets.providers and not config.has_section(chosen):
        # Sections exist, just not this one: most likely a typo in one of them.
        raise config.error(
            ("secrets", "providers"),
            f"no section for the chosen provider {chosen!r}"
            f"{did_you_mean(chosen, config.secrets.providers)}",
        )
    return provider


def check_sections(config: Config, registry: Registry) -> None:
    """Report every ``secrets.providers`` section whose id no installed provider has.

    Only ``config check`` is this strict: a sync must still work on a machine
    that lacks the plugin some other section is for.
    """
    problems: list[Problem] = []
    for provider_id in config.secrets.providers:
        if not registry.has(provider_id):
            path: NodePath = ("secrets", "providers", provider_id)
            listed = ", ".join(registry.ids()) or "none loaded"
            problems.append(
                Problem(
                    config.marks.of_key(path),
                    format_path(path),
                    "no installed secrets provider has this id"
                    f"{did_you_mean(provider_id, registry.ids())} (available: {listed})",
                )
            )
    if problems:
        raise ConfigFileError(config.display, problems)
