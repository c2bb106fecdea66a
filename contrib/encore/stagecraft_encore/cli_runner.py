"""Running the ``encore`` CLI: finding it and the app, and one ``secret set`` call.

One ``encore secret set --type T1,T2 [--env E1,E2] KEY`` call per key:
passing every type in one call makes one secret group covering all of them,
as a user would get by hand, whereas one call per type would make separate
groups that later conflict.  The value goes to the call's stdin and nowhere
else (not the command line, not the environment).  Running the calls
concurrently, retrying and reporting is the core engine's work.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from stagecraft.providers.secrets import Action, Context
from stagecraft_encore.errors import AppNotFoundError, EncoreNotFoundError, SecretSetError
from stagecraft_encore.targets import CliTarget

__all__ = [
    "APP_FILE", "AppNotFoundError", "EncoreNotFoundError", "command", "find_app", "find_binary",
    "set_secret",
]

APP_FILE = "encore.app"
CREATED = "Successfully created"
UPDATED = "Successfully updated"

#: How much of the CLI's stderr a failure carries.
MAX_STDERR = 2000


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
    try:
        completed = subprocess.run(
            argv,
            input=value.encode("utf-8"),
            capture_output=True,
            cwd=app_root,
            timeout=ctx.remaining(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SecretSetError(
            "timed out (the sync ran past its deadline); it may or may not be set"
        ) from None
    except OSError as exc:
        raise SecretSetError(f"could not run {binary}: {exc.strerror}") from None
    if completed.returncode != 0:
        raise SecretSetError(_failure_reason(ctx, completed.returncode, completed.stderr))
    # "Successfully updated", or an output this store does not know: the
    # call succeeded, so the value is set either way.
    stdout = completed.stdout.decode("utf-8", errors="replace")
    return Action.ADDED if CREATED in stdout else Action.UPDATED


def _failure_reason(ctx: Context, returncode: int, stderr: bytes) -> str:
    # Mask first: shortening could cut a value in two, and the redactor
    # only recognises whole values.
    text = ctx.redactor.redact(stderr.decode("utf-8", errors="replace")).strip()
    if len(text) > MAX_STDERR:
        text = "..." + text[-MAX_STDERR:]
    if not text:
        return f"encore exited with status {returncode} and no message"
    return f"encore exited with status {returncode}: {text}"
