"""``stagecraft secrets check``: do the declared secrets exist in every environment?

:func:`~stagecraft.manifest_check.checking.check` reads each environment's key
names (concurrently, once each) and compares them with the manifest's
declared keys; :class:`~stagecraft.manifest_check.result.CheckResult` is what
it found, with the ``--json`` structure and the exit status;
:func:`~stagecraft.manifest_check.matrix_text.render` is the text matrix.
"""

from __future__ import annotations

from stagecraft.manifest_check.checking import CanList, ReadKeys, check
from stagecraft.manifest_check.matrix_text import render
from stagecraft.manifest_check.result import (
    CheckResult,
    EnvironmentReport,
    EnvironmentStatus,
    KeyStatus,
)

__all__ = [
    "CanList",
    "CheckResult",
    "EnvironmentReport",
    "EnvironmentStatus",
    "KeyStatus",
    "ReadKeys",
    "check",
    "render",
]
