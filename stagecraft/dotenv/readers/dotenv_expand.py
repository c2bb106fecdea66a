"""dotenv-expand's reading of a value: Node dotenv's, then its expansion."""

from __future__ import annotations

import re

from stagecraft.dotenv.readers.node_dotenv import read_node_dotenv

_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
#: What either dotenv-expand expands: $NAME, ${...}, or (the older one) $ and a word.
_DE_EXPANDS = re.compile(r"(?<!\\)\$[\w{]")


def runs_command(text: str) -> bool:
    """Whether dotenv-expand 1000.x finds a ``$(...)`` to run in ``text``.

    It looks for ``$(`` whatever precedes it (a backslash does not stop it) and
    runs the text up to the matching ``)``, tracking quotes and nested parentheses.
    """
    start = text.find("$(")
    while start != -1:
        levels: list[str | None] = [None]  # the open quote at each nesting level
        index, end = start + 2, len(text)
        while index < end:
            quote, char = levels[-1], text[index]
            if quote == "'":
                if char == "'":
                    levels[-1] = None
                index += 1
            elif quote is not None:
                if char == "\\":
                    index += 2
                    continue
                if char == quote:
                    levels[-1] = None
                elif char == "$" and text[index + 1 : index + 2] == "(":
                    levels.append(None)
                    index += 1
                index += 1
            elif char == "\\":
                index += 2
            else:
                if char in "'\"`":
                    levels[-1] = char
                elif char == "(":
                    levels.append(None)
                elif char == ")":
                    levels.pop()
                    if not levels:
                        return True
                index += 1
        start = text.find("$(", start + 2)
    return False


def read_dotenv_expand(form: str) -> str | None:
    """Node dotenv, then dotenv-expand (1000.x, and the older copy in @next/env).

    Every ``$`` must reach dotenv-expand escaped as ``\\$``: both versions
    expand ``$NAME`` and ``${...}`` (the older one any ``$`` followed by a word
    character), and both then turn every ``\\$`` into ``$``.  1000.x also runs
    ``$(...)`` as a command, escaped or not: such a value is unreadable.
    """
    value = read_node_dotenv(form)
    if value is None or "$" not in value:
        return value
    if _UNESCAPED_DOLLAR.search(value) is not None or runs_command(value):
        return None
    return value.replace("\\$", "$")


def dotenv_expands(value: str) -> bool:
    """Whether dotenv-expand would expand (or run) anything in ``value`` as read."""
    return _DE_EXPANDS.search(value) is not None or runs_command(value)
