"""A stand-in for the ``encore`` CLI, for tests only.

The real ``encore`` cannot be installed here, so this script behaves like the
parts of it the provider uses, as described in
``shared/reference/encore-cli.md``:

* ``encore secret|secrets set [--type|-t T[,T]]... [--env|-e E[,E]]... [--dev] [--prod] KEY``,
  pflag-style flags (``--type X``, ``--type=X``, ``-t X``, ``-tX``, ``-t=X``, ``--``),
  cobra-style usage errors (``Error: accepts 1 arg(s), received 0`` plus usage, exit 1);
* type names and aliases, case-sensitive, duplicates dropped;
* the value is all of stdin with every trailing ``\\r`` and ``\\n`` stripped;
* ``encore secret list [KEY...]``: the summary table (no keys) or one line
  per secret group of those keys (``ID  Secret Key  Environment(s)``,
  selectors joined by ``", "``, sorted by key then id, archived groups last
  and marked ``(archived)``), laid out as Go's ``tabwriter`` with 3 spaces
  of padding and every cell tab-terminated, as the CLI's ``list.go`` does;
  ``encore version``;
* ``encore.app`` is looked up from the working directory upwards;
* ``Successfully created/updated secret value for KEY.`` on stdout;
  ``error: <message>`` on stderr with exit status 1 for failures, including a
  selection that overlaps an existing secret group without being equal to it.

Controlled by environment variables:

* ``FAKE_ENCORE_STATE``: file holding the secret groups (default:
  ``.fake-encore-state`` next to the installed executable);
* ``FAKE_ENCORE_LOG``: file to which every call appends one record with
  ``argv``, ``cwd``, ``value`` (None when stdin was not read), ``start``,
  ``end`` (``time.monotonic()``), ``exit`` and ``pid``;
* ``FAKE_ENCORE_LATENCY``: seconds each ``set`` sleeps (the network round trip);
* ``FAKE_ENCORE_STARTED``: file to which each ``set`` appends ``PID KEY`` when
  it has read its value and starts its round trip (a test waits for calls in flight);
* ``FAKE_ENCORE_FAIL_KEYS``: comma-separated keys whose ``set`` fails like an API error;
* ``FAKE_ENCORE_ECHO_VALUE``: when ``1``, failures quote the value in stderr
  (a hostile CLI, to test that the provider redacts what it relays);
* ``FAKE_ENCORE_ENVS``: comma-separated environment slugs that exist
  (unset: every slug exists);
* ``FAKE_ENCORE_UNLINKED``: when ``1``, the app is not linked to the platform;
* ``FAKE_ENCORE_NO_LIST``: when ``1``, an older CLI without ``secret list``;
* ``FAKE_ENCORE_LIST_ERROR``: a message ``secret list`` fails with (exit 1);
* ``FAKE_ENCORE_LIST_OUTPUT``: text ``secret list`` prints instead of its table;
* ``FAKE_ENCORE_VERSION``: what ``encore version`` reports (default ``v1.46.0``);
* ``FAKE_ENCORE_META_SECRETS``: the secrets ``encore debug meta --format=json``
  declares, ``rel/path=NAME,NAME;other=NAME``; ``FAKE_ENCORE_META_ERROR``: a
  message that command fails with;
* ``FAKE_ENCORE_OFFLINE``: when ``1``, ``encore version`` prints its version,
  then fails its update check (exit 1), as the real one does offline.

Like a Go program, it dies of SIGINT (no handler, no traceback), as the
real CLI does when a terminal's Ctrl-C reaches it.

Each group in the state is ``{"id", "selection", "value", "archived"}``;
ids are ``secgrp_`` and a counter, so they sort in creation order.

Simplification: a group's selection is a set of type names and env slugs;
two selections overlap when they share a type or a slug (the real CLI also
knows each environment's type).

Tests install it with :func:`install` and read its files with
:func:`read_state` and :func:`read_log`.  Both files are :mod:`marshal`
data rather than JSON: every call is a new process (the encore benchmark
starts hundreds), and ``json`` with the ``re`` it needs would double what a
call costs beyond the interpreter's own start-up, which a compiled ``encore``
binary does not pay.
"""

