"""The project a run works in: its ``stagecraft.yml`` (found, given or none) and its plugins.

The command and the Python API (:mod:`stagecraft.api`) both start here, so
that a sync from Python finds the same config file and loads the same
plugins (entry points, ``plugins.dirs``, ``plugins.modules``, the
``STAGECRAFT_*`` environment) as the command run in the same directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from stagecraft.config_location import CONFIG_NAME, find_config
from stagecraft.errors import UserError
from stagecraft.plugins import PluginManager, PluginSettings, load_plugin_manager, plugin_settings
from stagecraft.redact import Structural

if TYPE_CHECKING:
    from stagecraft.config.schema import Config

__all__ = ["ConfigChoice", "load_config", "load_plugins", "settings_for", "working_directory"]

#: Which config file a run uses: None finds ``stagecraft.yml`` from the working
#: directory up, a path names the file, False uses none.
ConfigChoice = str | Path | bool | None


def working_directory() -> Path:
    """The working directory, or a :class:`UserError` when it was removed under the process."""
    try:
        return Path.cwd()
    except FileNotFoundError:
        raise UserError(Structural(
            "the working directory no longer exists (it was removed); cd to an existing one"
        )) from None


def load_config(cwd: Path, choice: ConfigChoice = None, *, required: bool = False) -> Config | None:
    """The config chosen by ``choice`` (see :data:`ConfigChoice`), loaded and validated.

    ``required`` makes "no file found" an error, for commands that only make
    sense with one (``config check``).
    """
    if choice is False:
        path = None
    else:
        path = find_config(cwd, None if choice is None or choice is True else choice)
    if path is None:
        if required:
            raise UserError(
                Structural(f"no {CONFIG_NAME} found in {cwd} or its parents (pass --config FILE)")
            )
        return None
    # The config model (yaml, cattrs and the schema's classes) is imported only when
    # a file is used: a run without one, like the start-up benchmark's sync, skips it.
    from stagecraft.config.loading import load

    return load(path, cwd=cwd)


def settings_for(
    config: Config | None, cwd: Path, *, options: Sequence[str] = (), dirs: Sequence[str] = ()
) -> PluginSettings:
    """Environment, then stagecraft.yml's ``plugins`` section, then ``-p`` and ``--plugins-dir``."""
    return plugin_settings(config, options=options, dirs=dirs, cwd=cwd)


def load_plugins(
    config: Config | None,
    cwd: Path,
    *,
    options: Sequence[str] = (),
    dirs: Sequence[str] = (),
    strict: bool = True,
) -> PluginManager:
    """The plugin manager for ``config`` and the command line's plugin options."""
    return load_plugin_manager(settings_for(config, cwd, options=options, dirs=dirs),
                               strict=strict)
