"""The error hierarchy every Stagecraft component raises, in one place.

One base class, :class:`StagecraftError`, lets the command tell errors it
expected (bad input, a failing provider) from bugs: anything that is not a
``StagecraftError`` is an internal error.  Each class carries the exit code
the ``stagecraft`` command uses for it, so that mapping lives here too.

Whether a message is shown as it is or masked depends on its type, never on
who raised it: a message the core composed from names, paths and counts is
:class:`~stagecraft.redact.Structural` (see :meth:`StagecraftError.composed`);
any other text is free text, which the command masks, even in one of these
classes (a plugin may raise :class:`ProviderError` with a server's reply).
Either way, messages must never hold a secret value: name keys, files,
lines and plugins instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from stagecraft.key_reasons import outcome_lines
from stagecraft.redact import Structural

if TYPE_CHECKING:
    from stagecraft.config.problems import Problem
    from stagecraft.providers.registry import Origin
    from stagecraft.providers.secrets import SyncResult

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_PROVIDER_ERROR = 2
EXIT_INTERNAL_ERROR = 3
EXIT_DRIFT = 4
#: ``stagecraft run``: COMMAND found but not executable / not found, as shells say it.
EXIT_NOT_EXECUTABLE = 126
EXIT_NOT_FOUND = 127
EXIT_INTERRUPTED = 130


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when one of ``choices`` is close to ``word``, else ``""``.

    Every "unknown NAME" message (provider ids, config keys, hook names) words
    its hint this way.
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def printable(name: str) -> str:
    """``name`` as it is safe to show on one line: control characters escaped.

    Key names, plugin names and paths come from files and command lines; a
    newline in one would otherwise split a message, or forge a line of it.
    """
    if name.isprintable():
        return name
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in name
    )


# ----------------------------------------------------------------- the roots


class StagecraftError(Exception):
    """Base class of every error Stagecraft reports to a user.

    ``exit_code`` is the status the ``stagecraft`` command exits with.  The
    message is free text (masked when shown) unless it is
    :class:`~stagecraft.redact.Structural`: ``raise UserError(Structural(f"{path}: ..."))``.
    """

    exit_code: int = EXIT_USER_ERROR

    @property
    def composed(self) -> bool:
        """Whether the core composed the message from known structure (shown unmasked)."""
        return len(self.args) == 1 and isinstance(self.args[0], Structural)


class UserError(StagecraftError):
    """The user asked for something that cannot work (bad input, missing key)."""

    exit_code = EXIT_USER_ERROR


class ProviderError(StagecraftError):
    """A provider or the external system behind it failed."""

    exit_code = EXIT_PROVIDER_ERROR


# ------------------------------------------------------- config and plugins


class ConfigError(UserError):
    """``stagecraft.yml`` (or an option standing in for it) is invalid."""


class InvalidConfigError(ConfigError, ValueError):
    """A value of a provider's config section is invalid.

    Raised by the validators of a provider's ``Config`` class; it is a
    :class:`ValueError` too, so the strict converter reports it with the
    path and line of the field.
    """


class ConfigFileError(ConfigError):
    """``stagecraft.yml`` is invalid.  One line per problem, each with ``FILE:LINE:COL``."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        lines = []
        for problem in self.problems:
            where = f"{file}:{problem.mark}"
            lines.append(
                f"{where}: {problem.path}: {problem.message}"
                if problem.path
                else f"{where}: {problem.message}"
            )
        super().__init__(Structural("\n".join(lines)))


class PluginError(UserError):
    """A plugin could not be loaded or contributed something invalid.

    The fix lies with whoever installs or configures plugins (disable it,
    upgrade it), so it is reported like a configuration error.
    """


class PluginLoadError(PluginError):
    """A plugin failed to import, to register, or returned garbage from a hook.

    Its message quotes the plugin's own exception: free text, masked.
    """

    def __init__(self, message: str, *, plugin: str = "") -> None:
        super().__init__(message)
        self.plugin = plugin


class EmptyProviderIDError(PluginError):
    """A provider has an empty id.

    ``origins`` names where each provider with an empty id came from.
    """

    origins: tuple[Origin, ...] = ()


class InvalidProviderError(PluginError):
    """Something that is not a provider was offered as one.

    From :meth:`Registry.register_all`, ``rejected`` holds every such
    offer: its origin, the object and what is wrong with it.
    """

    rejected: tuple[tuple[Origin, object, str], ...] = ()


class DuplicateProviderError(PluginError):
    """Two different providers claim the same id.

    ``conflicts`` maps each contested id to every origin that provided it.
    """

    def __init__(self, conflicts: dict[str, list[Origin]]) -> None:
        self.conflicts = {key: list(origins) for key, origins in sorted(conflicts.items())}
        lines = ["conflicting secrets provider ids:"]
        for provider_id, origins in self.conflicts.items():
            counts: dict[Origin, int] = {}
            for origin in origins:
                counts[origin] = counts.get(origin, 0) + 1
            named = " and ".join(
                str(origin) if n == 1 else f"{origin} ({n} different objects)"
                for origin, n in counts.items()
            )
            lines.append(f"  {provider_id!r} is provided by {named}")
        lines.append(
            "Disable all but one of them: `-p no:NAME`, `plugins.disable` in "
            "stagecraft.yml, or STAGECRAFT_DISABLE_PLUGINS=NAME."
        )
        super().__init__(Structural("\n".join(lines)))


