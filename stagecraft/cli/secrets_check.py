"""``stagecraft secrets check [ENV ...]``: does every environment hold the keys it needs?

The check is the Python API's (:func:`stagecraft.project_check.check_project`);
this module prints its matrix (:func:`stagecraft.manifest_check.render`) or
its ``--json``, and exits with its status: 0 all present, 4 a required key
missing, 2 an environment that could not be read or cannot list names.
"""

from __future__ import annotations

import argparse

from stagecraft.cli.command import Command
from stagecraft.cli.loading import project_of
from stagecraft.cli.options import completed
from stagecraft.cli.session import Session
from stagecraft.redact import Structural

__all__ = ["COMMAND", "arguments", "cmd_check"]


def arguments(parser: argparse.ArgumentParser) -> None:
    completed(parser, "source", "environments", nargs="*", metavar="ENV",
              help="environments to check (default: every one in secrets.environments); "
              "without declared environments, locations (ID:LOCATION or env files)")


def cmd_check(session: Session) -> int:
    """``secrets check``: the matrix (or ``--json``), and the check's exit status."""
    # Imported here: the check's machinery (a thread pool, the manifest's comparisons)
    # is not loaded by every other command's start (docs/performance.md, row 5).
    from stagecraft.manifest_check import render
    from stagecraft.project_check import check_project

    args = session.args
    config, ctx = project_of(session)
    result = check_project(ctx, config, args.environments)
    if args.json:
        session.json(result.to_json())
    else:
        session.out(render(result, session.palette_out))
    missing, unreadable = len(result.missing()), len(result.unreadable())
    session.note(Structural(
        f"check: {len(result.keys)} keys in {len(result.environments)} environments; "
        f"{missing} missing, {unreadable} not checked"
    ))
    return result.exit_status()


COMMAND = Command(
    ("secrets", "check"), cmd_check,
    help="check that every environment holds the keys it needs",
    description="For each declared key (secrets.keys) and each environment, show whether it "
    "is present (✓), missing (✗) or optional and absent (\u2013), and list the undeclared keys "
    "found. Without declared keys, every key found anywhere is compared across the "
    "environments. Values are never shown. Exit 0 when every required key is "
    "present, 4 when one is missing, 2 when an environment cannot be read.",
    example="""
        stagecraft secrets check
        stagecraft secrets check staging prod --json
        stagecraft secrets check .env.local .env.staging   # no manifest: compare the files
    """,
    json_help="print the result as JSON",
    arguments=arguments,
)
