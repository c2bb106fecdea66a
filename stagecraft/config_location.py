"""Where ``stagecraft.yml`` is, answered without importing the config model.

Kept apart from :mod:`stagecraft.config` because a command that finds no
config file (everything given as options) should not pay for defining the
attrs classes of the config schema: start-up time is measured.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from stagecraft.errors import ConfigError
from stagecraft.files import os_failure
from stagecraft.redact import Structural

CONFIG_NAME = "stagecraft.yml"


def find_config(cwd: Path, explicit: str | Path | None = None) -> Path | None:
    """The config file to use: ``explicit`` (``--config``), else the nearest ``stagecraft.yml``.

    Looks in ``cwd`` and then each parent directory.  Returns None when there
    is none.  Anything there that is not a file is an error naming what it
    is, rather than being skipped: a ``stagecraft.yml`` directory would
    otherwise silently hand over to a parent directory's config.  An
    ``explicit`` file may also be a pipe (``--config <(generate-config)``).
    """
    if explicit is not None:
        path = cwd / Path(explicit).expanduser()
        kind = _kind(path)
        if kind is None:
            raise ConfigError(Structural(f"config file {explicit} not found"))
        if kind not in ("file", "pipe"):
            raise ConfigError(Structural(f"config file {explicit} is {kind}, not a file"))
        return path
    for directory in (cwd, *cwd.parents):
        candidate = directory / CONFIG_NAME
        kind = _kind(candidate)
        if kind == "file":
            return candidate
        if kind is not None:
            raise ConfigError(
                Structural(f"{candidate} is {kind}, not a config file; rename it, "
                "or pass --config FILE")
            )
    return None


#: How each kind of file (by its mode) is named in messages.
_KINDS = (
    (stat.S_ISREG, "file"),
    (stat.S_ISFIFO, "pipe"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(path: Path) -> str | None:
    """``"file"``, ``"pipe"``, a description such as ``"a directory"``, or None if missing."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            return f"a symbolic link to a missing file ({os.readlink(path)})"
        return None
    except NotADirectoryError:
        return None  # a parent is a file: nothing can be found there
    except OSError as exc:
        raise os_failure(ConfigError, path, "inspect config file", exc) from None
    for is_kind, kind in _KINDS:
        if is_kind(mode):
            return kind
    return "an unknown kind of file"  # pragma: no cover - every POSIX type is named above
