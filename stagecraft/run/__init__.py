"""The process side of ``stagecraft run``: COMMAND with the selected secrets in its environment.

The command reads the source and selects the keys; this package does the
rest, one concept per module:

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

__all__ = ["CommandNotStartedError", "MissingKeysForRunError", "run_command", "secrets_for_run"]
