"""Tracing hook calls by hook and plugin name, through pluggy's own call monitoring.

pluggy's ``enable_tracing`` prints hook arguments and results, which carry
secret values, so it is never used: :func:`enable_safe_tracing` installs
monitoring that prints names and outcomes only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pluggy

#: Set to anything but "" or "0" to trace every hook call to stderr.
ENV_TRACE = "STAGECRAFT_TRACE_PLUGINS"


def enable_safe_tracing(manager: pluggy.PluginManager) -> Callable[[], None]:
    """Trace ``manager``'s hook calls to stderr; returns the function that stops it.

    The trace goes to the stderr of the moment tracing is enabled: while a
    sync runs, the command routes ``sys.stderr`` to its "provider output"
    stream, and the core's own trace is not a provider's output.
    """
    stream = sys.stderr

    def before(
        hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]
    ) -> None:
        del kwargs  # holds secret values
        names = ", ".join(impl.plugin_name for impl in impls)
        print(f"stagecraft: trace: {hook_name} -> [{names}]", file=stream)

    def after(
        outcome: pluggy.Result[Any],
        hook_name: str,
        impls: Sequence[pluggy.HookImpl],
        kwargs: Mapping[str, Any],
    ) -> None:
        del impls, kwargs  # kwargs holds secret values, and so may the result
        exc = outcome.exception
        status = "ok" if exc is None else f"raised {type(exc).__name__}"
        print(f"stagecraft: trace: {hook_name} <- {status}", file=stream)

    return manager.add_hookcall_monitoring(before, after)
