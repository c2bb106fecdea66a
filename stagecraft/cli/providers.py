"""``stagecraft secrets providers [ID]``: the installed providers, or one described."""

from __future__ import annotations

import argparse

from stagecraft.cli.command import Command
from stagecraft.cli.loading import config_of, manager_of
from stagecraft.cli.options import completed
from stagecraft.cli.session import Session, table
from stagecraft.describe import describe, render
from stagecraft.errors import EXIT_OK

__all__ = ["COMMAND", "arguments", "cmd_providers"]


def arguments(parser: argparse.ArgumentParser) -> None:
    completed(parser, "provider", "provider_id", nargs="?", metavar="ID",
              help="describe this provider instead of listing them all")


def cmd_providers(session: Session) -> int:
    """``secrets providers``: ids in order, with the plugin and distribution of each."""
    config = config_of(session)
    registry = manager_of(session, config).build_registry()
    if session.args.provider_id:
        provider = registry.get(session.args.provider_id)
        info = describe(provider, registry.origin(provider.id))
        if session.args.json:
            session.json(info)
        else:
            for line in render(info):
                session.out(line)
        return EXIT_OK
    entries = []
    for provider_id in registry.ids():
        origin = registry.origin(provider_id)
        entries.append(
            {
                "id": provider_id,
                "plugin": origin.plugin,
                "distribution": origin.distribution,
                "version": origin.version,
            }
        )
    if session.args.json:
        session.json(entries)
        return EXIT_OK
    if not entries:
        session.note("no secrets providers installed (see `stagecraft plugins`)")
        return EXIT_OK
    rows = [["ID", "PLUGIN", "DISTRIBUTION"]]
    for entry in entries:
        dist = entry["distribution"]
        rows.append([
            str(entry["id"]),
            str(entry["plugin"]),
            f"{dist} {entry['version'] or '?'}" if dist else "-",
        ])
    for line in table(rows):
        session.out(line)
    return EXIT_OK


COMMAND = Command(
    ("secrets", "providers"), cmd_providers,
    help="list secrets providers, or describe one",
    description="List the installed secrets providers, with the plugin providing each; "
    "with ID, describe that provider: its distribution, location syntax, config keys "
    "with types and defaults, and whether it can be read back and prune.",
    example="""
        stagecraft secrets providers
        stagecraft secrets providers encore --json
    """,
    json_help="print the list (or the description) as JSON",
    arguments=arguments,
)
