"""Keys listed with the reason each was refused or not synced, in text that grows linearly.

A batch write fails for all of its keys with one reason, and a store that
refuses a value often refuses thousands of them for the same reason.  Listing
each key with its reason repeats that reason once per key; a reason that
itself names keys would make the text grow with the square of their number.
So a reason shared by several keys is stated once, with one line per key
under it, and a reason of one key stays on that key's line::

    DB_URL: not written: permission denied
    not a valid env file key (letters, digits, '_', '.', '-'):
      1BAD
      2BAD
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

__all__ = ["grouped", "outcome_lines", "reason_lines"]


def grouped(reasons: Mapping[str, str]) -> dict[str, list[str]]:
    """The keys of ``reasons`` per reason, reasons in the order their first key comes."""
    groups: dict[str, list[str]] = {}
    for key, reason in reasons.items():
        groups.setdefault(reason, []).append(key)
    return groups


def reason_lines(
    reasons: Mapping[str, str], indent: str, show: Callable[[str], str] = str
) -> list[str]:
    """One line per key, each distinct reason once (see the module docstring).

    ``show`` turns a reason into the text shown (the command masks it), once
    per distinct reason.
    """
    lines: list[str] = []
    for reason, keys in grouped(reasons).items():
        text = show(reason)
        if len(keys) == 1:
            lines.append(f"{indent}{keys[0]}: {text}")
        else:
            lines.append(f"{indent}{text}:")
            lines.extend(f"{indent}  {key}" for key in keys)
    return lines


def outcome_lines(
    done: Sequence[str], failed: Mapping[str, str], unknown: Mapping[str, str],
    show: Callable[[str], str] = str,
) -> list[str]:
    """A partial failure's lines under its head: the keys synced, then each key not
    synced and each key whose outcome is unknown, with its reason (``show``-n).

    None when no key failed and none is unknown (a sync interrupted before its
    first write or after its last): the head says all there is, and a list of
    every key of a large sync would only cost the time of masking it.
    """
    if not failed and not unknown:
        return []
    lines = [f"  synced ({len(done)}): {', '.join(done) if done else '-'}"]
    if failed or not unknown:
        lines.append(f"  not synced ({len(failed)}):")
        lines += reason_lines(failed, "    ", show)
    if unknown:
        lines.append(f"  unknown, may or may not have been written ({len(unknown)}):")
        lines += reason_lines(unknown, "    ", show)
    return lines
