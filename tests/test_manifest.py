"""The manifest in stagecraft.yml: environments, declared keys, named syncs, and their rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import error_of, load_text

from stagecraft import config
from stagecraft.config import (
    ConfigFileError,
    DeclaredKey,
    Environment,
    Manifest,
    MissingDeclaredKeysError,
    NamedSync,
    ResolvedLocation,
    applicable_keys,
    keys_for_sync,
    require_values,
    required_in,
    resolve_location,
)
from stagecraft.providers.secrets import Context, Registry, SyncOptions, SyncResult

MANIFEST = """\
secrets:
  environments:
    dev: envfile:.env.local
    staging: vault:secret/myapp/staging
    prod: aws-sm:myapp/prod/
    encore-prod: encore:production
  keys:
    DATABASE_URL:
      description: Postgres connection string
      required: true
    STRIPE_API_KEY:
      required: [staging, prod, encore-prod]
    SENTRY_DSN: {required: false}
    PLAIN:
  syncs:
    promote:
      from: dev
      to: staging
      keys: ["*"]
      exclude: ["LOCAL_*"]
      prune: false
    backup:
      from: prod
      to: envfile:backup.env
"""


class Provider:
    def __init__(self, provider_id: str) -> None:
        self.id = provider_id

    def sync(self, ctx: Context, opts: SyncOptions) -> SyncResult:
        return SyncResult()


# ------------------------------------------------------------------ the model


def test_the_pinned_grammar_loads_into_the_manifest(tmp_path: Path) -> None:
    manifest = load_text(tmp_path, MANIFEST).manifest
    assert manifest.environments == {
        "dev": Environment("dev", "envfile", ".env.local"),
        "staging": Environment("staging", "vault", "secret/myapp/staging"),
        "prod": Environment("prod", "aws-sm", "myapp/prod/"),
        "encore-prod": Environment("encore-prod", "encore", "production"),
    }
    assert str(manifest.environments["staging"]) == "vault:secret/myapp/staging"
    assert manifest.keys == (
        DeclaredKey("DATABASE_URL", "Postgres connection string", True),
        DeclaredKey("STRIPE_API_KEY", "", frozenset({"staging", "prod", "encore-prod"})),
        DeclaredKey("SENTRY_DSN", "", False),
        DeclaredKey("PLAIN", "", True),
    )
    assert manifest.syncs == (
        NamedSync("promote", "dev", "staging", ("*",), ("LOCAL_*",), False),
        NamedSync("backup", "prod", "envfile:backup.env"),
    )
    assert manifest.sync("backup") is manifest.syncs[1]
    assert manifest.sync("nope") is None
    assert manifest.keys_file is None


def test_a_config_without_a_manifest_has_an_empty_one(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, "secrets:\n  provider: envfile\n  from: .env.local\n")
    assert loaded.manifest == Manifest()
    assert not loaded.manifest.declares_keys


def test_required_in_each_environment() -> None:
    everywhere = DeclaredKey("A")
    nowhere = DeclaredKey("B", required=False)
    some = DeclaredKey("C", required=frozenset({"prod"}))
    assert [everywhere.is_required_in(e) for e in ("prod", "dev", None)] == [True] * 3
    assert [nowhere.is_required_in(e) for e in ("prod", "dev", None)] == [False] * 3
    assert [some.is_required_in(e) for e in ("prod", "dev", None)] == [True, False, False]


# ------------------------------------------------------- declared keys guard every sync


def guarded() -> Manifest:
    return Manifest(keys=(
        DeclaredKey("DATABASE_URL"),
        DeclaredKey("STRIPE_API_KEY", required=frozenset({"prod"})),
        DeclaredKey("SENTRY_DSN", required=False),
        DeclaredKey("LOCAL_DEBUG"),
    ))


def test_a_sync_without_keys_copies_the_declared_keys_or_everything() -> None:
    source = {"DATABASE_URL", "SENTRY_DSN", "STRAY"}
    assert keys_for_sync(guarded(), None, source) == ["DATABASE_URL", "SENTRY_DSN"]
    assert keys_for_sync(guarded(), None, {"STRAY"}) == []  # nothing to copy, not everything
    assert keys_for_sync(guarded(), ("STRIPE_*",), source) == ["STRIPE_*"]
    assert keys_for_sync(Manifest(), None, source) is None


def test_applicable_keys_follow_the_syncs_names_globs_and_excludes() -> None:
    names = [key.name for key in applicable_keys(guarded(), None, ["LOCAL_*"])]
    assert names == ["DATABASE_URL", "STRIPE_API_KEY", "SENTRY_DSN"]
    names = [key.name for key in applicable_keys(guarded(), ["*_KEY", "DATABASE_URL"])]
    assert names == ["DATABASE_URL", "STRIPE_API_KEY"]
    assert applicable_keys(Manifest(), None) == []


def test_required_keys_depend_on_the_target_environment() -> None:
    keys = applicable_keys(guarded(), None, ["LOCAL_*"])
    assert required_in(keys, "prod") == ["DATABASE_URL", "STRIPE_API_KEY"]
    assert required_in(keys, "dev") == ["DATABASE_URL"]
    assert required_in(keys, None) == ["DATABASE_URL"]  # no environment: required everywhere


def test_a_source_missing_required_keys_is_refused_naming_them() -> None:
    keys = applicable_keys(guarded(), None, ["LOCAL_*"])
    with pytest.raises(MissingDeclaredKeysError) as info:
        require_values(required_in(keys, "prod"), {"SENTRY_DSN": "x"},
                       "dev (envfile:.env.local)", "prod")
    assert str(info.value) == (
        "dev (envfile:.env.local): missing declared key(s) required in prod: DATABASE_URL, "
        "STRIPE_API_KEY; nothing was written (is this the right source?)"
    )
    assert info.value.exit_code == 1
    assert info.value.keys == ("DATABASE_URL", "STRIPE_API_KEY")
    with pytest.raises(MissingDeclaredKeysError, match="required everywhere: DATABASE_URL;"):
        require_values(required_in(keys, None), {}, ".env.empty", None)
    require_values(required_in(keys, "dev"), {"DATABASE_URL": "x"}, "dev", "dev")  # no error


def test_a_template_holding_required_keys_empty_is_refused_like_a_source_lacking_them() -> None:
    """`.env.example` as the source would blank every secret of the target."""
    keys = applicable_keys(guarded(), None, ["LOCAL_*"])
    with pytest.raises(MissingDeclaredKeysError) as info:
        require_values(required_in(keys, "prod"), {"DATABASE_URL": "", "STRIPE_API_KEY": "sk"},
                       ".env.example", "prod")
    assert info.value.keys == ("DATABASE_URL",)
    assert info.value.empty == ("DATABASE_URL",)
    assert str(info.value) == (
        ".env.example: missing declared key(s) required in prod: DATABASE_URL (empty in the "
        "source: DATABASE_URL); nothing was written (is this the right source?)"
    )


# ----------------------------------------------------------------- keys: FILE


def test_keys_from_an_example_file_with_descriptions(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / ".env.example").write_text(
        "# Settings for the app\n"
        "\n"
        "# Postgres connection string\n"
        "DATABASE_URL=postgres://localhost/app\n"
        "export STRIPE_API_KEY=\n"
        "#   Error reporting   \n"
        'SENTRY_DSN="https://example.invalid/1"\n'
        "# a heading, not a description\n"
        "\n"
        "PORT=8000 # inline comments are no description\n"
    )
    loaded = load_text(tmp_path, "secrets:\n  keys: app/.env.example\n")
    assert loaded.manifest.keys == (
        DeclaredKey("DATABASE_URL", "Postgres connection string"),
        DeclaredKey("STRIPE_API_KEY", ""),
        DeclaredKey("SENTRY_DSN", "Error reporting"),
        DeclaredKey("PORT", ""),
    )
    assert loaded.manifest.keys_file == "app/.env.example"


def test_an_example_file_read_by_the_full_parser_keeps_its_descriptions(tmp_path: Path) -> None:
    """Escapes and multi-line values send the file through the full parser; same answer."""
    (tmp_path / ".env.example").write_bytes(
        b'\xef\xbb\xbf# The signing key\r\nPEM="-----BEGIN\\nKEY-----"\r\n'
        b"# Multi-line\r\nCERT='a\r\nb'\r\n# Last\r\nTOKEN=x"
    )
    keys = load_text(tmp_path, "secrets:\n  keys: .env.example\n").manifest.keys
    assert keys == (
        DeclaredKey("PEM", "The signing key"),
        DeclaredKey("CERT", "Multi-line"),
        DeclaredKey("TOKEN", "Last"),
    )


def test_a_malformed_example_file_names_the_file_and_its_line(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text("A=1\nB='s3cr3t-canary\n")
    message = error_of(tmp_path, "secrets:\n  provider: envfile\n  keys: .env.example\n")
    assert message.startswith("stagecraft.yml:3:9: secrets.keys: .env.example:2: ")
    assert "s3cr3t-canary" not in message
    (tmp_path / ".env.example").write_text("GOOD=1\nnot a key=1\n")
    assert error_of(tmp_path, "secrets:\n  keys: .env.example\n").startswith(
        "stagecraft.yml:2:9: secrets.keys: .env.example:2: "
    )


def test_a_missing_example_file_is_a_config_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, "secrets:\n  keys: .env.exmaple\n")
    assert message == (
        f"stagecraft.yml:2:9: secrets.keys: {tmp_path / '.env.exmaple'}: "
        "example env file not found"
    )


# ---------------------------------------------------------------- config errors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "secrets:\n  environments:\n    dev: envfile:.env\n  syncs:\n"
            "    promote: {from: dve, to: envfile:out.env}\n",
            "stagecraft.yml:5:21: secrets.syncs.promote.from: unknown environment 'dve' "
            "(did you mean 'dev'?) (environments: dev); for a file, write ./dve or "
            "envfile:dve",
            id="sync-unknown-environment",
        ),
        pytest.param(
            "secrets:\n  syncs:\n    s: {from: ./a.env, to: staging}\n",
            "stagecraft.yml:3:28: secrets.syncs.s.to: unknown environment 'staging' "
            "(environments: none declared in secrets.environments); for a file, write "
            "./staging or envfile:staging",
            id="sync-without-environments",
        ),
        pytest.param(
            "secrets:\n  environments:\n    dev: envfile:.env\n    prod: vault:app\n"
            "  keys:\n    A:\n      required: [prod, stagign]\n",
            "stagecraft.yml:7:24: secrets.keys.A.required[1]: unknown environment 'stagign' "
            "(environments: dev, prod)",
            id="required-unknown-environment",
        ),
        pytest.param(
            "secrets:\n  from: .env.local\n  to: envfile:.env\n  syncs:\n"
            "    s: {from: ./a, to: ./b}\n",
            "stagecraft.yml:2:3: secrets.from: cannot be used together with secrets.syncs "
            "(line 4): give each sync its own from and to\n"
            "stagecraft.yml:3:3: secrets.to: cannot be used together with secrets.syncs "
            "(line 4): give each sync its own from and to",
            id="from-to-with-syncs",
        ),
        pytest.param(
            "secrets:\n  keys:\n    - .env.example\n    - EXTRA: {required: false}\n",
            "stagecraft.yml:3:5: secrets.keys: keys given both as a file (line 3) and inline "
            "(line 4): write either `keys: FILE` or a mapping of keys, not both",
            id="keys-file-and-inline",
        ),
        pytest.param(
            "secrets:\n  keys: .env.example\n  keys: {A: }\n",
            "stagecraft.yml:3:3: secrets.keys: duplicate key (first defined on line 2)",
            id="keys-twice",
        ),
        pytest.param(
            "secrets:\n  keys: [A, B]\n",
            "stagecraft.yml:2:9: secrets.keys: expected a path to an example env file or a "
            "mapping of keys, got a list",
            id="keys-list",
        ),
        pytest.param(
            "secrets:\n  keys: 12\n",
            "stagecraft.yml:2:9: secrets.keys: expected a path to an example env file or a "
            "mapping of keys, got an integer",
            id="keys-number",
        ),
        pytest.param(
            "secrets:\n  keys:\n    A: {required: yes}\n    B: {descripton: x}\n",
            "stagecraft.yml:3:19: secrets.keys.A.required: expected true, false or a list of "
            "environment names, got a string\n"
            "stagecraft.yml:4:9: secrets.keys.B.descripton: unknown key (did you mean "
            "'description'?); allowed: description, required",
            id="key-spec",
        ),
        pytest.param(
            "secrets:\n  environments:\n    my env: envfile:.env\n    -x: envfile:.env\n",
            "stagecraft.yml:3:5: secrets.environments.my env: not a valid environment name: "
            "use letters, digits, '-', '_' and '.', starting with a letter or digit\n"
            "stagecraft.yml:4:5: secrets.environments.-x: not a valid environment name: "
            "use letters, digits, '-', '_' and '.', starting with a letter or digit",
            id="bad-environment-names",
        ),
        pytest.param(
            "secrets:\n  environments:\n    dev: .env.local\n",
            "stagecraft.yml:3:10: secrets.environments.dev: expected ID:LOCATION of a store "
            "(envfile:.env.local, vault:secret/app)",
            id="environment-without-store",
        ),
        pytest.param(
            "secrets:\n  environments:\n    dev: [envfile]\n",
            "stagecraft.yml:3:10: secrets.environments.dev: expected a string, got a list",
            id="environment-not-a-string",
        ),
        pytest.param(
            "secrets:\n  syncs:\n    s:\n      from: ./a\n      to: ./b\n      keys: API_KEY\n"
            "      exclude: [1]\n      prune: yes\n",
            "stagecraft.yml:6:13: secrets.syncs.s.keys: expected a list, got a string\n"
            "stagecraft.yml:7:17: secrets.syncs.s.exclude[0]: expected a string, got an "
            "integer\n"
            "stagecraft.yml:8:14: secrets.syncs.s.prune: expected a boolean, got a string "
            "(write true or false: yes/no/on/off are strings in stagecraft.yml)",
            id="sync-bad-types",
        ),
        pytest.param(
            "secrets:\n  from: 5\n  syncs:\n    s: {from: [a], to: ./b}\n",
            "stagecraft.yml:2:9: secrets.from: expected a string, got an integer\n"
            "stagecraft.yml:4:15: secrets.syncs.s.from: expected a string, got a list",
            id="renamed-keys-are-named-and-located-as-written",
        ),
        pytest.param(
            "secrets:\n  environments:\n    dev: envfile:.env\n  syncs:\n"
            "    s: {from: dev, to: dev}\n",
            "stagecraft.yml:5:24: secrets.syncs.s.to: the same as from: a sync copies "
            "between two places",
            id="sync-to-itself",
        ),
        pytest.param(
            "secrets:\n  syncs:\n    s: {to: ./b}\n",
            "stagecraft.yml:3:8: secrets.syncs.s.from: required key is missing",
            id="sync-without-from",
        ),
        pytest.param(
            "secrets:\n  syncs:\n    bad/name: {from: ./a, to: ./b, keys: ['']}\n",
            "stagecraft.yml:3:5: secrets.syncs.bad/name: not a valid sync name: use letters, "
            "digits, '-', '_' and '.', starting with a letter or digit\n"
            "stagecraft.yml:3:43: secrets.syncs.bad/name.keys[0]: must not be empty",
            id="sync-name-and-empty-pattern",
        ),
        pytest.param(
            "secrets:\n  syncs:\n    s: {from: ./a, to: ./b, keys: []}\n",
            "stagecraft.yml:3:35: secrets.syncs.s.keys: must name at least one key or pattern "
            "(leave keys out for the declared keys, or write ['*'] for all)",
            id="sync-with-an-empty-keys-list",
        ),
    ],
)
def test_manifest_errors_are_at_their_file_line_and_column(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert error_of(tmp_path, text) == expected


def test_sync_endpoints_that_are_locations_need_no_environment(tmp_path: Path) -> None:
    text = "secrets:\n  syncs:\n    s: {from: ./dev, to: 'envfile:dev'}\n"
    assert load_text(tmp_path, text).manifest.syncs == (NamedSync("s", "./dev", "envfile:dev"),)


def test_an_environment_named_like_a_store_is_an_error(tmp_path: Path) -> None:
    loaded = load_text(
        tmp_path, "secrets:\n  environments:\n    vault: envfile:.env\n    dev: envfiel:.env\n"
    )
    with pytest.raises(ConfigFileError) as info:
        config.check_environments(loaded, ["envfile", "vault"])
    assert str(info.value) == (
        "stagecraft.yml:3:5: secrets.environments.vault: an environment must not be named "
        "like a store id; rename it"
    )
    # config check is stricter: every environment's store must be installed.
    registry = Registry([Provider("envfile"), Provider("vault")])
    with pytest.raises(ConfigFileError) as info:
        config.check_sections(loaded, registry)
    assert str(info.value).splitlines() == [
        "stagecraft.yml:3:5: secrets.environments.vault: an environment must not be named "
        "like a store id; rename it",
        "stagecraft.yml:4:10: secrets.environments.dev: 'envfiel' is not a store id "
        "(did you mean 'envfile'?) (stores: envfile, vault)",
    ]
    config.check_environments(loaded, ["envfile"])  # a command does not insist on every store


# ------------------------------------------------------------------ resolution


def test_an_environment_name_resolves_to_its_location() -> None:
    manifest = Manifest(environments={"dev": Environment("dev", "envfile", ".env.local")})
    assert resolve_location("dev", manifest, ["envfile"]) == ResolvedLocation(
        "envfile:.env.local", "dev"
    )


@pytest.mark.parametrize("word", ["./dev", "envfile:dev", "vault:dev", "dir/dev"])
def test_a_path_or_prefixed_location_is_never_an_environment(word: str) -> None:
    manifest = Manifest(environments={"dev": Environment("dev", "vault", "secret/dev")})
    assert resolve_location(word, manifest, ["envfile", "vault"]) == ResolvedLocation(word)


def test_a_word_naming_nothing_gets_a_did_you_mean() -> None:
    manifest = Manifest(environments={"staging": Environment("staging", "vault", "s")})
    stores = ["envfile", "vault"]
    assert resolve_location("stagign", manifest, stores).hint == " (did you mean 'staging'?)"
    assert resolve_location("vualt", manifest, stores).hint == " (did you mean 'vault'?)"
    assert resolve_location(".env.prod", manifest, stores).hint == ""
    assert resolve_location("vault", manifest, stores) == ResolvedLocation("vault")