class UnknownProviderError(UserError):
    """No provider has the requested id."""

    def __init__(self, provider_id: str, available: Sequence[str]) -> None:
        self.provider_id = provider_id
        self.available = tuple(available)
        # "loaded", not "installed": plugins may be installed yet filtered out
        # (STAGECRAFT_LOAD_PLUGINS, -p no:NAME); `stagecraft plugins` lists them.
        listed = ", ".join(self.available) if self.available else "none loaded"
        super().__init__(Structural(
            f"unknown secrets provider {provider_id!r}"
            f"{did_you_mean(provider_id, self.available)} (available: {listed})"
        ))


# ------------------------------------------------------ locations and input


class UnknownStoreError(UserError):
    """``ID:`` names no registered store."""


class BareStoreIdError(UserError):
    """A location with no ``ID:`` prefix that is itself a store id (``--to vault``)."""


class InvalidOptionsError(UserError, ValueError):
    """:class:`~stagecraft.SyncOptions` were given invalid keys."""


class MissingKeysError(UserError):
    """Requested keys (or glob patterns) match nothing in the source.

    Raised before anything is written.  ``patterns`` are the glob patterns
    that matched no key; ``excluded`` says they came from ``--exclude``.
    """

    def __init__(
        self,
        keys: Iterable[str],
        source: str,
        *,
        patterns: Iterable[str] = (),
        excluded: bool = False,
    ) -> None:
        self.keys = tuple(sorted(keys))
        self.patterns = tuple(patterns)
        self.source = source
        parts = []
        if self.keys:
            noun = "key" if len(self.keys) == 1 else "keys"
            parts.append(f"requested {noun} not found: {', '.join(map(printable, self.keys))}")
        if self.patterns:
            what = "--exclude pattern" if excluded else "pattern"
            noun = what if len(self.patterns) == 1 else what + "s"
            listed = ", ".join(map(printable, self.patterns))
            parts.append(f"{noun} matched no key: {listed}")
        super().__init__(Structural(f"{source}: " + "; ".join(parts)))


class MissingDeclaredKeysError(UserError):
    """A source lacks declared keys required where it goes: stop before anything is written.

    Names the keys, the source and the environment; never a value.
    """

    #: What the refusal spared, said at the end of the message.
    consequence = "nothing was written (is this the right source?)"

    def __init__(
        self, keys: Sequence[str], source: str, environment: str | None, *,
        empty: Sequence[str] = (),
    ) -> None:
        self.keys = tuple(keys)
        #: Those of ``keys`` the source holds with an empty value (a template, say).
        self.empty = tuple(empty)
        self.source = source
        self.environment = environment
        where = f"required in {environment}" if environment else "required everywhere"
        listed = ", ".join(printable(key) for key in self.keys)
        emptied = ", ".join(printable(key) for key in self.empty)
        held = f" (empty in the source: {emptied})" if self.empty else ""
        super().__init__(Structural(
            f"{printable(source)}: missing declared key(s) {where}: {listed}{held}; "
            f"{self.consequence}"
        ))


class MissingKeysForRunError(MissingDeclaredKeysError):
    """The source lacks declared keys required in the environment COMMAND runs with.

    Names the keys, the source and the environment; never a value.  Exit 1.
    """

    consequence = "the command was not started"


class ConflictError(UserError):
    """Keys were changed in the target since this machine last synced them; nothing was written.

    ``result`` is the plan, with those keys as ``conflict`` (``! KEY``), so
    the command can show it; ``--check`` reports it as drift (exit 4).
    """

    def __init__(self, target: str, result: SyncResult) -> None:
        self.result = result
        keys = result.conflicts
        super().__init__(Structural(
            f"{target}: {len(keys)} key(s) changed in the target since this machine last "
            f"synced them, so nothing was written: {', '.join(map(printable, keys))}. "
            "Bring the new values into the source, or overwrite them with --force"
        ))


class RefusedValuesError(UserError):
    """The target cannot hold some values, or the write as a whole; nothing was written."""


