"""The registry from ``secrets_provider_register``: each plugin's providers, attributed.

This is the one place provider contributions are called, flattened and
attributed; :meth:`Registry.register_all` is the one place they are checked.
Problems are reported together: plugins whose hook raised or returned
something that is not a valid provider, then empty ids, then every id
claimed by more than one distinct provider.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from stagecraft.errors import PluginLoadError
from stagecraft.plugins.failures import describe_exception, disable_hint
from stagecraft.providers.secrets import (
    DuplicateProviderError,
    EmptyProviderIDError,
    InvalidProviderError,
    Origin,
    Registry,
    SecretsProvider,
)
from stagecraft.redact import Structural


class Contribution(NamedTuple):
    """One plugin's ``secrets_provider_register``, ready to be called through pluggy."""

    origin: Origin
    #: Calls the plugin's implementation (with any wrappers) and returns pluggy's results.
    call: Callable[[], list[object]]
    #: Its providers give way to any other contribution's of the same id (exec stores).
    yields: bool = False


def flatten(returned: object) -> list[object]:
    """What one implementation returned, as a list of would-be providers."""
    if returned is None:
        return []
    if isinstance(returned, (str, bytes, Mapping)):
        return [returned]  # not an iterable of providers; reported as invalid
    if isinstance(returned, SecretsProvider):
        return [returned]
    if isinstance(returned, Iterable):
        return list(returned)
    return [returned]


def _rejected(obj: object, problem: str) -> str:
    if not isinstance(obj, SecretsProvider):
        return f"returned {type(obj).__name__}, not a provider"
    return f"returned an invalid provider: {problem}"


def build_registry(
    contributions: Sequence[Contribution],
    mark_failed: Callable[[str, str], None],
    warn: Callable[[str], None],
) -> Registry:
    """A :class:`Registry` of every contribution's providers.

    ``mark_failed(plugin, line)`` is told of each plugin at fault, so that
    ``stagecraft plugins`` lists it as failed, with why; ``warn`` of each
    yielding provider left out because another provider has its id.
    """
    broken: list[tuple[Origin, str]] = []
    entries: list[tuple[object, Origin]] = []
    yielding: list[tuple[object, Origin]] = []
    for contribution in contributions:
        try:
            # Flattening runs the plugin's code too when it returned a
            # generator, so its exceptions are the plugin's as well.
            items = [item for result in contribution.call() for item in flatten(result)]
        except Exception as exc:  # noqa: BLE001 - attributed to the plugin below
            problem = f"raised in secrets_provider_register: {describe_exception(exc)}"
            broken.append((contribution.origin, problem))
            continue
        found = yielding if contribution.yields else entries
        found.extend((item, contribution.origin) for item in items)
    taken = {item.id for item, _ in entries if isinstance(item, SecretsProvider)}
    for item, origin in yielding:
        if isinstance(item, SecretsProvider) and item.id in taken:
            winner = next(o for i, o in entries if isinstance(i, SecretsProvider)
                          and i.id == item.id)
            warn(f"{item} is left out: {winner} provides the id {item.id!r}")
        else:
            entries.append((item, origin))
    registry = Registry()
    try:
        registry.register_all(entries)
    except InvalidProviderError as exc:
        broken.extend((origin, _rejected(obj, problem)) for origin, obj, problem in exc.rejected)
    except EmptyProviderIDError as exc:
        if not broken:
            named = ", ".join(str(origin) for origin in exc.origins)
            hint = disable_hint(exc.origins[0].plugin)
            raise EmptyProviderIDError(
                Structural(f"secrets provider with an empty id from {named}; {hint}")
            ) from None
    except DuplicateProviderError:
        if not broken:
            raise
    if broken:
        order = {c.origin: index for index, c in enumerate(contributions)}
        broken.sort(key=lambda item: order.get(item[0], len(order)))
        lines = []
        for origin, problem in broken:
            line = f"{origin} {problem}; {disable_hint(origin.plugin)}"
            mark_failed(origin.plugin, line)
            lines.append(line)
        raise PluginLoadError("\n".join(lines), plugin=broken[0][0].plugin)
    return registry
