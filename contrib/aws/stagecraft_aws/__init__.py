"""Stagecraft's AWS stores: ``aws-sm`` (Secrets Manager) and ``aws-ssm`` (Parameter Store).

The ``stagecraft-aws`` distribution: the hook builds its stores; the store's
SDK (boto3) is imported only when a sync first needs it.
"""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft_aws.parameterstore import ParameterStore
from stagecraft_aws.secretsmanager import SecretsManagerStore

__all__ = ["ParameterStore", "SecretsManagerStore", "secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> list[SecretsManagerStore | ParameterStore]:
    """Contribute the ``aws-sm`` and ``aws-ssm`` stores."""
    return [SecretsManagerStore(), ParameterStore()]
