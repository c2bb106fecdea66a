"""Masking of secret values in text the user may see.

Providers are written to keep values out of messages, but a provider's
exception (or a library it calls) can still echo a value, or part of one: a
token cut to ``value[:16]`` for a log line, a server reply truncated at 200
characters.  Every value a sync reads is therefore registered with the run's
:class:`Redactor`, and the command passes free text (messages, log lines,
tracebacks) through it before printing, as a second line of defence.

What is masked (``docs/security.md`` says the same to users):

* every registered value of at least :data:`MIN_LENGTH` characters, and the
  forms it takes in text: each of its lines, its ``repr``/``ascii`` form and
  its JSON string form;
* every *prefix* and every *suffix* of those of at least
  :data:`FRAGMENT_MIN_LENGTH` characters, wherever it occurs in the text, so a
  value cut short from either end is still masked.

Not masked: a fragment taken from the middle of a value (neither end), a
fragment shorter than :data:`FRAGMENT_MIN_LENGTH`, a whole value shorter than
:data:`MIN_LENGTH`, and values transformed otherwise (base64, hashed, split
with separators in between).

Only free text should pass through the redactor.  Text Stagecraft composes
itself from known structure (provider ids, action words, paths, key names,
counts) must not, or a value that happens to equal ``envfile`` or ``added``
would change the output and reveal itself: mark it :class:`Structural` and
join the parts with :meth:`Redactor.render`.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable

MASK = "***"

#: Values shorter than this are not masked: replacing every "a" or "1" in a
#: message would make it unreadable while hiding nothing a reader could use.
MIN_LENGTH = 3

#: Prefixes and suffixes of a value are masked down to this many characters.
#: Shorter fragments are left alone: an 8-character run of a random token in
#: a message is no coincidence, while a shorter one would mask common words
#: (and ``https://``-style beginnings) all over every message.
FRAGMENT_MIN_LENGTH = 8


class Structural(str):
    """Text Stagecraft composed from known structure; :meth:`Redactor.render` leaves it as is.

    Provider ids, action words, file paths, key names and counts are
    structural.  Anything a provider, plugin or library produced (an
    exception message, a log line, a server reply) is free text.
    """

    __slots__ = ()


class Redactor:
    """A thread-safe set of secret values and a function that masks them.

    Registering is cheap (a tuple of references appended to a list): a sync
    registers every value it reads, possibly 100k of them, while only a few
    messages are ever shown.  The index used for masking (sorted forms and
    their reversals, for prefix and suffix search) is built, or extended, only
    when something is about to be shown.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[tuple[str, ...]] = []
        self._values: set[str] = set()
        self._index = _Index.EMPTY

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

    def _current(self) -> _Index:
        with self._lock:
            if self._pending:
                pending, self._pending = self._pending, []
                plain: set[str] = set()
                for snapshot in pending:
                    plain.update(snapshot)
                # Most values are plain tokens whose only form is themselves;
                # the others get their escaped and per-line forms.
                special = _special(plain)
                plain -= special
                for value in special:
                    plain |= _forms(value)
                new = plain - self._values
                if new:
                    self._values |= new
                    self._index = self._index.extended(new)
            return self._index

    def __len__(self) -> int:
        """How many distinct forms are masked (values and their escaped forms)."""
        self._current()
        with self._lock:
            return len(self._values)

    def redact(self, text: str) -> str:
        """Return free ``text`` with every known value, and every long enough
        prefix or suffix of one, replaced by ``***``."""
        index = self._current()
        if not (index.forward or index.short) or len(text) < MIN_LENGTH:
            return text
        spans = index.spans(text)
        if not spans:
            return text
        parts = []
        end = 0
        for start, stop in spans:
            parts.append(text[end:start])
            parts.append(MASK)
            end = stop
        parts.append(text[end:])
        return "".join(parts)

    def render(self, *parts: str) -> str:
        """Join ``parts``, masking each one except those marked :class:`Structural`.

        ``render(Structural("stagecraft: envfile: "), message)`` keeps the
        provider id whatever the values are, and masks the message.
        """
        return "".join(
            part if isinstance(part, Structural) else self.redact(part) for part in parts
        )


