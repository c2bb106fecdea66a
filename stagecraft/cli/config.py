"""``stagecraft config check`` and ``stagecraft config show``."""

from __future__ import annotations

from typing import Any

from stagecraft.cli.command import Command
from stagecraft.cli.loading import config_of, manager_of, settings_of
from stagecraft.cli.session import Session
from stagecraft.errors import EXIT_OK

__all__ = ["SHOW", "CHECK", "cmd_config_check", "cmd_config_show"]


def cmd_config_check(session: Session) -> int:
    """``config check``: the file, its plugins, ``secrets.provider`` and every known section."""
    config = config_of(session, required=True)
    assert config is not None
    # The config model loads with a config file (see stagecraft.project.load_config).
    from stagecraft.config.provider_choice import check_sections, choose_provider

    registry = manager_of(session, config).build_registry()
    check_sections(config, registry)
    chosen = None
    if config.secrets.provider is not None:
        chosen = choose_provider(config, registry)
    for provider_id in config.secrets.providers:
        config.provider_config(registry.get(provider_id))
    session.out(f"{config.display}: ok")
    if chosen is None:
        session.note("secrets.provider is not set: `secrets sync` will need --provider ID")
    else:
        session.note(f"provider {chosen.id!r} from {registry.origin(chosen.id)}")
    return EXIT_OK


def cmd_config_show(session: Session) -> int:
    """``config show``: the effective configuration, credentials masked."""
    # Imported here: not loaded by every other command's start (docs/performance.md, row 5).
    from stagecraft import config_show

    config = config_of(session)
    settings = settings_of(session, config)
    registry = manager_of(session, config).build_registry()
    chosen = config.secrets.provider if config is not None else None
    ids = list(config.secrets.providers) if config is not None else []
    if chosen is not None and chosen not in ids:
        ids.append(chosen)
    sections: dict[str, Any] = {}
    for provider_id in ids:
        if not registry.has(provider_id):
            raw = config.secrets.providers.get(provider_id) if config is not None else None
            sections[provider_id] = {"installed": False, "settings": config_show.mask(raw or {})}
            continue
        provider = registry.get(provider_id)
        structured = config.provider_config(provider) if config is not None else None
        config_class = getattr(provider, "Config", None)
        if structured is None and config_class is not None:
            structured = config_class()  # no section: the defaults, as a sync uses them
        sections[provider_id] = config_show.mask(config_show.section(structured or {}))
    data: dict[str, Any] = {
        "file": str(config.path) if config is not None else None,
        "provider": chosen,
        "from": config.secrets.source if config is not None else None,
        "to": config.secrets.target if config is not None else None,
        "plugins": {
            "disable": list(settings.disable),
            "only": None if settings.allow is None else list(settings.allow),
            "modules": list(settings.modules),
            "dirs": [str(d) for d in settings.dirs],
        },
        "providers": sections,
    }
    if session.args.json:
        session.json(data)
    else:
        session.out(config_show.render(data))
    if config is None:
        session.note("no stagecraft.yml found: these are the defaults (create one with "
                     "`stagecraft init`)")
    return EXIT_OK


CHECK = Command(
    ("config", "check"), cmd_config_check,
    help="validate stagecraft.yml",
    description="Validate stagecraft.yml, its plugins and the chosen provider's section.",
    example="""
        stagecraft config check
        stagecraft --config deploy/stagecraft.yml config check
    """,
)


SHOW = Command(
    ("config", "show"), cmd_config_show,
    help="show the effective configuration",
    description="Show the configuration in effect: which file, which provider, the "
    "plugin settings (environment included) and each provider section with its "
    "defaults filled in. Anything that looks like a credential is masked.",
    example="""
        stagecraft config show
        stagecraft config show --json
    """,
    json_help="print the configuration as JSON",
)
