"""Run the code blocks of a Markdown page and check what they print.

The conventions (also summarised at the top of ``tests/test_docs.py``):

* A fenced block may be preceded by one HTML comment that says what to do
  with it:

  - ``<!-- file: PATH -->``: write the block to ``PATH`` (relative to the
    page's project directory), whatever its language;
  - ``<!-- append: PATH -->``: append the block to ``PATH`` after two blank
    lines (a module the page builds one definition at a time);
  - ``<!-- not-run: REASON -->``: show the block only; the reason is required.

* Unmarked blocks by language:

  - ``python``: executed.  The blocks of one page share a namespace, run in
    order, with the page's project directory as the working directory.  When
    an ``output`` block follows directly, it must equal what the block printed.
  - ``console``: lines starting with ``$ `` are commands; the lines after one,
    up to the next command, are its expected output (stdout and stderr as a
    terminal shows them).  ``stagecraft ...`` runs in-process (in bash when the
    line uses pipes, ``&&``, ``;`` or redirections, or is ``stagecraft run ... --
    COMMAND``, which replaces its process with COMMAND); ``echo $?``
    prints the previous command's exit status; ``pip install DIR`` installs
    the distribution in ``DIR`` into a private directory that later commands
    of the page see (never into the virtualenv); anything else runs in bash.
    A ``# comment`` after a command is left out, as a shell would.
    A command that exits non-zero must be followed by ``$ echo $?``, so every
    exit status the docs rely on is shown and checked.  ``NAME=value`` before
    a command sets an environment variable for that command.
  - ``output`` / ``text``: shown only (or checked, after a ``python`` block).
  - anything else needs one of the comments above.

* ``<!-- server: NAME -->`` on a line of its own (anywhere in the page) starts the
  server ``NAME`` of :data:`SERVERS` before the page's first block and stops it after
  the last; every block and command of the page runs with the environment variables
  it gives (``moto``: AWS's, pointed at a local moto server).

* Expected output: a line holding only ``...`` matches any number of lines,
  and ``...`` inside a line matches any text.  The project directory's
  absolute path is shown as ``/home/me/project`` (and a command may use that
  path: it is replaced with the real one before the command runs); two or more spaces between
  words compare equal (table columns are padded to fit the real paths).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import attrs

from stagecraft.testing.fixtures import runs_a_command  # it becomes COMMAND: run in bash

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the copy of tomli that setuptools vendors
    from setuptools.extern import tomli as tomllib  # type: ignore[import-untyped,unused-ignore]

#: How the page's project directory appears in the docs.
SHOWN_PROJECT = "/home/me/project"

_SERVER = re.compile(r"^<!--\s*server:\s*([\w.-]+)\s*-->$", re.MULTILINE)

#: Servers a page can ask for: NAME -> "module:function", a context manager that
#: takes a work directory, starts the server and yields the environment variables
#: that point clients at it.  The modules are test helpers on pytest's pythonpath.
SERVERS = {"moto": "moto_server:page_environment"}
SERVERS["bao"] = "vault_helpers:page_environment"  # an OpenBao dev server (contrib/vault)
SERVERS["github"] = "fake_github:page_environment"  # a fake of GitHub's API (contrib/github)

_DIRECTIVE = re.compile(r"^<!--\s*(file|append|not-run):\s*(.*?)\s*-->$")
_FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)\s*(.*)$")
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

SHOWN_ONLY = ("output", "text")
_SHELL_SYNTAX = ("|", "&", ";", ">", "<", "`")
APPEND_SEPARATOR = "\n\n"
_GAPS = re.compile(r"(?<=\S) {2,}")


class DocsError(AssertionError):
    """A page breaks the conventions, or a block did not do what the page says."""


@attrs.frozen
class Block:
    """One fenced code block and the directive before it, if any."""

    lang: str
    text: str
    line: int  # 1-based line of the opening fence
    directive: str | None = None  # "file", "append" or "not-run"
    argument: str = ""


def parse_blocks(markdown: str) -> list[Block]:
    """Every fenced block of ``markdown``, with the directive comment above it."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    previous = ""  # the last non-blank line outside a block
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line.strip()) if line.lstrip().startswith("```") else None
        if fence is None:
            if line.strip():
                previous = line.strip()
            index += 1
            continue
        ticks, lang = fence.group(1), fence.group(2).lower()
        indent = len(line) - len(line.lstrip())
        body: list[str] = []
        start = index + 1
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(ticks):
            body.append(lines[index][indent:] if lines[index][:indent].isspace() else lines[index])
            index += 1
        if index >= len(lines):
            raise DocsError(f"line {start}: code block is never closed")
        index += 1
        directive = _DIRECTIVE.match(previous)
        blocks.append(
            Block(
                lang=lang,
                text="\n".join(body) + "\n" if body else "",
                line=start,
                directive=directive.group(1) if directive else None,
                argument=directive.group(2) if directive else "",
            )
        )
        previous = ""
    return blocks


