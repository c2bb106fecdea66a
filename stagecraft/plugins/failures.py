"""How a plugin's failure is told: what failed, where to look, and how to disable it.

A plugin's own exception message may hold anything, including a secret the
plugin read while importing (nothing is registered for masking yet at that
point), so these functions show an exception by its type and where it was
raised, and its message only with ``-v``.
"""

from __future__ import annotations

import importlib
import logging
import os
import traceback
from pathlib import Path

import pluggy

from stagecraft import discovery
from stagecraft.errors import StagecraftError
from stagecraft.plugins.settings import ENV_DISABLE

#: The logger plugin warnings go to (the command shows them as ``stagecraft: warning: ...``).
LOGGER_NAME = "stagecraft.plugins"

#: Frames in stagecraft itself are not where a plugin went wrong.
_STAGECRAFT = os.path.dirname(os.path.dirname(__file__)) + os.sep
#: Nor are frames of the import machinery or of pluggy calling the plugin's hook.
_MACHINERY = tuple(
    os.path.dirname(module.__file__ or "") + os.sep for module in (importlib, pluggy)
)


def disable_hint(name: str) -> str:
    """How to switch the plugin ``name`` off, as every plugin failure ends."""
    return f"disable it with `-p no:{name}` or {ENV_DISABLE}={name}"


def describe_exception(exc: BaseException) -> str:
    """A plugin's exception as its type and where it was raised; the message only with ``-v``.

    The type and ``file:line`` say where to look; ``-v`` (the ``stagecraft``
    logger enabled for INFO) adds the message's first line.  A missing
    module is the exception: its message is rebuilt from the module name
    Python records, not taken from the text.
    """
    name = type(exc).__name__
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return f"{name}: No module named {exc.name!r}"
    if isinstance(exc, StagecraftError):
        return f"{name}: {exc}"  # stagecraft's own wording, written never to hold a value
    where = _raised_at(exc)
    described = f"{name} at {where}" if where else name
    if not _verbose():
        return f"{described} (run with -v for its message)"
    text = str(exc).strip().splitlines()
    return f"{described}: {text[0]}" if text else described


def _raised_at(exc: BaseException) -> str:
    """``file:line`` where ``exc`` was raised, outside the import machinery and stagecraft
    itself; with `` (from file:line)`` for the plugin's own line when that differs."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    frames = [
        frame for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith(("<frozen ", _STAGECRAFT, *_MACHINERY))
    ]
    if not frames:
        return ""
    raised = f"{frames[-1].filename}:{frames[-1].lineno}"
    first = f"{frames[0].filename}:{frames[0].lineno}"
    return raised if raised == first else f"{raised} (from {first})"


def not_from_working_directory(module_name: str, exc: BaseException) -> str:
    """A hint when ``-p NAME`` missed a ``NAME.py`` (or package) in the working directory.

    The working directory is never on ``sys.path`` (not under the console
    script, and ``python -m stagecraft`` takes it out): ``-p`` imports
    installed modules, and single files are what ``--plugins-dir`` is for.
    """
    top = module_name.split(".", maxsplit=1)[0]
    if not isinstance(exc, ModuleNotFoundError) or exc.name != top:
        return ""
    try:
        here = Path.cwd()
    except OSError:
        return ""
    for candidate in (here / f"{top}.py", here / top):
        if candidate.exists():
            return (
                f" ({candidate.name} is in the working directory, but -p imports installed "
                "modules only; load a single file with --plugins-dir DIR, or install it)"
            )
    return ""


def describe_entry_point(ep: discovery.EntryPointRecord) -> str:
    """``entry point 'name = module' of dist version``: what to look for in its pyproject."""
    text = f"entry point '{ep.name} = {ep.value}'"
    if ep.dist_name:
        text += f" of {ep.dist_name} {ep.dist_version or '?'}"
    return text


def _verbose() -> bool:
    """Whether the command runs with ``-v`` (it sets the root logger to INFO)."""
    return logging.getLogger(LOGGER_NAME).isEnabledFor(logging.INFO)


def warn(message: str) -> None:
    """A warning on stderr through logging: the command prints it redacted, ``-q`` hides it."""
    logging.getLogger(LOGGER_NAME).warning("%s", message)
