"""What ``secrets check`` found: each declared key in each environment, and the exit status.

The result is plain typed data, so the command's text matrix, its ``--json``
and the Python API's ``stagecraft.check()`` all show the same findings.  It
holds key names and error texts only, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from stagecraft.errors import EXIT_DRIFT, EXIT_OK, EXIT_PROVIDER_ERROR
from stagecraft.text_enum import TextEnum


class KeyStatus(TextEnum):
    """A key in one environment."""

    PRESENT = "present"
    #: Required there and absent.
    MISSING = "missing"
    #: Not required there, and absent: fine.
    OPTIONAL_ABSENT = "optional-absent"
    #: The environment could not be read, or its store lists no names.
    UNKNOWN = "unknown"


class EnvironmentStatus(TextEnum):
    """Whether an environment's key names could be compared at all."""

    CHECKED = "checked"
    #: Reading its key names failed (the error is in :attr:`EnvironmentReport.error`).
    UNREADABLE = "unreadable"
    #: A write-only store that can list no names: nothing to compare, so not passed.
    CANNOT_CHECK = "cannot check"


#: The error text of an environment whose store can list no key names.
CANNOT_LIST = "cannot check: the store cannot list key names"


@attrs.frozen
class EnvironmentReport:
    """One environment: how it went, each compared key's status, the undeclared keys."""

    name: str
    status: EnvironmentStatus
    #: Every compared key (declared, or found anywhere without declarations), in order.
    keys: Mapping[str, KeyStatus] = attrs.field(factory=dict)
    #: Keys found here that are not declared (empty when no keys are declared).
    undeclared: tuple[str, ...] = ()
    #: Why it could not be read; the caller masked it.
    error: str = ""
    #: Checked, but its location does not exist (so it holds no key): the
    #: store's words, masked by the caller; empty when it exists.
    absent: str = ""


@attrs.frozen
class CheckResult:
    """The whole check: one report per environment, in the order they were named.

    ``declared`` says whether the manifest declared the compared keys; without
    declarations every key found anywhere is compared, as required everywhere.
    """

    environments: tuple[EnvironmentReport, ...]
    #: The compared keys, in order: the declared ones, or every one found.
    keys: tuple[str, ...]
    declared: bool

    def missing(self) -> list[tuple[str, str]]:
        """``(key, environment)`` for every required key that is absent, key by key."""
        return [
            (key, report.name)
            for key in self.keys
            for report in self.environments
            if report.keys.get(key) is KeyStatus.MISSING
        ]

    def undeclared(self) -> list[tuple[str, str]]:
        return [(key, report.name) for report in self.environments for key in report.undeclared]

    def unreadable(self) -> list[EnvironmentReport]:
        """The environments not compared: unreadable, or their store cannot list names."""
        return [r for r in self.environments if r.status is not EnvironmentStatus.CHECKED]

    def exit_status(self) -> int:
        """2 when an environment could not be checked, else 4 when a key is missing, else 0.

        A failure outranks drift, as it does for ``secrets sync``: a store
        that could not be read may be missing keys too.
        """
        if self.unreadable():
            return EXIT_PROVIDER_ERROR
        if self.missing():
            return EXIT_DRIFT
        return EXIT_OK

    def to_json(self) -> dict[str, Any]:
        """The pinned ``--json`` structure (and ``stagecraft.check()``'s).

        ``environments`` lists each environment as ``{"name", "status",
        "keys": {KEY: STATUS}}``, plus ``"absent": REASON`` for one whose
        location does not exist; the other three lists flatten what needs
        attention.
        """
        return {
            "environments": [
                {
                    "name": report.name,
                    "status": str(report.status),
                    "keys": {key: str(status) for key, status in report.keys.items()},
                    **({"absent": report.absent} if report.absent else {}),
                }
                for report in self.environments
            ],
            "missing": [{"key": key, "environment": name} for key, name in self.missing()],
            "undeclared": [
                {"key": key, "environment": name} for key, name in self.undeclared()
            ],
            "unreadable": [
                {"environment": report.name, "error": report.error}
                for report in self.unreadable()
            ],
        }
