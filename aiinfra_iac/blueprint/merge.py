"""Deep merge of ``extends:`` documents, keeping where every final value was written.

Rules (child wins):

* mapping + mapping: merged key by key, recursively;
* list + list where every item of both is a mapping with a string ``name``: merged by name —
  the child's entry deep-merges onto the base's entry of the same name, new names are
  appended in the child's order;
* anything else (scalars, other lists, an empty child list, a type change): the child's
  value replaces the base's.
"""

from __future__ import annotations

from aiinfra_iac.blueprint.yaml_source import Node


def merge_nodes(base: Node, child: Node) -> Node:
    """Return ``child`` deep-merged onto ``base`` (neither input is modified)."""
    if isinstance(base.value, dict) and isinstance(child.value, dict):
        merged: dict[str, Node] = dict(base.value)
        for key, value in child.value.items():
            merged[key] = merge_nodes(base.value[key], value) if key in base.value else value
        return Node(merged, child.file, child.line)
    if _named_list(base) and _named_list(child) and child.value:
        return Node(_merge_named(base.value, child.value), child.file, child.line)
    return child


def _name_of(item: Node) -> str:
    name = item.value["name"].value
    assert isinstance(name, str)
    return name


def _named_list(node: Node) -> bool:
    if not isinstance(node.value, list):
        return False
    return all(
        isinstance(item.value, dict) and "name" in item.value and isinstance(item.value["name"].value, str)
        for item in node.value
    )


def _merge_named(base: list[Node], child: list[Node]) -> list[Node]:
    result = list(base)
    position = {_name_of(item): index for index, item in enumerate(result)}
    in_child: set[str] = set()
    for item in child:
        name = _name_of(item)
        repeated = name in in_child  # a name twice in one file stays twice: the checks report it (AI102)
        in_child.add(name)
        if name in position and not repeated:
            result[position[name]] = merge_nodes(result[position[name]], item)
        else:
            position[name] = len(result)
            result.append(item)
    return result
