"""Which provider a sync uses, and which sections name no installed provider."""

from __future__ import annotations

from stagecraft.config.manifest_loading import environment_problems
from stagecraft.config.marks import NodePath, format_path
from stagecraft.config.problems import Problem
from stagecraft.config.schema import Config
from stagecraft.config_location import CONFIG_NAME
from stagecraft.errors import ConfigError, ConfigFileError, UnknownProviderError, did_you_mean
from stagecraft.providers.secrets import Registry, SecretsProvider
from stagecraft.redact import Structural


def choose_provider(
    config: Config | None, registry: Registry, override: str | None = None
) -> SecretsProvider:
    """The provider to sync with: ``override`` (``--provider``), else ``secrets.provider``.

    Errors from the config file point at the ``secrets.provider`` line.
    """
    if override:
        return registry.get(override)
    if config is None:
        raise ConfigError(
            Structural(
                f"no secrets provider chosen: pass --provider ID, or set secrets.provider in "
                f"{CONFIG_NAME} (none found in this directory or its parents)")
        )
    chosen = config.secrets.provider
    if chosen is None:
        raise config.error(
            ("secrets",),
            "no secrets provider chosen: set secrets.provider here or pass --provider ID",
        )
    try:
        provider = registry.get(chosen)
    except UnknownProviderError as exc:  # the registry's words, at the line that named the id
        raise config.error(("secrets", "provider"), str(exc)) from None
    if config.secrets.providers and not config.has_section(chosen):
        # Sections exist, just not this one: most likely a typo in one of them.
        raise config.error(
            ("secrets", "providers"),
            f"no section for the chosen provider {chosen!r}"
            f"{did_you_mean(chosen, config.secrets.providers)}",
        )
    return provider


def check_sections(config: Config, registry: Registry) -> None:
    """Report every ``secrets.providers`` section whose id no installed provider has,
    and every environment whose store is not installed or whose name is a store id.

    Only ``config check`` is this strict: a sync must still work on a machine
    that lacks the plugin some other section is for.
    """
    problems: list[Problem] = []
    for provider_id in config.secrets.providers:
        if not registry.has(provider_id):
            path: NodePath = ("secrets", "providers", provider_id)
            listed = ", ".join(registry.ids()) or "none loaded"
            problems.append(
                Problem(
                    config.marks.of_key(path),
                    format_path(path),
                    "no installed secrets provider has this id"
                    f"{did_you_mean(provider_id, registry.ids())} (available: {listed})",
                )
            )
    problems += environment_problems(config, registry.ids(), require_installed=True)
    if problems:
        problems.sort(key=lambda p: (p.mark.line, p.mark.column))
        raise ConfigFileError(config.display, problems)
