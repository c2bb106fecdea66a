"""Pytest helpers for people who write Stagecraft plugins.

Opt in from a test module or ``conftest.py``::

    pytest_plugins = ["stagecraft.testing"]

Fixtures:

* ``stagecraft_pm``: a fresh :class:`~stagecraft.plugins.PluginManager` with
  only the builtin ``core`` plugin, so installed plugins cannot change what a
  test sees.
* ``register_plugin(obj, name=None)``: register a plugin object or module on
  ``stagecraft_pm`` for the current test; it is unregistered afterwards.
* ``stagecraft_registry``: the provider registry built from ``stagecraft_pm``.
  It is built on first use, so plugins registered earlier in the test count.
* ``run_stagecraft(*args, cwd=..., env=..., subprocess=False)``: run the
  ``stagecraft`` command and get a :class:`RunResult` back.

The store contract suite is :class:`StoreContract`; subclass it as
``TestMyStore`` (see :mod:`stagecraft.testing.store_contract`).  For a
helper written in another language, :class:`ExecStoreContract` runs the
same suite given the helper's command (see :mod:`stagecraft.testing.exec_contract`).  Providers
that implement ``sync`` themselves have :class:`ProviderContract`
(see :mod:`stagecraft.testing.contract`).
:func:`write_env_file` seeds an env file source for it
(see :mod:`stagecraft.testing.envfiles`).

A test module typically imports ``ProviderContract`` before pytest reads
its ``pytest_plugins``; pytest would then warn that it cannot rewrite this
package's asserts (an error under ``filterwarnings = error``).  The kit's
checks carry their own messages instead, which name keys but never values,
so rewriting is switched off: PYTEST_DONT_REWRITE.
"""

from __future__ import annotations

from stagecraft.testing.contract import CANARY_VALUES, TRICKY_VALUES, ProviderContract
from stagecraft.testing.envfiles import env_line, write_env_file
from stagecraft.testing.exec_contract import ExecStoreContract
from stagecraft.testing.fixtures import (
    RunResult,
    RunStagecraft,
    register_plugin,
    run_stagecraft,
    stagecraft_pm,
    stagecraft_registry,
)
from stagecraft.testing.store_contract import StoreContract

__all__ = [
    "CANARY_VALUES",
    "TRICKY_VALUES",
    "ExecStoreContract",
    "ProviderContract",
    "RunResult",
    "RunStagecraft",
    "StoreContract",
    "env_line",
    "register_plugin",
    "run_stagecraft",
    "stagecraft_pm",
    "stagecraft_registry",
    "write_env_file",
]
