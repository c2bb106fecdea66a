"""``stagecraft.yml``: finding it, reading it, and turning it into typed settings.

Loading happens in two phases, because the ``plugins`` section decides which
plugins get imported and plugins decide what the ``secrets`` section may hold:

1. :func:`load` parses the YAML (safe loading only), remembers the line and
   column of every node, and validates the core keys (``secrets.provider``,
   ``secrets.providers``, ``plugins.*``).  Nothing is imported yet.
2. Once plugins are loaded, :func:`choose_provider` checks ``secrets.provider``
   against the registry and :meth:`Config.provider_config` structures the
   chosen provider's section into the provider's attrs ``Config`` class.

Every problem is reported as ``FILE:LINE:COL: PATH: what is wrong`` with a
"did you mean" hint for likely typos.  Each concept has its own module:
:mod:`~stagecraft.config.schema` (the sections and :class:`Config`),
:mod:`~stagecraft.config.yaml_loader` (YAML with marks),
:mod:`~stagecraft.config.converter` (the strict converter),
:mod:`~stagecraft.config.loading` (:func:`load`),
:mod:`~stagecraft.config.provider_choice` (:func:`choose_provider`),
:mod:`~stagecraft.config.manifest` (the project's environments, declared keys
and named syncs), :mod:`~stagecraft.config.manifest_loading` (building and
checking it), :mod:`~stagecraft.config.example_file` (``keys: .env.example``),
:mod:`~stagecraft.config.location_words` (an environment name where a location goes),
:mod:`~stagecraft.config.marks` and :mod:`~stagecraft.config.problems` (where,
and what is wrong).  Finding the file is :mod:`stagecraft.config_location`'s,
outside this package so that a command run without a config file does not
import the config model.
"""

from __future__ import annotations

from stagecraft.config.converter import structure, structure_plain
from stagecraft.config.loading import load
from stagecraft.config.location_words import ResolvedLocation, resolve_location
from stagecraft.config.manifest import (
    DeclaredKey,
    Environment,
    Manifest,
    NamedSync,
    applicable_keys,
    keys_for_sync,
    require_values,
    required_in,
)
from stagecraft.config.manifest_loading import check_environments
from stagecraft.config.marks import Mark, NodePath, format_path
from stagecraft.config.problems import Problem
from stagecraft.config.provider_choice import check_sections, choose_provider
from stagecraft.config.schema import Config, PluginsConfig, SecretsConfig
from stagecraft.config.yaml_loader import MAX_ALIAS_EXPANSION, parse
from stagecraft.config_location import CONFIG_NAME, find_config
from stagecraft.errors import ConfigFileError, MissingDeclaredKeysError

__all__ = [
    "CONFIG_NAME",
    "MAX_ALIAS_EXPANSION",
    "Config",
    "ConfigFileError",
    "DeclaredKey",
    "Environment",
    "Manifest",
    "Mark",
    "MissingDeclaredKeysError",
    "NamedSync",
    "NodePath",
    "PluginsConfig",
    "Problem",
    "ResolvedLocation",
    "SecretsConfig",
    "applicable_keys",
    "check_environments",
    "check_sections",
    "choose_provider",
    "find_config",
    "format_path",
    "keys_for_sync",
    "load",

    "parse",
    "require_values",
    "required_in",
    "resolve_location",
    "structure",
    "structure_plain",
]
