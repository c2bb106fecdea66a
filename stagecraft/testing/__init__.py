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

There is one contract suite.  :class:`ProviderChecks` holds the checks
every provider must pass, however it syncs: registry membership, id rules,
the ``SyncResult`` that ``sync`` returns, and no value in results, reprs,
errors, logs or output (see :mod:`stagecraft.testing.provider_checks`).
Two classes build on it, and an author subclasses one of them as
``TestMyThing``:

* :class:`StoreContract`, for a :class:`~stagecraft.store.SecretStore`: the
  shared checks run through the engine, plus the store checks (see
  :mod:`stagecraft.testing.store_contract`).  :class:`ExecStoreContract`
  runs it given the command of a helper written in another language (see
  :mod:`stagecraft.testing.exec_contract`).
* :class:`ProviderContract`, for a raw provider that implements ``sync``
  itself: the shared checks plus what a whole sync does, seen from outside
  (see :mod:`stagecraft.testing.contract`).

:func:`write_env_file` seeds an env file source for them
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
from stagecraft.testing.provider_checks import ProviderChecks
from stagecraft.testing.store_contract import StoreContract

__all__ = [
    "CANARY_VALUES",
    "TRICKY_VALUES",
    "ExecStoreContract",
    "ProviderChecks",
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