def expected_matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` output is what ``expected`` shows (with ``...`` wildcards)."""
    pattern = []
    for line in _normalise(expected).splitlines():
        if line.strip() == "...":
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            pattern.append(".*?".join(re.escape(part) for part in line.split("...")) + r"\n")
    return re.fullmatch("".join(pattern), _normalise(actual) + "\n" if actual.strip() else "") \
        is not None


def _normalise(text: str) -> str:
    # Table columns are padded to the longest cell, and a path in a cell is
    # longer on the test machine than as shown: compare runs of spaces
    # between cells as one column gap.
    lines = [_GAPS.sub("  ", line.rstrip()) for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def without_comment(line: str) -> str:
    """``line`` without a shell comment: ``#`` starting a word, outside quotes, as bash reads it."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
    return line


@attrs.define
class Command:
    """One ``$ ...`` line of a console block and the output shown after it."""

    line: str
    expected: str
    number: int  # line in the page


def parse_console(block: Block) -> list[Command]:
    commands: list[Command] = []
    for offset, raw in enumerate(block.text.splitlines()):
        if raw.startswith("$ "):
            commands.append(Command(raw[2:].strip(), "", block.line + 1 + offset))
        elif not commands:
            raise DocsError(
                f"line {block.line}: a console block must start with a `$ ` command"
            )
        else:
            commands[-1].expected += raw + "\n"
    return commands


class PageRun:
    """Runs one page's blocks in order inside ``root`` (a fresh temporary directory)."""

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.root = root
        self.project = root / "project"
        self.project.mkdir(parents=True, exist_ok=True)
        self.site = root / "site-packages"
        self.namespace: dict[str, Any] = {"__name__": f"docs_{Path(name).stem}"}
        self.last_exit = 0
        self.unchecked_failure: Command | None = None
        self._sys_path_added = False

    # -- the page ----------------------------------------------------------------

    def run(self, markdown: str) -> None:
        blocks = parse_blocks(markdown)
        try:
            with contextlib.ExitStack() as servers:
                self.start_servers(markdown, servers)
                self._run_blocks(blocks)
        finally:
            self.cleanup()

    def start_servers(self, markdown: str, stack: contextlib.ExitStack) -> None:
        """Start the servers the page names; their variables apply until ``stack`` closes."""
        import importlib

        env: dict[str, str] = {}
        for name in _SERVER.findall(markdown):
            if name not in SERVERS:
                raise DocsError(f"{self.name}: unknown server {name!r} (known: {sorted(SERVERS)})")
            module, _, function = SERVERS[name].partition(":")
            start = getattr(importlib.import_module(module), function)
            env.update(stack.enter_context(start(self.root / f"server-{name}")))
        if env:
            stack.enter_context(mock.patch.dict(os.environ, env))

    def _run_blocks(self, blocks: list[Block]) -> None:
        skip_next_output = False
        for position, block in enumerate(blocks):
            if skip_next_output:
                skip_next_output = False
                continue
            following = blocks[position + 1] if position + 1 < len(blocks) else None
            skip_next_output = self.run_block(block, following)
        self._check_failure_shown(None)

    def where(self, line: int) -> str:
        return f"{self.name}:{line}"

    def run_block(self, block: Block, following: Block | None) -> bool:
        """Run one block; True when it consumed ``following`` (its output block)."""
        if block.directive in ("file", "append"):
            self._check_failure_shown(None)
            self.write(block)
            return False
        if block.directive == "not-run":
            if not block.argument:
                raise DocsError(f"{self.where(block.line)}: not-run needs a reason")
            return False
        if block.lang == "python":
            self._check_failure_shown(None)
            printed = self.run_python(block)
            if following is not None and following.lang == "output" and not following.directive:
                if not expected_matches(following.text, printed):
                    raise DocsError(
                        f"{self.where(following.line)}: the python block above printed\n"
                        f"{printed}\nbut the page shows\n{following.text}"
                    )
                return True
            return False
        if block.lang == "console":
            for command in parse_console(block):
                self.run_command(command)
            return False
        if block.lang in SHOWN_ONLY:
            return False
        raise DocsError(
            f"{self.where(block.line)}: a ```{block.lang or '(no language)'} block must be "
            "preceded by <!-- file: PATH --> or <!-- not-run: reason -->"
        )

    def write(self, block: Block) -> None:
        path = self.project / block.argument
        if not block.argument or Path(block.argument).is_absolute() or ".." in Path(
            block.argument
        ).parts:
            raise DocsError(f"{self.where(block.line)}: bad file path {block.argument!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if block.directive == "append":
            with path.open("a", encoding="utf-8") as handle:
                handle.write(APPEND_SEPARATOR if path.stat().st_size else "")
                handle.write(block.text)
        else:
            path.write_text(block.text, encoding="utf-8")

    # -- python --------------------------------------------------------------------

    def run_python(self, block: Block) -> str:
        code = compile(textwrap.dedent(block.text), self.where(block.line), "exec")
        out = io.StringIO()
        with self._in_project(), contextlib.redirect_stdout(out):
            exec(code, self.namespace)  # noqa: S102 - running the docs is the point
        return out.getvalue()

    # -- console -------------------------------------------------------------------

    def run_command(self, command: Command) -> None:
        self._check_failure_shown(command)
        line = without_comment(command.line.replace(SHOWN_PROJECT, str(self.project)))
        words = shlex.split(line)
        env: dict[str, str] = {}
        while words and _ENV_ASSIGNMENT.match(words[0]):
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        if not words:
            raise DocsError(f"{self.where(command.number)}: empty command")
        if any(mark in line for mark in _SHELL_SYNTAX):
            code, output = self.run_shell(line)  # pipes, &&, redirections: a real shell
        elif words == ["echo", "$?"]:
            code, output = 0, f"{self.last_exit}\n"
        elif words[0] == "stagecraft" and not runs_a_command(words[1:]):
            code, output = self.run_stagecraft(words[1:], env)
        elif words[:2] == ["pip", "install"]:
            code, output = self.pip_install(words[2:], command)
        else:
            code, output = self.run_shell(line)
        output = self._show_paths(output)
        self.last_exit = code
        if code != 0:
            self.unchecked_failure = command
        if not expected_matches(command.expected, output):
            raise DocsError(
                f"{self.where(command.number)}: `{command.line}` printed\n{output}\n"
                f"(exit status {code}) but the page shows\n{command.expected}"
            )

    def _check_failure_shown(self, command: Command | None) -> None:
        failed = self.unchecked_failure
        if failed is None:
            return
        if command is not None and command.line.strip() == "echo $?":
            self.unchecked_failure = None
            return
        raise DocsError(
            f"{self.where(failed.number)}: `{failed.line}` exits {self.last_exit}; "
            "show it with `$ echo $?` right after"
        )

    def run_stagecraft(self, args: list[str], env: dict[str, str]) -> tuple[int, str]:
        from stagecraft import cli
        from stagecraft.providers.secrets import reset_default_registry

        out = io.StringIO()
        with self._in_project(), mock.patch.dict(os.environ, env):
            reset_default_registry()
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                    code = cli.main(args)
            finally:
                reset_default_registry()
        return code, out.getvalue()

    def pip_install(self, args: list[str], command: Command) -> tuple[int, str]:
        if len(args) != 1 or args[0].startswith("-"):
            raise DocsError(f"{self.where(command.number)}: use `pip install DIR`")
        source = self.project / args[0]
        code, output = _pip(
            ["--no-build-isolation", str(source)], self.site, cwd=self.project
        )
        if code != 0 and "bdist_wheel" in output:
            # This setuptools cannot build wheels (no `wheel` package) and the
            # tests must not fetch one: pack the same distribution by hand from
            # its pyproject.toml, then install that wheel with the real pip.
            wheel = build_wheel_from_pyproject(source, self.root / "dist")
            code, output = _pip([str(wheel)], self.site, cwd=self.project)
        if code == 0 and not self._sys_path_added:
            sys.path.insert(0, str(self.site))
            self._sys_path_added = True
        return code, output

    def run_shell(self, line: str) -> tuple[int, str]:
        env = dict(os.environ)
        bin_dir = str(Path(sys.executable).parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        if self._sys_path_added:
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(self.site), env.get("PYTHONPATH", "")) if p
            )
        env.pop("PYTEST_ADDOPTS", None)
        env.pop("PYTEST_CURRENT_TEST", None)
        completed = subprocess.run(
            ["bash", "-c", line],
            cwd=self.project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
        )
        return completed.returncode, completed.stdout

    # -- helpers -------------------------------------------------------------------

    def _show_paths(self, text: str) -> str:
        for path in {str(self.project.resolve()), str(self.project)}:
            text = text.replace(path, SHOWN_PROJECT)
        return text

    @contextlib.contextmanager
    def _in_project(self) -> Iterator[None]:
        before = Path.cwd()
        os.chdir(self.project)
        try:
            yield
        finally:
            os.chdir(before)

    def cleanup(self) -> None:
        """Forget modules the page imported from its directories, and its sys.path entry."""
        if self._sys_path_added:
            with contextlib.suppress(ValueError):
                sys.path.remove(str(self.site))
        root = str(self.root)
        for name, module in list(sys.modules.items()):
            if (getattr(module, "__file__", None) or "").startswith(root):
                del sys.modules[name]
        import importlib

        importlib.invalidate_caches()



