"""Every place a blueprint can hold a string, found by walking ``aiinfra schema`` (not a hand-made list).

A path is a tuple of keys and list indexes; the last element ``KEY`` means "the mapping key itself"
(partition names, label keys, NCCL variable names are strings a user writes too).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from typing import Any

from aiinfra_iac.blueprint.models import Blueprint

KEY = "<key>"
"""Path marker: plant the string as a mapping key instead of a value."""
ANY = "<any>"
"""Path marker: the value under some key of a free-form mapping (the first one the base has)."""
Path = tuple[str | int, ...]


def string_paths() -> list[Path]:
    """Every string-typed leaf (and every free-form mapping key) of the blueprint schema."""
    schema = Blueprint.model_json_schema(by_alias=True, mode="validation")
    return sorted(set(_walk(schema, schema, (), 0)), key=str)


def _walk(node: dict[str, Any], root: dict[str, Any], path: Path, depth: int) -> Iterator[Path]:
    if depth > 20:
        return
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        yield from _walk(root["$defs"][name], root, path, depth + 1)
        return
    for alternative in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
        yield from _walk(alternative, root, path, depth + 1)
    kind = node.get("type")
    if kind == "string" or ("enum" in node and kind is None) or "const" in node:
        yield path
    if kind == "object" or "properties" in node:
        for key, child in node.get("properties", {}).items():
            yield from _walk(child, root, (*path, key), depth + 1)
        # free-form mappings: any key (``additionalProperties``), or keys matching a pattern
        # (``patternProperties``, what pydantic writes for a constrained key type)
        values = [node.get("additionalProperties"), *node.get("patternProperties", {}).values()]
        for extra in values:
            if isinstance(extra, dict):
                yield (*path, KEY)
                yield from _walk(extra, root, (*path, ANY), depth + 1)
    if kind == "array" and isinstance(node.get("items"), dict):
        yield from _walk(node["items"], root, (*path, 0), depth + 1)


def planted(base: dict[str, Any], path: Path, payload: str) -> dict[str, Any]:
    """A copy of ``base`` with ``payload`` at ``path`` (creating the containers on the way)."""
    data = copy.deepcopy(base)
    node: Any = data
    for raw, following in itertools.pairwise(path):
        step = _concrete(node, raw)
        empty: Any = [] if isinstance(following, int) else {}
        if following == KEY:
            empty = {}
        if isinstance(step, int):
            while len(node) <= step:
                node.append(empty)
            if node[step] is None or not isinstance(node[step], list | dict):
                node[step] = empty
        elif not isinstance(node.get(step), list | dict):
            node[step] = empty
        node = node[step]
    last = _concrete(node, path[-1])
    if last == KEY:
        node[payload] = next(iter(node.values()), "x") if node else "x"
    elif isinstance(last, int):
        while len(node) <= last:
            node.append(None)
        node[last] = payload
    else:
        node[last] = payload
    return data


def _concrete(node: Any, step: str | int) -> str | int:
    if step == ANY:
        return next(iter(node), "x") if isinstance(node, dict) else "x"
    return step
