"""One sync of the ``encore`` provider: an env file into Encore.

Order of work, so that every mistake is found before anything is sent:

1. config and ``--to`` are parsed (an unknown environment type fails here);
2. the source env file is read and every value registered for redaction;
3. the requested keys are selected (all missing ones named at once);
4. keys and values the target cannot store faithfully are refused;
5. only then: ``encore secret set`` calls, or one merge of the override file.

A dry run stops after computing the plan.  Through the CLI the plan reports
every key as ``updated``: without calling Encore nothing can tell whether a
secret already exists.

:class:`~stagecraft_encore.provider.EncoreProvider` imports this module when
a sync starts, not when the registry is built.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from stagecraft import dotenv
from stagecraft.errors import UserError
from stagecraft.files import locked_update
from stagecraft.providers.secrets import (
    Action,
    Context,
    PartialSyncError,
    SyncOptions,
    SyncResult,
)
from stagecraft_encore import cue
from stagecraft_encore.cli_runner import APP_FILE, Runner, find_app, find_binary
from stagecraft_encore.config import Config, coerce_config
from stagecraft_encore.provider import RefusedValuesError
from stagecraft_encore.targets import CliTarget, CueTarget, default_target, parse_target

#: The only override file Encore reads, next to ``encore.app``.
LOCAL_OVERRIDE_FILE = ".secrets.local.cue"


def sync(ctx: Context, opts: SyncOptions) -> SyncResult:
    """Run one sync (the steps in the module docstring)."""
    config = coerce_config(opts.config)
    target = (
        parse_target(opts.target) if opts.target else default_target(config.types, config.envs)
    )
    app_root = ctx.resolve(config.app_root or ".", from_config=True)
    source = _source_path(ctx, opts, config)
    values = read_source(ctx, source)
    selected = {key: values[key] for key in opts.select(values, source=str(source))}
    ctx.check()
    if isinstance(target, CueTarget):
        return _sync_cue(ctx=ctx, opts=opts, app_root=app_root, target=target, values=selected)
    return _sync_cli(
        ctx=ctx, opts=opts, config=config, app_root=app_root, target=target, values=selected
    )


def _source_path(ctx: Context, opts: SyncOptions, config: Config) -> Path:
    if opts.source:
        return ctx.resolve(opts.source)
    if config.source_file:
        return ctx.resolve(config.source_file, from_config=True)
    raise UserError(
        "encore: no source env file: pass --from FILE or set source_file under "
        "secrets.providers.encore in stagecraft.yml"
    )


def read_source(ctx: Context, path: Path) -> dict[str, str]:
    """The source env file's values, registered with the redactor at once."""
    # The reader's warnings (a line without '=', a duplicate key) name keys
    # and lines, never values.
    values = dotenv.load(path, warn=ctx.logger.warning).values()  # a fresh dict
    ctx.add_secrets(values.values())
    return values


# -- through the CLI ----------------------------------------------------------


def _sync_cli(
    *,
    ctx: Context,
    opts: SyncOptions,
    config: Config,
    app_root: Path,
    target: CliTarget,
    values: Mapping[str, str],
) -> SyncResult:
    refused = dict(cue.iter_refusals(values))
    for key, value in values.items():
        if key not in refused and value.endswith(("\r", "\n")):
            refused[key] = (
                "the value ends with a newline, which `encore secret set` strips "
                "(use --to .secrets.local.cue for local values, or remove the newline)"
            )
    _refuse(refused)
    binary = find_binary(config.encore_bin, ctx)
    find_app(app_root)
    if opts.dry_run or not values:
        return SyncResult.from_actions((key, Action.UPDATED) for key in values)
    runner = Runner(ctx, binary, app_root, target, config.concurrency)
    ctx.logger.info(
        "encore: setting %d secret(s) for %s, %d at a time",
        len(values),
        target.describe(),
        config.concurrency,
    )
    outcome = runner.run(values)
    done = SyncResult.from_actions(outcome.actions.items())
    if outcome.failures:
        raise PartialSyncError(
            f"encore: {len(outcome.failures)} of {len(values)} secret(s) could not be set "
            f"for {target.describe()}",
            done,
            outcome.failures,
        )
    return done


# -- into the override file ---------------------------------------------------


def _sync_cue(
    *,
    ctx: Context,
    opts: SyncOptions,
    app_root: Path,
    target: CueTarget,
    values: Mapping[str, str],
) -> SyncResult:
    _refuse(dict(cue.iter_refusals(values)))
    path = app_root / Path(target.path).expanduser()
    if path.name != LOCAL_OVERRIDE_FILE or not (path.parent / APP_FILE).is_file():
        ctx.logger.warning(
            "encore: %s is not %s next to %s; `encore run` will not read it",
            path,
            LOCAL_OVERRIDE_FILE,
            APP_FILE,
        )
    warn_if_tracked(ctx, path)
    with locked_update(path, dry_run=opts.dry_run) as file:
        text = _decode_file(file.original, path)
        doc = cue.parse(text, name=str(path))
        actions = cue.merge(doc, values)
        file.write(doc.render().encode("utf-8"))
    return SyncResult.from_actions(actions)


def _refuse(refused: Mapping[str, str]) -> None:
    if refused:
        keys = sorted(refused)
        raise RefusedValuesError(
            f"encore: refusing to sync {len(keys)} key(s), nothing was sent: "
            + "; ".join(f"{key}: {refused[key]}" for key in keys)
        )


def _decode_file(data: bytes | None, path: Path) -> str:
    if data is None:
        return ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise cue.CueFormatError(
            f"{path}: not UTF-8 text (byte {exc.start}); the file is left unchanged"
        ) from None


def warn_if_tracked(ctx: Context, path: Path) -> None:
    """Warn when ``path`` sits in a git work tree and is not ignored.

    Silent when git is missing or the directory is not in a work tree: the
    warning is a courtesy, not a check the sync depends on.
    """
    directory = path.parent
    if not directory.is_dir():
        return
    try:
        completed = subprocess.run(
            ["git", "check-ignore", "-q", "--", path.name],
            cwd=directory,
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return
    if completed.returncode == 1:
        ctx.logger.warning(
            "encore: %s holds secrets but is not ignored by git; add it to .gitignore",
            path,
        )