def _pip(args: list[str], target: Path, *, cwd: Path) -> tuple[int, str]:
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--disable-pip-version-check",
         "--no-index", "--no-deps", "--target", str(target), *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
    )
    return completed.returncode, completed.stdout


def build_wheel_from_pyproject(source: Path, out_dir: Path) -> Path:
    """A pure-Python wheel of the distribution in ``source``, from its ``[project]`` table.

    Only what the tutorial uses: name, version, dependencies, entry points
    and ``tool.setuptools`` ``py-modules`` / ``packages``.
    """
    import base64
    import hashlib
    import zipfile

    data = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    name, version = project["name"], project["version"]
    stem = re.sub(r"[-_.]+", "_", name)
    info = f"{stem}-{version}.dist-info"
    setuptools_table = data.get("tool", {}).get("setuptools", {})
    files: dict[str, bytes] = {}
    for module in setuptools_table.get("py-modules", []):
        files[f"{module}.py"] = (source / f"{module}.py").read_bytes()
    for package in setuptools_table.get("packages", []):
        for file in sorted((source / package).rglob("*.py")):
            files[file.relative_to(source).as_posix()] = file.read_bytes()
    if not files:
        raise DocsError(f"{source}/pyproject.toml lists no py-modules or packages")
    metadata = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"]
    metadata += [f"Requires-Dist: {dep}\n" for dep in project.get("dependencies", [])]
    files[f"{info}/METADATA"] = "".join(metadata).encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: stagecraft-docs\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    groups = project.get("entry-points", {})
    entry_points = ""
    for group, entries in groups.items():
        entry_points += f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items())
    files[f"{info}/entry_points.txt"] = entry_points.encode()
    record = []
    for path, content in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(content)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{stem}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return wheel
