"""Running the ``encore`` CLI: finding it and the app, and one ``secret set`` call.

One ``encore secret set --type T1,T2 [--env E1,E2] KEY`` call per key:
passing every type in one call makes one secret group covering all of them,
as a user would get by hand, whereas one call per type would make separate
groups that later conflict.  The value goes to the call's stdin and nowhere
else (not the command line, not the environment).  Running the calls
concurrently, retrying and reporting is the core engine's work.

Every call runs in a session of its own (``start_new_session``): a
terminal's Ctrl-C goes to the terminal's foreground process group, which is
then stagecraft alone, so the calls in flight finish and report their real
outcome.  Stagecraft stops a child itself, by its process group id, when
the call outlives ``call_timeout`` (or the sync's deadline), or when the
sync is abandoned (a second Ctrl-C).  A ``set`` stopped that way may or
may not have reached Encore: its key is reported unknown.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from stagecraft.errors import ProviderError
from stagecraft.providers.secrets import Action, Context
from stagecraft_encore.config import Config
from stagecraft_encore.errors import (
    AppNotFoundError,
    EncoreNotFoundError,
    ListOutputError,
    SecretListError,
    SecretSetError,
    SecretSetUnknownError,
)
from stagecraft_encore.listing import Group, ListFormatError, parse_list
from stagecraft_encore.targets import CliTarget

__all__ = [
    "APP_FILE", "AppNotFoundError", "EncoreNotFoundError", "cli_version", "command",
    "failure_reason", "find_app", "find_binary", "list_chunks", "list_groups", "run",
    "set_secret",
]

APP_FILE = "encore.app"
CREATED = "Successfully created"
UPDATED = "Successfully updated"

#: How much of the CLI's stderr a failure carries.
MAX_STDERR = 2000

#: Keys per ``encore secret list`` call, and the bytes of key names per call:
#: far below any system's command-line limit, and one call for usual apps.
LIST_CHUNK_KEYS = 500
LIST_CHUNK_BYTES = 64 * 1024

#: How cobra answers an older CLI that has no ``secret list`` (or one taking no keys).
_UNKNOWN_LIST = re.compile(
    r'unknown command "list"|accepts 0 arg\(s\)', re.IGNORECASE
)


def find_binary(name: str, ctx: Context) -> str:
    """The path of the ``encore`` executable, or :class:`EncoreNotFoundError`."""
    if os.sep in name:
        path = ctx.resolve(name, from_config=True)
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        raise EncoreNotFoundError(f"encore: {path} is not an executable file (encore_bin)")
    found = shutil.which(name)
    if found is None:
        raise EncoreNotFoundError(
            f"encore: the `{name}` command was not found on PATH; install the Encore CLI "
            "(https://encore.dev/docs/install) or set encore_bin in stagecraft.yml"
        )
    return found


def find_app(app_root: Path) -> Path:
    """The ``encore.app`` that ``encore`` would use from ``app_root``, as the CLI looks it up."""
    if not app_root.is_dir():
        raise AppNotFoundError(f"encore: app root {app_root} is not a directory")
    for directory in (app_root, *app_root.parents):
        candidate = directory / APP_FILE
        if candidate.is_file():
            return candidate
    raise AppNotFoundError(
        f"encore: no {APP_FILE} found in {app_root} or any parent directory; "
        "set app_root in stagecraft.yml to the directory of your Encore app"
    )


def command(binary: str, target: CliTarget, key: str) -> list[str]:
    """The argument list for one key; it never holds the value."""
    argv = [binary, "secret", "set"]
    if target.types:
        argv += ["--type", ",".join(target.types)]
    if target.envs:
        argv += ["--env", ",".join(target.envs)]
    argv.append(key)
    return argv


def set_secret(
    ctx: Context, binary: str, app_root: Path, target: CliTarget, key: str, value: str
) -> Action:
    """Set one key with one ``encore secret set`` call; the value goes to its stdin only.

    Returns whether Encore created or updated the secret; raises
    :class:`SecretSetError` with the CLI's message (masked) when it fails.
    """
    argv = command(binary, target, key)
    completed = run(ctx, argv, app_root, value.encode("utf-8"), SecretSetError, changes=True)
    if completed.returncode != 0:
        raise SecretSetError(failure_reason(ctx, completed.returncode, completed.stderr))
    # "Successfully updated", or an output this store does not know: the
    # call succeeded, so the value is set either way.
    stdout = completed.stdout.decode("utf-8", errors="replace")
    return Action.ADDED if CREATED in stdout else Action.UPDATED


def run(
    ctx: Context,
    argv: list[str],
    app_root: Path,
    stdin: bytes,
    error: type[ProviderError],
    *,
    changes: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """One call of the CLI in the app root, in a session of its own, within its time.

    ``changes``: the call changes Encore (``set``); stopped before it
    answered, it may or may not have, and :class:`SecretSetUnknownError`
    says so.  Otherwise ``error`` says nothing was set.
    """
    ctx.check()
    timeout, limit = time_allowed(ctx)
    name = "`encore " + " ".join(argv[1:3]) + "`"
    try:
        child = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=app_root, start_new_session=True,
        )
    except OSError as exc:
        raise error(f"could not run {argv[0]}: {exc.strerror}") from None
    with ctx.stoppable(lambda: _stop(child)):
        try:
            stdout, stderr = child.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(child)
            child.communicate()
            why = f"did not finish within {timeout:.3g} s ({limit}) and was stopped"
            if changes:
                raise SecretSetUnknownError(f"{name} {why}; it may or may not be set") from None
            raise error(f"{name} {why}; nothing was set") from None
        except BaseException:  # a Ctrl-C that stops the sync at once: no call outlives it
            _stop(child)
            raise
    if ctx.abandoned and child.returncode < 0:
        why = "was stopped (Ctrl-C twice)"
        if changes:
            raise SecretSetUnknownError(f"{name} {why}; it may or may not be set")
        raise error(f"{name} {why}; nothing was set")
    return subprocess.CompletedProcess(argv, child.returncode, stdout, stderr)


def time_allowed(ctx: Context) -> tuple[float, str]:
    """Seconds one call may take (``call_timeout``, cut to the deadline), and what set it."""
    config = ctx.config if isinstance(ctx.config, Config) else Config()
    remaining = ctx.remaining()
    if remaining is not None and remaining < config.call_timeout:
        return remaining, "the --timeout deadline"
    return config.call_timeout, "call_timeout in secrets.providers.encore"


def _stop(child: subprocess.Popen[bytes]) -> None:
    """Kill the call's whole process group (it leads its own session), unless it has ended."""
    if child.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)


