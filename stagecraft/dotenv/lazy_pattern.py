"""Regular expressions compiled on first use, for the patterns most commands never run."""

from __future__ import annotations

import re
from typing import Any, cast


class _LazyPattern:
    """A regular expression compiled on first use.

    The full grammar (files the fast path cannot read) and the reader models
    (the slow path of :func:`format_value`) hold two dozen patterns that most
    commands never use; compiling them at import would cost every command a
    few milliseconds of start-up.  Hot loops bind the compiled methods once.
    """

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(*self._args)
        return getattr(compiled, name)


def lazy_re(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return cast("re.Pattern[str]", _LazyPattern(pattern, flags))
