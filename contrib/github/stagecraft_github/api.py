"""The requests a sync makes about one location's secrets.

* the names list, page by page (``per_page=100``), once per sync;
* the public key, once per sync, when the first value is written;
* one ``PUT`` per written value (sealed to that key) and one ``DELETE`` per
  pruned name;
* for organization secrets with ``visibility: selected``, the ids of the
  selected repositories (``GET /repos/OWNER/REPO``), once per sync.

Values are never read back: GitHub has no endpoint that returns one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from stagecraft.errors import ProviderError
from stagecraft.providers.secrets import Action
from stagecraft_github.client import Client, Reply
from stagecraft_github.config import Config
from stagecraft_github.errors import failure, not_found
from stagecraft_github.location import Location

__all__ = ["PER_PAGE", "SecretsApi"]

#: The largest page GitHub gives.
PER_PAGE = 100


class SecretsApi:
    """One location's secrets through one :class:`Client`; caches what a sync asks once."""

    def __init__(self, client: Client, where: Location, config: Config) -> None:
        self.client = client
        self.where = where
        self.config = config
        self._lock = threading.Lock()
        self._names: list[str] | None = None
        self._seal: Callable[[str], str] | None = None
        self._key_id = ""
        self._repository_ids: list[int] | None = None

    def __repr__(self) -> str:
        return f"<github SecretsApi {self.where}>"

    # -- reading ------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every secret's name (as GitHub stores them: upper case), listed once per sync."""
        with self._lock:
            if self._names is None:
                self._names = self._list()
            return list(self._names)

    def _list(self) -> list[str]:
        names: list[str] = []
        page = 1
        while True:
            doing = "listing secrets" + (f" (page {page})" if page > 1 else "")
            reply = self._get(self.where.secrets_path, doing,
                              query={"per_page": PER_PAGE, "page": page})
            found = reply.body.get("secrets") if isinstance(reply.body, dict) else None
            total = reply.body.get("total_count") if isinstance(reply.body, dict) else None
            if not isinstance(found, list) or not isinstance(total, int):
                raise ProviderError(f"github: {self.where}: {doing}: not a secrets list")
            names.extend(str(entry["name"]) for entry in found
                         if isinstance(entry, dict) and "name" in entry)
            if len(found) < PER_PAGE or len(names) >= total:
                return names
            page += 1

    def _get(self, path: str, doing: str, query: dict[str, Any] | None = None) -> Reply:
        reply = self.client.request("GET", path, doing=doing, query=query)
        if reply.status == 404:
            raise not_found(self.where, doing, self._repository_exists())
        if reply.status != 200:
            raise failure(reply, doing, self.where)
        return reply

    def _repository_exists(self) -> bool | None:
        """Whether the token sees the repository (asked only to explain a 404)."""
        if self.where.kind != "environment":
            return None
        try:
            reply = self.client.request("GET", self.where.repository_path,
                                        doing="looking up the repository")
        except ProviderError:
            return None
        return reply.status == 200

    # -- writing ------------------------------------------------------------------

    def _sealer(self, renew: bool = False) -> tuple[Callable[[str], str], str]:
        """The sealing function and key id of the location's public key, fetched once."""
        with self._lock:
            if self._seal is None or renew:
                from stagecraft_github.crypto import sealer  # PyNaCl: only when writing

                reply = self._get(f"{self.where.secrets_path}/public-key",
                                  "fetching the public key")
                body = reply.body if isinstance(reply.body, dict) else {}
                key, key_id = body.get("key"), body.get("key_id")
                if not isinstance(key, str) or not isinstance(key_id, (str, int)):
                    raise ProviderError(f"github: {self.where}: fetching the public key: "
                                        "the answer has no key and key_id")
                self._seal = sealer(key, str(self.where))
                self._key_id = str(key_id)
            return self._seal, self._key_id

    def put(self, name: str, value: str) -> Action:
        """Create or update ``name``: added (201) or updated (204)."""
        seal, key_id = self._sealer()
        doing = f"writing {name}"
        reply = self._put(name, seal(value), key_id, doing)
        if reply.status == 422:
            # The key may have been rotated since it was fetched: fetch it again, once.
            fresh_seal, fresh_id = self._sealer(renew=True)
            if fresh_id != key_id:
                reply = self._put(name, fresh_seal(value), fresh_id, doing)
        if reply.status == 201:
            return Action.ADDED
        if reply.status in (200, 204):
            return Action.UPDATED
        if reply.status == 404:
            raise not_found(self.where, doing, self._repository_exists())
        raise failure(reply, doing, self.where)

    def _put(self, name: str, sealed: str, key_id: str, doing: str) -> Reply:
        body: dict[str, Any] = {"encrypted_value": sealed, "key_id": key_id}
        if self.where.kind == "organization":
            body["visibility"] = self.config.visibility
            if self.config.visibility == "selected":
                body["selected_repository_ids"] = self.repository_ids()
        return self.client.request("PUT", f"{self.where.secrets_path}/{name}", doing=doing,
                                   body=body)

    def delete(self, name: str) -> None:
        """Delete ``name``; one already gone is not an error."""
        doing = f"deleting {name}"
        reply = self.client.request("DELETE", f"{self.where.secrets_path}/{name}", doing=doing)
        if reply.status not in (204, 404):
            raise failure(reply, doing, self.where)

    def repository_ids(self) -> list[int]:
        """The ids of ``selected_repositories`` (names looked up in the organization once)."""
        with self._lock:
            if self._repository_ids is None:
                self._repository_ids = [self._repository_id(item)
                                        for item in self.config.selected_repositories]
            return list(self._repository_ids)

    def _repository_id(self, item: str | int) -> int:
        if isinstance(item, int) or item.isdigit():
            return int(item)
        full = item if "/" in item else f"{self.where.owner}/{item}"
        doing = f"looking up the selected repository {full}"
        reply = self.client.request("GET", f"repos/{full}", doing=doing)
        found = reply.body.get("id") if isinstance(reply.body, dict) else None
        if reply.status == 404:
            raise ProviderError(
                f"github: {self.where}: {doing}: not found, or the token cannot see it; "
                "check selected_repositories under secrets.providers.github"
            )
        if reply.status != 200 or not isinstance(found, int):
            raise failure(reply, doing, self.where)
        return found
