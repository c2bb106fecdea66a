"""Validators for fields that several providers' ``Config`` classes share.

A provider declares its section of ``stagecraft.yml`` as an attrs class, and
the core's strict converter structures the section into it.  Fields such as
``concurrency`` or ``timeout`` mean the same in every store, so they are
checked the same way, here: each validator raises
:class:`~stagecraft.errors.InvalidConfigError` (a ``ValueError``), which the
converter reports with the field's path and line.  Use them with
``attrs.field``::

    concurrency: int = attrs.field(default=8, validator=concurrency)
    timeout: float = attrs.field(default=30.0, validator=positive_seconds)

Kept outside :mod:`stagecraft.config` so that importing a provider's config
class (every command does, when the registry is built) does not import the
config model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from stagecraft.errors import InvalidConfigError
from stagecraft.redact import Structural

__all__ = [
    "at_least", "concurrency", "non_empty_name", "non_negative_seconds", "positive_seconds",
]

#: The signature of an attrs validator.
Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def at_least(minimum: int) -> Validator:
    """A validator of an integer field that must be ``>= minimum`` (``true`` is no integer)."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise InvalidConfigError(Structural(
                f"{attribute.name} must be an integer >= {minimum}, not {value!r}"
            ))

    return check


#: ``concurrency``: calls a store makes at once; at least one.
concurrency = at_least(1)


def positive_seconds(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A duration in seconds (``timeout``): a number greater than zero."""
    if not _is_number(value) or not value > 0:  # type: ignore[operator]
        raise InvalidConfigError(Structural(
            f"{attribute.name} must be a number of seconds > 0, not {value!r}"
        ))


def non_negative_seconds(
    _instance: object, attribute: attrs.Attribute[Any], value: object
) -> None:
    """A duration in seconds that may be zero (``min_interval``)."""
    if not _is_number(value) or value < 0:  # type: ignore[operator]
        raise InvalidConfigError(Structural(
            f"{attribute.name} must be a number of seconds >= 0, not {value!r}"
        ))


def non_empty_name(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An optional name (a profile, a region): absent, or a string that is not blank."""
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidConfigError(
            Structural(f"{attribute.name} must be a non-empty string when given")
        )