class DotenvError(UserError):
    """A .env file is malformed.  The message is ``PATH:LINE: what is wrong``."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(Structural(f"{path}:{line}: {problem}"))
        self.path = path
        self.line = line
        self.problem = problem


class UnwritableValueError(UserError):
    """No quoting carries a value unchanged to every chosen reader.

    The message names the key and the reason, never the value.
    """

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(Structural(f"cannot write {key!r} to an env file: {reason}"))
        self.key = key
        self.reason = reason


# ------------------------------------------------------- files and commands


class CommandNotStartedError(UserError):
    """COMMAND was not found or could not be executed; exits 127 or 126 as a shell would."""

    def __init__(self, command: str, reason: str, exit_code: int) -> None:
        self.command = command
        self.exit_code = exit_code
        super().__init__(Structural(f"{printable(command)}: {reason}"))



class FileReadError(UserError):
    """A file to read is missing, is a directory, or cannot be read."""


class FileWriteError(ProviderError):
    """A file could not be written; the target is unchanged."""


class TargetRefusedError(UserError):
    """The target must not be replaced as asked (read-only, or someone else's).

    A user error: the file system would allow the write, but it would lose
    something the user set up (the owner, a read-only mark), or write
    something other than what was named.
    """


class OutputLostError(StagecraftError):
    """Standard output could not be written; what the command did is done."""

    exit_code = EXIT_PROVIDER_ERROR

    def __init__(self, reason: str) -> None:
        super().__init__(
            Structural(f"could not write the output to standard output ({reason})")
        )


# ------------------------------------------------------ stores and the sync


class CancelledError(ProviderError):
    """The sync was cancelled or ran past its deadline."""


class DeadlineError(CancelledError):
    """The sync ran past its deadline (``--timeout``)."""


class NoSuchLocationError(UserError):
    """There is nothing at all at a location: it does not exist (not "exists and is empty").

    ``read`` (and a session's ``read``) raises it, so that a mistyped
    ``--from`` is an error naming it rather than a source of no keys that
    ``--prune`` would take as "delete everything".  The engine decides what
    it means: for the source, an error (exit 1); for the target, a place the
    sync creates, read as empty.  A store whose place cannot exist apart
    from its keys (a name prefix, a parameter path) raises it when it finds
    no key there.  ``why`` says what was looked for (a file, a secret), never a value.
    """

    def __init__(self, store_id: str, location: str, why: str = "") -> None:
        self.store_id = store_id
        self.location = location
        self.why = why
        where = f"{store_id}:{printable(location)}: does not exist"
        # ``why`` is the store's own words: free text, so the message is then masked.
        super().__init__(f"{where} ({why})" if why else Structural(where))


class TransientError(ProviderError):
    """A failure worth trying again (throttling, a reset connection, a 5xx).

    Raise it from ``write``, ``write_one``, ``read`` or ``delete`` (or say so
    in :meth:`StoreBase.is_transient`): the engine retries the call with
    backoff, up to :attr:`StoreBase.retries` times, within the deadline.
    """


class KeysNotWrittenError(ProviderError):
    """A batch ``write`` or ``delete`` that failed for some keys only; the others were done.

    ``failed`` maps each key that failed to the store's reason (never a
    value); the engine reports those keys as not synced, masked, and the
    rest as synced.
    """

    def __init__(self, failed: Mapping[str, str]) -> None:
        super().__init__(f"{len(failed)} key(s) failed")
        self.failed = dict(failed)


class OutcomeUnknownError(ProviderError):
    """A write was sent and no answer came: it may or may not have taken effect.

    Raise it (or say so in :meth:`StoreBase.outcome_unknown`) when a
    request or a child process that changes the store timed out, lost its
    connection after sending, or was stopped: the engine then reports the
    keys as *unknown* ("may or may not have been written"), never as "not
    written".  It is not retried unless it is also a :class:`TransientError`
    (a store that can tell a repeated write apart, as Vault's check-and-set
    does, may make it both).
    """


class PartialSyncError(ProviderError):
    """Some keys were synced and some failed.

    ``result`` holds the changes that did happen, ``failed`` maps each key that
    was not synced to the reason (which never includes its value), and
    ``unknown`` each key whose write was sent but not answered (a timeout, a
    second Ctrl-C): it may or may not have been written.  ``head`` is the
    first line of the message (structural when the engine wrote it).
    """

    def __init__(
        self, message: str, result: SyncResult, failed: dict[str, str],
        unknown: dict[str, str] | None = None,
    ) -> None:
        self.head = message
        self.result = result
        self.failed = dict(sorted(failed.items()))
        self.unknown = dict(sorted((unknown or {}).items()))
        done = [change.key for change in result.changes]
        super().__init__("\n".join([message, *outcome_lines(done, self.failed, self.unknown)]))


class SyncFailedError(PartialSyncError):
    """The engine's partial failure: the keys written, and each key that was not."""


class InterruptedSyncError(SyncFailedError, CancelledError):
    """The sync was interrupted (SIGINT); ``result`` holds what was written.  Exit 130.

    Also a :class:`CancelledError`: it is one.
    """

    exit_code = EXIT_INTERRUPTED


# ----------------------------------------------------- exec-protocol helpers


class HelperProtocolError(ProviderError):
    """The helper did not keep to the protocol (no answer, not JSON, another version)."""


class HelperFailedError(ProviderError):
    """The helper answered with an error that is not worth retrying (its words: masked)."""


class HelperTransientError(TransientError):
    """The helper answered with an error it marked transient: the engine retries it."""


class HelperTimeoutError(ProviderError):
    """The helper did not answer in time; it was stopped."""


class HelperWriteProtocolError(HelperProtocolError, OutcomeUnknownError):
    """A helper broke the protocol answering a write or delete: what it did is not known."""


class HelperWriteTimeoutError(HelperTimeoutError, OutcomeUnknownError):
    """A helper stopped in the middle of a write or delete: it may or may not have done it."""
