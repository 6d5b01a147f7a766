"""Read a dossier file and check it against the JSON Schema, naming field and line."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from evidence.errors import InvalidDossierFile

FORMAT = "evidence-dossier/1"
MAX_PROBLEMS = 20

JsonPath = tuple[str | int, ...]


class _TextLoader(yaml.SafeLoader):
    """YAML with dates left as text, so the schema, not the loader, checks them."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def dossier_schema() -> dict[str, Any]:
    text = resources.files("evidence.dossier_files").joinpath("dossier.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def _line_map(text: str) -> dict[JsonPath, int]:
    """Map each path in the document to the 1-based line where its value starts."""
    lines: dict[JsonPath, int] = {}

    def walk(node: yaml.Node, path: JsonPath) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                walk(value_node, (*path, str(key_node.value)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    try:
        root = yaml.compose(text, Loader=_TextLoader)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines


def format_path(path: JsonPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"


def _parse(text: str, source: str, fmt: str) -> Any:
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidDossierFile(
                source, [f"line {error.lineno}: not valid JSON: {error.msg}"]
            ) from error
    try:
        return yaml.load(text, Loader=_TextLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise InvalidDossierFile(source, [f"{where}not valid YAML: {problem}"]) from error


def _schema_problems(document: Any, lines: dict[JsonPath, int]) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        dossier_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path))):
        path: JsonPath = tuple(error.absolute_path)
        line = lines.get(path) if path else None
        where = f" (line {line})" if line else ""
        problems.append(f"{format_path(path)}: {_describe(error)}{where}")
    return problems[:MAX_PROBLEMS]


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        return f"unknown key: {error.message.split('(')[-1].rstrip(')')}"
    if error.validator == "format":
        return f"{error.instance!r} is not a valid {error.validator_value}"
    if error.validator == "oneOf":
        return f"{error.instance!r} matches none of the allowed forms"
    return str(error.message)


def _reference_problems(document: dict[str, Any], lines: dict[JsonPath, int]) -> list[str]:
    """Cross-references the schema cannot express: citation keys and product names."""
    problems = []

    def problem(path: JsonPath, message: str) -> None:
        line = lines.get(path)
        problems.append(f"{format_path(path)}: {message}" + (f" (line {line})" if line else ""))

    keys: set[str] = set()
    for index, citation in enumerate(document.get("citations", [])):
        if citation["key"] in keys:
            problem(("citations", index, "key"), f"duplicate citation key {citation['key']!r}")
        keys.add(citation["key"])
    products = {product["name"] for product in document.get("products", [])}
    for path, key in _citation_references(document):
        if key not in keys:
            problem(path, f"unknown citation key {key!r} (not in citations)")
    for index, statement in enumerate(document.get("spc_statements", [])):
        for position, link in enumerate(statement["products"]):
            if link["product"] not in products:
                problem(
                    ("spc_statements", index, "products", position, "product"),
                    f"unknown product {link['product']!r} (not in products)",
                )
    return problems


def _citation_references(document: dict[str, Any]) -> list[tuple[JsonPath, str]]:
    found: list[tuple[JsonPath, str]] = []
    for index, appraisal in enumerate(document.get("appraisals", [])):
        found.append((("appraisals", index, "citation"), appraisal["citation"]))
    for index, factor in enumerate(document.get("risk_factors", [])):
        for position, key in enumerate(factor.get("sources", [])):
            found.append((("risk_factors", index, "sources", position), key))
    for s_index, strategy in enumerate(document.get("search_strategies", [])):
        for r_index, run in enumerate(strategy.get("runs", [])):
            for h_index, hit in enumerate(run.get("hits", [])):
                path: JsonPath = (
                    "search_strategies",
                    s_index,
                    "runs",
                    r_index,
                    "hits",
                    h_index,
                    "citation",
                )
                found.append((path, hit["citation"]))
    return found


def parse_dossier_text(text: str, *, source: str, fmt: str = "yaml") -> dict[str, Any]:
    """Parse and validate a dossier document; raise ``InvalidDossierFile`` listing problems."""
    document = _parse(text, source, fmt)
    lines = _line_map(text)
    problems = _schema_problems(document, lines)
    if not problems:
        problems = _reference_problems(document, lines)
    if problems:
        raise InvalidDossierFile(source, problems)
    result: dict[str, Any] = document
    return result


def load_dossier_file(path: Path) -> dict[str, Any]:
    """Read ``path`` (``.json`` as JSON, anything else as YAML) and validate it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidDossierFile(str(path), [f"cannot read the file: {error}"]) from error
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    return parse_dossier_text(text, source=str(path), fmt=fmt)
