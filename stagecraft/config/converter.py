"""The one strict converter: plain data to attrs classes, never coercing a value.

cattrs structures ``stagecraft.yml``'s sections (and raw dicts passed as a
store's config); every problem it finds becomes a :class:`Problem` at the
line of the value, and no message ever echoes the value itself.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import cattrs
import cattrs.cols
import cattrs.gen

from stagecraft.config.marks import Marks, NodePath, format_path
from stagecraft.config.problems import Problem
from stagecraft.errors import ConfigFileError, did_you_mean


class _Mismatch(TypeError):
    """A value of the wrong YAML type.  Never carries the value itself."""

    def __init__(self, expected: str, value: object) -> None:
        self.expected = expected
        self.got = kind_of(value)
        hint = ""
        if expected == "a boolean" and isinstance(value, str) and value.lower() in _YAML11_WORDS:
            # The word is one of eight, none of them a secret: naming the fix helps.
            hint = " (write true or false: yes/no/on/off are strings in stagecraft.yml)"
        super().__init__(f"expected {expected}, got {self.got}{hint}")


_YAML11_WORDS = ("yes", "no", "on", "off")


def kind_of(value: object) -> str:
    """What YAML kind ``value`` is ("a string", "a list"), for messages that never echo it."""
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
    data: Any, cls: type[T], marks: Marks, display: str, *, base: NodePath = ()
) -> T:
    """Structure ``data`` into ``cls``; map every cattrs error to a located :class:`Problem`."""
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
    return structure(data, cls, Marks(), f"<{section} config>", base=base)


def _problems(exc: BaseException, path: NodePath, cls: Any, marks: Marks) -> list[Problem]:
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
                    child = (*path, _yaml_key(cls, note.name))
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


def _yaml_key(cls: Any, attribute: str) -> str:
    """The key ``attribute`` of ``cls`` is written as in the file (``source`` is ``from``)."""
    if attrs.has(cls):
        for field in attrs.fields(cls):
            if field.name == attribute:
                return str(field.metadata.get("key", attribute))
    return attribute


def _known(fields: Sequence[str]) -> str:
    return f"; allowed: {', '.join(fields)}" if fields else ""
