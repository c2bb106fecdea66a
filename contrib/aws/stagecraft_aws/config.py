"""The section of ``stagecraft.yml`` that both AWS stores read.

::

    secrets:
      providers:
        aws-sm:                  # or aws-ssm: each store has its own section
          profile: prod          # a profile of ~/.aws/config (default: boto3's chain)
          region: eu-west-1      # default: AWS_REGION / the profile's region
          kms_key_id: alias/app  # encrypts created secrets / SecureStrings
          tags: {team: web}      # put on secrets the sync creates (aws-sm)
          concurrency: 10        # writes in flight (default: the store's own)
          force_delete: false    # --prune without the recovery window (aws-sm)

Credentials and the endpoint are never configured here: they come from
boto3's standard chain (environment, profiles, SSO, instance roles;
``AWS_ENDPOINT_URL`` for a local emulator), so a config file never holds a
credential.  This module imports only attrs: the registry builds with it.
"""

from __future__ import annotations

from typing import Any

import attrs

from stagecraft.config_fields import concurrency, non_empty_name
from stagecraft.errors import InvalidConfigError


def _check_tags(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, dict):
        raise InvalidConfigError("tags must be a mapping of tag names to values")
    for name, tag in value.items():
        if not isinstance(name, str) or not name or not isinstance(tag, str):
            raise InvalidConfigError(f"tag {name!r} must be a non-empty name with a string value")


@attrs.frozen
class Config:
    """Settings of ``aws-sm`` and ``aws-ssm`` (all optional)."""

    profile: str | None = attrs.field(default=None, validator=non_empty_name)
    region: str | None = attrs.field(default=None, validator=non_empty_name)
    kms_key_id: str | None = attrs.field(default=None, validator=non_empty_name)
    tags: dict[str, str] = attrs.field(factory=dict, validator=_check_tags)
    #: None: the store's default (:attr:`stagecraft.SecretStore.concurrency`).
    concurrency: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(concurrency)
    )
    force_delete: bool = False
