"""The exec protocol: one helper process per operation, JSON in on stdin, JSON out on stdout.

A store written in any language is a program that reads one request object
and prints one answer object (docs/exec-protocol.md is the specification).
This module runs one such call safely:

* values travel on the helper's stdin and stdout only, never in its argv or
  environment;
* the helper runs in a session of its own, so a terminal's Ctrl-C reaches
  stagecraft alone and the engine decides what happens to calls in flight;
* a helper that hangs is killed (its whole process group) after the per-call
  timeout or at the sync's deadline, whichever comes first;
* its stderr is the helper's own output: it is written to ``sys.stderr``
  masked, line by line, and never parsed;
* anything other than exactly one JSON object of the right shape is one
  clear error naming the helper.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from stagecraft.errors import (
    HelperFailedError,
    HelperProtocolError,
    HelperTimeoutError,
    HelperTransientError,
    HelperWriteProtocolError,
    HelperWriteTimeoutError,
    ProviderError,
    printable,
)
from stagecraft.exec_command import ExecCommand
from stagecraft.providers.secrets import Context
from stagecraft.redact import Structural

__all__ = [
    "PROTOCOL",
    "Description",
    "ExecHelper",
    "HelperFailedError",
    "HelperProtocolError",
    "HelperTimeoutError",
    "HelperTransientError",
]

#: The protocol version this module speaks; a helper answering another is refused.
PROTOCOL = 1


class Description(NamedTuple):
    """What a helper says of itself in answer to ``describe``."""

    readable: bool
    delete: bool
    location_help: str = ""


class ExecHelper:
    """Runs one helper's operations (how to start it: an :class:`ExecCommand`)."""

    def __init__(self, command: ExecCommand) -> None:
        self.command = command

    def __repr__(self) -> str:
        return f"<ExecHelper {self.command.name!r}>"

    def __str__(self) -> str:
        return str(self.command)

    # -- the operations ---------------------------------------------------------

    def describe(self, ctx: Context) -> Description:
        answer = self.call(ctx, {"op": "describe"})
        readable, delete = answer.get("readable"), answer.get("delete")
        help_text = answer.get("location_help", "")
        if not isinstance(readable, bool) or not isinstance(delete, bool):
            raise self._protocol_error('describe must answer "readable" and "delete" as booleans')
        if not isinstance(help_text, str):
            raise self._protocol_error('describe\'s "location_help" must be a string')
        return Description(readable, delete, help_text)

    def read(
        self, ctx: Context, location: str, keys: Sequence[str] | None, config: Any
    ) -> dict[str, str] | None:
        """The values at ``location``, or None when the helper says it does not exist."""
        answer = self.call(ctx, {
            "op": "read", "location": location,
            "keys": None if keys is None else list(keys), "config": config,
        })
        if answer.get("exists") is False:
            return None
        values = answer.get("values")
        if not isinstance(values, dict):
            raise self._protocol_error('read must answer {"values": {...}} or {"exists": false}')
        bad = sorted(printable(str(k)) for k, v in values.items() if not isinstance(v, str))
        if bad:
            raise self._protocol_error(
                f"read answered values that are not strings for {', '.join(bad[:10])}"
            )
        return values

    def write(
        self, ctx: Context, location: str, values: Mapping[str, str], config: Any
    ) -> dict[str, str]:
        """Send ``values``; returns the keys the helper says failed, with its reasons."""
        request = {"op": "write", "location": location, "values": dict(values), "config": config}
        return dict(self.call(ctx, request).get("failed", {}))

    def delete(
        self, ctx: Context, location: str, keys: Sequence[str], config: Any
    ) -> dict[str, str]:
        request = {"op": "delete", "location": location, "keys": list(keys), "config": config}
        return dict(self.call(ctx, request).get("failed", {}))

    # -- one call -------------------------------------------------------------

    def call(self, ctx: Context, request: Mapping[str, Any]) -> dict[str, Any]:
        """Run the helper once with ``request``; its answer, or an error naming the helper."""
        payload = json.dumps({"protocol": PROTOCOL, **request}).encode("utf-8")
        limit = self.command.timeout
        remaining = ctx.remaining()
        if remaining is not None:
            limit = min(limit, remaining)
        try:
            process = subprocess.Popen(
                self.command.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, cwd=ctx.cwd, start_new_session=True,
            )
        except OSError as exc:
            raise HelperFailedError(Structural(f"{self}: cannot start: {exc.strerror}")) from None
        try:
            stdout, stderr = process.communicate(payload, timeout=limit)
        except subprocess.TimeoutExpired:
            _stop(process)
            op = request["op"]
            if op in ("write", "delete"):  # stopped part-way: what it did is not known
                raise HelperWriteTimeoutError(Structural(
                    f"{self}: no answer to {op} within {limit:.3g} s; stopped it (it may or "
                    "may not have been done)")) from None
            raise HelperTimeoutError(
                Structural(f"{self}: no answer to {op} within {limit:.3g} s; stopped it")
            ) from None
        except BaseException:
            _stop(process)  # Ctrl-C, or anything else: no helper is left running
            raise
        _show_stderr(ctx, stderr)
        try:
            return self._answer(stdout, request, process.returncode)
        except HelperProtocolError as exc:
            if request["op"] not in ("write", "delete"):
                raise
            # No answer the protocol knows: the helper may have changed the store.
            raise HelperWriteProtocolError(
                Structural(f"{exc} (it may or may not have been done)")) from None

    def _answer(self, stdout: bytes, request: Mapping[str, Any], status: int) -> dict[str, Any]:
        op = request["op"]
        answer = self._parse(stdout, op)
        if status != 0:
            raise self._failure(answer, status)
        if ("protocol" in answer or op == "describe") and answer.get("protocol") != PROTOCOL:
            raise self._protocol_error(
                f"answered {op} with protocol {answer.get('protocol')!r}, not {PROTOCOL}"
            )
        if op in ("write", "delete"):
            self._check_failed(answer, request["values" if op == "write" else "keys"])
        return answer

    def _parse(self, stdout: bytes, op: str) -> dict[str, Any]:
        text = stdout.decode("utf-8", errors="replace").strip()
        if not text:
            return {}
        try:
            answer = json.loads(text)
        except ValueError:
            raise self._protocol_error(
                f"answered {op} with something other than one JSON object"
            ) from None
        if not isinstance(answer, dict):
            raise self._protocol_error(f"answered {op} with JSON that is not an object")
        return answer

    def _failure(self, answer: Mapping[str, Any], status: int) -> ProviderError:
        error = answer.get("error")
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            return self._protocol_error(f"exited with status {status} without an error answer")
        error_class = HelperTransientError if error.get("transient") is True else HelperFailedError
        return error_class(f"{self}: {error['message']}")

    def _check_failed(self, answer: Mapping[str, Any], asked: Collection[str]) -> None:
        """A write's or delete's ``failed`` maps keys it was asked about to reasons."""
        failed = answer.get("failed", {})
        if not isinstance(failed, dict) or not all(
            isinstance(reason, str) and key in asked for key, reason in failed.items()
        ):
            raise self._protocol_error(
                '"failed" must map keys of the request to reasons (strings)'
            )

    def _protocol_error(self, what: str) -> HelperProtocolError:
        return HelperProtocolError(Structural(f"{self}: {what} (see docs/exec-protocol.md)"))


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the helper's whole process group (it is a session leader), then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()


def _show_stderr(ctx: Context, stderr: bytes) -> None:
    """The helper's stderr, masked, as its own output (the command marks it so)."""
    text = stderr.decode("utf-8", errors="replace")
    for line in text.splitlines():
        sys.stderr.write(ctx.redactor.redact(line) + "\n")
