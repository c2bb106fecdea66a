"""The schema of ``stagecraft.yml``: the core's sections and the loaded file."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import attrs

from stagecraft.config.converter import structure
from stagecraft.config.manifest import Manifest
from stagecraft.config.marks import Marks, NodePath, format_path
from stagecraft.config.problems import Problem
from stagecraft.errors import ConfigFileError, PluginError
from stagecraft.exec_command import ExecCommand, exec_command
from stagecraft.redact import Structural

if typing.TYPE_CHECKING:
    from stagecraft.providers.secrets import SecretsProvider


@attrs.frozen
class KeySpec:
    """One entry of an inline ``secrets.keys`` mapping."""

    description: str = ""
    #: True, False, or a list of environment names; checked by ``manifest_loading``
    #: (cattrs cannot tell a boolean from a list in one field without coercing).
    required: Any = True


@attrs.frozen
class SyncSpec:
    """One entry of ``secrets.syncs``, as written."""

    source: str = attrs.field(metadata={"key": "from"})
    target: str = attrs.field(metadata={"key": "to"})
    keys: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    prune: bool = False


@attrs.frozen
class SecretsConfig:
    """The ``secrets`` section: providers, defaults, and the project's manifest.

    ``environments``, ``keys`` and ``syncs`` are the manifest as written;
    :attr:`Config.manifest` is the checked, typed form commands use.
    """

    provider: str | None = None
    providers: dict[str, dict[str, Any] | None] = attrs.field(factory=dict)
    #: ``secrets.from`` / ``secrets.to``: ``[ID:]LOCATION`` defaults for ``--from`` / ``--to``.
    source: str | None = attrs.field(default=None, metadata={"key": "from"})
    target: str | None = attrs.field(default=None, metadata={"key": "to"})
    #: ``NAME: ID:LOCATION``.
    environments: dict[str, str] = attrs.field(factory=dict)
    #: A path to an example env file, or a mapping ``KEY: KeySpec | null``.
    keys: Any = None
    syncs: dict[str, SyncSpec] = attrs.field(factory=dict)


@attrs.frozen
class PluginsConfig:
    """The ``plugins`` section: applied before any plugin is imported."""

    disable: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    dirs: tuple[str, ...] = ()
    #: Store name -> the helper that serves it (docs/exec-protocol.md); checked at load.
    exec: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class ConfigDocument:
    """The top level of ``stagecraft.yml``, as cattrs structures it."""

    secrets: SecretsConfig = attrs.field(factory=SecretsConfig)
    plugins: PluginsConfig = attrs.field(factory=PluginsConfig)


@attrs.frozen
class Config:
    """A loaded ``stagecraft.yml``."""

    path: Path
    display: str
    secrets: SecretsConfig
    plugins: PluginsConfig
    marks: Marks = attrs.field(repr=False, eq=False)
    manifest: Manifest = attrs.field(factory=Manifest)

    @property
    def directory(self) -> Path:
        """The directory relative config paths resolve against."""
        return self.path.parent

    @property
    def exec_commands(self) -> tuple[ExecCommand, ...]:
        """``plugins.exec``, each entry read (the load already refused a bad one).

        A program given by a relative path resolves against this file's
        directory, like every path in it; a bare name is looked up on ``PATH``.
        """
        commands = (exec_command(name, setting) for name, setting in self.plugins.exec.items())
        return tuple(attrs.evolve(c, argv=(self._program(c.argv[0]), *c.argv[1:]))
                     for c in commands)

    def _program(self, word: str) -> str:
        """A program given by a relative path (``bin/helper``) is relative to this file."""
        path = Path(word).expanduser()
        return str(self.directory / path) if "/" in word and not path.is_absolute() else word

    @property
    def plugin_dirs(self) -> tuple[Path, ...]:
        """``plugins.dirs``, absolute (relative entries resolve against :attr:`directory`)."""
        return tuple(self.directory / Path(d).expanduser() for d in self.plugins.dirs)

    def error(self, path: NodePath, message: str, *, at_key: bool = False) -> ConfigFileError:
        """A :class:`ConfigFileError` pointing at ``path`` in this file."""
        mark = self.marks.of_key(path) if at_key else self.marks.of_value(path)
        return ConfigFileError(self.display, [Problem(mark, format_path(path), message)])

    def has_section(self, provider_id: str) -> bool:
        return provider_id in self.secrets.providers

    def provider_config(self, provider: SecretsProvider) -> Any:
        """The provider's section, structured into ``provider.Config`` when it has one.

        None when the file has no section for the provider (the provider then
        uses its defaults); the plain mapping when the provider declares no
        ``Config`` class.
        """
        provider_id = provider.id
        if provider_id not in self.secrets.providers:
            return None
        raw = self.secrets.providers[provider_id] or {}
        config_class = getattr(provider, "Config", None)
        if config_class is None:
            return raw
        if not attrs.has(config_class):
            raise PluginError(
                Structural(
                    f"secrets provider {provider_id!r} declares a Config "
                    "that is not an attrs class")
            )
        return self._structure(raw, config_class, ("secrets", "providers", provider_id))

    def _structure(self, raw: Any, cls: type[Any], base: NodePath) -> Any:
        return structure(raw, cls, self.marks, self.display, base=base)
