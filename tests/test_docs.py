"""The documentation in ``docs/`` is executed: every code block runs or is marked as output.

Conventions for writing a page (implemented in ``tests/docs_runner.py``):

* ```` ```python ```` blocks are executed.  The blocks of one page share a
  namespace and run in order, in a fresh temporary project directory that is
  the working directory.  An ```` ```output ```` block right after a python
  block must equal what the python block printed.
* ```` ```console ```` blocks hold ``$ COMMAND`` lines followed by the output
  they print (stdout and stderr together, as a terminal shows them); the
  commands run for real in the page's project directory and their output is
  compared.  ``$ stagecraft ...`` runs the command in-process (``stagecraft run ...
  -- COMMAND`` in bash: it becomes COMMAND); ``$ echo $?``
  shows the previous exit status, and must follow every command that exits
  non-zero; ``$ pip install DIR`` installs a distribution the page wrote into a
  private directory that the page's later commands see; other commands run in
  bash.  ``NAME=value`` before a command sets an environment variable.
* ``<!-- file: PATH -->`` on the line before a block (of any language) writes
  the block to ``PATH`` in the project directory, ``<!-- append: PATH -->``
  appends it after two blank lines (to build a module step by step).  That is how a page sets up
  ``stagecraft.yml``, env files, plugin modules and a ``pyproject.toml``.
* ```` ```output ```` / ```` ```text ```` blocks are shown only.  Any other
  block (toml, yaml, ini, ...) must be written to a file as above or carry
  ``<!-- not-run: REASON -->`` (sparingly).
* In expected output, a line holding only ``...`` matches any lines and
  ``...`` inside a line matches any text; the project directory's absolute
  path is shown as ``/home/me/project``; runs of two or more spaces between
  words compare equal (table columns are padded to fit the real paths).
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _load_runner() -> ModuleType:
    # tests/ is not a package and pytest uses --import-mode=importlib: load by path.
    name = "stagecraft_docs_runner"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(
            "docs_runner.py"))
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


runner = _load_runner()


def _pages() -> list[Path]:
    return sorted(
        path for path in DOCS.rglob("*.md") if "example" not in path.relative_to(DOCS).parts
    )


def _page_id(path: Path) -> str:
    return path.relative_to(DOCS).as_posix()


PAGES = _pages()


@pytest.mark.parametrize("page", PAGES, ids=[_page_id(p) for p in PAGES])
def test_page_runs(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A page's commands may keep state in the user's directories (the write
    # record of write-only stores): give each page its own, never the real home.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    runner.PageRun(_page_id(page), tmp_path).run(page.read_text(encoding="utf-8"))


def test_readme_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's commands run as written in a clone: its project directory holds
    a copy of the repository's ``plugins/``, as the clone's root does."""
    import shutil

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    shutil.copytree(ROOT / "plugins", tmp_path / "project" / "plugins")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--plugins-dir plugins" in readme  # the copy above is what it relies on
    runner.PageRun("README.md", tmp_path).run(readme)


def test_a_comment_after_a_command_is_left_out() -> None:
    assert runner.without_comment("stagecraft sync --check   # in CI") == "stagecraft sync --check"
    assert runner.without_comment("echo 'a # b' \"c#d\" e#f") == "echo 'a # b' \"c#d\" e#f"


# --------------------------------------------------------------- pages and links


EXPECTED_PAGES = [
    "index.md",
    "getting-started.md",
    "configuration.md",
    "commands.md",
    "providers/envfile.md",
    "providers/encore.md",
    "providers/vault.md",
    "providers/aws.md",
    "providers/github.md",
    "providers/age.md",
    "writing-a-provider.md",
    "exec-protocol.md",
    "composing-plugins.md",
    "hooks.md",
    "api.md",
    "security.md",
    "architecture.md",
]

_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_page_exists_and_is_linked_from_the_index() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    linked = set(_LINK.findall(index))
    for page in EXPECTED_PAGES:
        assert (DOCS / page).is_file(), f"docs/{page} is missing"
        if page != "index.md":
            assert page in linked, f"docs/index.md does not link {page}"


# Every Markdown file a reader can follow links from: the README and all of docs/.
LINKED_PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]

