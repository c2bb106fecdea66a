"""Stagecraft's AWS stores: ``aws-sm`` (Secrets Manager) and ``aws-ssm`` (Parameter Store).

Installed as the ``stagecraft-aws`` distribution, found through its ``stagecraft``
entry point.  Like every Stagecraft distribution, it registers by building
its stores in the hook; the store's SDK (boto3) is imported only when a
sync first needs it.
"""

from __future__ import annotations

from stagecraft.hookspecs import hookimpl
from stagecraft_aws.parameterstore import ParameterStore
from stagecraft_aws.secretsmanager import SecretsManagerStore

__version__ = "0.1.0"

__all__ = ["ParameterStore", "SecretsManagerStore", "secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> list[SecretsManagerStore | ParameterStore]:
    """Contribute the ``aws-sm`` and ``aws-ssm`` stores."""
    return [SecretsManagerStore(), ParameterStore()]