from __future__ import annotations

import _signal  # built in: `signal` would import enum, a third of this script's start-up
import fcntl
import marshal
import os
import sys
import time

_signal.signal(_signal.SIGINT, _signal.SIG_DFL)

# Every `encore secret set` is a new process of this script, and the encore
# benchmark starts hundreds: typing, contextlib and collections.abc would add
# a third to its start-up, so they are imported for type checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn, TypeVar

    T = TypeVar("T")

TYPES = ("development", "production", "preview", "local")
ALIASES = {"dev": "development", "prod": "production", "pr": "preview", "ephemeral": "preview"}

USAGE_SECRET = """Usage:
  encore secret [command]

Available Commands:
  set         Sets a secret value
  list        Lists secrets

Flags:
  -h, --help   help for secret
"""

USAGE_SET = """Usage:
  encore secret set --type <types> <secret-name> [flags]

Flags:
      --dev            To set the secret for development use (alias for --type=development)
  -e, --env strings    Environment names to set for
  -h, --help           help for set
      --prod           To set the secret for production use (alias for --type=production)
  -t, --type strings   Environment types to set for (comma-separated list of production, \
development, preview, local)
"""

STARTED = time.monotonic()
RECORD: dict[str, Any] = {
    "argv": sys.argv[1:],
    "cwd": os.getcwd(),
    "value": None,
    "start": STARTED,
    "pid": os.getpid(),
}


def record(exit_code: int) -> None:
    """Append this call to the log: one write of one line, O_APPEND, safe across processes."""
    path = os.environ.get("FAKE_ENCORE_LOG")
    if not path:
        return
    entry = dict(RECORD, end=time.monotonic(), exit=exit_code)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, marshal.dumps(entry))
    finally:
        os.close(fd)


def finish(code: int, stdout: str = "", stderr: str = "") -> NoReturn:
    if stdout:
        sys.stdout.write(stdout)
        sys.stdout.flush()
    if stderr:
        sys.stderr.write(stderr)
        sys.stderr.flush()
    record(code)
    sys.exit(code)


def fail(message: str) -> NoReturn:
    """An error from the command itself: ``error: ...`` and exit 1."""
    finish(1, stderr=f"error: {message}\n")


def usage_error(message: str, usage: str) -> NoReturn:
    """A flag or argument error, reported the way cobra does."""
    finish(1, stderr=f"Error: {message}\n{usage}\n")


# ------------------------------------------------------------------ arguments


