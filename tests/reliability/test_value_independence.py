"""Oracle-free masking: what the command prints does not depend on what the secrets are.

Two runs that differ only in the values of the same keys must print exactly
the same thing, on every output path: plans, summaries, ``-v`` narration,
``--json``, and failures where a store echoes a value (whole and cut short)
in its error and prints it.  No expected output is written down: a value
that leaks, is masked in part, or makes structural text change shape (a
value equal to ``envfile`` or ``added``) makes the two runs differ.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import scaled

from stagecraft import cli
from stagecraft.redact import MIN_LENGTH
from stagecraft.testing import write_env_file

KEYS = ("ALPHA", "BRAVO", "CHARLIE")

ECHO_PLUGIN = '''
import stagecraft

class Echo(stagecraft.SecretStore):
    id = "echo"
    writes_one_by_one = True

    def read(self, ctx, location, keys):
        return {}

    def write_one(self, ctx, location, key, value):
        print("storing", key, value)
        if key == "BRAVO":
            raise stagecraft.ProviderError(f"rejected {value!r}, starting {value[:12]!r}")

@stagecraft.hookimpl
def secrets_provider_register():
    return Echo()
'''

#: Values as users have them, and words the command itself prints.  Values shorter
#: than the redactor's MIN_LENGTH are not masked (docs/security.md says so), so none
#: is generated here.
VALUES = st.one_of(
    st.sampled_from(["envfile", "added", "updated", "error", "stagecraft", "info", "100",
                     "target.env", "source.env", "echo", "ALPHA", "sync", "***"]),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126,
                                   blacklist_characters="\"'\\$#`"),
            min_size=MIN_LENGTH, max_size=40),
).filter(lambda value: not _in_free_text(value))

#: What the echo store writes in its own (free) text besides values.  A value equal
#: to part of it is masked there, by design: free text cannot tell a value from a
#: word that happens to equal it.  The property is about the command's own text.
FREE_WORDS = ("storing", "rejected", "starting", *KEYS)


def _in_free_text(value: str) -> bool:
    return any(value in word or word.startswith(value[:8]) or word.endswith(value[-8:])
               for word in FREE_WORDS)

COMMANDS = [
    ("secrets", "sync", "--provider", "envfile", "--from", "source.env", "--to", "target.env"),
    ("-v", "secrets", "sync", "--provider", "envfile", "--from", "source.env",
     "--to", "target.env", "--json", "--dry-run"),
    ("-v", "secrets", "sync", "--from", "source.env", "--to", "echo:anywhere"),
    ("secrets", "sync", "--from", "source.env", "--to", "echo:anywhere", "--json"),
]


def outputs(root: Path, values: dict[str, str]) -> list[tuple[int, str, str]]:
    """Every command's exit code, stdout and stderr, in a fresh directory for these values."""
    root.mkdir()
    (root / "plugins").mkdir()
    (root / "plugins" / "echo.py").write_text(ECHO_PLUGIN)
    write_env_file(root / "source.env", values)
    found = []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("STAGECRAFT_LOAD_PLUGINS", "envfile")
        for argv in COMMANDS:
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main(["--plugins-dir", "plugins", *argv])
            found.append((code, out.getvalue(), err.getvalue()))
    return found


@settings(max_examples=scaled(12, 60), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.lists(VALUES, min_size=3, max_size=3, unique=True),
       second=st.lists(VALUES, min_size=3, max_size=3, unique=True))
def test_output_is_the_same_whatever_the_values(
    tmp_path_factory: pytest.TempPathFactory, first: list[str], second: list[str]
) -> None:
    base = tmp_path_factory.mktemp("values")
    one = outputs(base / "one", dict(zip(KEYS, first, strict=True)))
    two = outputs(base / "two", dict(zip(KEYS, second, strict=True)))
    # The directories differ by name only: make the paths equal before comparing.
    two = [(code, out.replace("/two", "/one"), err.replace("/two", "/one"))
           for code, out, err in two]
    assert one == two
    assert [code for code, _, _ in one] == [0, 0, 2, 2]
