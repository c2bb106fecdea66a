"""The ``stagecraft`` command.

::

    stagecraft [--config FILE] [-p MODULE | -p no:NAME]... [--plugins-dir DIR]... [-v|-q]
               [--color {auto,always,never}] [--version] COMMAND
    stagecraft secrets sync [--provider ID] [--from [ID:]SOURCE|-] [--to [ID:]TARGET]
                            [--dry-run | --check] [--prune] [--allow-empty-source] [--force]
                            [--exclude PATTERN]... [--no-record] [--timeout SECONDS] [--json]
                            [KEY|PATTERN ...]
    stagecraft secrets providers [ID] [--json]
    stagecraft run [--env NAME | --from LOCATION] [--exclude PATTERN]... [--mask]
                   [KEY|PATTERN ...] -- COMMAND [ARG ...]
    stagecraft plugins [--json]
    stagecraft config check
    stagecraft config show [--json]
    stagecraft init [--provider ID]
    stagecraft completion {bash,zsh,fish}

The modules: :mod:`~stagecraft.cli.lifecycle` (``main``, ``run``, exit
codes), :mod:`~stagecraft.cli.parser` (the grammar and usage errors),
:mod:`~stagecraft.cli.global_options`, :mod:`~stagecraft.cli.session`
(output and masking), :mod:`~stagecraft.cli.loading` (config and plugins),
:mod:`~stagecraft.cli.capture` (Ctrl-C, progress, providers' prints), and one
module per command (``sync``, ``secrets_list``, ``secrets_check``, ``run``,
``providers``, ``plugins``, ``config``, ``init``, ``completion``).  The work a
command reports is done outside this package: a sync by :mod:`stagecraft.api`,
which the Python API shares; ``run`` by :mod:`stagecraft.run`, which replaces
the process with COMMAND (so :func:`main` does not return then).
"""

from __future__ import annotations

from stagecraft.cli.lifecycle import main, run
from stagecraft.cli.parser import COMMANDS, build_parser
from stagecraft.cli.version import version_text

__all__ = ["COMMANDS", "build_parser", "main", "run", "version_text"]
