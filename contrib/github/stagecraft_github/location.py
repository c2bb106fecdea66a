"""Where secrets live on GitHub, from ``github:LOCATION``.

=====================================  ===========================================
location                               secrets
=====================================  ===========================================
``OWNER/REPO``                         the repository's Actions secrets
``OWNER/REPO/environments/NAME``       one deployment environment's (NAME may hold ``/``)
``OWNER/REPO/dependabot``              the repository's Dependabot secrets
``orgs/ORG``                           the organization's Actions secrets
=====================================  ===========================================

Each kind has its own public key, its own names list and its own limit on
how many secrets it holds; :class:`Location` gives the API path of each.
"""

from __future__ import annotations

import re
import urllib.parse

import attrs

from stagecraft_github.errors import LocationError

__all__ = ["LOCATION_HELP", "Location", "LocationError", "parse"]

LOCATION_HELP = (
    "OWNER/REPO, OWNER/REPO/environments/NAME, OWNER/REPO/dependabot or orgs/ORG "
    "(github:octo/app/environments/production)"
)

#: GitHub's owner (user or organization) and repository name characters.
_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_REPO = re.compile(r"[A-Za-z0-9._-]+")


@attrs.frozen
class Location:
    """One place; ``kind``: ``repository``, ``environment``, ``dependabot`` or ``organization``."""

    kind: str
    owner: str  # the organization, for kind organization
    repo: str = ""
    environment: str = ""

    def __str__(self) -> str:
        if self.kind == "organization":
            return f"orgs/{self.owner}"
        base = f"{self.owner}/{self.repo}"
        if self.kind == "environment":
            return f"{base}/environments/{self.environment}"
        if self.kind == "dependabot":
            return f"{base}/dependabot"
        return base

    @property
    def repository_path(self) -> str:
        """``repos/OWNER/REPO`` (empty for an organization)."""
        return "" if self.kind == "organization" else f"repos/{self.owner}/{self.repo}"

    @property
    def secrets_path(self) -> str:
        """The API path of the secrets collection (``.../secrets``), the environment encoded."""
        if self.kind == "organization":
            return f"orgs/{self.owner}/actions/secrets"
        if self.kind == "environment":
            name = urllib.parse.quote(self.environment, safe="")
            return f"{self.repository_path}/environments/{name}/secrets"
        if self.kind == "dependabot":
            return f"{self.repository_path}/dependabot/secrets"
        return f"{self.repository_path}/actions/secrets"

    @property
    def limit(self) -> int:
        """How many secrets GitHub lets this place hold."""
        return 1000 if self.kind == "organization" else 100

    @property
    def identity(self) -> str:
        """The place whatever the spelling: owners and repositories are case-insensitive."""
        lowered = attrs.evolve(self, owner=self.owner.lower(), repo=self.repo.lower())
        return str(lowered)


def parse(location: str) -> Location:
    """The :class:`Location` of ``location``, or :class:`LocationError` saying what is wrong."""
    parts = location.strip().strip("/").split("/")
    if len(parts) == 2 and parts[0] == "orgs":
        if not _OWNER.fullmatch(parts[1]):
            raise _bad(location, f"{parts[1]!r} is not an organization name")
        return Location("organization", parts[1])
    if len(parts) < 2:
        raise _bad(location, "too few parts")
    owner, repo, rest = parts[0], parts[1], parts[2:]
    if not _OWNER.fullmatch(owner):
        raise _bad(location, f"{owner!r} is not a user or organization name")
    if not _REPO.fullmatch(repo) or repo in (".", ".."):
        raise _bad(location, f"{repo!r} is not a repository name")
    if not rest:
        return Location("repository", owner, repo)
    if rest == ["dependabot"]:
        return Location("dependabot", owner, repo)
    if rest[0] == "environments" and len(rest) > 1 and all(rest[1:]):
        return Location("environment", owner, repo, "/".join(rest[1:]))
    raise _bad(location, "after OWNER/REPO comes nothing, /dependabot or /environments/NAME")


def _bad(location: str, why: str) -> LocationError:
    return LocationError(f"github:{location}: not a GitHub secrets location ({why}); "
                         f"write {LOCATION_HELP}")
