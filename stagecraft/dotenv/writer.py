"""Choosing how to write a value so that every chosen reader reads it back unchanged.

Writing rules
-------------
:func:`format_value` picks, for a value and the readers that will read the file
(:class:`Reader`: python-dotenv, Node dotenv and docker compose by default, plus
``shell`` and ``dotenv-expand``), the first form that every chosen reader *and this parser*
read back exactly: plain; for a value with line breaks, ``"..."`` with only the
breaks escaped as ``\\n``/``\\r`` (the only escapes Node decodes); ``'raw'`` (may
span lines); the double-quoted forms (escaped breaks, or raw ones for shells);
then forms only some readers accept (``"..."`` with ``\\\\`` and ``\\"`` escapes;
``'...'`` with ``\\'``).  For dotenv-expand every ``$`` is written ``\\$``.  Each
candidate is checked against a model of each reader, written from its source
(python-dotenv, Node dotenv, dotenv-expand, POSIX sh) or, for compose-go, from
what it was observed to do, and checked against the real programs by the tests.
So the rules follow from the models rather than being listed by hand; for
example, with the default readers:

* plain is used unless the value has a line break, leading or trailing
  whitespace, a leading quote or backtick, ``#`` (Node cuts at any ``#``), a
  ``$`` before a name character or ``{`` (compose expands it outside single
  quotes), or control characters;
* single quotes carry anything without ``'`` and not ending in a backslash
  (that makes python-dotenv and compose look further for the closing quote);
* Node keeps ``\\"`` and ``\\\\`` with their backslash, so a value holding ``"``
  cannot be double-quoted for Node;
* python-dotenv expands ``${NAME}`` (with the closing brace) in every quoting
  style with no escape, so such a value cannot be written for it at all.

When no form works, :class:`UnwritableValueError` names the key and the reason
(never the value): the reader that cannot carry it alone, or that no single
spelling serves all of them.  Targeting fewer readers widens what can be written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet

from stagecraft.dotenv.full_parse import parse_full
from stagecraft.dotenv.readers.docker_compose import read_docker_compose
from stagecraft.dotenv.readers.dotenv_expand import read_dotenv_expand, runs_command
from stagecraft.dotenv.readers.node_dotenv import read_node_dotenv
from stagecraft.dotenv.readers.python_dotenv import PD_VARIABLE, read_python_dotenv
from stagecraft.dotenv.readers.reader import DEFAULT_READERS, Reader
from stagecraft.dotenv.readers.shell import read_shell, shell_key_problem
from stagecraft.errors import DotenvError, UnwritableValueError

_MODELS: dict[Reader, Callable[[str], str | None]] = {
    Reader.PYTHON_DOTENV: read_python_dotenv,
    Reader.NODE_DOTENV: read_node_dotenv,
    Reader.DOCKER_COMPOSE: read_docker_compose,
    Reader.SHELL: read_shell,
    Reader.DOTENV_EXPAND: read_dotenv_expand,
}


def _read_ours(form: str, readers: AbstractSet[Reader] = frozenset()) -> str | None:
    """This parser's reading of ``K=form`` (as :func:`parse` with ``readers``)."""
    try:
        parsed = parse_full(f"K={form}\nN=1\n", "<value>", expansions=False)
    except DotenvError:
        return None
    if parsed.values.get("N") != "1" or len(parsed.values) != 2 or parsed.warnings:
        return None
    value = parsed.values.get("K")
    if value is not None and Reader.DOTENV_EXPAND in readers:
        value = value.replace("\\$", "$")
    return value


def _plain_is_tidy(value: str) -> bool:
    """Plain text that no reader could mistake: printable, no line separators."""
    for char in value:
        if char != "\t" and unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs"):
            return False
    return True


def _spellings(text: str) -> Iterator[str]:
    """Forms of ``text`` to try, most readable first.  Line breaks go escaped on
    one line when possible, so line-based tools and CRLF files see one line per
    key; raw ones are for shells, which do not decode ``\\n``."""
    if _plain_is_tidy(text):
        yield text
    breaks = text.replace("\r", "\\r").replace("\n", "\\n")
    if breaks != text:
        yield f'"{breaks}"'
    yield f"'{text}'"
    yield f'"{breaks}"'
    yield f'"{text}"'
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    yield '"' + escaped.replace("\r", "\\r").replace("\n", "\\n") + '"'
    yield f'"{escaped}"'
    yield "'" + text.replace("'", "\\'") + "'"
    yield "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _candidates(value: str, readers: AbstractSet[Reader] = DEFAULT_READERS) -> list[str]:
    """Distinct forms to try for ``value``.  For dotenv-expand every ``$`` is
    written ``\\$`` (the only way it passes unexpanded)."""
    text = value
    if Reader.DOTENV_EXPAND in readers and "$" in value:
        text = value.replace("$", "\\$")
    return list(dict.fromkeys(_spellings(text)))


