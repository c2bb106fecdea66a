"""The ``github`` store: GitHub Actions secrets, write-only.

``github:OWNER/REPO`` (and ``/environments/NAME``, ``/dependabot``, or
``github:orgs/ORG``) is one place GitHub keeps secrets
(:mod:`stagecraft_github.location`).  GitHub never gives a value back, so
the store is write-only: the engine plans from the names GitHub lists and
the core's write record (:mod:`stagecraft.record`) -- a listed key whose
value this machine last wrote there is unchanged, another listed key is
updated, an unlisted one added -- and ``--prune`` removes listed names the
source lacks.

:class:`GitHubStore` is what the registry holds; each sync opens a
:class:`GitHubSession` for its location, which keeps that sync's client,
names list and public key.  The HTTP client, the rules and the sealing are
modules of their own, imported when a sync runs (PyNaCl only when it writes).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, ClassVar

from stagecraft.errors import (
    CancelledError,
    KeysNotWrittenError,
    ProviderError,
    TransientError,
    UserError,
)
from stagecraft.store import SecretStore, StoreSession
from stagecraft_github.config import Config as GitHubConfig

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Action, Context
    from stagecraft_github.api import SecretsApi
    from stagecraft_github.client import Client
    from stagecraft_github.location import Location


class GitHubSession(StoreSession[GitHubConfig]):
    """One sync of one location: its connection, names list and public key, made on first use."""

    def __init__(self, store: GitHubStore, ctx: Context[GitHubConfig], location: str) -> None:
        from stagecraft_github.location import parse

        super().__init__(store, ctx, location)
        self.where: Location = parse(location)
        self._lock = threading.Lock()
        self._client: Client | None = None
        self._api: SecretsApi | None = None

    def api(self) -> SecretsApi:
        """This sync's requests about the location (the connection made on first use)."""
        with self._lock:
            if self._api is None:
                from stagecraft_github.api import SecretsApi
                from stagecraft_github.client import Client
                from stagecraft_github.settings import resolve

                self._client = Client(self.ctx, resolve(self.ctx, self.config), str(self.where))
                self._api = SecretsApi(self._client, self.where, self.config)
            return self._api

    def close(self) -> None:
        """End the sync's connections."""
        with self._lock:
            client, self._client, self._api = self._client, None, None
        if client is not None:
            client.close()

    # -- planning -------------------------------------------------------------------

    def existing_keys(self, keys: Collection[str]) -> Collection[str] | None:
        """The keys GitHub lists (case-insensitively); refuses keys that are one secret."""
        from stagecraft_github.rules import case_clashes, describe_clashes

        clashes = case_clashes(keys)
        if clashes:
            raise UserError(
                f"github: {self.where}: keys that differ only in case are one GitHub secret "
                f"(GitHub stores names in upper case): {describe_clashes(clashes)}; nothing "
                "was written; rename or --exclude one of each"
            )
        listed = {name.upper() for name in self.api().names()}
        return [key for key in keys if key.upper() in listed]

    def prunable_keys(self, keys: Collection[str]) -> Collection[str]:
        wanted = {key.upper() for key in keys}
        return [name for name in self.api().names() if name.upper() not in wanted]

    def check_values(self, values: Mapping[str, str]) -> Mapping[str, str]:
        """Names and sizes GitHub refuses; more secrets than the location holds stops the sync."""
        refused = super().check_values(values)
        if refused or not values:
            return refused
        listed = {name.upper() for name in self.api().names()}
        new = {key.upper() for key in values} - listed
        limit = self.where.limit
        if len(listed) + len(new) > limit:
            raise UserError(
                f"github: {self.where}: this sync would make {len(listed) + len(new)} secrets "
                f"({len(listed)} there, {len(new)} new); GitHub holds at most "
                f"{limit} here; nothing was written (prune first, or sync fewer keys)"
            )
        return refused

    # -- writing --------------------------------------------------------------------

    def write_one(self, key: str, value: str) -> Action | None:
        return self.api().put(key, value)

    def delete(self, keys: Collection[str]) -> None:
        """One request per secret; a secret GitHub refuses to delete is named, and the ones
        deleted before and after it are reported removed.

        A transient failure (throttling, a 5xx) ends the batch for the engine to
        retry whole: deleting a secret already gone is no error, so the retry
        repeats nothing harmful.
        """
        api = self.api()
        failed: dict[str, str] = {}
        names = list(keys)
        for done, name in enumerate(names):
            try:
                self.ctx.check()
            except CancelledError as exc:
                failed.update(dict.fromkeys(names[done:], f"not removed: {exc}"))
                break
            try:
                api.delete(name)
            except TransientError:
                raise
            except ProviderError as exc:
                failed[name] = str(exc)
        if failed:
            raise KeysNotWrittenError(failed)


class GitHubStore(SecretStore[GitHubConfig]):
    """GitHub Actions, environment, Dependabot and organization secrets."""

    id: ClassVar[str] = "github"
    readable: ClassVar[bool] = False
    writes_one_by_one: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    lists_keys: ClassVar[bool] = True
    session_class = GitHubSession
    Config = GitHubConfig
    location_help: ClassVar[str] = (
        "OWNER/REPO, OWNER/REPO/environments/NAME, OWNER/REPO/dependabot or orgs/ORG"
    )

    def normalise_location(self, ctx: Context[GitHubConfig], location: str) -> str:
        from stagecraft_github.location import parse

        return f"{self.id}:{parse(location).identity}"

    def record_location(self, ctx: Context[GitHubConfig], location: str) -> str:
        """The API base and the place: github.com's ``octo/app`` is not an Enterprise one's."""
        from stagecraft_github.location import parse
        from stagecraft_github.settings import api_url

        return f"{self.id}:{api_url(self.config_of(ctx))}:{parse(location).identity}"

    def check_values(
        self, ctx: Context[GitHubConfig], location: str, values: Mapping[str, str]
    ) -> Mapping[str, str]:
        """Names and sizes GitHub refuses (the session adds the location's secret limit)."""
        from stagecraft_github.rules import refusals

        return refusals(values)
