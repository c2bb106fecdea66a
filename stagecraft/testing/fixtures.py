"""The fixtures of the ``stagecraft.testing`` pytest plugin.

They give a plugin's tests the same machinery the ``stagecraft`` command
uses, minus everything installed on the machine: a test that registers its
plugin on ``stagecraft_pm`` sees that plugin and the builtin core, nothing
else, so an unrelated installed plugin cannot make it pass or fail.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess as _subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import attrs
import pytest

from stagecraft.plugins import PluginManager
from stagecraft.providers.secrets import (
    Origin,
    Registry,
    SecretsProvider,
    reset_default_registry,
)

#: Seconds a ``run_stagecraft(..., subprocess=True)`` call may take.
SUBPROCESS_TIMEOUT = 60.0

RegisterPlugin = Callable[..., str]


@attrs.frozen
class RunResult:
    """What one run of the ``stagecraft`` command produced."""

    exit_code: int
    stdout: str
    stderr: str


def runs_a_command(args: Sequence[str]) -> bool:
    """Whether the command line ``args`` (after ``stagecraft``) is ``run ... -- COMMAND``,
    which replaces the process running it with COMMAND (so never a test's own process)."""
    return "--" in args and "run" in args[:list(args).index("--")]


class RunStagecraft:
    """Runs the ``stagecraft`` command in-process or as a subprocess.

    ``run_stagecraft(*args, cwd=None, env=None, subprocess=False)``:

    * ``cwd`` is the working directory of the run (default: the test's
      ``tmp_path``, so a command never writes into the checkout);
    * ``env`` overlays the current environment; a value of None removes
      the variable for the run;
    * in-process runs call :func:`stagecraft.cli.main` with stdout and
      stderr captured (fast, and a debugger can step into it); subprocess
      runs start the installed ``stagecraft`` console script (the one next
      to the running Python), exactly what a user's shell runs, which is
      what tests of plugin loading and exit codes should use.  Not
      ``python -m stagecraft``: a test must not pass on an import path the
      real command does not have.  ``stagecraft run ... -- COMMAND`` always
      runs as a subprocess: it replaces its process with COMMAND.
    """

    # The in-process run changes the process-wide cwd and environment, so
    # two of them must never overlap.
    _lock = threading.Lock()

    def __init__(self, default_cwd: Path) -> None:
        self._default_cwd = default_cwd

    def __call__(
        self,
        *args: str,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str | None] | None = None,
        subprocess: bool = False,
    ) -> RunResult:
        where = Path(cwd) if cwd is not None else self._default_cwd
        overlay = dict(env or {})
        if subprocess or runs_a_command(args):
            return self._run_subprocess(list(args), where, overlay)
        return self._run_in_process(list(args), where, overlay)

    @staticmethod
    def _run_subprocess(
        args: list[str], cwd: Path, overlay: Mapping[str, str | None]
    ) -> RunResult:
        environ = dict(os.environ)
        for name, value in overlay.items():
            if value is None:
                environ.pop(name, None)
            else:
                environ[name] = value
        completed = _subprocess.run(
            [console_script(), *args],
            cwd=cwd,
            env=environ,
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT,
            check=False,
        )
        return RunResult(completed.returncode, completed.stdout, completed.stderr)

    @classmethod
    def _run_in_process(
        cls, args: list[str], cwd: Path, overlay: Mapping[str, str | None]
    ) -> RunResult:
        from stagecraft import cli

        out, err = io.StringIO(), io.StringIO()
        with cls._lock, pytest.MonkeyPatch.context() as patch:
            patch.chdir(cwd)
            for name, value in overlay.items():
                if value is None:
                    patch.delenv(name, raising=False)
                else:
                    patch.setenv(name, value)
            # The default registry caches installed plugins across calls;
            # each run must discover them afresh, as a new process would.
            reset_default_registry()
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    code = _exit_code(cli.main, args, err)
            finally:
                reset_default_registry()
        return RunResult(code, out.getvalue(), err.getvalue())


