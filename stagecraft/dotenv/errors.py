"""The two ways an env file goes wrong: it cannot be read, or a value cannot be written."""

from __future__ import annotations

from stagecraft.errors import UserError


class DotenvError(UserError):
    """A .env file is malformed.  The message is ``PATH:LINE: what is wrong``."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class UnwritableValueError(UserError):
    """No quoting carries a value unchanged to every chosen reader.

    The message names the key and the reason, never the value.
    """

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"cannot write {key!r} to an env file: {reason}")
        self.key = key
        self.reason = reason
