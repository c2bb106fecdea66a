"""What the store benchmarks share: the tests' helper modules, and the command run in-process.

Running ``stagecraft`` in-process (``cli.main``) times the command's own work
(plugin discovery, config, the sync, output) without the interpreter's
start-up, which the startup rows measure on their own.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["load_test_helper", "run_command"]


def load_test_helper(tests: Path, name: str) -> ModuleType:
    """A helper module of a distribution's tests, by path (the tests are not a package)."""
    spec = importlib.util.spec_from_file_location(f"stagecraft_bench_{name}", tests / f"{name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {tests / name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def run_command(root: Path, argv: Sequence[str]) -> None:
    """``stagecraft ARGV`` in ``root``, in-process, output discarded; raises unless it exits 0."""
    from stagecraft import cli
    from stagecraft.providers.secrets import reset_default_registry

    out = io.StringIO()
    reset_default_registry()
    before = Path.cwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = cli.main(list(argv))
    finally:
        os.chdir(before)
        reset_default_registry()
    if code != 0:
        raise AssertionError(f"stagecraft {' '.join(argv[:2])} exited {code}")
