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
import json
import operator
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
    messages are ever shown.  The index used for masking (sets of each
    value's first and last characters; sorted forms and their reversals for
    prefix and suffix search) is built, or extended, only when something is
    about to be shown, and the sorted parts only when a text holds a match.
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
                if self._values:
                    new = plain - self._values
                    self._values |= new
                else:  # the first build: no copies of a set of 100k values
                    new = self._values = plain
                if new:
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
        if not len(index) or len(text) < MIN_LENGTH:
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
    """An immutable (once built) search structure over the masked forms.

    * ``heads`` / ``tails``: the first and last :data:`FRAGMENT_MIN_LENGTH`
      characters of every long form.  A match of a long form, or of a
      fragment of one, starts (ends) with one of them, so a set lookup per
      position of the text rules out almost every position at once.
    * the long forms sorted, and reversed and sorted, built the first time a
      head (tail) is seen in a text: the longest prefix of ``text[i:]`` that
      starts some form is shared with one of the two forms next to where
      ``text[i:]`` would be inserted, so one bisection finds it; the same
      search on the reversed text finds suffixes.  Most messages hold no
      value at all and never pay for the sorts.
    * ``short``: forms shorter than :data:`FRAGMENT_MIN_LENGTH`, masked only
      whole, found by set lookups of their few lengths.

    A redaction costs a few set lookups per character of the text, whatever
    the number of values.
    """

    EMPTY: _Index

    def __init__(
        self, long_forms: list[str], heads: frozenset[str], tails: frozenset[str],
        short: frozenset[str], *, forward: list[str] | None = None,
        backward: list[str] | None = None,
    ) -> None:
        self.long_forms = long_forms
        self.heads = heads
        self.tails = tails
        self.short = short
        self.short_lengths = tuple(sorted({len(form) for form in short}))
        self.longest = max(map(len, long_forms), default=0)
        # Sorted lists, built on first need.  Assigning a finished list is
        # atomic, so two threads at worst both build it.
        self._forward = forward
        self._backward = backward

    def __len__(self) -> int:
        return len(self.long_forms) + len(self.short)

    def forward(self) -> list[str]:
        if self._forward is None:
            self._forward = sorted(self.long_forms)
        return self._forward

    def backward(self) -> list[str]:
        if self._backward is None:
            self._backward = sorted(form[::-1] for form in self.long_forms)
        return self._backward

    def extended(self, new: set[str]) -> _Index:
        """This index plus ``new`` forms (none of them in it yet).

        Sorted lists already built are extended rather than rebuilt: sorting
        the concatenation of two sorted runs is a linear merge for Python's
        sort.
        """
        width = FRAGMENT_MIN_LENGTH
        # C-level iteration throughout (map, itemgetter): with 100k values
        # every per-item Python step shows in the first message's cost.
        all_long = min(map(len, new)) >= width
        added = list(new) if all_long else [form for form in new if len(form) >= width]
        short = self.short if all_long else self.short | {
            form for form in new if len(form) < width
        }
        forward = backward = None
        if self._forward is not None:
            forward = self._forward + added
            forward.sort()
        if self._backward is not None:
            backward = self._backward + [form[::-1] for form in added]
            backward.sort()
        return _Index(
            self.long_forms + added,
            self.heads.union(map(_HEAD, added)),
            self.tails.union(map(_TAIL, added)),
            short,
            forward=forward,
            backward=backward,
        )

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The merged ``(start, stop)`` ranges of ``text`` to mask, in order."""
        found: list[tuple[int, int]] = []
        size = len(text)
        width = FRAGMENT_MIN_LENGTH
        longest = self.longest
        heads, tails, short = self.heads, self.tails, self.short
        for i in range(size - MIN_LENGTH + 1):
            for length in self.short_lengths:
                if text[i : i + length] in short:
                    found.append((i, i + length))
            if text[i : i + width] in heads:
                matched = _longest_shared_prefix(self.forward(), text[i : i + longest])
                found.append((i, i + matched))
        backwards = ""
        for end in range(width, size + 1):
            if text[end - width : end] in tails:
                backwards = backwards or text[::-1]
                k = size - end  # backwards[k:] is text[:end] reversed
                matched = _longest_shared_prefix(self.backward(), backwards[k : k + longest])
                found.append((end - matched, end))
        return _merged(found)


_Index.EMPTY = _Index([], frozenset(), frozenset(), frozenset())

_HEAD = operator.itemgetter(slice(None, FRAGMENT_MIN_LENGTH))
_TAIL = operator.itemgetter(slice(-FRAGMENT_MIN_LENGTH, None))

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
    """How long a prefix ``query`` shares with some string of ``ordered``.

    Called only when the first :data:`FRAGMENT_MIN_LENGTH` characters of
    ``query`` start some string of ``ordered``, so the answer is at least that.
    """
    where = bisect.bisect_left(ordered, query)
    head = query[:FRAGMENT_MIN_LENGTH]
    best = FRAGMENT_MIN_LENGTH
    for neighbour in ordered[max(where - 1, 0) : where + 1]:
        if not neighbour.startswith(head):
            continue
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