_INLINE_LINK = re.compile(r"\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def prose_lines(text: str) -> list[str]:
    """The lines of a Markdown page outside fenced code blocks, inline code blanked."""
    lines: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        opening = _FENCE_LINE.match(line)
        if fence is None and opening:
            fence = opening.group(1)[0] * len(opening.group(1))
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None:
            lines.append(re.sub(r"`+[^`]*`+", lambda code: " " * len(code.group()), line)
                         if "](" in line else line)
    return lines


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text lowercased, punctuation other than
    ``-`` and ``_`` dropped, each space a hyphen (duplicates are numbered by
    :func:`anchors`)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts as its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading anchor of a page, ``-1``, ``-2``... for repeated ones, as GitHub numbers
    them, and explicit ``<a id="...">`` / ``<a name="...">`` targets."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose_lines(text):
        heading = _HEADING.match(line)
        if heading:
            slug = github_slug(heading.group(2))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
        found.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", line))
    return found


def broken_links(page: Path) -> list[str]:
    """The internal links of ``page`` whose file or anchor does not exist."""
    broken: list[str] = []
    for line in prose_lines(page.read_text(encoding="utf-8")):
        for target in _INLINE_LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            path_part, _, fragment = target.partition("#")
            linked = (page.parent / path_part).resolve() if path_part else page
            if not linked.exists():
                broken.append(f"{target}: no such file")
            elif fragment and linked.suffix == ".md" and fragment not in anchors(
                    linked.read_text(encoding="utf-8")):
                broken.append(f"{target}: no heading with that anchor in {linked.name}")
    return broken


@pytest.mark.parametrize("page", LINKED_PAGES,
                         ids=[p.relative_to(ROOT).as_posix() for p in LINKED_PAGES])
def test_internal_links_and_anchors_resolve(page: Path) -> None:
    assert broken_links(page) == []


def test_the_link_check_finds_broken_files_and_anchors(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text(
        "# Other page\n\n## `--prune` and Ctrl-C, again\n\n## Setup\n\n## Setup\n\n"
        "```console\n# not a heading\n```\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n[ok](other.md#--prune-and-ctrl-c-again) [ok](other.md#setup-1)\n"
        "[ok](#title) [ok](https://example.com/x.md#nope) `[code](missing.md)`\n"
        "[bad](missing.md) [bad](other.md#setup-2) [bad](#nope) [bad](other.md#not-a-heading)\n"
        "```\n[in a code block](missing.md)\n```\n")
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#setup-2: no heading with that anchor in other.md",
        "#nope: no heading with that anchor in page.md",
        "other.md#not-a-heading: no heading with that anchor in other.md",
    ]
    assert github_slug("Partial failures, `--timeout` and Ctrl-C") == (
        "partial-failures---timeout-and-ctrl-c")
    assert github_slug("8. Test it with the store contract") == "8-test-it-with-the-store-contract"


# --------------------------------------------------------------- hooks reference


def hookspec_names(module: ModuleType) -> list[str]:
    """Functions of ``module`` marked with its ``hookspec`` marker."""
    marker = f"{module.PROJECT_NAME}_spec"
    return sorted(
        name
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if hasattr(function, marker)
    )


def undocumented_hooks(module: ModuleType, page: str) -> list[str]:
    """Hookspecs of ``module`` without a ``## `name(...)``` section naming every argument."""
    missing = []
    for name in hookspec_names(module):
        heading = re.search(rf"^## `{name}\((.*?)\)`", page, flags=re.MULTILINE)
        arguments = list(inspect.signature(getattr(module, name)).parameters)
        if heading is None or [a.strip() for a in heading.group(1).split(",") if a.strip()] \
                != arguments:
            missing.append(name)
    return missing


def test_hooks_page_documents_every_hookspec() -> None:
    from stagecraft import hookspecs

    names = hookspec_names(hookspecs)
    assert "secrets_sync" in names  # the detection itself works
    page = (DOCS / "hooks.md").read_text(encoding="utf-8")
    assert undocumented_hooks(hookspecs, page) == []


def test_hooks_check_fails_for_a_new_hookspec() -> None:
    """The check above would catch a hookspec added without docs."""
    from stagecraft import hookspecs

    fake = ModuleType("fake_hookspecs")
    fake.PROJECT_NAME = hookspecs.PROJECT_NAME  # type: ignore[attr-defined]

    @hookspecs.hookspec
    def secrets_rotate(provider: object, keys: object) -> None:
        """A hook nobody documented."""

    fake.secrets_rotate = secrets_rotate  # type: ignore[attr-defined]
    fake.secrets_sync = hookspecs.secrets_sync  # type: ignore[attr-defined]
    page = (DOCS / "hooks.md").read_text(encoding="utf-8")
    assert undocumented_hooks(fake, page) == ["secrets_rotate"]
    assert undocumented_hooks(fake, page.replace("## `secrets_sync(", "## `sync(")) == [
        "secrets_rotate",
        "secrets_sync",
    ]


# --------------------------------------------------------------- tutorial and discovery


def _written_files(page: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for block in runner.parse_blocks(page.read_text(encoding="utf-8")):
        if block.directive == "file":
            files[block.argument] = block.text
        elif block.directive == "append":
            before = files.get(block.argument, "")
            separator = runner.APPEND_SEPARATOR if before else ""
            files[block.argument] = before + separator + block.text
    return files


def test_tutorial_builds_the_jsonfile_example_plugin() -> None:
    files = _written_files(DOCS / "writing-a-provider.md")
    modules = [text for path, text in files.items() if path.endswith("stagecraft_jsonfile.py")]
    assert len(modules) == 1, "the tutorial must write stagecraft_jsonfile.py once"
    expected = (ROOT / "plugins" / "jsonfile.py").read_text(encoding="utf-8")
    assert modules[0] == expected, "the tutorial's final module differs from plugins/jsonfile.py"
    pyprojects = [text for path, text in files.items() if path.endswith("pyproject.toml")]
    assert any("[project.entry-points.stagecraft]" in text for text in pyprojects)


def test_tutorial_shows_the_dirstore_example_plugin() -> None:
    """The in-house store the tutorial runs is plugins/dirstore.py, unchanged."""
    files = _written_files(DOCS / "writing-a-provider.md")
    modules = [text for path, text in files.items() if path.endswith("/dirstore.py")]
    assert len(modules) == 1, "the tutorial must write dirstore.py once"
    expected = (ROOT / "plugins" / "dirstore.py").read_text(encoding="utf-8")
    assert modules[0] == expected, "the tutorial's dirstore.py differs from plugins/dirstore.py"


def _numbered_items(text: str) -> list[str]:
    items: list[str] = []
    for line in text.splitlines():
        match = re.match(r"^\s*(\d+)\.\s+(.*)", line)
        if match:
            items.append(match.group(2))
        elif items and line.strip() and line.startswith(" "):
            items[-1] += " " + line.strip()
        elif items and not line.strip():
            continue
        elif items:
            break
    return items


def test_discovery_order_matches_the_plugin_manager() -> None:
    from stagecraft import plugins

    code_items = _numbered_items(plugins.__doc__ or "")
    page = (DOCS / "composing-plugins.md").read_text(encoding="utf-8")
    section = page.split("## Discovery order", 1)[1]
    doc_items = _numbered_items(section)
    assert len(code_items) == 6
    assert len(doc_items) == len(code_items)
    for number, (code, doc) in enumerate(zip(code_items, doc_items, strict=True), start=1):
        for name in re.findall(r"``(.+?)``", code):
            assert f"`{name}`" in doc, f"discovery step {number} of the docs lacks `{name}`"


# --------------------------------------------------------------- the runner itself


def _run(tmp_path: Path, markdown: str) -> None:
    runner.PageRun("test.md", tmp_path).run(markdown)


def test_runner_rejects_an_unmarked_config_block(tmp_path: Path) -> None:
    with pytest.raises(runner.DocsError, match="must be preceded by"):
        _run(tmp_path, "```yaml\nsecrets: {}\n```\n")


def test_runner_compares_command_output(tmp_path: Path) -> None:
    page = "<!-- file: a.txt -->\n```ini\nA=1\n```\n\n```console\n$ cat a.txt\nA=2\n```\n"
    with pytest.raises(runner.DocsError, match="printed"):
        _run(tmp_path / "bad", page)
    _run(tmp_path / "good", page.replace("A=2\n```\n", "A=1\n```\n", 1).replace(
        "$ cat a.txt\nA=1", "$ cat a.txt\nA=1"))


def test_runner_requires_failures_to_show_their_exit_status(tmp_path: Path) -> None:
    failing = "```console\n$ stagecraft secrets sync --provider nope\n...\n```\n"
    with pytest.raises(runner.DocsError, match=r"show it with `\$ echo \$\?`"):
        _run(tmp_path / "a", failing)
    _run(tmp_path / "b", failing.replace("...\n```", "...\n$ echo $?\n1\n```"))
    with pytest.raises(runner.DocsError):
        _run(tmp_path / "c", failing.replace("...\n```", "...\n$ echo $?\n2\n```"))


def test_runner_checks_python_output(tmp_path: Path) -> None:
    page = "```python\nprint(6 * 7)\n```\n\n```output\n{}\n```\n"
    _run(tmp_path / "a", page.format(42))
    with pytest.raises(runner.DocsError, match="python block above printed"):
        _run(tmp_path / "b", page.format(41))


def test_wildcards() -> None:
    assert runner.expected_matches("a\n...\nd\n", "a\nb\nc\nd\n")
    assert runner.expected_matches("x ... z\n", "x yyy z\n")
    assert not runner.expected_matches("a\nd\n", "a\nb\nd\n")
    assert runner.expected_matches("", "")
    assert not runner.expected_matches("", "noise\n")
