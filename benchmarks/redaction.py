"""Masking cost with many registered values (``python -m benchmarks.redaction``).

A sync of a big store registers every value it reads (100k here), and any
message it then shows is masked.  The redactor builds its index (an
Aho-Corasick automaton of pyahocorasick, see :mod:`stagecraft.redact`) as
values are registered, so that no message pays for it.  Measured, each as a
median of interleaved runs, against two named alternatives run in the same
rounds:

* a regex alternation of every value (``re.compile`` of ``v1|v2|...``,
  longest first; whole values only, no fragments): what a hand-rolled
  masker usually is;
* a ``str.replace`` loop over every value (whole values only).

Rows: registering the values (the index built; against compiling the
alternation); the first message after registering, one holding a value
cut to 16 characters, against a budget of 50 ms (issue 20); each later
~200-character message; a 1 MB message (a listing of 25,000 lines), also
against the 50 ms budget.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

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

    registration = median_times([register, lambda: Alternation(secrets)], repeats)

    ready = register()
    alternation = Alternation(secrets)
    old = ReplaceLoop(secrets)
    fresh: list[Redactor] = []
    first = median_times([lambda: fresh[-1].redact(text), lambda: alternation.redact(text)],
                         repeats, setup=lambda: fresh.append(register()))
    fresh.clear()
    later = median_times([lambda: ready.redact(text), lambda: old.redact(text),
                          lambda: alternation.redact(text)], repeats * 5)
    large = median_times([lambda: ready.redact(big), lambda: alternation.redact(big)], repeats)
    masked = ready.redact(text)
    if MASK not in masked or secrets[count // 2][:16] in masked:
        raise AssertionError("the redactor under test did not mask the value's prefix")
    if ready.redact(big) != big:
        raise AssertionError("the redactor masked a text that holds no value")

    return [
        cost_row(f"redact: register {count} values (index built)", registration.medians[0],
                 "re.compile of the alternation", registration.medians[1], None,
                 runs=registration.runs),
        cost_row(f"redact: first message after registering {count} values",
                 first.medians[0], "budget 50 ms", MESSAGE_BUDGET, 1.0, what="budget",
                 runs=first.runs),
        speedup_row(f"redact: first message, {count} values", first.medians[0],
                    "regex alternation (whole values only)", first.medians[1], None,
                    runs=first.runs),
        speedup_row(f"redact: later message, {count} values", later.medians[0],
                    "str.replace loop (whole values only)", later.medians[1], None,
                    runs=later.runs),
        speedup_row(f"redact: later message, {count} values", later.medians[0],
                    "regex alternation (whole values only)", later.medians[2], None,
                    runs=later.runs),
        cost_row(f"redact: a {len(big) / 1e6:.1f} MB message, {count} values",
                 large.medians[0], "budget 50 ms", MESSAGE_BUDGET, 1.0, what="budget",
                 runs=large.runs),
        speedup_row(f"redact: a {len(big) / 1e6:.1f} MB message, {count} values",
                    large.medians[0], "regex alternation (whole values only)",
                    large.medians[1], None, runs=large.runs),
    ]


def run(count: int, repeats: int) -> list[Row]:
    return rows(count, repeats)


if __name__ == "__main__":
    from benchmarks.harness import table

    print(table(rows()))
