"""Log records on stderr, redacted: the handler the ``stagecraft`` command installs.

Kept out of :mod:`stagecraft.cli` so that a command that never logs
(``stagecraft --version``, ``--help``, a usage error) does not import
:mod:`logging`; every command that runs installs it before anything else.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from stagecraft.redact import Redactor, Structural

#: Loggers whose records Stagecraft composes from structure alone (never masked).
STRUCTURAL_LOGGERS = frozenset({"stagecraft.engine"})

#: ``-q``, default, ``-v``.
LEVELS = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}


class RedactingFormatter(logging.Formatter):
    """Formats log records as ``PROG: LEVEL: message``, redacted.

    The exception text a record carries is part of ``format()``'s output, so
    it is redacted too, and it is shown only with ``-v``, like every other
    traceback.
    """

    def __init__(self, prog: str, redactor: Redactor, *, tracebacks: bool) -> None:
        super().__init__("%(message)s")
        self._prog = prog
        self._redactor = redactor
        self._tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if not self._tracebacks and (record.exc_info or record.exc_text):
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None,
                                            "exc_text": None})
        text = super().format(record)
        prefix = Structural(f"{self._prog}: {record.levelname.lower()}: ")
        if record.name in STRUCTURAL_LOGGERS and not (record.exc_info or record.exc_text):
            # The engine narrates with names, paths and counts only: masked, a value
            # equal to a path or a number would change the line and reveal itself.
            return prefix + text
        return self._redactor.render(prefix, text)


def install(prog: str, redactor: Redactor, verbosity: int) -> Callable[[], None]:
    """Send every log record to stderr, redacted; return a function that undoes it.

    The handler sits on the root logger, not only on ``stagecraft``'s: a
    provider or a library it calls may log through a logger of its own, and
    Python's last-resort handler would print that unredacted.
    """
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(prog, redactor, tracebacks=verbosity > 0))
    before = root.level
    root.setLevel(LEVELS[verbosity])
    root.addHandler(handler)

    def undo() -> None:
        root.removeHandler(handler)
        root.setLevel(before)

    return undo
