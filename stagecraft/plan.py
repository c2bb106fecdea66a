"""A sync's plan: per key, what the engine will do to the target, and why it may not.

:func:`plan` compares the selected source values with the target and says,
per key, ``added``, ``updated``, ``unchanged`` or ``removed``.
:meth:`Plan.with_conflicts` then marks the keys the write record
(:mod:`stagecraft.record`) shows were changed in the target since this
machine last synced them: writing those would silently undo a change made
there (a rotated password), so they are ``conflict`` and
:class:`ConflictError` stops the sync before anything is written, unless
``--force``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import attrs

from stagecraft.errors import ConflictError
from stagecraft.providers.secrets import Action, Change, SyncResult

__all__ = ["ConflictError", "Plan", "plan"]


@attrs.frozen
class Plan:
    """Per key what the sync does; ``writes`` holds the values to store (never shown).

    Keys and actions are two parallel tuples rather than a record per key:
    the result's records are made once the target is written, so a large
    file store does not hold them while it renders the new file.
    """

    keys: tuple[str, ...]
    actions: tuple[Action, ...]
    writes: Mapping[str, str] = attrs.field(repr=False)
    deletes: tuple[str, ...] = ()

    def result(
        self,
        reported: Mapping[str, Action] | None = None,
        failed: Collection[str] = (),
        *,
        where: Mapping[str, str],
    ) -> SyncResult:
        """The changes made: the plan's, less ``failed``, with the actions stores ``reported``."""
        reported = reported or {}
        return SyncResult(
            (Change(key, reported.get(key, action))
             for key, action in zip(self.keys, self.actions, strict=True) if key not in failed),
            source=where["source"], target=where["target"],
        )

    def keys_with(self, *actions: Action) -> list[str]:
        """The keys planned as one of ``actions``, in order."""
        return [key for key, action in zip(self.keys, self.actions, strict=True)
                if action in actions]

    def with_conflicts(self, conflicts: Collection[str]) -> Plan:
        """This plan with ``conflicts`` marked ``conflict``: neither written nor removed."""
        if not conflicts:
            return self
        return Plan(
            self.keys,
            tuple(Action.CONFLICT if key in conflicts else action
                  for key, action in zip(self.keys, self.actions, strict=True)),
            {key: value for key, value in self.writes.items() if key not in conflicts},
            tuple(key for key in self.deletes if key not in conflicts),
        )


def plan(
    selected: Mapping[str, str],
    current: Mapping[str, str] | None,
    existing: Collection[str] | None,
    prunable: Sequence[str] = (),
    recorded: Collection[str] = (),
) -> Plan:
    """Compare the selected source values with the target.

    ``current`` is the target's values (None: the store cannot be read), in
    which case ``existing`` says which keys exist (None: not even that, and
    every key counts as updated, as nothing can be said) and ``recorded``
    which keys' source values are the ones last written there (the write
    record): a key both existing and recorded is unchanged.  ``prunable``
    are target keys in the selection that the source lacks.
    """
    keys: list[str] = []
    actions: list[Action] = []
    writes: dict[str, str] = {}
    for key, value in selected.items():
        if current is not None:
            before = current.get(key)
            action = (
                Action.ADDED if before is None
                else Action.UNCHANGED if before == value
                else Action.UPDATED
            )
        elif existing is not None:
            action = (
                Action.ADDED if key not in existing
                else Action.UNCHANGED if key in recorded
                else Action.UPDATED
            )
        else:
            action = Action.UPDATED
        keys.append(key)
        actions.append(action)
        if action is not Action.UNCHANGED:
            writes[key] = value
    keys += prunable
    actions += [Action.REMOVED] * len(prunable)
    return Plan(tuple(keys), tuple(actions), writes, tuple(prunable))
