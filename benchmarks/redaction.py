"""Masking cost with many registered values (``python -m benchmarks.redaction``).

A sync of a big store registers every value it reads (100k here), and any
message it then shows is masked.  :class:`stagecraft.redact.Redactor`
builds its index when the first message is shown, so a sync that shows
none pays nothing.  Measured against three alternatives run in the same
rounds, each as a median of interleaved runs:

* the Aho-Corasick masker issue 20 proposed
  (:class:`benchmarks.automaton_redactor.AutomatonRedactor`, pyahocorasick):
  the same masking, its automaton built as values are registered;
* a regex alternation of every value, and a ``str.replace`` loop (both
  whole values only, no fragments).

Rows: registering the values; the first message after registering, one
holding a value cut to 16 characters, against the issue's budget of 50 ms
(and the automaton's, registration excluded and included); later
~200-character messages; a 1.4 MB message (a listing of 25,000 lines)
against the same budget.  How a whole sync fares with either index is in
rows 2 and 3 (``benchmarks/sync.py``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from benchmarks.automaton_redactor import AutomatonRedactor
from benchmarks.harness import Row, cost_row, median_times, speedup_row
from stagecraft.redact import MASK, Redactor

#: The most any one message may cost to mask (issue 20).
MESSAGE_BUDGET = 0.050


def values(count: int) -> list[str]:
    """``count`` distinct token-like values (40 hex digits after a prefix)."""
    return [f"tok_{hashlib.sha1(str(n).encode()).hexdigest()}" for n in range(count)]


def message(secret: str) -> str:
    """A provider error of typical size, holding a value cut to 16 characters."""
    return (
        "vault: PUT https://vault.example.internal:8200/v1/secret/data/myapp failed: "
        f"403 permission denied for token {secret[:16]}... (request id 7f3e-11aa-9c2b); "
        "check the policy attached to this role and retry"
    )


def listing(lines: int) -> str:
    """A large text without values: a listing of key names and reasons."""
    return "".join(f"    KEY_{n:06d}: not written: the server refused the batch\n"
                   for n in range(lines))


class ReplaceLoop:
    """Whole values only, one ``str.replace`` per value present."""

    def __init__(self, secrets: Sequence[str]) -> None:
        self._ordered = sorted(secrets, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for value in self._ordered:
            if value in text:
                text = text.replace(value, MASK)
        return text


class Alternation:
    """Whole values only, one regex of every value, longest first."""

    def __init__(self, secrets: Sequence[str]) -> None:
        ordered = sorted(secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered)))

    def redact(self, text: str) -> str:
        return self._pattern.sub(MASK, text)


def rows(count: int = 100_000, repeats: int = 5) -> list[Row]:
    secrets = values(count)
    text = message(secrets[count // 2])
    big = listing(max(1, count // 4))

    def register() -> Redactor:
        redactor = Redactor()
        redactor.update(secrets)
        return redactor

    def register_automaton() -> AutomatonRedactor:
        automaton = AutomatonRedactor()
        automaton.update(secrets)
        return automaton

    registration = median_times([register, register_automaton], repeats)
    first = median_times([lambda: register().redact(text),
                          lambda: register_automaton().redact(text)], repeats)
    registered: list[Redactor] = []
    first_own = median_times([lambda: registered[-1].redact(text)], repeats,
                             setup=lambda: registered.append(register()))
    registered.clear()
    fresh: list[AutomatonRedactor] = []
    first_automaton = median_times([lambda: fresh[-1].redact(text)], repeats,
                                   setup=lambda: fresh.append(register_automaton()))
    fresh.clear()

    ready = register()
    ready.redact("")  # build the index
    automaton = register_automaton()
    alternation = Alternation(secrets)
    old = ReplaceLoop(secrets)
    later = median_times([lambda: ready.redact(text), lambda: automaton.redact(text),
                          lambda: alternation.redact(text), lambda: old.redact(text)],
                         repeats * 5)
    large = median_times([lambda: ready.redact(big), lambda: automaton.redact(big)], repeats)
    for masker in (ready, automaton):
        masked = masker.redact(text)
        if MASK not in masked or secrets[count // 2][:16] in masked:
            raise AssertionError(f"{masker!r} did not mask the value's prefix")
        if masker.redact(big) != big:
            raise AssertionError(f"{masker!r} masked a text that holds no value")

    return [
        cost_row(f"redact: register {count} values", registration.medians[0],
                 "automaton built as values are registered", registration.medians[1], None,
                 runs=registration.runs),
        cost_row(f"redact: first message after registering {count} values (index built)",
                 first_own.medians[0], "budget 50 ms", MESSAGE_BUDGET, 1.0,
                 what="budget", runs=first_own.runs),
        cost_row(f"redact: first message, automaton built at registration, {count} values",
                 first_automaton.medians[0], "budget 50 ms", MESSAGE_BUDGET, None,
                 what="budget", runs=first_automaton.runs),
        cost_row(f"redact: register {count} values and mask one message", first.medians[0],
                 "the same with the automaton", first.medians[1], None, runs=first.runs),
        speedup_row(f"redact: later message, {count} values", later.medians[0],
                    "the automaton", later.medians[1], None, runs=later.runs),
        speedup_row(f"redact: later message, {count} values", later.medians[0],
                    "regex alternation (whole values only)", later.medians[2], None,
                    runs=later.runs),
        speedup_row(f"redact: later message, {count} values", later.medians[0],
                    "str.replace loop (whole values only)", later.medians[3], None,
                    runs=later.runs),
        cost_row(f"redact: a {len(big) / 1e6:.1f} MB message, {count} values",
                 large.medians[0], "budget 50 ms", MESSAGE_BUDGET, 1.0, what="budget",
                 runs=large.runs),
        speedup_row(f"redact: a {len(big) / 1e6:.1f} MB message, {count} values",
                    large.medians[0], "the automaton", large.medians[1], None,
                    runs=large.runs),
    ]


def run(count: int, repeats: int) -> list[Row]:
    return rows(count, repeats)


if __name__ == "__main__":
    from benchmarks.harness import table

    print(table(rows()))
