"""What GitHub accepts as a secret, checked before anything is sent.

* a name holds letters, digits and ``_`` only, does not start with a digit,
  and does not start with ``GITHUB_`` (GitHub's own);
* names are case-insensitive (GitHub stores them in upper case), so two
  keys that differ only in case would be one secret;
* a value is at most 48 KB;
* a location holds at most so many secrets (100 for a repository, an
  environment or Dependabot; 1,000 for an organization).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from stagecraft.errors import printable

__all__ = ["MAX_VALUE_BYTES", "case_clashes", "describe_clashes", "refusals"]

MAX_VALUE_BYTES = 48 * 1024
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def refusals(values: Mapping[str, str]) -> dict[str, str]:
    """The keys of ``values`` GitHub would refuse, each with the reason (never the value)."""
    refused: dict[str, str] = {}
    for key, value in values.items():
        if not _NAME.fullmatch(key):
            refused[key] = ("GitHub secret names hold only letters, digits and _, and do not "
                            "start with a digit")
        elif key.upper().startswith("GITHUB_"):
            refused[key] = "names starting with GITHUB_ are GitHub's own"
        else:
            size = len(value.encode("utf-8", "surrogatepass"))
            if size > MAX_VALUE_BYTES:
                refused[key] = (f"the value is {size:,} bytes; GitHub holds at most 48 KB "
                                f"({MAX_VALUE_BYTES:,} bytes)")
    return refused


def case_clashes(keys: Iterable[str]) -> list[list[str]]:
    """Groups of keys that differ only in case (each group in the order given)."""
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(key.upper(), []).append(key)
    return [group for group in groups.values() if len(group) > 1]


def describe_clashes(clashes: list[list[str]]) -> str:
    """``a and A; b and B``: how a message lists the clashing keys."""
    return "; ".join(" and ".join(printable(key) for key in group) for group in clashes)
