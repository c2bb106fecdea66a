"""The ``encore`` store object: what the registry holds.

Every ``stagecraft`` command builds the registry, and so imports this
module, even when it never syncs through Encore.  It therefore holds only
the store's identity and how a location picks one of the two real stores:
Encore's secret store through the CLI (:mod:`stagecraft_encore.cli_store`)
or the local override file (:mod:`stagecraft_encore.cue_store`), each
imported when a sync uses it.
"""

from __future__ import annotations

from stagecraft.providers.secrets import Context
from stagecraft.store import SecretStore
from stagecraft_encore.config import Config as EncoreConfig


class EncoreStore(SecretStore[EncoreConfig]):
    """Encore's secrets: ``dev,local`` / ``env:staging`` through the CLI, or a ``.cue`` file."""

    id = "encore"
    #: The core structures ``secrets.providers.encore`` into this class.
    Config = EncoreConfig
    location_help = (
        "environment types (dev,local), env:NAME[,NAME], or .secrets.local.cue"
    )
    #: ``env:staging`` is a location, not a store called "env".
    reserved_prefixes = ("env",)
    readable = False

    def default_location(self, ctx: Context, role: str) -> str | None:
        config: EncoreConfig = self.config_of(ctx)
        if role == "source":
            if config.source_file:
                return str(ctx.resolve(config.source_file, from_config=True))
            from stagecraft.errors import UserError

            raise UserError(
                "encore: no source env file: pass --from FILE or set source_file under "
                "secrets.providers.encore in stagecraft.yml"
            )
        from stagecraft_encore.targets import default_target

        return default_target(config.types, config.envs).describe()

    def route(self, ctx: Context, location: str) -> SecretStore[EncoreConfig]:
        from stagecraft_encore.targets import CueTarget, parse_target

        target = parse_target(location)
        if isinstance(target, CueTarget):
            from stagecraft_encore.cue_store import CUE_STORE

            return CUE_STORE
        from stagecraft_encore.cli_store import CLI_STORE

        return CLI_STORE


#: The v1 name, kept for code that imported it.
EncoreProvider = EncoreStore
