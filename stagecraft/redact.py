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
import operator
import re
import threading
from collections.abc import Iterable

import ahocorasick

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

    The index used for masking (:class:`_Level`: an Aho-Corasick automaton
    of pyahocorasick) is built as values are registered, so that showing a
    message never pays for it: the first message after 100k values costs
    what every later one does, a scan of its own length.  Values come in
    batches (a sync registers a source's values at once, a store a token
    at a time); each batch gets a level of its own, and levels of similar
    size are merged, so registering ``n`` values costs ``O(n log n)`` in
    all, however they are batched, and a message is scanned once per level
    (a few).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._levels: tuple[_Level, ...] = ()

    def __repr__(self) -> str:
        return f"<Redactor values={len(self)}>"

    def add(self, *values: str) -> None:
        """Remember values to mask (short or empty ones are ignored)."""
        self.update(values)

    def update(self, values: Iterable[str]) -> None:
        """Remember many values at once."""
        batch = {value for value in values if len(value) >= MIN_LENGTH}
        if not batch:
            return
        # Most values are plain tokens whose only form is themselves; the
        # others get their escaped and per-line forms.
        special = _special(batch)
        batch -= special
        for value in special:
            batch |= _forms(value)
        with self._lock:
            if self._values:
                new = batch - self._values
                if not new:
                    return
                self._values |= new
            else:  # the first batch: no copy of a set of 100k values
                new = self._values = batch
            levels = [*self._levels, _Level(list(new))]
            while len(levels) > 1 and levels[-2].size <= 2 * levels[-1].size:
                top = levels.pop()
                levels[-1] = _Level(levels[-1].forms + top.forms)
            self._levels = tuple(levels)  # readers hold the tuple they started with

    def __len__(self) -> int:
        """How many distinct forms are masked (values and their escaped forms)."""
        with self._lock:
            return len(self._values)

    def redact(self, text: str) -> str:
        """Return free ``text`` with every known value, and every long enough
        prefix or suffix of one, replaced by ``***``."""
        levels = self._levels
        if not levels or len(text) < MIN_LENGTH:
            return text
        found: list[tuple[int, int]] = []
        backwards: list[str] = []  # the reversed text, made once if a tail is seen
        for level in levels:
            level.spans(text, found, backwards)
        if not found:
            return text
        parts = []
        end = 0
        for start, stop in _merged(found):
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


class _Level:
    """An immutable search structure over some of the masked forms.

    One automaton finds, in one pass over a text, every occurrence of

    * the first and the last :data:`FRAGMENT_MIN_LENGTH` characters of each
      long form (its *head* and *tail*): a match of a long form, or of a
      prefix or suffix of one, starts with a head or ends with a tail; and
    * each short form (shorter than :data:`FRAGMENT_MIN_LENGTH`), masked
      only whole.

    At a head, the longest prefix of the text that starts some form is
    shared with one of the two long forms next to where the text would be
    inserted in their sorted list, so one bisection finds it however many
    forms share the head; at a tail, the same search on the reversed text
    and the reversed forms finds the longest suffix.  A redaction costs a
    pass of the automaton over the text plus a bisection per match, whatever
    the number of values.
    """

    def __init__(self, forms: list[str]) -> None:
        self.forms = forms
        self.size = len(forms)
        width = FRAGMENT_MIN_LENGTH
        # C-level iteration (map, itemgetter, sorted): with 100k values every
        # per-item Python step shows in the cost of registering them.
        long_forms = forms if min(map(len, forms)) >= width else [
            form for form in forms if len(form) >= width]
        self.longest = max(map(len, long_forms), default=0)
        self.forward = sorted(long_forms)
        self.backward = sorted(map(_REVERSED, long_forms))
        words = dict.fromkeys(map(_HEAD, long_forms), _IS_HEAD)
        for tail in set(map(_TAIL, long_forms)):
            words[tail] = words.get(tail, 0) | _IS_TAIL
        if len(long_forms) < len(forms):
            words.update((form, _SHORT + len(form)) for form in forms if len(form) < width)
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        add = automaton.add_word
        for word, kind in words.items():
            add(word, kind)
        automaton.make_automaton()
        self.automaton = automaton

    def spans(self, text: str, found: list[tuple[int, int]], backwards: list[str]) -> None:
        """Add the ``(start, stop)`` ranges of ``text`` this level masks to ``found``."""
        width = FRAGMENT_MIN_LENGTH
        longest = self.longest
        size = len(text)
        for last, kind in self.automaton.iter(text):
            end = last + 1
            if kind >= _SHORT:  # a short form, masked whole
                found.append((end - (kind - _SHORT), end))
                continue
            if kind & _IS_HEAD:
                start = end - width
                matched = _longest_shared_prefix(self.forward, text[start : start + longest])
                found.append((start, start + matched))
            if kind & _IS_TAIL:
                if not backwards:
                    backwards.append(text[::-1])
                k = size - end  # backwards[k:] is text[:end] reversed
                matched = _longest_shared_prefix(self.backward, backwards[0][k : k + longest])
                found.append((end - matched, end))


#: What an automaton word stands for: bits for a head, a tail (both can be),
#: or, from ``_SHORT`` up, a short form of ``kind - _SHORT`` characters.
_IS_HEAD = 1
_IS_TAIL = 2
_SHORT = 8
_HEAD = operator.itemgetter(slice(None, FRAGMENT_MIN_LENGTH))
_TAIL = operator.itemgetter(slice(-FRAGMENT_MIN_LENGTH, None))
_REVERSED = operator.itemgetter(slice(None, None, -1))

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
