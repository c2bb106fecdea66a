"""Redaction cost with many registered values (``python -m benchmarks.redaction``).

A sync of a big store registers every value it reads (100k here) and then
shows a handful of messages.  Measured, each as a median of interleaved runs:

* registering the values (``Redactor.update``) against the floor of copying
  them into a list: registration must stay about that cheap;
* the first redaction, which builds the index, against the redactor it
  replaced: a loop of ``str.replace`` over every value (whole values only,
  no fragments); once for a message holding no value (only the sets of
  heads and tails are built) and once for one holding a cut value (the
  sorted lists too);
* each later redaction of a typical ~200-character error message, against
  the same loop.

Informational rows: no target, the numbers go into the report and
docs/performance.md by hand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from benchmarks.harness import Row, cost_row, median_times, speedup_row, table
from stagecraft.redact import MASK, Redactor


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


class ReplaceLoop:
    """The redactor before fragments were masked: ``str.replace`` per value."""

    def __init__(self, secrets: Sequence[str]) -> None:
        self._ordered = sorted(secrets, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for value in self._ordered:
            if value in text:
                text = text.replace(value, MASK)
        return text


def rows(count: int = 100_000, repeats: int = 7) -> list[Row]:
    secrets = values(count)
    text = message(secrets[count // 2])

    def register() -> Redactor:
        redactor = Redactor()
        redactor.update(secrets)
        return redactor

    registration = median_times([register, lambda: list(secrets)], repeats)

    clean = message("no value in this one, just a host name")

    def first_clean() -> str:
        return register().redact(clean)

    def first_redaction() -> str:
        return register().redact(text)

    old = ReplaceLoop(secrets)
    first_plain = median_times([first_clean, lambda: old.redact(clean)], repeats)
    first = median_times([first_redaction, lambda: old.redact(text)], repeats)

    ready = register()
    ready.redact("")  # build the index
    later = median_times([lambda: ready.redact(text), lambda: old.redact(text)], repeats * 5)
    masked = ready.redact(text)
    if MASK not in masked or secrets[count // 2][:16] in masked:
        raise AssertionError("the redactor under test did not mask the value's prefix")

    return [
        cost_row(f"redact: register {count} values", registration.medians[0],
                 "list(values)", registration.medians[1], None, runs=registration.runs),
        cost_row(f"redact: first message, no value in it, {count} values", first_plain.medians[0],
                 "str.replace loop", first_plain.medians[1], None, runs=first_plain.runs),
        cost_row(f"redact: first message, a value cut in it, {count} values",
                 first.medians[0], "str.replace loop", first.medians[1], None, runs=first.runs),
        speedup_row(f"redact: later message, {count} values", later.medians[0],
                    "str.replace loop", later.medians[1], None, runs=later.runs),
    ]


if __name__ == "__main__":
    print(table(rows()))
