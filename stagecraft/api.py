"""The Python API for integrators: :func:`sync`, :func:`read`, :func:`list_keys` and :func:`check`.

``stagecraft.sync(source, target)`` is ``stagecraft secrets sync --from
SOURCE --to TARGET`` without the printing: the same config discovery
(:mod:`stagecraft.project`), the same plugins, the same endpoint rules
(:mod:`stagecraft.endpoints`), the same ``secrets_sync`` hook with every
wrapper a plugin adds, and errors masked by the same rule as the command's
messages.  The command's ``secrets sync`` is a thin layer over
:func:`open_sync_run`, :func:`prepare_in` and :func:`run_sync` here, adding
only what a terminal needs (Ctrl-C, a progress line, the report).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from stagecraft import endpoints
from stagecraft.engine import resolve_source
from stagecraft.error_text import message_text
from stagecraft.errors import PartialSyncError, PluginError, StagecraftError, UserError
from stagecraft.locations import ENV_FILE, STDIN
from stagecraft.plugins import PluginManager
from stagecraft.project import ConfigChoice, load_config, load_plugins, working_directory
from stagecraft.providers.secrets import (
    Context,
    Registry,
    SecretsProvider,
    SyncOptions,
    SyncResult,
)
from stagecraft.redact import Redactor, Structural
from stagecraft.selection import is_pattern
from stagecraft.store import SecretStore

if TYPE_CHECKING:
    from stagecraft.config.manifest import NamedSync
    from stagecraft.config.schema import Config

__all__ = [
    "PreparedSync", "Project", "ProjectOptions", "as_names", "check", "list_keys", "mask_error",
    "open_project", "open_sync_run", "prepare_in", "read", "run_sync", "sync",
]


@attrs.frozen
class ProjectOptions:
    """Which project a run works in, as the global options choose it.

    The working directory, the config (see :data:`~stagecraft.project.ConfigChoice`),
    ``-p`` plugins and ``--plugins-dir`` directories, and the redactor that
    masks what the run shows: every command and API call opens its project
    from these (:func:`open_project`).
    """

    cwd: Path
    config: ConfigChoice = None
    plugin_options: Sequence[str] = ()
    plugin_dirs: Sequence[str] = ()
    redactor: Redactor = attrs.field(factory=Redactor)


@attrs.frozen
class Project:
    """An opened project: its config (None without a file), plugins, registry and run context."""

    config: Config | None
    manager: PluginManager
    registry: Registry
    ctx: Context


def open_project(options: ProjectOptions) -> Project:
    """Load the config and plugins ``options`` choose, and make the run's context."""
    loaded = load_config(options.cwd, options.config)
    manager = load_plugins(loaded, options.cwd, options=options.plugin_options,
                           dirs=options.plugin_dirs)
    registry = manager.build_registry()
    ctx = Context(
        cwd=options.cwd, config_dir=loaded.directory if loaded is not None else options.cwd,
        redactor=options.redactor, registry=registry,
        configs=loaded.provider_config if loaded is not None else None,
    )
    return Project(loaded, manager, registry, ctx)


class PreparedSync(NamedTuple):
    """A sync ready to run: the plugins loaded, the provider chosen, the options built."""

    manager: PluginManager
    provider: SecretsProvider
    ctx: Context
    options: SyncOptions
    #: The environments of ``secrets.environments`` the source and the target named
    #: (None: a location that is no environment); the declared-key guard asks which
    #: keys the target's environment requires.
    source_environment: str | None = None
    target_environment: str | None = None


