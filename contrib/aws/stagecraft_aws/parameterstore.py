"""``aws-ssm``: SSM Parameter Store, one ``SecureString`` parameter per key.

``aws-ssm:/myapp/prod/`` holds ``/myapp/prod/KEY`` for each key.  Reads of
the whole location page through ``GetParametersByPath`` (10 a page, with
decryption); reads of chosen keys ask ``GetParameters`` for 10 names a call.
Each changed key is one ``PutParameter`` (``Overwrite``, the configured KMS
key), run concurrently by the engine; ``--prune`` deletes 10 names a call.

Parameter Store throttles ``PutParameter`` at a few calls a second unless
the account enabled higher throughput: the default concurrency is low, and
the engine retries throttled writes with backoff.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from stagecraft.store import NoSuchLocationError
from stagecraft_aws.awsstore import AwsStore, KeyLimits, LocationError, Place

#: Parameter Store's limits (standard tier).
PAGE = 10
MAX_VALUE_BYTES = 4096
MAX_NAME_LENGTH = 1011
_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")
_PATH = re.compile(r"^/[A-Za-z0-9_./-]*$")

LOCATION_HELP = "/PATH/ (one SecureString parameter per key, /PATH/KEY)"


class ParameterPlace(Place):
    """One path of one sync."""

    def name(self, key: str) -> str:
        return self.location + key

    def _key(self, name: str) -> str:
        return name[len(self.location):]

    def _collect(self, parameters: list[dict[str, Any]], into: dict[str, str]) -> None:
        for parameter in parameters:
            key = self._key(parameter["Name"])
            if key and "/" not in key:
                into[key] = parameter["Value"]
        self.ctx.add_secrets(into.values())

    def read(self, keys: Collection[str] | None) -> dict[str, str]:
        values: dict[str, str] = {}
        if keys is None:
            arguments: dict[str, Any] = {
                "Path": self.location.rstrip("/") or "/",
                "Recursive": False,
                "WithDecryption": True,
                "MaxResults": PAGE,
            }
            while True:
                page = self.call("get_parameters_by_path", **arguments)
                self._collect(page.get("Parameters", []), values)
                token = page.get("NextToken")
                if not token and not values:  # a path exists only through its parameters
                    raise NoSuchLocationError(self.store.id, self.location,
                                              f"no parameter named {self.location}KEY")
                if not token:
                    # The service's order is not the keys' order: sort, so a
                    # file written from here comes out the same every time.
                    return dict(sorted(values.items()))
                arguments["NextToken"] = token
        wanted = list(keys)
        for start in range(0, len(wanted), PAGE):
            names = [self.name(key) for key in wanted[start:start + PAGE]]
            answer = self.call("get_parameters", Names=names, WithDecryption=True)
            self._collect(answer.get("Parameters", []), values)
        return {key: values[key] for key in wanted if key in values}

    def write_one(self, key: str, value: str) -> None:
        """One ``PutParameter``; the plan's added/updated stands.

        (The answer's version would say "updated" for a new key whose first
        attempt landed but whose answer was lost.)
        """
        arguments: dict[str, Any] = {
            "Name": self.name(key), "Value": value, "Type": "SecureString", "Overwrite": True,
        }
        if self.config.kms_key_id:
            arguments["KeyId"] = self.config.kms_key_id
        self.call("put_parameter", **arguments)

    def delete(self, keys: Collection[str]) -> None:
        """``DeleteParameters``, 10 names a call; names already gone are not an error."""
        names = [self.name(key) for key in keys]
        for start in range(0, len(names), PAGE):
            self.call("delete_parameters", Names=names[start:start + PAGE])


class ParameterStore(AwsStore):
    """``aws-ssm:/PATH/``: SecureString parameters, written one by one, concurrently."""

    id = "aws-ssm"
    service = "ssm"
    location_help = LOCATION_HELP
    #: PutParameter's default quota is a few calls a second (see the module doc).
    concurrency = 3
    retries = 6
    place_class = ParameterPlace
    writes_one_by_one = True
    key_limits = KeyLimits(
        "parameter", _KEY, "_.-", MAX_NAME_LENGTH, "Parameter Store", "value", MAX_VALUE_BYTES,
        " (standard tier)",
    )

    def check_location(self, location: str) -> None:
        if not location.startswith("/"):
            raise LocationError(
                f"{self.id}:{location}: a parameter path starts with '/'; use {LOCATION_HELP}"
            )
        if not location.endswith("/"):
            raise LocationError(
                f"{self.id}:{location}: end the path with '/' (the parameters are "
                f"{location}/KEY); use {LOCATION_HELP}"
            )
        if not _PATH.match(location) or "//" in location:
            raise LocationError(
                f"{self.id}:{location}: a parameter path may hold only letters, digits, "
                "single '/' and _.-"
            )

