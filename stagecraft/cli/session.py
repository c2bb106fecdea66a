"""One run of the command: its parsed arguments, output streams and redactor.

Results go to stdout, diagnostics (errors, summaries, log records) to
stderr, and every line that reaches stderr first passes through the run's
:class:`~stagecraft.redact.Redactor`, so a value a provider read cannot leak
through an exception message or a ``-v`` traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from stagecraft.colour import Palette, wants_colour
from stagecraft.errors import printable
from stagecraft.output_loss import writing_output
from stagecraft.progress import ProgressLine
from stagecraft.project import working_directory
from stagecraft.redact import Redactor
from stagecraft.redacted_logging import install

PROG = "stagecraft"


class Session:
    """One run of the command: parsed arguments, output streams and the redactor.

    Text the command composes (plan lines, summaries, its own error
    messages) is structural: key names, ids, paths, counts, never values.
    It is shown as it is, so that no output changes shape because of what
    a secret happens to be.  Free text from providers and plugins (their
    exception messages, what they print or log) is masked.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.verbosity: int = args.verbosity
        self.redactor = Redactor()
        self.cwd = working_directory()
        # The streams of the run, kept so that output still reaches them
        # while a provider's prints are diverted (see stagecraft.cli.capture).
        self.stdout = sys.stdout
        self.stderr = sys.stderr
        #: The provider, options and resolved source and target of the sync being run,
        #: for the JSON error report.
        self.sync_provider: str | None = None
        self.sync_options: Any = None
        self.sync_endpoints: dict[str, str] = {}
        #: ``source_environment`` / ``target_environment``, for the ends named by environment.
        self.sync_environments: dict[str, str] = {}
        mode = getattr(args, "color", "auto")
        #: Colours of results (never for ``--json``) and of diagnostics.
        self.palette_out = Palette(
            not getattr(args, "json", False) and wants_colour(mode, self.stdout)
        )
        self.paint_out = self.palette_out.paint
        self.paint_err = Palette(wants_colour(mode, self.stderr)).paint
        #: The progress line on stderr while a sync writes (terminals only), if any.
        self.progress: ProgressLine | None = None

    def show_progress(self, store_id: str, done: int, total: int) -> None:
        """Writes done so far, on the progress line while there is one (a run's ``on_progress``)."""
        line = self.progress
        if line is not None:
            line(store_id, done, total)

    def out(self, text: str = "") -> None:
        """A line of results on stdout."""
        with writing_output():
            self.stdout.write(text + "\n")

    def err(self, text: str, *, free: bool = False, colour: str | None = None) -> None:
        """A diagnostic on stderr; ``free`` text (from providers and plugins) is masked.

        Control characters are escaped before the colour is added, so only
        the command's own escape codes reach the terminal.
        """
        if free:
            text = self.redactor.redact(text)
        if self.progress is not None:
            self.progress.clear()
        text = _escape_controls(text)
        if colour is not None:
            text = self.paint_err(text, colour)
        self.stderr.write(text + "\n")

    def note(self, text: str) -> None:
        """An informational diagnostic, silenced by ``-q``."""
        if self.verbosity >= 0:
            self.err(f"{PROG}: {text}")

    def error(self, message: str, *, label: str = "error", free: bool = False) -> None:
        """``stagecraft: error: ...`` for each top-level line; indented lines are details.

        A config error lists one ``FILE:LINE:COL: ...`` problem per line, and
        each gets its own prefix so editors and CI annotators can parse it.
        """
        if free:
            message = self.redactor.redact(message)
        colour = "red" if label == "error" else "yellow"
        for line in message.splitlines() or [""]:
            self.err(line if line[:1].isspace() else f"{PROG}: {label}: {line}", colour=colour)

    def json(self, data: object) -> None:
        """``data`` as indented JSON on stdout."""
        self.out(json.dumps(data, indent=2))

    def setup_logging(self) -> Callable[[], None]:
        """Log records to stderr, masked, at the run's verbosity; returns the undo."""
        return install(PROG, self.redactor, self.verbosity)


def _escape_controls(text: str) -> str:
    """Each line of ``text`` with control characters escaped (line breaks stay)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """``rows`` as lines of left-aligned columns (the first row is the heading)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
