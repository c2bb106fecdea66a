"""How an exception's text is shown: what the core composed as it is, everything else masked.

The command shows structural text unmasked (names, paths, counts, code), so
that no output changes shape because of what a secret value is, and masks
free text: anything a provider, plugin or library wrote.  What a message is
says its type, never where it was raised: a message the core composed is
:class:`~stagecraft.redact.Structural` (:attr:`StagecraftError.composed`),
and the same class raised by a plugin with its own text is masked.  A
traceback's frames are structural; each exception's message follows the
same rule.
"""

from __future__ import annotations

import traceback

from stagecraft.errors import PartialSyncError, StagecraftError
from stagecraft.key_reasons import outcome_lines
from stagecraft.redact import Redactor, Structural

__all__ = ["is_composed", "message_text", "traceback_text"]


def is_composed(exc: BaseException) -> bool:
    """Whether ``exc``'s message is text the core composed (names and counts, never values)."""
    return isinstance(exc, StagecraftError) and exc.composed


def message_text(redactor: Redactor, exc: StagecraftError) -> str:
    """The message of ``exc`` as the command shows it.

    A partial failure is laid out here: the keys synced and each key not
    synced with its reason, masked (the engine masked them when it recorded
    them; a provider raising the error itself may not have).
    """
    if isinstance(exc, PartialSyncError):
        written = getattr(exc, "head", None)  # a provider's own subclass may not set it
        if written is None:
            written = str(exc)
        head = written.splitlines()[0] if written else "sync failed"
        if not isinstance(written, Structural):
            head = redactor.redact(head)
        done = [change.key for change in exc.result.changes]
        unknown = getattr(exc, "unknown", {})  # a provider's own subclass may predate it
        return "\n".join([head, *outcome_lines(done, exc.failed, unknown, redactor.redact)])
    return str(exc) if exc.composed else redactor.redact(str(exc))


def traceback_text(redactor: Redactor, exc: BaseException) -> str:
    """``exc``'s traceback, chained exceptions included, each message masked unless the core's."""
    return redactor.render(*_parts(redactor, exc, set()))


def _parts(redactor: Redactor, error: BaseException, seen: set[int]) -> list[str]:
    seen.add(id(error))
    found: list[str] = []
    cause, context = error.__cause__, error.__context__
    if cause is not None and id(cause) not in seen:
        found += _parts(redactor, cause, seen)
        found.append(Structural("\nThe above exception was the direct cause of the "
                                "following exception:\n\n"))
    elif context is not None and not error.__suppress_context__ and id(context) not in seen:
        found += _parts(redactor, context, seen)
        found.append(Structural("\nDuring handling of the above exception, another "
                                "exception occurred:\n\n"))
    if error.__traceback__ is not None:
        found.append(Structural("Traceback (most recent call last):\n"
                                + "".join(traceback.format_tb(error.__traceback__))))
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ == "builtins" else (
        f"{kind.__module__}.{kind.__qualname__}")
    message = str(error)
    found.append(Structural(f"{name}: " if message else name))
    if isinstance(error, PartialSyncError):
        found.append(Structural(message_text(redactor, error)))  # masked there, part by part
    else:
        found.append(Structural(message) if is_composed(error) else message)
    found.append(Structural("\n"))
    return found
