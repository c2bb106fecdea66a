"""The core of ``stagecraft run``: COMMAND with the selected secrets in its environment.

One concept per module:

* :mod:`~stagecraft.run.source`: where the secrets come from (``--env``,
  ``--from``, ``secrets.from``), read as ``secrets list`` reads a place, and
  :func:`secrets_to_run`, the whole way from the options to the secrets;
* :mod:`~stagecraft.run.refusal`: which secrets COMMAND gets, and the refusal
  (before anything starts) when declared keys required there are missing;
* :mod:`~stagecraft.run.environment`: the environment COMMAND sees (the
  secrets win over inherited variables of the same name);
* :mod:`~stagecraft.run.launch`: :func:`run_command`, which replaces
  Stagecraft with COMMAND (the default) or supervises it as a child (``--mask``);
* :mod:`~stagecraft.run.supervise`: the child, its exit status and the
  signals forwarded to it;
* :mod:`~stagecraft.run.mask_stream`: COMMAND's output masked line by line.
"""

from __future__ import annotations

from stagecraft.errors import CommandNotStartedError, MissingKeysForRunError
from stagecraft.run.launch import run_command
from stagecraft.run.refusal import secrets_for_run
from stagecraft.run.source import secrets_to_run

__all__ = [
    "CommandNotStartedError", "MissingKeysForRunError", "run_command", "secrets_for_run",
    "secrets_to_run",
]