class _Index:
    """An immutable search structure over the masked forms.

    * ``forward``: every form of at least :data:`FRAGMENT_MIN_LENGTH`
      characters, sorted.  The longest prefix of ``text[i:]`` that starts
      some form is shared with one of the two forms next to where
      ``text[i:]`` would be inserted, so one bisection per position of the
      text finds it.
    * ``backward``: the long forms reversed, sorted; the same search on the
      reversed text finds suffixes.
    * ``short``: forms shorter than :data:`FRAGMENT_MIN_LENGTH`, masked only
      whole, found by set lookups of their few lengths.

    Building it is two sorts; a redaction is two bisections per character of
    the text, whatever the number of values.
    """

    EMPTY: _Index

    def __init__(self, forward: list[str], backward: list[str], short: frozenset[str]) -> None:
        self.forward = forward
        self.backward = backward
        self.short = short
        self.short_lengths = tuple(sorted({len(form) for form in short}))
        self.longest = max(map(len, forward), default=0)

    def extended(self, new: set[str]) -> _Index:
        """This index plus ``new`` forms (none of them in it yet).

        Sorting the concatenation of two sorted runs is a linear merge for
        Python's sort, so extending costs about the size of the index.
        """
        long_forms = [form for form in new if len(form) >= FRAGMENT_MIN_LENGTH]
        forward = self.forward + long_forms
        forward.sort()
        backward = self.backward + [form[::-1] for form in long_forms]
        backward.sort()
        short = self.short | {form for form in new if len(form) < FRAGMENT_MIN_LENGTH}
        return _Index(forward, backward, short)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The merged ``(start, stop)`` ranges of ``text`` to mask, in order."""
        found: list[tuple[int, int]] = []
        size = len(text)
        longest = self.longest
        for i in range(size - MIN_LENGTH + 1):
            for length in self.short_lengths:
                if text[i : i + length] in self.short:
                    found.append((i, i + length))
            matched = _longest_shared_prefix(self.forward, text[i : i + longest])
            if matched:
                found.append((i, i + matched))
        if self.backward:
            backwards = text[::-1]
            for k in range(size - FRAGMENT_MIN_LENGTH + 1):
                # backwards[k:] is text[:size - k] reversed: suffix matches end there.
                matched = _longest_shared_prefix(self.backward, backwards[k : k + longest])
                if matched:
                    found.append((size - k - matched, size - k))
        return _merged(found)


_Index.EMPTY = _Index([], [], frozenset())

#: A value that is its only form: printable ASCII without quotes or
#: backslashes (which its repr and JSON forms would escape) and without
#: surrounding spaces (which its per-line form would strip).
_PLAIN = re.compile(r"[!#-&(-\[\]-~](?:[ !#-&(-\[\]-~]*[!#-&(-\[\]-~])?")


def _special(values: set[str]) -> set[str]:
    """The values with forms other than themselves (see :data:`_PLAIN`).

    Tested on all values joined first: for a batch of plain tokens (the
    usual case) that is a few scans in C instead of a match per value.
    """
    blob = "\n".join(values)
    if (
        blob.count("\n") == len(values) - 1  # no value holds a newline itself
        and blob.isascii()
        and blob.replace("\n", "").isprintable()
        and not any(c in blob for c in "\"'\\")
        and not any(pair in blob for pair in (" \n", "\n "))
        and blob == blob.strip()
    ):
        return set()
    return {value for value in values if not _PLAIN.fullmatch(value)}


def _longest_shared_prefix(ordered: list[str], query: str) -> int:
    """How long a prefix ``query`` shares with some string of ``ordered``, 0 below
    :data:`FRAGMENT_MIN_LENGTH`."""
    head = query[:FRAGMENT_MIN_LENGTH]
    if len(head) < FRAGMENT_MIN_LENGTH:
        return 0
    where = bisect.bisect_left(ordered, query)
    best = 0
    for neighbour in ordered[max(where - 1, 0) : where + 1]:
        if not neighbour.startswith(head):
            continue  # the common case: cheap, in C
        limit = min(len(neighbour), len(query))
        n = FRAGMENT_MIN_LENGTH
        while n < limit and neighbour[n] == query[n]:
            n += 1
        best = max(best, n)
    return best


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans joined, so each masked run becomes one ``***``."""
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            if stop > merged[-1][1]:
                merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return merged


def _forms(value: str) -> set[str]:
    """The ways ``value`` can appear in text: as is, line by line, and escaped."""
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
    return {form for form in forms if len(form) >= MIN_LENGTH}
