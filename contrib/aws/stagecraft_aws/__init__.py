"""Stagecraft's AWS stores: ``aws-sm`` (Secrets Manager) and ``aws-ssm`` (Parameter Store).

Installed as the ``stagecraft-aws`` distribution, found through the
``stagecraft`` entry point ``aws``: one plugin contributing two stores.
Building the registry imports the store classes and their attrs config,
never boto3, which is imported when a sync first talks to AWS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stagecraft.hookspecs import hookimpl

if TYPE_CHECKING:
    from stagecraft.store import SecretStore

__all__ = ["secrets_provider_register"]


@hookimpl
def secrets_provider_register() -> list[SecretStore]:
    """Contribute the ``aws-sm`` and ``aws-ssm`` stores."""
    from stagecraft_aws.parameterstore import ParameterStore
    from stagecraft_aws.secretsmanager import SecretsManagerStore

    return [SecretsManagerStore(), ParameterStore()]
