"""``python -m stagecraft`` runs the ``stagecraft`` command, exactly as the console script does.

``python -m`` puts the working directory first on ``sys.path``; the
``stagecraft`` console script does not.  Left there, ``-p my_audit`` would
import ``./my_audit.py`` under one and fail under the other, and any file in
the project named like a module stagecraft or a plugin imports (``yaml.py``)
would shadow it.  So the entry is taken out again: plugin modules come from
installed packages only, and single files load with ``--plugins-dir``.
"""

import os
import sys


def _drop_working_directory() -> None:
    if getattr(sys.flags, "safe_path", False) or not sys.path:
        return  # `python -P -m`: nothing was added (Python 3.11+)
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None  # a removed working directory: the entry is dead anyway
    if sys.path[0] in ("", cwd) or cwd is None:
        del sys.path[0]


_drop_working_directory()

from stagecraft.cli import run  # noqa: E402 - after sys.path is what the console script sees

run()