def console_script() -> str:
    """The ``stagecraft`` command a user of this Python environment runs.

    The script installed next to the running interpreter (a virtualenv's
    ``bin/``, or ``Scripts\\`` on Windows), else the first on ``PATH``.
    """
    here = Path(sys.executable).parent
    for name in ("stagecraft", "stagecraft.exe"):
        candidate = here / name
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("stagecraft")
    if found is None:
        raise RuntimeError(
            f"the stagecraft console script is not installed next to {sys.executable} "
            "nor on PATH; install stagecraft into this environment (pip install stagecraft)"
        )
    return found


def _exit_code(main: Callable[[list[str]], int], args: list[str], err: io.StringIO) -> int:
    """Call ``main`` and turn ``SystemExit`` (argparse, ``--version``) into its status."""
    try:
        return int(main(args))
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        print(exc.code, file=err)
        return 1


class LazyRegistry(Registry):
    """A :class:`Registry` filled from a plugin manager the first time it is used.

    Building late lets a test register its plugins first and then ask the
    registry, in whichever order the fixtures were requested.
    """

    def __init__(self, manager: PluginManager) -> None:
        super().__init__()
        self._manager = manager
        self._filled = False
        self._fill_lock = threading.Lock()

    def _fill(self) -> None:
        with self._fill_lock:
            if self._filled:
                return
            built = self._manager.build_registry()
            for key in built.ids():
                super().register(built.get(key), built.origin(key))
            self._filled = True

    def __repr__(self) -> str:
        return f"<Registry ids={list(self.ids())!r}>"

    def __len__(self) -> int:
        return len(self.ids())

    def __contains__(self, provider_id: object) -> bool:
        return isinstance(provider_id, str) and self.has(provider_id)

    def __iter__(self) -> Iterator[SecretsProvider]:
        return iter(self.list())

    def register(self, provider: SecretsProvider, origin: Origin | None = None) -> None:
        self._fill()
        super().register(provider, origin)

    def get(self, provider_id: str) -> SecretsProvider:
        self._fill()
        return super().get(provider_id)

    def has(self, provider_id: str) -> bool:
        self._fill()
        return super().has(provider_id)

    def ids(self) -> tuple[str, ...]:
        self._fill()
        return super().ids()

    def list(self) -> list[SecretsProvider]:
        self._fill()
        return super().list()

    def origin(self, provider_id: str) -> Origin:
        self._fill()
        return super().origin(provider_id)


@pytest.fixture
def stagecraft_pm() -> Iterator[PluginManager]:
    """A plugin manager holding only the builtin ``core`` plugin."""
    manager = PluginManager()
    yield manager
    for name, plugin in list(manager.list_name_plugin()):
        if name != "core" and plugin is not None and manager.is_registered(plugin):
            manager.unregister(plugin)


@pytest.fixture
def register_plugin(stagecraft_pm: PluginManager) -> Iterator[RegisterPlugin]:
    """``register_plugin(obj, name=None) -> name``: a plugin on ``stagecraft_pm`` for this test.

    Hook implementations without a matching hookspec (a typo such as
    ``secret_sync``) fail the registration at once, as they would when the
    command loads the plugin.
    """
    registered: list[object] = []

    def register(plugin: object, name: str | None = None) -> str:
        plugin_name = stagecraft_pm.register(plugin, name=name)
        if plugin_name is None:
            raise ValueError(f"plugin {name or plugin!r} is blocked on this plugin manager")
        try:
            stagecraft_pm.check_pending()
        except Exception:
            stagecraft_pm.unregister(plugin)
            raise
        registered.append(plugin)
        return plugin_name

    yield register
    for plugin in reversed(registered):
        if stagecraft_pm.is_registered(plugin):
            stagecraft_pm.unregister(plugin)


@pytest.fixture
def stagecraft_registry(stagecraft_pm: PluginManager) -> Registry:
    """The providers of ``stagecraft_pm``, collected when the registry is first used."""
    return LazyRegistry(stagecraft_pm)


@pytest.fixture
def run_stagecraft(tmp_path: Path) -> RunStagecraft:
    """Run the ``stagecraft`` command; see :class:`RunStagecraft`."""
    return RunStagecraft(tmp_path)
