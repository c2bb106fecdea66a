"""The plan of one sync: per key what happens to the target, before anything is written.

Made from the selected source values and what the target holds (its values,
or for a write-only store which keys exist and which the write record says
are unchanged); it holds the values to write, never shown.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import attrs

from stagecraft.providers.secrets import Action, Change, SyncResult

__all__ = ["Plan", "plan"]


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

    def unchanged(self, selected: Mapping[str, str]) -> dict[str, str]:
        """The keys planned as unchanged, with their (selected) values."""
        return {key: selected[key] for key, action in zip(self.keys, self.actions, strict=True)
                if action is Action.UNCHANGED}


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
