"""The version of this release of Stagecraft.

One place for it: the package's ``__version__``, the distribution's metadata
(``pyproject.toml`` reads it from here) and the builtin plugins' entries in
``stagecraft plugins``, which so need not look the installed distribution up.
"""

from __future__ import annotations

__all__ = ["VERSION"]

VERSION = "0.1.0"