def _first_form(value: str, readers: AbstractSet[Reader]) -> str | None:
    """The first candidate every reader in ``readers`` and this parser read as ``value``."""
    models = [_MODELS[reader] for reader in sorted(readers)]
    for form in _candidates(value, readers):
        if _read_ours(form, readers) == value and all(model(form) == value for model in models):
            return form
    return None


def _why(value: str, reader: Reader) -> str:
    """Why ``reader`` alone (with this parser) cannot carry ``value``."""
    multiline = "\n" in value or "\r" in value
    if reader is Reader.PYTHON_DOTENV and PD_VARIABLE.search(value) is not None:
        return "python-dotenv expands '${...}' in every quoting style and has no escape for it"
    if reader is Reader.DOTENV_EXPAND and runs_command(value.replace("$", "\\$")):
        return "dotenv-expand runs '$(...)' as a command, escaped or not"
    if reader is Reader.SHELL:
        if "\r" in value:
            return (
                "a shell keeps a carriage return only written raw, and this parser reads "
                "a raw one as a line break"
            )
        if "'" in value and ("$" in value or "`" in value):
            return (
                "a shell expands '$' and '`' outside single quotes, and single quotes "
                "cannot hold the value's single quote"
            )
    if reader is Reader.DOCKER_COMPOSE and "'" in value and "$" in value:
        return (
            "docker compose expands '$' outside single quotes, and single quotes cannot "
            "hold the value's single quote"
        )
    node_like = reader in (Reader.NODE_DOTENV, Reader.DOTENV_EXPAND)
    if node_like and multiline and "'" in value and '"' in value:
        return (
            f"{reader.value} has no escape for quotes, and a value that spans lines and "
            "holds both quote kinds needs one"
        )
    if value.endswith("\\"):
        return (
            f"it ends with a backslash and needs quotes, which {reader.value} would not "
            "close there"
        )
    return f"{reader.value} reads no plain or quoted spelling of it back unchanged"


def _reason(value: str, readers: frozenset[Reader]) -> str:
    if "\x00" in value:
        return "it contains a NUL character, which no environment variable can hold"
    if _SURROGATE.search(value) is not None:
        return "it is not valid Unicode text (lone surrogate)"
    alone = [reader for reader in sorted(readers) if _first_form(value, {reader}) is None]
    if alone:
        return "; ".join(_why(value, reader) for reader in alone)
    names = ", ".join(reader.value for reader in sorted(readers))
    reason = f"{names} can each read it back, but no single spelling reads the same in all"
    if "$" in value and Reader.DOTENV_EXPAND in readers and len(readers) > 1:
        reason += (
            " (dotenv-expand needs each '$' written as '\\$', which the others keep "
            "with its backslash, except docker compose and a shell in double quotes)"
        )
    return reason


#: Values made only of these characters (most secrets: tokens, URLs, base64)
#: are written plain: every default reader model and this parser read them
#: back unchanged (tests/test_dotenv_readers.py checks each character and mixes
#: of them against the models), so the models need not run for them.  The
#: shell and dotenv-expand have a narrower set (no glob, tilde or '$').
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./:+=@%,~^*!?&()\[\]{}<>|;-]+")
_SHELL_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./:+=@%,^-]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def format_value(key: str, value: str, readers: Iterable[Reader] = DEFAULT_READERS) -> str:
    """The text to write after ``KEY=`` so every reader in ``readers`` reads ``value``.

    Raises :class:`UnwritableValueError` (naming the key and why, not the value).
    """
    chosen = frozenset(Reader(reader) for reader in readers)
    if Reader.SHELL in chosen:
        problem = shell_key_problem(key)
        if problem is not None:
            raise UnwritableValueError(key, problem)
        if _SHELL_PLAIN_SAFE.fullmatch(value):
            return value
    elif _PLAIN_SAFE.fullmatch(value):
        return value
    if "\x00" not in value and _SURROGATE.search(value) is None:
        form = _first_form(value, chosen)
        if form is not None:
            return form
    raise UnwritableValueError(key, _reason(value, chosen))
