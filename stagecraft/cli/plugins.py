"""``stagecraft plugins``: every plugin found, with its status; a broken one shows as failed."""

from __future__ import annotations

from stagecraft.cli.command import Command
from stagecraft.cli.loading import config_of, manager_of
from stagecraft.cli.session import Session, table
from stagecraft.errors import EXIT_OK, PluginError, PluginLoadError
from stagecraft.plugins import PluginInfo, Status
from stagecraft.redact import Structural

__all__ = ["COMMAND", "cmd_plugins"]


def cmd_plugins(session: Session) -> int:
    """``plugins``: every plugin with its status; a broken plugin shows as failed."""
    config = config_of(session)
    manager = manager_of(session, config, strict=False)
    try:
        manager.build_registry()
    except PluginLoadError:
        pass  # the plugins at fault are now listed as failed, with the reason
    except PluginError as exc:
        # Id conflicts and empty ids involve several plugins or none in
        # particular: shown once, above the listing.
        session.error(str(exc), label="warning")
    infos = manager.list_plugins()
    if session.args.json:
        session.json([_plugin_json(info) for info in infos])
        return EXIT_OK
    rows = [["NAME", "STATUS", "KIND", "DISTRIBUTION", "VERSION", "HOOKS"]]
    for info in infos:
        rows.append([
            info.name,
            info.status.value,
            info.kind.value,
            info.distribution or "-",
            info.version or "-",
            ", ".join(info.hooks) or "-",
        ])
    lines = table(rows)
    session.out(lines[0])
    for line, info in zip(lines[1:], infos, strict=True):
        session.out(line)
        if info.error:
            label = "error" if info.status is Status.FAILED else "reason"
            session.out(session.redactor.render(Structural(f"    {label}: "), info.error))
    return EXIT_OK


def _plugin_json(info: PluginInfo) -> dict[str, object]:
    return {
        "name": info.name,
        "kind": info.kind.value,
        "status": info.status.value,
        "distribution": info.distribution,
        "version": info.version,
        "hooks": list(info.hooks),
        "error": info.error,
    }


COMMAND = Command(
    ("plugins",), cmd_plugins,
    help="list plugins and their status",
    description="List every plugin found, including disabled and failed ones.",
    example="""
        stagecraft plugins
        stagecraft -p no:encore plugins --json
    """,
    json_help="print the list as JSON",
)
