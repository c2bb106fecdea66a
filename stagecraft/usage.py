"""What a usage error says: the word at fault, the nearest right one, and whose usage.

argparse reports a mistyped option (``secrets sync --dryrun``) as
"unrecognized arguments" from the top-level parser, after the command has
been parsed, so its message shows the top-level usage and no suggestion;
a mistyped global option before the command (``--colour never``) even
surfaces as an invalid command.  When parsing fails, :func:`diagnose` walks
the command line again the way the parsers read it and finds the first
option or command that none of them knows, with the parser it was given
to: that command's usage is the one to show, and its own options and
commands are the candidates of the did-you-mean (difflib, as for provider
ids).  It runs only once argparse has failed, so a command line that
parses is never second-guessed.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

__all__ = ["Diagnosis", "diagnose", "json_error", "suggest", "with_suggestion"]

_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<word>[^']*)' \(choose from (?P<choices>.*)\)")


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean '--from'?)``: the nearest of ``choices``, else ``""``.

    A typo is most often one edit away (``--form``, ``--dryrun``, ``sinc``):
    those neighbours are named first, all of them, so that ``--form`` finds
    ``--from`` even though difflib rates ``--force`` closer.  Otherwise
    difflib's nearest, as for provider ids.
    """
    candidates = list(choices)
    close = [choice for choice in candidates if _one_edit_apart(word, choice)]
    if not close:  # the dashes every option shares would make any two look alike
        bare = {choice.lstrip("-"): choice for choice in candidates}
        close = [bare[name] for name in
                 difflib.get_close_matches(word.lstrip("-"), list(bare), n=1, cutoff=0.6)]
    return f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""


def _one_edit_apart(word: str, other: str) -> bool:
    """One letter changed, added, dropped, or two neighbours swapped."""
    if word == other or abs(len(word) - len(other)) > 1:
        return False
    start = 0
    while start < min(len(word), len(other)) and word[start] == other[start]:
        start += 1
    a, b = word[start:], other[start:]
    if len(a) == len(b):
        return a[1:] == b[1:] or (len(a) > 1 and a[0] == b[1] and a[1] == b[0]
                                  and a[2:] == b[2:])
    return a[1:] == b if len(a) > len(b) else a == b[1:]


class Diagnosis(NamedTuple):
    """The parser a wrong word was given to, and what to say about it."""

    parser: argparse.ArgumentParser
    message: str


def diagnose(root: argparse.ArgumentParser, argv: Sequence[str]) -> Diagnosis | None:
    """The first option or command in ``argv`` that the parser reading it does not know."""
    parser = root
    index = 0
    while index < len(argv):
        word = argv[index]
        index += 1
        if word == "--":
            return None
        if word.startswith("-") and word != "-":
            action = _option(parser, word)
            if action is None:
                name = word.partition("=")[0]
                return Diagnosis(
                    parser, f"unrecognized option {name}{suggest(name, _long_options(parser))}")
            if _takes_value(action) and "=" not in word and not _attached(word):
                index += 1
            continue
        commands = _commands(parser)
        if commands is None:
            continue  # a positional argument of a command (a key name)
        if word in commands:
            parser = commands[word]
            continue
        return Diagnosis(
            parser,
            f"unknown command {word!r}{suggest(word, commands)} "
            f"(commands: {', '.join(commands)})",
        )
    return None


def with_suggestion(message: str) -> str:
    """argparse's "invalid choice: 'x' (choose from ...)" with the nearest choice named."""
    match = _INVALID_CHOICE.search(message)
    if match is None:
        return message
    choices = re.findall(r"'([^']*)'", match.group("choices"))
    return message + suggest(match.group("word"), choices)


def json_error(argv: Sequence[str], message: str, exit_code: int) -> str | None:
    """The JSON error object for stdout when ``argv`` asks for ``--json``, else None.

    The shape is that of every other failure's report (``{"error": ...}``), so a
    script reading stdout has an object to read whatever went wrong.
    """
    words = list(argv)
    if "--" in words:
        words = words[: words.index("--")]
    if "--json" not in words:
        return None
    return json.dumps({"error": {"message": message, "exit_code": exit_code}}, indent=2)


def _option(parser: argparse.ArgumentParser, word: str) -> argparse.Action | None:
    """The action ``word`` names as argparse reads it: exactly, ``--name=value``, an
    unambiguous prefix of a long option, or ``-pVALUE``."""
    known: dict[str, argparse.Action] = parser._option_string_actions
    name = word.partition("=")[0]
    if name in known:
        return known[name]
    if name.startswith("--"):
        prefixed = {known[option] for option in known if option.startswith(name)}
        return prefixed.pop() if len(prefixed) == 1 else None
    if _attached(word) and word[:2] in known:
        return known[word[:2]]
    return None


def _attached(word: str) -> bool:
    """``-pVALUE``: a short option with its value in the same word."""
    return not word.startswith("--") and len(word) > 2


def _takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


def _long_options(parser: argparse.ArgumentParser) -> list[str]:
    return [option for action in parser._actions for option in action.option_strings
            if option.startswith("--") and action.help is not argparse.SUPPRESS]


def _commands(parser: argparse.ArgumentParser) -> dict[str, Any] | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return None
