"""Setting secrets through the ``encore`` CLI, several calls at a time.

One ``encore secret set --type T1,T2 [--env E1,E2] KEY`` call per key:
passing every type in one call makes one secret group covering all of them,
as a user would get by hand, whereas one call per type would make separate
groups that later conflict.  The value goes to the call's stdin and nowhere
else (not the command line, not the environment).

Each call is mostly waiting on Encore's API, so up to ``concurrency`` of
them run at once in threads, each owning one subprocess.  Every call is
made; a failing one does not stop the others, and the outcome says exactly
which keys were set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs

from stagecraft.errors import CancelledError, ProviderError
from stagecraft.providers.secrets import Action, Context
from stagecraft_encore.targets import CliTarget

APP_FILE = "encore.app"
CREATED = "Successfully created"
UPDATED = "Successfully updated"

#: How much of the CLI's stderr a failure carries.
MAX_STDERR = 2000


class EncoreNotFoundError(ProviderError):
    """The ``encore`` binary is not installed (or not where the config says)."""


class AppNotFoundError(ProviderError):
    """No ``encore.app`` in the app root or any parent directory."""


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


@attrs.frozen
class Outcome:
    """What happened to each key: an action, or the reason it was not set."""

    actions: dict[str, Action]
    failures: dict[str, str]


@attrs.define(repr=False)
class Runner:
    """Runs the calls for one sync."""

    ctx: Context
    binary: str
    app_root: Path
    target: CliTarget
    concurrency: int

    def __repr__(self) -> str:
        return f"<Runner {self.binary!r} in {str(self.app_root)!r} to {self.target.describe()!r}>"

    def run(self, values: Mapping[str, str]) -> Outcome:
        """Set every value; calls run concurrently, results come back in key order."""
        keys: Sequence[str] = list(values)
        workers = max(1, min(self.concurrency, len(keys)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="encore") as pool:
            futures = [pool.submit(self._set_one, key, values[key]) for key in keys]
            results = [future.result() for future in futures]
        actions: dict[str, Action] = {}
        failures: dict[str, str] = {}
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, Action):
                actions[key] = result
            else:
                failures[key] = result
        return Outcome(actions, failures)

    def _set_one(self, key: str, value: str) -> Action | str:
        """Set one key; returns its action, or the reason it failed (never the value)."""
        try:
            self.ctx.check()
        except CancelledError as exc:
            return f"not sent: {exc}"
        argv = command(self.binary, self.target, key)
        try:
            completed = subprocess.run(
                argv,
                input=value.encode("utf-8"),
                capture_output=True,
                cwd=self.app_root,
                timeout=self.ctx.remaining(),
                check=False,
            )
        except subprocess.TimeoutExpired:
            return "timed out (the sync ran past its deadline); it may or may not be set"
        except OSError as exc:
            return f"could not run {self.binary}: {exc.strerror}"
        stdout = completed.stdout.decode("utf-8", errors="replace")
        if completed.returncode != 0:
            return self._failure_reason(completed.returncode, completed.stderr)
        # "Successfully updated", or an output this provider does not know:
        # the call succeeded, so the value is set either way.
        action = Action.ADDED if CREATED in stdout else Action.UPDATED
        self.ctx.logger.debug("encore: %s %s", key, action)
        return action

    def _failure_reason(self, returncode: int, stderr: bytes) -> str:
        # Mask first: shortening could cut a value in two, and the redactor
        # only recognises whole values.
        text = self.ctx.redactor.redact(stderr.decode("utf-8", errors="replace")).strip()
        if len(text) > MAX_STDERR:
            text = "..." + text[-MAX_STDERR:]
        if not text:
            return f"encore exited with status {returncode} and no message"
        return f"encore exited with status {returncode}: {text}"
