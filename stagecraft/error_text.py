"""How an exception's text is shown: what the core wrote as it is, everything else masked.

The command shows structural text unmasked (names, paths, counts, code), so
that no output changes shape because of what a secret value is, and masks
free text: anything a provider, plugin or library wrote.  For an exception
that decides on *where it was raised*, not its class (a provider may raise
the core's ``ProviderError`` with any text it likes), and a traceback's
frames are structural while each exception's message is free text.
"""

from __future__ import annotations

import traceback

from stagecraft.errors import StagecraftError
from stagecraft.key_reasons import reason_lines
from stagecraft.redact import Redactor, Structural

__all__ = ["message_text", "raised_by_core", "traceback_text"]


def raised_by_core(exc: BaseException) -> bool:
    """Whether the core itself raised ``exc`` (its messages hold names, never values)."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = tb.tb_frame.f_globals.get("__name__", "")
    return isinstance(module, str) and (module == "stagecraft" or module.startswith("stagecraft."))


def _is_structural(exc: BaseException) -> bool:
    return raised_by_core(exc) and not getattr(exc, "free_text", False)


def message_text(redactor: Redactor, exc: StagecraftError) -> str:
    """The message of ``exc`` as the command shows it.

    A partial failure is laid out here: the keys synced and each key not
    synced with its reason, masked (the engine masked them when it recorded
    them; a provider raising the error itself may not have).
    """
    from stagecraft.providers.secrets import PartialSyncError

    if isinstance(exc, PartialSyncError):
        from stagecraft.engine import SyncFailedError

        head = str(exc).splitlines()[0] if str(exc) else "sync failed"
        if not isinstance(exc, SyncFailedError):
            head = redactor.redact(head)
        done = [change.key for change in exc.result.changes]
        unknown = getattr(exc, "unknown", {})  # a provider's own subclass may predate it
        lines = [head, f"  synced ({len(done)}): {', '.join(done) if done else '-'}"]
        if exc.failed or not unknown:
            lines.append(f"  not synced ({len(exc.failed)}):")
            lines += reason_lines(exc.failed, "    ", redactor.redact)
        if unknown:
            lines.append(f"  unknown, may or may not have been written ({len(unknown)}):")
            lines += reason_lines(unknown, "    ", redactor.redact)
        return "\n".join(lines)
    return str(exc) if _is_structural(exc) else redactor.redact(str(exc))


def traceback_text(redactor: Redactor, exc: BaseException) -> str:
    """``exc``'s traceback, chained exceptions included, each message masked unless the core's."""
    return redactor.render(*_parts(exc, set()))


def _parts(error: BaseException, seen: set[int]) -> list[str]:
    seen.add(id(error))
    found: list[str] = []
    cause, context = error.__cause__, error.__context__
    if cause is not None and id(cause) not in seen:
        found += _parts(cause, seen)
        found.append(Structural("\nThe above exception was the direct cause of the "
                                "following exception:\n\n"))
    elif context is not None and not error.__suppress_context__ and id(context) not in seen:
        found += _parts(context, seen)
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
    found.append(Structural(message) if _is_structural(error) else message)
    found.append(Structural("\n"))
    return found
