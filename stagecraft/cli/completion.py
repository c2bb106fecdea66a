"""``stagecraft completion SHELL``, and the completers the other commands' options use."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from stagecraft import completion
from stagecraft.cli.command import Command
from stagecraft.cli.session import Session
from stagecraft.errors import EXIT_OK

__all__ = ["COMMAND", "arguments", "cmd_completion", "completer"]


def completer(kind: str) -> Callable[..., Any]:
    """A shell-completion callback for values of ``kind`` (``provider``, ``source``,
    ``target``, ``environment``: ``--env``, ``sync``: ``--only``; see
    :data:`stagecraft.completion.KINDS`), called only while a shell asks for candidates."""
    if kind not in completion.KINDS:
        raise ValueError(f"no completer for {kind!r} (kinds: {', '.join(completion.KINDS)})")

    def complete(**kwargs: Any) -> Any:
        return completion.complete(kind, **kwargs)

    return complete


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=("bash", "zsh", "fish"),
                        help="the shell to print the script for")


def cmd_completion(session: Session) -> int:
    """``completion SHELL``: the shell's completion script, on stdout."""
    session.out(completion.script(session.args.shell))
    return EXIT_OK


COMMAND = Command(
    ("completion",), cmd_completion,
    help="print a shell completion script",
    description="Print the completion script for SHELL. It completes commands, options "
    "and their values: provider ids and store prefixes (--from ID:, --to ID:) of the "
    "installed plugins, and the environment and sync names of stagecraft.yml.",
    example="""
        eval "$(stagecraft completion bash)"      # in ~/.bashrc
        eval "$(stagecraft completion zsh)"       # in ~/.zshrc
        stagecraft completion fish > ~/.config/fish/completions/stagecraft.fish
    """,
    arguments=arguments,
)