def parse_set_args(args: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Flags and positionals of ``secret set``, pflag style."""
    types: list[str] = []
    envs: list[str] = []
    positional: list[str] = []
    value_flags = {"--type": types, "-t": types, "--env": envs, "-e": envs}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            positional.extend(args[i:])
            break
        if arg in ("-h", "--help"):
            finish(0, stdout=USAGE_SET)
        if arg == "--dev":
            types.append("development")
            continue
        if arg == "--prod":
            types.append("production")
            continue
        if arg.startswith("--"):
            name, eq, inline = arg.partition("=")
            if name not in value_flags:
                usage_error(f"unknown flag: {name}", USAGE_SET)
            shown = name
            given = inline if eq else None
        elif arg.startswith("-") and len(arg) > 1:
            name, rest = arg[:2], arg[2:]
            if name not in value_flags:
                usage_error(f"unknown shorthand flag: {arg[1]!r} in {arg}", USAGE_SET)
            shown = f"{arg[1]!r} in {arg}"
            given = rest[1:] if rest.startswith("=") else rest or None
        else:
            positional.append(arg)
            continue
        if given is None:  # the value is the next argument
            if i >= len(args):
                usage_error(f"flag needs an argument: {shown}", USAGE_SET)
            given = args[i]
            i += 1
        value_flags[name].extend(given.split(","))
    return types, envs, positional


def canonical_types(names: list[str]) -> list[str]:
    result: list[str] = []
    for name in names:
        canonical = name if name in TYPES else ALIASES.get(name)
        if canonical is None:
            fail(f'invalid environment type "{name}"')
        if canonical not in result:
            result.append(canonical)
    return result


def find_app_root(start: str) -> str | None:
    directory = start
    while True:
        if os.path.isfile(os.path.join(directory, "encore.app")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def read_value() -> str:
    if sys.stdin is None or sys.stdin.isatty():
        fail("fake encore: reading a value from a terminal is not supported")
    data = sys.stdin.buffer.read()
    value = data.decode("utf-8").rstrip("\r\n")
    RECORD["value"] = value
    return value


# ---------------------------------------------------------------------- state


def state_path() -> str:
    """``FAKE_ENCORE_STATE``, else ``.fake-encore-state`` next to the installed executable."""
    return os.environ.get("FAKE_ENCORE_STATE") or os.path.join(
        os.path.dirname(os.path.abspath(sys.argv[0])), ".fake-encore-state"
    )


def update_state(change: Callable[[dict[str, Any]], T]) -> T:
    """Apply ``change`` to the JSON state, read and written under an exclusive lock."""
    path = state_path()
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        state = read_state(path)
        outcome = change(state)
        temp = f"{path}.{os.getpid()}.tmp"
        with open(temp, "wb") as handle:
            marshal.dump(state, handle)
        os.replace(temp, path)
        return outcome
    finally:
        os.close(fd)


def selection(types: list[str], envs: list[str]) -> list[str]:
    return sorted([f"type:{name}" for name in types] + [f"env:{name}" for name in envs])


def describe(group: list[str]) -> str:
    return ", ".join(group)


# ------------------------------------------------------------------- commands


def secret_set(args: list[str]) -> NoReturn:
    raw_types, envs, positional = parse_set_args(args)
    if len(positional) != 1:
        usage_error(f"accepts 1 arg(s), received {len(positional)}", USAGE_SET)
    key = positional[0]
    if find_app_root(os.getcwd()) is None:
        fail("no encore.app found in directory (or any of the parent directories)")
    if os.environ.get("FAKE_ENCORE_UNLINKED") == "1":
        fail("app is not linked with the Encore Platform (see 'encore app link')")
    types = canonical_types(raw_types)
    known_envs = os.environ.get("FAKE_ENCORE_ENVS")
    if known_envs is not None:
        existing = set(filter(None, known_envs.split(",")))
        for env in envs:
            if env not in existing:
                fail(f'environment "{env}" not found')
    if not types and not envs:
        fail("must specify at least one environment with --type/--env (or --dev/--prod)")
    value = read_value()
    started = os.environ.get("FAKE_ENCORE_STARTED")
    if started:
        fd = os.open(started, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{os.getpid()} {key}\n".encode())
        finally:
            os.close(fd)
    latency = float(os.environ.get("FAKE_ENCORE_LATENCY", "0") or 0)
    if latency:
        time.sleep(latency)
    if key in os.environ.get("FAKE_ENCORE_FAIL_KEYS", "").split(","):
        detail = "simulated API failure"
        if os.environ.get("FAKE_ENCORE_ECHO_VALUE") == "1":
            detail += f" (value was {value!r})"
        fail(f"unable to create secret: {detail}")
    wanted = selection(types, list(dict.fromkeys(envs)))

    def store(state: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        """("created" or "updated", []) or the groups the selection clashes with."""
        groups: list[dict[str, Any]] = state["secrets"].setdefault(key, [])
        for group in groups:
            if group["selection"] == wanted:
                group["value"] = value
                return "updated", []
        clashes = [g for g in groups if set(g["selection"]) & set(wanted)]
        if not clashes:
            groups.append({"id": new_group_id(state), "selection": wanted, "value": value,
                           "archived": False})
        return "created", clashes

    verb, clashes = update_state(store)
    if clashes:
        lines = "".join(f"\t{describe(g['selection'])}\n" for g in clashes)
        finish(
            1,
            stderr=f"error: the environment selection conflicts with other secret values:\n{lines}",
        )
    finish(0, stdout=f"Successfully {verb} secret value for {key}.\n")


def new_group_id(state: dict[str, Any]) -> str:
    number = state.get("next_id", 1)
    state["next_id"] = number + 1
    return f"secgrp_{number:012d}"


def group_id(key: str, index: int, group: dict[str, Any]) -> str:
    """A group's id (state written by hand may lack one)."""
    return group.get("id") or f"secgrp_{key.lower()}_{index:04d}"


def tabwrite(rows: list[list[str]], padding: int = 3) -> str:
    """Go's ``tabwriter`` with ``padding`` spaces: every cell but a line's last ends in a tab.

    A column's width is that of its widest cell within each run of
    consecutive lines that have a tab-terminated cell in that column.
    """
    widths: list[list[int]] = [[0] * max(len(row) - 1, 0) for row in rows]
    columns = max((len(row) for row in rows), default=0)
    for column in range(columns - 1):
        start = 0
        while start < len(rows):
            if len(rows[start]) - 1 <= column:
                start += 1
                continue
            end = start
            while end < len(rows) and len(rows[end]) - 1 > column:
                end += 1
            width = max(len(rows[i][column]) for i in range(start, end)) + padding
            for i in range(start, end):
                widths[i][column] = width
            start = end
    lines = []
    for row, row_widths in zip(rows, widths, strict=True):
        cells = [cell.ljust(width) for cell, width in zip(row, row_widths, strict=False)]
        lines.append("".join(cells) + (row[-1] if row else "") + "\n")
    return "".join(lines)


def secret_list(args: list[str]) -> NoReturn:
    for arg in args:
        if arg in ("-h", "--help"):
            finish(0, stdout="Usage:\n  encore secret list [keys...] [flags]\n")
        if arg.startswith("-"):
            usage_error(f"unknown flag: {arg}", "Usage:\n  encore secret list [keys...]\n")
    if find_app_root(os.getcwd()) is None:
        fail("no encore.app found in directory (or any of the parent directories)")
    if os.environ.get("FAKE_ENCORE_UNLINKED") == "1":
        fail("app is not linked with the Encore Platform (see 'encore app link')")
    latency = float(os.environ.get("FAKE_ENCORE_LATENCY", "0") or 0)
    if latency:
        time.sleep(latency)
    error = os.environ.get("FAKE_ENCORE_LIST_ERROR")
    if error:
        fail(error)
    override = os.environ.get("FAKE_ENCORE_LIST_OUTPUT")
    if override is not None:
        finish(0, stdout=override)
    secrets: dict[str, list[dict[str, Any]]] = read_state(state_path())["secrets"]
    # As list.go prints them: every cell ends in a tab (so lines carry the
    # padding of their last cell), the overview's header has no column for
    # specific environments, and the keyed table is sorted by key, then by
    # group id with archived groups last.
    if not args:
        rows = [["Secret Key", "Production", "Development", "Local", "Preview", ""]]
        for key in sorted(secrets):
            live = [g for g in secrets[key] if not g.get("archived")]
            if not live:
                continue
            chosen = {s for g in live for s in g["selection"]}
            marks = ["\u2713" if f"type:{t}" in chosen else "\u2717"
                     for t in ("production", "development", "local", "preview")]
            envs = ",".join(sorted(s[4:] for s in chosen if s.startswith("env:")))
            rows.append([key, *marks, envs, ""])
        finish(0, stdout=tabwrite(rows))
    rows = [["ID", "Secret Key", "Environment(s)", ""]]
    for key in sorted(set(args)):
        found = [
            (bool(group.get("archived")), group_id(key, index, group), group)
            for index, group in enumerate(secrets.get(key, []))
        ]
        for archived, ident, group in sorted(found, key=lambda item: (item[0], item[1])):
            row = [ident, key, describe(group["selection"])]
            rows.append([*row, "(archived)", ""] if archived else [*row, ""])
    finish(0, stdout=tabwrite(rows))


def debug_meta(args: list[str]) -> NoReturn:
    """``encore debug meta --format=json``: the parsed app's metadata, as the daemon prints it.

    The daemon marshals ``meta.v1.Data`` with jsonpb (original field names,
    defaults emitted, two-space indent); only the fields a reader of
    declared secrets needs are filled.  ``FAKE_ENCORE_META_SECRETS`` is
    ``rel/path=NAME,NAME;other=NAME`` (one package each).
    """
    import json  # only this command pays for it

    if args not in (["--format=json"], ["--format", "json"], ["-f", "json"], ["-fjson"]):
        usage_error(f"unexpected arguments {args}", "Usage:\n  encore debug meta [flags]\n")
    if find_app_root(os.getcwd()) is None:
        fail("no encore.app found in directory (or any of the parent directories)")
    error = os.environ.get("FAKE_ENCORE_META_ERROR")
    if error:
        fail(error)
    packages = []
    for part in filter(None, os.environ.get("FAKE_ENCORE_META_SECRETS", "").split(";")):
        rel_path, _, names = part.partition("=")
        packages.append({
            "rel_path": rel_path, "name": rel_path.rsplit("/", 1)[-1], "doc": "",
            "service_name": rel_path.split("/", 1)[0],
            "secrets": [name for name in names.split(",") if name],
            "rpc_calls": [], "trace_nodes": [],
        })
    data = {"module_path": "encore.app", "app_version": "", "decls": [], "pkgs": packages,
            "svcs": [], "auth_handler": None, "cron_jobs": []}
    finish(0, stdout=json.dumps(data, indent=2))


def main(argv: list[str]) -> NoReturn:
    if argv[:2] == ["debug", "meta"]:
        debug_meta(argv[2:])
    if argv and argv[0] == "version":
        version = os.environ.get("FAKE_ENCORE_VERSION", "v1.46.0")
        if os.environ.get("FAKE_ENCORE_OFFLINE") == "1":  # the update check fails
            finish(1, stdout=f"encore version {version}\n",
                   stderr="could not check for update: network unreachable\n")
        finish(0, stdout=f"encore version {version}\n")
    if not argv or argv[0] not in ("secret", "secrets"):
        name = argv[0] if argv else ""
        usage_error(f'unknown command "{name}" for "encore"', "Usage:\n  encore [command]\n")
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        finish(0, stdout=USAGE_SECRET)
    if argv[1] == "list" and os.environ.get("FAKE_ENCORE_NO_LIST") != "1":
        secret_list(argv[2:])
    if argv[1] != "set":
        usage_error(f'unknown command "{argv[1]}" for "encore secret"', USAGE_SECRET)
    secret_set(argv[2:])


# ------------------------------------------------------- for the tests that use it


def install(bin_dir: str, python: str = sys.executable) -> str:
    """Write ``bin_dir/encore``: this script, run by ``python -S`` from its ``#!`` line.

    No shell wrapper: each call costs one process start, closer to what a
    compiled ``encore`` binary costs (unless ``python``'s path cannot go on a
    ``#!`` line).  Returns the executable's path.
    """
    os.makedirs(bin_dir, exist_ok=True)
    binary = os.path.join(bin_dir, "encore")
    with open(__file__, encoding="utf-8") as source:
        text = source.read()
    if len(python) > 100 or any(c.isspace() for c in python):
        # A #! line cannot quote a path with spaces, and kernels before 5.1
        # cut it at 127 bytes: go through sh instead.
        import shlex

        script = os.path.join(bin_dir, "fake_encore.py")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(text)
        launcher = f'#!/bin/sh\nexec {shlex.quote(python)} -S {shlex.quote(script)} "$@"\n'
    else:
        launcher = f"#!{python} -S\n{text}"
    with open(binary, "w", encoding="utf-8") as handle:
        handle.write(launcher)
    os.chmod(binary, 0o755)
    return binary


def read_state(path: str) -> dict[str, Any]:
    """The secret groups stored so far (``{"secrets": {KEY: [group, ...]}}``)."""
    try:
        with open(path, "rb") as handle:
            state: dict[str, Any] = marshal.load(handle)
    except FileNotFoundError:
        return {"secrets": {}}
    return state


def read_log(path: str) -> list[dict[str, Any]]:
    """Every call recorded so far, in order."""
    records: list[dict[str, Any]] = []
    try:
        with open(path, "rb") as handle:
            while True:  # marshal.load reads exactly one record per call
                try:
                    records.append(marshal.load(handle))
                except EOFError:
                    return records
    except FileNotFoundError:
        return records


if __name__ == "__main__":
    main(sys.argv[1:])
