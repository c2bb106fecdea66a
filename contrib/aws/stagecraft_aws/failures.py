"""What an AWS failure means for a sync: retry it, or stop with one clear line.

Every boto3 call of the stores runs inside :func:`translated`, which turns
botocore's exceptions into Stagecraft's:

* throttling (``ThrottlingException``, ``TooManyUpdates``, "Rate exceeded"),
  5xx answers and connections that broke mid-call become
  :class:`stagecraft.TransientError`, which the engine retries with backoff;
  a write whose connection broke or timed out after it was sent is also an
  :class:`stagecraft.OutcomeUnknownError` (:class:`AwsLostAnswerError`): it
  may have landed, so when no retry settles it its key is reported unknown;
* everything else (no credentials, access denied, an unreachable endpoint,
  KMS refusing to encrypt) becomes a :class:`ProviderError` (exit 2) whose
  one-line message names the store and location and says what to check.

AWS's own message is kept when it helps (it names the IAM action that was
denied), but passed through the run's redactor and stripped of any quoted
``Value '...'``, since validation errors may echo what was sent.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from stagecraft.errors import OutcomeUnknownError, ProviderError, TransientError

if TYPE_CHECKING:
    from stagecraft.providers.secrets import Context

THROTTLING_CODES = frozenset({
    "ThrottlingException", "Throttling", "TooManyUpdates", "TooManyRequestsException",
    "RequestLimitExceeded", "ThrottledException", "SlowDown", "RequestThrottled",
    "RequestThrottledException", "ProvisionedThroughputExceededException",
})
SERVER_CODES = frozenset({
    "InternalServiceError", "InternalServiceErrorException", "InternalFailure",
    "InternalError", "InternalServerError", "ServiceUnavailable",
    "ServiceUnavailableException",
})
ACCESS_CODES = frozenset({
    "AccessDeniedException", "AccessDenied", "UnauthorizedOperation",
    "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException",
    "SignatureDoesNotMatch", "ExpiredTokenException", "ExpiredToken",
    "IncompleteSignature", "AuthFailure",
})
KMS_CODES = frozenset({
    "InvalidKeyId", "KMSAccessDeniedException", "KMSDisabledException",
    "KMSInvalidStateException", "KMSNotFoundException", "KMSInvalidKeyUsageException",
    "EncryptionFailure", "DecryptionFailure", "DisabledException", "NotFoundException",
})

_QUOTED_VALUE = re.compile(r"[Vv]alue '.*?'(?= at |$)", re.DOTALL)


class AwsError(ProviderError):
    """An AWS call failed for good; ``code`` is AWS's error code ('' when none)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class AwsTransientError(TransientError):
    """An AWS call failed in a way worth retrying; ``code`` as for :class:`AwsError`."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class AwsLostAnswerError(AwsTransientError, OutcomeUnknownError):
    """A write was sent and its answer lost (a broken connection, a read timeout).

    Retried: the stores' writes are idempotent (Secrets Manager's client
    tokens, SSM's overwrite of the same value).
    """


#: AWS operations (by prefix) that change the store: a lost answer leaves them unknown.
_WRITES = ("Put", "Create", "Delete", "Restore", "Update")


def error_code(exc: BaseException) -> str:
    """AWS's error code of a botocore ``ClientError`` ('' for anything else)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    error = response.get("Error") or {}
    return str(error.get("Code", "")) if isinstance(error, dict) else ""


def _status(exc: BaseException) -> int:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return 0
    metadata = response.get("ResponseMetadata") or {}
    status = metadata.get("HTTPStatusCode", 0) if isinstance(metadata, dict) else 0
    return status if isinstance(status, int) else 0


def _aws_message(ctx: Context, exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, dict) else None
    text = str(error.get("Message", "")) if isinstance(error, dict) else ""
    text = " ".join(_QUOTED_VALUE.sub("value (not shown)", text).split())
    return ctx.redactor.redact(text)


def is_transient_client_error(exc: BaseException) -> bool:
    """Whether a botocore ``ClientError`` is throttling or a server-side failure."""
    code = error_code(exc)
    if code in THROTTLING_CODES or code in SERVER_CODES:
        return True
    if "rate exceeded" in str(exc).lower():
        return True
    return _status(exc) >= 500 or _status(exc) == 429


def translate(ctx: Context, exc: BaseException, where: str, operation: str) -> ProviderError:
    """The Stagecraft error for a botocore exception raised by ``operation`` at ``where``."""
    import botocore.exceptions as bce

    name = type(exc).__name__
    if isinstance(exc, bce.ClientError):
        code = error_code(exc) or str(_status(exc))
        detail = _aws_message(ctx, exc)
        suffix = f": {detail}" if detail else ""
        if is_transient_client_error(exc):
            throttled = code in THROTTLING_CODES or "rate exceeded" in str(exc).lower()
            kind = "throttled" if throttled else "AWS answered with a server error"
            return AwsTransientError(f"{where}: {kind} ({code} on {operation}){suffix}", code)
        if code in ACCESS_CODES:
            return AwsError(
                f"{where}: access denied ({code} on {operation}); check the credentials in "
                f"use and their IAM policy{suffix}", code)
        if code in KMS_CODES or code.startswith("KMS"):
            return AwsError(
                f"{where}: the KMS key refused the operation ({code} on {operation}); check "
                f"kms_key_id and the key's policy{suffix}", code)
        return AwsError(f"{where}: {operation} failed ({code}){suffix}", code)
    if isinstance(exc, bce.NoCredentialsError | bce.PartialCredentialsError):
        return AwsError(f"{where}: no usable AWS credentials ({name})")
    if isinstance(exc, bce.NoRegionError):
        return AwsError(
            f"{where}: no AWS region (set AWS_DEFAULT_REGION or `region` in the config)")
    if isinstance(exc, bce.ConnectionClosedError | bce.ReadTimeoutError):
        lost: type[AwsTransientError] = (
            AwsLostAnswerError if operation.startswith(_WRITES) else AwsTransientError)
        what = ("no answer came in time" if isinstance(exc, bce.ReadTimeoutError)
                else "the connection broke")
        return lost(f"{where}: {what} during {operation} ({name})")
    if isinstance(exc, bce.EndpointConnectionError | bce.ConnectTimeoutError):
        # Also what an unknown region looks like (its host name does not resolve).
        return AwsError(
            f"{where}: cannot reach the AWS endpoint for {operation} ({name}); check the "
            "region and AWS_ENDPOINT_URL")
    if isinstance(exc, bce.HTTPClientError):
        return AwsTransientError(f"{where}: the connection failed during {operation} ({name})")
    if isinstance(exc, bce.BotoCoreError):
        return AwsError(f"{where}: {operation} failed ({name})")
    raise TypeError(f"not a botocore exception: {name}")


@contextlib.contextmanager
def translated(ctx: Context, where: str, operation: str) -> Iterator[None]:
    """Run a boto3 call, turning botocore's exceptions into Stagecraft's (see :func:`translate`).

    The original is not chained (``from None``): its text is AWS's, unredacted.
    """
    import botocore.exceptions as bce

    try:
        yield
    except (bce.BotoCoreError, bce.ClientError) as exc:
        raise translate(ctx, exc, where, operation) from None
