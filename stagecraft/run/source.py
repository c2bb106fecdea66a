"""Where ``stagecraft run`` reads its secrets: ``--env``, ``--from`` or ``secrets.from``, read.

A word is resolved as ``secrets list`` resolves one
(:func:`~stagecraft.key_listing.listing`: an environment name of
``secrets.environments``, ``ID:LOCATION`` or an env file), so both commands
read the same place for the same word; the environment it names (if any)
decides which declared keys are required.  The values are read through the
store's session with retries of transient failures, as a sync reads its
source, and registered for masking at once.  Standard input is no source
here: it is COMMAND's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from stagecraft.config.manifest import Manifest
from stagecraft.endpoints import place
from stagecraft.errors import NoSuchLocationError, UserError, printable
from stagecraft.key_listing import Listing, listing
from stagecraft.locations import ENV_FILE, STDIN
from stagecraft.providers.secrets import Context, Registry
from stagecraft.redact import Structural
from stagecraft.retrying import retrying
from stagecraft.run.refusal import secrets_for_run
from stagecraft.sync_scope import target_environment as environment_at

if TYPE_CHECKING:
    from stagecraft.config.schema import Config

__all__ = ["RunSource", "read_source", "run_source", "secrets_to_run"]

#: What to write when no source is given and stagecraft.yml names none.
NO_SOURCE_HINT = ("no source to run with: pass --env NAME (an environment of "
                  "secrets.environments) or --from LOCATION, or set secrets.from in stagecraft.yml")


@attrs.frozen
class RunSource:
    """The place COMMAND's secrets come from."""

    #: The place as messages show it: the word given, or an environment's ``ID:LOCATION``.
    shown: str
    #: The environment it is (its declared keys required there apply); None for a location.
    environment: str | None
    where: Listing


def run_source(
    ctx: Context, config: Config | None, *, env: str | None = None, location: str | None = None
) -> RunSource:
    """The source ``--env NAME`` or ``--from LOCATION`` names, else ``secrets.from``."""
    registry = _registry(ctx)
    if env is not None:
        where = place(config, registry, env, "source")
        if where.environment is None:
            known = (f"not in secrets.environments{where.hint}"
                     if config is not None and config.manifest.environments
                     else "stagecraft.yml declares no environments (secrets.environments)")
            raise UserError(Structural(
                f"--env {printable(env)}: {known}; for a file or ID:LOCATION, use --from"
            ))
    elif location:
        where = place(config, registry, location, "source")
    elif config is not None and config.secrets.source:
        where = place(config, registry, config.secrets.source, "source", configured=True)
    else:
        raise UserError(Structural(NO_SOURCE_HINT))
    if where.text == STDIN:
        raise UserError(Structural(
            "--from -: standard input is COMMAND's own, so it cannot be the source; "
            "for a file named '-', write --from ./-"
        ))
    if where.environment is not None and config is not None:
        # Shown as stagecraft.yml writes it; listed by its name, as `secrets list NAME`.
        shown = str(config.manifest.environments[where.environment])
        return RunSource(shown, where.environment, listing(ctx, config, where.environment))
    found = listing(ctx, config, where.text)
    # A path or ID:LOCATION that is an environment's place is that environment: its
    # required keys apply, as they do to a sync writing there.
    environment = None if config is None else environment_at(
        config, registry, written=where.word,
        store_id=None if found.store is ENV_FILE else found.store.id,
        location=found.location, cwd=ctx.cwd)
    return RunSource(where.word, environment, found)


def read_source(ctx: Context, source: RunSource) -> dict[str, str]:
    """Every value at ``source``, registered for masking; a missing place is an error."""
    where = source.where
    if not where.store.readable:
        raise UserError(Structural(
            f"{printable(source.shown)}: store {where.store.id!r} is write-only and cannot "
            "be a source"
        ))
    sctx = ctx.for_store(where.config)
    try:
        with where.store.session(sctx, where.location, dry_run=True) as session:
            values = dict(retrying(sctx, where.store, lambda: session.read(None),
                                   doing=f"reading the source {printable(source.shown)}"))
    except NoSuchLocationError as exc:
        why = f" ({ctx.redactor.redact(exc.why)})" if exc.why else ""
        raise UserError(Structural(
            f"{printable(source.shown)}: the source does not exist{why}; check the location "
            "(the command was not started)"
        )) from None
    ctx.add_secrets(values.values())
    return values


def secrets_to_run(
    ctx: Context,
    config: Config | None,
    *,
    env: str | None = None,
    location: str | None = None,
    keys: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> dict[str, str]:
    """The secrets COMMAND gets: the source named (:func:`run_source`), read, selected and
    checked against the declared keys required there (:func:`secrets_for_run`)."""
    source = run_source(ctx, config, env=env, location=location)
    values = read_source(ctx, source)
    return secrets_for_run(
        config.manifest if config is not None else Manifest(), values, source=source.shown,
        environment=source.environment, keys=keys, exclude=exclude,
    )


def _registry(ctx: Context) -> Registry:
    return ctx.registry if ctx.registry is not None else Registry()
