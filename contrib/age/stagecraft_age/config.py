"""The ``secrets.providers.age`` section of ``stagecraft.yml``."""

from __future__ import annotations

import attrs

from stagecraft_envfile.config import Config as EnvfileConfig


@attrs.frozen
class Config(EnvfileConfig):
    """Options of the age store: the envfile store's, plus who the file is encrypted to.

    * ``source_file``, ``target_file``, ``create_target``, ``readers``: as
      for ``envfile`` (the file is an env file once decrypted).
    * ``recipients``: age public keys (``age1...``) or SSH public keys
      (``ssh-ed25519 ...``, ``ssh-rsa ...``) every write encrypts to.
    * ``recipients_file``: a file of recipients, one a line, ``#`` comments
      and blank lines ignored (what ``age -R`` reads); relative to the
      config's directory.  Combined with ``recipients`` when both are set.
    * ``identities``: files of private keys that decrypt (age identity files
      such as ``age-keygen`` writes, or unencrypted SSH private keys);
      relative to the config's directory.  Unset: ``SOPS_AGE_KEY_FILE``, else
      ``$XDG_CONFIG_HOME/sops/age/keys.txt``, the file SOPS users have.
    * ``armor``: write the ASCII-armored form (``-----BEGIN AGE ENCRYPTED
      FILE-----``), which diffs and pastes as text; reading takes either.
    """

    recipients: list[str] = attrs.field(factory=list)
    recipients_file: str | None = None
    identities: list[str] = attrs.field(factory=list)
    armor: bool = False
