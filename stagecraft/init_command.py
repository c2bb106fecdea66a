"""``stagecraft init``: a first ``stagecraft.yml`` from what the project already has.

What it looks at, in the working directory only:

* ``encore.app``: an Encore app, so the ``encore`` provider, with the env
  file found as its source;
* env files (``.env``, ``.env.*``, but not ``.example`` / ``.sample`` /
  ``.template`` / ``.dist`` files, which are meant to be committed): the
  ``envfile`` provider, from the local one (``.env.local`` first) to another
  one (an existing ``.env.staging``-like file, else ``.env``);
* ``--provider ID`` overrides the guess; any installed provider works, its
  section listing the settings of its ``Config`` class as comments.  A store
  with no default location of its own (Vault, AWS: a place, not a file) gets
  ``secrets.from`` (the env file) and, commented out for the user to fill
  in, ``secrets.to`` in its ``ID:LOCATION`` form.
* every env file found also becomes an environment of
  ``secrets.environments``, and ``.env.example`` the declared keys
  (``keys: .env.example``): :mod:`stagecraft.init_manifest` has the rule.

It writes ``stagecraft.yml`` in the working directory, or the file
``--config`` names (paths in it are then relative to that file's
directory, as every path in a config is).  It never overwrites: an existing
file is an error (exit 1) and the file is created exclusively, so two runs
cannot race; a directory it cannot write is one line naming the path
(exit 1).  In a git work tree, every env file it configures, source,
target and environments (all hold secrets), is added to ``.gitignore``
unless git already ignores it, and it says so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs

from stagecraft.config_location import CONFIG_NAME
from stagecraft.errors import StagecraftError, UserError, printable
from stagecraft.providers.secrets import Context
from stagecraft.redact import Structural

__all__ = ["InitReport", "env_files", "initialise"]

_TEMPLATES = (".example", ".sample", ".template", ".dist", ".defaults", ".tmpl")
#: Source env files, most likely first.
_SOURCES = (".env.local", ".env.development.local", ".env.development", ".env.dev", ".env")


@attrs.frozen
class InitReport:
    """What ``init`` did, as lines for the user."""

    path: Path
    lines: tuple[str, ...]


def env_files(directory: Path) -> list[str]:
    """Names of the env files in ``directory`` (templates meant for git left out), sorted."""
    found = []
    for entry in directory.iterdir():
        name = entry.name
        if (name == ".env" or name.startswith(".env.")) and not name.endswith(_TEMPLATES) \
                and entry.is_file():
            found.append(name)
    return sorted(found)


def _source(found: list[str]) -> str | None:
    for name in _SOURCES:
        if name in found:
            return name
    return found[0] if found else None


def _target(found: list[str], source: str) -> str:
    others = [name for name in found if name not in (source, ".env")]
    if others:
        return others[0]
    return ".env" if source != ".env" else ".env.staging"


def _choose(directory: Path, registry: Any, provider_id: str | None, found: list[str]) -> str:
    if provider_id:
        registry.get(provider_id)  # unknown ids fail here, with the available ones
        return provider_id
    if (directory / "encore.app").is_file() and registry.has("encore"):
        return "encore"
    if found and registry.has("envfile"):
        return "envfile"
    listed = ", ".join(registry.ids()) or "none loaded"
    raise UserError(
        Structural(f"{directory}: found no env file (.env, .env.local, ...) and no encore.app to "
        f"guess the provider from; pass --provider ID (available: {listed})")
    )


def initialise(
    directory: Path,
    registry: Any,
    *,
    provider_id: str | None = None,
    config_path: Path | None = None,
) -> InitReport:
    """Write ``config_path`` (default ``directory/stagecraft.yml``); raise :class:`UserError`
    if it exists or cannot be written."""
    path = config_path if config_path is not None else directory / CONFIG_NAME
    if path.exists() or path.is_symlink():
        raise UserError(
            Structural(f"{path}: already exists; left unchanged (edit it, or remove it first)")
        )
    try:
        found = env_files(directory)
    except OSError as exc:
        raise UserError(
            Structural(f"{directory}: cannot list the env files here ({exc.strerror})")
        ) from None
    chosen = _choose(directory, registry, provider_id, found)
    source = _source(found)
    settings: dict[str, Any] = {}
    places: dict[str, str] = {}  # secrets.from / secrets.to, for stores without defaults
    secret_files: list[str] = []  # relative to `directory`, for .gitignore
    summary = f"provider {chosen}"
    next_steps = "next: stagecraft config check, then stagecraft secrets sync --dry-run"

    def written(name: str) -> str:
        return os.path.relpath(directory / name, path.parent)

    if chosen == "envfile":
        source = source or ".env.local"
        target = _target(found, source)
        settings = {"source_file": written(source), "target_file": written(target)}
        secret_files += [source, target]
        summary += f", from {source} to {target}"
    elif chosen == "encore":
        source = source or ".env.local"
        settings = {"source_file": written(source), "types": ["dev", "local"]}
        secret_files.append(source)
        summary += f", from {source} to Encore's dev and local environments"
    elif not _has_default_target(registry.get(chosen), directory, path.parent):
        source = source or ".env.local"
        places = {"from": written(source)}
        secret_files.append(source)
        summary += f", from {source}"
        next_steps = (f"next: set secrets.to in {path.name} ({chosen}:LOCATION), then "
                      "stagecraft config check and stagecraft secrets sync --dry-run")
    # Imported here: the manifest's model is the config package's, which a run of
    # any other command without a config file does not import (tests/test_cli_process.py).
    from stagecraft.init_manifest import manifest_section

    manifest = manifest_section(directory, found, registry.ids())
    secret_files += manifest.environments.values()  # every environment's file holds secrets
    store = registry.get(chosen)
    text = _render(chosen, settings, getattr(store, "Config", None), places,
                   getattr(store, "location_help", ""), manifest.lines(written))
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise UserError(Structural(f"{path}: already exists; left unchanged")) from None
    except OSError as exc:
        raise UserError(
            Structural(f"{path}: cannot create it ({exc.strerror}); nothing written")
        ) from None
    lines = [f"wrote {_shown(path, directory)}: {summary}", *manifest.summary()]
    if secret_files and _in_git_work_tree(directory):
        lines += _ignore(directory, list(dict.fromkeys(secret_files)))
    lines.append(next_steps)
    return InitReport(path, tuple(lines))


def _shown(path: Path, directory: Path) -> str:
    """``path`` as the user would write it from ``directory``."""
    return os.path.relpath(path, directory) if path.is_absolute() else str(path)


def _has_default_target(store: Any, directory: Path, config_dir: Path) -> bool:
    """Whether ``store`` finds a target by itself, from its config's defaults (a file store)."""
    default_location = getattr(store, "default_location", None)
    if default_location is None:
        return True  # a provider with no locations of its own: it finds its target itself
    bare = Context(cwd=directory, config_dir=config_dir)
    config_for = getattr(store, "config_for", None)
    ctx = bare.for_store(config_for(bare) if config_for is not None else None)
    try:
        return bool(default_location(ctx, "target"))
    except StagecraftError:  # a store that cannot tell without settings has none
        return False


