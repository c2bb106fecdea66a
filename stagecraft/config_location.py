"""Where ``stagecraft.yml`` is, answered without importing the config model.

Kept apart from :mod:`stagecraft.config` because a command that finds no
config file (everything given as options) should not pay for defining the
attrs classes of the config schema: start-up time is measured.
"""

from __future__ import annotations

from pathlib import Path

from stagecraft.errors import ConfigError

CONFIG_NAME = "stagecraft.yml"


def find_config(cwd: Path, explicit: str | Path | None = None) -> Path | None:
    """The config file to use: ``explicit`` (``--config``), else the nearest ``stagecraft.yml``.

    Looks in ``cwd`` and then each parent directory.  Returns None when there
    is none; an ``explicit`` file that does not exist is an error.
    """
    if explicit is not None:
        path = cwd / Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file {explicit} not found")
        return path
    for directory in (cwd, *cwd.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None
