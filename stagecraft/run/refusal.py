"""Which secrets COMMAND gets, and the refusal when declared keys it needs are missing.

``stagecraft run --env dev -- app`` must not start the app without a secret
the project declares required in dev: the app would fail later, further
from the cause, or (worse) run against defaults.  So the check happens
before COMMAND starts, and names every missing key at once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from stagecraft.config.manifest import (
    Manifest,
    applicable_keys,
    keys_for_sync,
    require_values,
    required_in,
)
from stagecraft.errors import MissingKeysForRunError, UserError, printable
from stagecraft.redact import Structural
from stagecraft.selection import is_pattern, select


def secrets_for_run(
    manifest: Manifest,
    values: Mapping[str, str],
    *,
    source: str,
    environment: str | None,
    keys: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> dict[str, str]:
    """The secrets COMMAND gets from ``values`` (everything the source holds).

    With keys declared: the declared keys present in the source; else every
    key there.  ``keys`` (names or globs) narrow that, ``exclude`` drops
    from it, as for ``secrets sync``.  ``environment`` is the environment
    name COMMAND runs with (None for a plain location).

    Raises :class:`MissingKeysForRunError` when a declared key that applies
    (not narrowed away or excluded) is required in ``environment`` and
    absent or empty, and :class:`~stagecraft.providers.secrets.MissingKeysError` when
    a name or pattern of ``keys``/``exclude`` matches nothing.
    """
    declared = applicable_keys(manifest, keys or None, exclude)
    require_values(required_in(declared, environment), values, source, environment,
                   error=MissingKeysForRunError)
    available = keys_for_sync(manifest, None, values)
    if available is not None:
        _refuse_undeclared(keys, available, values, source)
    selected = select(values if available is None else available, keys, exclude, where=source)
    _refuse_unfit(selected, values, source)
    return {name: values[name] for name in selected}


def _refuse_unfit(names: Sequence[str], values: Mapping[str, str], source: str) -> None:
    """A process environment holds no name with '=' and no NUL character anywhere (a store
    such as Vault may hold either): refused by name before COMMAND starts, rather than the
    operating system's error when it is started."""
    unfit = [name for name in names
             if not name or "=" in name or "\0" in name or "\0" in values[name]]
    if unfit:
        listed = ", ".join(printable(name) for name in unfit)
        raise UserError(Structural(
            f"{printable(source)}: cannot be given to a process environment (a name empty "
            f"or holding '=' or NUL, or a value holding NUL): {listed}; the command was not "
            "started"
        ))


def _refuse_undeclared(
    keys: Sequence[str], declared: Collection[str], values: Mapping[str, str], source: str
) -> None:
    """A key named on the command line that the source holds but the project does not
    declare: say so, rather than "not found" about a key the user can see in the file."""
    undeclared = [key for key in keys
                  if not is_pattern(key) and key in values and key not in declared]
    if undeclared:
        raise UserError(Structural(
            f"{printable(source)}: not declared in secrets.keys: "
            f"{', '.join(map(printable, undeclared))}; with keys declared, only declared keys "
            "are given to the command (declare these to give them)"
        ))
