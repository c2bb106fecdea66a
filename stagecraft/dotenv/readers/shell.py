"""A POSIX shell's reading of a line (``set -a; . FILE``), and which keys it can assign."""

from __future__ import annotations

import re

#: Plain words a shell assigns as written: no quoting, expansion, globbing,
#: tilde, comment or command character.
_SHELL_PLAIN = re.compile(r"[A-Za-z0-9_./:+=@%,^-]*")
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Names bash keeps for itself (read-only, or a value it recomputes on every
#: read or command), so an assignment in the file does not read back.
_SHELL_RESERVED = frozenset(
    {
        "_", "BASHOPTS", "BASHPID", "BASH_ALIASES", "BASH_ARGC", "BASH_ARGV", "BASH_ARGV0",
        "BASH_CMDS", "BASH_COMMAND", "BASH_LINENO", "BASH_SOURCE", "BASH_SUBSHELL",
        "BASH_VERSINFO", "BASH_VERSION", "COMP_WORDBREAKS", "DIRSTACK", "EPOCHREALTIME",
        "EPOCHSECONDS", "EUID", "FUNCNAME", "GROUPS", "HISTCMD", "LINENO", "OLDPWD", "OPTIND",
        "PPID", "PWD", "RANDOM", "SECONDS", "SHELLOPTS", "SHLVL", "SRANDOM", "UID",
    }
)


def read_shell(form: str) -> str | None:
    """POSIX sh (bash, dash) running the line ``K=form`` under ``set -a``.

    Only forms that are read without running or expanding anything: a plain
    word of safe characters, ``'...'`` (literal, no ``'`` inside), or ``"..."``
    without ``$`` or backticks (``\\$ \\` \\" \\\\`` and backslash-newline are
    the only escapes; any other backslash stays).
    """
    if "\x00" in form:
        return None  # a shell drops NUL bytes
    quote = form[:1]
    if quote == "'":
        return form[1:-1] if form.find("'", 1) == len(form) - 1 else None
    if quote != '"':
        return form if _SHELL_PLAIN.fullmatch(form) else None
    out: list[str] = []
    index, end = 1, len(form)
    while index < end:
        char = form[index]
        if char == "\\" and index + 1 < end:
            following = form[index + 1]
            if following in '$`"\\':
                out.append(following)
                index += 2
                continue
            if following == "\n":
                index += 2
                continue
        elif char in "$`":
            return None
        elif char == '"':
            return "".join(out) if index == end - 1 else None
        out.append(char)
        index += 1
    return None


def shell_key_problem(key: str) -> str | None:
    """Why a shell cannot assign ``key`` from an env file, or None when it can."""
    if _SHELL_NAME.fullmatch(key) is None:
        return (
            "a shell cannot assign it: a shell variable name is letters, digits and '_', "
            "not starting with a digit"
        )
    if key in _SHELL_RESERVED:
        return (
            "bash keeps this variable for itself (read-only or recomputed), so it would "
            "not read back"
        )
    return None
