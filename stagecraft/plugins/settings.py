"""What to load: plugin settings from the environment, ``stagecraft.yml`` and the command line.

:func:`plugin_settings` is the one place they are combined, in the
documented order, for every command and for shell completion alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from stagecraft.errors import PluginError
from stagecraft.exec_command import ExecCommand
from stagecraft.redact import Structural

if TYPE_CHECKING:
    from stagecraft.config import Config

#: The builtin plugin's name; it can never be blocked.
CORE_PLUGIN = "core"

ENV_DISABLE = "STAGECRAFT_DISABLE_PLUGINS"
ENV_ALLOW = "STAGECRAFT_LOAD_PLUGINS"

CORE_NOT_BLOCKABLE = Structural("the builtin 'core' plugin cannot be disabled")


def _split_names(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(name.strip() for name in value.split(",") if name.strip())


@attrs.frozen
class PluginSettings:
    """What to load.  Built from the environment, the config file and ``-p``.

    ``allow`` None means "every entry point"; a tuple (even empty) restricts
    entry points to those names.  Explicit modules and local directories are
    always loaded unless blocked.
    """

    disable: tuple[str, ...] = ()
    allow: tuple[str, ...] | None = None
    modules: tuple[str, ...] = ()
    dirs: tuple[Path, ...] = ()
    entry_points: bool = True
    #: ``plugins.exec`` entries: helpers that serve a store over the exec protocol.
    exec_commands: tuple[ExecCommand, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PluginSettings:
        """Settings from ``STAGECRAFT_DISABLE_PLUGINS`` and ``STAGECRAFT_LOAD_PLUGINS``."""
        env = os.environ if environ is None else environ
        allow_raw = env.get(ENV_ALLOW)
        return cls(
            disable=_split_names(env.get(ENV_DISABLE)),
            allow=None if allow_raw is None else _split_names(allow_raw),
        )

    def merge(
        self,
        *,
        disable: Iterable[str] = (),
        modules: Iterable[str] = (),
        dirs: Iterable[Path | str] = (),
        exec_commands: Iterable[ExecCommand] = (),
    ) -> PluginSettings:
        """These settings plus more blocked names, modules and directories.

        Blocking ``core`` fails here already, so the mistake is reported where
        it was made (the option or config entry), before anything is loaded.
        """
        disable = tuple(disable)
        if CORE_PLUGIN in disable:
            raise PluginError(CORE_NOT_BLOCKABLE)
        return attrs.evolve(
            self,
            disable=self.disable + disable,
            modules=self.modules + tuple(modules),
            dirs=self.dirs + tuple(Path(d) for d in dirs),
            exec_commands=self.exec_commands + tuple(exec_commands),
        )

    def with_option(self, option: str) -> PluginSettings:
        """These settings plus one ``-p`` option: ``no:NAME`` blocks NAME, else a module."""
        value = option.strip()
        if value.startswith("no:"):
            name = value[len("no:") :].strip()
            if not name:
                raise PluginError(Structural("-p no: needs a plugin name, as in `-p no:NAME`"))
            return self.merge(disable=[name])
        if not value:
            raise PluginError(Structural("-p needs a module name or no:NAME"))
        return self.merge(modules=[value])


def plugin_settings(
    config: Config | None,
    *,
    options: Sequence[str] = (),
    dirs: Sequence[str | Path] = (),
    cwd: Path,
    environ: Mapping[str, str] | None = None,
) -> PluginSettings:
    """The settings a command loads plugins with, in the documented order.

    The environment first, then ``stagecraft.yml``'s ``plugins`` section
    (its directories already resolved against the file's directory), then
    each ``-p`` option, then each ``--plugins-dir`` (relative to ``cwd``).
    """
    settings = PluginSettings.from_env(environ)
    if config is not None:
        settings = settings.merge(
            disable=config.plugins.disable,
            modules=config.plugins.modules,
            dirs=config.plugin_dirs,
            exec_commands=config.exec_commands,
        )
    for option in options:
        settings = settings.with_option(option)
    return settings.merge(dirs=[cwd / Path(d).expanduser() for d in dirs])
