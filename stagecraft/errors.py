"""The error hierarchy every Stagecraft component raises.

One base class, :class:`StagecraftError`, lets the command tell errors it
expected (bad input, a failing provider) from bugs: anything that is not a
``StagecraftError`` is an internal error.  Each subclass carries the exit code
the ``stagecraft`` command uses for it, so that mapping lives in one place.

Messages are shown to users as they are, so they must never contain a secret
value: name keys, files, lines and plugins instead.
"""

from __future__ import annotations

from collections.abc import Iterable

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_PROVIDER_ERROR = 2
EXIT_INTERNAL_ERROR = 3
EXIT_DRIFT = 4
EXIT_INTERRUPTED = 130


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when one of ``choices`` is close to ``word``, else ``""``.

    Every "unknown NAME" message (provider ids, config keys, hook names) words
    its hint this way.
    """
    import difflib  # only error messages need it: keep it off the start-up path

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


class StagecraftError(Exception):
    """Base class of every error Stagecraft reports to a user.

    ``exit_code`` is the status the ``stagecraft`` command exits with.
    """

    exit_code: int = EXIT_USER_ERROR


class UserError(StagecraftError):
    """The user asked for something that cannot work (bad input, missing key)."""

    exit_code = EXIT_USER_ERROR


class ConfigError(UserError):
    """``stagecraft.yml`` (or an option standing in for it) is invalid."""


class PluginError(UserError):
    """A plugin could not be loaded or contributed something invalid.

    The fix lies with whoever installs or configures plugins (disable it,
    upgrade it), so it is reported like a configuration error.
    """


class PluginLoadError(PluginError):
    """A plugin failed to import, to register, or returned garbage from a hook."""

    #: The message quotes the plugin's own exception, so the command masks it.
    free_text = True

    def __init__(self, message: str, *, plugin: str = "") -> None:
        super().__init__(message)
        self.plugin = plugin


class ProviderError(StagecraftError):
    """A provider or the external system behind it failed."""

    exit_code = EXIT_PROVIDER_ERROR


class CancelledError(ProviderError):
    """The sync was cancelled or ran past its deadline."""


class DeadlineError(CancelledError):
    """The sync ran past its deadline (``--timeout``)."""
