"""A ``LOCATION`` word given the manifest: an environment name, or a location as written.

Environment names work wherever a location does (``--from dev``,
``secrets.from: dev``, a sync's ``from``, the Python API).  An environment
takes precedence over a file of the same name; ``./dev`` or ``envfile:dev``
always mean the file, since an environment name holds neither ``/`` nor
``:``.  This is pure (the word, the manifest, the store ids), so the command
and the Python API resolve alike.
"""

from __future__ import annotations

from collections.abc import Collection

import attrs

from stagecraft.config.manifest import Manifest, is_valid_name
from stagecraft.errors import did_you_mean


@attrs.frozen
class ResolvedLocation:
    """What a ``LOCATION`` word means."""

    #: ``ID:LOCATION`` of the environment, or the word unchanged.
    location: str
    #: The environment the word named; None when it named none.
    environment: str | None = None
    #: `` (did you mean 'staging'?)`` when the word looks like a name and names no
    #: environment: the caller adds it to its "not found" message when the word
    #: turns out to be no file either.
    hint: str = ""


def resolve_location(
    word: str, manifest: Manifest, store_ids: Collection[str]
) -> ResolvedLocation:
    """Resolve ``word`` against ``manifest``'s environments (see the module docstring).

    A location from ``stagecraft.yml`` keeps its meaning: relative file paths
    in an environment are relative to the config's directory, like every path
    in the file, and the caller resolves them as it does ``secrets.from``.
    """
    environment = manifest.environments.get(word)
    if environment is not None:
        return ResolvedLocation(str(environment), environment.name)
    hint = ""
    if is_valid_name(word) and word not in store_ids:
        hint = did_you_mean(word, [*manifest.environments, *store_ids])
    return ResolvedLocation(word, None, hint)
