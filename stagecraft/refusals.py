"""Refusing, before anything is written, what the target cannot hold.

A store says which single values it cannot hold faithfully
(:meth:`~stagecraft.SecretStore.check_values`) and, through its session,
whether the location can take the write as a whole
(:meth:`~stagecraft.StoreSession.refusal`: too many fields for one secret, a
JSON object over its size limit).  Either way the sync stops before its first
write, with exit 1 and one message: a refusal of the whole is one sentence,
and refused keys are listed one line each, a reason shared by many keys
stated once (:mod:`stagecraft.key_reasons`), so the message grows linearly
with the number of keys, whatever the store.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from stagecraft.errors import RefusedValuesError, printable
from stagecraft.key_reasons import reason_lines
from stagecraft.locations import Endpoint
from stagecraft.redact import Structural
from stagecraft.store_session import StoreSession

__all__ = ["RefusedValuesError", "check_refusals"]


def check_refusals(
    target: Endpoint, session: StoreSession[Any],
    writes: Mapping[str, str], deletes: Collection[str],
) -> None:
    """Raise :class:`RefusedValuesError` when the target refuses the planned writes.

    The message is the core's (the target, key names, counts) around the
    store's reasons, which are free text: they are masked here, as they
    are put in, so the rest reads in full whatever the values are.
    """
    mask = session.ctx.redactor.redact
    refused = session.check_values(writes)
    if refused:
        reasons = {key: mask(reason) for key, reason in refused.items()}
        raise RefusedValuesError(Structural(refused_keys_message(str(target), reasons)))
    if writes or deletes:
        whole = session.refusal(writes, deletes)
        if whole:
            raise RefusedValuesError(Structural(
                f"{target}: refusing the write, nothing was written: {mask(whole)}"
            ))


def refused_keys_message(where: str, refused: Mapping[str, str]) -> str:
    """``WHERE: refusing N key(s), nothing was written:`` and the keys with their reasons.

    One refused key stays on one line, as every refusal used to read.
    """
    names = {printable(key): refused[key] for key in sorted(refused)}
    head = f"{where}: refusing {len(names)} key(s), nothing was written:"
    if len(names) == 1:
        [(key, reason)] = names.items()
        return f"{head} {key}: {reason}"
    return "\n".join([head, *reason_lines(names, "  ")])
