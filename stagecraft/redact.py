"""Masking of secret values in text the user may see.

Providers are written to keep values out of messages, but a provider's
exception (or a library it calls) can still echo a value.  Every value a sync
reads is therefore registered with the run's :class:`Redactor`, and the
command passes each message, log line and traceback through it before
printing, as a second line of defence.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

MASK = "***"

#: Values shorter than this are not masked: replacing every "a" or "1" in a
#: message would make it unreadable while hiding nothing a reader could use.
MIN_LENGTH = 3


class Redactor:
    """A thread-safe set of secret values and a function that masks them.

    Registering is cheap (a tuple of references): a sync registers every
    value it reads while it holds its source and target in memory, so the
    set of masked forms is only built when something is about to be shown.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[tuple[str, ...]] = []
        self._values: set[str] = set()
        self._ordered: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<Redactor values={len(self)}>"

    def add(self, *values: str) -> None:
        """Remember values to mask (short or empty ones are ignored)."""
        self.update(values)

    def update(self, values: Iterable[str]) -> None:
        """Remember many values at once."""
        snapshot = tuple(value for value in values if len(value) >= MIN_LENGTH)
        if snapshot:
            with self._lock:
                self._pending.append(snapshot)

    def _longest_first(self) -> tuple[str, ...]:
        with self._lock:
            if self._pending:
                for snapshot in self._pending:
                    for value in snapshot:
                        self._values.update(_forms(value))
                self._pending.clear()
                # Longest first, so a value is never partly masked by a
                # shorter one it contains.
                self._ordered = tuple(sorted(self._values, key=len, reverse=True))
            return self._ordered

    def __len__(self) -> int:
        """How many distinct forms are masked (values and their escaped forms)."""
        return len(self._longest_first())

    def redact(self, text: str) -> str:
        """Return ``text`` with every known value replaced by ``***``."""
        for value in self._longest_first():
            if value in text:
                text = text.replace(value, MASK)
        return text


def _forms(value: str) -> set[str]:
    """The ways ``value`` can appear in text: as is, line by line, and escaped."""
    plain = value.isascii() and value.isprintable() and value == value.strip()
    if plain and not any(c in value for c in "\"'\\"):
        # Printable ASCII without quotes, backslashes or surrounding spaces:
        # every form below equals the value itself, so skip computing them.
        return {value}
    import json  # only values that need escaping get here: keep it off start-up

    forms = {value}
    # Multi-line values can surface line by line (e.g. in a traceback),
    # so each long enough line is masked too.
    for line in value.splitlines():
        if len(line.strip()) >= MIN_LENGTH:
            forms.add(line.strip())
    # ... and so can its repr, with escapes instead of newlines, quotes and
    # non-ASCII characters, or its JSON string form (`--json` output,
    # structured logs), which escapes quotes, backslashes and non-ASCII
    # differently.
    forms.add(repr(value)[1:-1])
    forms.add(ascii(value)[1:-1])
    forms.add(json.dumps(value)[1:-1])
    forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
    return forms
