"""What an unexpected answer from GitHub means, as one line that names the location.

Every message starts ``github: LOCATION:`` and says what to do next; none
holds the token or a value (GitHub's own text is quoted, and it never
echoes either).  5xx answers are :class:`~stagecraft.TransientError`, so
the engine retries them with backoff; the others are plain
:class:`~stagecraft.ProviderError` (exit 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stagecraft.errors import ProviderError, TransientError, UserError

if TYPE_CHECKING:
    from stagecraft_github.client import Reply
    from stagecraft_github.location import Location

__all__ = ["LocationError", "RateLimitedError", "failure", "not_found"]


class LocationError(UserError):
    """A ``github:`` location that names no place GitHub keeps secrets."""


class RateLimitedError(ProviderError):
    """GitHub kept answering with a rate limit, or asked for a wait past the deadline."""


_PERMISSION = {
    "repository": "Secrets: read and write on the repository (classic tokens: repo)",
    "environment": "Environments and Secrets: read and write on the repository "
                   "(classic tokens: repo)",
    "dependabot": "Dependabot secrets: read and write on the repository (classic tokens: repo)",
    "organization": "organization Secrets: read and write (classic tokens: admin:org)",
}


def failure(reply: Reply, doing: str, where: Location) -> ProviderError:
    """The error for an unexpected ``reply`` (other than a 404: see :func:`not_found`)."""
    prefix = f"github: {where}: {doing}"
    if reply.status >= 500:
        return TransientError(f"{prefix}: GitHub answered {reply.status} ({reply.message})")
    if reply.status == 401:
        return ProviderError(
            f"{prefix}: the token was refused ({reply.message}); set GITHUB_TOKEN or GH_TOKEN "
            "to a valid, unexpired token"
        )
    if reply.status == 403:
        return ProviderError(
            f"{prefix}: the token has no access ({reply.message}); it needs "
            f"{_PERMISSION[where.kind]}"
        )
    if reply.status == 422:
        return ProviderError(f"{prefix}: GitHub refused the request ({reply.message})")
    return ProviderError(f"{prefix}: GitHub answered {reply.status} ({reply.message})")


def not_found(where: Location, doing: str, repository_exists: bool | None) -> ProviderError:
    """The error for a 404; ``repository_exists`` says whether the token sees the repository."""
    prefix = f"github: {where}: {doing}"
    if where.kind == "organization":
        return ProviderError(
            f"{prefix}: the organization {where.owner} was not found, or the token cannot "
            f"see it; check the name, and that the token has {_PERMISSION[where.kind]}"
        )
    repository = f"{where.owner}/{where.repo}"
    if where.kind == "environment" and repository_exists:
        return ProviderError(
            f"{prefix}: the repository {repository} has no environment "
            f"{where.environment!r}; create it (Settings > Environments) or check its name"
        )
    return ProviderError(
        f"{prefix}: the repository {repository} was not found, or the token cannot see it; "
        f"check the name, and that the token has {_PERMISSION[where.kind]}"
    )
