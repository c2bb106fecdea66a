"""Failures a user meets: one line naming the store and location, exit 2, no secret shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_fault_proxy import every
from moto_server import SECRET_ACCESS_KEY, SESSION_TOKEN, free_port

from stagecraft.errors import ProviderError
from stagecraft.providers.secrets import Context
from stagecraft.store import SecretStore, TransientError
from stagecraft.testing import sessions
from stagecraft_aws.config import Config
from stagecraft_aws.parameterstore import ParameterStore
from stagecraft_aws.secretsmanager import SecretPerKeyStore

VALUE = "canary-value-Zq81-do-not-leak"


def assert_one_clean_line(exc: BaseException, where: str) -> None:
    text = str(exc)
    assert "\n" not in text
    assert text.startswith(f"{where}: ")
    for secret in (SECRET_ACCESS_KEY, SESSION_TOKEN, VALUE):
        assert secret not in text
        assert secret not in repr(exc)
    # botocore's exception (AWS's unredacted text) is not chained to it.
    assert exc.__cause__ is None
    assert exc.__context__ is None or exc.__suppress_context__


def fail(store: SecretStore, ctx: Context, location: str) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        sessions.write_one(store, ctx, location, "KEY", VALUE)
    assert caught.value.exit_code == 2
    return caught.value


def test_no_credentials(aws_env: object, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    error = fail(ParameterStore(), ctx, "/app/prod/")
    assert_one_clean_line(error, "aws-ssm:/app/prod/")
    assert "no AWS credentials found" in str(error)


def test_unknown_profile(aws_env: object, tmp_path: Path) -> None:
    ctx = Context(cwd=tmp_path, config=Config(profile="nope"))
    error = fail(SecretPerKeyStore(), ctx, "app/prod/")
    assert_one_clean_line(error, "aws-sm:app/prod/")
    assert "profile 'nope'" in str(error)


def test_a_profile_from_the_config_files_is_used(
    aws_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: str,
    ssm: Any
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name)
    Path(aws_env["AWS_CONFIG_FILE"]).write_text("[profile ci]\nregion = eu-west-1\n")
    Path(aws_env["AWS_SHARED_CREDENTIALS_FILE"]).write_text(
        f"[ci]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = {SECRET_ACCESS_KEY}\n")
    ctx = Context(cwd=tmp_path, config=Config(profile="ci"))
    sessions.write_one(ParameterStore(), ctx, f"/{prefix}/", "KEY", VALUE)
    assert ssm.get_parameter(Name=f"/{prefix}/KEY", WithDecryption=True)["Parameter"][
        "Value"] == VALUE
    assert SECRET_ACCESS_KEY not in ctx.redactor.redact(SECRET_ACCESS_KEY)


def test_no_region(aws_env: object, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    error = fail(ParameterStore(), ctx, "/app/prod/")
    assert_one_clean_line(error, "aws-ssm:/app/prod/")
    assert "no AWS region" in str(error)


def test_unreachable_endpoint(aws_env: object, ctx: Context,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    error = fail(ParameterStore(), ctx, "/app/prod/")
    assert not isinstance(error, TransientError)
    assert_one_clean_line(error, "aws-ssm:/app/prod/")
    assert "cannot reach the AWS endpoint for PutParameter" in str(error)


def test_the_password_in_the_endpoint_is_registered_for_masking(
    aws_env: object, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore quotes the endpoint in its own errors: its user and password are masked."""
    endpoint = f"http://ci:Endpoint-Pass-77@127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    error = fail(ParameterStore(), ctx, "/app/prod/")
    assert "Endpoint-Pass-77" not in str(error)
    assert ctx.redactor.redact(f"Could not connect to the endpoint URL: {endpoint}/") == (
        f"Could not connect to the endpoint URL: http://***@127.0.0.1:{endpoint.rsplit(':', 1)[1]}/"
    )


def test_unknown_region(aws_env: object, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "mars-east-1")
    error = fail(SecretPerKeyStore(), ctx, "app/prod/")
    assert_one_clean_line(error, "aws-sm:app/prod/")
    assert "check the region and AWS_ENDPOINT_URL" in str(error)


def test_access_denied(proxy: Any, ctx: Context) -> None:
    proxy.faults.reset(every({"PutParameter": ("deny",)}))
    error = fail(ParameterStore(), ctx, "/app/prod/")
    assert_one_clean_line(error, "aws-ssm:/app/prod/")
    assert "access denied (AccessDeniedException on PutParameter)" in str(error)
    assert "not authorized" in str(error)  # AWS's explanation is kept


def test_kms_failure(proxy: Any, tmp_path: Path) -> None:
    ctx = Context(cwd=tmp_path, config=Config(kms_key_id="alias/app"))
    proxy.faults.reset(every({"CreateSecret": ("kms",)}))
    error = fail(SecretPerKeyStore(), ctx, "app/prod/")
    assert_one_clean_line(error, "aws-sm:app/prod/")
    assert "the KMS key refused the operation (KMSInvalidStateException on CreateSecret)" \
        in str(error)


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("throttle", "throttled (ThrottlingException on PutParameter): Rate exceeded"),
        ("server", "AWS answered with a server error (InternalServiceError on PutParameter)"),
        ("reset", "the connection broke during PutParameter"),
    ],
)
def test_transient_failures_are_marked_for_the_engine_to_retry(
    proxy: Any, ctx: Context, fault: str, words: str
) -> None:
    store = ParameterStore()
    proxy.faults.reset(every({"PutParameter": (fault,)}))
    error = fail(store, ctx, "/app/prod/")
    assert isinstance(error, TransientError)
    assert store.is_transient(error)
    assert_one_clean_line(error, "aws-ssm:/app/prod/")
    assert words in str(error)


def test_values_echoed_by_aws_are_not_shown(ctx: Context) -> None:
    import botocore.exceptions

    from stagecraft_aws.failures import translate

    ctx.add_secrets([VALUE])
    echoed = botocore.exceptions.ClientError(
        {"Error": {"Code": "ValidationException",
                   "Message": f"1 validation error detected: Value '{VALUE}' at 'value' failed"}},
        "PutParameter",
    )
    error = translate(ctx, echoed, "aws-ssm:/app/", "PutParameter")
    assert VALUE not in str(error)
    assert "value (not shown) at 'value' failed" in str(error)
    assert str(error).startswith("aws-ssm:/app/: PutParameter failed (ValidationException)")


def test_reading_registers_values_and_credentials_for_masking(
    aws_env: object, ctx: Context, prefix: str, ssm: Any
) -> None:
    ssm.put_parameter(Name=f"/{prefix}/KEY", Value=VALUE, Type="SecureString")
    assert ParameterStore().read(ctx, f"/{prefix}/", None) == {"KEY": VALUE}
    shown = ctx.redactor.redact(f"{VALUE} {SECRET_ACCESS_KEY} {SESSION_TOKEN}")
    assert shown == "*** *** ***"


def test_a_failing_credential_provider(
    aws_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    Path(aws_env["AWS_CONFIG_FILE"]).write_text(
        "[profile broken]\nregion = eu-west-1\ncredential_process = false\n")
    ctx = Context(cwd=tmp_path, config=Config(profile="broken"))
    error = fail(ParameterStore(), ctx, "/app/prod/")
    assert_one_clean_line(error, "aws-ssm:/app/prod/")
    assert "cannot load AWS credentials (CredentialRetrievalError)" in str(error)