def open_sync_run(
    options: ProjectOptions,
    *,
    timeout: float | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> Project:
    """The project opened for one sync or several: they share its config, plugins, deadline
    and cancellation (a Ctrl-C reaches every sync of the run)."""
    opened = open_project(options)
    deadline = None if timeout is None else time.monotonic() + timeout
    return attrs.evolve(opened, ctx=attrs.evolve(opened.ctx, deadline=deadline,
                                                 on_progress=on_progress))


def prepare_in(
    run: Project,
    *,
    provider_id: str | None = None,
    source: str = "",
    target: str = "",
    keys: Sequence[str] = (),
    exclude: Sequence[str] = (),
    prune: bool = False,
    dry_run: bool = False,
    record: bool = True,
    allow_empty_source: bool = False,
    force: bool = False,
    named: NamedSync | None = None,
) -> PreparedSync:
    """One sync of ``run``: the provider chosen, the endpoints resolved, the options built.

    For a named sync (``named``; ``source`` and ``target`` resolved from
    it), its own keys, exclude and prune apply, and ``keys`` and ``exclude``
    (the command's) narrow it (:func:`~stagecraft.sync_scope.scope_for_sync`).
    Its ``exclude`` is a standing rule of the project, so, unlike
    ``--exclude`` of a single sync, a pattern matching nothing is no error.
    """
    loaded, registry = run.config, run.registry
    where = endpoints.resolve(loaded, registry, cwd=run.ctx.cwd, provider_id=provider_id,
                              source=source, target=target)
    own_keys, own_exclude = (tuple(keys), tuple(exclude)) if named is None else (
        named.keys or (), ())
    scope = None
    if loaded is not None:
        # Only now is the config model needed (see stagecraft.project.load_config).
        from stagecraft.sync_scope import scope_for_sync, target_environment

        environment = target_environment(
            loaded, registry, cwd=run.ctx.cwd, store_id=where.provider.id, location=where.target,
            written=named.target if named is not None else target or loaded.secrets.target or "")
        scope = scope_for_sync(
            loaded.manifest, environment=environment,
            selection=own_keys, exclude=own_exclude,
            narrowing=keys if named is not None else (),
            dropping=(*named.exclude, *exclude) if named is not None else (),
        )
    options = SyncOptions(
        config=loaded.provider_config(where.provider) if loaded is not None else None,
        source=where.source,
        target=where.target,
        keys=own_keys,
        dry_run=dry_run,
        exclude=own_exclude,
        prune=prune or (named is not None and named.prune),
        record=record,
        allow_empty_source=allow_empty_source,
        force=force,
        scope=scope,
    )
    _refuse_store_options(where.provider, options)
    # A context of its own (what it resolved, for its report); the run's cancellation.
    return PreparedSync(run.manager, where.provider, attrs.evolve(run.ctx, endpoints={}),
                        options, where.source_environment, where.target_environment)


def _refuse_store_options(provider: SecretsProvider, options: SyncOptions) -> None:
    """``--exclude``, ``--prune``, ``--force``, key patterns and ``--from -`` need the engine,
    so a store."""
    if isinstance(provider, SecretStore):
        return
    used = [flag for flag, on in (("--exclude", options.exclude), ("--prune", options.prune),
                                  ("--allow-empty-source", options.allow_empty_source),
                                  ("--force", options.force),
                                  ("declared keys (secrets.keys)", options.scope)) if on]
    used += ["KEY patterns"] if any(is_pattern(key) for key in options.keys) else []
    used += ["--from -"] if options.source == STDIN else []
    if used:
        raise UserError(
            Structural(f"provider {provider.id!r} implements sync itself, so {', '.join(used)} "
            "cannot apply to it (they are features of stores)")
        )


def run_sync(prepared: PreparedSync) -> SyncResult:
    """Run the sync through the ``secrets_sync`` hook (wrappers first, then the core's)."""
    result = prepared.manager.hook.secrets_sync(
        provider=prepared.provider, ctx=prepared.ctx, options=prepared.options
    )
    if not isinstance(result, SyncResult):
        raise PluginError(
            Structural(f"secrets_sync returned {type(result).__name__}, not SyncResult: a plugin "
            "wrapping secrets_sync is broken (see `stagecraft plugins`)")
        )
    return result


def sync(
    source: str,
    target: str,
    keys: Iterable[str] | None = None,
    *,
    exclude: Iterable[str] = (),
    prune: bool = False,
    dry_run: bool = False,
    config: ConfigChoice = None,
) -> SyncResult:
    """Copy ``keys`` (names or globs; None: all) from ``source`` to ``target``.

    ``source`` and ``target`` are written as ``--from`` and ``--to`` are
    (an environment name of ``secrets.environments``, ``ID:LOCATION``, or an
    env file; ``""`` uses ``secrets.from`` / ``secrets.to``).  ``config``:
    None finds ``stagecraft.yml`` from the working directory up, a path uses
    that file, False uses none.  Prints nothing; raises
    :class:`~stagecraft.errors.StagecraftError` subclasses (``PartialSyncError``
    when some keys were written and some not), their messages masked as the
    command masks them.
    """
    redactor = Redactor()
    with _masked_errors(redactor):
        run = open_sync_run(ProjectOptions(working_directory(), config, redactor=redactor))
        return run_sync(prepare_in(run, source=source, target=target, keys=as_names(keys),
                                   exclude=as_names(exclude), prune=prune, dry_run=dry_run))


def read(
    location: str, keys: Iterable[str] | None = None, *, config: ConfigChoice = None
) -> dict[str, str]:
    """The values at ``location`` (an environment name, ``ID:LOCATION`` of a readable store,
    or an env file).

    ``keys`` limits the answer to those names (absent ones are left out);
    None reads every key.  ``config`` is chosen as for :func:`sync`.
    """
    redactor = Redactor()
    with _masked_errors(redactor):
        project = open_project(ProjectOptions(working_directory(), config, redactor=redactor))
        ctx = project.ctx
        if not location:
            raise UserError(Structural(
                "read: no location given (an environment, ID:LOCATION or an env file)"
            ))
        where = endpoints.place(project.config, project.registry, location, "source")
        endpoints.refuse_naming_nothing(where, ctx.cwd)
        source, source_config = resolve_source(ctx, ENV_FILE, where.text)
        values = source.store.read(ctx.for_store(source_config), source.location,
                                   None if keys is None else as_names(keys))
        ctx.add_secrets(values.values())
        return dict(values)


def list_keys(location: str, *, config: ConfigChoice = None) -> list[str]:
    """The key names at ``location`` (an environment name, ``ID:LOCATION`` or an env file),
    sorted; never values.  Write-only stores answer when they can list names."""
    # Imported here, as by `secrets list`: a sync never lists, so its start does not
    # load the listing's rules (docs/performance.md, row 5).
    from stagecraft.key_listing import key_names, listing

    redactor = Redactor()
    with _masked_errors(redactor):
        project = open_project(ProjectOptions(working_directory(), config, redactor=redactor))
        return key_names(project.ctx, listing(project.ctx, project.config, location))


def check(
    environments: Iterable[str] | None = None, *, config: ConfigChoice = None
) -> dict[str, Any]:
    """``stagecraft secrets check --json``'s structure: each compared key in each environment.

    ``environments``: names from ``secrets.environments`` (or locations);
    None checks every declared one.  An environment that cannot be read is
    listed under ``unreadable``, not raised.
    """
    # Imported here, as by `secrets check`: the check's machinery (a thread pool, the
    # manifest's comparisons) is a path a sync never takes (docs/performance.md, row 5).
    from stagecraft.project_check import check_project

    redactor = Redactor()
    with _masked_errors(redactor):
        project = open_project(ProjectOptions(working_directory(), config, redactor=redactor))
        return check_project(project.ctx, project.config, as_names(environments)).to_json()


def as_names(keys: Iterable[str] | None) -> tuple[str, ...]:
    """Key names or patterns as a tuple; one string is one name (not its letters)."""
    if keys is None:
        return ()
    return (keys,) if isinstance(keys, str) else tuple(keys)


@contextlib.contextmanager
def _masked_errors(redactor: Redactor) -> Iterator[None]:
    """Errors leave the API with the text the command would show: free text masked."""
    try:
        yield
    except Exception as exc:
        mask_error(redactor, exc)
        raise


def mask_error(redactor: Redactor, exc: BaseException) -> None:
    """Give ``exc`` the text the command would show (free text masked), in place."""
    if isinstance(exc, StagecraftError):
        exc.args = (message_text(redactor, exc),)
        if isinstance(exc, PartialSyncError):
            exc.failed = {key: redactor.redact(reason) for key, reason in exc.failed.items()}
            exc.unknown = {key: redactor.redact(reason) for key, reason in exc.unknown.items()}
    else:
        exc.args = tuple(redactor.redact(str(arg)) for arg in exc.args)
