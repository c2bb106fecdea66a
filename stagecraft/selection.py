"""Which keys a sync touches: names, glob patterns and ``--exclude``.

``stagecraft secrets sync 'STRIPE_*' DATABASE_URL --exclude '*_TEST'`` selects
every key matching a pattern or equal to a name, minus the excluded ones.  A
name or pattern that matches nothing is a mistake the user wants to hear
about before anything is written (a typo would otherwise sync nothing and
exit 0), so :func:`select` names every one of them at once
(:class:`MissingKeysError`).

Patterns are shell globs (``*``, ``?``, ``[...]``), matched case-sensitively
as env var names are.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence

from stagecraft.errors import MissingKeysError

__all__ = ["MissingKeysError", "is_pattern", "select"]

_GLOB = re.compile(r"[*?\[]")


def is_pattern(text: str) -> bool:
    """True when ``text`` holds glob characters rather than being a plain key name."""
    return _GLOB.search(text) is not None


def _matcher(patterns: Sequence[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def select(
    available: Iterable[str],
    wanted: Sequence[str],
    exclude: Sequence[str] = (),
    *,
    where: str,
) -> list[str]:
    """The keys of ``available`` (in its order) that ``wanted`` selects, minus ``exclude``.

    ``wanted`` empty selects every key.  Raises :class:`MissingKeysError`
    naming each entry of ``wanted`` or ``exclude`` that matched no key.
    """
    keys = list(available)
    if wanted:
        present = set(keys)
        missing = [name for name in wanted if not is_pattern(name) and name not in present]
        chosen: list[str] = []
        seen: set[str] = set()
        unmatched: list[str] = []
        for entry in wanted:  # in the order asked for; a pattern's keys in source order
            if is_pattern(entry):
                matches = [key for key in keys if fnmatch.fnmatchcase(key, entry)]
                if not matches:
                    unmatched.append(entry)
            else:
                matches = [entry] if entry in present else []
            for key in matches:
                if key not in seen:
                    seen.add(key)
                    chosen.append(key)
        if missing or unmatched:
            raise MissingKeysError(missing, where, patterns=unmatched)
    else:
        chosen = keys
    if not exclude:
        return chosen
    unused = [p for p in exclude if not any(fnmatch.fnmatchcase(k, p) for k in chosen)]
    if unused:
        raise MissingKeysError((), where, patterns=unused, excluded=True)
    drop = _matcher(exclude)
    assert drop is not None
    return [key for key in chosen if not drop.fullmatch(key)]
