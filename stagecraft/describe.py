"""``stagecraft secrets providers ID``: what one provider is and what it accepts.

Everything is read from the provider object and its ``Config`` attrs class,
so a plugin documents itself by declaring them: the location syntax
(:attr:`~stagecraft.store.SecretStore.location_help`), config keys with
their types and defaults, whether values can be read back, whether it can
prune, and how many writes it runs at once.  Nothing is called that could
touch the store itself.
"""

from __future__ import annotations

import typing
from typing import Any

import attrs

__all__ = ["config_fields", "describe", "render", "type_name"]


def type_name(annotation: Any) -> str:
    """``str | None``, ``list[str]``, ``bool``: an annotation as a person writes it."""
    if annotation is None or annotation is type(None):
        return "None"
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _default(field: attrs.Attribute[Any]) -> Any:
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return None if default.takes_self else default.factory()
    if default is attrs.NOTHING:
        return None
    return default


def config_fields(config_class: Any) -> list[dict[str, Any]]:
    """Each field of an attrs ``Config`` class: key, type, default, required."""
    if config_class is None or not attrs.has(config_class):
        return []
    try:
        attrs.resolve_types(config_class)
    except (NameError, TypeError):  # an annotation naming something not importable
        pass
    rows = []
    for field in attrs.fields(config_class):
        rows.append({
            "key": field.metadata.get("key", field.alias or field.name),
            "type": type_name(field.type),
            "default": _plain(_default(field)),
            "required": field.default is attrs.NOTHING,
        })
    return rows


def _plain(value: Any) -> Any:
    """A value JSON and YAML can show (tuples as lists, anything else odd as text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def describe(provider: Any, origin: Any) -> dict[str, Any]:
    """The description of ``provider`` (a dict, the ``--json`` form)."""
    from stagecraft.store import SecretStore

    store = isinstance(provider, SecretStore)
    config_class = getattr(provider, "Config", None)
    fields = config_fields(config_class)
    concurrency: int | None = None
    concurrency_key: str | None = None
    if store:
        concurrency = max(1, provider.concurrency)
        for field in fields:
            if field["key"] == "concurrency" and isinstance(field["default"], int):
                concurrency, concurrency_key = field["default"], "concurrency"
    return {
        "id": provider.id,
        "kind": "store" if store else "provider",
        "plugin": origin.plugin,
        "distribution": origin.distribution,
        "version": origin.version,
        "location": (provider.location_help or None) if store else None,
        "reserved_prefixes": list(provider.reserved_prefixes) if store else [],
        "readable": bool(provider.readable) if store else None,
        "can_prune": bool(provider.can_prune) if store else None,
        "concurrency": concurrency,
        "concurrency_setting": concurrency_key,
        "retries": provider.retries if store else None,
        "config": fields,
    }


def render(info: dict[str, Any]) -> list[str]:
    """The description as text lines."""

    def yes_no(value: bool | None) -> str:
        return "-" if value is None else ("yes" if value else "no")

    origin = info["distribution"]
    origin_text = f"{origin} {info['version'] or '?'}" if origin else "-"
    provider_id = info["id"]
    lines = [
        f"{provider_id} ({info['kind']})",
        f"  distribution:  {origin_text}",
        f"  plugin:        {info['plugin']}",
    ]
    if info["kind"] == "store":
        location = info["location"] or "(not declared by the store)"
        lines += [
            f"  location:      {location}",
            f"                 --from {provider_id}:LOCATION, --to {provider_id}:LOCATION",
            f"  readable:      {yes_no(info['readable'])}"
            + ("" if info["readable"] else " (write-only: cannot be a --from source)"),
            f"  can prune:     {yes_no(info['can_prune'])}",
            f"  concurrency:   {info['concurrency']}"
            + (f" (set secrets.providers.{provider_id}.concurrency)"
               if info["concurrency_setting"] else ""),
        ]
    else:
        lines.append("  implements sync itself: --from ID:, --exclude, --prune and "
                     "patterns do not apply")
    if info["config"]:
        lines.append(f"  config (secrets.providers.{provider_id}):")
        width = max(len(field["key"]) for field in info["config"])
        type_width = max(len(field["type"]) for field in info["config"])
        for field in info["config"]:
            default = "required" if field["required"] else f"default {_yaml(field['default'])}"
            lines.append(f"    {field['key'].ljust(width)}  "
                         f"{field['type'].ljust(type_width)}  {default}")
    else:
        lines.append("  config: none declared")
    return lines


def _yaml(value: Any) -> str:
    """A default as it would be written in stagecraft.yml."""
    import json

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value)
