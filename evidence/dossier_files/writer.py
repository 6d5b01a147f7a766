"""Write a dossier document as YAML or JSON, in one normalised form.

Normalised: keys in schema order, empty values left out, multi-line text as
YAML literal blocks. Exporting what was imported gives the same text back.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from evidence.dossier_files.reader import dossier_schema


class _DossierDumper(yaml.SafeDumper):
    pass


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_DossierDumper.add_representer(str, _represent_text)


def _compact(value: Any) -> Any:
    """Drop None and empty lists/maps, recursively (False and 0 are kept)."""
    if isinstance(value, dict):
        items = ((key, _compact(item)) for key, item in value.items())
        return {key: item for key, item in items if item not in (None, [], {})}
    if isinstance(value, list):
        return [_compact(item) for item in value]
    return value


def _schema_for(value: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The object schema that describes ``value`` (choosing among ``oneOf`` forms)."""
    for option in schema.get("oneOf", []):
        if option.get("type") == "object" and set(value) <= set(option.get("properties", {})):
            return dict(option)
    return schema


def _in_schema_order(value: Any, schema: dict[str, Any]) -> Any:
    """Keys in the order the schema lists them, so every export reads the same way."""
    if isinstance(value, dict):
        schema = _schema_for(value, schema)
        properties = schema.get("properties", {})
        rank = {name: index for index, name in enumerate(properties)}
        ordered = sorted(value, key=lambda key: rank.get(key, len(rank)))
        return {key: _in_schema_order(value[key], properties.get(key, {})) for key in ordered}
    if isinstance(value, list):
        return [_in_schema_order(item, schema.get("items", {})) for item in value]
    return value


def dump_dossier(document: dict[str, Any], fmt: str) -> str:
    compact = _in_schema_order(_compact(document), dossier_schema())
    if fmt == "json":
        return json.dumps(compact, ensure_ascii=False, indent=2) + "\n"
    return yaml.dump(
        compact,
        Dumper=_DossierDumper,
        sort_keys=False,
        allow_unicode=True,
        width=1_000_000,  # long scalars stay on one line: diffs stay readable
        default_flow_style=False,
    )
