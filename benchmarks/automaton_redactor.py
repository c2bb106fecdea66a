"""The Aho-Corasick masker issue 20 proposed, kept as the benchmark's alternative.

It masks exactly what :class:`stagecraft.redact.Redactor` masks (the same
forms, prefixes and suffixes of at least 8 characters, the same merging),
with the index built as values are registered, in an automaton of
pyahocorasick, instead of when the first message is shown.  Every message,
the first included, then costs a pass of the automaton; registering values
costs the build, whether or not a message is ever shown.
``benchmarks/redaction.py`` measures both sides of that trade, and
``docs/performance.md`` says why the command keeps the lazy index.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterable

import ahocorasick

from stagecraft.redact import (
    FRAGMENT_MIN_LENGTH,
    MASK,
    MIN_LENGTH,
    _forms,
    _longest_shared_prefix,
    _merged,
    _special,
)


class AutomatonRedactor:
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
        return f"<AutomatonRedactor values={len(self)}>"

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
