"""The ``stagecraft`` command (first cut: listings only; the config/CLI issue completes it)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from stagecraft import __version__
from stagecraft.errors import StagecraftError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stagecraft")
    parser.add_argument("--version", action="version", version=f"stagecraft {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("plugins", help="list plugins")
    secrets = sub.add_parser("secrets", help="secrets commands")
    secrets_sub = secrets.add_subparsers(dest="secrets_command", required=True)
    secrets_sub.add_parser("providers", help="list secrets providers")
    args = parser.parse_args(argv)
    from stagecraft.plugins import load_plugin_manager

    try:
        if args.command == "plugins":
            manager = load_plugin_manager(strict=False)
            for info in manager.list_plugins():
                dist = f"{info.distribution or '-'}\t{info.version or '-'}"
                print(f"{info.name}\t{dist}\t{info.status}")
            return 0
        registry = load_plugin_manager().build_registry()
        for provider_id in registry.ids():
            print(provider_id)
        return 0
    except StagecraftError as exc:
        print(f"stagecraft: error: {exc}", file=sys.stderr)
        return exc.exit_code