def list_chunks(keys: Sequence[str]) -> Iterator[list[str]]:
    """``keys`` in runs short enough for one command line each."""
    chunk: list[str] = []
    size = 0
    for key in keys:
        if chunk and (len(chunk) >= LIST_CHUNK_KEYS or size + len(key) + 1 > LIST_CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(key)
        size += len(key) + 1
    if chunk:
        yield chunk


def list_groups(
    ctx: Context, binary: str, app_root: Path, keys: Sequence[str]
) -> dict[str, list[Group]] | None:
    """Every secret group of ``keys``, from ``encore secret list KEY...`` (one call per chunk).

    None when this CLI has no ``secret list`` taking keys (an older
    version); :class:`SecretListError` when a call fails, and
    :class:`ListOutputError` (naming the CLI's version) when its output is
    not the table :mod:`stagecraft_encore.listing` knows.
    """
    groups: dict[str, list[Group]] = {}
    for chunk in list_chunks(keys):
        argv = [binary, "secret", "list", *chunk]
        completed = run(ctx, argv, app_root, b"", SecretListError)
        stderr = completed.stderr.decode("utf-8", errors="replace")
        if completed.returncode != 0:
            if _UNKNOWN_LIST.search(stderr):
                return None
            reason = failure_reason(ctx, completed.returncode, completed.stderr)
            raise SecretListError(f"`encore secret list` failed, nothing was set: {reason}")
        try:
            text = completed.stdout.decode("utf-8")
            groups.update(parse_list(text, chunk))
        except (UnicodeDecodeError, ListFormatError) as exc:
            detail = str(exc) if isinstance(exc, ListFormatError) else "not UTF-8 text"
            raise ListOutputError(
                f"cannot read the output of `encore secret list` ({cli_version(ctx, binary)}): "
                f"{detail}; nothing was set (a newer Encore CLI may print another layout: "
                "upgrade stagecraft-encore, or report this with the version)"
            ) from None
    return groups


def cli_version(ctx: Context, binary: str) -> str:
    """``encore version``'s answer (for error messages), or a note that it is unknown."""
    # `encore version` prints its version, then checks for updates over the
    # network (up to 10 s) and may exit 1 when that fails: the first line is
    # what counts, whatever the exit status.
    try:
        completed = subprocess.run(
            [binary, "version"], capture_output=True, timeout=12, check=False,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        stdout = completed.stdout
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout or b""
    except (OSError, subprocess.SubprocessError):
        stdout = b""
    lines = stdout.decode("utf-8", errors="replace").strip().splitlines()
    words = lines[0].split() if lines else []
    if words[:2] != ["encore", "version"] or len(words) < 3:  # a build without a version
        return "encore version unknown"
    return ctx.redactor.redact(lines[0])[:200]


def failure_reason(ctx: Context, returncode: int, stderr: bytes) -> str:
    # Mask first: shortening could cut a value in two, and the redactor
    # only recognises whole values.
    text = ctx.redactor.redact(stderr.decode("utf-8", errors="replace")).strip()
    if len(text) > MAX_STDERR:
        text = "..." + text[-MAX_STDERR:]
    if not text:
        return f"encore exited with status {returncode} and no message"
    return f"encore exited with status {returncode}: {text}"
