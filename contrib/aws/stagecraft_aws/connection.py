"""A boto3 client for one sync: the standard credential chain, no hidden retries.

boto3 is imported here, and this module is imported only when a sync
touches an AWS store, so listing providers never pays for boto3.

Two choices matter:

* botocore's own retries are off (``total_max_attempts=1``).  The sync
  engine retries what :mod:`stagecraft_aws.failures` calls transient, with
  backoff, within the run's deadline, and counts every attempt; retries
  hidden inside botocore would multiply its count and outlive ``--timeout``.
* the secret access key and session token are registered with the run's
  redactor as soon as they are resolved, so no message can show them.
* the loader of botocore's service models is shared by the syncs of a
  process: the models are the same for all, and parsing them is most of
  what making a client costs (about 0.2 s).  Sessions, credentials and
  clients are made afresh for every sync, from the environment of the time.
* boto3, botocore and urllib3 never log below INFO: at DEBUG botocore logs
  every request's signed headers (the session token) and every response
  body (the secret values), whatever the application's logging set-up.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Literal

from stagecraft.errors import ProviderError
from stagecraft.urls import shown_url, strip_userinfo

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Context
    from stagecraft_aws.config import Config

#: The boto3 services of the two stores.
Service = Literal["secretsmanager", "ssm"]

#: Loggers that would show credentials and values at DEBUG.
WIRE_LOGGERS = ("boto3", "botocore", "urllib3")

#: Seconds to wait for a connection and for an answer; the engine retries after either.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
#: The least a call is given, however little of ``--timeout`` is left: the deadline
#: itself stops the next call (``ctx.check``), this only bounds the one in flight.
MINIMUM_TIMEOUT = 0.5


def connect(ctx: Context, config: Config, service: Service, where: str, pool: int) -> Any:
    """A ``service`` client ("secretsmanager" or "ssm") for the store at ``where``.

    ``pool`` is the number of calls that may be in flight at once (the
    store's concurrency), so no call waits for a connection of its own pool.
    Raises a one-line :class:`ProviderError` naming ``where`` when there are
    no credentials, no region or an unknown profile.
    """
    import boto3
    import botocore.config
    import botocore.exceptions
    import botocore.session

    quiet_wire_logs()
    try:
        core = botocore.session.Session()
        core.register_component("data_loader", shared_loader())
        session = boto3.session.Session(
            profile_name=config.profile, region_name=config.region, botocore_session=core
        )
        credentials = session.get_credentials()
    except botocore.exceptions.ProfileNotFound:
        raise ProviderError(
            f"{where}: AWS profile {config.profile!r} is not in the AWS config files"
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise _credentials_error(where, exc) from None
    if credentials is None:
        raise ProviderError(
            f"{where}: no AWS credentials found (set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or sign in with `aws sso login`)"
        )
    try:
        frozen = credentials.get_frozen_credentials()
    except botocore.exceptions.BotoCoreError as exc:
        raise _credentials_error(where, exc) from None
    ctx.add_secrets(secret for secret in (frozen.secret_key, frozen.token) if secret)
    if session.region_name is None:
        raise ProviderError(
            f"{where}: no AWS region (set AWS_DEFAULT_REGION, a region in the profile, or `region` "
            "in the store's section of stagecraft.yml)"
        )
    connect_timeout, read_timeout = request_timeouts(ctx.remaining())
    settings = botocore.config.Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_pool_connections=max(10, pool),
    )
    try:
        client = session.client(service, config=settings)
    except botocore.exceptions.BotoCoreError as exc:
        raise ProviderError(
            f"{where}: cannot create the AWS {service} client ({strip_userinfo(str(exc))})"
        ) from None
    # An endpoint such as AWS_ENDPOINT_URL may carry a user and password, which
    # botocore quotes in its own errors and logs: masked wherever they appear.
    shown_url(str(client.meta.endpoint_url), ctx.add_secrets)
    return client


def request_timeouts(remaining: float | None) -> tuple[float, float]:
    """Seconds a call may wait for a connection and for an answer: the defaults, cut to
    what is left of the sync's ``--timeout`` when the client is made.

    botocore fixes them per client, and a sync makes its client when it first
    calls, so no call outlives the deadline by more than the time the sync had
    already spent when it started; without the cut, an endpoint that never
    answers would hold ``--timeout 5`` for 30 s per call.
    """
    if remaining is None:
        return CONNECT_TIMEOUT, READ_TIMEOUT
    left = max(MINIMUM_TIMEOUT, remaining)
    return min(CONNECT_TIMEOUT, left), min(READ_TIMEOUT, left)


def quiet_wire_logs() -> None:
    """Raise the AWS libraries' loggers to INFO where they would log at DEBUG (module doc)."""
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


def _credentials_error(where: str, exc: Exception) -> ProviderError:
    """One line for a credential provider's failure (an expired SSO session, a bad role).

    botocore's message is left out: it may quote a credential file's content.
    """
    name = type(exc).__name__
    hint = "; run `aws sso login`" if "SSO" in name or "Token" in name else ""
    return ProviderError(f"{where}: cannot load AWS credentials ({name}){hint}")


_loader_lock = threading.Lock()
_loader: Any = None


def shared_loader() -> Any:
    """The process's botocore data loader (made on first use; see the module doc)."""
    global _loader
    with _loader_lock:
        if _loader is None:
            import botocore.loaders

            _loader = botocore.loaders.create_loader()
        return _loader