def _render(
    provider_id: str,
    settings: dict[str, Any],
    config_class: Any,
    places: dict[str, str],
    location_help: str,
    manifest: list[str],
) -> str:
    """The file: chosen settings as YAML, the provider's other settings as comments."""
    from stagecraft.describe import config_fields

    lines = [
        "# Written by `stagecraft init`; see `stagecraft secrets providers "
        f"{provider_id}` for every setting.",
        "secrets:",
        f"  provider: {provider_id}",
    ]
    if places:
        lines += [f"  {role}: {json.dumps(value)}" for role, value in places.items()]
        lines.append(f"  # to: \"{provider_id}:LOCATION\""
                     + (f"  # LOCATION: {location_help}" if location_help else ""))
    lines += manifest
    lines += ["  providers:", f"    {provider_id}:"]
    lines += [f"      {key}: {json.dumps(value)}" for key, value in settings.items()]
    others = [field for field in config_fields(config_class) if field["key"] not in settings]
    if others:
        lines.append("      # other settings, with their defaults:")
        lines += [f"      # {field['key']}: {json.dumps(field['default'])}" for field in others]
    return "\n".join(lines) + "\n"


def _in_git_work_tree(directory: Path) -> bool:
    """Whether ``directory`` is inside a git work tree (a ``.git`` directory or file above)."""
    return any((candidate / ".git").exists() for candidate in (directory, *directory.parents))


def _ignore(directory: Path, names: list[str]) -> list[str]:
    """Add ``names`` to ``.gitignore`` unless git already ignores them; lines saying what."""
    gitignore = directory / ".gitignore"
    try:
        existing = gitignore.read_text(encoding="utf-8")
    except FileNotFoundError:
        existing = ""
    except (OSError, UnicodeDecodeError) as exc:  # the config is written: say what is left
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        return [f"could not read {gitignore} ({why}): "
                f"add {', '.join(map(printable, names))} to it yourself, they hold secrets"]
    present = {line.strip().lstrip("/") for line in existing.splitlines()}
    lines: list[str] = []
    new: list[str] = []
    for name in names:
        if name in present or _git_ignores(directory, name):
            lines.append(f"{printable(name)} is already ignored by git")
        else:
            new.append(name)
    if new:
        prefix = "" if not existing or existing.endswith("\n") else "\n"
        block = "# secrets read or written by stagecraft\n" + "".join(
            f"/{name}\n" for name in new)
        listed = ", ".join(map(printable, new))
        try:
            with gitignore.open("a", encoding="utf-8") as handle:
                handle.write(prefix + block)
        except OSError as exc:  # the config is written: say what is left to do
            lines.append(f"could not add {listed} to {gitignore} ({exc.strerror}): "
                         "add them yourself, they hold secrets")
        else:
            lines.append(f"added {listed} to .gitignore (they hold secrets)")
    return lines


def _git_ignores(directory: Path, name: str) -> bool:
    """Whether git already ignores ``name`` (by any rule); False when git is not installed."""
    import shutil
    import subprocess

    git = shutil.which("git")
    if git is None:
        return False
    try:
        completed = subprocess.run(
            [git, "check-ignore", "-q", "--no-index", "--", name],
            cwd=directory, capture_output=True, timeout=30, check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return completed.returncode == 0
